// The request core: one function sends every API call (HTTP Basic project_id:secret, JSON in and
// out), and one error class carries every error the server answers, in Stytch's envelope.
import { ErrorEnvelopeError, type ErrorEnvelopeInit } from '@gatehouse/contracts';

export interface GatehouseConfig {
  project_id: string;
  secret: string;
  /** The server's base URL, e.g. `http://127.0.0.1:4000`. */
  base_url: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** Per request; default 10 s. */
  timeout_ms?: number;
}

/** What every response carries. */
export interface ApiResponse {
  request_id: string;
  status_code: number;
}

/** An error answered by the server: Stytch's envelope, as StytchError carries it. */
export class GatehouseApiError extends ErrorEnvelopeError {
  // Every answer names its request; an answer that is not JSON at all gets ''.
  declare readonly request_id: string;

  constructor(body: ErrorEnvelopeInit & { request_id: string }) {
    super(body);
    this.name = 'GatehouseApiError';
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  /** Extra headers, e.g. `X-Stytch-Member-Session` to make a B2B call on behalf of a member. */
  headers?: Record<string, string>;
}

/** Sends API calls for one project. */
export class Transport {
  readonly projectId: string;
  readonly baseUrl: string;
  readonly authorization: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;

  constructor(config: GatehouseConfig) {
    if (!config.project_id) throw new TypeError('Missing "project_id" in config');
    if (!config.secret) throw new TypeError('Missing "secret" in config');
    if (!config.base_url) throw new TypeError('Missing "base_url" in config');
    this.projectId = config.project_id;
    this.baseUrl = config.base_url.replace(/\/+$/, '');
    this.authorization = `Basic ${btoa(`${config.project_id}:${config.secret}`)}`;
    this.fetch = config.fetch ?? globalThis.fetch;
    this.timeoutMs = config.timeout_ms ?? 10_000;
  }

  /**
   * Calls `method path`. `{name}` in the path is taken from the field of `input` with that name; the
   * other fields are the query of a GET or DELETE and the JSON body of a POST or PUT.
   */
  async call<T>(method: Method, path: string, input: object = {}, options: RequestOptions = {}): Promise<T> {
    const rest: Record<string, unknown> = { ...input };
    const url = new URL(
      this.baseUrl +
        path.replace(/\{(\w+)\}/g, (_match, name: string) => {
          const value = rest[name];
          delete rest[name];
          if (typeof value !== 'string' || value === '') throw new TypeError(`${name} is required`);
          return encodeURIComponent(value);
        }),
    );
    const bodyless = method === 'GET' || method === 'DELETE';
    if (bodyless) for (const [key, value] of Object.entries(rest)) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { authorization: this.authorization, ...options.headers };
    if (!bodyless) headers['content-type'] = 'application/json';
    const response = await this.fetch(url, {
      method,
      headers,
      body: bodyless ? undefined : JSON.stringify(rest),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return parseResponse<T>(response);
  }
}

/** The JSON of a response; a GatehouseApiError for any status ≥ 400. */
export async function parseResponse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatehouseApiError({
      status_code: response.status,
      error_type: 'invalid_response',
      error_message: `Unable to parse JSON response from server: ${text.slice(0, 200)}`,
      request_id: '',
    });
  }
  if (response.status >= 400) {
    throw new GatehouseApiError({
      status_code: body?.status_code ?? response.status,
      error_type: body?.error_type ?? 'unknown',
      error_message: body?.error_message ?? response.statusText,
      request_id: body?.request_id ?? '',
      error_url: body?.error_url,
      error_details: body?.error_details,
    });
  }
  return body as T;
}

/** One typed API method: `(input, options?) => Promise<response>`. */
export type Endpoint<In extends object, Out> = (input: In, options?: RequestOptions) => Promise<Out & ApiResponse>;

/** A method of a table: bound to a transport by bindEndpoints. */
export function endpoint<In extends object, Out>(method: Method, path: string) {
  return (transport: Transport): Endpoint<In, Out> =>
    (input, options) => transport.call<Out & ApiResponse>(method, path, input, options);
}

/** A table of endpoint(...) bound to one transport. */
export function bindEndpoints<T extends Record<string, (transport: Transport) => unknown>>(
  transport: Transport,
  table: T,
): { [K in keyof T]: ReturnType<T[K]> } {
  return Object.fromEntries(Object.entries(table).map(([name, make]) => [name, make(transport)])) as { [K in keyof T]: ReturnType<T[K]> };
}
