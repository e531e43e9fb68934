// B2B TOTP and recovery codes through the official `stytch` B2BClient against a started Gatehouse:
// enrolment (pending until the first right code, then the member's totp_registration_id), the MFA
// step of an organization requiring MFA (password → mfa_required + intermediate session → TOTP →
// a session with both factors, and an authorization check on it), a code refused when replayed,
// recovery codes (once each; get and rotate), allowed_mfa_methods, and the primary rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { nextTokenTo, uniqueAddress } from '../email/smtp-test-server.ts';
import { useMailServer } from '../testing/mail-server.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';
import { totpCode } from './totp.ts';

const setup = useMailServer();
const { clock, project } = setup;

type Client = ReturnType<typeof b2bClient>;
const PASSWORD = 'correct horse battery staple 42';
const HASH = bcrypt.hashSync(PASSWORD, 4);
const STEP = 30_000;

async function organization(client: Client, settings: Record<string, unknown> = {}): Promise<string> {
  return (await client.organizations.create({ organization_name: `Org ${Math.random().toString(36).slice(2, 8)}`, ...settings } as never)).organization.organization_id;
}

async function memberWithPassword(client: Client, organization_id: string, email: string) {
  return (await client.passwords.migrate({ organization_id, email_address: email, hash_type: 'bcrypt', hash: HASH })).member;
}

const signInByPassword = (client: Client, organization_id: string, email_address: string) =>
  client.passwords.authenticate({ organization_id, email_address, password: PASSWORD, session_duration_minutes: 60 });

const factorTypes = (session: { authentication_factors: { type: string }[] } | undefined | null) => (session?.authentication_factors ?? []).map((factor) => factor.type).sort();

/** A member of an MFA-optional organization enrols: signed in by password, it creates and confirms TOTP with its session. */
async function enrolled(client: Client, organization_id: string, email: string) {
  const member = await memberWithPassword(client, organization_id, email);
  const created = await client.totps.create({ organization_id, member_id: member.member_id });
  const session = await signInByPassword(client, organization_id, email);
  assert.equal(session.member_authenticated, true);
  const confirmed = await client.totps.authenticate({ organization_id, member_id: member.member_id, code: totpCode(created.secret, clock.now()), session_token: session.session_token, set_mfa_enrollment: 'enroll' });
  clock.advance(STEP);
  return { member: confirmed.member, created, session: confirmed };
}

test('create: a pending registration with a base32 secret, a PNG QR code and 10 recovery codes; the first right code activates it', async () => {
  const { client } = await project();
  const org = await organization(client);
  const email = uniqueAddress('Totp');
  const member = await memberWithPassword(client, org, email);
  const created = await client.totps.create({ organization_id: org, member_id: member.member_id, expiration_minutes: 60 });
  assert.match(created.totp_registration_id, /^member-totp-test-[0-9a-f-]{36}$/);
  assert.match(created.secret, /^[A-Z2-7]{32}$/);
  assert.match(created.qr_code, /^data:image\/png;base64,/);
  assert.equal(created.recovery_codes.length, 10);
  assert.equal(new Set(created.recovery_codes).size, 10);
  for (const code of created.recovery_codes) assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  assert.equal(created.member.totp_registration_id, '', 'pending: not the member\'s yet');
  // Pending: no recovery codes to list.
  await expectStytchError(client.recoveryCodes.get({ organization_id: org, member_id: member.member_id }), 'totp_not_found', 404);

  // No primary authentication presented: refused before the code is tried.
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()) }),
    'action_available_only_once_primary_authentication_is_met', 400);

  const session = await signInByPassword(client, org, email);
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: '000000', session_token: session.session_token }), 'otp_code_not_found', 401);
  const confirmed = await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), session_token: session.session_token, set_mfa_enrollment: 'enroll', set_default_mfa: true });
  assert.equal(confirmed.member.totp_registration_id, created.totp_registration_id);
  assert.equal(confirmed.member.mfa_enrolled, true);
  assert.equal(confirmed.member.default_mfa_method, 'totp');
  assert.deepEqual(factorTypes(confirmed.member_session), ['password', 'totp']);
  const totp = confirmed.member_session!.authentication_factors.find((factor) => factor.type === 'totp')!;
  assert.equal(totp.delivery_method, 'authenticator_app');
  assert.equal((await client.organizations.members.get({ organization_id: org, member_id: member.member_id })).member.totp_registration_id, created.totp_registration_id);
  // Active: a second registration is refused; the codes are listed.
  await expectStytchError(client.totps.create({ organization_id: org, member_id: member.member_id }), 'active_totp_exists', 409);
  assert.deepEqual((await client.recoveryCodes.get({ organization_id: org, member_id: member.member_id })).recovery_codes, created.recovery_codes);
});

test('an organization requiring MFA: password → mfa_required with the registration → TOTP with the intermediate session → a session with both factors; a replayed code is refused; authorization on the session only', async () => {
  const { client } = await project();
  const org = await organization(client);
  const email = uniqueAddress('Strict');
  const { member, created } = await enrolled(client, org, email);
  await client.organizations.update({ organization_id: org, mfa_policy: 'REQUIRED_FOR_ALL' } as never);

  const first = await signInByPassword(client, org, email);
  assert.equal(first.member_authenticated, false);
  assert.equal(first.session_token, '');
  assert.deepEqual(first.mfa_required, { member_options: { mfa_phone_number: '', totp_registration_id: created.totp_registration_id }, secondary_auth_initiated: null });
  // The intermediate session is no session.
  await expectStytchError(client.sessions.authenticate({ session_token: first.intermediate_session_token }), 'session_not_found', 404);

  const code = totpCode(created.secret, clock.now());
  const done = await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: first.intermediate_session_token, session_duration_minutes: 60 });
  assert.equal((done as unknown as { member_authenticated: boolean }).member_authenticated, true);
  assert.deepEqual(factorTypes(done.member_session), ['password', 'totp']);
  const checked = await client.sessions.authenticate({
    session_token: done.session_token,
    authorization_check: { organization_id: org, resource_id: 'stytch.self', action: 'update.info.name' },
  });
  assert.equal(checked.verdict?.authorized, true);
  await expectStytchError(client.sessions.authenticate({
    session_token: done.session_token,
    authorization_check: { organization_id: org, resource_id: 'stytch.member', action: 'delete' },
  }), 'session_authorization_error', 403);
  // The intermediate session was spent.
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: first.intermediate_session_token }), 'intermediate_session_not_found', 404);

  // The same code again, in its window, with a new intermediate session: refused. The next step's code works.
  const second = await signInByPassword(client, org, email);
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: second.intermediate_session_token }), 'otp_code_not_found', 401);
  clock.advance(STEP);
  const next = await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), intermediate_session_token: second.intermediate_session_token });
  assert.equal((next as unknown as { member_authenticated: boolean }).member_authenticated, true);
  clock.advance(STEP);
});

test('recovery codes: each works once as the second factor; get lists the unused ones; rotate replaces them', async () => {
  const { client } = await project();
  const org = await organization(client, { mfa_policy: 'REQUIRED_FOR_ALL' });
  const email = uniqueAddress('Recover');
  const member = await memberWithPassword(client, org, email);
  const created = await client.totps.create({ organization_id: org, member_id: member.member_id });
  // Enrolment during the MFA step: the intermediate session of the password sign-in, then TOTP.
  const signIn = await signInByPassword(client, org, email);
  assert.equal(signIn.mfa_required?.member_options?.totp_registration_id, '');
  await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), intermediate_session_token: signIn.intermediate_session_token });

  const again = await signInByPassword(client, org, email);
  const recovered = await client.recoveryCodes.recover({ organization_id: org, member_id: member.member_id, recovery_code: created.recovery_codes[3]!, intermediate_session_token: again.intermediate_session_token });
  assert.equal(recovered.recovery_codes_remaining, 9);
  assert.deepEqual(factorTypes(recovered.member_session), ['password', 'recovery_codes']);
  assert.equal(recovered.member_session!.authentication_factors.find((f) => f.type === 'recovery_codes')!.delivery_method, 'recovery_code');

  const third = await signInByPassword(client, org, email);
  await expectStytchError(client.recoveryCodes.recover({ organization_id: org, member_id: member.member_id, recovery_code: created.recovery_codes[3]!, intermediate_session_token: third.intermediate_session_token }), 'recovery_code_not_found', 401);
  const listed = await client.recoveryCodes.get({ organization_id: org, member_id: member.member_id });
  assert.deepEqual(listed.recovery_codes, created.recovery_codes.filter((_, i) => i !== 3));

  const rotated = await client.recoveryCodes.rotate({ organization_id: org, member_id: member.member_id });
  assert.equal(rotated.recovery_codes.length, 10);
  await expectStytchError(client.recoveryCodes.recover({ organization_id: org, member_id: member.member_id, recovery_code: created.recovery_codes[0]!, intermediate_session_token: third.intermediate_session_token }), 'recovery_code_not_found', 401);
  const fresh = await client.recoveryCodes.recover({ organization_id: org, member_id: member.member_id, recovery_code: rotated.recovery_codes[0]!.toUpperCase(), intermediate_session_token: third.intermediate_session_token });
  assert.equal(fresh.recovery_codes_remaining, 9);
  clock.advance(STEP);
});

test('the organization\'s allowed_mfa_methods and the primary rule are checked before the code is tried', async () => {
  const { client } = await project();
  const org = await organization(client);
  const email = uniqueAddress('Rules');
  const { member, created } = await enrolled(client, org, email);
  await client.organizations.update({ organization_id: org, mfa_policy: 'REQUIRED_FOR_ALL', mfa_methods: 'RESTRICTED', allowed_mfa_methods: ['sms_otp'] } as never);
  const signIn = await signInByPassword(client, org, email);
  const code = totpCode(created.secret, clock.now());
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: signIn.intermediate_session_token }), 'mfa_method_not_allowed', 403);
  await expectStytchError(client.recoveryCodes.recover({ organization_id: org, member_id: member.member_id, recovery_code: created.recovery_codes[0]!, intermediate_session_token: signIn.intermediate_session_token }), 'mfa_method_not_allowed', 403);
  await client.organizations.update({ organization_id: org, allowed_mfa_methods: ['sms_otp', 'totp'] } as never);
  // Allowed now; the refused tries cost nothing: the same code signs in.
  const done = await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: signIn.intermediate_session_token });
  assert.deepEqual(factorTypes(done.member_session), ['password', 'totp']);

  // An intermediate session of another member is refused.
  const otherEmail = uniqueAddress('Other');
  await memberWithPassword(client, org, otherEmail);
  const other = await signInByPassword(client, org, otherEmail);
  clock.advance(STEP);
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), intermediate_session_token: other.intermediate_session_token }),
    'invalid_intermediate_session_token_for_organization', 400);

  // A password where only magic links are allowed is no primary authentication: TOTP cannot finish it.
  await client.organizations.update({ organization_id: org, auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] } as never);
  const restricted = await signInByPassword(client, org, email);
  assert.ok(restricted.primary_required);
  await expectStytchError(client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), intermediate_session_token: restricted.intermediate_session_token }),
    'action_available_only_once_primary_authentication_is_met', 400);
  // The magic link with it meets the primary rule; MFA is still required; then TOTP completes it.
  await client.magicLinks.email.loginOrSignup({ organization_id: org, email_address: email });
  const link = await client.magicLinks.authenticate({ magic_links_token: (await nextTokenTo(setup.smtp, email, 'multi_tenant_magic_links')).token, intermediate_session_token: restricted.intermediate_session_token });
  assert.ok(link.mfa_required);
  const finished = await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: totpCode(created.secret, clock.now()), intermediate_session_token: restricted.intermediate_session_token });
  assert.deepEqual(factorTypes(finished.member_session), ['magic_link', 'password', 'totp']);
  clock.advance(STEP);
});

test('organizations.members.deleteTOTP: another member\'s needs stytch.member update.info.delete.mfa-totp; one\'s own stytch.self; then a new registration', async () => {
  const { client } = await project();
  const org = await organization(client);
  const ada = uniqueAddress('Ada');
  const bob = uniqueAddress('Bob');
  const a = await enrolled(client, org, ada);
  const b = await enrolled(client, org, bob);
  // Enrolled: a password alone now gives mfa_required; her session is the one TOTP completed at enrolment.
  assert.equal((await signInByPassword(client, org, ada)).member_authenticated, false);
  const adaSession = a.session;
  assert.ok(adaSession.session_token);
  await assert.rejects(
    client.organizations.members.deleteTOTP({ organization_id: org, member_id: b.member.member_id }, { authorization: { session_token: adaSession.session_token } }),
    (error: { status_code?: number }) => error.status_code === 403,
  );
  const own = await client.organizations.members.deleteTOTP({ organization_id: org, member_id: a.member.member_id }, { authorization: { session_token: adaSession.session_token } });
  assert.equal(own.member.totp_registration_id, '');
  const removed = await client.organizations.members.deleteTOTP({ organization_id: org, member_id: b.member.member_id });
  assert.equal(removed.member.totp_registration_id, '');
  await expectStytchError(client.organizations.members.deleteTOTP({ organization_id: org, member_id: b.member.member_id }), 'totp_not_found', 404);
  const again = await client.totps.create({ organization_id: org, member_id: b.member.member_id });
  assert.notEqual(again.totp_registration_id, b.created.totp_registration_id);
});

test('brute force: the 10th try without a right code locks the registration for 15 minutes (even the right code then fails); a right code resets the count', async () => {
  const { client } = await project();
  const org = await organization(client);
  const email = uniqueAddress('Brute');
  const { member, created } = await enrolled(client, org, email);
  const attacker = await signInByPassword(client, org, email);
  assert.ok(attacker.mfa_required);
  const right = () => totpCode(created.secret, clock.now());
  const wrongCode = () => String((Number(right()) + 500_000) % 1_000_000).padStart(6, '0');
  const tryCode = (code: string) => client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: attacker.intermediate_session_token });
  for (let i = 0; i < 5; i += 1) await expectStytchError(tryCode(wrongCode()), 'otp_code_not_found', 401);
  // A right code resets the count: the member, signed in, is not locked out by the attacker's earlier tries.
  const fine = await tryCode(right());
  assert.notEqual(fine.session_token, '');
  clock.advance(STEP);
  const again = await signInByPassword(client, org, email);
  const tryAgain = (code: string) => client.totps.authenticate({ organization_id: org, member_id: member.member_id, code, intermediate_session_token: again.intermediate_session_token });
  for (let i = 0; i < 10; i += 1) await expectStytchError(tryAgain(wrongCode()), 'otp_code_not_found', 401);
  await expectStytchError(tryAgain(right()), 'too_many_requests', 429);
  clock.advance(15 * 60_000);
  const later = await signInByPassword(client, org, email);
  const done = await client.totps.authenticate({ organization_id: org, member_id: member.member_id, code: right(), intermediate_session_token: later.intermediate_session_token });
  assert.notEqual(done.session_token, '');
});
