// The SDK's copy of the project's policies, kept current from the server's change stream
// (GET /v1/rbac/policy/changes, server-sent events) and by polling while the stream is down. Checks
// read the compiled policies synchronously: no network call on the hot path.
import { compilePolicy, compileScopes, compileWithCustomRoles, POLICY_RULES, type CompiledPolicy, type Policy, type PolicyKind, type Role } from '@gatehouse/policy';
import { parseResponse, type Transport } from './request.ts';

export type { PolicyKind };

export interface PolicyCacheOptions {
  /** Follow the change stream (default true). Off: polling only. */
  stream?: boolean;
  /** How often to refetch while the stream is down (or off); default 30 s. */
  poll_interval_ms?: number;
  /** First reconnect delay, doubled up to 30 s; default 500 ms. */
  reconnect_delay_ms?: number;
}

/**
 * How fresh a local JWT decision must be. `'default'`: as Stytch — a JWT is trusted until it
 * expires, except that a role change or session revocation seen on the change stream sends that
 * subject's or session's older JWTs to the server. `'strict'`: besides, a JWT is decided locally
 * only while the stream is connected and only if issued after the stream connected (a change made
 * while it was down could not have been seen); otherwise the server decides.
 */
export type Freshness = 'default' | 'strict';

interface Loaded<T> {
  value: T;
  version: number;
}

/** How long a subject's role change matters: past it, every JWT issued before it has expired. */
const STALE_MEMORY_MS = 10 * 60_000;
const MAX_RECONNECT_DELAY_MS = 30_000;

export class PolicyCache {
  readonly #transport: Transport;
  readonly #streamEnabled: boolean;
  readonly #pollIntervalMs: number;
  readonly #reconnectDelayMs: number;
  readonly #policies = new Map<PolicyKind, Loaded<{ policy: Policy; compiled: CompiledPolicy }>>();
  /** B2B organization id → its custom roles. */
  readonly #orgRoles = new Map<string, Role[]>();
  /** B2B organization id → the project policy with its custom roles, compiled (dropped on any change to either). */
  readonly #orgCompiled = new Map<string, CompiledPolicy>();
  readonly #pending = new Map<string, Promise<void>>();
  /** A loaded policy → its scopes compiled (M2M checks); a reload makes a new entry. */
  readonly #scopesCompiled = new WeakMap<object, CompiledPolicy>();
  /** user_id / member_id → when its roles last changed (ms, server clock). */
  readonly #changedAt = new Map<string, number>();
  /** session_id → when it was changed (its JWTs issued before are out of date), ms, server clock. */
  readonly #sessionChangedAt = new Map<string, number>();
  /** session_id → when it was revoked. */
  readonly #revokedAt = new Map<string, number>();
  /** When the connected stream's changes start (its ready event's `at`, server clock); undefined: not connected. */
  #connectedSince: number | undefined;
  /** Every JWT issued before this is stale (notifications may have been missed). */
  #allChangedAt = 0;
  #started = false;
  #closed = false;
  #connected = false;
  #abort: AbortController | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  readonly #listeners = new Set<(event: { kind: string; [field: string]: unknown }) => void>();

  constructor(transport: Transport, options: PolicyCacheOptions = {}) {
    this.#transport = transport;
    this.#streamEnabled = options.stream ?? true;
    this.#pollIntervalMs = options.poll_interval_ms ?? 30_000;
    this.#reconnectDelayMs = options.reconnect_delay_ms ?? 500;
  }

  /** Whether the change stream is connected now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The loaded version of a policy, or undefined. */
  version(kind: PolicyKind): number | undefined {
    return this.#policies.get(kind)?.version;
  }

  /** Called with every change-stream event (for tests and metrics). Returns the unsubscribe. */
  onEvent(listener: (event: { kind: string; [field: string]: unknown }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The compiled policy, loaded: synchronously when it is (the hot path), else after fetching it. */
  compiled(kind: PolicyKind, organizationId?: string): CompiledPolicy | Promise<CompiledPolicy> {
    this.#start();
    const loaded = this.#policies.get(kind);
    if (loaded === undefined) return this.#load(kind).then(() => this.compiled(kind, organizationId));
    if (kind === 'consumer' || organizationId === undefined) return loaded.value.compiled;
    const compiled = this.#orgCompiled.get(organizationId);
    if (compiled !== undefined) return compiled;
    const roles = this.#orgRoles.get(organizationId);
    if (roles === undefined) return this.#loadOrganization(organizationId).then(() => this.compiled(kind, organizationId));
    const combined = roles.length === 0 ? loaded.value.compiled : compileWithCustomRoles(loaded.value.policy, roles);
    this.#orgCompiled.set(organizationId, combined);
    return combined;
  }

  /** The policy's `scopes` compiled for checks of M2M tokens (compileScopes): synchronously when loaded. */
  compiledScopes(kind: PolicyKind): CompiledPolicy | Promise<CompiledPolicy> {
    this.#start();
    const loaded = this.#policies.get(kind);
    if (loaded === undefined) return this.#load(kind).then(() => this.compiledScopes(kind));
    let compiled = this.#scopesCompiled.get(loaded.value);
    if (compiled === undefined) {
      compiled = compileScopes(loaded.value.policy, POLICY_RULES[kind]);
      this.#scopesCompiled.set(loaded.value, compiled);
    }
    return compiled;
  }

  /** Whether the subject's roles changed after `issuedAtSeconds` (a JWT's iat): its roles claim may be out of date. */
  isStale(subjectId: string, issuedAtSeconds: number): boolean {
    const issuedAt = issuedAtSeconds * 1000;
    if (issuedAt <= this.#allChangedAt) return true;
    const changed = this.#changedAt.get(subjectId);
    return changed !== undefined && issuedAt <= changed;
  }

  /** Whether the session was revoked (as the change stream announced). */
  isRevoked(sessionId: string): boolean {
    return this.#revokedAt.has(sessionId);
  }

  /** Whether the session changed after `issuedAtSeconds` (its claims or expiry: the JWT may be out of date). */
  isSessionStale(sessionId: string, issuedAtSeconds: number): boolean {
    const changed = this.#sessionChangedAt.get(sessionId);
    return changed !== undefined && issuedAtSeconds * 1000 <= changed;
  }

  /**
   * Strict freshness: whether a JWT issued at `issuedAtSeconds` can be decided locally — the stream
   * is connected and was already when the JWT was issued, so any change since would have been seen.
   */
  isFollowing(issuedAtSeconds: number): boolean {
    this.#start();
    return this.#connected && this.#connectedSince !== undefined && issuedAtSeconds * 1000 > this.#connectedSince;
  }

  /** Stops the stream and the polling. */
  close(): void {
    this.#closed = true;
    this.#abort?.abort();
    this.#stopPolling();
  }

  /** Refetches every loaded policy (what polling does). */
  async refresh(): Promise<void> {
    await Promise.all([
      ...[...this.#policies.keys()].map((kind) => this.#load(kind)),
      ...[...this.#orgRoles.keys()].map((id) => this.#loadOrganization(id)),
    ]);
  }

  #start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    if (this.#streamEnabled) void this.#follow();
    else this.#startPolling();
  }

  /** Fetches once at a time per key. */
  #once(key: string, work: () => Promise<void>): Promise<void> {
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = work().finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  #load(kind: PolicyKind): Promise<void> {
    return this.#once(kind, async () => {
      const path = kind === 'consumer' ? '/v1/rbac/policy' : '/v1/b2b/rbac/policy';
      const { policy, policy_version } = await this.#transport.call<{ policy: Policy; policy_version: number }>('GET', path);
      const current = this.#policies.get(kind);
      if (current && current.version > policy_version) return; // a newer one arrived meanwhile
      // The served policy lists the built-in resources, so it compiles as the server compiles it.
      this.#policies.set(kind, { value: { policy, compiled: compilePolicy(policy) }, version: policy_version });
      if (kind === 'b2b') this.#orgCompiled.clear();
    });
  }

  #loadOrganization(organizationId: string): Promise<void> {
    return this.#once(`org:${organizationId}`, async () => {
      const body = await this.#transport.call<{ org_policy: { roles: Role[] } }>('GET', '/v1/b2b/rbac/organizations/{organization_id}', {
        organization_id: organizationId,
      });
      this.#orgRoles.set(organizationId, Array.isArray(body.org_policy?.roles) ? body.org_policy.roles : []);
      this.#orgCompiled.delete(organizationId);
    });
  }

  #handle(event: { kind: string; [field: string]: unknown }): void {
    switch (event.kind) {
      case 'ready':
      case 'reset': {
        // Changes may have been missed while disconnected: refetch whatever differs or may differ.
        if (event.kind === 'reset') this.#allChangedAt = Number(event.at);
        // A reset (the server missed notifications) counts as a reconnection for strict freshness.
        this.#connectedSince = Number(event.at);
        for (const kind of ['consumer', 'b2b'] as const) {
          const version = event.kind === 'ready' ? Number(event[`${kind}_version`]) : undefined;
          if (this.#policies.has(kind) && this.version(kind) !== version) void this.#load(kind).catch(() => {});
        }
        for (const id of this.#orgRoles.keys()) void this.#loadOrganization(id).catch(() => {});
        break;
      }
      case 'consumer':
      case 'b2b':
        if (this.#policies.has(event.kind) && (this.version(event.kind) ?? -1) < Number(event.version)) void this.#load(event.kind).catch(() => {});
        break;
      case 'organization': {
        const id = String(event.organization_id);
        if (this.#orgRoles.has(id)) void this.#loadOrganization(id).catch(() => {});
        break;
      }
      case 'member':
      case 'user':
        this.#subjectChanged(String(event.kind === 'member' ? event.member_id : event.user_id), Number(event.at));
        break;
      case 'session':
        this.#remember(event.revoked === true ? this.#revokedAt : this.#sessionChangedAt, String(event.session_id), Number(event.at));
        break;
    }
    for (const listener of this.#listeners) listener(event);
  }

  #subjectChanged(subjectId: string, at: number): void {
    this.#remember(this.#changedAt, subjectId, at);
  }

  /** Notes when `id` changed; entries past every JWT's lifetime are dropped once the map grows. */
  #remember(map: Map<string, number>, id: string, at: number): void {
    map.set(id, Math.max(at, map.get(id) ?? 0));
    if (map.size > 10_000) {
      for (const [key, changed] of map) if (changed < at - STALE_MEMORY_MS) map.delete(key);
    }
  }

  /** Follows the change stream, reconnecting with backoff; polls while it is down. */
  async #follow(): Promise<void> {
    let delay = this.#reconnectDelayMs;
    while (!this.#closed) {
      try {
        await this.#readStream(() => {
          delay = this.#reconnectDelayMs;
          this.#connected = true;
          this.#stopPolling();
        });
      } catch {
        // down: poll until the next connection
      }
      this.#connected = false;
      this.#connectedSince = undefined;
      if (this.#closed) break;
      this.#startPolling();
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    }
  }

  async #readStream(onOpen: () => void): Promise<void> {
    this.#abort = new AbortController();
    const response = await this.#transport.fetch(`${this.#transport.baseUrl}/v1/rbac/policy/changes`, {
      headers: { authorization: this.#transport.authorization, accept: 'text/event-stream' },
      signal: this.#abort.signal,
    });
    if (response.status !== 200 || !response.body) {
      await parseResponse(response); // throws the server's error
      throw new Error(`change stream answered ${response.status}`);
    }
    onOpen();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) this.#handle(JSON.parse(data));
      }
    }
  }

  #startPolling(): void {
    if (this.#pollTimer || this.#closed) return;
    this.#pollTimer = setInterval(() => void this.refresh().catch(() => {}), this.#pollIntervalMs);
    this.#pollTimer.unref();
  }

  #stopPolling(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }
}
