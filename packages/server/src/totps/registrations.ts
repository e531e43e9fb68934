// TOTP registrations and recovery codes (store/migrations/020_totps.sql), for a consumer user or a
// B2B member (the owner). The secret and the recovery codes are sealed with the keyring; a code is
// matched by SHA-256(totp_id ':' code). A new registration is pending until its first right code
// (then active, the owner's other pending ones dropped); an active one makes create refuse. A TOTP
// code is accepted only for a time step after the last accepted one — one UPDATE decides, so of
// two requests with the same code exactly one wins. A recovery code is spent by one UPDATE.
import { randomBytes, randomUUID } from 'node:crypto';
import type { EncryptionKeyring } from '../encryption/keyring.ts';
import { SEALED } from '../encryption/stored-secrets.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { sha256 } from '../shared/secrets.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { Database, SqlExecutor } from '../store/database.ts';
import { newTotpSecret, totpStep } from './totp.ts';

export const RECOVERY_CODE_COUNT = 10;
/** Tries at a registration's code (right ones reset the count) before it is locked for TOTP_LOCK_MINUTES. */
export const MAX_TOTP_ATTEMPTS = 10;
export const TOTP_LOCK_MINUTES = 15;
/** Stytch's bounds for a pending registration's expiration_minutes (default 30 minutes … 1 day; Gatehouse: 5 to 1440). */
export const TOTP_EXPIRATION_MINUTES = { fallback: 30, min: 5, max: 1440 } as const;

export type TotpOwner = { userId: string } | { organizationId: string; memberId: string };

export interface TotpRegistration {
  totp_id: string;
  status: 'pending' | 'active';
  secret: string;
}

const ownerWhere = (owner: TotpOwner) => ('userId' in owner ? { sql: 'user_id = $2', params: [owner.userId] } : { sql: 'member_id = $2 AND organization_id = $3', params: [owner.memberId, owner.organizationId] });
const codeHash = (totpId: string, code: string) => sha256(`${totpId}:${code.trim().toLowerCase()}`);

/** A recovery code as Stytch shows them: three groups of four lower-case letters and digits. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(12);
  const chars = [...bytes].map((byte) => alphabet[byte % alphabet.length]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8).join('')}`;
}

export class TotpRegistrations {
  readonly #db: Database;
  readonly #keyring: EncryptionKeyring;
  readonly #clock: Clock;
  readonly #feed: ChangeFeed;

  constructor(db: Database, feed: ChangeFeed, keyring: EncryptionKeyring, clock: Clock) {
    this.#db = db;
    this.#feed = feed;
    this.#keyring = keyring;
    this.#clock = clock;
  }

  /** A pending registration with its secret and recovery codes, returned in the clear this once. */
  async create(projectId: string, environment: Environment, owner: TotpOwner, minutes: number): Promise<{ totp_id: string; secret: string; recovery_codes: string[] }> {
    const totpId = newId('userId' in owner ? 'totp' : 'member-totp', environment);
    const secret = newTotpSecret();
    const now = this.#clock.now();
    const where = ownerWhere(owner);
    const recoveryCodes = await this.#db.transaction(async (tx) => {
      const active = await tx.query(`SELECT 1 FROM totp_registrations WHERE project_id = $1 AND ${where.sql} AND status = 'active' FOR UPDATE`, [projectId, ...where.params]);
      if (active.rowCount > 0) throw new GatehouseError('active_totp_exists');
      await tx.query(`DELETE FROM totp_registrations WHERE project_id = $1 AND ${where.sql} AND status = 'pending'`, [projectId, ...where.params]);
      await tx.query(
        `INSERT INTO totp_registrations (totp_id, project_id, user_id, organization_id, member_id, secret_encrypted, status, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)`,
        [totpId, projectId, 'userId' in owner ? owner.userId : null, 'userId' in owner ? null : owner.organizationId, 'userId' in owner ? null : owner.memberId,
          this.#keyring.seal(secret, SEALED.totpSecret.field(totpId)), now, new Date(now.getTime() + minutes * 60_000)],
      );
      return this.#insertRecoveryCodes(tx, totpId);
    });
    return { totp_id: totpId, secret, recovery_codes: recoveryCodes };
  }

  /** The owner's active registration, else its newest live pending one; null when none. */
  async find(projectId: string, owner: TotpOwner): Promise<TotpRegistration | null> {
    const where = ownerWhere(owner);
    const { rows } = await this.#db.query<{ totp_id: string; status: 'pending' | 'active'; secret_encrypted: string }>(
      `SELECT totp_id, status, secret_encrypted FROM totp_registrations
        WHERE project_id = $1 AND ${where.sql} AND (status = 'active' OR expires_at > $${where.params.length + 2})
        ORDER BY status = 'active' DESC, created_at DESC LIMIT 1`,
      [projectId, ...where.params, this.#clock.now()],
    );
    const row = rows[0];
    return row ? { totp_id: row.totp_id, status: row.status, secret: this.#keyring.open(row.secret_encrypted, SEALED.totpSecret.field(row.totp_id)) } : null;
  }

  /**
   * Checks a code against the owner's registration and records its step (a pending registration
   * becomes active). Wrong, or a step already used → totp_code_invalid. Returns the registration id.
   */
  async authenticate(projectId: string, owner: TotpOwner, code: string): Promise<string> {
    const registration = await this.find(projectId, owner);
    if (!registration) throw new GatehouseError('totp_not_found');
    await this.#countTry(registration.totp_id);
    const step = totpStep(registration.secret, code, this.#clock.now());
    if (step === null) throw new GatehouseError('totp_code_invalid');
    const where = ownerWhere(owner);
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        `UPDATE totp_registrations SET last_used_step = $2, status = 'active', expires_at = NULL, failed_attempts = 0, locked_until = NULL WHERE totp_id = $1 AND last_used_step < $2`,
        [registration.totp_id, step],
      );
      if (rowCount === 0) throw new GatehouseError('totp_code_invalid');
      if (registration.status === 'pending') {
        await tx.query(`DELETE FROM totp_registrations WHERE project_id = $1 AND ${where.sql} AND status = 'pending'`, [projectId, ...where.params]);
        // The member's totp_registration_id changed: cached members are dropped.
        emit('userId' in owner ? { type: 'user', project_id: projectId, user_id: owner.userId }
          : { type: 'member', project_id: projectId, organization_id: owner.organizationId, member_id: owner.memberId });
      }
    });
    return registration.totp_id;
  }

  /**
   * Counts a try at the registration's code before it is compared, atomically (concurrent guesses
   * cannot exceed MAX_TOTP_ATTEMPTS): the last allowed try sets the lock; while it holds every try is
   * too_many_requests; the first try after it starts a new count.
   */
  async #countTry(totpId: string): Promise<void> {
    const now = this.#clock.now();
    const { rowCount } = await this.#db.query(
      `UPDATE totp_registrations SET
          failed_attempts = CASE WHEN locked_until <= $2 THEN 1 ELSE failed_attempts + 1 END,
          locked_until = CASE WHEN locked_until <= $2 THEN NULL WHEN failed_attempts + 1 >= $3 THEN $4::timestamptz ELSE locked_until END
        WHERE totp_id = $1 AND (locked_until IS NULL OR locked_until <= $2)`,
      [totpId, now, MAX_TOTP_ATTEMPTS, new Date(now.getTime() + TOTP_LOCK_MINUTES * 60_000)],
    );
    if (rowCount > 0) return;
    const { rows } = await this.#db.query<{ locked_until: Date | null }>('SELECT locked_until FROM totp_registrations WHERE totp_id = $1', [totpId]);
    const until = rows[0]?.locked_until;
    if (!until) throw new GatehouseError('totp_not_found');
    throw new GatehouseError('too_many_requests', { params: { retry_after_seconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)) } });
  }

  /** Spends one of the active registration's recovery codes; returns how many are left. */
  async recover(projectId: string, owner: TotpOwner, code: string): Promise<{ totp_id: string; remaining: number }> {
    const registration = await this.find(projectId, owner);
    if (!registration || registration.status !== 'active') throw new GatehouseError('totp_not_found');
    const { rowCount } = await this.#db.query(
      'UPDATE totp_recovery_codes SET used_at = $3 WHERE totp_id = $1 AND code_hash = $2 AND used_at IS NULL',
      [registration.totp_id, codeHash(registration.totp_id, code), this.#clock.now()],
    );
    if (rowCount === 0) throw new GatehouseError('recovery_code_not_found');
    const { rows } = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM totp_recovery_codes WHERE totp_id = $1 AND used_at IS NULL', [registration.totp_id]);
    return { totp_id: registration.totp_id, remaining: rows[0]!.n };
  }

  /** The active registration's unused recovery codes. */
  async recoveryCodes(projectId: string, owner: TotpOwner): Promise<{ totp_id: string; recovery_codes: string[] }> {
    const registration = await this.find(projectId, owner);
    if (!registration || registration.status !== 'active') throw new GatehouseError('totp_not_found');
    const { rows } = await this.#db.query<{ code_id: string; code_encrypted: string }>(
      'SELECT code_id, code_encrypted FROM totp_recovery_codes WHERE totp_id = $1 AND used_at IS NULL ORDER BY position',
      [registration.totp_id],
    );
    return { totp_id: registration.totp_id, recovery_codes: rows.map((row) => this.#keyring.open(row.code_encrypted, SEALED.recoveryCode.field(row.code_id))) };
  }

  /** Replaces the active registration's recovery codes with 10 new ones. */
  async rotate(projectId: string, owner: TotpOwner): Promise<{ totp_id: string; recovery_codes: string[] }> {
    const registration = await this.find(projectId, owner);
    if (!registration || registration.status !== 'active') throw new GatehouseError('totp_not_found');
    const recoveryCodes = await this.#db.transaction(async (tx) => {
      await tx.query('DELETE FROM totp_recovery_codes WHERE totp_id = $1', [registration.totp_id]);
      return this.#insertRecoveryCodes(tx, registration.totp_id);
    });
    return { totp_id: registration.totp_id, recovery_codes: recoveryCodes };
  }

  /** Deletes every registration of the owner (active and pending) and its recovery codes; whether there was one. */
  async remove(projectId: string, owner: TotpOwner): Promise<boolean> {
    const where = ownerWhere(owner);
    return this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(`DELETE FROM totp_registrations WHERE project_id = $1 AND ${where.sql}`, [projectId, ...where.params]);
      if (rowCount > 0) {
        emit('userId' in owner ? { type: 'user', project_id: projectId, user_id: owner.userId }
          : { type: 'member', project_id: projectId, organization_id: owner.organizationId, member_id: owner.memberId });
      }
      return rowCount > 0;
    });
  }

  async #insertRecoveryCodes(tx: SqlExecutor, totpId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    for (const [position, code] of codes.entries()) {
      const codeId = randomUUID();
      await tx.query(
        'INSERT INTO totp_recovery_codes (code_id, totp_id, position, code_hash, code_encrypted) VALUES ($1, $2, $3, $4, $5)',
        [codeId, totpId, position, codeHash(totpId, code), this.#keyring.seal(code, SEALED.recoveryCode.field(codeId))],
      );
    }
    return codes;
  }
}
