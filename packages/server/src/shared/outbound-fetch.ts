// The one HTTP client for requests the server makes to addresses someone else chose: SAML IdP
// metadata, OpenID discovery, token and userinfo endpoints, JWKS (and, later, webhooks). Anyone who
// may configure an SSO connection chooses these URLs, so each request is treated as hostile:
//
// - https only, unless the development setting (GATEHOUSE_OUTBOUND_ALLOW_PRIVATE) allows plain http;
// - the host is resolved here and every address it resolves to must be public unicast (ipaddr.js
//   classifies: loopback, private, link-local, unspecified, multicast, CGNAT, reserved, NAT64,
//   6to4, Teredo, IPv4-mapped/-compatible forms of those... are refused), unless the development
//   setting allows their range. Numeric host forms (2130706433, 0x7f000001, 0177.0.0.1, 127.1) are
//   normalised by the WHATWG URL parser before the check, so they are caught like 127.0.0.1;
// - the connection goes to the address that was checked (the lookup the socket uses is this
//   check, so a second DNS answer cannot slip another address in), and the address actually
//   connected to is checked again before a byte is sent;
// - redirects are followed by hand, each hop checked again, at most `maxRedirects`, GET only;
// - the body is streamed and the request aborted past `maxBodyBytes`; the whole exchange
//   (redirects included) has `timeoutMs`;
// - every failure is the same error with the same message, answered no sooner than a fixed floor,
//   so a caller learns nothing about the target (refused, closed port, timeout or too large look
//   alike). The reason stays in `cause`, for the server's own logs.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, request } from 'undici';
import { GatehouseError } from './errors.ts';

export interface OutboundFetchOptions {
  /**
   * Development only: CIDR ranges of non-public addresses that may be reached anyway (e.g.
   * 127.0.0.1/32 for an IdP on the developer's machine; 0.0.0.0/0 and ::/0 for all). Any range here
   * also allows plain http. Empty: https to public addresses only.
   */
  allowedPrivateRanges: readonly string[];
  /** The whole exchange, redirects included. */
  timeoutMs: number;
  /** Largest response body read; past it the request is aborted. */
  maxBodyBytes: number;
  /** Redirect hops followed for a GET (each checked like the first URL). */
  maxRedirects: number;
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  /** 'follow' (default for GET) follows checked redirects; 'manual' returns the 3xx response. */
  redirect?: 'follow' | 'manual';
  signal?: AbortSignal;
}

/** Failures answer no sooner than this after the request began, so fast and slow failures look alike. */
const FAILURE_FLOOR_MS = 250;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The one error of an outbound request; it names neither the target nor what went wrong there. */
export function outboundFetchFailed(cause?: unknown): GatehouseError {
  return new GatehouseError('outbound_fetch_failed', { cause });
}

class RefusedTarget extends Error {
  override name = 'RefusedTarget';
}

/**
 * Whether an IP address (any textual IPv4/IPv6 form Node or the URL parser produce) is a public
 * unicast address. Deny by default: anything ipaddr.js puts in a special range is refused, and an
 * IPv6 address that carries an IPv4 address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d) is judged
 * by that IPv4 address.
 */
export function isPublicAddress(address: string): boolean {
  const parsed = parseAddress(address);
  if (parsed === undefined) return false;
  // ::/96 (IPv4-compatible, deprecated) is not in ipaddr.js's table: refused like the rest.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return parsed.range() === 'unicast';
}

/** Whether a string is an IP literal as it appears in a URL's hostname. */
function isIpLiteral(hostname: string): boolean {
  const text = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(text) && (text.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(text));
}

/** The address as ipaddr.js reads it, IPv4-mapped IPv6 as IPv4; undefined when it is no IP address. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(text)) return undefined;
  const parsed = ipaddr.parse(text);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

/** Drops a response body unread; undici reports that as an abort, which nobody needs to hear. */
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => {});
  body.destroy();
}

export class OutboundFetch {
  readonly #options: OutboundFetchOptions;
  readonly #agent: Agent;
  readonly #privateRanges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  readonly #allowed: (address: string) => boolean;

  constructor(options: OutboundFetchOptions) {
    this.#options = options;
    this.#privateRanges = options.allowedPrivateRanges.map((range) => ipaddr.parseCIDR(range));
    const allowed = (this.#allowed = (address: string) => isPublicAddress(address) || this.#inPrivateRanges(address));
    // The socket's own lookup is the check: the address connected to is one that passed.
    const lookup = (hostname: string, lookupOptions: { all?: boolean }, callback: (...args: any[]) => void) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error);
        if (addresses.length === 0 || addresses.some((entry) => !allowed(entry.address))) {
          return callback(new RefusedTarget('the name resolves to an address that is not allowed'));
        }
        if (lookupOptions.all) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    const connectThroughCheck = buildConnector({ lookup, timeout: options.timeoutMs } as buildConnector.BuildOptions);
    this.#agent = new Agent({
      connect: (connectOptions, callback) => {
        connectThroughCheck(connectOptions, (error, socket) => {
          if (error) return callback(error, null);
          // And once connected: the peer's address is checked again before anything is sent.
          const remote = (socket as Socket).remoteAddress;
          if (remote === undefined || !allowed(remote)) {
            socket!.destroy();
            return callback(new RefusedTarget('connected to an address that is not allowed'), null);
          }
          return callback(null, socket!);
        });
      },
      connections: 16,
    });
  }

  #inPrivateRanges(address: string): boolean {
    const parsed = parseAddress(address);
    return parsed !== undefined && this.#privateRanges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
  }

  /**
   * Whether a URL may be requested at all, before any network use: its scheme, and its host when the
   * host is an IP literal. Names are checked when resolved. Returns the parsed URL or throws.
   */
  checkUrl(value: string | URL): URL {
    let url: URL;
    try {
      url = new URL(value);
    } catch (error) {
      throw outboundFetchFailed(error);
    }
    const schemeAllowed = url.protocol === 'https:' || (url.protocol === 'http:' && this.#privateRanges.length > 0);
    if (!schemeAllowed || url.username !== '' || url.password !== '') throw outboundFetchFailed(new RefusedTarget('scheme or credentials'));
    if (isIpLiteral(url.hostname) && !this.#allowed(url.hostname)) {
      throw outboundFetchFailed(new RefusedTarget('address not allowed'));
    }
    return url;
  }

  /** Whether checkUrl would accept the URL. */
  isAllowedUrl(value: string): boolean {
    try {
      this.checkUrl(value);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Requests a URL under the rules above and returns a standard Response whose body has been read in
   * full (at most maxBodyBytes). Any failure throws outbound_fetch_failed.
   */
  async fetch(target: string | URL, init: OutboundRequest = {}): Promise<Response> {
    const started = Date.now();
    const deadline = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([deadline, init.signal]) : deadline;
    try {
      return await this.#fetch(target, init, signal);
    } catch (error) {
      const wait = FAILURE_FLOOR_MS - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      throw error instanceof GatehouseError && error.errorType === 'outbound_fetch_failed' ? error : outboundFetchFailed(error);
    }
  }

  async #fetch(target: string | URL, init: OutboundRequest, signal: AbortSignal): Promise<Response> {
    let method = (init.method ?? 'GET').toUpperCase();
    const follow = (init.redirect ?? 'follow') === 'follow';
    let body = init.body instanceof URLSearchParams ? init.body.toString() : init.body;
    const headers: Record<string, string> = { ...init.headers };
    if (init.body instanceof URLSearchParams && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    let url = this.checkUrl(target);
    for (let hop = 0; ; hop++) {
      const response = await request(url, { method: method as 'GET', headers, body, signal, dispatcher: this.#agent, maxRedirections: 0 });
      const location = response.headers.location;
      if (follow && REDIRECT_STATUSES.has(response.statusCode) && typeof location === 'string') {
        discard(response.body);
        if (hop >= this.#options.maxRedirects) throw new RefusedTarget('too many redirects');
        // Only reads are followed; a redirected write is not resent somewhere else.
        if (method !== 'GET' && method !== 'HEAD') throw new RefusedTarget('redirect of a write');
        url = this.checkUrl(new URL(location, url));
        body = undefined;
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        continue;
      }
      const bytes = await this.#readCapped(response.body, signal);
      if (response.statusCode < 200 || response.statusCode > 599) throw new RefusedTarget('unusable status');
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
      }
      return new Response(NULL_BODY_STATUSES.has(response.statusCode) ? null : bytes, { status: response.statusCode, headers: responseHeaders });
    }
  }

  async #readCapped(body: AsyncIterable<Uint8Array> & { on(event: 'error', listener: () => void): unknown; destroy(): unknown }, signal: AbortSignal): Promise<ArrayBuffer> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > this.#options.maxBodyBytes) {
        discard(body);
        throw new RefusedTarget('response body too large');
      }
      if (signal.aborted) throw signal.reason;
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks, total);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /** Closes pooled connections (server shutdown). */
  async close(): Promise<void> {
    await this.#agent.close();
  }
}
