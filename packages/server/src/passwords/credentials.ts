// Password credentials of one kind of subject — consumer users (user_passwords, user_lockouts) or
// B2B members (member_passwords, member_lockouts): the two pairs of tables have the same shape and
// the same rules. Here is what both share: storing a password, verifying one with vague failures
// and dummy work, counting failures toward the lockout, and replacing a migrated or outdated hash
// with argon2id at the first successful sign-in.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Environment, LockoutConfig } from '../config.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { hashPassword, needsRehash, verifyDummy, verifyPassword, type StoredHash } from './hashing.ts';

/** The tables of one kind of subject. */
export interface CredentialTables {
  passwords: 'user_passwords' | 'member_passwords';
  lockouts: 'user_lockouts' | 'member_lockouts';
  /** The subject's id column in both. */
  id: 'user_id' | 'member_id';
  newPasswordId(environment: Environment): string;
}

export const USER_CREDENTIALS: CredentialTables = {
  passwords: 'user_passwords',
  lockouts: 'user_lockouts',
  id: 'user_id',
  newPasswordId: (environment) => `password-${environment}-${randomUUID()}`,
};

export const MEMBER_CREDENTIALS: CredentialTables = {
  passwords: 'member_passwords',
  lockouts: 'member_lockouts',
  id: 'member_id',
  newPasswordId: (environment) => newId('member-password', environment),
};

/** A subject's password and lockout state, as `columns`/`joins` select them. */
export interface CredentialState {
  password_id: string | null;
  hash_type: StoredHash['hash_type'] | null;
  hash: string | null;
  hash_config: StoredHash['hash_config'];
  lock_expires_at: Date | null;
  has_failures: boolean;
}

/** The one answer to every failed sign-in. */
export function badCredentials(): GatehouseError {
  return new GatehouseError('unauthorized_credentials', { message: 'The email address and password do not match an account that may sign in.' });
}

export class PasswordCredentials {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #lockout: LockoutConfig;
  readonly #t: CredentialTables;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; clock: Clock; lockout: LockoutConfig }, tables: CredentialTables) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#clock = deps.clock;
    this.#lockout = deps.lockout;
    this.#t = tables;
  }

  /** The CredentialState columns, for a query that has `joins(alias)`. */
  get columns(): string {
    return `p.password_id, p.hash_type, p.hash, p.hash_config, l.lock_expires_at, (l.${this.#t.id} IS NOT NULL) AS has_failures`;
  }

  /** Joins the subject's password (p) and lockout (l) to the subject's table aliased `alias`. */
  joins(alias: string): string {
    const { passwords, lockouts, id } = this.#t;
    return `LEFT JOIN ${passwords} p ON p.${id} = ${alias}.${id} LEFT JOIN ${lockouts} l ON l.${id} = ${alias}.${id}`;
  }

  /**
   * Inside a transaction: sets the subject's password (keeping its password_id if it had one) and
   * lifts any lockout. The caller emits the subject's change.
   */
  async store(tx: SqlExecutor, projectId: string, environment: Environment, subjectId: string, stored: StoredHash): Promise<void> {
    const { passwords, lockouts, id } = this.#t;
    const now = this.#clock.now();
    await tx.query(
      `INSERT INTO ${passwords} (password_id, ${id}, project_id, hash_type, hash, hash_config, requires_reset, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7)
       ON CONFLICT (${id}) DO UPDATE
         SET hash_type = EXCLUDED.hash_type, hash = EXCLUDED.hash, hash_config = EXCLUDED.hash_config,
             requires_reset = false, updated_at = EXCLUDED.updated_at`,
      [this.#t.newPasswordId(environment), subjectId, projectId, stored.hash_type, stored.hash, jsonOrNull(stored.hash_config), now],
    );
    await tx.query(`DELETE FROM ${lockouts} WHERE ${id} = $1`, [subjectId]);
  }

  /** Inside a transaction: sets the password of a subject that has none (migrate); false if it has one. */
  async add(tx: SqlExecutor, projectId: string, environment: Environment, subjectId: string, stored: StoredHash): Promise<boolean> {
    const { passwords, id } = this.#t;
    const { rowCount } = await tx.query(
      `INSERT INTO ${passwords} (password_id, ${id}, project_id, hash_type, hash, hash_config, requires_reset, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7) ON CONFLICT (${id}) DO NOTHING`,
      [this.#t.newPasswordId(environment), subjectId, projectId, stored.hash_type, stored.hash, jsonOrNull(stored.hash_config), this.#clock.now()],
    );
    return rowCount > 0;
  }

  /** Inside a transaction: removes the password with this id of the subject; false if there is none. */
  async remove(tx: SqlExecutor, subjectId: string, passwordId: string): Promise<boolean> {
    const { passwords, id } = this.#t;
    const { rowCount } = await tx.query(`DELETE FROM ${passwords} WHERE ${id} = $1 AND password_id = $2`, [subjectId, passwordId]);
    return rowCount > 0;
  }

  /**
   * Verifies `password` for the subject found (null: nobody has the address), or throws the vague
   * error after the same work. Counts failures toward the lockout (announcing `changed` when one
   * locks); a locked subject fails even with the right password. On success a migrated or
   * outdated hash is replaced by argon2id.
   */
  async verify(found: { id: string; state: CredentialState; changed: ChangeEvent } | null, password: string): Promise<void> {
    const state = found?.state;
    if (!found || !state || state.hash === null || state.hash_type === null) {
      await verifyDummy(password);
      throw badCredentials();
    }
    const stored: StoredHash = { hash_type: state.hash_type, hash: state.hash, hash_config: state.hash_config };
    const matches = await verifyPassword(stored, password);
    // Cheap legacy hashes (MD5, SHA) would answer faster than argon2id: even them out.
    if (!matches && stored.hash_type !== 'argon_2id' && stored.hash_type !== 'argon_2i') await verifyDummy(password);
    const now = this.#clock.now();
    if (state.lock_expires_at && state.lock_expires_at.getTime() > now.getTime()) throw badCredentials();
    const subjectId = found.id;
    if (!matches) {
      await this.#recordFailure(subjectId, found.changed, now);
      throw badCredentials();
    }
    const { passwords, lockouts, id } = this.#t;
    if (state.has_failures) await this.#db.query(`DELETE FROM ${lockouts} WHERE ${id} = $1`, [subjectId]);
    if (needsRehash(stored)) {
      const upgraded = await hashPassword(password);
      await this.#db.query(
        `UPDATE ${passwords} SET hash_type = $2, hash = $3, hash_config = NULL, updated_at = $4 WHERE ${id} = $1 AND hash = $5`,
        [subjectId, upgraded.hash_type, upgraded.hash, now, stored.hash],
      );
    }
  }

  /** One more failure in the current window; the one that reaches the limit locks the subject. */
  async #recordFailure(subjectId: string, changed: ChangeEvent, now: Date): Promise<void> {
    const { attempts, windowMinutes, lockMinutes } = this.#lockout;
    if (attempts <= 0) return;
    const { lockouts, id } = this.#t;
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<{ failed_attempts: number }>(
        `INSERT INTO ${lockouts} AS l (${id}, project_id, failed_attempts, window_started_at) VALUES ($1, $2, 1, $3)
         ON CONFLICT (${id}) DO UPDATE
           SET failed_attempts = CASE WHEN l.window_started_at <= $4 THEN 1 ELSE l.failed_attempts + 1 END,
               window_started_at = CASE WHEN l.window_started_at <= $4 THEN $3 ELSE l.window_started_at END
         RETURNING failed_attempts`,
        [subjectId, changed.project_id, now, new Date(now.getTime() - windowMinutes * 60_000)],
      );
      if ((rows[0]?.failed_attempts ?? 0) < attempts) return;
      await tx.query(
        `UPDATE ${lockouts} SET failed_attempts = 0, window_started_at = $2, lock_created_at = $2, lock_expires_at = $3 WHERE ${id} = $1`,
        [subjectId, now, new Date(now.getTime() + lockMinutes * 60_000)],
      );
      emit(changed);
    });
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
