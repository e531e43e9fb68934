// The OpenID Connect relying party for SSO connections: discovery, the authorization URL (code flow
// with S256 PKCE, state and nonce) and the callback (code exchange and ID-token validation), all done
// by openid-client. Pure of the database: the SSO core stores connections and flow state and calls
// these functions with them. Every refusal is a GatehouseError with an oidc_* error_type; messages
// never carry library internals (the library error stays in `cause`, for the logs).
import * as client from 'openid-client';
import { BoundedCache } from '../shared/bounded-cache.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';

export interface OidcConnectionConfig {
  connection_id: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  authorization_url: string;
  token_url: string;
  userinfo_url: string;
  jwks_url: string;
  /** Space separated, added to `openid email profile`. */
  custom_scopes: string;
  /** Keys email, name, groups → claim names; defaults email, name, groups. */
  attribute_mapping: Record<string, string>;
}

export interface OidcEndpoints {
  issuer: string;
  authorization_url: string;
  token_url: string;
  /** '' when the provider has no userinfo endpoint. */
  userinfo_url: string;
  jwks_url: string;
}

export interface OidcIdentity {
  /** The ID token's `sub`. */
  external_id: string;
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[];
  /** The ID token's claims, completed with userinfo claims the ID token lacks. */
  claims: Record<string, unknown>;
}

const BASE_SCOPES = ['openid', 'email', 'profile'];
/** Seconds for each request to the provider. */
const TIMEOUT_SECONDS = 10;

export function oidcRedirectUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/b2b/sso/oidc/callback`;
}

// ---------------------------------------------------------------------------------------------
// Transport security. Every request to the provider goes through the guarded outbound client
// (shared/outbound-fetch.ts): https to public addresses only, unless the development setting allows
// plain http and private addresses (a provider on the developer's machine, the tests' provider on
// loopback). A URL it would refuse is refused here before any request, with an oidc_* error.

/** openid-client's fetch, through the guarded client. */
function guardedFetch(outbound: OutboundFetch): client.CustomFetch {
  return (url, options) =>
    outbound.fetch(url, {
      method: options.method,
      headers: options.headers,
      body: options.body as string | URLSearchParams | undefined,
      redirect: 'manual',
      signal: options.signal,
    });
}

/** Whether openid-client must be told that plain http is fine (only when the guard allows it). */
const usesHttp = (urls: string[]) => urls.some((url) => url.startsWith('http:'));

// ---------------------------------------------------------------------------------------------
// Discovery

export async function discoverOidc(issuer: string, outbound: OutboundFetch): Promise<OidcEndpoints> {
  if (!outbound.isAllowedUrl(issuer)) {
    throw new GatehouseError('oidc_issuer_not_public');
  }
  let metadata: client.ServerMetadata;
  try {
    // discovery() needs a client id to build a Configuration; only the server metadata is used here.
    const configuration = await client.discovery(new URL(issuer), 'gatehouse-discovery', undefined, undefined, {
      execute: usesHttp([issuer]) ? [client.allowInsecureRequests] : [],
      timeout: TIMEOUT_SECONDS,
      [client.customFetch]: guardedFetch(outbound),
    });
    metadata = configuration.serverMetadata();
  } catch (error) {
    // The guard's own refusal is passed on as it is: one message whatever the target did.
    const refused = outboundRefusal(error);
    throw refused ?? new GatehouseError('oidc_discovery_failed', { cause: error });
  }
  const endpoints: OidcEndpoints = {
    issuer: metadata.issuer,
    authorization_url: metadata.authorization_endpoint ?? '',
    token_url: metadata.token_endpoint ?? '',
    userinfo_url: metadata.userinfo_endpoint ?? '',
    jwks_url: metadata.jwks_uri ?? '',
  };
  for (const field of ['authorization_url', 'token_url', 'jwks_url'] as const) {
    if (endpoints[field] === '') {
      throw new GatehouseError('oidc_endpoint_missing', { params: { endpoint: field.replace('_url', '') } });
    }
  }
  for (const [field, value] of Object.entries(endpoints)) {
    if (value !== '' && !outbound.isAllowedUrl(value)) {
      throw new GatehouseError('oidc_endpoint_not_public', { params: { field } });
    }
  }
  return endpoints;
}

// ---------------------------------------------------------------------------------------------
// Client configuration from a stored connection (no discovery at sign-in time: the stored endpoints
// are the ones an administrator saw and may have edited).

/** JWKS fetched per jwks_url, kept across sign-ins (openid-client refetches on an unknown kid); bounded, as every cache is. */
const jwksCaches = new BoundedCache<string, client.ExportedJWKSCache>({ max: 1_000 });

type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

interface Exchange {
  configuration: client.Configuration;
  /** Set once the token endpoint answered 2xx: later failures concern the tokens it returned. */
  tokenResponseReceived: boolean;
}

/** The guard's refusal somewhere in an error's causes (openid-client wraps what customFetch throws). */
function outboundRefusal(error: unknown): GatehouseError | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (isGatehouseError(current, 'outbound_fetch_failed')) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function configure(config: OidcConnectionConfig, authMethod: ClientAuthMethod, outbound: OutboundFetch, clock?: Clock): Exchange {
  const urls = [config.issuer, config.authorization_url, config.token_url, config.jwks_url];
  if (config.userinfo_url !== '') urls.push(config.userinfo_url);
  if (!urls.every((url) => outbound.isAllowedUrl(url))) throw new GatehouseError('oidc_insecure_url');

  const server: client.ServerMetadata = {
    issuer: config.issuer,
    authorization_endpoint: config.authorization_url,
    token_endpoint: config.token_url,
    jwks_uri: config.jwks_url,
    ...(config.userinfo_url !== '' ? { userinfo_endpoint: config.userinfo_url } : {}),
  };
  const auth =
    authMethod === 'client_secret_basic'
      ? client.ClientSecretBasic(config.client_secret)
      : client.ClientSecretPost(config.client_secret);
  const metadata: Partial<client.ClientMetadata> = { client_secret: config.client_secret };
  // ID-token time checks (exp, iat, nbf; 30 s tolerance) run on the given clock.
  if (clock !== undefined) metadata[client.clockSkew] = Math.round((clock.now().getTime() - Date.now()) / 1000);
  const configuration = new client.Configuration(server, config.client_id, metadata, auth);
  if (usesHttp(urls)) client.allowInsecureRequests(configuration);
  // openid-client skips the ID token's signature for tokens fetched over TLS from the token
  // endpoint unless asked; we always verify it against the provider's JWKS.
  client.enableNonRepudiationChecks(configuration);
  configuration.timeout = TIMEOUT_SECONDS;
  const cached = jwksCaches.get(config.jwks_url);
  if (cached !== undefined) client.setJwksCache(configuration, cached);

  const exchange: Exchange = { configuration, tokenResponseReceived: false };
  const fetchThroughGuard = guardedFetch(outbound);
  configuration[client.customFetch] = async (url, options) => {
    const response = await fetchThroughGuard(url, options);
    if (url === config.token_url && response.ok) exchange.tokenResponseReceived = true;
    return response;
  };
  return exchange;
}

function rememberJwks(exchange: Exchange, jwksUrl: string): void {
  const cache = client.getJwksCache(exchange.configuration);
  if (cache !== undefined) jwksCaches.set(jwksUrl, cache);
}

function scopesOf(config: OidcConnectionConfig): string {
  const scopes = [...BASE_SCOPES];
  for (const scope of config.custom_scopes.split(/\s+/)) {
    if (scope !== '' && !scopes.includes(scope)) scopes.push(scope);
  }
  return scopes.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Authorization request

export async function oidcAuthorizationUrl(
  config: OidcConnectionConfig,
  publicUrl: string,
  params: { state: string; nonce: string; code_challenge: string },
  outbound: OutboundFetch,
): Promise<string> {
  const { configuration } = configure(config, 'client_secret_basic', outbound);
  return client
    .buildAuthorizationUrl(configuration, {
      response_type: 'code',
      redirect_uri: oidcRedirectUrl(publicUrl),
      scope: scopesOf(config),
      state: params.state,
      nonce: params.nonce,
      code_challenge: params.code_challenge,
      code_challenge_method: 'S256',
    })
    .toString();
}

// ---------------------------------------------------------------------------------------------
// Callback

/** Error codes a provider may put in the callback: a short token, nothing else is repeated back. */
const PROVIDER_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export async function completeOidcCallback(
  config: OidcConnectionConfig,
  publicUrl: string,
  callbackUrl: URL,
  expected: { state: string; nonce: string; code_verifier: string },
  /**
   * clock: the time the ID token's exp/iat/nbf are checked against (default: the system's). Only a
   * clock that follows real time makes sense here: the provider signs with its own real time.
   */
  options: { clock?: Clock; outbound: OutboundFetch },
): Promise<OidcIdentity> {
  const params = callbackUrl.searchParams;

  // Checked here first so each refusal gets its own error; openid-client checks state again.
  if (params.get('state') !== expected.state) throw new GatehouseError('oidc_state_mismatch');
  const iss = params.get('iss');
  if (iss !== null && iss !== config.issuer) throw new GatehouseError('oidc_issuer_mismatch');
  const providerError = params.get('error');
  if (providerError !== null) {
    const code = PROVIDER_ERROR_CODE.test(providerError) ? providerError : 'unknown_error';
    const description = params.get('error_description');
    throw new GatehouseError('oidc_provider_error', {
      params: { code },
      details: { provider_error: code, ...(description !== null ? { provider_error_description: description.slice(0, 500) } : {}) },
    });
  }
  if (!params.get('code')) throw new GatehouseError('oidc_callback_invalid');

  // The token request's redirect_uri must be the one sent in the authorization request, whatever
  // URL the callback reached us at (proxies may rewrite it).
  const currentUrl = new URL(oidcRedirectUrl(publicUrl));
  currentUrl.search = callbackUrl.search;
  const checks: client.AuthorizationCodeGrantChecks = {
    expectedState: expected.state,
    expectedNonce: expected.nonce,
    pkceCodeVerifier: expected.code_verifier,
    idTokenExpected: true,
  };

  // client_secret_basic is the OpenID default; a provider that only takes client_secret_post
  // answers invalid_client (it authenticates the client before looking at the code, so the code
  // is still good for the second try).
  let exchange = configure(config, 'client_secret_basic', options.outbound, options.clock);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    try {
      tokens = await client.authorizationCodeGrant(exchange.configuration, currentUrl, checks);
    } catch (error) {
      if (!(error instanceof client.ResponseBodyError && error.error === 'invalid_client')) throw error;
      exchange = configure(config, 'client_secret_post', options.outbound, options.clock);
      tokens = await client.authorizationCodeGrant(exchange.configuration, currentUrl, checks);
    }
  } catch (error) {
    throw classifyExchangeError(error, exchange);
  }
  rememberJwks(exchange, config.jwks_url);

  const idTokenClaims = tokens.claims();
  if (idTokenClaims === undefined) throw new GatehouseError('oidc_id_token_invalid');
  const claims: Record<string, unknown> = { ...idTokenClaims };
  const sub = idTokenClaims.sub;

  const emailClaim = config.attribute_mapping['email'] || 'email';
  const nameClaim = config.attribute_mapping['name'] || 'name';
  const groupsClaim = config.attribute_mapping['groups'] || 'groups';

  // Providers that keep profile claims out of the ID token serve them at userinfo. The ID token's
  // own claims win; userinfo only fills the gaps (and must be about the same sub).
  const missing = [emailClaim, nameClaim, groupsClaim].some((claim) => claims[claim] === undefined);
  if (missing && config.userinfo_url !== '') {
    let userinfo: Record<string, unknown>;
    try {
      userinfo = await client.fetchUserInfo(exchange.configuration, tokens.access_token, sub);
    } catch (error) {
      throw new GatehouseError('oidc_userinfo_failed', { cause: error });
    }
    for (const [claim, value] of Object.entries(userinfo)) {
      if (claims[claim] === undefined) claims[claim] = value;
    }
  }

  const email = claims[emailClaim];
  if (typeof email !== 'string' || !email.includes('@')) throw new GatehouseError('oidc_email_missing');
  const verified = claims['email_verified'];
  return {
    external_id: sub,
    email: email.trim(),
    email_verified: verified === true || verified === 'true',
    name: nameOf(claims, nameClaim),
    groups: groupsOf(claims[groupsClaim]),
    claims,
  };
}

function nameOf(claims: Record<string, unknown>, nameClaim: string): string {
  const name = claims[nameClaim];
  if (typeof name === 'string') return name;
  const parts = [claims['given_name'], claims['family_name']].filter((part): part is string => typeof part === 'string');
  return parts.join(' ');
}

function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string' && group !== '');
  return [];
}

/** Turns what authorizationCodeGrant threw into one of our refusals. */
function classifyExchangeError(error: unknown, exchange: Exchange): GatehouseError {
  // The guard refused or the provider failed to answer usably: to the caller, the provider is unreachable.
  const refused = outboundRefusal(error);
  if (refused) return new GatehouseError('oidc_provider_unreachable', { cause: refused });
  if (error instanceof GatehouseError) return error;
  // The token endpoint answered with an OAuth error: unknown/used/expired code, wrong PKCE verifier,
  // redirect_uri mismatch, bad client credentials.
  if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError) {
    return new GatehouseError('oidc_token_exchange_failed', {
      details: error instanceof client.ResponseBodyError ? { provider_error: error.error } : undefined,
      cause: error,
    });
  }
  if (error instanceof client.ClientError) {
    const original = error.cause as { cause?: { claim?: unknown } } | undefined;
    if (error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && original?.cause?.claim === 'nonce') {
      return new GatehouseError('oidc_nonce_mismatch', { cause: error });
    }
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') {
      return new GatehouseError('oidc_provider_unreachable', { cause: error });
    }
  }
  // After a 2xx from the token endpoint, what failed is the ID token (signature, issuer, audience,
  // expiry, a missing ID token) or fetching the keys to check it.
  if (exchange.tokenResponseReceived) return new GatehouseError('oidc_id_token_invalid', { cause: error });
  if (error instanceof TypeError || (error instanceof client.ClientError && error.cause instanceof TypeError)) {
    return new GatehouseError('oidc_provider_unreachable', { cause: error });
  }
  return new GatehouseError('oidc_token_exchange_failed', { cause: error });
}
