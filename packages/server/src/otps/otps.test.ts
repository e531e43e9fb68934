// B2B email one-time passcodes driven through the official `stytch` B2BClient against a started
// Gatehouse, the codes delivered through a real SMTP server on loopback: organization login and
// sign-up by code, discovery by code (an intermediate session that records email_otp), and every
// way a code is refused — wrong, expired, reused, tried too often, for another organization or
// address — and the rate limit on sends and tries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueAddress } from '../email/smtp-test-server.ts';
import { ManualClock, startTestServer } from '../testing/harness.ts';
import { useMailServer } from '../testing/mail-server.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

const setup = useMailServer();
const { clock, project } = setup;

type Client = ReturnType<typeof b2bClient>;

/** The 6-digit code of the next message to the address. */
async function codeTo(email: string): Promise<string> {
  const mail = await setup.smtp.nextMailTo(email);
  assert.equal(mail.subject, 'Your passcode');
  const code = /^(\d{6})$/m.exec(mail.text)?.[1];
  assert.ok(code, mail.text);
  return code;
}

/** A code that is not `code`. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

let organizations = 0;
async function openOrganization(client: Client, extra: Record<string, unknown> = {}) {
  const { organization } = await client.organizations.create({
    organization_name: `Open ${++organizations}`, email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'], ...extra,
  } as never);
  return organization.organization_id;
}

test('login_or_signup: a new address signs up by code as a pending member; authenticate activates and verifies it with an otp/email factor; the code works once', async () => {
  const { client } = await project();
  const organization_id = await openOrganization(client);
  const email = uniqueAddress('Otto');
  const started = await client.otps.email.loginOrSignup({ organization_id, email_address: email });
  assert.equal(started.member_created, true);
  assert.equal(started.member.status, 'pending');
  assert.equal(started.organization.organization_id, organization_id);
  const code = await codeTo(email);

  const body = await client.otps.email.authenticate({ organization_id, email_address: email, code, session_duration_minutes: 60 });
  assert.equal(body.member_id, started.member_id);
  assert.equal(body.method_id, started.member_id);
  assert.equal(body.member.status, 'active');
  assert.equal(body.member.email_address_verified, true);
  assert.equal(body.member_authenticated, true);
  const [factor] = body.member_session!.authentication_factors;
  assert.equal(factor!.type, 'otp');
  assert.equal(factor!.delivery_method, 'email');
  assert.equal(factor!.email_factor?.email_address, email);
  await client.sessions.authenticate({ session_token: body.session_token });

  await expectStytchError(client.otps.email.authenticate({ organization_id, email_address: email, code }), 'otp_code_not_found', 404);

  // Now active: the next code is a login code, and the member is not created again.
  const again = await client.otps.email.loginOrSignup({ organization_id, email_address: email, login_expiration_minutes: 15 });
  assert.equal(again.member_created, false);
  const next = await codeTo(email);
  assert.equal((await client.otps.email.authenticate({ organization_id, email_address: email, code: next })).member_id, started.member_id);
});

test('login_or_signup: an address the organization does not let join is refused; expiration minutes outside 2..15 are refused', async () => {
  const { client } = await project();
  const { organization } = await client.organizations.create({ organization_name: 'Closed' });
  await expectStytchError(client.otps.email.loginOrSignup({ organization_id: organization.organization_id, email_address: uniqueAddress('Eve') }), 'email_jit_provisioning_not_allowed', 403);
  const open = await openOrganization(client);
  await expectStytchError(client.otps.email.loginOrSignup({ organization_id: open, email_address: 'eve@elsewhere.test' }), 'invalid_email_for_jit_provisioning', 403);
  for (const minutes of [1, 16]) {
    await expectStytchError(client.otps.email.loginOrSignup({ organization_id: open, email_address: uniqueAddress('Eve'), login_expiration_minutes: minutes }), 'invalid_expiration', 400);
  }
});

test('authenticate: a wrong code, a code for another organization or address, an expired code, a replaced code are refused', async () => {
  const { client } = await project();
  const first = await openOrganization(client);
  const second = await openOrganization(client);
  const email = uniqueAddress('Wren');
  const other = uniqueAddress('Wes');
  await client.otps.email.loginOrSignup({ organization_id: first, email_address: email });
  const code = await codeTo(email);

  await expectStytchError(client.otps.email.authenticate({ organization_id: first, email_address: email, code: wrong(code) }), 'otp_code_not_found', 404);
  await expectStytchError(client.otps.email.authenticate({ organization_id: first, email_address: email, code: 'abc' }), 'otp_code_not_found', 404);
  // The code is for this organization and this address only.
  await expectStytchError(client.otps.email.authenticate({ organization_id: second, email_address: email, code }), 'otp_code_not_found', 404);
  await client.otps.email.loginOrSignup({ organization_id: first, email_address: other });
  await codeTo(other);
  await expectStytchError(client.otps.email.authenticate({ organization_id: first, email_address: other, code }), 'otp_code_not_found', 404);
  // A discovery code is not an organization's code.
  await client.otps.email.discovery.send({ email_address: other });
  const discoveryCode = await codeTo(other);
  await expectStytchError(client.otps.email.authenticate({ organization_id: first, email_address: other, code: discoveryCode }), 'otp_code_not_found', 404);

  // The right code still works (2 wrong tries of 5 were spent) — until a newer one replaces it.
  await client.otps.email.loginOrSignup({ organization_id: first, email_address: email });
  const newer = await codeTo(email);
  if (newer !== code) await expectStytchError(client.otps.email.authenticate({ organization_id: first, email_address: email, code }), 'otp_code_not_found', 404);

  // Expiry: 10 minutes by default, or the lifetime asked for.
  clock.advance(10 * 60_000);
  await expectStytchError(client.otps.email.authenticate({ organization_id: first, email_address: email, code: newer }), 'unable_to_auth_otp_code', 401);
  await client.otps.email.loginOrSignup({ organization_id: first, email_address: email, signup_expiration_minutes: 2 });
  const short = await codeTo(email);
  clock.advance(2 * 60_000 - 1000);
  const signedIn = await client.otps.email.authenticate({ organization_id: first, email_address: email, code: short });
  assert.equal(signedIn.member.status, 'active');
});

test('authenticate: after 5 tries the code is dead, the right code included', async () => {
  const { client } = await project();
  const organization_id = await openOrganization(client);
  const email = uniqueAddress('Tess');
  await client.otps.email.loginOrSignup({ organization_id, email_address: email });
  const code = await codeTo(email);
  for (let i = 0; i < 5; i++) {
    await expectStytchError(client.otps.email.authenticate({ organization_id, email_address: email, code: wrong(code) }), 'otp_code_not_found', 404);
  }
  await expectStytchError(client.otps.email.authenticate({ organization_id, email_address: email, code }), 'unable_to_auth_otp_code', 401);
  // A new code works.
  await client.otps.email.loginOrSignup({ organization_id, email_address: email });
  assert.equal((await client.otps.email.authenticate({ organization_id, email_address: email, code: await codeTo(email) })).member.status, 'active');
});

test('authenticate: a refused session field costs no try and leaves the code usable', async () => {
  const { client } = await project();
  const organization_id = await openOrganization(client);
  const email = uniqueAddress('Sid');
  await client.otps.email.loginOrSignup({ organization_id, email_address: email });
  const code = await codeTo(email);
  await expectStytchError(client.otps.email.authenticate({ organization_id, email_address: email, code, session_duration_minutes: 0 }), 'invalid_session_duration_minutes', 400);
  assert.equal((await client.otps.email.authenticate({ organization_id, email_address: email, code })).member.email_address_verified, true);
});

test('discovery: a code proves the address; the intermediate session records email_otp, discovers organizations and is exchanged for a session with an otp factor', async () => {
  const { client } = await project();
  const email = uniqueAddress('Dina');
  // Invited to one organization; another allows only email OTP, a third only magic links.
  const invitedIn = (await client.organizations.create({ organization_name: 'Inviting' })).organization.organization_id;
  await client.magicLinks.email.invite({ organization_id: invitedIn, email_address: email });
  await setup.smtp.nextMailTo(email);
  const otpOnly = (await client.organizations.create({ organization_name: 'OTP only', auth_methods: 'RESTRICTED', allowed_auth_methods: ['email_otp'] } as never)).organization.organization_id;
  const linksOnly = (await client.organizations.create({ organization_name: 'Links only', auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] } as never)).organization.organization_id;
  for (const organization_id of [otpOnly, linksOnly]) await client.organizations.members.create({ organization_id, email_address: email });

  const sent = await client.otps.email.discovery.send({ email_address: email });
  assert.equal(sent.status_code, 200);
  const code = await codeTo(email);
  await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code: wrong(code) }), 'otp_code_not_found', 404);
  await expectStytchError(client.otps.email.discovery.authenticate({ email_address: uniqueAddress('Other'), code }), 'otp_code_not_found', 404);
  const found = await client.otps.email.discovery.authenticate({ email_address: email, code });
  assert.equal(found.email_address, email);
  assert.equal(Date.parse(found.intermediate_session_token_expires_at!) - clock.now().getTime(), 10 * 60_000);
  const byId = Object.fromEntries(found.discovered_organizations.map((entry) => [entry.organization!.organization_id, entry]));
  assert.equal(byId[invitedIn]!.membership!.type, 'invited_member');
  assert.equal(byId[otpOnly]!.member_authenticated, true);
  assert.equal(byId[otpOnly]!.primary_required, null);
  assert.deepEqual(byId[linksOnly]!.primary_required, { allowed_auth_methods: ['magic_link'] });
  await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code }), 'otp_code_not_found', 404);

  const exchanged = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: found.intermediate_session_token, organization_id: otpOnly });
  assert.equal(exchanged.member_authenticated, true);
  assert.equal(exchanged.member_session!.authentication_factors[0]!.type, 'otp');
  assert.equal(exchanged.member_session!.authentication_factors[0]!.email_factor?.email_address, email);
});

test('discovery: codes expire (discovery_expiration_minutes within 2..15) and die after 5 tries', async () => {
  const { client } = await project();
  const email = uniqueAddress('Exp');
  await expectStytchError(client.otps.email.discovery.send({ email_address: email, discovery_expiration_minutes: 20 }), 'invalid_expiration', 400);
  await client.otps.email.discovery.send({ email_address: email, discovery_expiration_minutes: 3 });
  const code = await codeTo(email);
  clock.advance(3 * 60_000);
  await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code }), 'unable_to_auth_otp_code', 401);
  await client.otps.email.discovery.send({ email_address: email });
  const next = await codeTo(email);
  for (let i = 0; i < 5; i++) await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code: wrong(next) }), 'otp_code_not_found', 404);
  await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code: next }), 'unable_to_auth_otp_code', 401);
});

test('rate limit: sends and tries count per address', async () => {
  const limited = await startTestServer({ clock: new ManualClock(), env: { GATEHOUSE_SMTP_URL: setup.smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '3', GATEHOUSE_RATE_LIMIT_IDENTIFIER_WINDOW_SECONDS: '60', GATEHOUSE_RATE_LIMIT_IP: '100' } });
  try {
    const { client } = await project(limited);
    const email = uniqueAddress('Rita');
    await client.otps.email.discovery.send({ email_address: email });
    const code = await codeTo(email);
    await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code: wrong(code) }), 'otp_code_not_found', 404);
    await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code: wrong(code) }), 'otp_code_not_found', 404);
    await expectStytchError(client.otps.email.discovery.authenticate({ email_address: email, code }), 'too_many_requests', 429);
    await expectStytchError(client.otps.email.discovery.send({ email_address: email }), 'too_many_requests', 429);
    // Another address is not limited by this one.
    await client.otps.email.discovery.send({ email_address: uniqueAddress('Ron') });
  } finally {
    await limited.close();
  }
});

test("the organization's sign-in rules apply to a code: a method it does not allow gives primary_required and no session; an allowed one a session; an MFA policy mfa_required", async () => {
  const { client } = await project();
  const signIn = async (settings: Record<string, unknown>) => {
    const organization_id = await openOrganization(client, settings);
    const email = uniqueAddress('Rita');
    await client.otps.email.loginOrSignup({ organization_id, email_address: email });
    return client.otps.email.authenticate({ organization_id, email_address: email, code: await codeTo(email) });
  };
  const refused = await signIn({ auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] });
  assert.equal(refused.member_authenticated, false);
  assert.deepEqual(refused.primary_required?.allowed_auth_methods, ['magic_link']);
  assert.equal(refused.session_token, '');
  assert.equal(refused.member_session, null);
  assert.ok(refused.intermediate_session_token);
  await expectStytchError(client.sessions.authenticate({ session_token: refused.session_token || 'none' }), 'session_not_found', 404);

  const allowed = await signIn({ auth_methods: 'RESTRICTED', allowed_auth_methods: ['email_otp'] });
  assert.equal(allowed.member_authenticated, true);
  assert.equal(allowed.primary_required, null);
  await client.sessions.authenticate({ session_token: allowed.session_token });

  const mfa = await signIn({ mfa_policy: 'REQUIRED_FOR_ALL' });
  assert.equal(mfa.member_authenticated, false);
  assert.ok(mfa.mfa_required);
  assert.equal(mfa.session_token, '');
  assert.ok(mfa.intermediate_session_token);
});
