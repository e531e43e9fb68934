// The one B2B sign-in decision (member-sign-in.ts) and session exchange, driven through the official
// `stytch` B2BClient against a started Gatehouse, links delivered through a real SMTP server: an
// organization's auth_methods (primary_required, completed by the next primary authentication with
// the intermediate session), its MFA policy and a member's MFA enrollment (mfa_required: no session,
// completed by a second factor: totps/b2b-totp.test.ts), and exchanging a session into another organization.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { nextTokenTo, startSmtpServer, uniqueAddress, type TestSmtpServer } from '../email/smtp-test-server.ts';
import { B2BProject } from '../testing/b2b.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { createSamlIdp, type SamlTestIdp } from '../testing/saml-idp.ts';
import { createSamlConnection, samlAcs, ssoTokenOf } from '../testing/sso.ts';
import { b2bClient, expectStytchError } from '../testing/stytch-clients.ts';

let smtp: TestSmtpServer;
let server: TestServer;
let idp: SamlTestIdp;

before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
  idp = await createSamlIdp();
});
after(async () => {
  await server?.close();
  await smtp?.close();
});

type Client = ReturnType<typeof b2bClient>;
const PASSWORD = 'correct horse battery staple 42';
const HASH = bcrypt.hashSync(PASSWORD, 4);

async function project(): Promise<{ p: B2BProject; client: Client }> {
  const p = await B2BProject.create(server);
  return { p, client: b2bClient(server, p.credentials) };
}

/** A new organization with these settings. */
async function organization(client: Client, settings: Record<string, unknown> = {}): Promise<string> {
  return (await client.organizations.create({ organization_name: `Org ${Math.random().toString(36).slice(2, 8)}`, ...settings })).organization.organization_id;
}

/** An active member with a password (passwords/migrate). */
async function memberWithPassword(client: Client, organization_id: string, email: string, extra: Record<string, unknown> = {}) {
  return (await client.passwords.migrate({ organization_id, email_address: email, hash_type: 'bcrypt', hash: HASH, ...extra })).member;
}

/** Sends the member a login link and returns the link's token. */
async function loginToken(client: Client, organization_id: string, email: string): Promise<string> {
  await client.magicLinks.email.loginOrSignup({ organization_id, email_address: email });
  return (await nextTokenTo(smtp, email, 'multi_tenant_magic_links')).token;
}

const factorTypes = (session: { authentication_factors: { type: string }[] } | undefined | null) => (session?.authentication_factors ?? []).map((factor) => factor.type).sort();

/** What an answer without a session looks like, as Stytch gives it. */
function assertNoSession(response: { member_authenticated: boolean; session_token: string; session_jwt: string; member_session?: unknown; intermediate_session_token: string }) {
  assert.equal(response.member_authenticated, false);
  assert.equal(response.session_token, '');
  assert.equal(response.session_jwt, '');
  assert.equal(response.member_session ?? null, null);
  assert.match(response.intermediate_session_token, /^[A-Za-z0-9_-]{43}$/);
}

test('auth_methods RESTRICTED: a method not allowed gives primary_required and an intermediate session; the allowed method with it signs in holding both factors', async () => {
  const { client } = await project();
  const org = await organization(client, { auth_methods: 'RESTRICTED', allowed_auth_methods: ['magic_link'] });
  const email = uniqueAddress('Restricted');
  const member = await memberWithPassword(client, org, email);

  const first = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD, session_duration_minutes: 30 });
  assertNoSession(first);
  assert.deepEqual(first.primary_required, { allowed_auth_methods: ['magic_link'] });
  assert.equal(first.mfa_required ?? null, null);
  assert.equal(first.member_id, member.member_id);
  assert.deepEqual((await client.sessions.get({ organization_id: org, member_id: member.member_id })).member_sessions, [], 'no session was started');

  // The intermediate session is the member's in this organization: another member cannot use it.
  const other = uniqueAddress('Other');
  await memberWithPassword(client, org, other);
  await expectStytchError(
    client.magicLinks.authenticate({ magic_links_token: await loginToken(client, org, other), intermediate_session_token: first.intermediate_session_token }),
    'invalid_intermediate_session_token_for_organization', 400,
  );

  // The allowed method completes it: one session with both factors; the intermediate session is spent.
  const token = await loginToken(client, org, email);
  const second = await client.magicLinks.authenticate({ magic_links_token: token, intermediate_session_token: first.intermediate_session_token, session_duration_minutes: 30 });
  assert.equal(second.member_authenticated, true);
  assert.equal(second.intermediate_session_token, '');
  assert.equal(second.primary_required ?? null, null);
  assert.deepEqual(factorTypes(second.member_session), ['magic_link', 'password']);
  await client.sessions.authenticate({ session_token: second.session_token });
  await expectStytchError(
    client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD, intermediate_session_token: first.intermediate_session_token }),
    'intermediate_session_not_found', 404,
  );

  // The allowed method alone signs in; the other alone still does not.
  const alone = await client.magicLinks.authenticate({ magic_links_token: await loginToken(client, org, email) });
  assert.equal(alone.member_authenticated, true);
  assert.deepEqual(factorTypes(alone.member_session), ['magic_link']);
  // Discovery lists the organization as requiring a primary method of a password-only session? A
  // session exists only through an allowed method, so discovery by session sees it authenticated.
  const listed = await client.discovery.organizations.list({ session_token: alone.session_token });
  assert.equal(listed.discovered_organizations[0]!.member_authenticated, true);
});

test('mfa_policy REQUIRED_FOR_ALL, or a member enrolled in MFA: no session but mfa_required and an intermediate session until a second factor (totps/b2b-totp.test.ts)', async () => {
  const { client } = await project();
  const strict = await organization(client, { mfa_policy: 'REQUIRED_FOR_ALL' });
  const email = uniqueAddress('Mfa');
  const member = await memberWithPassword(client, strict, email, { mfa_phone_number: '+12025550123' });

  const signIn = await client.passwords.authenticate({ organization_id: strict, email_address: email, password: PASSWORD });
  assertNoSession(signIn);
  assert.equal(signIn.primary_required ?? null, null);
  assert.deepEqual(signIn.mfa_required, { member_options: { mfa_phone_number: '+12025550123', totp_registration_id: '' }, secondary_auth_initiated: null });
  // Another primary factor with the intermediate session is still no MFA: the same intermediate session, holding both.
  const again = await client.magicLinks.authenticate({ magic_links_token: await loginToken(client, strict, email), intermediate_session_token: signIn.intermediate_session_token });
  assertNoSession(again);
  assert.equal(again.intermediate_session_token, signIn.intermediate_session_token);
  assert.ok(again.mfa_required);
  assert.deepEqual((await client.sessions.get({ organization_id: strict, member_id: member.member_id })).member_sessions, []);

  // An organization with optional MFA: only the enrolled member must complete it.
  const optional = await organization(client);
  const enrolled = uniqueAddress('Enrolled');
  const enrolledMember = await memberWithPassword(client, optional, enrolled);
  assert.equal((await client.organizations.members.update({ organization_id: optional, member_id: enrolledMember.member_id, mfa_enrolled: true })).member.mfa_enrolled, true);
  const enrolledSignIn = await client.passwords.authenticate({ organization_id: optional, email_address: enrolled, password: PASSWORD });
  assertNoSession(enrolledSignIn);
  assert.ok(enrolledSignIn.mfa_required);

  // Everyone else signs in as before.
  const plain = uniqueAddress('Plain');
  await memberWithPassword(client, optional, plain);
  const signedIn = await client.passwords.authenticate({ organization_id: optional, email_address: plain, password: PASSWORD });
  assert.equal(signedIn.member_authenticated, true);
  assert.equal(signedIn.mfa_required ?? null, null);
  assert.equal(signedIn.primary_required ?? null, null);
  assert.ok(signedIn.session_token);
});

test('discovery under the organization\'s rules: exchanging into an organization requiring MFA gives mfa_required; creating one with REQUIRED_FOR_ALL too', async () => {
  const { client } = await project();
  const discover = async (email: string) => {
    await client.magicLinks.email.discovery.send({ email_address: email });
    const { token } = await nextTokenTo(smtp, email, 'discovery');
    return client.magicLinks.discovery.authenticate({ discovery_magic_links_token: token });
  };
  const strict = await organization(client, { mfa_policy: 'REQUIRED_FOR_ALL' });
  const email = uniqueAddress('Discoverer');
  await client.magicLinks.email.invite({ organization_id: strict, email_address: email });
  await nextTokenTo(smtp, email, 'multi_tenant_magic_links'); // the invitation, not followed
  const found = await discover(email);
  const listed = found.discovered_organizations.find((entry) => entry.organization!.organization_id === strict)!;
  assert.equal(listed.member_authenticated, false);
  assert.ok(listed.mfa_required);
  const exchanged = await client.discovery.intermediateSessions.exchange({ intermediate_session_token: found.intermediate_session_token, organization_id: strict });
  assertNoSession(exchanged);
  assert.ok(exchanged.mfa_required);
  assert.equal(exchanged.member.status, 'active', 'the invitation is accepted: the address was proven');

  const created = await client.discovery.organizations.create({ intermediate_session_token: (await discover(uniqueAddress('Founder'))).intermediate_session_token, organization_name: 'Strict from the start', mfa_policy: 'REQUIRED_FOR_ALL' });
  assertNoSession(created);
  assert.ok(created.mfa_required);
});

test('session exchange: the address signs in to another organization it is invited to, with its email factors, roles of that organization, the old session kept', async () => {
  const { client } = await project();
  const email = uniqueAddress('Switcher');
  const home = await organization(client, { email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] });
  const away = await organization(client, { rbac_email_implicit_role_assignments: [{ domain: 'example.com', role_id: 'editor' }] });
  await client.magicLinks.email.invite({ organization_id: away, email_address: email });
  await nextTokenTo(smtp, email, 'multi_tenant_magic_links'); // the invitation, not followed
  const signedIn = await client.magicLinks.authenticate({ magic_links_token: await loginToken(client, home, email), session_duration_minutes: 60 });
  assert.equal(signedIn.member_authenticated, true);

  const exchanged = await client.sessions.exchange({ organization_id: away, session_token: signedIn.session_token, session_duration_minutes: 30, session_custom_claims: { tab: 'away' } });
  assert.equal(exchanged.member_authenticated, true);
  assert.equal(exchanged.organization.organization_id, away);
  assert.notEqual(exchanged.member_id, signedIn.member_id);
  assert.equal(exchanged.member.status, 'active', 'the invitation is accepted');
  assert.equal(exchanged.member.email_address_verified, true);
  assert.deepEqual(factorTypes(exchanged.member_session), ['magic_link']);
  assert.deepEqual(exchanged.member_session!.roles.sort(), ['editor', 'stytch_member']);
  assert.deepEqual(exchanged.member_session!.custom_claims, { tab: 'away' });
  // The JWT's organization is the target; the old session still works.
  const checked = await client.sessions.authenticate({ session_jwt: exchanged.session_jwt });
  assert.equal(checked.member_session.organization_id, away);
  assert.equal((await client.sessions.authenticate({ session_token: signedIn.session_token })).member_session.organization_id, home);

  // By JWT too; and back home.
  const back = await client.sessions.exchange({ organization_id: home, session_jwt: exchanged.session_jwt });
  assert.equal(back.member_id, signedIn.member_id);
});

test('session exchange is refused without a membership, without a portable factor or a verified address, and follows the target\'s rules', async () => {
  const { client } = await project();
  const email = uniqueAddress('Refused');
  const home = await organization(client);
  await memberWithPassword(client, home, email);
  const byPassword = await client.passwords.authenticate({ organization_id: home, email_address: email, password: PASSWORD });
  // A session exchange does not join by email domain, whatever the organization allows.
  const open = await organization(client, { email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] });
  const byLink = await client.magicLinks.authenticate({ magic_links_token: await loginToken(client, home, email) });
  await expectStytchError(client.sessions.exchange({ organization_id: open, session_token: byLink.session_token }), 'member_not_found', 404);

  // A password belongs to its organization: a session holding only one carries nothing over.
  const invited = await organization(client);
  await client.magicLinks.email.invite({ organization_id: invited, email_address: email });
  await expectStytchError(client.sessions.exchange({ organization_id: invited, session_token: byPassword.session_token }), 'insufficient_factors_for_session_exchange', 400);
  await expectStytchError(client.sessions.exchange({ organization_id: invited, session_token: 'not-a-session' }), 'session_not_found', 404);

  // The target restricted to SSO: primary_required, the invitation not yet accepted.
  const sso = await organization(client, { auth_methods: 'RESTRICTED', allowed_auth_methods: ['sso'] });
  await client.magicLinks.email.invite({ organization_id: sso, email_address: email });
  const restricted = await client.sessions.exchange({ organization_id: sso, session_token: byLink.session_token });
  assertNoSession(restricted);
  assert.deepEqual(restricted.primary_required, { allowed_auth_methods: ['sso'] });
  assert.equal(restricted.member.status, 'invited');

  // The target requiring MFA: mfa_required.
  const strict = await organization(client, { mfa_policy: 'REQUIRED_FOR_ALL' });
  await client.magicLinks.email.invite({ organization_id: strict, email_address: email });
  const mfa = await client.sessions.exchange({ organization_id: strict, session_token: byLink.session_token });
  assertNoSession(mfa);
  assert.ok(mfa.mfa_required);
  assert.equal(mfa.primary_required ?? null, null);
});

test('email_invites: ALL_ALLOWED, RESTRICTED to the allowed domains, NOT_ALLOWED; email_jit_provisioning on login_or_signup', async () => {
  const { client } = await project();
  const all = await organization(client);
  assert.equal((await client.magicLinks.email.invite({ organization_id: all, email_address: uniqueAddress('Anyone') })).member.status, 'invited');

  const restricted = await organization(client, { email_invites: 'RESTRICTED', email_allowed_domains: ['example.com'] });
  assert.equal((await client.magicLinks.email.invite({ organization_id: restricted, email_address: uniqueAddress('Inside') })).member.status, 'invited');
  await expectStytchError(client.magicLinks.email.invite({ organization_id: restricted, email_address: 'outsider@elsewhere.test' }), 'invalid_email_for_invites', 403);

  const closed = await organization(client, { email_invites: 'NOT_ALLOWED' });
  await expectStytchError(client.magicLinks.email.invite({ organization_id: closed, email_address: uniqueAddress('Nobody') }), 'invalid_email_for_invites', 403);
  const members = await client.organizations.members.search({ organization_ids: [closed] });
  assert.deepEqual(members.members, [], 'nothing was written');

  // Email JIT provisioning: NOT_ALLOWED (the default), RESTRICTED to other domains, RESTRICTED to the address's.
  await expectStytchError(client.magicLinks.email.loginOrSignup({ organization_id: all, email_address: uniqueAddress('Joiner') }), 'email_jit_provisioning_not_allowed', 403);
  const elsewhere = await organization(client, { email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['elsewhere.test'] });
  await expectStytchError(client.magicLinks.email.loginOrSignup({ organization_id: elsewhere, email_address: uniqueAddress('Joiner') }), 'invalid_email_for_jit_provisioning', 403);
  const open = await organization(client, { email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] });
  assert.equal((await client.magicLinks.email.loginOrSignup({ organization_id: open, email_address: uniqueAddress('Joiner') })).member_created, true);
});

test('SSO under the organization\'s rules: a password where only SSO is allowed is completed by a SAML sign-in with the intermediate session; MFA required stops SSO too', async () => {
  const { p, client } = await project();
  const org = await organization(client, { auth_methods: 'RESTRICTED', allowed_auth_methods: ['sso'] });
  const connection = await createSamlConnection((method, path, body) => p.api(method, path, body), org, idp);
  const email = uniqueAddress('Sso').toLowerCase();
  const user = { nameId: email, email };
  // The IdP's first sign-in creates the member (and signs it in: SSO is allowed); it then gets a password.
  const first = await client.sso.authenticate({ sso_token: ssoTokenOf(await samlAcs(server, idp, p.credentials, connection, user)) });
  assert.equal(first.member_authenticated, true);
  await memberWithPassword(client, org, email);

  const byPassword = await client.passwords.authenticate({ organization_id: org, email_address: email, password: PASSWORD });
  assertNoSession(byPassword);
  assert.deepEqual(byPassword.primary_required, { allowed_auth_methods: ['sso'] });
  // Another member's intermediate session is refused, and the SSO token stays good.
  const other = uniqueAddress('OtherSso');
  await memberWithPassword(client, org, other);
  const othersIntermediate = (await client.passwords.authenticate({ organization_id: org, email_address: other, password: PASSWORD })).intermediate_session_token;
  const ssoToken = ssoTokenOf(await samlAcs(server, idp, p.credentials, connection, user));
  await expectStytchError(client.sso.authenticate({ sso_token: ssoToken, intermediate_session_token: othersIntermediate }), 'invalid_intermediate_session_token_for_organization', 400);
  const bySso = await client.sso.authenticate({ sso_token: ssoToken, intermediate_session_token: byPassword.intermediate_session_token, session_duration_minutes: 60 });
  assert.equal(bySso.member_authenticated, true);
  assert.deepEqual(factorTypes(bySso.member_session), ['password', 'sso']);

  // The organization now requires MFA: an SSO sign-in alone gives no session.
  await client.organizations.update({ organization_id: org, mfa_policy: 'REQUIRED_FOR_ALL' });
  const stopped = await client.sso.authenticate({ sso_token: ssoTokenOf(await samlAcs(server, idp, p.credentials, connection, user)) });
  assertNoSession(stopped);
  assert.ok(stopped.mfa_required);
});
