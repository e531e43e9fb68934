// The one place errors become HTTP: everything thrown while handling a request ends up as Stytch's
// envelope {status_code, request_id, error_type, error_message, error_url}. A 500 says nothing of
// its cause; the log has it under the request id.
import type { ErrorEnvelope } from '@gatehouse/contracts';
import { GatehouseError, schemaErrorKey, type SchemaErrorType } from '../shared/errors.ts';
import { isConnectionFailure } from '../store/connection-failure.ts';

/** Retry-After on a 503: the database usually comes back within seconds, and a retry costs little. */
export const RETRY_AFTER_SECONDS = 1;

/** Which error_type a schema failure gets, by the top-level field it concerns. */
const FIELD_ERROR_TYPES: Record<string, SchemaErrorType> = {
  email: 'invalid_email',
  phone_number: 'invalid_phone_number',
  user_id: 'invalid_user_id',
  external_id: 'invalid_external_id',
  trusted_metadata: 'metadata_invalid_format',
  untrusted_metadata: 'metadata_invalid_format',
  limit: 'user_search_invalid_limit',
  cursor: 'user_search_invalid_cursor',
};

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldPath(issue: ValidationIssue): string {
  const parts = issue.instancePath.split('/').filter(Boolean);
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') parts.push(issue.params.missingProperty);
  return parts.map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

export function toGatehouseError(error: unknown): GatehouseError {
  if (error instanceof GatehouseError) return error;
  const e = error as { code?: string; statusCode?: number; validation?: ValidationIssue[]; validationContext?: string; message?: string };
  if (e.validation && e.validation.length > 0) {
    const issue = e.validation[0]!;
    const path = fieldPath(issue);
    const top = path.split(/[.[]/)[0] ?? '';
    const where = e.validationContext === 'querystring' ? 'query parameter ' : e.validationContext === 'params' ? 'path parameter ' : '';
    return new GatehouseError(schemaErrorKey(Object.hasOwn(FIELD_ERROR_TYPES, top) ? FIELD_ERROR_TYPES[top]! : 'invalid_argument'), {
      params: { where: path ? `${where}${path}` : 'The request body', problem: issue.message ?? 'is invalid' },
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatehouseError('request_too_large');
    case 'FST_ERR_BAD_URL':
      return new GatehouseError('invalid_url_encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new GatehouseError('path_parameter_too_long');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatehouseError('unsupported_content_type');
  }
  if (error instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (e.statusCode === 400 && /JSON|proto/i.test(e.message ?? ''))) {
    return new GatehouseError('invalid_json_body');
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new GatehouseError('bad_request');
  }
  if (isConnectionFailure(error)) return new GatehouseError('server_unavailable', { cause: error });
  return new GatehouseError('internal_server_error', { cause: error });
}

export function toErrorBody(error: GatehouseError, requestId: string, publicUrl: string): ErrorEnvelope {
  return {
    status_code: error.status,
    request_id: requestId,
    error_type: error.errorType,
    error_message: error.message,
    error_url: `${publicUrl}/docs/errors#${error.errorType}`,
    ...(error.details !== undefined ? { error_details: error.details } : {}),
  };
}
