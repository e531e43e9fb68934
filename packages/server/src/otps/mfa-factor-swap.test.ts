// Attack: a member enrolled in MFA with one second factor; someone holding only its primary factor
// (an intermediate session) must not enrol another second factor of their own through the browser
// and complete MFA with it — an SMS number of theirs for a TOTP member, a TOTP app for an SMS member.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { uniqueAddress } from '../email/smtp-test-server.ts';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { useMailServer } from '../testing/mail-server.ts';
import { allowOrigin, sdkCall } from '../testing/sdk.ts';
import { b2bClient } from '../testing/stytch-clients.ts';
import { totpCode } from '../totps/totp.ts';

const setup = useMailServer();
const { clock } = setup;
const ORIGIN = 'https://app.example.test';

const PASSWORD = 'correct horse battery staple 42';
const HASH = bcrypt.hashSync(PASSWORD, 4);

async function world(settings: Record<string, unknown> = {}) {
  const p = await B2BProject.create(setup.server);
  await allowOrigin(setup.server, p.credentials, ORIGIN, 'B2B');
  const client = b2bClient(setup.server, p.credentials);
  const org = (await client.organizations.create({ organization_name: `Org ${Math.random().toString(36).slice(2, 8)}`, ...settings })).organization.organization_id;
  const email = uniqueAddress('Swap');
  const member = (await client.passwords.migrate({ organization_id: org, email_address: email, hash_type: 'bcrypt', hash: HASH })).member;
  const signIn = () => client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD, session_duration_minutes: 60 });
  const browser = { publicToken: p.credentials.public_token, origin: ORIGIN };
  return { p, client, org, member, signIn, browser };
}

test('a TOTP-enrolled member: an intermediate session cannot put a new SMS number on it and sign in with it', async () => {
  const { p, client, org, member, signIn, browser } = await world();
  const created = await client.totps.create({ organization_id: org, member_id: member.member_id });
  const session = await signIn();
  await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), session_token: session.session_token, set_mfa_enrollment: 'enroll' });
  clock.advance(30_000);

  const attacker = await signIn();
  assert.ok(attacker.mfa_required, 'the enrolled member needs its second factor');
  const phone = '+12025550177';
  const sent = await sdkCall(setup.server, browser, 'POST', '/b2b/otps/sms/send', { organization_id: org, member_id: member.member_id, mfa_phone_number: phone, intermediate_session_token: attacker.intermediate_session_token });
  if (sent.status === 200) {
    const outbox = expectOk(await p.api('GET', `/v1/project/outbox?to=${encodeURIComponent(phone)}&limit=1`));
    const code = /\b(\d{6})\b/.exec(outbox.messages[0].text)![1]!;
    const done = await sdkCall(setup.server, browser, 'POST', '/b2b/otps/sms/authenticate', { organization_id: org, member_id: member.member_id, code, intermediate_session_token: attacker.intermediate_session_token, session_duration_minutes: 60 });
    assert.fail(`a new SMS number was accepted by an intermediate session (authenticate: ${done.status} ${JSON.stringify(done.body).slice(0, 120)})`);
  }
  assert.equal(sent.status, 403, JSON.stringify(sent.body));
  assert.equal(sent.body.error_type, 'mfa_factor_already_enrolled');
});

test('an SMS-enrolled member: an intermediate session cannot create a TOTP registration for it', async () => {
  const { p, client, org, member, signIn, browser } = await world();
  const phone = '+12025550178';
  const session = await signIn();
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id, mfa_phone_number: phone });
  const outbox = expectOk(await p.api('GET', `/v1/project/outbox?to=${encodeURIComponent(phone)}&limit=1`));
  const code = /\b(\d{6})\b/.exec(outbox.messages[0].text)![1]!;
  await client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, session_token: session.session_token, set_mfa_enrollment: 'enroll' });

  const attacker = await signIn();
  assert.ok(attacker.mfa_required, 'the enrolled member needs its second factor');
  const created = await sdkCall(setup.server, browser, 'POST', '/b2b/totp', { organization_id: org, member_id: member.member_id, intermediate_session_token: attacker.intermediate_session_token });
  assert.equal(created.status, 403, JSON.stringify(created.body).slice(0, 300));
  assert.equal(created.body.error_type, 'mfa_factor_already_enrolled');
});

test('a number the attacker set before the member enrolled TOTP (never verified) gets no code through an intermediate session', async () => {
  const { client, org, member, signIn, browser } = await world({ mfa_policy: 'REQUIRED_FOR_ALL' });
  const early = await signIn();
  const phone = '+12025550179';
  // Before any second factor: the intermediate session may enrol a number (Stytch's first enrolment); left unverified.
  const planted = await sdkCall(setup.server, browser, 'POST', '/b2b/otps/sms/send', { organization_id: org, member_id: member.member_id, mfa_phone_number: phone, intermediate_session_token: early.intermediate_session_token });
  assert.equal(planted.status, 200, JSON.stringify(planted.body).slice(0, 300));
  const created = await client.totps.create({ organization_id: org, member_id: member.member_id });
  const victim = await signIn();
  await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), intermediate_session_token: victim.intermediate_session_token, set_mfa_enrollment: 'enroll' });
  clock.advance(30_000);

  const attacker = await signIn();
  assert.ok(attacker.mfa_required);
  const sent = await sdkCall(setup.server, browser, 'POST', '/b2b/otps/sms/send', { organization_id: org, member_id: member.member_id, intermediate_session_token: attacker.intermediate_session_token });
  assert.equal(sent.status, 403, JSON.stringify(sent.body).slice(0, 300));
  assert.equal(sent.body.error_type, 'mfa_factor_already_enrolled');
});

test('a pending TOTP registration the attacker created before the member enrolled SMS cannot be activated through an intermediate session', async () => {
  const { p, client, org, member, signIn, browser } = await world({ mfa_policy: 'REQUIRED_FOR_ALL' });
  const early = await signIn();
  const pending = await sdkCall(setup.server, browser, 'POST', '/b2b/totp', { organization_id: org, member_id: member.member_id, intermediate_session_token: early.intermediate_session_token });
  assert.equal(pending.status, 200, JSON.stringify(pending.body).slice(0, 300));
  const secret: string = pending.body.data.secret;
  const phone = '+12025550180';
  const victim = await signIn();
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id, mfa_phone_number: phone });
  const outbox = expectOk(await p.api('GET', `/v1/project/outbox?to=${encodeURIComponent(phone)}&limit=1`));
  await client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: /\b(\d{6})\b/.exec(outbox.messages[0].text)![1]!, intermediate_session_token: victim.intermediate_session_token, set_mfa_enrollment: 'enroll' });

  const attacker = await signIn();
  assert.ok(attacker.mfa_required);
  const done = await sdkCall(setup.server, browser, 'POST', '/b2b/totp/authenticate', { organization_id: org, member_id: member.member_id, code: totpCode(secret, clock.now()), intermediate_session_token: attacker.intermediate_session_token });
  assert.equal(done.status, 403, JSON.stringify(done.body).slice(0, 300));
  assert.equal(done.body.error_type, 'mfa_factor_already_enrolled');
});
