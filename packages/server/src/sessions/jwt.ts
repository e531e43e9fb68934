// Session JWTs: minted (RS256, with the session and role claims Stytch's carry), given again while
// less than a minute old for the same roles, and verified — a verification remembered by the JWT's
// digest so that the same JWT presented again is not verified again.
import { environmentOfProject, ORGANIZATION_CLAIM, SESSION_CLAIM } from '@gatehouse/contracts';
import type { KeyObject } from 'node:crypto';
import { SignJWT, compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type { Clock } from '../shared/clock.ts';
import { formatTimestamp } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import { BoundedCache } from '../shared/bounded-cache.ts';
import { mergeClaims } from '../claims/template.ts';
import { JWT_LIFETIME_SECONDS, type SigningKeys } from './keys.ts';
import type { CachedSession, SessionRecord } from './store.ts';

/** A JWT is minted again once it is this old, so each stays valid for at least 4 of its 5 minutes. */
const JWT_REUSE_MS = 60_000;
/** JWTs whose signature was verified, kept so that the same JWT presented again is not verified again. */
const MAX_VERIFIED_JWTS = 10_000;

/**
 * A JWT whose signature verified with `key` and whose audience and issuer are `projectId`'s. Keyed by
 * the SHA-256 of the whole JWT, so only that exact text matches; it counts only while `key` is
 * still the project's verification key for `kid` (a rotation reloads the keys, a retired key leaves).
 */
interface VerifiedJwt {
  projectId: string;
  kid: string;
  key: KeyObject;
  sessionId: string;
}

/**
 * What a session's JWT carries besides the session: its roles, for a member its organization, and
 * the claims the project's template renders for the subject. `rolesKey` names all of it: a JWT
 * minted for another key is not given again.
 */
export interface JwtSubject {
  roles: readonly string[];
  rolesKey: string;
  organization?: OrganizationRecord;
  /** The template's claims (claims/), under the session's own. */
  claims?: Record<string, unknown>;
}

export function rolesKeyOf(roles: readonly string[], organization?: OrganizationRecord, claims?: Record<string, unknown>): string {
  const key = organization ? `${roles.join(' ')}@${organization.organization_slug}` : roles.join(' ');
  return claims ? `${key}\n${JSON.stringify(claims)}` : key;
}

/** The session as the API shows it: its custom_claims over the template's (the cached record is left as stored). */
export function withTemplateClaims(record: SessionRecord, subject: Pick<JwtSubject, 'claims'>): SessionRecord {
  return subject.claims ? { ...record, custom_claims: mergeClaims(subject.claims, record.custom_claims) } : record;
}

/**
 * The session's JWT when it can be given again: minted less than a minute ago for the same roles
 * (a change of roles mints a new JWT at once).
 */
export function reusableJwt(cached: CachedSession | undefined, rolesKey: string, nowMs: number): string | undefined {
  const jwt = cached?.jwt;
  return jwt && jwt.rolesKey === rolesKey && nowMs - jwt.mintedAt < JWT_REUSE_MS ? jwt.token : undefined;
}

export class SessionJwts {
  readonly #keys: SigningKeys;
  readonly #clock: Clock;
  /** SHA-256 of a JWT → what its verification established (see VerifiedJwt). */
  readonly #verified = new BoundedCache<string, VerifiedJwt>({ max: MAX_VERIFIED_JWTS });

  constructor(keys: SigningKeys, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  /** The session's JWT: the one minted less than a minute ago for the same roles, or a new one kept on `cached`. */
  async jwtFor(
    projectId: string,
    environment: Environment,
    cached: CachedSession | undefined,
    record: SessionRecord,
    subject: JwtSubject,
  ): Promise<string> {
    const { rolesKey } = subject;
    const nowMs = this.#clock.now().getTime();
    const reusable = reusableJwt(cached, rolesKey, nowMs);
    if (reusable !== undefined) return reusable;
    const jwt = { token: await this.mint(projectId, environment, record, subject), mintedAt: nowMs, rolesKey };
    if (cached) cached.jwt = jwt;
    return jwt.token;
  }

  async mint(projectId: string, environment: Environment, record: SessionRecord, subject: JwtSubject): Promise<string> {
    const { roles, organization } = subject;
    const { signing } = await this.#keys.forProject(projectId, environment);
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const claims: Record<string, unknown> = {
      ...(subject.claims ? mergeClaims(subject.claims, record.custom_claims) : record.custom_claims),
      [SESSION_CLAIM]: {
        id: record.session_id,
        started_at: formatTimestamp(record.started_at),
        last_accessed_at: formatTimestamp(record.last_accessed_at),
        expires_at: formatTimestamp(record.expires_at),
        attributes: record.attributes,
        authentication_factors: record.authentication_factors,
        roles,
      },
    };
    if (organization) {
      claims[ORGANIZATION_CLAIM] = { organization_id: organization.organization_id, slug: organization.organization_slug };
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
      .setIssuer(`stytch.com/${projectId}`)
      .setAudience([projectId])
      .setSubject((record.user_id ?? record.member_id)!)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + JWT_LIFETIME_SECONDS)
      .sign(signing.key);
  }

  /** The session a JWT verified before names, if that JWT (`digest`: its hashToken) was verified for this project with a key still ours. */
  verifiedSessionId(projectId: string, digest: string): string | undefined {
    const verified = this.#verified.get(digest);
    if (verified === undefined || verified.projectId !== projectId) return undefined;
    return this.#keys.loaded(projectId)?.verificationKey(verified.kid) === verified.key ? verified.sessionId : undefined;
  }

  /**
   * Checks a JWT's audience, issuer and signature and returns the session it names; remembers the
   * verification. Its `exp` is not checked: a client whose 5-minute JWT ran out gets a fresh one
   * while the session lives.
   */
  async verify(projectId: string, jwt: string, digest: string): Promise<string> {
    let kid: string | undefined;
    let claims: Record<string, unknown>;
    try {
      kid = decodeProtectedHeader(jwt).kid;
      claims = decodeJwt(jwt);
    } catch {
      throw new GatehouseError('unable_to_parse_session_jwt');
    }
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(projectId)) throw new GatehouseError('jwt_invalid_audience');
    if (claims.iss !== `stytch.com/${projectId}`) throw new GatehouseError('jwt_invalid_issuer');
    const keys = await this.#keys.forProject(projectId, environmentOfProject(projectId));
    const key = kid ? keys.verificationKey(kid) : undefined;
    try {
      if (!key) throw new Error('unknown kid');
      await compactVerify(jwt, key, { algorithms: ['RS256'] });
    } catch {
      throw new GatehouseError('jwt_invalid_signature');
    }
    const sessionId = (claims[SESSION_CLAIM] as { id?: unknown } | undefined)?.id;
    if (typeof sessionId !== 'string') throw new GatehouseError('jwt_invalid_claims');
    this.#verified.set(digest, { projectId, kid: kid!, key: key!, sessionId });
    return sessionId;
  }
}
