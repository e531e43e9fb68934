// OAuth through the official @stytch/vanilla-js headless clients in headless Chromium: the page calls
// oauth.google.start() (consumer) or oauth.google.start({organization_id}) / oauth.google.discovery.start()
// (B2B); the browser goes to Gatehouse's start and on to the provider (oidc-provider on loopback,
// standing in for Google), where the test signs the user in (the start's redirect is followed through
// the provider's login by the test, and the browser is sent on to Gatehouse's callback); Gatehouse redirects the browser to the page, whose script
// calls oauth.authenticate(token) / oauth.discovery.authenticate — with the PKCE verifier the SDK kept
// (the bootstrap asks for PKCE). Then the session's authorization, in the browser.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { B2B_POLICY } from '../testing/b2b.ts';
import { oidcOverrides } from '../testing/oauth.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';
import { allowOrigin, b2bWorld, CONSUMER_POLICY } from '../testing/sdk.ts';

const PAGE_SCRIPT = `
import { StytchHeadlessClient } from '@stytch/vanilla-js/headless';
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e) }; }
};
const options = (api) => ({ endpoints: { testAPIURL: api, liveAPIURL: api } });

window.oauthTest = {
  consumer({ publicToken, api }) { window.client = new StytchHeadlessClient(publicToken, options(api)); },
  b2b({ publicToken, api }) { window.client = new StytchB2BHeadlessClient(publicToken, options(api)); },
  start: (args) => { window.client.oauth.google.start(args); return true; },
  discoveryStart: (args) => { window.client.oauth.google.discovery.start(args); return true; },
  query: () => Object.fromEntries(new URLSearchParams(location.search)),
  authenticate: (token) => outcome(() => window.client.oauth.authenticate(token, { session_duration_minutes: 60 })),
  b2bAuthenticate: (token) => outcome(() => window.client.oauth.authenticate({ oauth_token: token, session_duration_minutes: 60 })),
  discoveryAuthenticate: (token) => outcome(() => window.client.oauth.discovery.authenticate({ discovery_oauth_token: token })),
  exchange: (organization_id) => outcome(() => window.client.discovery.intermediateSessions.exchange({ organization_id, session_duration_minutes: 60 })),
  isAuthorized: ([resource, action]) => window.client.rbac.isAuthorized(resource, action),
  async sessionRoles() {
    const session = await window.client.session.authenticate();
    return (session.member_session ?? session.session).roles;
  },
};
`;

let world: SdkPageWorld;
let google: TestOidcProvider;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT, { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' });
  google = await startOidcProvider({ redirectUris: [`${world.server.config.publicUrl}/v1/oauth/callback/google`], tokenEndpointAuthMethod: 'client_secret_post' });
});
after(async () => {
  await google?.stop();
  await world?.close();
});

const call = (page: Page, step: string, arg?: unknown) => page.evaluate(([name, value]) => (window as any).oauthTest[name as string](value), [step, arg] as const);

/** A page whose navigations to the provider are answered by the provider's sign-in (done by the test) with its redirect to Gatehouse's callback. */
async function oauthPage(credentials: { project_id: string; secret: string; public_token: string }) {
  const { server, browser, pageOrigin } = world;
  const register = await server.api(credentials, 'POST', '/v1/project/redirect_urls', { url: `${pageOrigin}/oauth` });
  assert.equal(register.status, 200, JSON.stringify(register.body));
  assert.equal((await server.api(credentials, 'PUT', '/v1/project/oauth_providers/google', oidcOverrides(google))).status, 200);
  const context = await browser.newContext();
  const page = await context.newPage();
  // Gatehouse's start is requested as the browser asked for it; its redirect to the provider is
  // followed by the provider's sign-in (playwright does not route requests reached by a redirect).
  await page.route((url) => url.origin === server.baseUrl && /^\/v1\/(b2b\/)?public\/oauth\/google\/(discovery\/)?start$/.test(url.pathname), async (route) => {
    const start = await fetch(route.request().url(), { redirect: 'manual' });
    assert.equal(start.status, 302, await start.text());
    const callback = await google.signIn(start.headers.get('location')!);
    await route.fulfill({ status: 302, headers: { location: callback.toString().replace(server.config.publicUrl, server.baseUrl) } });
  });
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => 'oauthTest' in window);
  return { page, close: () => context.close() };
}

/** Waits for the browser to land back on the page and returns the token Gatehouse put in the URL. */
async function landed(page: Page, kind: 'consumer' | 'b2b', api: { publicToken: string; api: string }, type: string) {
  await page.waitForURL(`${world.pageOrigin}/oauth?**`);
  await page.waitForFunction(() => 'oauthTest' in window);
  await call(page, kind, api);
  const query = await call(page, 'query');
  assert.equal(query.stytch_token_type, type);
  return query.token as string;
}

test('vanilla-js headless (consumer): oauth.google.start then oauth.authenticate(token) with PKCE; the session is authorized by its roles', async () => {
  const { server, pageOrigin } = world;
  const credentials = await server.createProject();
  assert.equal((await server.api(credentials, 'PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY })).status, 200);
  await allowOrigin(server, credentials, pageOrigin);
  const id = `sub-${randomBytes(4).toString('hex')}`;
  google.setUser({ sub: id, email: `${id}@gmail.test`, email_verified: true });
  const { page, close } = await oauthPage(credentials);
  try {
    const api = { publicToken: credentials.public_token, api: server.baseUrl };
    await call(page, 'consumer', api);
    await call(page, 'start', { login_redirect_url: `${pageOrigin}/oauth`, signup_redirect_url: `${pageOrigin}/oauth` });
    const token = await landed(page, 'consumer', api, 'oauth');
    const signedIn = await call(page, 'authenticate', token);
    assert.equal(signedIn.ok?.provider_subject, id, JSON.stringify(signedIn));
    assert.equal(signedIn.ok.user.providers[0].provider_type, 'Google');
    const { rows } = await server.gatehouse.db.query<{ pkce_code_challenge: string | null }>('SELECT pkce_code_challenge FROM oauth_tokens WHERE project_id = $1', [credentials.project_id]);
    assert.ok(rows[0]!.pkce_code_challenge, 'the SDK sent a code_challenge');
    assert.deepEqual(await call(page, 'sessionRoles'), ['stytch_user']);
    assert.equal(await call(page, 'isAuthorized', ['documents', 'read']), true);
    assert.equal(await call(page, 'isAuthorized', ['documents', 'write']), false);
    // The token was spent: a second authenticate is refused.
    assert.equal((await call(page, 'authenticate', token)).error, 'oauth_token_not_found');
  } finally {
    await close();
  }
});

test('vanilla-js B2B headless: org login by oauth.google.start({organization_id}), and discovery by oauth.google.discovery.start then exchange', async () => {
  const { server, pageOrigin } = world;
  const { project, organization } = await b2bWorld(server, pageOrigin, B2B_POLICY);
  const email = `${randomBytes(4).toString('hex')}@b2b.test`;
  const member = (await project.api('POST', `/v1/b2b/organizations/${organization.organization_id}/members`, { email_address: email })).body.member;
  google.setUser({ sub: `sub-${randomBytes(4).toString('hex')}`, email, email_verified: true });
  const { page, close } = await oauthPage(project.credentials);
  try {
    const api = { publicToken: project.credentials.public_token, api: server.baseUrl };
    await call(page, 'b2b', api);
    await call(page, 'start', { organization_id: organization.organization_id, login_redirect_url: `${pageOrigin}/oauth`, signup_redirect_url: `${pageOrigin}/oauth` });
    const token = await landed(page, 'b2b', api, 'oauth');
    const signedIn = await call(page, 'b2bAuthenticate', token);
    assert.equal(signedIn.ok?.member_id, member.member_id, JSON.stringify(signedIn));
    assert.deepEqual(await call(page, 'sessionRoles'), ['stytch_member']);
    assert.equal(await call(page, 'isAuthorized', ['stytch.member', 'delete']), false);

    await call(page, 'discoveryStart', { discovery_redirect_url: `${pageOrigin}/oauth` });
    const discoveryToken = await landed(page, 'b2b', api, 'discovery_oauth');
    const discovered = await call(page, 'discoveryAuthenticate', discoveryToken);
    assert.equal(discovered.ok?.email_address, email, JSON.stringify(discovered));
    assert.deepEqual(discovered.ok.discovered_organizations.map((entry: any) => entry.organization.organization_id), [organization.organization_id]);
    const exchanged = await call(page, 'exchange', organization.organization_id);
    assert.equal(exchanged.ok?.member_id, member.member_id, JSON.stringify(exchanged));
    assert.equal(exchanged.ok.member_session.authentication_factors.at(-1).delivery_method, 'oauth_google');
  } finally {
    await close();
  }
});
