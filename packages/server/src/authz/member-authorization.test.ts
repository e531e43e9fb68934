// Member-session authorization of B2B API calls over real HTTP (X-Stytch-Member-Session and
// X-Stytch-Member-SessionJWT). The point is privilege escalation: each refused call is a 403 and
// writes nothing, which every test checks by reading back with the project secret alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2BProject, expectOk, STYTCH_ADMIN_ROLE, STYTCH_MEMBER_ROLE, type MemberSessionCredentials } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import { b2bClient } from '../testing/stytch-clients.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
  roles: [
    STYTCH_MEMBER_ROLE,
    STYTCH_ADMIN_ROLE,
    { role_id: 'member-manager', description: 'Assigns roles', permissions: [{ resource_id: 'stytch.member', actions: ['update.settings.roles'] }] },
    { role_id: 'role-granter', description: 'A subset of member-manager', permissions: [{ resource_id: 'stytch.member', actions: ['update.settings.roles'] }] },
    { role_id: 'self-namer', description: 'A subset of stytch_member', permissions: [{ resource_id: 'stytch.self', actions: ['update.info.name'] }] },
    { role_id: 'rule-maker', description: 'Edits implicit-role rules', permissions: [{ resource_id: 'stytch.organization', actions: ['update.settings.implicit-roles'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
  ],
  scopes: [],
};

type Role = 'plain' | 'admin' | 'manager' | 'rule-maker';
const ROLES: Record<Role, string[]> = { plain: [], admin: ['stytch_admin'], manager: ['member-manager'], 'rule-maker': ['rule-maker'] };

/** A project with POLICY, an organization, and one member of each kind with a session; plus a bystander. */
async function world() {
  const project = await B2BProject.create(server, POLICY);
  const organization = await project.createOrganization({ organization_name: 'Acme' });
  const orgId = organization.organization_id as string;
  const members = {} as Record<Role, { member_id: string; session: MemberSessionCredentials }>;
  for (const [kind, roles] of Object.entries(ROLES) as [Role, string[]][]) {
    const member = await project.createMember(orgId, { email_address: `${kind}@acme.com`, name: kind, roles });
    members[kind] = { member_id: member.member_id, session: await project.startMemberSession(orgId, member.member_id) };
  }
  const bystander = await project.createMember(orgId, { email_address: 'bob@acme.com', name: 'Bob', trusted_metadata: { tier: 1 } });
  const memberPath = (memberId: string) => `/v1/b2b/organizations/${orgId}/members/${memberId}`;
  const get = (memberId: string) => project.getMember(orgId, memberId);
  const explicitRoles = async (memberId: string) =>
    (await get(memberId)).roles.filter((role: any) => role.role_id !== 'stytch_member' && role.sources.some((source: any) => source.type === 'direct_assignment')).map((role: any) => role.role_id);
  return { project, organization, orgId, members, bystander, memberPath, get, explicitRoles };
}

describe('a plain member (stytch_member only)', () => {
  test('changes its own name through stytch.self, but not another member\'s', async () => {
    const { project, members, bystander, memberPath, get } = await world();
    const plain = members.plain;
    const own = expectOk(await project.apiAs(plain.session, 'PUT', memberPath(plain.member_id), { name: 'Plain Renamed', untrusted_metadata: { theme: 'dark' } }));
    assert.equal(own.member.name, 'Plain Renamed');
    assert.equal((await get(plain.member_id)).name, 'Plain Renamed');

    expectError(await project.apiAs(plain.session, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }), 403, 'session_authorization_error');
    expectError(await project.apiAs(plain.session, 'PUT', memberPath(bystander.member_id), { untrusted_metadata: { x: 1 } }), 403, 'session_authorization_error');
    const after = await get(bystander.member_id);
    assert.equal(after.name, 'Bob');
    assert.deepEqual(after.untrusted_metadata, {});
  });

  test('cannot change its own roles, email, breakglass flag, or mix an allowed field with a refused one', async () => {
    const { project, members, memberPath, get, explicitRoles } = await world();
    const plain = members.plain;
    for (const body of [
      { roles: ['stytch_admin'] },
      { roles: ['member-manager'] },
      { name: 'Sneaky', roles: ['stytch_admin'] },
      { email_address: 'plain@elsewhere.com' },
      { is_breakglass: true },
    ]) {
      expectError(await project.apiAs(plain.session, 'PUT', memberPath(plain.member_id), body), 403, 'session_authorization_error');
    }
    const after = await get(plain.member_id);
    assert.deepEqual(await explicitRoles(plain.member_id), []);
    assert.equal(after.name, 'plain');
    assert.equal(after.email_address, 'plain@acme.com');
    assert.equal(after.is_breakglass, false);
    // Its session still says stytch_member only.
    const session = expectOk(await project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: plain.session.session_token }));
    assert.deepEqual(session.member_session.roles, ['stytch_member']);
  });

  test('cannot search, create, delete or reactivate members, nor update or delete the organization', async () => {
    const { project, organization, orgId, members, bystander, memberPath, get } = await world();
    const plain = members.plain.session;
    expectError(await project.apiAs(plain, 'POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId] }), 403, 'session_authorization_error');
    expectError(await project.apiAs(plain, 'POST', `/v1/b2b/organizations/${orgId}/members`, { email_address: 'new@acme.com' }), 403, 'session_authorization_error');
    expectError(await project.apiAs(plain, 'DELETE', memberPath(bystander.member_id)), 403, 'session_authorization_error');
    assert.equal((await get(bystander.member_id)).status, 'active');
    expectError(await project.apiAs(plain, 'PUT', `/v1/b2b/organizations/${orgId}`, { organization_name: 'Pwned' }), 403, 'session_authorization_error');
    expectError(await project.apiAs(plain, 'PUT', `/v1/b2b/organizations/${orgId}`, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'stytch_admin' }] }), 403, 'session_authorization_error');
    expectError(await project.apiAs(plain, 'DELETE', `/v1/b2b/organizations/${orgId}`), 403, 'session_authorization_error');
    assert.deepEqual(await project.getOrganization(orgId), organization);

    // Reactivating a deleted member needs create too.
    await project.deleteMember(orgId, bystander.member_id);
    expectError(await project.apiAs(plain, 'PUT', `${memberPath(bystander.member_id)}/reactivate`), 403, 'session_authorization_error');
    const search = await project.searchMembers({ organization_ids: [orgId], query: { operator: 'AND', operands: [{ filter_name: 'member_ids', filter_value: [bystander.member_id] }] } });
    assert.equal(search.members.length, 0, 'the deleted member stays deleted');
    assert.ok(!(await project.searchMemberIds([orgId])).includes('new@acme.com'));
  });

  test('fields with no member-session action (external ids, claimed domains) cannot be changed with a member session', async () => {
    const { project, organization, orgId, members, bystander, memberPath, get } = await world();
    for (const session of [members.plain.session, members.admin.session]) {
      expectError(await project.apiAs(session, 'PUT', memberPath(bystander.member_id), { external_id: 'hijacked' }), 403, 'session_authorization_error');
      expectError(await project.apiAs(session, 'PUT', `/v1/b2b/organizations/${orgId}`, { organization_external_id: 'hijacked' }), 403, 'session_authorization_error');
    }
    expectError(await project.apiAs(members.plain.session, 'PUT', memberPath(members.plain.member_id), { external_id: 'mine' }), 403, 'session_authorization_error');
    // Unlinking an email changes it: update.info.email, which stytch.self does not give.
    expectError(await project.apiAs(members.plain.session, 'PUT', memberPath(bystander.member_id), { unlink_email: true }), 403, 'session_authorization_error');
    assert.equal((await get(bystander.member_id)).email_address, 'bob@acme.com');
    expectError(await project.apiAs(members.plain.session, 'PUT', `/v1/b2b/organizations/${orgId}`, { claimed_email_domains: ['acme.com'] }), 403, 'session_authorization_error');
    assert.equal((await get(bystander.member_id)).external_id, null);
    assert.equal((await get(members.plain.member_id)).external_id, null);
    assert.deepEqual(await project.getOrganization(orgId), organization);
    // The project secret alone may.
    assert.equal((await project.updateMember(orgId, bystander.member_id, { external_id: 'bob-1' })).external_id, 'bob-1');
  });

  test('revokes its own sessions, not another member\'s', async () => {
    const { project, members } = await world();
    const admin = members.admin;
    expectError(await project.apiAs(members.plain.session, 'POST', '/v1/b2b/sessions/revoke', { member_id: admin.member_id }), 403, 'session_authorization_error');
    expectError(await project.apiAs(members.plain.session, 'POST', '/v1/b2b/sessions/revoke', { member_session_id: admin.session.member_session_id }), 403, 'session_authorization_error');
    expectError(await project.apiAs(members.plain.session, 'POST', '/v1/b2b/sessions/revoke', { session_token: admin.session.session_token }), 403, 'session_authorization_error');
    expectOk(await project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: admin.session.session_token }));
    expectOk(await project.apiAs(members.plain.session, 'POST', '/v1/b2b/sessions/revoke', { session_token: members.plain.session.session_token }));
    expectError(await project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: members.plain.session.session_token }), 404, 'session_not_found');
    // An admin may revoke another member's.
    const { project: p2, members: m2 } = await world();
    expectOk(await p2.apiAs(m2.admin.session, 'POST', '/v1/b2b/sessions/revoke', { member_id: m2.plain.member_id }));
    expectError(await p2.api('POST', '/v1/b2b/sessions/authenticate', { session_token: m2.plain.session.session_token }), 404, 'session_not_found');
  });
});

describe('an admin (stytch_admin)', () => {
  test('updates another member\'s roles and name, the organization\'s name, searches, creates and deletes members', async () => {
    const { project, orgId, members, bystander, memberPath, get, explicitRoles } = await world();
    const admin = members.admin.session;
    const updated = expectOk(await project.apiAs(admin, 'PUT', memberPath(bystander.member_id), { name: 'Robert', roles: ['member-manager'] }));
    assert.equal(updated.member.name, 'Robert');
    assert.deepEqual(await explicitRoles(bystander.member_id), ['member-manager']);
    expectOk(await project.apiAs(admin, 'PUT', memberPath(bystander.member_id), { roles: ['stytch_admin'] }));
    assert.equal((await get(bystander.member_id)).is_admin, true);

    expectOk(await project.apiAs(admin, 'PUT', `/v1/b2b/organizations/${orgId}`, { organization_name: 'Acme Renamed' }));
    assert.equal((await project.getOrganization(orgId)).organization_name, 'Acme Renamed');

    const search = expectOk(await project.apiAs(admin, 'POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId] }));
    assert.equal(search.members.length, 5);

    const created = expectOk(await project.apiAs(admin, 'POST', `/v1/b2b/organizations/${orgId}/members`, { email_address: 'new@acme.com', roles: ['role-granter'] }));
    assert.deepEqual(await explicitRoles(created.member_id), ['role-granter']);
    expectOk(await project.apiAs(admin, 'DELETE', memberPath(created.member_id)));
    expectOk(await project.apiAs(admin, 'PUT', `${memberPath(created.member_id)}/reactivate`));
  });

  test('cannot grant a role with permissions it lacks itself (editor: documents)', async () => {
    const { project, members, bystander, memberPath, explicitRoles } = await world();
    expectError(await project.apiAs(members.admin.session, 'PUT', memberPath(bystander.member_id), { roles: ['editor'] }), 403, 'session_authorization_error');
    expectError(await project.apiAs(members.admin.session, 'POST', `/v1/b2b/organizations/${bystander.organization_id}/members`, { email_address: 'x@acme.com', roles: ['editor'] }), 403, 'session_authorization_error');
    assert.deepEqual(await project.searchMemberIds([bystander.organization_id], { operator: 'AND', operands: [{ filter_name: 'member_emails', filter_value: ['x@acme.com'] }] }), []);
    assert.deepEqual(await explicitRoles(bystander.member_id), []);
  });

  test('cannot touch trusted_metadata: 403 cannot_update_trusted_metadata, nothing written', async () => {
    const { project, organization, orgId, members, bystander, memberPath, get } = await world();
    const admin = members.admin.session;
    expectError(await project.apiAs(admin, 'PUT', memberPath(bystander.member_id), { trusted_metadata: { tier: 9 } }), 403, 'cannot_update_trusted_metadata');
    expectError(await project.apiAs(admin, 'PUT', memberPath(bystander.member_id), { name: 'Robert', trusted_metadata: { tier: 9 } }), 403, 'cannot_update_trusted_metadata');
    expectError(await project.apiAs(members.plain.session, 'PUT', memberPath(members.plain.member_id), { trusted_metadata: { tier: 9 } }), 403, 'cannot_update_trusted_metadata');
    expectError(await project.apiAs(admin, 'PUT', `/v1/b2b/organizations/${orgId}`, { trusted_metadata: { plan: 'free' } }), 403, 'cannot_update_trusted_metadata');
    expectError(await project.apiAs(admin, 'POST', `/v1/b2b/organizations/${orgId}/members`, { email_address: 'x@acme.com', trusted_metadata: { tier: 9 } }), 403, 'cannot_update_trusted_metadata');
    const after = await get(bystander.member_id);
    assert.deepEqual(after.trusted_metadata, { tier: 1 });
    assert.equal(after.name, 'Bob');
    assert.deepEqual((await get(members.plain.member_id)).trusted_metadata, {});
    assert.deepEqual(await project.getOrganization(orgId), organization);
    assert.deepEqual(await project.searchMemberIds([orgId], { operator: 'AND', operands: [{ filter_name: 'member_emails', filter_value: ['x@acme.com'] }] }), []);
  });
});

describe('no escalation through a custom role', () => {
  test('member-manager (stytch.member update.settings.roles only) cannot grant stytch_admin or editor, can grant a subset of its own', async () => {
    const { project, members, bystander, memberPath, get, explicitRoles } = await world();
    const manager = members.manager;
    for (const roles of [['stytch_admin'], ['editor'], ['rule-maker'], ['role-granter', 'stytch_admin']]) {
      expectError(await project.apiAs(manager.session, 'PUT', memberPath(bystander.member_id), { roles }), 403, 'session_authorization_error');
      assert.deepEqual(await explicitRoles(bystander.member_id), [], `nothing written for ${roles.join(',')}`);
    }
    // Not to itself either.
    expectError(await project.apiAs(manager.session, 'PUT', memberPath(manager.member_id), { roles: ['member-manager', 'stytch_admin'] }), 403, 'session_authorization_error');
    assert.deepEqual(await explicitRoles(manager.member_id), ['member-manager']);
    // Nor take stytch_admin away from an admin.
    expectError(await project.apiAs(manager.session, 'PUT', memberPath(members.admin.member_id), { roles: [] }), 403, 'session_authorization_error');
    assert.equal((await get(members.admin.member_id)).is_admin, true);

    // Subsets of its own permissions (stytch.self * through stytch_member; update.settings.roles).
    expectOk(await project.apiAs(manager.session, 'PUT', memberPath(bystander.member_id), { roles: ['role-granter'] }));
    assert.deepEqual(await explicitRoles(bystander.member_id), ['role-granter']);
    expectOk(await project.apiAs(manager.session, 'PUT', memberPath(bystander.member_id), { roles: ['member-manager', 'self-namer'] }));
    assert.deepEqual((await explicitRoles(bystander.member_id)).sort(), ['member-manager', 'self-namer']);
    expectOk(await project.apiAs(manager.session, 'PUT', memberPath(bystander.member_id), { roles: [] }));
    assert.deepEqual(await explicitRoles(bystander.member_id), []);
    // But not the name: roles is all it may change.
    expectError(await project.apiAs(manager.session, 'PUT', memberPath(bystander.member_id), { name: 'Robert', roles: ['role-granter'] }), 403, 'session_authorization_error');
    assert.equal((await get(bystander.member_id)).name, 'Bob');
    assert.deepEqual(await explicitRoles(bystander.member_id), []);
  });

  test('rule-maker may write implicit-role rules only for roles it could grant', async () => {
    const { project, orgId, members, get } = await world();
    const ruleMaker = members['rule-maker'].session;
    const path = `/v1/b2b/organizations/${orgId}`;
    expectError(await project.apiAs(ruleMaker, 'PUT', path, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'stytch_admin' }] }), 403, 'session_authorization_error');
    expectError(await project.apiAs(ruleMaker, 'PUT', path, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'editor' }] }), 403, 'session_authorization_error');
    assert.deepEqual((await project.getOrganization(orgId)).rbac_email_implicit_role_assignments, []);
    assert.equal((await get(members.plain.member_id)).is_admin, false);
    expectOk(await project.apiAs(ruleMaker, 'PUT', path, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'self-namer' }] }));
    assert.deepEqual((await project.getOrganization(orgId)).rbac_email_implicit_role_assignments, [{ domain: 'acme.com', role_id: 'self-namer' }]);
  });
});

describe('tenancy', () => {
  test('an admin of organization A acting on organization B: 403 session_authorization_tenancy_error, nothing written', async () => {
    const { project, orgId, members } = await world();
    const orgB = await project.createOrganization({ organization_name: 'Beta' });
    const memberB = await project.createMember(orgB.organization_id, { email_address: 'carol@beta.com', name: 'Carol' });
    const sessionB = await project.startMemberSession(orgB.organization_id, memberB.member_id);
    const admin = members.admin.session;
    const pathB = `/v1/b2b/organizations/${orgB.organization_id}`;
    const refused = async (method: string, path: string, body?: unknown) =>
      expectError(await project.apiAs(admin, method, path, body), 403, 'session_authorization_tenancy_error');
    await refused('PUT', `${pathB}/members/${memberB.member_id}`, { name: 'Hacked' });
    await refused('PUT', `${pathB}/members/${memberB.member_id}`, { roles: ['stytch_admin'] });
    await refused('DELETE', `${pathB}/members/${memberB.member_id}`);
    await refused('POST', `${pathB}/members`, { email_address: 'spy@beta.com' });
    await refused('PUT', pathB, { organization_name: 'Hacked' });
    await refused('DELETE', pathB);
    await refused('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgB.organization_id] });
    await refused('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId, orgB.organization_id] });
    await refused('POST', '/v1/b2b/sessions/revoke', { member_id: memberB.member_id });
    await refused('POST', '/v1/b2b/sessions/revoke', { member_session_id: sessionB.member_session_id });
    // An admin's member id in its own org, addressed through B's path.
    await refused('PUT', `${pathB}/members/${members.plain.member_id}`, { name: 'Hacked' });

    const after = await project.getMember(orgB.organization_id, memberB.member_id);
    assert.equal(after.name, 'Carol');
    assert.equal(after.is_admin, false);
    assert.equal((await project.getOrganization(orgB.organization_id)).organization_name, 'Beta');
    assert.deepEqual(await project.searchMemberIds([orgB.organization_id]), [memberB.member_id]);
    expectOk(await project.api('POST', '/v1/b2b/sessions/authenticate', { session_token: sessionB.session_token }));
  });
});

describe('the headers', () => {
  test('X-Stytch-Member-SessionJWT works like the token header', async () => {
    const { project, members, bystander, memberPath, get } = await world();
    const plain = members.plain;
    expectOk(await project.apiAs(plain.session, 'PUT', memberPath(plain.member_id), { name: 'Via JWT' }, 'jwt'));
    assert.equal((await get(plain.member_id)).name, 'Via JWT');
    expectError(await project.apiAs(plain.session, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }, 'jwt'), 403, 'session_authorization_error');
    expectError(await project.apiAs(plain.session, 'PUT', memberPath(plain.member_id), { roles: ['stytch_admin'] }, 'jwt'), 403, 'session_authorization_error');
    assert.equal((await get(bystander.member_id)).name, 'Bob');
    expectOk(await project.apiAs(members.admin.session, 'PUT', memberPath(bystander.member_id), { name: 'Robert' }, 'jwt'));
    assert.equal((await get(bystander.member_id)).name, 'Robert');
  });

  test('a revoked session, a user session or garbage in the header: 404 session_not_found, nothing written', async () => {
    const { project, orgId, members, bystander, memberPath, get } = await world();
    const admin = members.admin;
    expectOk(await project.api('POST', '/v1/b2b/sessions/revoke', { member_session_id: admin.session.member_session_id }));
    for (const via of ['token', 'jwt'] as const) {
      expectError(await project.apiAs(admin.session, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }, via), 404, 'session_not_found');
      expectError(await project.apiAs(admin.session, 'DELETE', `/v1/b2b/organizations/${orgId}`, undefined, via), 404, 'session_not_found');
    }
    assert.equal((await get(bystander.member_id)).name, 'Bob');
    await project.getOrganization(orgId);

    const user = expectOk(await project.api('POST', '/v1/passwords', { email: 'user@example.com', password: 'a long enough passphrase 77', session_duration_minutes: 60 }));
    const asUser = { session_token: user.session_token, session_jwt: user.session_jwt, member_session_id: '' };
    expectError(await project.apiAs(asUser, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }), 404, 'session_not_found');
    expectError(await project.apiAs(asUser, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }, 'jwt'), 404, 'session_not_found');
    const garbage = { session_token: 'nope', session_jwt: 'nope', member_session_id: '' };
    expectError(await project.apiAs(garbage, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }), 404, 'session_not_found');
    assert.notEqual((await project.apiAs(garbage, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }, 'jwt')).status, 200);
    assert.equal((await get(bystander.member_id)).name, 'Bob');

    // Another project's member session.
    const other = await world();
    expectError(await project.apiAs(other.members.admin.session, 'PUT', memberPath(bystander.member_id), { name: 'Hacked' }), 404, 'session_not_found');
    assert.equal((await get(bystander.member_id)).name, 'Bob');
  });

  test('a member whose admin role was taken away loses the power at once', async () => {
    const { project, orgId, members, bystander, memberPath, get } = await world();
    const admin = members.admin;
    expectOk(await project.apiAs(admin.session, 'PUT', memberPath(bystander.member_id), { name: 'Robert' }));
    await project.updateMember(orgId, admin.member_id, { roles: [] });
    expectError(await project.apiAs(admin.session, 'PUT', memberPath(bystander.member_id), { name: 'Bobby' }), 403, 'session_authorization_error');
    assert.equal((await get(bystander.member_id)).name, 'Robert');
  });

  test('no header: the project secret alone may do everything', async () => {
    const { project, orgId, bystander, memberPath, get } = await world();
    expectOk(await project.api('PUT', memberPath(bystander.member_id), { name: 'Robert', roles: ['stytch_admin', 'editor'], trusted_metadata: { tier: 2 }, email_address: 'robert@acme.com' }));
    const after = await get(bystander.member_id);
    assert.equal(after.name, 'Robert');
    assert.deepEqual(after.trusted_metadata, { tier: 2 });
    expectOk(await project.api('POST', '/v1/b2b/organizations/members/search', { organization_ids: [orgId] }));
    expectOk(await project.api('PUT', `/v1/b2b/organizations/${orgId}`, { organization_name: 'Renamed', trusted_metadata: { plan: 'pro' } }));
    expectOk(await project.api('DELETE', `/v1/b2b/organizations/${orgId}`));
    expectError(await project.api('GET', `/v1/b2b/organizations/${orgId}`), 404, 'organization_not_found');
    // An empty header is not "no header": it is refused (issue 14, finding 11), and nothing changes.
    const empty = { session_token: '', session_jwt: '', member_session_id: '' };
    const org = await project.createOrganization({ organization_name: 'Kept' });
    expectError(await project.apiAs(empty, 'PUT', `/v1/b2b/organizations/${org.organization_id}`, { organization_name: 'Fine' }), 400, 'invalid_member_session_header');
    assert.equal((await project.getOrganization(org.organization_id)).organization_name, 'Kept');
  });
});

describe('the official B2BClient with {authorization: {session_token}}', () => {
  test('members.update allowed and denied; search denied; sessions.revoke denied', async () => {
    const { project, orgId, members, bystander, get, explicitRoles } = await world();
    const client = b2bClient(server, project.credentials);
    const asPlain = { authorization: { session_token: members.plain.session.session_token } };
    const asAdminJwt = { authorization: { session_jwt: members.admin.session.session_jwt } };
    const denied = (promise: Promise<unknown>, errorType = 'session_authorization_error') =>
      assert.rejects(promise, (error: { error_type?: string; status_code?: number }) => {
        assert.equal(error.error_type, errorType, JSON.stringify(error));
        assert.equal(error.status_code, 403);
        return true;
      });

    const own = await client.organizations.members.update({ organization_id: orgId, member_id: members.plain.member_id, name: 'Client Renamed' }, asPlain);
    assert.equal(own.member.name, 'Client Renamed');
    await denied(client.organizations.members.update({ organization_id: orgId, member_id: bystander.member_id, roles: ['stytch_admin'] }, asPlain));
    await denied(client.organizations.members.update({ organization_id: orgId, member_id: members.plain.member_id, roles: ['stytch_admin'] }, asPlain));
    await denied(client.organizations.members.search({ organization_ids: [orgId] }, asPlain));
    await denied(client.organizations.delete({ organization_id: orgId }, asPlain));
    await denied(client.sessions.revoke({ member_id: members.admin.member_id }, asPlain));
    await denied(client.organizations.members.update({ organization_id: orgId, member_id: bystander.member_id, trusted_metadata: { a: 1 } }, asAdminJwt), 'cannot_update_trusted_metadata');
    assert.deepEqual(await explicitRoles(bystander.member_id), []);
    assert.deepEqual(await explicitRoles(members.plain.member_id), []);

    const byAdmin = await client.organizations.members.update({ organization_id: orgId, member_id: bystander.member_id, roles: ['role-granter'] }, asAdminJwt);
    assert.deepEqual(byAdmin.member.roles.map((role) => role.role_id), ['stytch_member', 'role-granter']);
    assert.equal((await get(bystander.member_id)).name, 'Bob');
    const search = await client.organizations.members.search({ organization_ids: [orgId] }, asAdminJwt);
    assert.equal(search.members.length, 5);
  });
});
