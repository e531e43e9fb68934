// The sessions table and its cache: live sessions by token hash (bounded, dropped on the change
// feed), the SQL that reads and writes them, and last-access times written in batches once a second
// rather than once per request. A batch that fails to write is logged (redacted: see http/log.ts).
import { mergeClaims } from '../claims/template.ts';
import crypto, { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { Metadata } from '../shared/metadata.ts';
import { BoundedCache } from '../shared/bounded-cache.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

const MAX_CACHED_SESSIONS = 100_000;

export interface AuthenticationFactor {
  type: string;
  delivery_method: string;
  last_authenticated_at: string;
  created_at: string;
  updated_at: string;
  [factor: `${string}_factor`]: unknown;
}

export interface SessionRecord {
  session_id: string;
  project_id: string;
  /** The consumer user, or null for a member session. */
  user_id: string | null;
  /** The B2B member and its organization, or null for a user session. */
  member_id: string | null;
  organization_id: string | null;
  started_at: Date;
  last_accessed_at: Date;
  expires_at: Date;
  authentication_factors: AuthenticationFactor[];
  custom_claims: Metadata;
  attributes: { ip_address: string; user_agent: string };
}

/** A cached live session, with the JWT last minted for it (see SessionJwts.jwtFor). */
export interface CachedSession {
  record: SessionRecord;
  jwt?: { token: string; mintedAt: number; rolesKey: string };
}

export type SessionKind = 'user' | 'member';

/** Where the failed batch of last-access times is reported: the server's logger (pino's signature). */
export interface ErrorLog {
  error(details: object, message: string): void;
}

// crypto.hash (Node ≥ 20.12) digests without making a Hash object: half the cost, on every
// sessions/authenticate with a token.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

export function hashToken(token: string): string {
  return oneShotHash ? oneShotHash('sha256', token, 'base64url') : createHash('sha256').update(token).digest('base64url');
}

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The session if it is live and of this project and kind. Another project's session, or a member's
 * where a user's is expected (and the other way round), is indistinguishable from no session.
 */
export function requireLive(cached: CachedSession | null, projectId: string, kind: SessionKind, now: Date): CachedSession {
  if (
    !cached ||
    cached.record.project_id !== projectId ||
    (kind === 'user') !== (cached.record.user_id !== null) ||
    cached.record.expires_at.getTime() <= now.getTime()
  ) {
    throw new GatehouseError('session_not_found');
  }
  return cached;
}

interface SessionRow extends SessionRecord {
  revoked_at: Date | null;
}

const SESSION_COLUMNS = `session_id, project_id, user_id, member_id, organization_id, started_at, last_accessed_at, expires_at, revoked_at,
  authentication_factors, custom_claims, attributes`;

/** A deleted member's live sessions end, in the caller's transaction. */
export async function revokeAllOfMember(tx: SqlExecutor, memberId: string, at: Date): Promise<void> {
  await tx.query('UPDATE sessions SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL', [memberId, at]);
}

export class SessionStore {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #log: ErrorLog;
  /** token hash → live session. */
  readonly #byToken: BoundedCache<string, CachedSession | null>;
  /** session_id → token hash, for the change feed (which names sessions) and JWTs (which carry the id). */
  readonly #tokenOfSession = new Map<string, string>();
  /** Sessions whose last_accessed_at moved; written in batches rather than once per request. */
  readonly #touched = new Map<string, Date>();
  readonly #flushTimer: NodeJS.Timeout;

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock, log: ErrorLog) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    this.#log = log;
    this.#byToken = new BoundedCache({
      max: MAX_CACHED_SESSIONS,
      // No session for a token is not kept: guessed tokens must not fill memory.
      keep: (entry) => entry !== null,
      onEvict: (_tokenHash, evicted) => evicted && this.#tokenOfSession.delete(evicted.record.session_id),
    });
    feed.on(
      (event) => {
        if (event.type === 'session') this.forget(event.session_id);
      },
      () => {
        this.#byToken.clear();
        this.#tokenOfSession.clear();
      },
    );
    this.#flushTimer = setInterval(() => void this.#flushLogged(), 1000);
    this.#flushTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#flushTimer);
    await this.flush();
  }

  /** Writes the last-access times gathered since the last flush. */
  async flush(): Promise<void> {
    if (this.#touched.size === 0) return;
    const batch = [...this.#touched];
    this.#touched.clear();
    await this.#db.query(
      `UPDATE sessions s SET last_accessed_at = GREATEST(s.last_accessed_at, t.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at) WHERE s.session_id = t.id`,
      [batch.map(([id]) => id), batch.map(([, at]) => at)],
    );
  }

  /** The timer's flush: a failure loses these access times (the next access notes them again) and is logged. */
  async #flushLogged(): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      this.#log.error({ err: error }, 'writing last-access times of sessions failed');
    }
  }

  /** Notes an access, written with the next batch. */
  touch(record: SessionRecord, now: Date): void {
    record.last_accessed_at = now;
    this.#touched.set(record.session_id, now);
  }

  /** The cached live session a token hash names, or undefined when it must be read. */
  cachedByToken(tokenHash: string): CachedSession | undefined {
    return this.#byToken.get(tokenHash) ?? undefined;
  }

  cachedById(sessionId: string): CachedSession | undefined {
    const tokenHash = this.#tokenOfSession.get(sessionId);
    return tokenHash === undefined ? undefined : (this.#byToken.get(tokenHash) ?? undefined);
  }

  /** The unrevoked session a token hash names, from memory or read once however many ask at a time. */
  byToken(tokenHash: string): CachedSession | null | Promise<CachedSession | null> {
    return this.#byToken.load(tokenHash, () => this.#readByToken(tokenHash));
  }

  /** The unrevoked session with this id, from memory or read. */
  byId(sessionId: string): CachedSession | Promise<CachedSession | null> {
    return this.cachedById(sessionId) ?? this.#readById(sessionId);
  }

  async #readByToken(tokenHash: string): Promise<CachedSession | null> {
    const { rows } = await this.#db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL`,
      [Buffer.from(tokenHash, 'base64url')],
    );
    const row = rows[0];
    if (!row) return null;
    const { revoked_at: _revoked, ...record } = row;
    this.#tokenOfSession.set(record.session_id, tokenHash);
    return { record };
  }

  async #readById(sessionId: string): Promise<CachedSession | null> {
    const { rows } = await this.#db.query<SessionRow & { token_hash: Uint8Array }>(
      `SELECT ${SESSION_COLUMNS}, token_hash FROM sessions WHERE session_id = $1 AND revoked_at IS NULL`,
      [sessionId],
    );
    const row = rows[0];
    if (!row) return null;
    const { revoked_at: _revoked, token_hash, ...record } = row;
    return this.remember(Buffer.from(token_hash).toString('base64url'), { record });
  }

  /** A new session; `token` is given to the caller once, only its hash is stored. */
  async insert(record: SessionRecord, token: string): Promise<void> {
    const tokenHash = hashToken(token);
    await this.#db.query(
      `INSERT INTO sessions (session_id, project_id, user_id, member_id, organization_id, token_hash, started_at, last_accessed_at,
                             expires_at, authentication_factors, custom_claims, attributes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11)`,
      [record.session_id, record.project_id, record.user_id, record.member_id, record.organization_id, Buffer.from(tokenHash, 'base64url'),
        record.started_at, record.expires_at, JSON.stringify(record.authentication_factors), JSON.stringify(record.custom_claims),
        JSON.stringify(record.attributes)],
    );
    this.remember(tokenHash, { record });
  }

  /** Writes a new expiry, claims or factors; returns the new record (a record is never changed in place but for its access time). */
  async update(
    record: SessionRecord,
    change: { expires_at?: Date; custom_claims?: Metadata; authentication_factors?: AuthenticationFactor[] },
  ): Promise<SessionRecord> {
    const now = this.#clock.now();
    const next: SessionRecord = {
      ...record,
      last_accessed_at: now,
      expires_at: change.expires_at ?? record.expires_at,
      // Stytch's rule: the given claims update the session's (a null deletes its key), nested objects alike.
      custom_claims: change.custom_claims ? mergeClaims(record.custom_claims, change.custom_claims) : record.custom_claims,
      authentication_factors: change.authentication_factors ?? record.authentication_factors,
    };
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        `UPDATE sessions SET last_accessed_at = $2, expires_at = $3, custom_claims = $4, authentication_factors = $5
          WHERE session_id = $1 AND revoked_at IS NULL`,
        [record.session_id, now, next.expires_at, JSON.stringify(next.custom_claims), JSON.stringify(next.authentication_factors)],
      );
      if (rowCount === 0) throw new GatehouseError('session_not_found');
      emit({ type: 'session', project_id: record.project_id, session_id: record.session_id });
    });
    return next;
  }

  /** Revokes one session of the project; session_not_found when it is not live. */
  async revoke(projectId: string, sessionId: string): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        'UPDATE sessions SET revoked_at = $3 WHERE project_id = $1 AND session_id = $2 AND revoked_at IS NULL',
        [projectId, sessionId, this.#clock.now()],
      );
      if (rowCount === 0) throw new GatehouseError('session_not_found');
      emit({ type: 'session', project_id: projectId, session_id: sessionId, revoked: true });
    });
  }

  /** Revokes a member's sessions, or only `sessionId` of them; session_not_found when that one is not live. */
  async revokeOfMember(projectId: string, memberId: string, sessionId: string | undefined): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<{ session_id: string }>(
        `UPDATE sessions SET revoked_at = $4 WHERE project_id = $1 AND member_id = $2 AND revoked_at IS NULL
            AND ($3::text IS NULL OR session_id = $3) RETURNING session_id`,
        [projectId, memberId, sessionId ?? null, this.#clock.now()],
      );
      if (rows.length === 0 && sessionId !== undefined) throw new GatehouseError('session_not_found');
      for (const row of rows) emit({ type: 'session', project_id: projectId, session_id: row.session_id, revoked: true });
    });
  }

  /** Whose live member session this is, or undefined. */
  async memberOfSession(projectId: string, sessionId: string): Promise<{ member_id: string; organization_id: string } | undefined> {
    const { rows } = await this.#db.query<{ member_id: string; organization_id: string }>(
      'SELECT member_id, organization_id FROM sessions WHERE project_id = $1 AND session_id = $2 AND member_id IS NOT NULL AND revoked_at IS NULL',
      [projectId, sessionId],
    );
    return rows[0];
  }

  /** The live sessions of a user or a member. */
  async listLive(projectId: string, owner: { user_id: string } | { member_id: string }): Promise<SessionRecord[]> {
    const [column, id] = 'user_id' in owner ? ['user_id', owner.user_id] : ['member_id', owner.member_id];
    const { rows } = await this.#db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE project_id = $1 AND ${column} = $2 AND revoked_at IS NULL AND expires_at > $3 ORDER BY started_at, session_id`,
      [projectId, id, this.#clock.now()],
    );
    return rows;
  }

  /** Keeps `entry` for its token hash, unless that session is kept already (its minted JWT with it); returns the one kept. */
  remember(tokenHash: string, entry: CachedSession): CachedSession {
    const kept = this.#byToken.get(tokenHash);
    if (kept) return kept;
    this.#byToken.set(tokenHash, entry);
    this.#tokenOfSession.set(entry.record.session_id, tokenHash);
    return entry;
  }

  forget(sessionId: string): void {
    const tokenHash = this.#tokenOfSession.get(sessionId);
    if (tokenHash !== undefined) this.#byToken.delete(tokenHash);
    this.#tokenOfSession.delete(sessionId);
  }
}
