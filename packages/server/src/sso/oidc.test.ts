// The OIDC relying party against a real OpenID provider (oidc-provider) on loopback: discovery, a
// PKCE code flow signed in without a browser, and one test per security point of the callback.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import { ERROR_CATALOGUE, GatehouseError, type CatalogueErrorType } from '../shared/errors.ts';
import { startOidcProvider, type TestOidcProvider, type TestOidcProviderOptions } from '../testing/oidc-provider.ts';
import { OutboundFetch } from '../shared/outbound-fetch.ts';
import {
  completeOidcCallback,
  discoverOidc,
  oidcAuthorizationUrl,
  oidcRedirectUrl,
  type OidcConnectionConfig,
} from './oidc.ts';

/** The relying party's public URL: nothing listens there; signIn() stops at the redirect to it. */
const PUBLIC_URL = 'http://127.0.0.1:4999';
const CALLBACK = oidcRedirectUrl(PUBLIC_URL);

/** The providers listen on loopback: the development setting lets the guarded client reach them. */
const outbound = new OutboundFetch({ allowedPrivateRanges: ['127.0.0.0/8'], timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 3 });
/** What production does: https to public addresses only. */
const productionOutbound = new OutboundFetch({ allowedPrivateRanges: [], timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 3 });

let idp: TestOidcProvider;
/** A second provider with its own keys, for tokens and metadata from the wrong party. */
let otherIdp: TestOidcProvider;
/** Client B on `idp`, for an ID token issued to another audience. */
const CLIENT_B = { client_id: 'other-client', client_secret: 'other-client-secret-000000000000' };
/** Set by a test: the token endpoint authenticates the request as client B whatever was sent. */
let tokenRequestsAsClientB = false;

before(async () => {
  idp = await startOidcProvider({ redirectUris: [CALLBACK], extraClients: [CLIENT_B] });
  otherIdp = await startOidcProvider({ redirectUris: [CALLBACK] });
  idp.provider.use(async (ctx, next) => {
    if (tokenRequestsAsClientB && ctx.path === '/token') {
      ctx.req.headers['authorization'] = `Basic ${Buffer.from(`${CLIENT_B.client_id}:${CLIENT_B.client_secret}`).toString('base64')}`;
    }
    await next();
  });
});
after(async () => {
  await idp?.stop();
  await otherIdp?.stop();
});

async function connectionFor(provider: TestOidcProvider, overrides: Partial<OidcConnectionConfig> = {}): Promise<OidcConnectionConfig> {
  return {
    connection_id: 'oidc-connection-test-1',
    client_id: provider.clientId,
    client_secret: provider.clientSecret,
    custom_scopes: 'groups',
    attribute_mapping: {},
    ...(await discoverOidc(provider.issuer, outbound)),
    ...overrides,
  };
}

interface Started {
  url: string;
  expected: { state: string; nonce: string; code_verifier: string };
}

/** What the SSO core does at SSO start: fresh state, nonce and PKCE verifier, and the IdP URL. */
async function start(config: OidcConnectionConfig): Promise<Started> {
  const expected = { state: client.randomState(), nonce: client.randomNonce(), code_verifier: client.randomPKCECodeVerifier() };
  const code_challenge = await client.calculatePKCECodeChallenge(expected.code_verifier);
  const url = await oidcAuthorizationUrl(config, PUBLIC_URL, { state: expected.state, nonce: expected.nonce, code_challenge }, outbound);
  return { url, expected };
}

async function signInThrough(provider: TestOidcProvider, config: OidcConnectionConfig) {
  const started = await start(config);
  const callback = await provider.signIn(started.url);
  return completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound });
}

/** Refused with this error type and the catalogue's message: nothing from the library leaks. */
async function assertRefused(promise: Promise<unknown>, errorType: CatalogueErrorType): Promise<GatehouseError> {
  const error = await promise.then(
    () => assert.fail(`expected ${errorType}, but the call succeeded`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof GatehouseError, `expected a GatehouseError, got ${String(error)}`);
  assert.equal(error.errorType, errorType, `expected ${errorType}, got ${error.errorType}: ${error.message} (cause: ${String(error.cause)})`);
  if (errorType !== 'oidc_provider_error') assert.equal(error.message, ERROR_CATALOGUE[errorType].message);
  assert.doesNotMatch(error.message, /OAUTH_|openid-client|oauth4webapi|TypeError/);
  return error;
}

/** A provider of its own for one test. */
async function withProvider(options: TestOidcProviderOptions, run: (provider: TestOidcProvider) => Promise<void>): Promise<void> {
  const provider = await startOidcProvider(options);
  try {
    await run(provider);
  } finally {
    await provider.stop();
  }
}

let userCounter = 0;
function newUser(fields: { email?: string | null; name?: string; groups?: string[] | string } = {}) {
  userCounter += 1;
  const sub = `user-${userCounter}-${Date.now()}`;
  const { email = `${sub}@example.com`, ...rest } = fields;
  const user = { sub, ...(email !== null ? { email } : {}), ...rest };
  return user;
}

test('discovery: an issuer on loopback over http gives its endpoints', async () => {
  const endpoints = await discoverOidc(idp.issuer, outbound);
  assert.deepEqual(endpoints, {
    issuer: idp.issuer,
    authorization_url: `${idp.issuer}/auth`,
    token_url: `${idp.issuer}/token`,
    userinfo_url: `${idp.issuer}/me`,
    jwks_url: `${idp.issuer}/jwks`,
  });
});

test('discovery: without the development setting, http and private issuers are refused before any request; an address serving no OpenID configuration fails clearly', async () => {
  const refused = [idp.issuer, 'http://idp.example.com', 'https://10.0.0.5:8080', 'https://127.0.0.2', 'https://2130706433', 'https://[::ffff:127.0.0.1]', 'ftp://idp.example.com', 'not a url'];
  for (const issuer of refused) {
    const caught = await discoverOidc(issuer, productionOutbound).then(() => undefined, (e: unknown) => e);
    assert.ok(caught instanceof GatehouseError && caught.errorType === 'oidc_discovery_failed', issuer);
    assert.match(caught.message, /must be an https URL on a public address/);
  }
  // With the setting, ftp and garbage are still refused.
  for (const issuer of ['ftp://idp.example.com', 'not a url']) {
    const caught = await discoverOidc(issuer, outbound).then(() => undefined, (e: unknown) => e);
    assert.ok(caught instanceof GatehouseError && caught.errorType === 'oidc_discovery_failed', issuer);
  }
  // Loopback, but nothing OpenID there (the provider's issuer with a path that has no metadata).
  const caught = await discoverOidc(`${idp.issuer}/nothing-here`, outbound).then(() => undefined, (e: unknown) => e);
  assert.ok(caught instanceof GatehouseError && caught.errorType === 'oidc_discovery_failed');
  assert.equal(caught.message, ERROR_CATALOGUE.oidc_discovery_failed.message);
});

test('the authorization URL asks for a code with S256 PKCE, state, nonce, the callback and openid email profile + custom scopes', async () => {
  const config = await connectionFor(idp, { custom_scopes: 'groups  offline_access email' });
  const url = new URL(await oidcAuthorizationUrl(config, `${PUBLIC_URL}/`, { state: 's', nonce: 'n', code_challenge: 'c' }, outbound));
  assert.equal(url.origin + url.pathname, `${idp.issuer}/auth`);
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('client_id'), idp.clientId);
  assert.equal(url.searchParams.get('redirect_uri'), `${PUBLIC_URL}/v1/b2b/sso/oidc/callback`);
  assert.equal(url.searchParams.get('scope'), 'openid email profile groups offline_access');
  assert.equal(url.searchParams.get('state'), 's');
  assert.equal(url.searchParams.get('nonce'), 'n');
  assert.equal(url.searchParams.get('code_challenge'), 'c');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
});

test('sign-in: the identity carries sub, email, name and groups from the verified ID token', async () => {
  const config = await connectionFor(idp);
  const user = newUser({ name: 'Ada Lovelace', groups: ['engineering', 'admins'] });
  idp.setUser(user);
  const identity = await signInThrough(idp, config);
  assert.equal(identity.external_id, user.sub);
  assert.equal(identity.email, user.email);
  assert.equal(identity.email_verified, true);
  assert.equal(identity.name, 'Ada Lovelace');
  assert.deepEqual(identity.groups, ['engineering', 'admins']);
  assert.equal(identity.claims['iss'], idp.issuer);
  assert.equal(identity.claims['aud'], idp.clientId);
});

test('sign-in: a group change at the IdP between two sign-ins shows in the second identity', async () => {
  const config = await connectionFor(idp);
  const user = newUser({ groups: ['engineering', 'admins'] });
  idp.setUser(user);
  assert.deepEqual((await signInThrough(idp, config)).groups, ['engineering', 'admins']);
  idp.setUser({ ...user, groups: ['engineering'] });
  assert.deepEqual((await signInThrough(idp, config)).groups, ['engineering']);
  idp.setUser({ ...user, groups: [] });
  assert.deepEqual((await signInThrough(idp, config)).groups, []);
});

test('groups: a single string is one group; no claim is no groups; the claim name follows attribute_mapping', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser({ groups: 'engineering' }));
  assert.deepEqual((await signInThrough(idp, config)).groups, ['engineering']);
  idp.setUser(newUser());
  assert.deepEqual((await signInThrough(idp, config)).groups, []);
  // Mapped to a claim the provider does not send: no groups, even though `groups` is present.
  idp.setUser(newUser({ groups: ['engineering'] }));
  const mapped = await signInThrough(idp, { ...config, attribute_mapping: { groups: 'roles' } });
  assert.deepEqual(mapped.groups, []);
  // Email and name mapped to other claims.
  const user = newUser({ name: 'Grace Hopper' });
  idp.setUser(user);
  const renamed = await signInThrough(idp, { ...config, attribute_mapping: { email: 'email', name: 'sub' } });
  assert.equal(renamed.name, user.sub);
});

test('sign-in: a provider that keeps claims out of the ID token (OpenID Core conformant) gives email, name and groups at userinfo', async () => {
  await withProvider({ redirectUris: [CALLBACK], claimsInIdToken: false }, async (conformant) => {
    const config = await connectionFor(conformant);
    const user = newUser({ name: 'Katherine Johnson', groups: ['research'] });
    conformant.setUser(user);
    const identity = await signInThrough(conformant, config);
    assert.equal(identity.external_id, user.sub);
    assert.equal(identity.email, user.email);
    assert.equal(identity.name, 'Katherine Johnson');
    assert.deepEqual(identity.groups, ['research']);
  });
});

test('sign-in: a provider that takes client_secret_post only is used with client_secret_post', async () => {
  await withProvider({ redirectUris: [CALLBACK], tokenEndpointAuthMethod: 'client_secret_post' }, async (postOnly) => {
    const config = await connectionFor(postOnly);
    postOnly.setUser(newUser({ groups: ['ops'] }));
    assert.deepEqual((await signInThrough(postOnly, config)).groups, ['ops']);
  });
});

test('refused: state in the callback differs from the state of the started sign-in', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, { ...started.expected, state: client.randomState() }, { outbound }), 'oidc_state_mismatch');
  const noState = new URL(callback);
  noState.searchParams.delete('state');
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, noState, started.expected, { outbound }), 'oidc_state_mismatch');
});

test('refused: the ID token nonce differs from the nonce of the started sign-in', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, { ...started.expected, nonce: client.randomNonce() }, { outbound }), 'oidc_nonce_mismatch');
});

test('refused: a wrong PKCE code_verifier (the provider refuses the code exchange)', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  const error = await assertRefused(
    completeOidcCallback(config, PUBLIC_URL, callback, { ...started.expected, code_verifier: client.randomPKCECodeVerifier() }, { outbound }),
    'oidc_token_exchange_failed',
  );
  assert.deepEqual(error.details, { provider_error: 'invalid_grant' });
});

test('refused: an authorization code used a second time', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  await completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound });
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_token_exchange_failed');
});

test('refused: a wrong client secret', async () => {
  const config = await connectionFor(idp, { client_secret: 'not-the-secret' });
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_token_exchange_failed');
});

test('refused: an ID token whose signature does not verify with the connection\'s JWKS (signed by another key)', async () => {
  // The connection trusts the keys of another provider: the genuine token of `idp` does not verify.
  const config = await connectionFor(idp, { jwks_url: (await discoverOidc(otherIdp.issuer, outbound)).jwks_url });
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_id_token_invalid');
});

test('refused: a callback or ID token from another issuer than the connection\'s', async () => {
  // The connection names another issuer; the provider that answers is `idp`.
  const config = await connectionFor(idp, { issuer: otherIdp.issuer });
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url);
  // The callback's iss parameter (RFC 9207) names `idp`: refused before the code is exchanged.
  assert.equal(callback.searchParams.get('iss'), idp.issuer);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_issuer_mismatch');
  // Without the parameter (providers that do not send it), the ID token's iss is refused.
  const withoutIss = new URL(callback);
  withoutIss.searchParams.delete('iss');
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, withoutIss, started.expected, { outbound }), 'oidc_id_token_invalid');
});

test('refused: an ID token issued to another client (audience)', async () => {
  // The code is issued to client B and the token endpoint (bent for this test) hands out B's
  // genuine, correctly signed ID token to a request made with the connection's client A.
  const configA = await connectionFor(idp);
  const configB = { ...configA, client_id: CLIENT_B.client_id, client_secret: CLIENT_B.client_secret };
  idp.setUser(newUser());
  const started = await start(configB);
  const callback = await idp.signIn(started.url);
  tokenRequestsAsClientB = true;
  try {
    await assertRefused(completeOidcCallback(configA, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_id_token_invalid');
  } finally {
    tokenRequestsAsClientB = false;
  }
});

test('refused: an expired ID token (checked on the given clock; the provider signs for 10 minutes)', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser());
  const aheadBy = (minutes: number) => ({ outbound, clock: { now: () => new Date(Date.now() + minutes * 60_000) } });
  let started = await start(config);
  let callback = await idp.signIn(started.url);
  assert.ok(await completeOidcCallback(config, PUBLIC_URL, callback, started.expected, aheadBy(9)));
  started = await start(config);
  callback = await idp.signIn(started.url);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, aheadBy(11)), 'oidc_id_token_invalid');
});

test('refused: the provider answers the callback with error=access_denied', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser());
  const started = await start(config);
  const callback = await idp.signIn(started.url, { deny: true });
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  const error = await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_provider_error');
  assert.equal(error.message, 'The identity provider refused the sign-in (access_denied).');
  assert.deepEqual(error.details, { provider_error: 'access_denied', provider_error_description: 'The user refused the sign-in.' });
});

test('refused: a callback without a code', async () => {
  const config = await connectionFor(idp);
  const started = await start(config);
  const callback = new URL(`${CALLBACK}?state=${started.expected.state}`);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, started.expected, { outbound }), 'oidc_callback_invalid');
});

test('refused: the provider gives no email address, neither in the ID token nor at userinfo', async () => {
  const config = await connectionFor(idp);
  idp.setUser(newUser({ email: null, groups: ['engineering'] }));
  await assertRefused(signInThrough(idp, config), 'oidc_email_missing');
});

test('refused without the development setting: a connection whose endpoints are plain http or on loopback', async () => {
  const config = await connectionFor(idp);
  await assertRefused(oidcAuthorizationUrl(config, PUBLIC_URL, { state: 's', nonce: 'n', code_challenge: 'c' }, productionOutbound), 'oidc_insecure_url');
  const callback = new URL(`${CALLBACK}?state=s&code=c`);
  await assertRefused(completeOidcCallback(config, PUBLIC_URL, callback, { state: 's', nonce: 'n', code_verifier: 'v' }, { outbound: productionOutbound }), 'oidc_insecure_url');
  // https, but a loopback address in a numeric disguise.
  const disguised = { ...config, token_url: 'https://0x7f000001/token' };
  await assertRefused(oidcAuthorizationUrl(disguised, PUBLIC_URL, { state: 's', nonce: 'n', code_challenge: 'c' }, productionOutbound), 'oidc_insecure_url');
});
