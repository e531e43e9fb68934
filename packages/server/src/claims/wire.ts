// The custom claim template as the API shows it (Stytch's JWTTemplate, SESSION type).
import { formatTimestamp } from '../shared/clock.ts';
import type { ClaimTemplateRecord } from './service.ts';

export function toWireClaimTemplate(record: ClaimTemplateRecord) {
  return {
    jwt_template_type: 'SESSION',
    template_content: record.template_content,
    custom_audience: '',
    updated_at: formatTimestamp(record.updated_at),
  };
}
