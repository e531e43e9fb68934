// The B2B sign-in decision and session exchange through the official @stytch/vanilla-js B2B headless
// client in headless Chromium, against a started Gatehouse (/sdk/v1/b2b/...): a member signed in by
// an email link switches organizations with session.exchange (roles of the target, cookies
// replaced); an organization requiring MFA gives no session but mfa_required; an organization
// restricted to email links answers a password with primary_required, and the SDK completes it by
// sending the intermediate session it kept with the next magic link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { B2B_POLICY, type B2BProject } from '../testing/b2b.ts';
import type { TestServer } from '../testing/harness.ts';
import { b2bWorld, memberWithPassword, PASSWORD } from '../testing/sdk.ts';
import { b2bHeadlessScript, openB2BHeadlessPage, startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

// The page keeps one headless client; the test drives it through window.exchangeTest.
const PAGE_SCRIPT = b2bHeadlessScript(
  'exchangeTest',
  `  magicLink: (token) => outcome(() => window.client.magicLinks.authenticate({ magic_links_token: token, session_duration_minutes: 60 })),
  password: (body) => outcome(() => window.client.passwords.authenticate({ ...body, session_duration_minutes: 60 })),
  exchange: (organization_id) => outcome(() => window.client.session.exchange({ organization_id, session_duration_minutes: 60 })),
  async session() {
    const held = window.client.session.getSync();
    if (!held) return null;
    const authenticated = await window.client.session.authenticate();
    return { memberId: authenticated.member.member_id, organizationId: authenticated.organization.organization_id, roles: authenticated.member_session.roles };
  },`,
);

let world: SdkPageWorld;
let server: TestServer;
let pageOrigin: string;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
  ({ server, pageOrigin } = world);
});
after(() => world?.close());

/** Mails the address a login link to the organization and returns its token (from the outbox). */
async function loginToken(project: B2BProject, organizationId: string, email: string): Promise<string> {
  const sent = await project.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: organizationId, email_address: email });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const outbox = await project.api('GET', `/v1/project/outbox?to=${encodeURIComponent(email)}&limit=1`);
  const link = new URL(outbox.body.messages[0].link);
  assert.equal(link.searchParams.get('stytch_token_type'), 'multi_tenant_magic_links');
  return link.searchParams.get('token')!;
}

const call = (page: Page, step: string, arg?: unknown) => page.evaluate(([name, value]) => (window as any).exchangeTest[name as string](value), [step, arg] as const);

async function withPage(project: B2BProject, work: (page: Page) => Promise<void>) {
  const { page, context, failures } = await openB2BHeadlessPage(world, 'exchangeTest', project.credentials.public_token);
  try {
    await work(page);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
}

test('vanilla-js B2B headless: session.exchange switches organizations with the target\'s roles; a target requiring MFA gives no session', async () => {
  const { project, organization: home } = await b2bWorld(server, pageOrigin, B2B_POLICY);
  const email = `switcher.${Math.random().toString(36).slice(2, 8)}@example.com`;
  await project.createMember(home.organization_id, { email_address: email });
  const away = await project.createOrganization({ organization_name: 'Away', rbac_email_implicit_role_assignments: [{ domain: 'example.com', role_id: 'editor' }] });
  const strict = await project.createOrganization({ organization_name: 'Strict', mfa_policy: 'REQUIRED_FOR_ALL' });
  for (const target of [away, strict]) {
    assert.equal((await project.api('POST', '/v1/b2b/magic_links/email/invite', { organization_id: target.organization_id, email_address: email })).status, 200);
  }
  await withPage(project, async (page) => {
    const signedIn = await call(page, 'magicLink', await loginToken(project, home.organization_id, email));
    assert.equal(signedIn.ok?.member_authenticated, true, JSON.stringify(signedIn));

    const exchanged = await call(page, 'exchange', away.organization_id);
    assert.equal(exchanged.ok?.member_authenticated, true, JSON.stringify(exchanged));
    assert.equal(exchanged.ok.member.status, 'active', 'the invitation is accepted');
    const session = await call(page, 'session');
    assert.equal(session.organizationId, away.organization_id);
    assert.equal(session.memberId, exchanged.ok.member_id);
    assert.deepEqual([...session.roles].sort(), ['editor', 'stytch_member']);

    const refused = await call(page, 'exchange', strict.organization_id);
    assert.equal(refused.ok?.member_authenticated, false, JSON.stringify(refused));
    assert.equal(refused.ok.session_token, '');
    assert.ok(refused.ok.intermediate_session_token);
    assert.deepEqual(refused.ok.mfa_required, { member_options: { mfa_phone_number: '', totp_registration_id: '' }, secondary_auth_initiated: null });
    assert.equal(await call(page, 'session'), null, 'the SDK holds the intermediate session, not a session');
  });
});

test('vanilla-js B2B headless: a password where only email links are allowed gives primary_required; the next magic link completes it with the kept intermediate session', async () => {
  const { project } = await b2bWorld(server, pageOrigin, B2B_POLICY);
  const restricted = await project.createOrganization({ organization_name: 'Links only', auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] });
  const email = `restricted.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const member = await memberWithPassword(project, restricted.organization_id, email);
  await withPage(project, async (page) => {
    const first = await call(page, 'password', { organization_id: restricted.organization_id, email_address: email, password: PASSWORD });
    assert.equal(first.ok?.member_authenticated, false, JSON.stringify(first));
    assert.deepEqual(first.ok.primary_required, { allowed_auth_methods: ['magic_link'] });
    assert.equal(await call(page, 'session'), null);

    const second = await call(page, 'magicLink', await loginToken(project, restricted.organization_id, email));
    assert.equal(second.ok?.member_authenticated, true, JSON.stringify(second));
    assert.deepEqual(second.ok.member_session.authentication_factors.map((factor: { type: string }) => factor.type).sort(), ['magic_link', 'password']);
    assert.equal((await call(page, 'session')).memberId, member.member_id);
  });
});
