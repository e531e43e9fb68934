// Consumer one-time passcodes through the official `stytch` Client against a started Gatehouse with
// no SMS sender and no SMTP server: texts and emails both wait in the outbox (the SMS marked as such,
// addressed to the number). login_or_create and send by SMS and email, authenticate by method id into
// a session with the otp factor and a verified number, and every way a number or code is refused;
// sends and tries are rate limited per number.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { expectOk } from '../testing/b2b.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { consumerClient, expectStytchError } from '../testing/stytch-clients.ts';

let server: TestServer;
const clock = new ManualClock();

before(async () => {
  server = await startTestServer({ clock, env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '10', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(() => server?.close());

type Client = ReturnType<typeof consumerClient>;
async function project(): Promise<{ credentials: ProjectCredentials; client: Client }> {
  const credentials = await server.createProject();
  return { credentials, client: consumerClient(server, credentials) };
}

let phones = 0;
/** A valid, unused German mobile number. */
const newPhone = () => `+4915112${String(100000 + phones++).padStart(6, '0')}`;

/** The code of the latest message in the outbox to the number or address, and its channel. */
async function latestCode(credentials: ProjectCredentials, to: string, channel: 'sms' | 'email'): Promise<string> {
  const { messages } = expectOk(await server.api(credentials, 'GET', `/v1/project/outbox?to=${encodeURIComponent(to)}&limit=1`));
  assert.ok(messages[0], `nothing to ${to}`);
  assert.equal(messages[0].channel, channel);
  assert.equal(messages[0].kind, 'otp');
  return /\b(\d{6})\b/.exec(messages[0].text)![1]!;
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

test('SMS login_or_create: a new number becomes a user; the texted code (in the outbox) signs it in with an otp/sms factor and verifies the number; the code works once', async () => {
  const { credentials, client } = await project();
  const phone = newPhone();
  const created = await client.otps.sms.loginOrCreate({ phone_number: phone, create_user_as_pending: true });
  assert.equal(created.user_created, true);
  assert.match(created.phone_id, /^phone-number-test-/);
  const code = await latestCode(credentials, phone, 'sms');

  await expectStytchError(client.otps.authenticate({ method_id: created.phone_id, code: wrong(code) }), 'otp_code_not_found', 404);
  const signedIn = await client.otps.authenticate({ method_id: created.phone_id, code, session_duration_minutes: 60 });
  assert.equal(signedIn.user_id, created.user_id);
  assert.equal(signedIn.method_id, created.phone_id);
  assert.equal(signedIn.user.status, 'active');
  assert.deepEqual(signedIn.user.phone_numbers.map((p) => [p.phone_number, p.verified]), [[phone, true]]);
  const factor = signedIn.session!.authentication_factors[0]!;
  assert.equal(`${factor.type}/${factor.delivery_method}`, 'otp/sms');
  assert.deepEqual(factor.phone_number_factor, { phone_id: created.phone_id, phone_number: phone });
  assert.equal((await client.sessions.authenticate({ session_token: signedIn.session_token })).user.user_id, created.user_id);
  await expectStytchError(client.otps.authenticate({ method_id: created.phone_id, code }), 'otp_code_not_found');

  // The number is a user's now: login_or_create logs in, send works too.
  const again = await client.otps.sms.loginOrCreate({ phone_number: phone });
  assert.equal(again.user_created, false);
  assert.equal(again.user_id, created.user_id);
  const sent = await client.otps.sms.send({ phone_number: phone, user_id: created.user_id });
  assert.equal(sent.phone_id, created.phone_id);
  // With the session: the code is added to it.
  const added = await client.otps.authenticate({ method_id: created.phone_id, code: await latestCode(credentials, phone, 'sms'), session_token: signedIn.session_token });
  assert.equal(added.session!.session_id, signedIn.session!.session_id);
});

test('email login_or_create and send: a code by email (outbox), authenticate by email_id into an otp/email session', async () => {
  const { credentials, client } = await project();
  const email = `otp.${Math.random().toString(36).slice(2, 8)}@example.com`;
  await expectStytchError(client.otps.email.send({ email }), 'email_not_found', 404);
  const created = await client.otps.email.loginOrCreate({ email });
  assert.equal(created.user_created, true);
  const signedIn = await client.otps.authenticate({ method_id: created.email_id, code: await latestCode(credentials, email, 'email'), session_duration_minutes: 30 });
  assert.equal(signedIn.session!.authentication_factors[0]!.delivery_method, 'email');
  assert.equal(signedIn.user.emails[0]!.verified, true);
  const sent = await client.otps.email.send({ email: email.toUpperCase() });
  assert.equal(sent.email_id, created.email_id);
  const code = await latestCode(credentials, email, 'email');
  assert.equal((await client.otps.authenticate({ method_id: created.email_id, code })).user_id, created.user_id);
});

test('refused: invalid and unknown numbers, another user\'s number, unknown method ids, expired codes, out of tries', async () => {
  const { credentials, client } = await project();
  for (const bad of ['+1202555', '12025550123', '+1 202 555 0123', '+15555550123', '+447700900123']) {
    await expectStytchError(client.otps.sms.loginOrCreate({ phone_number: bad }), 'invalid_phone_number', 400);
  }
  const phone = newPhone();
  await expectStytchError(client.otps.sms.send({ phone_number: phone }), 'phone_number_not_found', 404);
  const owner = await client.otps.sms.loginOrCreate({ phone_number: phone });
  const other = await client.otps.sms.loginOrCreate({ phone_number: newPhone() });
  await expectStytchError(client.otps.sms.send({ phone_number: phone, user_id: other.user_id }), 'invalid_argument', 400);
  await expectStytchError(client.otps.authenticate({ method_id: 'phone-number-test-00000000-0000-0000-0000-000000000000', code: '123456' }), 'otp_code_not_found');
  await expectStytchError(client.otps.sms.send({ phone_number: phone, expiration_minutes: 60 }), 'invalid_expiration', 400);

  // Stytch's default lifetime: 2 minutes.
  await client.otps.sms.send({ phone_number: phone });
  const code = await latestCode(credentials, phone, 'sms');
  clock.advance(2 * 60_000 + 1000);
  await expectStytchError(client.otps.authenticate({ method_id: owner.phone_id, code }), 'unable_to_auth_otp_code', 401);

  await client.otps.sms.send({ phone_number: phone, expiration_minutes: 10 });
  const right = await latestCode(credentials, phone, 'sms');
  for (let i = 0; i < 5; i++) await expectStytchError(client.otps.authenticate({ method_id: owner.phone_id, code: wrong(right) }), 'otp_code_not_found');
  await expectStytchError(client.otps.authenticate({ method_id: owner.phone_id, code: right }), 'unable_to_auth_otp_code', 401);
});

test('rate limits: sends per phone number (10 a minute here)', async () => {
  const { client } = await project();
  const phone = newPhone();
  for (let i = 0; i < 10; i++) await client.otps.sms.loginOrCreate({ phone_number: phone });
  await expectStytchError(client.otps.sms.loginOrCreate({ phone_number: phone }), 'too_many_requests', 429);
  await expectStytchError(client.otps.sms.send({ phone_number: phone }), 'too_many_requests', 429);
  // Another number is not held back.
  await client.otps.sms.loginOrCreate({ phone_number: newPhone() });
});
