// M2M access tokens verified locally, as the official client's m2m.authenticateToken does (jose
// jwtVerify: RS256 against the project's JWKS — the same cached KeySet as session JWTs —, typ JWT,
// iss, aud, exp, nbf; required_scopes with Stytch's default "action:resource" rule), plus what
// Stytch's lacks: an authorization check answered by @gatehouse/policy from the token's scopes and
// the policy's `scopes` (each scope's permissions), on the cached policy — no call on the hot path.
import { isAuthorized, parseScopeClaim, type AuthorizationVerdict, type CompiledPolicy } from '@gatehouse/policy';
import { jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { PolicyCache, PolicyKind } from './policy-cache.ts';
import { parseResponse, type Transport } from './request.ts';
import { GatehouseClientError, type AuthorizationCheck, type KeySet } from './sessions.ts';

/** Tokens whose signature verified, remembered (oldest dropped first) so a token presented again is not verified again. */
const DEFAULT_REMEMBERED_TOKENS = 10_000;

const REGISTERED_CLAIMS = new Set(['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub', 'scope']);

export interface AuthenticateM2MOptions {
  /** Every one must be held (Stytch's rule: `action:resource`, a `*` resource covers any). */
  required_scopes?: string[];
  /** The policy's scopes must grant this action on this resource to one of the token's scopes. */
  authorization_check?: AuthorizationCheck;
  /** Which policy's `scopes` the check reads: the consumer policy (default) or the B2B one. */
  policy?: PolicyKind;
  /** Older tokens (by iat) are refused: `jwt_too_old`. */
  max_token_age_seconds?: number;
  clock_tolerance_seconds?: number;
  current_date?: Date;
}

export interface AuthenticateM2MResult {
  client_id: string;
  scopes: string[];
  custom_claims: Record<string, unknown>;
  /** When an authorization check was made (and passed): granting_roles names the granting scopes. */
  verdict?: AuthorizationVerdict;
}

/** Stytch's default scope rule (its performAuthorizationCheck): `action:resource`, `*` as resource covers any. */
export function hasRequiredScopes(held: readonly string[], required: readonly string[]): boolean {
  const byAction = new Map<string, Set<string>>();
  const split = (scope: string) => (scope.includes(':') ? (scope.split(':') as [string, string]) : [scope, '-']);
  for (const scope of held) {
    const [action, resource] = split(scope);
    (byAction.get(action!) ?? byAction.set(action!, new Set()).get(action!)!).add(resource!);
  }
  return required.every((scope) => {
    const [action, resource] = split(scope);
    const resources = byAction.get(action!);
    return resources !== undefined && (resources.has('*') || resources.has(resource!));
  });
}

export class M2MVerifier {
  readonly #keys: KeySet;
  readonly #policies: PolicyCache;
  readonly #transport: Transport;
  readonly #options: { audience: string; issuer: string[]; typ: 'JWT'; algorithms: string[] };
  /**
   * Token text → what its verification established: the claims and the key that verified it. A hit
   * counts only for that exact text, while that key is still the JWKS's key for its kid; the time
   * claims are checked again on every use.
   */
  readonly #verified = new Map<string, { payload: JWTPayload; kid: string; key: CryptoKey }>();

  readonly #remember: number;

  /** `remember`: how many verified tokens to keep (0: verify every time). */
  constructor(transport: Transport, policies: PolicyCache, keys: KeySet, remember = DEFAULT_REMEMBERED_TOKENS) {
    this.#remember = remember;
    this.#transport = transport;
    this.#policies = policies;
    this.#keys = keys;
    this.#options = { audience: transport.projectId, issuer: [`stytch.com/${transport.projectId}`, transport.baseUrl], typ: 'JWT', algorithms: ['RS256'] };
  }

  /** Verifies locally; a GatehouseClientError (jwt_invalid, jwt_too_old, missing_scopes, invalid_permissions) when refused. */
  async authenticate(accessToken: string, options: AuthenticateM2MOptions = {}): Promise<AuthenticateM2MResult> {
    const payload = this.#remembered(accessToken, options) ?? (await this.#verify(accessToken, options));
    if (typeof payload.scope !== 'string' || typeof payload.sub !== 'string') throw new GatehouseClientError('jwt_invalid', 'Not an M2M access token: no scope or sub claim');
    const maxAge = options.max_token_age_seconds;
    if (maxAge !== undefined) {
      const now = (options.current_date ?? new Date()).getTime() / 1000;
      if (typeof payload.iat !== 'number' || now - payload.iat >= maxAge) throw new GatehouseClientError('jwt_too_old', `JWT was issued more than ${maxAge} seconds ago`);
    }
    const scopes = parseScopeClaim(payload.scope);
    if (options.required_scopes && options.required_scopes.length > 0 && !hasRequiredScopes(scopes, options.required_scopes)) {
      throw new GatehouseClientError('missing_scopes', 'Missing at least one required scope');
    }
    const result: AuthenticateM2MResult = { client_id: payload.sub, scopes, custom_claims: customClaims(payload) };
    const check = options.authorization_check;
    if (check) {
      const decide = (compiled: CompiledPolicy) => {
        const verdict = isAuthorized(compiled, scopes, check.resource_id, check.action);
        if (!verdict.authorized) throw new GatehouseClientError('invalid_permissions', 'M2M client does not have permission to perform the requested action');
        return verdict;
      };
      const compiled = this.#policies.compiledScopes(options.policy ?? 'consumer');
      result.verdict = compiled instanceof Promise ? decide(await compiled) : decide(compiled);
    }
    return result;
  }

  /** The claims of a token verified before with a key still current, if its time claims still hold now. */
  #remembered(accessToken: string, options: AuthenticateM2MOptions): JWTPayload | undefined {
    const entry = this.#verified.get(accessToken);
    if (entry === undefined || this.#keys.loadedKey(entry.kid) !== entry.key) return undefined;
    const now = (options.current_date?.getTime() ?? Date.now()) / 1000;
    const tolerance = options.clock_tolerance_seconds ?? 0;
    const { exp, nbf } = entry.payload;
    // jose's rules: expired when exp <= now - tolerance; not yet valid when nbf > now + tolerance.
    if (typeof exp === 'number' && exp <= now - tolerance) return undefined;
    if (typeof nbf === 'number' && nbf > now + tolerance) return undefined;
    return entry.payload;
  }

  async #verify(accessToken: string, options: AuthenticateM2MOptions): Promise<JWTPayload> {
    const verifyOptions =
      options.clock_tolerance_seconds === undefined && options.current_date === undefined
        ? this.#options
        : { ...this.#options, clockTolerance: options.clock_tolerance_seconds, currentDate: options.current_date };
    let used: { kid: string; key: CryptoKey } | undefined;
    const getKey = async (header: JWTHeaderParameters) => {
      const key = await this.#keys.getKey(header);
      used = { kid: header.kid!, key };
      return key;
    };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(accessToken, getKey, verifyOptions));
    } catch (error) {
      throw new GatehouseClientError('jwt_invalid', 'Could not verify JWT', { cause: error });
    }
    if (used && this.#remember > 0) {
      if (this.#verified.size >= this.#remember) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(accessToken, { payload, ...used });
    }
    return payload;
  }

  /** POST /v1/public/{project_id}/oauth2/token with a client's own credentials (never the project secret). */
  async token(input: { client_id: string; client_secret: string; scopes?: string[] }): Promise<{ access_token: string; token_type: string; expires_in: number }> {
    const body: Record<string, string> = { grant_type: 'client_credentials', client_id: input.client_id, client_secret: input.client_secret };
    if (input.scopes && input.scopes.length > 0) body.scope = input.scopes.join(' ');
    const response = await this.#transport.fetch(`${this.#transport.baseUrl}/v1/public/${encodeURIComponent(this.#transport.projectId)}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
      signal: AbortSignal.timeout(this.#transport.timeoutMs),
    });
    return parseResponse(response);
  }
}

function customClaims(payload: JWTPayload): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).filter(([key]) => !REGISTERED_CLAIMS.has(key)));
}
