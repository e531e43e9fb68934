// The one error the browser client throws for a refused call: the server's Stytch envelope, as data.
import { ErrorEnvelopeError } from '@gatehouse/contracts';

/** Error types after which the stored session is of no use (Stytch's UNRECOVERABLE_ERROR_TYPES). */
export const UNRECOVERABLE_ERROR_TYPES: ReadonlySet<string> = new Set([
  'unauthorized_credentials',
  'user_unauthenticated',
  'invalid_secret_authentication',
  'session_not_found',
  'member_session_not_found',
]);

export class GatehouseError extends ErrorEnvelopeError {
  override readonly name = 'GatehouseError';

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
