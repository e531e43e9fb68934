// Email magic links started from the browser, through the official @stytch/vanilla-js headless
// clients (consumer and B2B) in headless Chromium against a started Gatehouse: the page asks for a
// link (/sdk/v1/magic_links/email/login_or_create, /sdk/v1/b2b/magic_links/email/login_or_signup),
// the test takes it from the outbox and opens it in the browser, and that page hands the token to
// magicLinks.authenticate. With PKCE when the bootstrap asks for it (a second server, configured so),
// an unregistered redirect URL refused, sends rate limited per address, sessions recording the
// browser's IP and User-Agent, and an authorization check on the session that results.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2B_POLICY, expectOk } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { allowOrigin, b2bWorld, CONSUMER_POLICY, sdkCall } from '../testing/sdk.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';
import { fitInRateWindow } from '../testing/rate-window.ts';

// One page for both clients: `start` makes the client; the link's page calls `authenticateLink`.
const PAGE_SCRIPT = `
import { StytchHeadlessClient } from '@stytch/vanilla-js/headless';
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e) }; }
};
const endpoints = (api) => ({ endpoints: { testAPIURL: api, liveAPIURL: api } });

window.gh = {
  start({ publicToken, api, b2b }) {
    window.client = b2b ? new StytchB2BHeadlessClient(publicToken, endpoints(api)) : new StytchHeadlessClient(publicToken, endpoints(api));
    return true;
  },
  loginOrCreate: ({ email, url }) => outcome(() => window.client.magicLinks.email.loginOrCreate(email, { login_magic_link_url: url, signup_magic_link_url: url })),
  send: ({ email, url }) => outcome(() => window.client.magicLinks.email.send(email, { login_magic_link_url: url })),
  loginOrSignup: (body) => outcome(() => window.client.magicLinks.email.loginOrSignup(body)),
  // The mailed link's page: the token from its own URL.
  authenticateLink: ({ b2b }) => outcome(async () => {
    const token = new URL(location.href).searchParams.get('token');
    const answer = b2b
      ? await window.client.magicLinks.authenticate({ magic_links_token: token, session_duration_minutes: 60 })
      : await window.client.magicLinks.authenticate(token, { session_duration_minutes: 60 });
    const authenticated = await window.client.session.authenticate();
    return {
      answer,
      session: b2b ? authenticated.member_session : authenticated.session,
      cookie: document.cookie.includes('stytch_session='),
      userAgent: navigator.userAgent,
      canWrite: await window.client.rbac.isAuthorized('documents', 'write'),
    };
  }),
};
`;

let world: SdkPageWorld;
let server: TestServer;
let pageOrigin: string;
/** The same page against a second server whose bootstrap asks for PKCE, with low limits (per project: 5 per IP, 3 per address). */
let pkceServer: TestServer;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
  ({ server, pageOrigin } = world);
  pkceServer = await startTestServer({ env: { GATEHOUSE_SDK_PKCE_EMAIL_MAGIC_LINKS: 'true', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '3', GATEHOUSE_RATE_LIMIT_IP: '5' } });
});
after(async () => {
  await pkceServer?.close();
  await world?.close();
});

const linkUrl = () => `${pageOrigin}/authenticate`;

/** The link page's URL is registered for LOGIN and SIGNUP (the harness's own are elsewhere). */
async function registerLinkUrl(on: TestServer, credentials: ProjectCredentials) {
  expectOk(await on.api(credentials, 'POST', '/v1/project/redirect_urls', { url: linkUrl(), valid_types: [{ type: 'LOGIN' }, { type: 'SIGNUP' }] }));
}

async function consumerProject(on: TestServer) {
  const credentials = await on.createProject();
  expectOk(await on.api(credentials, 'PUT', '/v1/rbac/policy', { policy: CONSUMER_POLICY }));
  await allowOrigin(on, credentials, pageOrigin);
  await registerLinkUrl(on, credentials);
  return credentials;
}

async function lastLink(on: TestServer, credentials: ProjectCredentials, email: string): Promise<URL> {
  const outbox = expectOk(await on.api(credentials, 'GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`));
  return new URL(outbox.messages[0].link);
}

/** A fresh browser context on the page, its client started. */
async function openPage(on: TestServer, publicToken: string, b2b = false, path = '/') {
  const context = await world.browser.newContext();
  const page = await context.newPage();
  await goTo(page, on, publicToken, b2b, `${pageOrigin}${path}`);
  return { page, context };
}

async function goTo(page: Page, on: TestServer, publicToken: string, b2b: boolean, url: string) {
  await page.goto(url);
  await page.waitForFunction(() => 'gh' in window);
  await call(page, 'start', { publicToken, api: on.baseUrl, b2b });
}

const call = (page: Page, step: string, arg?: unknown): Promise<any> => page.evaluate(([name, value]) => (window as any).gh[name as string](value), [step, arg] as const);

const address = (name: string) => `${name}.${Math.random().toString(36).slice(2, 8)}@example.com`;

describe('consumer: magicLinks.email from the browser', () => {
  test('sign-up, then sign-in, each by the mailed link opened in the browser; the session records the browser; authorization checks', async () => {
    const credentials = await consumerProject(server);
    const email = address('ada');
    const { page, context } = await openPage(server, credentials.public_token);
    try {
      const created = await call(page, 'loginOrCreate', { email, url: linkUrl() });
      // The answer says nothing of the user (sdk/public-answers.test.ts): the backend finds it by address.
      assert.deepEqual(Object.keys(created.ok ?? {}).sort(), ['request_id', 'status_code'], JSON.stringify(created));
      const userId: string = expectOk(await server.api(credentials, 'POST', '/v1/users/search', {
        query: { operator: 'AND', operands: [{ filter_name: 'email_address', filter_value: [email] }] },
      })).results[0].user_id;
      const signupLink = await lastLink(server, credentials, email);
      assert.equal(`${signupLink.origin}${signupLink.pathname}`, linkUrl());
      assert.equal(signupLink.searchParams.get('stytch_token_type'), 'magic_links');

      await goTo(page, server, credentials.public_token, false, signupLink.toString());
      const signedUp = await call(page, 'authenticateLink', { b2b: false });
      assert.equal(signedUp.ok?.answer.user_id, userId, JSON.stringify(signedUp));
      assert.equal(signedUp.ok.cookie, true);
      // Made through the browser API: the browser's address and User-Agent, in the SDK's answer too.
      assert.deepEqual(signedUp.ok.session.attributes, { ip_address: '127.0.0.1', user_agent: signedUp.ok.userAgent });
      assert.match(signedUp.ok.userAgent, /Chrome/);
      assert.equal(signedUp.ok.canWrite, false);

      // The backend sees the same session, and checks authorization on it.
      const token = signedUp.ok.answer.session_token;
      const read = expectOk(await server.api(credentials, 'POST', '/v1/sessions/authenticate', { session_token: token, authorization_check: { resource_id: 'documents', action: 'read' } }));
      assert.deepEqual(read.session.attributes, { ip_address: '127.0.0.1', user_agent: signedUp.ok.userAgent });
      expectError(await server.api(credentials, 'POST', '/v1/sessions/authenticate', { session_token: token, authorization_check: { resource_id: 'documents', action: 'write' } }), 403, 'consumer_session_authorization_error');
      expectOk(await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: ['editor'] }));
      expectOk(await server.api(credentials, 'POST', '/v1/sessions/authenticate', { session_token: token, authorization_check: { resource_id: 'documents', action: 'write' } }));

      // Signed out, the address is known now: a login link (send/primary), followed the same way.
      await page.evaluate(() => (window as any).client.session.revoke());
      const sent = await call(page, 'send', { email, url: linkUrl() });
      assert.equal(sent.ok?.status_code, 200, JSON.stringify(sent));
      await goTo(page, server, credentials.public_token, false, (await lastLink(server, credentials, email)).toString());
      const signedIn = await call(page, 'authenticateLink', { b2b: false });
      assert.equal(signedIn.ok?.answer.user_id, userId, JSON.stringify(signedIn));
      assert.equal(signedIn.ok.canWrite, true);
      // Signed in, send goes to send/secondary: the user's own address is fine, another's is refused.
      assert.equal((await call(page, 'send', { email, url: linkUrl() })).ok?.user_id, userId);
      assert.equal((await call(page, 'send', { email: address('other'), url: linkUrl() })).error, 'invalid_argument');
    } finally {
      await context.close();
    }
  });

  test('a redirect URL that is not registered is refused, and nothing is created', async () => {
    const credentials = await consumerProject(server);
    const email = address('eve');
    const { page, context } = await openPage(server, credentials.public_token);
    try {
      const refused = await call(page, 'loginOrCreate', { email, url: 'https://evil.example/steal' });
      assert.equal(refused.error, 'no_match_for_provided_magic_link_url', JSON.stringify(refused));
      const users = expectOk(await server.api(credentials, 'POST', '/v1/users/search', {}));
      assert.equal(users.results.length, 0);
    } finally {
      await context.close();
    }
  });

  test('sessions made with the project secret record no attributes, as Stytch\'s backend API', async () => {
    const credentials = await consumerProject(server);
    const email = address('bob');
    expectOk(await server.api(credentials, 'POST', '/v1/magic_links/email/login_or_create', { email }));
    const token = (await lastLink(server, credentials, email)).searchParams.get('token');
    const signedIn = expectOk(await server.api(credentials, 'POST', '/v1/magic_links/authenticate', { token, session_duration_minutes: 60 }));
    assert.deepEqual(signedIn.session.attributes, { ip_address: '', user_agent: '' });
  });

  test('PKCE asked for by the bootstrap: the SDK sends a challenge, the link works only in the browser that asked', async () => {
    const credentials = await consumerProject(pkceServer);
    const email = address('pat');
    const { page, context } = await openPage(pkceServer, credentials.public_token);
    const other = await openPage(pkceServer, credentials.public_token);
    try {
      assert.equal((await call(page, 'loginOrCreate', { email, url: linkUrl() })).ok?.status_code, 200);
      const link = (await lastLink(pkceServer, credentials, email)).toString();
      // Another browser (no verifier) cannot use it; the one that asked can.
      await goTo(other.page, pkceServer, credentials.public_token, false, link);
      assert.equal((await call(other.page, 'authenticateLink', { b2b: false })).error, 'pkce_expected_code_verifier');
      await goTo(page, pkceServer, credentials.public_token, false, link);
      const signedIn = await call(page, 'authenticateLink', { b2b: false });
      assert.ok(signedIn.ok?.answer.session_token, JSON.stringify(signedIn));
      // A send without a challenge did not come from the SDK as the bootstrap configured it.
      expectError(await sdkCall(pkceServer, { publicToken: credentials.public_token, origin: pageOrigin }, 'POST', '/magic_links/email/login_or_create', { email }), 400, 'sdk_pkce_code_challenge_required');
      // The bootstrap says so; the first server's does not.
      const bootstrap = async (on: TestServer, token: string) => (await on.raw(`/sdk/v1/projects/bootstrap/${token}`, {})).body.data.pkce_required_for_email_magic_links;
      assert.equal(await bootstrap(pkceServer, credentials.public_token), true);
      assert.equal(await bootstrap(server, (await server.createProject()).public_token), false);
    } finally {
      await context.close();
      await other.context.close();
    }
  });

  test('rate limited per address: the 4th send to one address in the window is a 429 (limit 3 on this server)', async () => {
    const credentials = await consumerProject(pkceServer);
    const email = address('rita');
    const { page, context } = await openPage(pkceServer, credentials.public_token);
    try {
      await fitInRateWindow(20_000);
      for (let i = 0; i < 3; i += 1) assert.ok((await call(page, 'loginOrCreate', { email, url: linkUrl() })).ok, `send ${i + 1}`);
      assert.equal((await call(page, 'loginOrCreate', { email, url: linkUrl() })).error, 'too_many_requests');
    } finally {
      await context.close();
    }
  });

  test('rate limited per IP: the 6th send from one browser in the window is a 429, whatever the address (limit 5 on this server)', async () => {
    const credentials = await consumerProject(pkceServer);
    const { page, context } = await openPage(pkceServer, credentials.public_token);
    try {
      await fitInRateWindow(20_000);
      for (let i = 0; i < 5; i += 1) assert.ok((await call(page, 'loginOrCreate', { email: address(`ip${i}`), url: linkUrl() })).ok, `send ${i + 1}`);
      assert.equal((await call(page, 'loginOrCreate', { email: address('ip5'), url: linkUrl() })).error, 'too_many_requests');
    } finally {
      await context.close();
    }
  });
});

describe('B2B: magicLinks.email.loginOrSignup from the browser', () => {
  test('a member signs in by the mailed link opened in the browser; attributes recorded; authorization checks', async () => {
    const { project, organization } = await b2bWorld(server, pageOrigin, B2B_POLICY);
    await registerLinkUrl(server, project.credentials);
    const email = address('grace');
    const member = await project.createMember(organization.organization_id, { email_address: email, roles: ['editor'] });
    const { page, context } = await openPage(server, project.credentials.public_token, true);
    try {
      const refused = await call(page, 'loginOrSignup', { organization_id: organization.organization_id, email_address: email, login_redirect_url: 'https://evil.example/' });
      assert.equal(refused.error, 'no_match_for_provided_magic_link_url', JSON.stringify(refused));
      const sent = await call(page, 'loginOrSignup', { organization_id: organization.organization_id, email_address: email, login_redirect_url: linkUrl(), signup_redirect_url: linkUrl() });
      assert.equal(sent.ok?.status_code, 200, JSON.stringify(sent));
      assert.equal(sent.ok.member_id, undefined, 'the answer says nothing of the member');
      const link = await lastLink(server, project.credentials, email);
      assert.equal(link.searchParams.get('stytch_token_type'), 'multi_tenant_magic_links');
      await goTo(page, server, project.credentials.public_token, true, link.toString());
      const signedIn = await call(page, 'authenticateLink', { b2b: true });
      assert.equal(signedIn.ok?.answer.member_id, member.member_id, JSON.stringify(signedIn));
      assert.equal(signedIn.ok.cookie, true);
      assert.equal(signedIn.ok.canWrite, true);
      assert.deepEqual(signedIn.ok.session.attributes, { ip_address: '127.0.0.1', user_agent: signedIn.ok.userAgent });
      const token = signedIn.ok.answer.session_token;
      const check = (action: string) => ({ session_token: token, authorization_check: { organization_id: organization.organization_id, resource_id: 'documents', action } });
      const checked = expectOk(await project.api('POST', '/v1/b2b/sessions/authenticate', check('write')));
      assert.deepEqual(checked.member_session.attributes, { ip_address: '127.0.0.1', user_agent: signedIn.ok.userAgent });
      expectError(await project.api('POST', '/v1/b2b/sessions/authenticate', check('delete')), 403, 'session_authorization_error');
    } finally {
      await context.close();
    }
  });

  test('PKCE asked for by the bootstrap: the B2B SDK sends a challenge and its verifier', async () => {
    const credentials = await pkceServer.createProject();
    expectOk(await pkceServer.api(credentials, 'PUT', '/v1/b2b/rbac/policy', { policy: B2B_POLICY }));
    await allowOrigin(pkceServer, credentials, pageOrigin, 'B2B');
    await registerLinkUrl(pkceServer, credentials);
    const { organization } = expectOk(await pkceServer.api(credentials, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
    const email = address('lin');
    expectOk(await pkceServer.api(credentials, 'POST', `/v1/b2b/organizations/${organization.organization_id}/members`, { email_address: email }));
    const { page, context } = await openPage(pkceServer, credentials.public_token, true);
    const other = await openPage(pkceServer, credentials.public_token, true);
    try {
      assert.ok((await call(page, 'loginOrSignup', { organization_id: organization.organization_id, email_address: email, login_redirect_url: linkUrl() })).ok);
      const link = (await lastLink(pkceServer, credentials, email)).toString();
      await goTo(other.page, pkceServer, credentials.public_token, true, link);
      assert.equal((await call(other.page, 'authenticateLink', { b2b: true })).error, 'pkce_expected_code_verifier');
      await goTo(page, pkceServer, credentials.public_token, true, link);
      const signedIn = await call(page, 'authenticateLink', { b2b: true });
      assert.ok(signedIn.ok?.answer.session_token, JSON.stringify(signedIn));
      expectError(await sdkCall(pkceServer, { publicToken: credentials.public_token, origin: pageOrigin }, 'POST', '/b2b/magic_links/email/login_or_signup',
        { organization_id: organization.organization_id, email_address: email }), 400, 'sdk_pkce_code_challenge_required');
    } finally {
      await context.close();
      await other.context.close();
    }
  });
});
