// The headless browser client: talks to a Gatehouse server's browser API (/sdk/v1, public token),
// keeps the session in cookies + storage and fresh, and answers permission checks locally with the
// same engine the server runs (@gatehouse/policy), from the bootstrap policy and the session's roles.
import { isErrorEnvelope } from '@gatehouse/contracts';
import { compileWithCustomRoles, isAuthorized, listPermissions, resolveRoles, type CompiledPolicy, type Policy, type ResolvedRoles } from '@gatehouse/policy';
import { GatehouseError, GatehouseUnreachableError } from './errors.ts';
import { jwtExpiry, Persistence, type CookieJar, type CookieOptions, type KeyValueStorage } from './persistence.ts';
import type { Bootstrap, ClientState, Member, MemberSession, Organization, PermissionMap, Session, User, Vertical } from './types.ts';

export interface GatehouseClientOptions {
  /** The project's public token (`public-token-test-…`). */
  publicToken: string;
  /** The Gatehouse server, e.g. `http://127.0.0.1:4000`. Requests go to `<baseUrl>/sdk/v1/…`. */
  baseUrl: string;
  /** `consumer` (users) or `b2b` (members of organizations). Default `consumer`. */
  vertical?: Vertical;
  /**
   * How often, in ms, to re-read the session (roles) and the policy while started, so that role and
   * policy changes reach the page without a reload. Default 2000; 0 polls only on window focus and to
   * refresh the session before its JWT expires.
   */
  pollIntervalMs?: number;
  /**
   * While started and signed in, follow the session's change stream (/sdk/v1/sessions/events): a
   * revoked session or changed roles reach the page within a second, the poll staying as fallback.
   * Default true.
   */
  liveUpdates?: boolean;
  /** How old (ms) the last answer from the server may be for `rbac.isAuthorized`. Default 1000. */
  maxPolicyAgeMs?: number;
  /** Lifetime asked for at sign-in. Default 60. */
  sessionDurationMinutes?: number;
  /** Default `globalThis.localStorage` when there is one; `null` keeps nothing between loads. */
  storage?: KeyValueStorage | null;
  /** Default `globalThis.document` when there is one; `null` keeps the tokens in memory. */
  cookies?: CookieJar | null;
  cookieOptions?: CookieOptions;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export interface ConsumerPasswordInput {
  email: string;
  password: string;
  session_duration_minutes?: number;
}

export interface B2BPasswordInput {
  organization_id: string;
  email_address: string;
  password: string;
  session_duration_minutes?: number;
}

/** B2B: the organization a check is about; another than the signed-in member's is denied. */
export interface TenancyOptions {
  organization_id?: string;
}

/** What a sign-in or sessions/authenticate call returns (`data` of the response). */
export type AuthenticateResponse = Record<string, unknown> & { session_token: string; session_jwt: string };

type Listener = () => void;

interface StoredState {
  user: User | null;
  session: Session | MemberSession | null;
  member: Member | null;
  organization: Organization | null;
}

const EMPTY_ROLES: readonly string[] = Object.freeze([]);

export class GatehouseClient {
  readonly #options: Required<Pick<GatehouseClientOptions, 'publicToken' | 'vertical' | 'pollIntervalMs' | 'maxPolicyAgeMs' | 'sessionDurationMinutes' | 'liveUpdates'>> & { baseUrl: string };
  readonly #fetch: typeof fetch;
  readonly #persistence: Persistence;
  readonly #listeners = new Set<Listener>();
  #state: ClientState;
  #sessionKey = '';
  #policyText = '';

  // Derived from the state, made again only when the policy or the roles change.
  #compiled: { policy: Policy | null; organization: Organization | null; compiled: CompiledPolicy | null } = { policy: null, organization: null, compiled: null };
  #resolved: { compiled: CompiledPolicy | null; roles: readonly string[]; resolved: ResolvedRoles | null } = { compiled: null, roles: EMPTY_ROLES, resolved: null };
  #permissions: { resolved: ResolvedRoles | null; map: PermissionMap } = { resolved: null, map: {} };

  #refreshing: Promise<void> | null = null;
  #lastRefreshAt = 0;
  #firstRefresh: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #started = 0;
  #detach: (() => void) | null = null;
  // The change stream: the open request (aborted on stop or when the session changes) and a wake-up
  // for the loop waiting for a session to follow.
  #stream: { token: string; abort: AbortController } | null = null;
  #streamLoop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  readonly passwords = {
    /** Password sign-in (consumer: `{email, password}`; B2B: `{organization_id, email_address, password}`). */
    authenticate: (input: ConsumerPasswordInput | B2BPasswordInput): Promise<AuthenticateResponse> =>
      this.#signIn(this.#b2b ? '/b2b/passwords/authenticate' : '/passwords/authenticate', {
        ...input,
        session_duration_minutes: input.session_duration_minutes ?? this.#options.sessionDurationMinutes,
      }),
  };

  readonly magicLinks = {
    /** Signs in with the token of an email magic link (the `token` query parameter of the link). */
    authenticate: (token: string, options: { session_duration_minutes?: number; code_verifier?: string } = {}): Promise<AuthenticateResponse> => {
      const session_duration_minutes = options.session_duration_minutes ?? this.#options.sessionDurationMinutes;
      return this.#b2b
        ? this.#signIn('/b2b/magic_links/authenticate', { magic_links_token: token, session_duration_minutes, pkce_code_verifier: options.code_verifier })
        : this.#signIn('/magic_links/authenticate', { token, session_duration_minutes, code_verifier: options.code_verifier });
    },
  };

  readonly session = {
    /** Checks the stored session with the server and takes its current user/member and roles. */
    authenticate: (): Promise<AuthenticateResponse | null> => this.#authenticateSession(),
    /** Signs out: revokes the session on the server and forgets it here (also when the server fails). */
    revoke: (): Promise<void> => this.#signOut(),
    getSync: (): Session | MemberSession | null => this.#state.session,
    getTokens: () => this.#persistence.readTokens(),
  };

  readonly rbac = {
    /** The answer from a policy and roles at most `maxPolicyAgeMs` old (refreshed first if older). */
    isAuthorized: async (resourceId: string, action: string, options?: TenancyOptions): Promise<boolean> => {
      await this.#fresh();
      return this.rbac.isAuthorizedSync(resourceId, action, options);
    },
    /**
     * The answer from what the client holds now (the cached policy and roles); false without a policy.
     * B2B: naming an `organization_id` other than the member's is always false (tenancy), as the server's check.
     */
    isAuthorizedSync: (resourceId: string, action: string, options?: TenancyOptions): boolean => {
      if (options?.organization_id !== undefined && options.organization_id !== this.#state.organization?.organization_id) return false;
      const resolved = this.#resolvedRoles();
      return resolved !== null && isAuthorized(resolved.policy, resolved, resourceId, action).authorized;
    },
    /** `{resource_id: {action: allowed}}` for every declared action, after a refresh as isAuthorized. */
    allPermissions: async (): Promise<PermissionMap> => {
      await this.#fresh();
      return this.rbac.allPermissionsSync();
    },
    /** The same from what the client holds now; one object per state, so it can be a store snapshot. */
    allPermissionsSync: (): PermissionMap => {
      const resolved = this.#resolvedRoles();
      if (this.#permissions.resolved !== resolved || resolved === null) {
        this.#permissions = { resolved, map: resolved ? listPermissions(resolved.policy, resolved) : {} };
      }
      return this.#permissions.map;
    },
  };

  constructor(options: GatehouseClientOptions) {
    if (!options.publicToken) throw new TypeError('GatehouseClient: publicToken is required');
    if (!/^https?:\/\//.test(options.baseUrl ?? '')) throw new TypeError('GatehouseClient: baseUrl must be an http(s) URL');
    this.#options = {
      publicToken: options.publicToken,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      vertical: options.vertical ?? 'consumer',
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      maxPolicyAgeMs: options.maxPolicyAgeMs ?? 1000,
      sessionDurationMinutes: options.sessionDurationMinutes ?? 60,
      liveUpdates: options.liveUpdates ?? true,
    };
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.#fetch = (input, init) => fetchImpl(input, init);
    const g = globalThis as { localStorage?: KeyValueStorage; document?: CookieJar; location?: { hostname: string } };
    this.#persistence = new Persistence({
      storage: options.storage === undefined ? safeGlobal(() => g.localStorage) : options.storage,
      cookies: options.cookies === undefined ? (g.document ?? null) : options.cookies,
      publicToken: options.publicToken,
      cookieOptions: options.cookieOptions,
      hostname: g.location?.hostname,
    });
    // The first snapshot: what an earlier page load left, so cached checks answer at once.
    const stored = this.#persistence.readTokens() ? this.#persistence.read<StoredState>('state') : null;
    const bootstrap = this.#persistence.read<Bootstrap>('bootstrap');
    this.#policyText = bootstrap?.rbac_policy ? JSON.stringify(bootstrap.rbac_policy) : '';
    this.#state = Object.freeze({
      vertical: this.#options.vertical,
      status: stored ? 'loading' : this.#persistence.readTokens() ? 'loading' : 'signed_out',
      user: stored?.user ?? null,
      session: stored?.session ?? null,
      member: stored?.member ?? null,
      organization: stored?.organization ?? null,
      roles: rolesOf(this.#options.vertical, stored?.user ?? null, stored?.session ?? null),
      policy: bootstrap?.rbac_policy ?? null,
      policyFresh: false,
      version: 0,
    });
    this.#sessionKey = stored ? sessionKeyOf(stored) : '';
  }

  get #b2b(): boolean {
    return this.#options.vertical === 'b2b';
  }

  // ——— the store ———

  getState = (): ClientState => this.#state;

  /** Calls the listener after every change of state; returns the unsubscribe function. */
  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /**
   * Starts following the server: a refresh now, then every `pollIntervalMs`, on window focus and when
   * another tab signs in or out. Calls nest: each start() needs its stop().
   */
  start(): Promise<void> {
    this.#started++;
    if (this.#started === 1) {
      this.#detach = this.#attachToWindow();
      this.#schedule(0);
      if (this.#options.liveUpdates) this.#streamLoop ??= this.#follow().finally(() => (this.#streamLoop = null));
    }
    return this.ready();
  }

  stop(): void {
    if (this.#started === 0) return;
    this.#started--;
    if (this.#started > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#detach?.();
    this.#detach = null;
    this.#stream?.abort.abort();
    this.#wakeUp();
  }

  /** Resolves once this page has heard from the server once (policy and session). Never rejects. */
  ready(): Promise<void> {
    this.#firstRefresh ??= this.refresh().catch(() => undefined);
    return this.#firstRefresh;
  }

  /** Reads the policy (bootstrap) and the session (sessions/authenticate) again, together. */
  refresh(): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    const run = async () => {
      const results = await Promise.allSettled([this.#loadBootstrap(), this.#authenticateSession()]);
      this.#lastRefreshAt = Date.now();
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    };
    this.#refreshing = run().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  // ——— network ———

  async #request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const tokens = this.#persistence.readTokens();
    const password = tokens?.session_token || this.#options.publicToken;
    let response: Response;
    try {
      response = await this.#fetch(`${this.#options.baseUrl}/sdk/v1${path}`, {
        method,
        credentials: 'include',
        headers: {
          authorization: `Basic ${btoa(`${this.#options.publicToken}:${password}`)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new GatehouseUnreachableError(`Gatehouse is unreachable: ${(error as Error).message}`, { cause: error });
    }
    let json: any;
    try {
      json = await response.json();
    } catch {
      throw new GatehouseUnreachableError(`Gatehouse answered ${response.status} without JSON`);
    }
    if (!response.ok) {
      if (isErrorEnvelope(json)) throw new GatehouseError({ ...json, status_code: json.status_code ?? response.status, error_message: json.error_message ?? response.statusText });
      throw new GatehouseUnreachableError(`Gatehouse answered ${response.status}`);
    }
    return (json?.data ?? json) as T;
  }

  async #loadBootstrap(): Promise<void> {
    // A browser's Origin tells the server which vertical; without one (not a browser) the query does.
    const query = this.#b2b ? '?vertical=B2B' : '';
    const bootstrap = await this.#request<Bootstrap>('GET', `/projects/bootstrap/${encodeURIComponent(this.#options.publicToken)}${query}`);
    const policy = bootstrap.rbac_policy ?? null;
    const text = policy ? JSON.stringify(policy) : '';
    if (text !== this.#policyText) {
      this.#policyText = text;
      this.#persistence.write('bootstrap', { rbac_policy: policy, vertical: bootstrap.vertical, project_name: bootstrap.project_name });
      this.#setState({ policy, policyFresh: true });
    } else if (!this.#state.policyFresh) {
      this.#setState({ policyFresh: true });
    }
  }

  async #signIn(path: string, body: Record<string, unknown>): Promise<AuthenticateResponse> {
    const data = await this.#request<AuthenticateResponse>('POST', path, body);
    this.#takeSession(data);
    return data;
  }

  async #authenticateSession(): Promise<AuthenticateResponse | null> {
    if (!this.#persistence.readTokens()) {
      if (this.#state.status !== 'signed_out') this.#forgetSession();
      return null;
    }
    try {
      const data = await this.#request<AuthenticateResponse>('POST', this.#b2b ? '/b2b/sessions/authenticate' : '/sessions/authenticate', {});
      this.#takeSession(data);
      return data;
    } catch (error) {
      if (error instanceof GatehouseError && error.unrecoverable) {
        this.#forgetSession();
        return null;
      }
      throw error;
    }
  }

  async #signOut(): Promise<void> {
    const hadSession = this.#persistence.readTokens() !== null;
    try {
      if (hadSession) await this.#request('POST', this.#b2b ? '/b2b/sessions/revoke' : '/sessions/revoke', {});
    } catch (error) {
      if (!(error instanceof GatehouseError && error.unrecoverable)) {
        this.#forgetSession();
        throw error;
      }
    }
    this.#forgetSession();
  }

  async #fresh(): Promise<void> {
    if (Date.now() - this.#lastRefreshAt > this.#options.maxPolicyAgeMs || !this.#state.policyFresh) {
      await this.refresh().catch(() => undefined); // offline: answer from what is held
    }
  }

  // ——— state ———

  #takeSession(data: AuthenticateResponse): void {
    const session = ((this.#b2b ? data.member_session : data.session) ?? null) as Session | MemberSession | null;
    const stored: StoredState = {
      user: this.#b2b ? null : ((data.user ?? null) as User | null),
      session,
      member: this.#b2b ? ((data.member ?? null) as Member | null) : null,
      organization: this.#b2b ? ((data.organization ?? null) as Organization | null) : null,
    };
    if (!session || !data.session_token) {
      // A sign-in without a session (session_duration_minutes 0): nothing to keep.
      return;
    }
    this.#persistence.writeTokens({ session_token: data.session_token, session_jwt: data.session_jwt }, session.expires_at ?? null);
    if (this.#stream && this.#stream.token !== data.session_token) this.#stream.abort.abort();
    this.#wakeUp();
    const key = sessionKeyOf(stored);
    if (key === this.#sessionKey && this.#state.status === 'signed_in') return;
    this.#sessionKey = key;
    this.#persistence.write('state', stored);
    this.#setState({ ...stored, status: 'signed_in', roles: rolesOf(this.#options.vertical, stored.user, stored.session) });
  }

  #forgetSession(): void {
    this.#stream?.abort.abort();
    this.#persistence.clearTokens();
    this.#persistence.write('state', null);
    this.#sessionKey = '';
    this.#setState({ status: 'signed_out', user: null, session: null, member: null, organization: null, roles: EMPTY_ROLES });
  }

  #setState(change: Partial<ClientState>): void {
    const next = { ...this.#state, ...change, version: this.#state.version + 1 };
    if (change.roles && sameList(change.roles, this.#state.roles)) next.roles = this.#state.roles;
    this.#state = Object.freeze(next);
    for (const listener of [...this.#listeners]) listener();
  }

  /** The session's roles resolved against the compiled policy (+ the organization's custom roles). */
  #resolvedRoles(): ResolvedRoles | null {
    const { policy, organization, roles } = this.#state;
    if (!policy) return null;
    if (this.#compiled.policy !== policy || this.#compiled.organization !== organization) {
      const customRoles = this.#b2b ? (organization?.custom_roles ?? []) : [];
      this.#compiled = { policy, organization, compiled: compileWithCustomRoles(policy, customRoles) };
    }
    const compiled = this.#compiled.compiled!;
    if (this.#resolved.compiled !== compiled || this.#resolved.roles !== roles) {
      this.#resolved = { compiled, roles, resolved: resolveRoles(compiled, roles) };
    }
    return this.#resolved.resolved;
  }

  // ——— the change stream ———

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** While started: follows the signed-in session's stream, reconnecting with backoff (1 s … 30 s). */
  async #follow(): Promise<void> {
    let failures = 0;
    while (this.#started > 0) {
      const token = this.#persistence.readTokens()?.session_token;
      if (!token) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      const abort = new AbortController();
      this.#stream = { token, abort };
      let outcome: 'ready' | 'refused' | 'failed';
      try {
        outcome = await this.#readStream(token, abort.signal);
      } catch {
        outcome = 'failed';
      } finally {
        if (this.#stream?.abort === abort) this.#stream = null;
      }
      if (this.#started === 0) return;
      if (abort.signal.aborted) continue; // the session changed: follow the new one at once
      if (outcome === 'refused') {
        // The server no longer knows the session: authenticate says so for sure (and forgets it).
        await this.#authenticateSession().catch(() => undefined);
      }
      failures = outcome === 'ready' ? 0 : failures + 1;
      const delay = failures === 0 ? 250 : Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)) * (0.5 + Math.random() / 2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One connection: 'ready' when it was open (then ended), 'refused' for a 4xx, 'failed' otherwise. */
  async #readStream(token: string, signal: AbortSignal): Promise<'ready' | 'refused' | 'failed'> {
    const query = this.#b2b ? '?vertical=B2B' : '';
    const response = await this.#fetch(`${this.#options.baseUrl}/sdk/v1/sessions/events${query}`, {
      method: 'GET',
      credentials: 'include',
      headers: { authorization: `Basic ${btoa(`${this.#options.publicToken}:${token}`)}`, accept: 'text/event-stream' },
      signal,
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 400 && response.status < 500 && response.status !== 429 ? 'refused' : 'failed';
    }
    let opened = false;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          for (const line of block.split('\n')) if (line.startsWith('event:')) event = line.slice(6).trim();
          if (event === 'ready') opened = true;
          else if (event === 'session_revoked') {
            if (this.#persistence.readTokens()?.session_token === token) this.#forgetSession();
            return 'ready';
          } else if (event === 'roles_changed' || event === 'reset') {
            // A refresh already under way may have read before the change: one more after it.
            const running = this.#refreshing;
            const again = () => (this.#started > 0 ? this.refresh() : undefined);
            void Promise.resolve(running ? running.catch(() => undefined).then(again) : again()).catch(() => undefined);
          }
        }
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
    return opened ? 'ready' : 'failed';
  }

  // ——— timers and window events ———

  #schedule(delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.refresh()
        .catch(() => undefined)
        .finally(() => {
          if (this.#started > 0 && this.#timer === null) this.#schedule(this.#nextDelay());
        });
    }, delayMs);
  }

  /** The poll interval, or (polling off) shortly before the session JWT expires, at most 3 minutes. */
  #nextDelay(): number {
    if (this.#options.pollIntervalMs > 0) return this.#options.pollIntervalMs;
    const jwt = this.#persistence.readTokens()?.session_jwt;
    const exp = jwt ? jwtExpiry(jwt) : null;
    const untilExpiry = exp === null ? Infinity : exp * 1000 - Date.now() - 30_000;
    return Math.max(5_000, Math.min(180_000, untilExpiry));
  }

  #attachToWindow(): () => void {
    const w = globalThis as unknown as { addEventListener?: Window['addEventListener']; removeEventListener?: Window['removeEventListener'] };
    if (typeof w.addEventListener !== 'function') return () => undefined;
    const onFocus = () => this.#schedule(0);
    const onStorage = (event: StorageEvent) => {
      if (event.key === this.#persistence.storageKey('state')) this.#schedule(0);
    };
    w.addEventListener('focus', onFocus);
    w.addEventListener('storage', onStorage);
    return () => {
      w.removeEventListener?.('focus', onFocus);
      w.removeEventListener?.('storage', onStorage);
    };
  }
}

export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  return new GatehouseClient(options);
}

function rolesOf(vertical: Vertical, user: User | null, session: Session | MemberSession | null): readonly string[] {
  // As Stytch's SDK: consumer checks read user.roles, B2B checks the member session's roles.
  const roles = vertical === 'b2b' ? (session as MemberSession | null)?.roles : user?.roles;
  return Array.isArray(roles) ? Object.freeze(roles.filter((role): role is string => typeof role === 'string')) : EMPTY_ROLES;
}

/** What identifies a session's content, without the fields every authenticate call moves on. */
function sessionKeyOf(stored: StoredState): string {
  const session = stored.session ? { ...stored.session, last_accessed_at: undefined, expires_at: undefined } : null;
  return JSON.stringify([stored.user, session, stored.member, stored.organization]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function safeGlobal<T>(read: () => T | undefined): T | null {
  try {
    return read() ?? null;
  } catch {
    return null;
  }
}
