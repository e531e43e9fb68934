// The edge: what is refused before any route sees a request, and the answer to HTTP that never
// becomes a request. NUL characters (PostgreSQL cannot store them in text or jsonb), JSON nested
// deeper than anyone writes (recursive code further in would overflow its stack), path parameters
// longer than any id, and Node's protocol errors — each a 4xx in Stytch's envelope.
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { GatehouseError } from '../shared/errors.ts';
import { toErrorBody } from './errors.ts';

/** The deepest nesting of objects and arrays a JSON body may have (the body itself is depth 1). */
export const MAX_JSON_DEPTH = 64;

/**
 * The longest path parameter, in characters as sent (percent-encoded). The longest id a path names
 * is 128 characters (a policy's role and resource ids); percent-encoded, a 4-byte character takes 12.
 */
export const MAX_PATH_PARAMETER_LENGTH = 2048;

const NUL_ESCAPE = '\\u0000';
const BACKSLASH = 92;

/**
 * Whether JSON text carries a NUL character: raw (never valid JSON, but say why), or as the escape
 * `\u0000` — the only ways JSON can. `\\u0000` (an escaped backslash, then "u0000") is text, so a hit
 * counts only when an even number of backslashes precedes it. Two native scans: cheap on the hot path.
 */
export function jsonTextHasNul(text: string): boolean {
  if (text.indexOf('\0') !== -1) return true;
  for (let at = text.indexOf(NUL_ESCAPE); at !== -1; at = text.indexOf(NUL_ESCAPE, at + 1)) {
    let backslashes = 0;
    for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return true;
  }
  return false;
}

/** Whether parsed JSON nests objects and arrays deeper than MAX_JSON_DEPTH. Recursion stops there. */
export function jsonTooDeep(value: unknown, depth = 1): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_JSON_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (jsonTooDeep(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (jsonTooDeep((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/** A UTF-16 surrogate without its pair: not Unicode text, and PostgreSQL refuses it in text and jsonb. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** JSON text can carry a surrogate only as an escape (a body is decoded from UTF-8, which has none). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Whether parsed JSON holds a string or key with a lone surrogate. Walks the value only when the raw
 * text has a surrogate escape at all, so ordinary bodies pay one regular-expression scan.
 */
export function jsonHasLoneSurrogate(text: string, parsed: unknown): boolean {
  return SURROGATE_ESCAPE.test(text) && holdsLoneSurrogate(parsed);
}

function holdsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsLoneSurrogate);
  for (const key in value) if (LONE_SURROGATE.test(key) || holdsLoneSurrogate((value as Record<string, unknown>)[key])) return true;
  return false;
}

export const loneSurrogateError = () => new GatehouseError('invalid_unicode_text');
export const nulError = () => new GatehouseError('null_character_not_allowed');
export const tooDeepError = () =>
  new GatehouseError('json_too_deep', { params: { max_depth: MAX_JSON_DEPTH } });

/**
 * Whether a request URL (path and query, as sent) decodes to a NUL anywhere. Node refuses a raw NUL
 * in the request line, so only the percent-encoding `%00` can carry one.
 */
export function urlHasNul(url: string): boolean {
  return url.indexOf('%00') !== -1;
}

/** The answer to an error Node's HTTP parser (or its timeouts) raised before there was a request. */
function clientErrorFor(code: string | undefined): GatehouseError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatehouseError('request_headers_too_large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatehouseError('request_timeout');
    default:
      return new GatehouseError('malformed_http_request');
  }
}

/**
 * Node's `clientError`: a complete HTTP response with the envelope and `Connection: close`, then the
 * socket is closed (after a parse error the rest of its bytes cannot be trusted to frame a request).
 * The raw bytes are never logged: they may hold credentials.
 */
export function clientErrorHandler(options: { newRequestId: () => string; publicUrl: string }) {
  // Fastify calls it with `this` the Fastify instance.
  return function onClientError(this: { log: { debug(obj: object, msg: string): void } }, error: Error & { code?: string }, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    this.log.debug({ code: error.code }, 'unreadable HTTP request');
    // As Node does: answer only when no response to an earlier request on this connection has begun
    // (writing into the middle of one would corrupt it for the client).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const gatehouseError = clientErrorFor(error.code);
      const body = JSON.stringify(toErrorBody(gatehouseError, options.newRequestId(), options.publicUrl));
      socket.write(
        `HTTP/1.1 ${gatehouseError.status} ${STATUS_CODES[gatehouseError.status] ?? 'Error'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
