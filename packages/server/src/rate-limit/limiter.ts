// Request rate limits shared by every server process: fixed-window counters in the database, one
// upsert per request for all the keys the request counts against. A credential endpoint puts
// `limiter.credentialEndpoint(...)` in its route options; that counts the request against the
// caller's IP and, when the body names one, against the identifier (email), and answers 429
// too_many_requests with Retry-After once either is over its limit.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../shared/clock.ts';
import type { RateLimitRule, ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { SqlExecutor } from '../store/database.ts';

export type { RateLimitRule };
/** perIp: per project and caller IP, across every credential endpoint. perIdentifier: per project and email, case-insensitive. */
export type CredentialRateLimits = ServerConfig['rateLimits'];

export interface RateLimitHit {
  /** Names the counter family; two hits with the same rule name and subject share a counter. */
  name: string;
  rule: RateLimitRule;
  subject: string;
}

const SWEEP_INTERVAL_MS = 60_000;

export class RateLimiter {
  readonly #db: SqlExecutor;
  readonly #clock: Clock;
  readonly #limits: CredentialRateLimits;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(db: SqlExecutor, clock: Clock, limits: CredentialRateLimits) {
    this.#db = db;
    this.#clock = clock;
    this.#limits = limits;
    this.#sweepTimer = setInterval(() => void this.sweep().catch(() => {}), SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
  }

  close(): void {
    clearInterval(this.#sweepTimer);
  }

  /**
   * A Fastify preHandler for a credential endpoint: counts the request against the caller's IP and,
   * when `identifierOf` finds one in the request (e.g. `(body) => body.email`), against that
   * identifier (a GET's is in `request`, the second argument; several, as an array, each counted —
   * e.g. a member and the phone number given). Runs after the body is validated, so `identifierOf` sees the typed body. Counters
   * are per project; `scope` names another space for routes that belong to no project (admins).
   */
  credentialEndpoint(identifierOf?: (body: any, request: FastifyRequest) => unknown, scope?: string) {
    return this.requestLimit((request) => {
      const space = scope ?? request.projectId;
      const hits: RateLimitHit[] = [{ name: 'ip', rule: this.#limits.perIp, subject: `${space}\n${request.ip}` }];
      const found = identifierOf?.(request.body ?? {}, request);
      for (const identifier of new Set(Array.isArray(found) ? found : [found])) {
        if (typeof identifier === 'string' && identifier.trim() !== '') {
          hits.push({ name: 'identifier', rule: this.#limits.perIdentifier, subject: `${space}\n${identifier.trim().toLowerCase()}` });
        }
      }
      return hits;
    });
  }

  /**
   * A Fastify preHandler that counts the request against the hits `hitsOf` names and answers 429
   * too_many_requests with Retry-After once any is over its limit.
   */
  requestLimit(hitsOf: (request: FastifyRequest) => RateLimitHit[]) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const retryAfterSeconds = await this.consume(hitsOf(request));
      if (retryAfterSeconds !== null) {
        void reply.header('retry-after', String(retryAfterSeconds));
        throw new GatehouseError('too_many_requests', { params: { retry_after_seconds: retryAfterSeconds } });
      }
    };
  }

  /**
   * Counts one request against every hit. Returns null when all are within their limits, else the
   * seconds until the last exceeded window ends (what Retry-After says).
   */
  async consume(hits: RateLimitHit[]): Promise<number | null> {
    const nowMs = this.#clock.now().getTime();
    const counted = new Map<string, { hit: RateLimitHit; windowStart: number; windowEnd: number }>();
    for (const hit of hits) {
      if (hit.rule.max <= 0) continue;
      const windowMs = hit.rule.windowSeconds * 1000;
      const windowStart = Math.floor(nowMs / windowMs) * windowMs;
      const key = createHash('sha256').update(`${hit.name}\n${hit.rule.windowSeconds}\n${hit.subject}`).digest('base64url');
      counted.set(key, { hit, windowStart, windowEnd: windowStart + windowMs });
    }
    if (counted.size === 0) return null;
    const entries = [...counted];
    const { rows } = await this.#db.query<{ key: string; count: number }>(
      `INSERT INTO rate_limit_counters AS c (key, window_start, count, expires_at)
       SELECT k, w, 1, e FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS t(k, w, e)
       ON CONFLICT (key) DO UPDATE
         SET count = CASE WHEN c.window_start = EXCLUDED.window_start THEN c.count + 1 ELSE 1 END,
             window_start = EXCLUDED.window_start,
             expires_at = EXCLUDED.expires_at
       RETURNING key, count`,
      [entries.map(([key]) => key), entries.map(([, v]) => new Date(v.windowStart)), entries.map(([, v]) => new Date(v.windowEnd))],
    );
    let retryAfterMs: number | null = null;
    for (const row of rows) {
      const entry = counted.get(row.key);
      if (!entry || row.count <= entry.hit.rule.max) continue;
      retryAfterMs = Math.max(retryAfterMs ?? 0, entry.windowEnd - nowMs);
    }
    return retryAfterMs === null ? null : Math.max(1, Math.ceil(retryAfterMs / 1000));
  }

  /** Deletes counters whose window has ended. */
  async sweep(): Promise<void> {
    await this.#db.query('DELETE FROM rate_limit_counters WHERE expires_at < $1', [this.#clock.now()]);
  }
}
