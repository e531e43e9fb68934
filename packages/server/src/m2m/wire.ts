// The M2M API's response shapes (Stytch's M2MClient), and the token endpoint's error body.
import type { M2MClientRecord } from './repository.ts';

export function toWireM2MClient(record: M2MClientRecord) {
  return {
    client_id: record.client_id,
    client_name: record.client_name,
    client_description: record.client_description,
    status: record.status,
    scopes: record.scopes,
    client_secret_last_four: record.secret_last_four,
    ...(record.next_secret_last_four !== null ? { next_client_secret_last_four: record.next_secret_last_four } : {}),
    trusted_metadata: record.trusted_metadata,
  };
}

/** RFC 6749 §5.2's error codes; anything else a 400 is about is invalid_request. */
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

/**
 * The token endpoint's error: Gatehouse's envelope (status_code, request_id, error_type,
 * error_message, error_url) plus RFC 6749's error, error_description and error_uri — the fields
 * Stytch's token endpoint answers with and the official client reads when `error` is present.
 */
export function withOAuthErrorFields(envelope: { status_code: number; error_type: string; error_message: string; error_url: string }) {
  const error = OAUTH_ERRORS.has(envelope.error_type) ? envelope.error_type : envelope.status_code === 400 ? 'invalid_request' : envelope.error_type;
  return { ...envelope, error, error_description: envelope.error_message, error_uri: envelope.error_url };
}
