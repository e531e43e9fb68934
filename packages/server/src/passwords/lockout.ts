// The one lockout of every password sign-in — users, members and dashboard admins: GATEHOUSE_LOCKOUT_
// ATTEMPTS wrong passwords within GATEHOUSE_LOCKOUT_WINDOW_MINUTES lock the account for
// GATEHOUSE_LOCKOUT_MINUTES; even the right password then fails. A lock ends with time or when the
// password is set again (reset).
//
// Equal work: an address that names no account (or an account without a password) keeps a failure
// counter too, in unknown_identifier_lockouts under a SHA-256 of its kind, space and normalized
// address, through the same statement — so a failure costs one upsert whether or not the account
// exists, and a locked account writes as an unlocked one does (its counter stays as it is).
import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import type { LockoutConfig } from '../shared/config.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

/** Each kind's lockout table and the column that names the subject in it. */
export const LOCKOUT_TABLES = {
  user: { table: 'user_lockouts', id: 'user_id' },
  member: { table: 'member_lockouts', id: 'member_id' },
  admin: { table: 'admin_lockouts', id: 'admin_id' },
  unknown: { table: 'unknown_identifier_lockouts', id: 'identifier_hash' },
} as const;

export type LockoutKind = keyof typeof LOCKOUT_TABLES;

/** Whose failure it is: an account (its kind and id) or an identifier nobody has (`unknownIdentifier`). */
export interface LockoutSubject {
  kind: LockoutKind;
  key: string;
  /** The project, or null for admins (they belong to none). */
  projectId: string | null;
  /** Announced when this failure locks the account (cached records show the lock). */
  changed?: ChangeEvent;
}

/** Sweeps counters of unknown identifiers whose window and lock are over. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

export class Lockout {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #config: LockoutConfig;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; clock: Clock; config: LockoutConfig }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#clock = deps.clock;
    this.#config = deps.config;
    this.#sweepTimer = setInterval(() => void this.sweep().catch(() => {}), SWEEP_INTERVAL_MS);
    this.#sweepTimer.unref();
  }

  close(): void {
    clearInterval(this.#sweepTimer);
  }

  /**
   * The subject for an identifier that names no account: `space` is what the identifier is unique
   * in (project, or project and organization); `identifier` is already normalized. Only a hash is kept.
   */
  static unknownIdentifier(kind: Exclude<LockoutKind, 'unknown'>, space: string, identifier: string, projectId: string | null): LockoutSubject {
    const key = createHash('sha256').update(`${kind}\n${space}\n${identifier}`).digest('base64url');
    return { kind: 'unknown', key, projectId };
  }

  isLocked(lockExpiresAt: Date | null): boolean {
    return lockExpiresAt !== null && lockExpiresAt.getTime() > this.#clock.now().getTime();
  }

  /**
   * One more failure in the current window; the one that reaches the limit locks the subject.
   * While a lock holds, the counter is written back unchanged: a lock never grows by failing more.
   */
  async recordFailure(subject: LockoutSubject): Promise<void> {
    const { attempts, windowMinutes, lockMinutes } = this.#config;
    if (attempts <= 0) return;
    const { table, id } = LOCKOUT_TABLES[subject.kind];
    const now = this.#clock.now();
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<{ failed_attempts: number; locked: boolean }>(
        `INSERT INTO ${table} AS l (${id}, project_id, failed_attempts, window_started_at) VALUES ($1, $2, 1, $3)
         ON CONFLICT (${id}) DO UPDATE
           SET failed_attempts = CASE WHEN l.lock_expires_at > $3 THEN l.failed_attempts
                                      WHEN l.window_started_at <= $4 THEN 1 ELSE l.failed_attempts + 1 END,
               window_started_at = CASE WHEN l.lock_expires_at > $3 OR l.window_started_at > $4 THEN l.window_started_at ELSE $3 END
         RETURNING failed_attempts, COALESCE(lock_expires_at > $3, false) AS locked`,
        [subject.key, subject.projectId, now, new Date(now.getTime() - windowMinutes * 60_000)],
      );
      const row = rows[0];
      if (!row || row.locked || row.failed_attempts < attempts) return;
      await tx.query(
        `UPDATE ${table} SET failed_attempts = 0, window_started_at = $2, lock_created_at = $2, lock_expires_at = $3 WHERE ${id} = $1`,
        [subject.key, now, new Date(now.getTime() + lockMinutes * 60_000)],
      );
      if (subject.changed) emit(subject.changed);
    });
  }

  /** Forgets an account's failures and lifts its lock (a successful sign-in, a new password). */
  async clear(executor: SqlExecutor, kind: Exclude<LockoutKind, 'unknown'>, subjectId: string): Promise<void> {
    const { table, id } = LOCKOUT_TABLES[kind];
    await executor.query(`DELETE FROM ${table} WHERE ${id} = $1`, [subjectId]);
  }

  /** Deletes counters of unknown identifiers whose window has passed and whose lock (if any) is over. */
  async sweep(): Promise<void> {
    const now = this.#clock.now();
    await this.#db.query(
      `DELETE FROM unknown_identifier_lockouts
        WHERE window_started_at <= $2 AND (lock_expires_at IS NULL OR lock_expires_at <= $1)`,
      [now, new Date(now.getTime() - this.#config.windowMinutes * 60_000)],
    );
  }
}
