// One-time tokens sent by email: magic links (login, signup, invite) and password resets. A token
// is 256 random bits, handed out once inside a link and stored only as its SHA-256. It is spent by
// one UPDATE that also checks it is unused, unrevoked and unexpired, so of two requests carrying
// the same token exactly one wins. PKCE (S256) binds a token to the client that asked for it.
// Tokens belong to a consumer user (and one of its addresses) or to a B2B member. A member's
// 'email_update' token also carries the address it proves: the member's address becomes that one
// only when the token is spent (members/service.ts confirmEmailUpdate).
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import { digestsEqual, sha256 } from '../shared/secrets.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import * as members from '../members/repository.ts';
import * as users from '../users/repository.ts';

export type TokenPurpose = 'login' | 'signup' | 'invite' | 'reset_password' | 'email_update';

export const EXPIRATION_MINUTES = { min: 5, max: 10_080 } as const;

/** Tokens no longer useful are deleted this long after they expired, when the address gets a new one. */
const KEEP_EXPIRED_MS = 24 * 60 * 60 * 1000;

interface TokenRow {
  token_hash: Buffer;
  project_id: string;
  email: string;
  purpose: TokenPurpose;
  code_challenge: string | null;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  /** The subject's status when the token was checked (a deleted member's token is unusable). */
  status: string;
  email_verified: boolean;
}

/** A consumer user's token: for one of the user's addresses. */
export interface EmailTokenRow extends TokenRow {
  user_id: string;
  email_id: string;
  status: 'active' | 'pending';
}

/** A B2B member's token: the member row holds the address. */
export interface MemberTokenRow extends TokenRow {
  member_id: string;
  organization_id: string;
  status: 'active' | 'pending' | 'invited' | 'deleted';
  /** The address an 'email_update' token proves (null for other purposes). */
  new_email_address: string | null;
}

/**
 * Whose tokens an EmailTokens handles: users or members. `Ids` are the token's subject columns;
 * `scope` is the one that names the address (tokens are pruned and revoked per address).
 */
export interface TokenSubject<Row extends TokenRow, Ids extends Record<string, string>> {
  scope: keyof Ids & string;
  /** Selects a token's Row: the subject's columns and joins after `FROM email_tokens t`. */
  select: { columns: string; joins: string };
  /** Inside the spend: verifies the address and activates the subject. */
  activate(tx: SqlExecutor, row: Row, at: Date): Promise<void>;
  /** Undoes activate. */
  restore(tx: SqlExecutor, row: Row): Promise<void>;
  changed(row: Row): ChangeEvent;
}

export const USER_TOKENS: TokenSubject<EmailTokenRow, { user_id: string; email_id: string }> = {
  scope: 'email_id',
  select: {
    columns: 't.user_id, t.email_id, e.email, u.status, e.verified AS email_verified',
    joins: 'JOIN user_emails e ON e.email_id = t.email_id JOIN users u ON u.user_id = t.user_id',
  },
  activate: (tx, row, at) => users.activateByVerifiedEmail(tx, row.user_id, row.email_id, at),
  restore: (tx, row) => users.restoreActivation(tx, row.user_id, row.email_id, row.email_verified, row.status),
  changed: (row) => ({ type: 'user', project_id: row.project_id, user_id: row.user_id }),
};

export const MEMBER_TOKENS: TokenSubject<MemberTokenRow, { member_id: string }> = {
  scope: 'member_id',
  select: {
    columns: 't.member_id, m.organization_id, m.email_address AS email, m.status, m.email_address_verified AS email_verified, t.email_address AS new_email_address',
    joins: 'JOIN members m ON m.member_id = t.member_id',
  },
  async activate(tx, row, at) {
    // An email update proves the new address, not the current one: the member service swaps it in.
    if (row.purpose === 'email_update') return;
    // An invited or pending member who follows a link is a member now.
    await members.acceptVerifiedEmail(tx, row.member_id, at);
  },
  restore: (tx, row) => members.restoreVerification(tx, row.member_id, row.email_verified, row.status),
  changed: (row) => ({ type: 'member', project_id: row.project_id, organization_id: row.organization_id, member_id: row.member_id }),
};

/** A member's address changed (in the caller's transaction): its unused links but `keptTokenHash`, sent to the old address, stop working. */
export async function revokeOtherMemberTokens(tx: SqlExecutor, memberId: string, keptTokenHash: Buffer, at: Date): Promise<void> {
  await tx.query(
    `UPDATE email_tokens SET revoked_at = $3 WHERE member_id = $1 AND token_hash <> $2 AND used_at IS NULL AND revoked_at IS NULL`,
    [memberId, keptTokenHash, at],
  );
}

/** What spending a token changed, so that it can be put back if the rest of the request fails. */
export interface SpentToken<Row extends TokenRow = EmailTokenRow> {
  row: Row;
  usedAt: Date;
}

/** The errors a flow gives for a token it cannot accept. */
export interface TokenErrors {
  notFound: 'magic_link_not_found' | 'unable_to_auth_password_reset_token' | 'intermediate_session_not_found';
  unusable: 'unable_to_auth_magic_link' | 'unable_to_auth_password_reset_token' | 'intermediate_session_not_found';
}

/** The tokens of one kind of subject (USER_TOKENS or MEMBER_TOKENS); each sees only its own. */
export class EmailTokens<Row extends TokenRow = EmailTokenRow, Ids extends Record<string, string> = { user_id: string; email_id: string }> {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #subject: TokenSubject<Row, Ids>;

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock, subject: TokenSubject<Row, Ids>) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    this.#subject = subject;
  }

  /** Stores a new token for the subject's address and returns it (the only time it exists in the clear). */
  async issue(input: {
    projectId: string;
    subject: Ids;
    purpose: TokenPurpose;
    expiresInMinutes: number;
    codeChallenge?: string;
    /** For 'email_update': the new address the token proves. */
    emailAddress?: string;
  }, within?: SqlExecutor): Promise<{ token: string; tokenHash: Buffer }> {
    const token = randomBytes(32).toString('base64url');
    const tokenHash = sha256(token);
    const now = this.#clock.now();
    const { scope } = this.#subject;
    const columns = Object.keys(input.subject);
    // `within`: a caller's transaction (an email update issues its token where its checks ran).
    const insert = async (tx: SqlExecutor) => {
      await tx.query(`DELETE FROM email_tokens WHERE project_id = $1 AND ${scope} = $2 AND expires_at < $3`, [
        input.projectId,
        input.subject[scope],
        new Date(now.getTime() - KEEP_EXPIRED_MS),
      ]);
      await tx.query(
        `INSERT INTO email_tokens (token_hash, project_id, purpose, code_challenge, created_at, expires_at, email_address, ${columns.join(', ')})
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${columns.map((_, i) => `$${i + 8}`).join(', ')})`,
        [tokenHash, input.projectId, input.purpose, input.codeChallenge ?? null, now,
          new Date(now.getTime() + input.expiresInMinutes * 60_000), input.emailAddress ?? null, ...columns.map((column) => input.subject[column])],
      );
    };
    if (within) await insert(within);
    else await this.#feed.write(insert);
    return { token, tokenHash };
  }

  /** Voids one token (its email could not be sent). */
  async discard(tokenHash: Buffer): Promise<void> {
    await this.#db.query('DELETE FROM email_tokens WHERE token_hash = $1', [tokenHash]);
  }

  /** Voids the unused tokens of an address (the subject's scope column) for some purposes; returns how many. */
  async revoke(projectId: string, scopeId: string, purposes: TokenPurpose[], db: SqlExecutor = this.#db): Promise<number> {
    const { rowCount } = await db.query(
      `UPDATE email_tokens SET revoked_at = $4
        WHERE project_id = $1 AND ${this.#subject.scope} = $2 AND purpose = ANY($3) AND used_at IS NULL AND revoked_at IS NULL`,
      [projectId, scopeId, purposes, this.#clock.now()],
    );
    return rowCount;
  }

  /**
   * The live token, checked without changing anything: unknown (or another project's, or for
   * another flow or kind of subject) → errors.notFound; used, revoked, expired or its member
   * deleted → errors.unusable; then PKCE.
   */
  async check(projectId: string, token: string, purposes: TokenPurpose[], errors: TokenErrors, codeVerifier: string | undefined): Promise<Row> {
    const { columns, joins } = this.#subject.select;
    const { rows } = await this.#db.query<Row>(
      `SELECT t.token_hash, t.project_id, t.purpose, t.code_challenge, t.expires_at, t.used_at, t.revoked_at, ${columns}
         FROM email_tokens t ${joins}
        WHERE t.token_hash = $1 AND t.project_id = $2 AND t.purpose = ANY($3)`,
      [sha256(token), projectId, purposes],
    );
    const row = rows[0];
    if (!row) throw new GatehouseError(errors.notFound);
    if (row.used_at || row.revoked_at || row.status === 'deleted' || row.expires_at.getTime() <= this.#clock.now().getTime()) {
      throw new GatehouseError(errors.unusable);
    }
    checkPkce(row.code_challenge, codeVerifier);
    return row;
  }

  /**
   * Spends the token and, in the same transaction, marks its address verified and its subject active
   * (and runs `alsoInside`, e.g. setting a password). Loses to a concurrent spend with errors.unusable.
   */
  async spend(row: Row, errors: TokenErrors, alsoInside?: (tx: SqlExecutor) => Promise<void>): Promise<SpentToken<Row>> {
    const usedAt = this.#clock.now();
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        `UPDATE email_tokens SET used_at = $2
          WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2`,
        [row.token_hash, usedAt],
      );
      if (rowCount === 0) throw new GatehouseError(errors.unusable);
      await this.#subject.activate(tx, row, usedAt);
      await alsoInside?.(tx);
      emit(this.#subject.changed(row));
    });
    return { row, usedAt };
  }

  /** Undoes `spend` when what came after it failed: the token is live again, the subject as before. */
  async unspend(spent: SpentToken<Row>, alsoInside?: (tx: SqlExecutor) => Promise<void>): Promise<void> {
    const { row } = spent;
    await this.#feed.write(async (tx, emit) => {
      await tx.query('UPDATE email_tokens SET used_at = NULL WHERE token_hash = $1 AND used_at = $2', [row.token_hash, spent.usedAt]);
      await this.#subject.restore(tx, row);
      await alsoInside?.(tx);
      emit(this.#subject.changed(row));
    });
  }

  /**
   * After a token was checked: spends it and runs `then` (granting the session); if `then` fails,
   * the token is put back, so a refused request leaves the link usable.
   */
  async spendThen<T>(row: Row, errors: TokenErrors, then: () => Promise<T>, alsoInside?: (tx: SqlExecutor) => Promise<void>): Promise<T> {
    const spent = await this.spend(row, errors, alsoInside);
    try {
      return await then();
    } catch (error) {
      await this.unspend(spent);
      throw error;
    }
  }
}

// PKCE, S256 only: code_challenge = base64url(SHA-256(code_verifier)) without padding.
const CHALLENGE = /^[A-Za-z0-9_-]{43}=?$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** The stored form of a code_challenge (padding dropped), or undefined when none was given. */
export function checkCodeChallenge(challenge: string | undefined): string | undefined {
  if (challenge === undefined || challenge === '') return undefined;
  if (!CHALLENGE.test(challenge)) throw new GatehouseError('invalid_pkce_code_challenge');
  return challenge.replace(/=$/, '');
}

/** Checks a PKCE code_verifier against the stored challenge (none stored: none may be given). */
export function checkPkce(challenge: string | null, verifier: string | undefined): void {
  const given = verifier !== undefined && verifier !== '';
  if (!challenge) {
    if (given) throw new GatehouseError('pkce_did_not_expect_code_verifier');
    return;
  }
  if (!given) throw new GatehouseError('pkce_expected_code_verifier');
  if (!VERIFIER.test(verifier)) throw new GatehouseError('invalid_pkce_code_verifier');
  const computed = createHash('sha256').update(verifier, 'ascii').digest();
  if (!digestsEqual(computed, Buffer.from(challenge, 'base64url'))) throw new GatehouseError('pkce_mismatch');
}

/** `expiration_minutes` fields: whole minutes, by default from 5 minutes to one week (an email OTP's bounds are narrower). */
export function checkExpiration(minutes: number | undefined, fallback: number, field: string, bounds: { min: number; max: number } = EXPIRATION_MINUTES): number {
  if (minutes === undefined) return fallback;
  if (!Number.isInteger(minutes) || minutes < bounds.min || minutes > bounds.max) {
    throw new GatehouseError('invalid_expiration', { params: { field, min: bounds.min, max: bounds.max } });
  }
  return minutes;
}

/**
 * The link in the message: the (registered, resolved) redirect URL with Stytch's parameters added
 * (`stytch_token_type=magic_links&token=…`), keeping any query it already has. B2B links say
 * `multi_tenant_magic_links` (organization login, sign-up, invite), `discovery` or `multi_tenant_passwords`
 * (a member's password reset), as Stytch's do:
 * the browser SDK acts only on the type it expects.
 */
export function tokenLink(redirectUrl: string, tokenType: 'magic_links' | 'multi_tenant_magic_links' | 'discovery' | 'reset_password' | 'multi_tenant_passwords' | 'sso', token: string): string {
  const url = new URL(redirectUrl);
  url.searchParams.set('stytch_token_type', tokenType);
  url.searchParams.set('token', token);
  return url.toString();
}
