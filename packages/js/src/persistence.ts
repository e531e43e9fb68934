// Where the browser client keeps a session between page loads: the tokens in cookies (so the
// application's own backend receives them), the user/member and the policy in storage (so the first
// render after a reload can answer permission checks before the network does).

/** The part of the Web Storage API the client uses (localStorage, sessionStorage or a stand-in). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The part of `document` the client uses for cookies. */
export interface CookieJar {
  cookie: string;
}

export interface CookieOptions {
  /** Cookie of the opaque session token. Default `stytch_session`, as Stytch's SDK names it. */
  opaqueTokenCookieName?: string;
  /** Cookie of the session JWT. Default `stytch_session_jwt`. */
  jwtCookieName?: string;
  path?: string;
  domain?: string;
}

export interface SessionTokens {
  session_token: string;
  session_jwt: string;
}

/** Keeps the tokens in cookies (when a cookie jar is given) and everything else in storage. */
export class Persistence {
  readonly #storage: KeyValueStorage | null;
  readonly #jar: CookieJar | null;
  readonly #prefix: string;
  readonly #tokenCookie: string;
  readonly #jwtCookie: string;
  readonly #cookieAttributes: string;
  readonly #secure: boolean;
  /** Tokens held in memory when there is no cookie jar (Node, tests, workers). */
  #memoryTokens: SessionTokens | null = null;

  constructor(options: { storage: KeyValueStorage | null; cookies: CookieJar | null; publicToken: string; cookieOptions?: CookieOptions; hostname?: string }) {
    this.#storage = options.storage;
    this.#jar = options.cookies;
    this.#prefix = `gatehouse_sdk_state_${options.publicToken}`;
    this.#tokenCookie = options.cookieOptions?.opaqueTokenCookieName ?? 'stytch_session';
    this.#jwtCookie = options.cookieOptions?.jwtCookieName ?? 'stytch_session_jwt';
    const path = options.cookieOptions?.path ?? '/';
    const domain = options.cookieOptions?.domain;
    this.#cookieAttributes = `; path=${path}${domain ? `; domain=${domain}` : ''}; SameSite=Lax`;
    // As Stytch's SDK: Secure everywhere but on loopback hosts, so http://localhost development works.
    this.#secure = !isLoopbackHost(options.hostname ?? '');
  }

  readTokens(): SessionTokens | null {
    if (!this.#jar) return this.#memoryTokens;
    const cookies = parseCookies(this.#jar.cookie);
    const session_token = cookies.get(this.#tokenCookie) ?? '';
    const session_jwt = cookies.get(this.#jwtCookie) ?? '';
    return session_token || session_jwt ? { session_token, session_jwt } : null;
  }

  writeTokens(tokens: SessionTokens, expiresAt: string | null): void {
    if (!this.#jar) {
      this.#memoryTokens = tokens;
      return;
    }
    const expires = expiresAt ? `; expires=${new Date(expiresAt).toUTCString()}` : '';
    const secure = this.#secure ? '; Secure' : '';
    this.#jar.cookie = `${this.#tokenCookie}=${encodeURIComponent(tokens.session_token)}${this.#cookieAttributes}${expires}${secure}`;
    this.#jar.cookie = `${this.#jwtCookie}=${encodeURIComponent(tokens.session_jwt)}${this.#cookieAttributes}${expires}${secure}`;
  }

  clearTokens(): void {
    this.#memoryTokens = null;
    if (!this.#jar) return;
    const past = '; expires=Thu, 01 Jan 1970 00:00:00 GMT';
    this.#jar.cookie = `${this.#tokenCookie}=${this.#cookieAttributes}${past}`;
    this.#jar.cookie = `${this.#jwtCookie}=${this.#cookieAttributes}${past}`;
  }

  read<T>(key: 'state' | 'bootstrap'): T | null {
    const text = this.#safe(() => this.#storage?.getItem(this.#key(key)) ?? null, null);
    if (!text) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      return null;
    }
  }

  write(key: 'state' | 'bootstrap', value: unknown): void {
    this.#safe(() => (value === null ? this.#storage?.removeItem(this.#key(key)) : this.#storage?.setItem(this.#key(key), JSON.stringify(value))), undefined);
  }

  /** The storage key of a slot, to recognise `storage` events from other tabs. */
  storageKey(key: 'state' | 'bootstrap'): string {
    return this.#key(key);
  }

  #key(key: 'state' | 'bootstrap'): string {
    return key === 'state' ? this.#prefix : `${this.#prefix}::${key}`;
  }

  // Storage can throw (quota, private mode, disabled cookies); the client then just remembers less.
  #safe<T>(run: () => T, fallback: T): T {
    try {
      return run();
    } catch {
      return fallback;
    }
  }
}

export function parseCookies(header: string): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      cookies.set(name, part.slice(eq + 1).trim());
    }
  }
  return cookies;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Seconds since the epoch at which a JWT expires, read without verifying it (null if unreadable). */
export function jwtExpiry(jwt: string): number | null {
  const payload = jwt.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}

/**
 * A cookie jar with `document.cookie`'s behaviour (reading gives `name=value; …`, writing sets or,
 * with an expiry in the past, deletes one cookie), for running the client outside a browser: server
 * rendering, workers, tests.
 */
export class MemoryCookieJar implements CookieJar {
  readonly #cookies = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.#cookies.set(name, encodeURIComponent(value));
  }

  get cookie(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  set cookie(text: string) {
    const [pair = '', ...attributes] = text.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const expires = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('expires='));
    if (expires && Date.parse(expires.slice(8)) <= Date.now()) this.#cookies.delete(name);
    else this.#cookies.set(name, pair.slice(eq + 1).trim());
  }
}
