// Request schemas of the custom claim template API.
import { Type } from '@sinclair/typebox';

/** Stytch's JWT template body (template_content); custom_audience is accepted and not used. */
export const SetTemplateBody = Type.Object({
  template_content: Type.String({ maxLength: 16_384 }),
  custom_audience: Type.Optional(Type.String()),
});
