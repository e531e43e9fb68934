// The wire protocol with the provider: the authorization URL (state, nonce, S256 PKCE), the code
// exchange, and who signed in — from a verified ID token (Google, Microsoft: signature against the
// provider's JWKS, issuer, audience, expiry and nonce, with jose) or from GitHub's API (/user and
// /user/emails). Every request goes through the guarded outbound client. Pure of the database.
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { BoundedCache } from '../shared/bounded-cache.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import type { OAuthClient, OAuthProviderName } from './providers.ts';

/** Who the provider says signed in. */
export interface OAuthIdentity {
  provider_subject: string;
  email: string;
  /** Only when the provider vouches for the address (providers.ts says how each does). */
  email_verified: boolean;
  name: string;
  /** Microsoft: the tenant (`tid`); else ''. */
  tenant_id: string;
  /** What Stytch returns as provider_values. */
  access_token: string;
  refresh_token: string;
  id_token: string;
  scopes: string[];
}

/** Where the provider sends the browser back: the redirect URI to register at the provider. */
export function oauthCallbackUrl(publicUrl: string, provider: OAuthProviderName): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/oauth/callback/${provider}`;
}

export function authorizationUrl(client: OAuthClient, redirectUri: string, params: { state: string; nonce: string; code_challenge: string }): string {
  const url = new URL(client.endpoints.authorization_url);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.record.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', client.scopes.join(' '));
  url.searchParams.set('state', params.state);
  if (client.preset.protocol === 'oidc') url.searchParams.set('nonce', params.nonce);
  url.searchParams.set('code_challenge', params.code_challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** Provider error codes repeated back: a short token, nothing else. */
const PROVIDER_ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The callback's error or code (the state was matched by the caller). */
export function callbackCode(params: URLSearchParams): string {
  const error = params.get('error');
  if (error !== null) throw new GatehouseError('oauth_provider_error', { params: { code: PROVIDER_ERROR_CODE.test(error) ? error : 'unknown_error' } });
  const code = params.get('code');
  if (!code) throw new GatehouseError('oauth_callback_invalid');
  return code;
}

async function fetchJson(outbound: OutboundFetch, url: string, init: Parameters<OutboundFetch['fetch']>[1], failure: 'oauth_token_exchange_failed' | 'oauth_provider_unreachable'): Promise<any> {
  let response: Response;
  try {
    response = await outbound.fetch(url, { redirect: 'manual', ...init });
  } catch (error) {
    throw new GatehouseError('oauth_provider_unreachable', { cause: error });
  }
  let body: any;
  try {
    body = await response.json();
  } catch (error) {
    throw new GatehouseError('oauth_provider_unreachable', { cause: error });
  }
  if (!response.ok || body === null || typeof body !== 'object' || typeof body.error === 'string') {
    throw new GatehouseError(failure, { details: typeof body?.error === 'string' && PROVIDER_ERROR_CODE.test(body.error) ? { provider_error: body.error } : undefined });
  }
  return body;
}

/** JWKS by URL, kept 10 minutes (refetched sooner when a token names an unknown key); bounded, as every cache is. */
const jwksCache = new BoundedCache<string, { keys: JSONWebKeySet; at: number }>({ max: 1_000 });
const JWKS_TTL_MS = 10 * 60_000;

async function verifyIdToken(client: OAuthClient, outbound: OutboundFetch, idToken: string, nonce: string): Promise<Record<string, unknown>> {
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeJwt(idToken);
  } catch (error) {
    throw new GatehouseError('oauth_id_token_invalid', { cause: error });
  }
  // Microsoft's common endpoint: the issuer names the user's tenant.
  const tid = typeof unverified['tid'] === 'string' && /^[0-9a-f-]{36}$/.test(unverified['tid']) ? unverified['tid'] : '';
  const issuer = client.endpoints.issuer.replace('{tenantid}', tid);
  if (issuer.includes('{tenantid}')) throw new GatehouseError('oauth_id_token_invalid');
  const verify = async (fresh: boolean) => {
    const cached = jwksCache.get(client.endpoints.jwks_url);
    let keys = cached && !fresh && Date.now() - cached.at < JWKS_TTL_MS ? cached.keys : undefined;
    if (!keys) {
      keys = (await fetchJson(outbound, client.endpoints.jwks_url, {}, 'oauth_provider_unreachable')) as JSONWebKeySet;
      jwksCache.set(client.endpoints.jwks_url, { keys, at: Date.now() });
    }
    return jwtVerify(idToken, createLocalJWKSet(keys), { issuer, audience: client.record.client_id, clockTolerance: 30 });
  };
  let payload: Record<string, unknown>;
  try {
    try {
      payload = (await verify(false)).payload;
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      payload = (await verify(true)).payload;
    }
  } catch (error) {
    if (isGatehouseError(error)) throw error;
    throw new GatehouseError('oauth_id_token_invalid', { cause: error });
  }
  if (payload['nonce'] !== nonce) throw new GatehouseError('oauth_id_token_invalid');
  return payload;
}

const isTrue = (value: unknown) => value === true || value === 'true' || value === 1 || value === '1';

/** Exchanges the code (with the PKCE verifier) and reads who signed in. */
export async function completeSignIn(
  client: OAuthClient,
  outbound: OutboundFetch,
  redirectUri: string,
  code: string,
  flow: { nonce: string; code_verifier: string },
): Promise<OAuthIdentity> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: flow.code_verifier,
    client_id: client.record.client_id, client_secret: client.client_secret,
  });
  const tokens = await fetchJson(outbound, client.endpoints.token_url, {
    method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  }, 'oauth_token_exchange_failed');
  const accessToken = typeof tokens.access_token === 'string' ? tokens.access_token : '';
  if (accessToken === '') throw new GatehouseError('oauth_token_exchange_failed');
  const values = {
    access_token: accessToken,
    refresh_token: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : '',
    id_token: typeof tokens.id_token === 'string' ? tokens.id_token : '',
    scopes: typeof tokens.scope === 'string' ? tokens.scope.split(/[\s,]+/).filter(Boolean) : client.scopes,
  };
  if (client.preset.protocol === 'github') return { ...(await githubIdentity(client, outbound, accessToken)), ...values };

  if (values.id_token === '') throw new GatehouseError('oauth_id_token_invalid');
  const claims = await verifyIdToken(client, outbound, values.id_token, flow.nonce);
  const sub = claims['sub'];
  if (typeof sub !== 'string' || sub === '') throw new GatehouseError('oauth_id_token_invalid');
  let email = claims['email'];
  let name = claims['name'];
  if ((typeof email !== 'string' || typeof name !== 'string') && client.endpoints.userinfo_url !== '') {
    const userinfo = await fetchJson(outbound, client.endpoints.userinfo_url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } }, 'oauth_provider_unreachable');
    if (userinfo.sub === sub) {
      if (typeof email !== 'string') email = userinfo.email;
      if (typeof name !== 'string') name = userinfo.name;
      for (const claim of ['email_verified', 'xms_edov']) if (claims[claim] === undefined) claims[claim] = userinfo[claim];
    }
  }
  if (typeof email !== 'string' || !email.includes('@')) throw new GatehouseError('oauth_email_missing');
  const provider = client.record.provider;
  const verified = provider === 'microsoft' ? isTrue(claims['xms_edov']) : isTrue(claims['email_verified']);
  return {
    provider_subject: sub,
    email: email.trim(),
    email_verified: verified,
    name: typeof name === 'string' ? name : '',
    tenant_id: typeof claims['tid'] === 'string' ? claims['tid'] : '',
    ...values,
  };
}

/** GitHub: /user for the id and name, /user/emails for the primary address and whether GitHub verified it. */
async function githubIdentity(client: OAuthClient, outbound: OutboundFetch, accessToken: string) {
  const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'Gatehouse' };
  const user = await fetchJson(outbound, client.endpoints.userinfo_url, { headers }, 'oauth_provider_unreachable');
  if ((typeof user.id !== 'number' && typeof user.id !== 'string') || String(user.id) === '') throw new GatehouseError('oauth_provider_unreachable');
  const emails = await fetchJson(outbound, `${client.endpoints.userinfo_url.replace(/\/+$/, '')}/emails`, { headers }, 'oauth_provider_unreachable');
  const list: { email?: unknown; primary?: unknown; verified?: unknown }[] = Array.isArray(emails) ? emails : [];
  const primary = list.find((entry) => entry.primary === true && typeof entry.email === 'string');
  if (!primary) throw new GatehouseError('oauth_email_missing');
  return {
    provider_subject: String(user.id),
    email: (primary.email as string).trim(),
    email_verified: primary.verified === true,
    name: typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : '',
    tenant_id: '',
  };
}
