// B2B email one-time passcodes through the official @stytch/vanilla-js B2B headless client in
// headless Chromium, against a started Gatehouse (/sdk/v1/b2b/otps/email/...): a page on an allowed
// loopback origin signs up to an organization by code (taken from the outbox), then discovers its
// organizations by code and exchanges the intermediate session the SDK kept. Real CORS, real cookies.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { B2B_POLICY, type B2BProject } from '../testing/b2b.ts';
import type { TestServer } from '../testing/harness.ts';
import { b2bWorld } from '../testing/sdk.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

const PAGE_SCRIPT = `
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e) }; }
};

window.otpTest = {
  start({ publicToken, api }) {
    window.client = new StytchB2BHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
  },
  loginOrSignup: (args) => outcome(() => window.client.otps.email.loginOrSignup(args)),
  authenticate: (args) => outcome(() => window.client.otps.email.authenticate({ ...args, session_duration_minutes: 60 })),
  discoverySend: (email_address) => outcome(() => window.client.otps.email.discovery.send({ email_address })),
  discoveryAuthenticate: (args) => outcome(() => window.client.otps.email.discovery.authenticate(args)),
  exchange: (organization_id) => outcome(() => window.client.discovery.intermediateSessions.exchange({ organization_id, session_duration_minutes: 60 })),
  async session() {
    const authenticated = await window.client.session.authenticate();
    return { memberId: authenticated.member.member_id, factors: authenticated.member_session.authentication_factors.map((f) => f.type + '/' + f.delivery_method), cookie: document.cookie.includes('stytch_session=') };
  },
  async signOut() {
    await window.client.session.revoke();
  },
};
`;

let world: SdkPageWorld;
let server: TestServer;
let pageOrigin: string;
let browser: Browser;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
  ({ server, pageOrigin, browser } = world);
});
after(() => world?.close());

/** The code of the last message to the address (the outbox: no SMTP server here). */
async function codeFor(project: B2BProject, email: string): Promise<string> {
  const outbox = await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`);
  const [message] = outbox.body.messages;
  assert.equal(message.kind, 'otp');
  assert.equal(message.link, null);
  return /^(\d{6})$/m.exec(message.text)![1]!;
}

const call = (page: Page, step: string, arg?: unknown) => page.evaluate(([name, value]) => (window as any).otpTest[name as string](value), [step, arg] as const);

test('vanilla-js B2B headless: sign-up by code to an organization, wrong code refused, then discovery by code and an exchange', async () => {
  const { project } = await b2bWorld(server, pageOrigin, B2B_POLICY);
  const organization = await project.createOrganization({ email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] });
  const organization_id: string = organization.organization_id;
  const email = `coder.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('requestfailed', (request) => failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  try {
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'otpTest' in window);
    await call(page, 'start', { publicToken: project.credentials.public_token, api: server.baseUrl });

    const sent = await call(page, 'loginOrSignup', { organization_id, email_address: email });
    assert.equal(sent.ok?.status_code, 200, JSON.stringify(sent));
    const code = await codeFor(project, email);
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    assert.deepEqual(await call(page, 'authenticate', { organization_id, email_address: email, code: wrongCode }), { error: 'otp_code_not_found' });
    const signedIn = await call(page, 'authenticate', { organization_id, email_address: email, code });
    assert.equal(signedIn.ok?.member.status, 'active', JSON.stringify(signedIn));
    const session = await call(page, 'session');
    assert.equal(session.memberId, signedIn.ok.member_id);
    assert.deepEqual(session.factors, ['otp/email']);
    assert.equal(session.cookie, true);
    assert.deepEqual(await call(page, 'authenticate', { organization_id, email_address: email, code }), { error: 'otp_code_not_found' });

    // Signed out, the member discovers its organizations by code and exchanges the intermediate session.
    await call(page, 'signOut');
    assert.equal((await call(page, 'discoverySend', email)).ok?.status_code, 200);
    const discovered = await call(page, 'discoveryAuthenticate', { email_address: email, code: await codeFor(project, email) });
    assert.equal(discovered.ok?.email_address, email, JSON.stringify(discovered));
    assert.deepEqual(discovered.ok.discovered_organizations.map((entry: any) => [entry.organization.organization_id, entry.membership.type]), [[organization_id, 'active_member']]);
    const exchanged = await call(page, 'exchange', organization_id);
    assert.equal(exchanged.ok?.member_authenticated, true, JSON.stringify(exchanged));
    assert.deepEqual((await call(page, 'session')).factors, ['otp/email']);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});
