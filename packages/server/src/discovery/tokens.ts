// Discovery's one-time tokens (store/migrations/015_discovery.sql): the token of a discovery magic
// link and the intermediate session it starts. Both prove an email address before any organization
// is chosen; both are 256 random bits handed out once and stored only as their SHA-256, and spent by
// one UPDATE that checks they are unused and unexpired, so of two requests carrying one exactly one
// wins.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { TokenErrors } from '../magic-links/tokens.ts';
import { sha256 } from '../shared/secrets.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { isPortableFactor } from '../sessions/factors.ts';
import type { AuthenticationFactor } from '../sessions/service.ts';

export type DiscoveryTokenKind = 'magic_link' | 'intermediate_session';

export interface DiscoveryTokenRow {
  token_hash: Buffer;
  project_id: string;
  kind: DiscoveryTokenKind;
  /** The address the token was sent to (a link) or proved (an intermediate session). */
  email_address: string;
  code_challenge: string | null;
  /** An intermediate session's factor: what proved the address, and when. */
  authentication_factor: AuthenticationFactor | null;
  /** Every factor an intermediate session holds (null: only authentication_factor, as discovery issues them). */
  authentication_factors: AuthenticationFactor[] | null;
  /** The member and organization a sign-in's intermediate session is for (null: discovery's, for any). */
  member_id: string | null;
  organization_id: string | null;
  expires_at: Date;
}

/** The factors an intermediate session holds, oldest first. */
export function provenFactors(row: DiscoveryTokenRow): AuthenticationFactor[] {
  return row.authentication_factors ?? (row.authentication_factor ? [row.authentication_factor] : []);
}

/**
 * The factors an intermediate session brings to this organization: all of them in the organization a
 * sign-in bound it to (or discovery's, bound to none); elsewhere only those proven through the
 * address (isPortableFactor) — a password, SSO or MFA factor belongs to the organization it was proven in.
 */
export function factorsFor(row: DiscoveryTokenRow, organizationId: string): AuthenticationFactor[] {
  const factors = provenFactors(row);
  return row.organization_id === null || row.organization_id === organizationId ? factors : factors.filter(isPortableFactor);
}

/** What an intermediate session is issued with: what proved the address; for a sign-in, every factor and whom it is for. */
export interface IntermediateSessionBinding {
  factors: AuthenticationFactor[];
  member_id: string;
  organization_id: string;
}

/** A token as issued: the only time it exists in the clear. */
export interface IssuedToken {
  token: string;
  tokenHash: Buffer;
  expiresAt: Date;
}

/** Tokens no longer useful are deleted this long after they expired, when the project issues another. */
const KEEP_EXPIRED_MS = 24 * 60 * 60 * 1000;

export class DiscoveryTokens {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
  }

  /** Stores a new token and returns it (the only time it exists in the clear). `within`: a caller's transaction. */
  async issue(
    input: { projectId: string; kind: DiscoveryTokenKind; email: string; minutes: number; codeChallenge?: string; factor?: AuthenticationFactor; binding?: IntermediateSessionBinding },
    within: SqlExecutor = this.#db,
  ): Promise<IssuedToken> {
    const token = randomBytes(32).toString('base64url');
    const tokenHash = sha256(token);
    const now = this.#clock.now();
    const expiresAt = new Date(now.getTime() + input.minutes * 60_000);
    await within.query('DELETE FROM discovery_tokens WHERE project_id = $1 AND expires_at < $2', [input.projectId, new Date(now.getTime() - KEEP_EXPIRED_MS)]);
    await within.query(
      `INSERT INTO discovery_tokens (token_hash, project_id, kind, email_address, code_challenge, authentication_factor, created_at, expires_at,
                                     member_id, organization_id, authentication_factors)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [tokenHash, input.projectId, input.kind, input.email, input.codeChallenge ?? null,
        jsonOrNull(input.factor ?? input.binding?.factors[0]), now, expiresAt, input.binding?.member_id ?? null,
        input.binding?.organization_id ?? null, jsonOrNull(input.binding?.factors)],
    );
    return { token, tokenHash, expiresAt };
  }

  /** Voids one token (its email could not be sent). */
  async discard(tokenHash: Buffer): Promise<void> {
    await this.#db.query('DELETE FROM discovery_tokens WHERE token_hash = $1', [tokenHash]);
  }

  /**
   * The live token, checked without changing anything: unknown (or another project's, or of the
   * other kind) → errors.notFound; used or expired → errors.unusable.
   */
  async check(projectId: string, token: string, kind: DiscoveryTokenKind, errors: TokenErrors): Promise<DiscoveryTokenRow> {
    const { rows } = await this.#db.query<DiscoveryTokenRow & { used_at: Date | null }>(
      `SELECT token_hash, project_id, kind, email_address, code_challenge, authentication_factor, authentication_factors, member_id, organization_id, expires_at, used_at
         FROM discovery_tokens WHERE token_hash = $1 AND project_id = $2 AND kind = $3`,
      [sha256(token), projectId, kind],
    );
    const row = rows[0];
    if (!row) throw new GatehouseError(errors.notFound);
    if (row.used_at || row.expires_at.getTime() <= this.#clock.now().getTime()) throw new GatehouseError(errors.unusable);
    return row;
  }

  /**
   * Spends the token, and in the same transaction runs `alsoInside` (activating a member, issuing the
   * next token). Loses to a concurrent spend with errors.unusable. Returns when it was spent, for unspend.
   */
  async spend<T = void>(row: DiscoveryTokenRow, errors: TokenErrors, alsoInside?: (tx: SqlExecutor, emit: (event: ChangeEvent) => void) => Promise<T>): Promise<{ usedAt: Date; inside: T | undefined }> {
    const usedAt = this.#clock.now();
    const inside = await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        'UPDATE discovery_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2',
        [row.token_hash, usedAt],
      );
      if (rowCount === 0) throw new GatehouseError(errors.unusable);
      return alsoInside?.(tx, emit);
    });
    return { usedAt, inside };
  }

  /**
   * A live intermediate session gets the sign-in's binding (member, organization, every factor so
   * far) and stays live: the next step presents the same token. Loses to a concurrent spend.
   */
  async bind(row: DiscoveryTokenRow, binding: IntermediateSessionBinding, errors: TokenErrors): Promise<void> {
    const { rowCount } = await this.#db.query(
      `UPDATE discovery_tokens SET member_id = $2, organization_id = $3, authentication_factors = $4
        WHERE token_hash = $1 AND kind = 'intermediate_session' AND used_at IS NULL AND expires_at > $5`,
      [row.token_hash, binding.member_id, binding.organization_id, JSON.stringify(binding.factors), this.#clock.now()],
    );
    if (rowCount === 0) throw new GatehouseError(errors.unusable);
  }

  /** Undoes `spend` when what came after it failed: the token is live again (until it expires). */
  async unspend(row: DiscoveryTokenRow, usedAt: Date): Promise<void> {
    await this.#db.query('UPDATE discovery_tokens SET used_at = NULL WHERE token_hash = $1 AND used_at = $2', [row.token_hash, usedAt]);
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
