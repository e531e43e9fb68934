// B2B discovery through the official @stytch/vanilla-js B2B headless client in headless Chromium,
// against a started Gatehouse (/sdk/v1/b2b/...): a page on an allowed loopback origin signs up by a
// discovery link (taken from the outbox), creates an organization, lists its organizations by its
// session, and — after another discovery link — accepts an invitation by exchanging the
// intermediate session the SDK kept. Real CORS, real cookies.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { B2B_POLICY, type B2BProject } from '../testing/b2b.ts';
import type { TestServer } from '../testing/harness.ts';
import { b2bWorld } from '../testing/sdk.ts';
import { startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

// The page keeps one headless client; the test drives it through window.discoveryTest.
const PAGE_SCRIPT = `
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e) }; }
};

window.discoveryTest = {
  start({ publicToken, api }) {
    window.client = new StytchB2BHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
  },
  send: (email_address) => outcome(() => window.client.magicLinks.email.discovery.send({ email_address })),
  authenticate: (token) => outcome(() => window.client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token })),
  list: () => outcome(() => window.client.discovery.organizations.list()),
  create: (organization_name) => outcome(() => window.client.discovery.organizations.create({ organization_name, session_duration_minutes: 60 })),
  exchange: (organization_id) => outcome(() => window.client.discovery.intermediateSessions.exchange({ organization_id, session_duration_minutes: 60 })),
  async session() {
    const authenticated = await window.client.session.authenticate();
    return { memberId: authenticated.member.member_id, roles: authenticated.member_session.roles, cookie: document.cookie.includes('stytch_session=') };
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

/** The token of the last discovery link mailed to the address (the outbox: no SMTP server here). */
async function discoveryToken(project: B2BProject, email: string): Promise<string> {
  const outbox = await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`);
  const link = new URL(outbox.body.messages[0].link);
  assert.equal(link.searchParams.get('stytch_token_type'), 'discovery');
  return link.searchParams.get('token')!;
}

const call = (page: Page, step: string, arg?: unknown) => page.evaluate(([name, value]) => (window as any).discoveryTest[name as string](value), [step, arg] as const);

test('vanilla-js B2B headless: discovery sign-up creates an organization, the session lists it, a second discovery accepts an invite', async () => {
  const { project } = await b2bWorld(server, pageOrigin, B2B_POLICY);
  const email = `founder.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('requestfailed', (request) => failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  try {
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'discoveryTest' in window);
    await call(page, 'start', { publicToken: project.credentials.public_token, api: server.baseUrl });

    const sent = await call(page, 'send', email);
    assert.equal(sent.ok?.status_code, 200, JSON.stringify(sent));
    const discovered = await call(page, 'authenticate', await discoveryToken(project, email));
    assert.equal(discovered.ok?.email_address, email, JSON.stringify(discovered));
    assert.ok(discovered.ok.intermediate_session_token);
    // The SDK keeps the intermediate session and sends it itself.
    assert.deepEqual((await call(page, 'list')).ok.discovered_organizations, [], 'a new address belongs nowhere');

    const created = await call(page, 'create', 'Browser Founders');
    assert.equal(created.ok?.member_authenticated, true, JSON.stringify(created));
    const organizationId: string = created.ok.organization.organization_id;
    const session = await call(page, 'session');
    assert.equal(session.memberId, created.ok.member_id);
    assert.deepEqual([...session.roles].sort(), ['stytch_admin', 'stytch_member']);
    assert.equal(session.cookie, true);
    // The intermediate session was spent, and the SDK dropped it: a second creation is refused.
    assert.deepEqual(await call(page, 'create', 'Twice'), { error: 'invalid_argument' });

    // Signed in, the list is by the session: its organization is the hint.
    const listed = await call(page, 'list');
    assert.equal(listed.ok?.organization_id_hint, organizationId, JSON.stringify(listed));
    assert.deepEqual(listed.ok.discovered_organizations.map((entry: any) => [entry.organization.organization_id, entry.membership.type]), [[organizationId, 'active_member']]);

    // Invited elsewhere, the founder signs out, discovers again and accepts by exchanging.
    const other = await project.createOrganization({ organization_name: 'Inviting' });
    await project.api('POST', '/v1/b2b/magic_links/email/invite', { organization_id: other.organization_id, email_address: email });
    await call(page, 'signOut');
    assert.equal((await call(page, 'send', email)).ok?.status_code, 200);
    const again = await call(page, 'authenticate', await discoveryToken(project, email));
    assert.deepEqual(
      again.ok.discovered_organizations.map((entry: any) => [entry.organization.organization_id, entry.membership.type]).sort(),
      [[organizationId, 'active_member'], [other.organization_id, 'invited_member']].sort(),
    );
    const accepted = await call(page, 'exchange', other.organization_id);
    assert.equal(accepted.ok?.member_authenticated, true, JSON.stringify(accepted));
    assert.equal(accepted.ok.member.status, 'active');
    assert.equal(accepted.ok.organization.organization_id, other.organization_id);
    assert.equal((await call(page, 'session')).memberId, accepted.ok.member_id);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});
