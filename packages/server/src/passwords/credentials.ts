// Password credentials of one kind of subject — consumer users (user_passwords, user_lockouts) or
// B2B members (member_passwords, member_lockouts): the two pairs of tables have the same shape and
// the same rules. Here is what both share: storing a password, verifying one with vague failures
// and the same work whether or not the account exists (passwords/lockout.ts), counting failures
// toward the lockout, and replacing a migrated or outdated hash with argon2id at the first
// successful sign-in.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import type { ChangeEvent } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { hashPassword, needsRehash, verifyDummy, verifyPassword, type StoredHash } from './hashing.ts';
import { LOCKOUT_TABLES, Lockout } from './lockout.ts';

/** The tables of one kind of subject. */
export interface CredentialTables {
  kind: 'user' | 'member';
  passwords: 'user_passwords' | 'member_passwords';
  /** The subject's id column in both. */
  id: 'user_id' | 'member_id';
  newPasswordId(environment: Environment): string;
}

export const USER_CREDENTIALS: CredentialTables = {
  kind: 'user',
  passwords: 'user_passwords',
  id: 'user_id',
  newPasswordId: (environment) => `password-${environment}-${randomUUID()}`,
};

export const MEMBER_CREDENTIALS: CredentialTables = {
  kind: 'member',
  passwords: 'member_passwords',
  id: 'member_id',
  newPasswordId: (environment) => newId('member-password', environment),
};

/** Who is signing in: the subject found (null: nobody has the address) and the address as given. */
export interface SignInAttempt {
  found: { id: string; state: CredentialState; changed: ChangeEvent } | null;
  projectId: string;
  /** What the normalized address is unique in: the project, or the project and organization. */
  space: string;
  /** The normalized address. */
  identifier: string;
}

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
  return new GatehouseError('password_credentials_invalid');
}

export class PasswordCredentials {
  readonly #db: SqlExecutor;
  readonly #clock: Clock;
  readonly #lockout: Lockout;
  readonly #t: CredentialTables;

  constructor(deps: { db: SqlExecutor; clock: Clock; lockout: Lockout }, tables: CredentialTables) {
    this.#db = deps.db;
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
    const { passwords, id } = this.#t;
    const lockouts = LOCKOUT_TABLES[this.#t.kind].table;
    return `LEFT JOIN ${passwords} p ON p.${id} = ${alias}.${id} LEFT JOIN ${lockouts} l ON l.${id} = ${alias}.${id}`;
  }

  /**
   * Inside a transaction: sets the subject's password (keeping its password_id if it had one) and
   * lifts any lockout. The caller emits the subject's change.
   */
  async store(tx: SqlExecutor, projectId: string, environment: Environment, subjectId: string, stored: StoredHash): Promise<void> {
    const { passwords, id } = this.#t;
    const now = this.#clock.now();
    await tx.query(
      `INSERT INTO ${passwords} (password_id, ${id}, project_id, hash_type, hash, hash_config, requires_reset, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7)
       ON CONFLICT (${id}) DO UPDATE
         SET hash_type = EXCLUDED.hash_type, hash = EXCLUDED.hash, hash_config = EXCLUDED.hash_config,
             requires_reset = false, updated_at = EXCLUDED.updated_at`,
      [this.#t.newPasswordId(environment), subjectId, projectId, stored.hash_type, stored.hash, jsonOrNull(stored.hash_config), now],
    );
    await this.#lockout.clear(tx, this.#t.kind, subjectId);
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
   * Verifies the password of the subject found, or throws the vague error. Every failure — a wrong
   * password, an unknown address, a subject without a password, a locked subject even with the
   * right password — costs one argon2id verification and one failure-counter write (the unknown
   * address's under its hash), so neither the answer nor its timing tells them apart. A failure
   * that reaches the limit locks the subject (announcing `changed`). On success a migrated or
   * outdated hash is replaced by argon2id.
   */
  async verify(attempt: SignInAttempt, password: string): Promise<void> {
    const { found } = attempt;
    const state = found?.state;
    if (!found || !state || state.hash === null || state.hash_type === null) {
      await verifyDummy(password);
      await this.#lockout.recordFailure(Lockout.unknownIdentifier(this.#t.kind, attempt.space, attempt.identifier, attempt.projectId));
      throw badCredentials();
    }
    const stored: StoredHash = { hash_type: state.hash_type, hash: state.hash, hash_config: state.hash_config };
    const matches = await verifyPassword(stored, password);
    // Cheap legacy hashes (MD5, SHA) would answer faster than argon2id: even them out.
    if (!matches && stored.hash_type !== 'argon_2id' && stored.hash_type !== 'argon_2i') await verifyDummy(password);
    const subjectId = found.id;
    if (!matches || this.#lockout.isLocked(state.lock_expires_at)) {
      await this.#lockout.recordFailure({ kind: this.#t.kind, key: subjectId, projectId: attempt.projectId, changed: found.changed });
      throw badCredentials();
    }
    const { passwords, id } = this.#t;
    if (state.has_failures) await this.#lockout.clear(this.#db, this.#t.kind, subjectId);
    if (needsRehash(stored)) {
      const upgraded = await hashPassword(password);
      await this.#db.query(
        `UPDATE ${passwords} SET hash_type = $2, hash = $3, hash_config = NULL, updated_at = $4 WHERE ${id} = $1 AND hash = $5`,
        [subjectId, upgraded.hash_type, upgraded.hash, this.#clock.now(), stored.hash],
      );
    }
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
