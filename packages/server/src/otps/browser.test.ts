// B2B email one-time passcodes through the official @stytch/vanilla-js B2B headless client in
// headless Chromium, against a started Gatehouse (/sdk/v1/b2b/otps/email/...): a page on an allowed
// loopback origin signs up to an organization by code (taken from the outbox), then discovers its
// organizations by code and exchanges the intermediate session the SDK kept. Real CORS, real cookies.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2B_POLICY, type B2BProject } from '../testing/b2b.ts';
import { b2bWorld } from '../testing/sdk.ts';
import { b2bHeadlessScript, openB2BHeadlessPage, startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

const PAGE_SCRIPT = b2bHeadlessScript('otpTest', `
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
`);

let world: SdkPageWorld;

before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
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

test('vanilla-js B2B headless: sign-up by code to an organization, wrong code refused, then discovery by code and an exchange', async () => {
  const { project } = await b2bWorld(world.server, world.pageOrigin, B2B_POLICY);
  const organization = await project.createOrganization({ email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] });
  const organization_id: string = organization.organization_id;
  const email = `coder.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { context, call, failures } = await openB2BHeadlessPage(world, 'otpTest', project.credentials.public_token);
  try {
    const sent = await call('loginOrSignup', { organization_id, email_address: email });
    assert.equal(sent.ok?.status_code, 200, JSON.stringify(sent));
    const code = await codeFor(project, email);
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    assert.deepEqual(await call('authenticate', { organization_id, email_address: email, code: wrongCode }), { error: 'otp_code_not_found' });
    const signedIn = await call('authenticate', { organization_id, email_address: email, code });
    assert.equal(signedIn.ok?.member.status, 'active', JSON.stringify(signedIn));
    const session = await call('session');
    assert.equal(session.memberId, signedIn.ok.member_id);
    assert.deepEqual(session.factors, ['otp/email']);
    assert.equal(session.cookie, true);
    assert.deepEqual(await call('authenticate', { organization_id, email_address: email, code }), { error: 'otp_code_not_found' });

    // Signed out, the member discovers its organizations by code and exchanges the intermediate session.
    await call('signOut');
    assert.equal((await call('discoverySend', email)).ok?.status_code, 200);
    const discovered = await call('discoveryAuthenticate', { email_address: email, code: await codeFor(project, email) });
    assert.equal(discovered.ok?.email_address, email, JSON.stringify(discovered));
    assert.deepEqual(discovered.ok.discovered_organizations.map((entry: any) => [entry.organization.organization_id, entry.membership.type]), [[organization_id, 'active_member']]);
    const exchanged = await call('exchange', organization_id);
    assert.equal(exchanged.ok?.member_authenticated, true, JSON.stringify(exchanged));
    assert.deepEqual((await call('session')).factors, ['otp/email']);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});
