// Session JWTs verified locally, as Stytch's official client does (jose jwtVerify: RS256 signature
// against the project's JWKS, typ JWT, iss, aud, exp, nbf), and authorization checks answered
// locally by @gatehouse/policy from the roles claim and the cached policy. Whatever cannot be decided
// locally goes to POST /v1/(b2b/)sessions/authenticate, as authenticateJwt does in the official client.
import { ORGANIZATION_CLAIM, SESSION_CLAIM } from '@gatehouse/contracts';
import { isAuthorized, type AuthorizationVerdict, type CompiledPolicy } from '@gatehouse/policy';
import { importJWK, jwtVerify, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { Freshness, PolicyCache, PolicyKind } from './policy-cache.ts';
import { parseResponse, type Transport } from './request.ts';
import type { AuthenticationFactor, Member, MemberSession, Organization, Session, User } from './types.ts';

const REGISTERED_CLAIMS = ['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub', SESSION_CLAIM, ORGANIZATION_CLAIM];

export type ClientErrorCode = 'jwt_invalid' | 'jwt_too_old' | 'jwt_stale' | 'session_revoked' | 'invalid_permissions' | 'tenancy_mismatch' | 'missing_scopes';

/** A local decision that a JWT cannot be accepted as it is (Stytch's ClientError, with its codes). */
export class GatehouseClientError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatehouseClientError';
    this.code = code;
  }
}

export interface JwksOptions {
  /** Least time between two fetches for an unknown kid (jose's default: 30 s). */
  cooldown_ms?: number;
  /** Keys older than this are refetched in the background (jose's default: 10 min). */
  max_age_ms?: number;
}

/** The project's public keys (GET /v1/(b2b/)sessions/jwks/{project_id}, no credentials), by kid. */
export class KeySet {
  readonly #url: string;
  readonly #fetch: typeof fetch;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  #keys = new Map<string, CryptoKey>();
  #fetchedAt = -Infinity;
  #pending: Promise<void> | undefined;

  constructor(url: string, fetchImpl: typeof fetch, options: JwksOptions = {}) {
    this.#url = url;
    this.#fetch = fetchImpl;
    this.#cooldownMs = options.cooldown_ms ?? 30_000;
    this.#maxAgeMs = options.max_age_ms ?? 600_000;
  }

  /** jose's key getter: the known key at once; an unknown kid refetches (at most once per cooldown). */
  readonly getKey = (header: JWTHeaderParameters): CryptoKey | Promise<CryptoKey> => {
    const key = header.kid === undefined ? undefined : this.#keys.get(header.kid);
    if (key !== undefined) {
      if (performance.now() - this.#fetchedAt > this.#maxAgeMs) void this.refresh().catch(() => {});
      return key;
    }
    return this.#unknownKid(header.kid);
  };

  /** The key of `kid` when it is loaded (refreshing in the background when the keys are old), without fetching. */
  loadedKey(kid: string): CryptoKey | undefined {
    const key = this.#keys.get(kid);
    if (key !== undefined && performance.now() - this.#fetchedAt > this.#maxAgeMs) void this.refresh().catch(() => {});
    return key;
  }

  async #unknownKid(kid: string | undefined): Promise<CryptoKey> {
    if (this.#pending) await this.#pending;
    else if (performance.now() - this.#fetchedAt >= this.#cooldownMs) await this.refresh();
    const key = kid === undefined ? undefined : this.#keys.get(kid);
    if (key === undefined) throw new GatehouseClientError('jwt_invalid', `No key "${kid}" in the project's JWKS`);
    return key;
  }

  refresh(): Promise<void> {
    this.#pending ??= (async () => {
      try {
        const response = await this.#fetch(this.#url, { signal: AbortSignal.timeout(5000) });
        const { keys } = await parseResponse<{ keys: JWK[] }>(response);
        const imported = new Map<string, CryptoKey>();
        for (const jwk of keys) {
          if (jwk.kid && jwk.kty === 'RSA') imported.set(jwk.kid, (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey);
        }
        this.#keys = imported;
      } finally {
        this.#fetchedAt = performance.now();
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }
}

export interface AuthenticateJwtLocalParams {
  session_jwt: string;
  /** Older tokens (by iat) are refused: `jwt_too_old`. */
  max_token_age_seconds?: number;
  clock_tolerance_seconds?: number;
  current_date?: Date;
}

export interface AuthorizationCheck {
  resource_id: string;
  action: string;
}

export interface B2BAuthorizationCheck extends AuthorizationCheck {
  organization_id: string;
}

export interface AuthenticateJwtParams<Check> extends AuthenticateJwtLocalParams {
  authorization_check?: Check;
  /** Only for the server fallback (as in the official client). */
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
}

/** Where the answer came from: the token and cached policy, or the server. */
export type Decision = 'local' | 'server';

/** Verification shared by the consumer and B2B variants. */
export class JwtVerifier {
  readonly keys: KeySet;
  readonly #transport: Transport;
  readonly #policies: PolicyCache;
  readonly #kind: PolicyKind;
  readonly #strict: boolean;
  readonly #options: { audience: string; issuer: string[]; typ: 'JWT'; algorithms: string[] };

  constructor(transport: Transport, policies: PolicyCache, kind: PolicyKind, jwks: JwksOptions = {}, freshness: Freshness = 'default') {
    this.#transport = transport;
    this.#strict = freshness === 'strict';
    this.#policies = policies;
    this.#kind = kind;
    const prefix = kind === 'consumer' ? '/v1/sessions' : '/v1/b2b/sessions';
    this.keys = new KeySet(`${transport.baseUrl}${prefix}/jwks/${encodeURIComponent(transport.projectId)}`, transport.fetch, jwks);
    this.#options = {
      audience: transport.projectId,
      issuer: [`stytch.com/${transport.projectId}`, transport.baseUrl],
      typ: 'JWT',
      algorithms: ['RS256'],
    };
  }

  /** The verified claims; a GatehouseClientError when the token cannot be accepted locally. */
  async verify(params: AuthenticateJwtLocalParams): Promise<JWTPayload> {
    let payload: JWTPayload;
    const options =
      params.clock_tolerance_seconds === undefined && params.current_date === undefined
        ? this.#options
        : { ...this.#options, clockTolerance: params.clock_tolerance_seconds, currentDate: params.current_date };
    try {
      ({ payload } = await jwtVerify(params.session_jwt, this.keys.getKey, options));
    } catch (error) {
      throw new GatehouseClientError('jwt_invalid', 'Could not verify JWT', { cause: error });
    }
    const { max_token_age_seconds: maxAge } = params;
    if (maxAge !== undefined) {
      if (typeof payload.iat !== 'number') throw new GatehouseClientError('jwt_invalid', 'JWT was missing iat claim');
      const now = (params.current_date ?? new Date()).getTime() / 1000;
      if (now - payload.iat >= maxAge) throw new GatehouseClientError('jwt_too_old', `JWT was issued at ${payload.iat}, more than ${maxAge} seconds ago`);
    }
    // A role change announced after the token was issued: its roles claim may be out of date.
    const issuedAt = payload.iat ?? 0;
    if (this.#policies.isStale(String(payload.sub), issuedAt)) {
      throw new GatehouseClientError('jwt_stale', "The subject's roles changed after this JWT was issued");
    }
    const sessionId = String((payload[SESSION_CLAIM] as { id?: unknown } | undefined)?.id);
    if (this.#policies.isRevoked(sessionId)) throw new GatehouseClientError('session_revoked', 'The session of this JWT was revoked');
    if (this.#policies.isSessionStale(sessionId, issuedAt)) throw new GatehouseClientError('jwt_stale', 'The session changed after this JWT was issued');
    if (this.#strict && !this.#policies.isFollowing(issuedAt)) {
      throw new GatehouseClientError('jwt_stale', 'Strict freshness: the change stream was not connected since this JWT was issued');
    }
    return payload;
  }

  /** The local authorization check (B2B: tenancy first); throws invalid_permissions / tenancy_mismatch. */
  authorize(payload: JWTPayload, check: AuthorizationCheck | B2BAuthorizationCheck): AuthorizationVerdict | Promise<AuthorizationVerdict> {
    let organizationId: string | undefined;
    if (this.#kind === 'b2b') {
      organizationId = (payload[ORGANIZATION_CLAIM] as { organization_id?: string } | undefined)?.organization_id;
      if (organizationId !== (check as B2BAuthorizationCheck).organization_id) {
        throw new GatehouseClientError('tenancy_mismatch', 'Member belongs to different organization');
      }
    }
    const roles = (payload[SESSION_CLAIM] as { roles?: string[] } | undefined)?.roles ?? [];
    const decide = (compiled: CompiledPolicy) => {
      const verdict = isAuthorized(compiled, roles, check.resource_id, check.action);
      if (verdict.authorized) return verdict;
      const who = this.#kind === 'consumer' ? 'User' : 'Member';
      throw new GatehouseClientError('invalid_permissions', `${who} does not have permission to perform the requested action`);
    };
    // The cached policy is at hand (the hot path) or loading (the first check).
    const compiled = this.#policies.compiled(this.#kind, organizationId);
    return compiled instanceof Promise ? compiled.then(decide) : decide(compiled);
  }

  /** POST …/sessions/authenticate: the server decides (and returns a fresh JWT). */
  remote<T>(params: AuthenticateJwtParams<unknown>): Promise<T> {
    const path = this.#kind === 'consumer' ? '/v1/sessions/authenticate' : '/v1/b2b/sessions/authenticate';
    const { session_jwt, authorization_check, session_duration_minutes, session_custom_claims } = params;
    return this.#transport.call<T>('POST', path, { session_jwt, authorization_check, session_duration_minutes, session_custom_claims });
  }
}

function customClaims(payload: JWTPayload): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).filter(([key]) => !REGISTERED_CLAIMS.includes(key)));
}

interface SessionClaim {
  id: string;
  started_at: string;
  last_accessed_at: string;
  expires_at?: string | null;
  attributes?: { ip_address: string; user_agent: string };
  authentication_factors: AuthenticationFactor[];
  roles: string[];
}

function sessionClaim(payload: JWTPayload): SessionClaim & { expires_at: string } {
  const claim = payload[SESSION_CLAIM] as SessionClaim;
  return { ...claim, expires_at: claim.expires_at ?? new Date((payload.exp ?? 0) * 1000).toISOString() };
}

export interface AuthenticateJwtResult<S> {
  session: S;
  session_jwt: string;
  /** When an authorization check was made (and passed). */
  verdict?: AuthorizationVerdict;
  decided_by: Decision;
}

/**
 * The two ways, consumer and B2B: `authenticateJwtLocal` never calls the server (beyond the JWKS
 * and policy it caches); `authenticateJwt` goes to the server whenever the local answer is not a yes.
 */
function sessionsApi<S, Check extends AuthorizationCheck, Remote extends { session_jwt: string; verdict?: AuthorizationVerdict }>(
  verifier: JwtVerifier,
  toSession: (payload: JWTPayload) => S,
  fromRemote: (response: Remote) => S,
) {
  const authenticateJwtLocal = async (params: AuthenticateJwtLocalParams & { authorization_check?: Check }): Promise<AuthenticateJwtResult<S>> => {
    const payload = await verifier.verify(params);
    let verdict = params.authorization_check ? verifier.authorize(payload, params.authorization_check) : undefined;
    if (verdict instanceof Promise) verdict = await verdict;
    const result: AuthenticateJwtResult<S> = { session: toSession(payload), session_jwt: params.session_jwt, decided_by: 'local' };
    if (verdict) result.verdict = verdict;
    return result;
  };
  const authenticateJwt = async (params: AuthenticateJwtParams<Check>): Promise<AuthenticateJwtResult<S>> => {
    if (params.max_token_age_seconds !== 0) {
      try {
        return await authenticateJwtLocal(params);
      } catch (error) {
        if (!(error instanceof GatehouseClientError)) throw error;
      }
    }
    const response = await verifier.remote<Remote>(params);
    const result: AuthenticateJwtResult<S> = { session: fromRemote(response), session_jwt: response.session_jwt, decided_by: 'server' };
    if (response.verdict) result.verdict = response.verdict;
    return result;
  };
  return { authenticateJwt, authenticateJwtLocal, verifier };
}

export function consumerJwtSessions(verifier: JwtVerifier) {
  return sessionsApi<Session, AuthorizationCheck, { session: Session; session_jwt: string; user: User; verdict?: AuthorizationVerdict }>(
    verifier,
    (payload) => {
      const claim = sessionClaim(payload);
      return {
        session_id: claim.id,
        user_id: String(payload.sub),
        started_at: claim.started_at,
        last_accessed_at: claim.last_accessed_at,
        expires_at: claim.expires_at,
        attributes: claim.attributes ?? { ip_address: '', user_agent: '' },
        authentication_factors: claim.authentication_factors,
        custom_claims: customClaims(payload),
        roles: claim.roles,
      };
    },
    (response) => response.session,
  );
}

export function b2bJwtSessions(verifier: JwtVerifier) {
  return sessionsApi<MemberSession, B2BAuthorizationCheck, { member_session: MemberSession; session_jwt: string; member: Member; organization: Organization; verdict?: AuthorizationVerdict }>(
    verifier,
    (payload) => {
      const claim = sessionClaim(payload);
      const organization = payload[ORGANIZATION_CLAIM] as { organization_id: string; slug: string };
      return {
        member_session_id: claim.id,
        member_id: String(payload.sub),
        organization_id: organization.organization_id,
        organization_slug: organization.slug,
        started_at: claim.started_at,
        last_accessed_at: claim.last_accessed_at,
        expires_at: claim.expires_at,
        authentication_factors: claim.authentication_factors,
        custom_claims: customClaims(payload),
        roles: claim.roles,
      };
    },
    (response) => response.member_session,
  );
}
