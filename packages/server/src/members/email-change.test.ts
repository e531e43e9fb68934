// A member's email change over real HTTP (issue 14, finding 2). An address drives roles through the
// organization's email-domain rules and is how a member signs in, so a change is only a request
// until the link sent to the new address is followed: meanwhile the old address keeps working, the
// new one brings no role and signs in nowhere. Changing ANOTHER member's address with a member
// session hands whoever reads the new mailbox that member's account and the new address's domain
// roles, so it is a grant: the caller must hold every permission of both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { B2BProject, expectOk, roleSummary, STYTCH_ADMIN_ROLE, type MemberSessionCredentials } from '../testing/b2b.ts';
import { DEVELOPMENT_REDIRECT_URL, expectError, ManualClock, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';
import { b2bWorld, expectData, memberWithPassword, PASSWORD, sdkCall } from '../testing/sdk.ts';

const clock = new ManualClock(Date.now());
let server: TestServer;
const RATE_LIMIT_PER_ADDRESS = 5;

before(async () => {
  server = await startTestServer({ clock, env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: String(RATE_LIMIT_PER_ADDRESS), GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(() => server?.close());

let serial = 0;
const address = (name: string, domain = 'example.com') => `${name}-${process.pid}-${++serial}@${domain}`;

/** stytch_member holds stytch.self (its own email included); email-editor may change anyone's email; admins hold the built-ins. */
const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { ...STYTCH_ADMIN_ROLE, permissions: [...STYTCH_ADMIN_ROLE.permissions, { resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'email-editor', description: 'Fixes addresses', permissions: [{ resource_id: 'stytch.member', actions: ['update.info.email'] }] },
    { role_id: 'writer', description: 'Writes', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
  ],
  scopes: [],
};

/** A project and an organization whose rules make every admins.test address stytch_admin and every writers.test address a writer. */
async function setUp() {
  const p = await B2BProject.create(server, POLICY);
  const org = await p.createOrganization({
    rbac_email_implicit_role_assignments: [{ domain: 'admins.test', role_id: 'stytch_admin' }, { domain: 'writers.test', role_id: 'writer' }],
  });
  return { p, org, orgId: org.organization_id as string };
}

/** The newest message the outbox holds for an address, with the token its link carries. */
async function lastMail(p: B2BProject, to: string): Promise<{ kind: string; subject: string; token: string; link: URL } | null> {
  const outbox = expectOk(await p.api('GET', `/v1/project/outbox?to=${encodeURIComponent(to)}&limit=1`));
  const message = outbox.messages[0];
  if (!message) return null;
  const link = new URL(message.link);
  return { kind: message.kind, subject: message.subject, token: link.searchParams.get('token')!, link };
}

const authenticateLink = (p: B2BProject, token: string, body: Record<string, unknown> = {}) =>
  p.api('POST', '/v1/b2b/magic_links/authenticate', { magic_links_token: token, ...body });

/** Signs the member in by a login link to `email` (proving the address), returning its session. */
async function signInByLink(p: B2BProject, orgId: string, email: string): Promise<any> {
  expectOk(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address: email }));
  const mail = await lastMail(p, email);
  assert.ok(mail, `no mail to ${email}`);
  return expectOk(await authenticateLink(p, mail.token));
}

/** A member with these explicit roles whose address is verified (it signed in by link), and a session. */
async function verifiedMember(p: B2BProject, orgId: string, email: string, roles: string[] = []): Promise<{ member: any; session: MemberSessionCredentials }> {
  const created = await p.createMember(orgId, { email_address: email, roles });
  const signedIn = await signInByLink(p, orgId, email);
  assert.equal(signedIn.member.email_address_verified, true);
  return {
    member: { ...signedIn.member, member_id: created.member_id },
    session: { session_token: signedIn.session_token, session_jwt: signedIn.session_jwt, member_session_id: signedIn.member_session.member_session_id },
  };
}

const sessionRoles = async (p: B2BProject, session: MemberSessionCredentials): Promise<string[]> =>
  [...expectOk(await p.api('POST', '/v1/b2b/sessions/authenticate', { session_token: session.session_token })).member_session.roles].sort();

const updateEmail = (p: B2BProject, orgId: string, memberId: string, email: string, as?: MemberSessionCredentials): Promise<ApiResponse> => {
  const path = `/v1/b2b/organizations/${orgId}/members/${memberId}`;
  return as ? p.apiAs(as, 'PUT', path, { email_address: email }) : p.api('PUT', path, { email_address: email });
};

const startEmailUpdate = (p: B2BProject, orgId: string, memberId: string, body: Record<string, unknown>, as?: MemberSessionCredentials): Promise<ApiResponse> => {
  const path = `/v1/b2b/organizations/${orgId}/members/${memberId}/start_email_update`;
  return as ? p.apiAs(as, 'POST', path, body) : p.api('POST', path, body);
};

test('finding 2a: a member moving its own address into an admin domain holds nothing new, and its session neither, until it proves the mailbox', async () => {
  const { p, orgId } = await setUp();
  const { member, session } = await verifiedMember(p, orgId, address('mallory'), ['email-editor']);
  const target = address('mallory', 'admins.test');

  // With stytch.member update.info.email (email-editor): as Stytch has it, not on itself through update.
  expectError(await updateEmail(p, orgId, member.member_id, target, session), 403, 'session_authorization_error');
  // Through start_email_update: a request, not a change.
  const updated = expectOk(await startEmailUpdate(p, orgId, member.member_id, { email_address: target }, session)).member;
  assert.equal(updated.email_address, member.email_address, 'the member keeps its address until the new one is confirmed');
  assert.equal(updated.email_address_verified, true);
  assert.equal(updated.is_admin, false);
  assert.deepEqual(roleSummary(updated), ['stytch_member:direct_assignment', 'email-editor:direct_assignment']);
  assert.deepEqual(await sessionRoles(p, session), ['email-editor', 'stytch_member']);
  assert.equal((await p.getMember(orgId, member.member_id)).is_admin, false);

  // The address cannot be used to sign in before the link sent to it is followed.
  expectError(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address: target }), 403, 'email_jit_provisioning_not_allowed');
  expectError(await p.api('GET', `/v1/b2b/organizations/${orgId}/member?email_address=${encodeURIComponent(target)}`), 404, 'member_not_found');

  // Through stytch.self (every member's), Stytch's start_email_update: the same.
  const plain = await verifiedMember(p, orgId, address('plain'));
  const other = address('plain', 'admins.test');
  const started = expectOk(await startEmailUpdate(p, orgId, plain.member.member_id, { email_address: other }, plain.session));
  assert.equal(started.member.email_address, plain.member.email_address);
  assert.equal(started.member.is_admin, false);
  assert.deepEqual(await sessionRoles(p, plain.session), ['stytch_member']);
});

test('finding 2b: a member may not point another member\'s address (an admin\'s) at a mailbox it controls', async () => {
  const { p, orgId } = await setUp();
  const { member: boss } = await verifiedMember(p, orgId, address('boss'), ['stytch_admin']);
  const { session: attacker } = await verifiedMember(p, orgId, address('attacker'), ['email-editor']);
  const mailbox = address('attacker-drop');

  expectError(await updateEmail(p, orgId, boss.member_id, mailbox, attacker), 403, 'session_authorization_error');
  expectError(await startEmailUpdate(p, orgId, boss.member_id, { email_address: mailbox }, attacker), 403, 'session_authorization_error');
  assert.equal(await lastMail(p, mailbox), null, 'nothing was sent');
  assert.equal((await p.getMember(orgId, boss.member_id)).email_address, boss.email_address);
  expectError(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address: mailbox }), 403, 'email_jit_provisioning_not_allowed');
});

test('a changed address is pending: the old one keeps working, the new one signs in nowhere, until the link mailed to it is followed', async () => {
  const { p, orgId } = await setUp();
  const oldAddress = address('dana');
  const password = 'a long enough password for dana';
  const migrated = expectOk(await p.api('POST', '/v1/b2b/passwords/migrate', {
    organization_id: orgId, email_address: oldAddress, hash_type: 'bcrypt', hash: bcrypt.hashSync(password, 4),
  })).member;
  const newAddress = address('dana', 'admins.test');

  // A login link to the old address, sent before the change.
  expectOk(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address: oldAddress }));
  const oldLink = (await lastMail(p, oldAddress))!;

  const updated = expectOk(await updateEmail(p, orgId, migrated.member_id, newAddress)).member;
  assert.equal(updated.email_address, oldAddress);
  assert.equal(updated.is_admin, false);
  const mail = await lastMail(p, newAddress);
  assert.ok(mail, 'a link went to the new address');
  assert.equal(mail.kind, 'email_update');
  assert.equal(mail.subject, 'Confirm your new email address');
  assert.equal(mail.link.searchParams.get('stytch_token_type'), 'multi_tenant_magic_links');

  // Meanwhile the new address signs in nowhere; the old one still does (password and link).
  expectError(await p.api('POST', '/v1/b2b/passwords/authenticate', { organization_id: orgId, email_address: newAddress, password }), 401, 'unauthorized_credentials');
  expectError(await p.api('POST', '/v1/b2b/magic_links/email/login_or_signup', { organization_id: orgId, email_address: newAddress }), 403, 'email_jit_provisioning_not_allowed');
  const byPassword = expectOk(await p.api('POST', '/v1/b2b/passwords/authenticate', { organization_id: orgId, email_address: oldAddress, password }));
  assert.deepEqual(byPassword.member_session.roles, ['stytch_member']);
  const search = await p.searchMemberIds([orgId], { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: ['stytch_admin'] }] });
  assert.deepEqual(search, []);

  // Following the link swaps the address in, verified, with its domain's role, and signs the member in.
  const confirmed = expectOk(await authenticateLink(p, mail.token, { session_duration_minutes: 30 }));
  assert.equal(confirmed.member_id, migrated.member_id);
  assert.equal(confirmed.member.email_address, newAddress);
  assert.equal(confirmed.member.email_address_verified, true);
  assert.equal(confirmed.member.is_admin, true);
  assert.deepEqual(roleSummary(confirmed.member), ['stytch_member:direct_assignment', 'stytch_admin:email_assignment@admins.test']);
  assert.deepEqual([...confirmed.member_session.roles].sort(), ['stytch_admin', 'stytch_member']);
  assert.equal(confirmed.member_session.authentication_factors[0].email_factor.email_address, newAddress);
  expectError(await authenticateLink(p, mail.token), 401, 'unable_to_auth_magic_link');
  assert.deepEqual(await p.searchMemberIds([orgId], { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: ['stytch_admin'] }] }), [migrated.member_id]);

  // The old address is no longer the member's: its earlier link is void, it finds no one; the password goes with the member.
  expectError(await authenticateLink(p, oldLink.token), 401, 'unable_to_auth_magic_link');
  expectError(await p.api('GET', `/v1/b2b/organizations/${orgId}/member?email_address=${encodeURIComponent(oldAddress)}`), 404, 'member_not_found');
  expectOk(await p.api('POST', '/v1/b2b/passwords/authenticate', { organization_id: orgId, email_address: newAddress, password }));

  // The audit log has the change, made by following the link.
  const audit = expectOk(await p.api('GET', `/v1/audit_events?target_id=${migrated.member_id}&action=member.email.updated`)).audit_events;
  assert.equal(audit.length, 1);
  assert.equal(audit[0].before.email_address, oldAddress);
  assert.equal(audit[0].after.email_address, newAddress);
  assert.equal(audit[0].after.email_address_verified, true);
  assert.deepEqual(audit[0].actor, { type: 'system', id: 'magic_links.email_update' });
});

test('start_email_update: Stytch\'s path and answer; a newer request voids the older link; links expire after 5 minutes; bad input is a 4xx that sends nothing', async () => {
  const { p, orgId } = await setUp();
  const { member } = await verifiedMember(p, orgId, address('erin'));
  const first = address('erin-first');
  // The link signs the member in: login_redirect_url must be a registered LOGIN URL (redirect-urls).
  expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: first, login_redirect_url: 'https://app.example.com/confirm?x=1' }), 400, 'no_match_for_provided_magic_link_url');
  assert.equal(await lastMail(p, first), null);
  const started = expectOk(await startEmailUpdate(p, orgId, member.member_id, { email_address: first, login_redirect_url: 'https://app.test/login?next=%2Fdocs' }));
  assert.equal(started.member_id, member.member_id);
  assert.equal(started.member.email_address, member.email_address);
  assert.equal(started.organization.organization_id, orgId);
  const firstMail = (await lastMail(p, first))!;
  assert.equal(`${firstMail.link.origin}${firstMail.link.pathname}`, 'https://app.test/login');
  assert.equal(firstMail.link.searchParams.get('next'), '/docs');

  // Without one, the project's default LOGIN URL.
  const second = address('erin-second');
  expectOk(await startEmailUpdate(p, orgId, member.member_id, { email_address: second }));
  const secondMail = (await lastMail(p, second))!;
  assert.equal(`${secondMail.link.origin}${secondMail.link.pathname}`, DEVELOPMENT_REDIRECT_URL);
  expectError(await authenticateLink(p, firstMail.token), 401, 'unable_to_auth_magic_link');

  // The second link, after 5 minutes, is refused; the member keeps its address.
  clock.advance(5 * 60_000 + 1000);
  expectError(await authenticateLink(p, secondMail.token), 401, 'unable_to_auth_magic_link');
  assert.equal((await p.getMember(orgId, member.member_id)).email_address, member.email_address);

  // Reserved addresses: another live member's, or one another member is changing to.
  const { member: other } = await verifiedMember(p, orgId, address('frank'));
  expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: other.email_address.toUpperCase() }), 409, 'duplicate_member_email');
  const wanted = address('wanted');
  expectOk(await startEmailUpdate(p, orgId, other.member_id, { email_address: wanted }));
  expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: wanted }), 409, 'duplicate_member_email');
  expectError(await updateEmail(p, orgId, member.member_id, wanted), 409, 'duplicate_member_email');

  // Bad input: nothing is sent.
  const nowhere = address('nowhere');
  expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: 'not an address' }), 400, 'invalid_email');
  expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: nowhere, delivery_method: 'EMAIL_OTP' }), 400, 'invalid_argument');
  expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: nowhere, login_redirect_url: 'javascript:alert(1)' }), 400, 'invalid_login_redirect_url');
  expectError(await startEmailUpdate(p, orgId, member.member_id, {}), 400, 'invalid_argument');
  expectError(await startEmailUpdate(p, orgId, 'member-test-00000000-0000-4000-8000-000000000000', { email_address: nowhere }), 404, 'member_not_found');
  // An update whose other fields fail voids the link it would have sent.
  expectError(await p.api('PUT', `/v1/b2b/organizations/${orgId}/members/${member.member_id}`, { email_address: nowhere, roles: ['no-such-role'] }), 400, 'invalid_rbac_role_id');
  const voided = await lastMail(p, nowhere);
  assert.ok(voided, 'the link was sent before the other fields failed');
  expectError(await authenticateLink(p, voided.token), 404, 'magic_link_not_found');
  assert.equal((await p.getMember(orgId, member.member_id)).email_address, member.email_address);
});

test('another member\'s address, with a member session: the caller must hold every permission of the member and of the new address\'s domain roles', async () => {
  const { p, orgId } = await setUp();
  const { session: admin } = await verifiedMember(p, orgId, address('admin'), ['stytch_admin']);
  const { session: editor } = await verifiedMember(p, orgId, address('editor'), ['email-editor']);
  const { member: plain } = await verifiedMember(p, orgId, address('plain'));
  const { member: writer } = await verifiedMember(p, orgId, address('writer'), ['writer']);

  // A plain member's address, within example.com: nothing is granted, both may.
  expectOk(await startEmailUpdate(p, orgId, plain.member_id, { email_address: address('plain-new') }, editor));
  expectOk(await updateEmail(p, orgId, plain.member_id, address('plain-newer'), admin));
  // Into writers.test (which brings writer, documents read/write): neither holds documents permissions.
  expectError(await startEmailUpdate(p, orgId, plain.member_id, { email_address: address('plain', 'writers.test') }, admin), 403, 'session_authorization_error');
  expectError(await updateEmail(p, orgId, plain.member_id, address('plain', 'writers.test'), editor), 403, 'session_authorization_error');
  // A writer's address: whoever reads the new mailbox would be that writer.
  expectError(await updateEmail(p, orgId, writer.member_id, address('writer-new'), admin), 403, 'session_authorization_error');
  // Without update.info.email on stytch.member, another member's address is out of reach; its own is not (stytch.self).
  const { member: self, session: selfSession } = await verifiedMember(p, orgId, address('self'));
  expectError(await startEmailUpdate(p, orgId, plain.member_id, { email_address: address('x') }, selfSession), 403, 'session_authorization_error');
  expectOk(await startEmailUpdate(p, orgId, self.member_id, { email_address: address('self', 'writers.test') }, selfSession));
  // Another organization's member: a tenancy error.
  const elsewhere = await p.createOrganization();
  const stranger = await p.createMember(elsewhere.organization_id, { email_address: address('stranger') });
  expectError(await startEmailUpdate(p, elsewhere.organization_id, stranger.member_id, { email_address: address('y') }, admin), 403, 'session_authorization_tenancy_error');
  // The project secret alone may change anyone's address (the link still has to be followed).
  expectOk(await updateEmail(p, orgId, writer.member_id, address('writer', 'writers.test')));
});

test('email-domain roles count only for a verified address: member object, session, search by role, who_can', async () => {
  const { p, orgId } = await setUp();
  const email = address('grace', 'admins.test');
  const created = await p.createMember(orgId, { email_address: email });
  assert.equal(created.email_address_verified, false);
  assert.equal(created.is_admin, false);
  assert.deepEqual(roleSummary(created), ['stytch_member:direct_assignment']);
  const adminSearch = { operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: ['stytch_admin'] }] };
  assert.deepEqual(await p.searchMemberIds([orgId], adminSearch), []);
  const whoCan = async () => expectOk(await p.api('GET', `/v1/b2b/rbac/who_can?resource_id=stytch.member&action=delete&organization_id=${orgId}`))
    .members.map((entry: { member_id: string }) => entry.member_id);
  assert.deepEqual(await whoCan(), []);

  const signedIn = await signInByLink(p, orgId, email);
  assert.equal(signedIn.member.is_admin, true);
  assert.deepEqual([...signedIn.member_session.roles].sort(), ['stytch_admin', 'stytch_member']);
  assert.deepEqual(await p.searchMemberIds([orgId], adminSearch), [created.member_id]);
  assert.deepEqual(await whoCan(), [created.member_id]);
});

test('sending links to a new address is rate-limited per address', async () => {
  const { p, orgId } = await setUp();
  const { member } = await verifiedMember(p, orgId, address('henry'));
  const target = address('henry-new');
  for (let i = 0; i < RATE_LIMIT_PER_ADDRESS; i++) expectOk(await startEmailUpdate(p, orgId, member.member_id, { email_address: target }));
  const limited = expectError(await startEmailUpdate(p, orgId, member.member_id, { email_address: target }), 429, 'too_many_requests');
  assert.ok(limited);
  expectError(await updateEmail(p, orgId, member.member_id, target), 429, 'too_many_requests');
});

test('consumer users: an address cannot be changed after creation (an update ignores it, the SDK\'s too), so a new address never signs in as an existing user', async () => {
  const project = await server.createProject();
  const email = address('user');
  const created = expectOk(await server.api(project, 'POST', '/v1/users', { email }));
  const other = address('user-new');
  const updated = expectOk(await server.api(project, 'PUT', `/v1/users/${created.user_id}`, { email: other, emails: [{ email: other }], name: { first_name: 'U' } }));
  assert.deepEqual(updated.user.emails.map((e: { email: string }) => e.email), [email]);
  const signIn = expectOk(await server.api(project, 'POST', '/v1/magic_links/email/login_or_create', { email: other }));
  assert.notEqual(signIn.user_id, created.user_id);
  assert.equal(signIn.user_created, true);
});

test('/sdk/v1: the signed-in member starts its own email update; another member\'s needs the grant; neither changes an address at once', async () => {
  const APP = 'http://localhost:5173';
  const { project: p, organization } = await b2bWorld(server, APP, POLICY);
  const orgId: string = organization.organization_id;
  await p.updateOrganization(orgId, { rbac_email_implicit_role_assignments: [{ domain: 'admins.test', role_id: 'stytch_admin' }] });
  const selfEmail = address('sdk-self');
  const self = await memberWithPassword(p, orgId, selfEmail, ['email-editor']);
  const boss = await memberWithPassword(p, orgId, address('sdk-boss'), ['stytch_admin']);
  const signedIn = expectData(await sdkCall(server, { publicToken: p.credentials.public_token, origin: APP }, 'POST', '/b2b/passwords/authenticate', {
    organization_id: orgId, email_address: selfEmail, password: PASSWORD, session_duration_minutes: 60,
  }));
  const as = { publicToken: p.credentials.public_token, sessionToken: signedIn.session_token as string, origin: APP };

  const target = address('sdk-self', 'admins.test');
  const started = expectData(await sdkCall(server, as, 'POST', '/b2b/organizations/members/start_email_update', { email_address: target }));
  assert.equal(started.member.member_id, self.member_id);
  assert.equal(started.member.email_address, selfEmail);
  assert.equal(started.member.is_admin, false);
  assert.equal((await lastMail(p, target))?.kind, 'email_update');

  const drop = address('sdk-drop');
  expectError(await sdkCall(server, as, 'POST', `/b2b/organizations/members/${boss.member_id}/start_email_update`, { email_address: drop }), 403, 'session_authorization_error');
  expectError(await sdkCall(server, as, 'PUT', `/b2b/organizations/members/${boss.member_id}`, { email_address: drop }), 403, 'session_authorization_error');
  assert.equal(await lastMail(p, drop), null);
  // The self update takes no address at all.
  expectError(await sdkCall(server, as, 'PUT', '/b2b/organizations/members/update', { email_address: drop }), 403, 'field_not_writable_from_browser');
});
