// B2B email magic links over real HTTP, delivered through a real SMTP server on loopback: each test
// takes the link out of the message it receives and authenticates its token for a member session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { nextTokenTo, startSmtpServer, uniqueAddress, type TestSmtpServer } from '../email/smtp-test-server.ts';
import { B2BProject, expectOk, MEMBER_ID } from '../testing/b2b.ts';
import { basicAuth, expectError, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

let smtp: TestSmtpServer;
let server: TestServer;

before(async () => {
  smtp = await startSmtpServer();
  server = await startTestServer({ env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(async () => {
  await server?.close();
  await smtp?.close();
});

const tokenFromMail = (email: string) => nextTokenTo(smtp, email, 'multi_tenant_magic_links');
const authenticate = (p: B2BProject, body: Record<string, unknown>) => p.api('POST', '/v1/b2b/magic_links/authenticate', body);
const roleIds = (member: { roles: { role_id: string }[] }) => member.roles.map((role) => role.role_id).sort();

/** An organization whose members may sign up by email from example.com (the test addresses' domain). */
const openOrganization = (p: B2BProject) => p.createOrganization({ email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['example.com'] });

test('login_or_signup: a new address signs up as a pending member; the mailed link activates it with a session; a replay is refused', async () => {
  const p = await B2BProject.create(server);
  const org = await openOrganization(p);
  const email = uniqueAddress('Ada');
  const started = expectOk(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', {
    organization_id: org.organization_id, email_address: email, signup_redirect_url: 'https://app.example.com/signup?from=mail',
  }));
  assert.equal(started.member_created, true);
  assert.match(started.member_id, MEMBER_ID);
  assert.equal(started.member.status, 'pending');
  assert.equal(started.member.email_address_verified, false);
  assert.equal(started.organization.organization_id, org.organization_id);

  const { token, link, mail } = await tokenFromMail(email);
  assert.equal(`${link.origin}${link.pathname}`, 'https://app.example.com/signup');
  assert.equal(link.searchParams.get('from'), 'mail');
  assert.equal(link.searchParams.get('stytch_token_type'), 'multi_tenant_magic_links');
  assert.equal(mail.subject, 'Finish signing up');

  const body = expectOk(await authenticate(p, { magic_links_token: token, session_duration_minutes: 60 }));
  assert.equal(body.member_id, started.member_id);
  assert.equal(body.method_id, started.member_id);
  assert.equal(body.reset_sessions, false);
  assert.equal(body.organization_id, org.organization_id);
  assert.equal(body.member.status, 'active');
  assert.equal(body.member.email_address_verified, true);
  assert.equal(body.member_authenticated, true);
  assert.deepEqual(body.member_session.roles, ['stytch_member']);
  assert.equal(body.member_session.authentication_factors[0].type, 'magic_link');
  assert.equal(body.member_session.authentication_factors[0].delivery_method, 'email');
  expectOk(await p.api('POST', '/v1/b2b/sessions/authenticate', { session_token: body.session_token }));

  expectError(await authenticate(p, { magic_links_token: token, session_duration_minutes: 60 }), 401, 'unable_to_auth_magic_link');
  expectError(await authenticate(p, { magic_links_token: 'not-a-token-anyone-was-given' }), 404, 'magic_link_not_found');

  // Now a member: the next login_or_signup sends a login link.
  const again = expectOk(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', {
    organization_id: org.organization_id, email_address: email, login_redirect_url: 'https://app.example.com/login',
  }));
  assert.equal(again.member_created, false);
  const login = await tokenFromMail(email);
  assert.equal(`${login.link.origin}${login.link.pathname}`, 'https://app.example.com/login');
  assert.equal(login.mail.subject, 'Your login link');
  assert.equal(expectOk(await authenticate(p, { magic_links_token: login.token })).member_id, started.member_id);
});

test('login_or_signup: an address the organization does not let join is refused and nothing is written', async () => {
  const p = await B2BProject.create(server);
  const closed = await p.createOrganization({ email_allowed_domains: ['example.com'] }); // email_jit_provisioning NOT_ALLOWED
  const otherDomain = await p.createOrganization({ email_jit_provisioning: 'RESTRICTED', email_allowed_domains: ['acme.test'] });
  for (const [org, error] of [[closed, 'email_jit_provisioning_not_allowed'], [otherDomain, 'invalid_email_for_jit_provisioning']] as const) {
    expectError(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: org.organization_id, email_address: uniqueAddress('Eve') }), 403, error);
  }
  assert.deepEqual(await p.searchMemberIds([closed.organization_id, otherDomain.organization_id]), []);
  // An existing member of a closed organization still gets a login link.
  const email = uniqueAddress('Bob');
  const member = await p.createMember(closed.organization_id, { email_address: email });
  assert.equal(expectOk(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: closed.organization_id, email_address: email })).member_id, member.member_id);
  const { token } = await tokenFromMail(email);
  expectOk(await authenticate(p, { magic_links_token: token }));
});

test('invite: an invited member with roles; following the invite activates it with those roles in its session', async () => {
  const p = await B2BProject.create(server);
  const org = await p.createOrganization();
  const email = uniqueAddress('Grace');
  const invited = expectOk(await p.api('POST', '/v1/b2b/magic_links/email/invite', {
    organization_id: org.organization_id, email_address: email, name: 'Grace Hopper', roles: ['editor'], untrusted_metadata: { team: 'compilers' },
  }));
  assert.equal(invited.member.status, 'invited');
  assert.equal(invited.member.name, 'Grace Hopper');
  assert.deepEqual(roleIds(invited.member), ['editor', 'stytch_member']);
  assert.deepEqual(invited.member.untrusted_metadata, { team: 'compilers' });

  const { token, mail } = await tokenFromMail(email);
  assert.equal(mail.subject, "You've been invited");
  const body = expectOk(await authenticate(p, { magic_links_token: token, session_duration_minutes: 30 }));
  assert.equal(body.member.status, 'active');
  assert.equal(body.member.email_address_verified, true);
  assert.deepEqual(roleIds(body.member), ['editor', 'stytch_member']);
  assert.deepEqual([...body.member_session.roles].sort(), ['editor', 'stytch_member']);
  expectError(await authenticate(p, { magic_links_token: token }), 401, 'unable_to_auth_magic_link');

  // An active member cannot be invited again; unknown roles are refused before anything is written.
  expectError(await p.api('POST', '/v1/b2b/magic_links/email/invite', { organization_id: org.organization_id, email_address: email }), 409, 'duplicate_member_email');
  const ghost = uniqueAddress('Ghost');
  expectError(await p.api('POST', '/v1/b2b/magic_links/email/invite', { organization_id: org.organization_id, email_address: ghost, roles: ['ghost'] }), 400, 'invalid_rbac_role_id');
  expectError(await p.api('GET', `/v1/b2b/organizations/${org.organization_id}/member?email_address=${encodeURIComponent(ghost)}`), 404, 'member_not_found');
});

test('a token of a consumer user is not a member token, nor the other way round', async () => {
  const p = await B2BProject.create(server);
  const org = await p.createOrganization();
  const email = uniqueAddress('Two');
  expectOk(await p.api('POST', '/v1/b2b/magic_links/email/invite', { organization_id: org.organization_id, email_address: email }));
  const member = await tokenFromMail(email);
  expectError(await p.api('POST', '/v1/magic_links/authenticate', { token: member.token }), 404, 'magic_link_not_found');
  expectOk(await p.api('POST', '/v1/magic_links/email/login_or_create', { email }));
  const user = await nextTokenTo(smtp, email, 'magic_links'); // a consumer link
  expectError(await authenticate(p, { magic_links_token: user.token }), 404, 'magic_link_not_found');
  // Both still work where they belong.
  expectOk(await authenticate(p, { magic_links_token: member.token }));
  expectOk(await p.api('POST', '/v1/magic_links/authenticate', { token: user.token }));
});

test('invite with a member session: needs stytch.member create, and no role beyond the inviter\'s own', async () => {
  const p = await B2BProject.create(server);
  const org = await p.createOrganization();
  const password = 'an old password from the old system';
  /** A member with these roles, signed in: its session token. */
  const signedIn = async (roles: string[]) => {
    const email = uniqueAddress('Inviter');
    expectOk(await p.api('POST', '/v1/b2b/passwords/migrate', { organization_id: org.organization_id, email_address: email, hash_type: 'bcrypt', hash: bcrypt.hashSync(password, 4), roles }));
    return expectOk(await p.api('POST', '/v1/b2b/passwords/authenticate', { organization_id: org.organization_id, email_address: email, password })).session_token as string;
  };
  const inviteAs = (sessionToken: string, body: Record<string, unknown>): Promise<ApiResponse> =>
    server.raw('/v1/b2b/magic_links/email/invite', {
      method: 'POST',
      headers: { authorization: basicAuth(p.credentials.project_id, p.credentials.secret), 'content-type': 'application/json', 'x-stytch-member-session': sessionToken },
      body: JSON.stringify({ organization_id: org.organization_id, ...body }),
    });
  const viewer = await signedIn(['viewer']);
  const admin = await signedIn(['stytch_admin']);

  expectError(await inviteAs(viewer, { email_address: uniqueAddress('No') }), 403, 'session_authorization_error');
  // stytch_admin may create members, but not hand out documents permissions it lacks.
  expectError(await inviteAs(admin, { email_address: uniqueAddress('No'), roles: ['editor'] }), 403, 'session_authorization_error');
  const email = uniqueAddress('Yes');
  const invited = expectOk(await inviteAs(admin, { email_address: email, roles: ['auditor'] }));
  assert.deepEqual(roleIds(invited.member), ['auditor', 'stytch_member']);
  await tokenFromMail(email);
  // Another organization's session is a tenancy error.
  const other = await p.createOrganization();
  expectError(await inviteAs(admin, { organization_id: other.organization_id, email_address: uniqueAddress('No') }), 403, 'session_authorization_tenancy_error');
});
