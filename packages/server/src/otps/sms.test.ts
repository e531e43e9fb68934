// B2B SMS one-time passcodes (the MFA factor) through the official `stytch` B2BClient against a
// started Gatehouse: texts kept in the outbox (no sender configured), and texts POSTed to a real
// local HTTP receiver that verifies the Gatehouse-Signature (the webhook sender). The MFA flow an
// organization with mfa_policy REQUIRED_FOR_ALL asks for: password or magic link → mfa_required and
// an intermediate session → SMS send + authenticate → a session with both factors, on which an
// authorization check works. And every way a code or number is refused.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { nextTokenTo, startSmtpServer, uniqueAddress, type TestSmtpServer } from '../email/smtp-test-server.ts';
import { signWebhook, verifyWebhookSignature } from '../shared/webhook-signature.ts';
import { B2BProject, expectOk } from '../testing/b2b.ts';
import { ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

type Client = ReturnType<typeof b2bClient>;
const PASSWORD = 'correct horse battery staple 42';
const HASH = bcrypt.hashSync(PASSWORD, 4);
const SECRET = 'whsec-test-0123456789abcdef0123456789abcdef';

/** A receiver of the SMS webhook: verifies each delivery's signature over the raw body, keeps the good ones. */
interface Receiver {
  url: string;
  received: { to: string; text: string }[];
  refused: number;
  /** The status the next deliveries are answered with. */
  status: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], refused: 0, status: 200, close: async () => {} };
  const http: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/json' || !verifyWebhookSignature(SECRET, raw, request.headers['gatehouse-signature'] as string)) {
        receiver.refused++;
        response.writeHead(401).end();
        return;
      }
      const payload = JSON.parse(raw) as { type: string; to: string; text: string };
      assert.equal(payload.type, 'sms');
      receiver.received.push({ to: payload.to, text: payload.text });
      response.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/sms`;
  receiver.close = () => new Promise((resolve) => http.close(() => resolve()));
  return receiver;
}

let smtp: TestSmtpServer;
let server: TestServer;
let hooked: TestServer;
let receiver: Receiver;
const clock = new ManualClock();
/** The webhook server's clock: fixed, so that its rate-limit counts never straddle a window's end (fixed windows of a minute). */
const hookedClock = new ManualClock();

before(async () => {
  smtp = await startSmtpServer();
  receiver = await startReceiver();
  server = await startTestServer({ clock, env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
  hooked = await startTestServer({
    clock: hookedClock,
    env: {
      GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_SMS_WEBHOOK_URL: receiver.url, GATEHOUSE_SMS_WEBHOOK_SECRET: SECRET,
      GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '4', GATEHOUSE_RATE_LIMIT_IP: '0',
    },
  });
});
after(async () => {
  await server?.close();
  await hooked?.close();
  await smtp?.close();
  await receiver?.close();
});

async function project(s: TestServer = server): Promise<{ p: B2BProject; client: Client }> {
  const p = await B2BProject.create(s);
  return { p, client: b2bClient(s, p.credentials) };
}

async function organization(client: Client, settings: Record<string, unknown> = {}): Promise<string> {
  return (await client.organizations.create({ organization_name: `Org ${Math.random().toString(36).slice(2, 8)}`, ...settings })).organization.organization_id;
}

async function memberWithPassword(client: Client, organization_id: string, email: string, extra: Record<string, unknown> = {}) {
  return (await client.passwords.migrate({ organization_id, email_address: email, hash_type: 'bcrypt', hash: HASH, ...extra })).member;
}

let phones = 100;
/** A valid, unused US number (+1 202 555 01xx). */
const newPhone = () => `+12025550${String(phones++ % 200).padStart(3, '0')}`;

/** The code of the latest SMS in the outbox to the number (and that it is one). */
async function smsCode(p: B2BProject, phone: string): Promise<string> {
  const outbox = expectOk(await p.api('GET', `/v1/project/outbox?to=${encodeURIComponent(phone)}&limit=1`));
  const [message] = outbox.messages;
  assert.ok(message, `no SMS to ${phone}`);
  assert.equal(message.channel, 'sms');
  assert.equal(message.to, phone);
  assert.equal(message.subject, '');
  return /\b(\d{6})\b/.exec(message.text)![1]!;
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const factorKinds = (session: { authentication_factors: { type: string; delivery_method: string }[] } | undefined) =>
  (session?.authentication_factors ?? []).map((factor) => `${factor.type}/${factor.delivery_method}`).sort();

test('MFA required for all: password → mfa_required + intermediate session → SMS send + authenticate → a session with both factors; the number is verified; an authorization check works on that session only; with sms_otp the default, the next mfa_required texts a code itself', async () => {
  const { p, client } = await project();
  const org = await organization(client, { mfa_policy: 'REQUIRED_FOR_ALL' });
  const email = uniqueAddress('Sms');
  const member = await memberWithPassword(client, org, email, { roles: ['editor'] });

  const first = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });
  assert.equal(first.member_authenticated, false);
  assert.ok(first.mfa_required);
  assert.equal(first.mfa_required.member_options?.mfa_phone_number, '');
  const ist = first.intermediate_session_token;

  // No number yet: the one given is set on the member, unverified, and a code is texted to it (the outbox).
  const phone = newPhone();
  const sent = await client.otps.sms.send({ organization_id: org, member_id: member.member_id, mfa_phone_number: phone });
  assert.equal(sent.member.mfa_phone_number, phone);
  assert.equal(sent.member.mfa_phone_number_verified, false);
  const code = await smsCode(p, phone);

  await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: wrong(code), intermediate_session_token: ist }), 'otp_code_not_found', 404);
  const done = await client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: ist, session_duration_minutes: 60, set_default_mfa: true });
  assert.equal(done.member_id, member.member_id);
  assert.ok(done.session_token);
  assert.deepEqual(factorKinds(done.member_session), ['otp/sms', 'password/knowledge']);
  const smsFactor = done.member_session!.authentication_factors.find((factor) => factor.type === 'otp') as unknown as { phone_number_factor: { phone_number: string } };
  assert.equal(smsFactor.phone_number_factor.phone_number, phone);
  assert.equal(done.member.mfa_phone_number_verified, true);
  assert.equal(done.member.default_mfa_method, 'sms_otp');

  // The code and the intermediate session are spent.
  await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: ist }), 'intermediate_session_not_found');

  // The authorization check works on the session; the intermediate session is no session.
  const checked = await client.sessions.authenticate({ session_token: done.session_token, authorization_check: { organization_id: org, resource_id: 'documents', action: 'write' } });
  assert.equal(checked.member.member_id, member.member_id);
  await expectStytchError(client.sessions.authenticate({ session_token: ist, authorization_check: { organization_id: org, resource_id: 'documents', action: 'write' } }), 'session_not_found');
  await expectStytchError(client.sessions.authenticate({ session_token: done.session_token, authorization_check: { organization_id: org, resource_id: 'documents', action: 'delete' } }), 'session_authorization_error', 403);

  // Verified now, and the default method: mfa_required names the number and a code is texted at once.
  const again = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });
  assert.equal(again.mfa_required?.member_options?.mfa_phone_number, phone);
  assert.equal(again.mfa_required?.secondary_auth_initiated, 'sms_otp');
  const texted = await smsCode(p, phone);
  const second = await client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: texted, intermediate_session_token: again.intermediate_session_token });
  assert.deepEqual(factorKinds(second.member_session), ['otp/sms', 'password/knowledge']);
  await expectStytchError(client.otps.sms.send({ organization_id: org, member_id: member.member_id, mfa_phone_number: newPhone() }), 'mfa_phone_number_already_verified', 400);

  // The backend may change the number: the same one stays verified, another is unverified until proven.
  const same = await client.organizations.members.update({ organization_id: org, member_id: member.member_id, mfa_phone_number: phone });
  assert.equal(same.member.mfa_phone_number_verified, true);
  const changed = await client.organizations.members.update({ organization_id: org, member_id: member.member_id, mfa_phone_number: newPhone() });
  assert.equal(changed.member.mfa_phone_number_verified, false);
});

test('a magic link is the primary factor as well; with a session the SMS code adds the factor; without either — or with a primary rule unmet — it is refused before the code is tried', async () => {
  const { p, client } = await project();
  const org = await organization(client, { mfa_policy: 'REQUIRED_FOR_ALL', auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] });
  const email = uniqueAddress('Link');
  const phone = newPhone();
  const member = await memberWithPassword(client, org, email, { mfa_phone_number: phone });

  // A password is not an allowed method here: its intermediate session does not meet the primary rule.
  const byPassword = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });
  assert.ok(byPassword.primary_required);
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  const code = await smsCode(p, phone);
  await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: byPassword.intermediate_session_token }),
    'action_available_only_once_primary_authentication_is_met', 400);
  await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code }), 'action_available_only_once_primary_authentication_is_met', 400);

  // A magic link is: the same code (untried so far) completes the sign-in.
  await client.magicLinks.email.loginOrSignup({ organization_id: org, email_address: email });
  const token = (await nextTokenTo(smtp, email, 'multi_tenant_magic_links')).token;
  const byLink = await client.magicLinks.authenticate({ magic_links_token: token });
  assert.ok(byLink.mfa_required);
  const done = await client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: byLink.intermediate_session_token });
  assert.deepEqual(factorKinds(done.member_session), ['magic_link/email', 'otp/sms']);

  // With the session: a new code adds (refreshes) the factor on the same session.
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  const refreshed = await client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: await smsCode(p, phone), session_token: done.session_token });
  assert.equal(refreshed.member_session!.member_session_id, done.member_session!.member_session_id);
});

test('codes: expired, reused and out of tries are refused; a newer code replaces the older; invalid numbers are refused', async () => {
  const { p, client } = await project();
  const org = await organization(client);
  const email = uniqueAddress('Codes');
  const phone = newPhone();
  const member = await memberWithPassword(client, org, email, { mfa_phone_number: phone });
  const session = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });
  const auth = (code: string) => client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, session_token: session.session_token });

  for (const bad of ['+1202555', '12025550123', '+1 202 555 0123', '+15555550123', 'phone']) {
    await expectStytchError(client.otps.sms.send({ organization_id: org, member_id: member.member_id, mfa_phone_number: bad }), 'invalid_phone_number', 400);
  }
  await expectStytchError(client.otps.sms.send({ organization_id: org, member_id: 'member-test-00000000-0000-0000-0000-000000000000' }), 'member_not_found', 404);

  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  const older = await smsCode(p, phone);
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  const newer = await smsCode(p, phone);
  if (older !== newer) await expectStytchError(auth(older), 'otp_code_not_found');
  await auth(newer);
  await expectStytchError(auth(newer), 'otp_code_not_found', 404);

  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  clock.advance(11 * 60_000);
  await expectStytchError(auth(await smsCode(p, phone)), 'unable_to_auth_otp_code', 401);

  const fresh = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  const right = await smsCode(p, phone);
  for (let i = 0; i < 5; i++) {
    await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: wrong(right), session_token: fresh.session_token }), 'otp_code_not_found');
  }
  await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: right, session_token: fresh.session_token }), 'unable_to_auth_otp_code');
});

test('the webhook sender: a signed POST the receiver verifies; a refused delivery is sms_delivery_failed and voids its code; sends are rate limited per member and per number', async () => {
  const { p, client } = await project(hooked);
  const org = await organization(client);
  const email = uniqueAddress('Hook');
  const phone = newPhone();
  const member = await memberWithPassword(client, org, email, { mfa_phone_number: phone });
  const session = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });

  receiver.status = 200;
  await client.otps.sms.send({ organization_id: org, member_id: member.member_id });
  const delivered = receiver.received.at(-1)!;
  assert.equal(delivered.to, phone);
  assert.equal(receiver.refused, 0);
  const code = /\b(\d{6})\b/.exec(delivered.text)![1]!;

  // The receiver refuses: the request fails in the Stytch envelope and the code it was given is void.
  receiver.status = 500;
  await expectStytchError(client.otps.sms.send({ organization_id: org, member_id: member.member_id }), 'sms_delivery_failed', 502);
  const voided = /\b(\d{6})\b/.exec(receiver.received.at(-1)!.text)![1]!;
  await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code: voided, session_token: session.session_token }), 'otp_code_not_found');
  receiver.status = 200;
  // (The first code was replaced when the second was issued.)
  if (code !== voided) await expectStytchError(client.otps.sms.authenticate({ organization_id: org, member_id: member.member_id, code, session_token: session.session_token }), 'otp_code_not_found');

  // Four requests per member per minute here (GATEHOUSE_RATE_LIMIT_IDENTIFIER=4): the fifth is refused.
  await expectStytchError(client.otps.sms.send({ organization_id: org, member_id: member.member_id }), 'too_many_requests', 429);
  // And per number given: two members sending to one number share its count.
  const [first, second] = await Promise.all([uniqueAddress('Share'), uniqueAddress('Share')].map((address) => memberWithPassword(client, org, address)));
  const shared = newPhone();
  for (const m of [first!, first!, second!, second!]) await client.otps.sms.send({ organization_id: org, member_id: m.member_id, mfa_phone_number: shared });
  await expectStytchError(client.otps.sms.send({ organization_id: org, member_id: second!.member_id, mfa_phone_number: shared }), 'too_many_requests', 429);
  await client.otps.sms.send({ organization_id: org, member_id: second!.member_id });

  // Nothing went to the outbox (the webhook is the sender).
  assert.deepEqual(expectOk(await p.api('GET', `/v1/project/outbox?to=${encodeURIComponent(phone)}`)).messages, []);
});

test('webhook signatures: the right secret, body and a fresh timestamp verify; anything else does not', () => {
  const body = JSON.stringify({ type: 'sms', to: '+12025550123', text: 'Your passcode is 123456.' });
  const now = new Date('2026-01-01T00:00:00Z');
  const header = signWebhook(SECRET, body, now);
  assert.match(header, /^t=1767225600,v1=[0-9a-f]{64}$/);
  assert.equal(verifyWebhookSignature(SECRET, body, header, now), true);
  assert.equal(verifyWebhookSignature(SECRET, body.replace('123456', '654321'), header, now), false, 'a changed body');
  assert.equal(verifyWebhookSignature(`${SECRET}x`, body, header, now), false, 'another secret');
  assert.equal(verifyWebhookSignature(SECRET, body, header, new Date(now.getTime() + 301_000)), false, 'too old: a replay');
  assert.equal(verifyWebhookSignature(SECRET, body, header.replace(/t=\d+/, 't=1767225601'), now), false, 'another timestamp');
  assert.equal(verifyWebhookSignature(SECRET, body, undefined, now), false);
  assert.equal(verifyWebhookSignature(SECRET, body, 't=1767225600,v1=zz', now), false);
});
