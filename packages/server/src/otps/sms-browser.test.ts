// SMS one-time passcodes through the official @stytch/vanilla-js headless clients in headless
// Chromium, against a started Gatehouse with no SMS sender (the texts wait in the outbox):
// - B2B: an organization requiring MFA; the member's email code gives mfa_required and an
//   intermediate session the SDK keeps; sms.send (refused before the primary factor) and
//   sms.authenticate finish the sign-in with both factors.
// - Consumer: sms.loginOrCreate and otps.authenticate(code, method_id) start a session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2B_POLICY } from '../testing/b2b.ts';
import { allowOrigin, b2bWorld, memberWithPassword } from '../testing/sdk.ts';
import { openB2BHeadlessPage, startSdkPageWorld, type SdkPageWorld } from '../testing/sdk-page.ts';

const PAGE_SCRIPT = `
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';
import { StytchHeadlessClient } from '@stytch/vanilla-js/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e) }; }
};

window.smsB2B = {
  start({ publicToken, api }) {
    window.client = new StytchB2BHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
  },
  emailSend: (args) => outcome(() => window.client.otps.email.loginOrSignup(args)),
  emailAuthenticate: (args) => outcome(() => window.client.otps.email.authenticate({ ...args, session_duration_minutes: 60 })),
  smsSend: (args) => outcome(() => window.client.otps.sms.send(args)),
  smsAuthenticate: (args) => outcome(() => window.client.otps.sms.authenticate({ ...args, session_duration_minutes: 60 })),
  async session() {
    const authenticated = await window.client.session.authenticate();
    return { memberId: authenticated.member.member_id, factors: authenticated.member_session.authentication_factors.map((f) => f.type + '/' + f.delivery_method).sort() };
  },
};

window.smsConsumer = {
  start({ publicToken, api }) {
    window.client = new StytchHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
  },
  loginOrCreate: (phone) => outcome(() => window.client.otps.sms.loginOrCreate(phone, { expiration_minutes: 5 })),
  authenticate: ({ code, method_id }) => outcome(() => window.client.otps.authenticate(code, method_id, { session_duration_minutes: 60 })),
  async session() {
    const authenticated = await window.client.session.authenticate();
    return { userId: authenticated.user.user_id, factors: authenticated.session.authentication_factors.map((f) => f.type + '/' + f.delivery_method) };
  },
};
`;

let world: SdkPageWorld;
before(async () => {
  world = await startSdkPageWorld(PAGE_SCRIPT);
});
after(() => world?.close());

/** The code of the last message in the outbox to the number or address. */
async function codeFor(credentials: ProjectCredentials, to: string): Promise<string> {
  const outbox = await world.server.api(credentials, 'GET', `/v1/project/outbox?to=${encodeURIComponent(to)}&limit=1`);
  return /\b(\d{6})\b/.exec(outbox.body.messages[0].text)![1]!;
}

test('vanilla-js B2B headless: email code → mfa_required; SMS send refused before it, then send + authenticate → a session with both factors', async () => {
  const { project } = await b2bWorld(world.server, world.pageOrigin, B2B_POLICY);
  const organization = await project.createOrganization({ mfa_policy: 'REQUIRED_FOR_ALL' });
  const organization_id: string = organization.organization_id;
  const email = `mfa.${Math.random().toString(36).slice(2, 8)}@example.com`;
  const member = await memberWithPassword(project, organization_id, email);
  const phone = '+12025550177';
  const { context, call, failures } = await openB2BHeadlessPage(world, 'smsB2B', project.credentials.public_token);
  try {
    assert.deepEqual(await call('smsSend', { organization_id, member_id: member.member_id, mfa_phone_number: phone }), { error: 'action_available_only_once_primary_authentication_is_met' });

    assert.equal((await call('emailSend', { organization_id, email_address: email })).ok?.status_code, 200);
    const primary = await call('emailAuthenticate', { organization_id, email_address: email, code: await codeFor(project.credentials, email) });
    assert.equal(primary.ok?.member_authenticated, false, JSON.stringify(primary));
    assert.ok(primary.ok.mfa_required);

    const sent = await call('smsSend', { organization_id, member_id: member.member_id, mfa_phone_number: phone });
    // Before the second factor the answer carries no member (sdk/public-answers.test.ts); the number is set.
    assert.equal(sent.ok?.status_code, 200, JSON.stringify(sent));
    assert.equal(sent.ok.member, undefined);
    assert.equal((await project.getMember(organization_id, member.member_id)).mfa_phone_number, phone);
    const done = await call('smsAuthenticate', { organization_id, member_id: member.member_id, code: await codeFor(project.credentials, phone) });
    assert.equal(done.ok?.member_id, member.member_id, JSON.stringify(done));
    const session = await call('session');
    assert.equal(session.memberId, member.member_id);
    assert.deepEqual(session.factors, ['otp/email', 'otp/sms']);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});

test('vanilla-js consumer headless: sms.loginOrCreate and otps.authenticate(code, method_id) → a session with an otp/sms factor', async () => {
  const credentials = await world.server.createProject();
  await allowOrigin(world.server, credentials, world.pageOrigin);
  const phone = '+4915112999001';
  const { context, call, failures } = await openB2BHeadlessPage(world, 'smsConsumer', credentials.public_token);
  try {
    const sent = await call('loginOrCreate', phone);
    assert.match(sent.ok?.method_id ?? '', /^phone-number-test-/, JSON.stringify(sent));
    const code = await codeFor(credentials, phone);
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    assert.deepEqual(await call('authenticate', { code: wrongCode, method_id: sent.ok.method_id }), { error: 'otp_code_not_found' });
    const signedIn = await call('authenticate', { code, method_id: sent.ok.method_id });
    assert.equal(signedIn.ok?.method_id, sent.ok.method_id, JSON.stringify(signedIn));
    const session = await call('session');
    assert.deepEqual(session.factors, ['otp/sms']);
  } finally {
    await context.close();
  }
  assert.deepEqual(failures, []);
});
