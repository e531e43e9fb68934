// The one error the browser client throws for a refused call: the server's Stytch envelope, as data.

/** Error types after which the stored session is of no use (Stytch's UNRECOVERABLE_ERROR_TYPES). */
export const UNRECOVERABLE_ERROR_TYPES: ReadonlySet<string> = new Set([
  'unauthorized_credentials',
  'user_unauthenticated',
  'invalid_secret_authentication',
  'session_not_found',
  'member_session_not_found',
]);

export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly status_code: number;
  readonly error_type: string;
  readonly error_message: string;
  readonly request_id: string | undefined;
  readonly error_url: string | undefined;
  readonly error_details: unknown;

  constructor(body: { status_code: number; error_type: string; error_message: string; request_id?: string; error_url?: string; error_details?: unknown }) {
    super(`${body.error_type}: ${body.error_message}`);
    this.status_code = body.status_code;
    this.error_type = body.error_type;
    this.error_message = body.error_message;
    this.request_id = body.request_id;
    this.error_url = body.error_url;
    this.error_details = body.error_details;
  }

  /** Whether the session the call carried is gone for good (sign the user out locally). */
  get unrecoverable(): boolean {
    return UNRECOVERABLE_ERROR_TYPES.has(this.error_type);
  }
}

/** The server could not be reached or answered something that is not the JSON envelope. */
export class GatehouseUnreachableError extends Error {
  override readonly name = 'GatehouseUnreachableError';
}

export function isGatehouseError(error: unknown, errorType?: string): error is GatehouseError {
  return error instanceof GatehouseError && (errorType === undefined || error.error_type === errorType);
}
