// Stytch's error envelope: the body of every error the server answers, and what the SDKs' errors carry.

export interface ErrorEnvelope {
  status_code: number;
  request_id: string;
  error_type: string;
  error_message: string;
  /** Where the error type is explained. */
  error_url: string;
  /** More about the error where there is more to say (a policy's validation issues). */
  error_details?: unknown;
}

/** The fields every envelope has. */
export const ERROR_ENVELOPE_KEYS = ['status_code', 'request_id', 'error_type', 'error_message', 'error_url'] as const satisfies readonly (keyof ErrorEnvelope)[];

/** A JSON body that is an error envelope, as far as a client needs: it names its error_type. */
export function isErrorEnvelope(body: unknown): body is Partial<ErrorEnvelope> & Pick<ErrorEnvelope, 'error_type'> {
  return typeof body === 'object' && body !== null && typeof (body as { error_type?: unknown }).error_type === 'string';
}

/** What an SDK error is made from: an envelope, perhaps without the fields a client cannot know. */
export type ErrorEnvelopeInit = Pick<ErrorEnvelope, 'status_code' | 'error_type' | 'error_message'> & Partial<Pick<ErrorEnvelope, 'request_id' | 'error_url' | 'error_details'>>;

/** An error answered in the envelope, its fields as they came: the base of the SDKs' error classes. */
export class ErrorEnvelopeError extends Error {
  readonly status_code: number;
  readonly error_type: string;
  readonly error_message: string;
  readonly request_id: string | undefined;
  readonly error_url: string | undefined;
  readonly error_details: unknown;

  constructor(body: ErrorEnvelopeInit) {
    super(`${body.error_type}: ${body.error_message}`);
    this.status_code = body.status_code;
    this.error_type = body.error_type;
    this.error_message = body.error_message;
    this.request_id = body.request_id;
    this.error_url = body.error_url;
    this.error_details = body.error_details;
  }
}
