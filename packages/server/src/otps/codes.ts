// One-time passcodes by email and SMS (store/migrations/017_email_otps.sql, 019_sms_otps.sql): 6
// random digits, stored only as SHA-256(otp_id ':' code). A code is found by what authenticate names
// (the channel and address — a lower-cased email address or an E.164 phone number — and for an
// organization login or MFA the organization), so a code never works for another address or organization.
// Every try is counted before the code is compared — atomically, so concurrent guesses cannot
// exceed MAX_ATTEMPTS — and the comparison is constant-time; after MAX_ATTEMPTS tries the code is
// dead. A right code is spent by one UPDATE that checks it is unused and unexpired.
import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import { digestsEqual, sha256 } from '../shared/secrets.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

/** B2B email login, B2B email discovery, B2B SMS MFA, a consumer user's code. */
export type OtpKind = 'login' | 'discovery' | 'mfa' | 'user';
export type OtpChannel = 'email' | 'sms';

/** Stytch's bounds for every *_expiration_minutes of an OTP: 10 minutes by default, 2 to 15. */
export const OTP_EXPIRATION_MINUTES = { fallback: 10, min: 2, max: 15 } as const;

/** Tries a code allows, right or wrong; then it is dead. */
export const MAX_ATTEMPTS = 5;

/** Codes no longer useful are deleted this long after they expired, when the project issues another. */
const KEEP_EXPIRED_MS = 24 * 60 * 60 * 1000;

export interface OtpRow {
  otp_id: string;
  project_id: string;
  kind: OtpKind;
  organization_id: string | null;
  member_id: string | null;
  user_id: string | null;
  channel: OtpChannel;
  /** The address the code was sent to: an email address lower-cased, or an E.164 phone number. */
  address: string;
  code_hash: Buffer;
  expires_at: Date;
}

/** Where a code is looked for: the address, and for a login the organization. */
export interface OtpScope {
  projectId: string;
  kind: OtpKind;
  channel: OtpChannel;
  address: string;
  organizationId: string | null;
}

/** Email addresses compare lower-cased; phone numbers are E.164 already. */
const normalized = (scope: { channel: OtpChannel; address: string }) => (scope.channel === 'email' ? scope.address.toLowerCase() : scope.address);

const codeHash = (otpId: string, code: string) => sha256(`${otpId}:${code}`);

export class OtpCodes {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
  }

  /** A new code for the scope (replacing its unused ones), returned in the clear this once. */
  async issue(scope: OtpScope & { memberId: string | null; userId?: string | null; minutes: number }): Promise<{ code: string; otpId: string }> {
    const otpId = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const now = this.#clock.now();
    await this.#feed.write(async (tx) => {
      await tx.query('DELETE FROM email_otps WHERE project_id = $1 AND expires_at < $2', [scope.projectId, new Date(now.getTime() - KEEP_EXPIRED_MS)]);
      await tx.query(
        `DELETE FROM email_otps WHERE project_id = $1 AND kind = $2 AND channel = $3 AND address = $4 AND organization_id IS NOT DISTINCT FROM $5 AND used_at IS NULL`,
        [scope.projectId, scope.kind, scope.channel, normalized(scope), scope.organizationId],
      );
      await tx.query(
        `INSERT INTO email_otps (otp_id, project_id, kind, channel, organization_id, member_id, user_id, address, code_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [otpId, scope.projectId, scope.kind, scope.channel, scope.organizationId, scope.memberId, scope.userId ?? null, normalized(scope), codeHash(otpId, code), now,
          new Date(now.getTime() + scope.minutes * 60_000)],
      );
    });
    return { code, otpId };
  }

  /** Voids one code (its message could not be sent). */
  async discard(otpId: string): Promise<void> {
    await this.#db.query('DELETE FROM email_otps WHERE otp_id = $1', [otpId]);
  }

  /**
   * The scope's live code when `code` is it. No unused code → otp_code_not_found; expired or out of
   * tries → unable_to_auth_otp_code; the try is counted, then a wrong code → otp_code_not_found.
   */
  async check(scope: OtpScope, code: string): Promise<OtpRow> {
    const { rows } = await this.#db.query<OtpRow>(
      `SELECT otp_id, project_id, kind, channel, organization_id, member_id, user_id, address, code_hash, expires_at FROM email_otps
        WHERE project_id = $1 AND kind = $2 AND channel = $3 AND address = $4 AND organization_id IS NOT DISTINCT FROM $5 AND used_at IS NULL
        ORDER BY created_at DESC LIMIT 1`,
      [scope.projectId, scope.kind, scope.channel, normalized(scope), scope.organizationId],
    );
    const row = rows[0];
    if (!row) throw new GatehouseError('otp_code_not_found');
    if (row.expires_at.getTime() <= this.#clock.now().getTime()) throw new GatehouseError('unable_to_auth_otp_code');
    const { rowCount } = await this.#db.query(
      'UPDATE email_otps SET attempts = attempts + 1 WHERE otp_id = $1 AND used_at IS NULL AND attempts < $2',
      [row.otp_id, MAX_ATTEMPTS],
    );
    if (rowCount === 0) throw new GatehouseError('unable_to_auth_otp_code');
    if (!digestsEqual(codeHash(row.otp_id, code), row.code_hash)) throw new GatehouseError('otp_code_not_found');
    return row;
  }

  /**
   * Spends the code and, in the same transaction, runs `alsoInside` (accepting a member, issuing an
   * intermediate session). Loses to a concurrent spend with unable_to_auth_otp_code.
   */
  async spend<T = void>(row: OtpRow, alsoInside?: (tx: SqlExecutor, emit: (event: ChangeEvent) => void) => Promise<T>): Promise<{ usedAt: Date; inside: T | undefined }> {
    const usedAt = this.#clock.now();
    const inside = await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        'UPDATE email_otps SET used_at = $2 WHERE otp_id = $1 AND used_at IS NULL AND expires_at > $2 AND attempts <= $3',
        [row.otp_id, usedAt, MAX_ATTEMPTS],
      );
      if (rowCount === 0) throw new GatehouseError('unable_to_auth_otp_code');
      return alsoInside?.(tx, emit);
    });
    return { usedAt, inside };
  }

  /** Undoes `spend` when what came after it failed: the code is live again (until it expires). */
  async unspend(row: OtpRow, usedAt: Date): Promise<void> {
    await this.#db.query('UPDATE email_otps SET used_at = NULL WHERE otp_id = $1 AND used_at = $2', [row.otp_id, usedAt]);
  }
}
