// B2B members over real HTTP: create, get (by id, by email, dangerously), update, delete,
// reactivate; explicit roles and the implicit ones from the organization's email-domain rules, with
// their sources; member search (filters, roles held either way, cursors across organizations).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, B2BProject, expectOk, filter, MEMBER_ID, or, RFC3339, roleSummary } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const newProject = (policy?: object | null) => B2BProject.create(server, policy);
const UNKNOWN_MEMBER = 'member-test-00000000-0000-4000-8000-000000000000';
const SEARCH = '/v1/b2b/organizations/members/search';

/** The explicit role rows stored for a member: implicit roles must never be written. */
async function storedRoles(memberId: string): Promise<string[]> {
  const { rows } = await server.database.db.query<{ role_id: string }>('SELECT role_id FROM member_roles WHERE member_id = $1 ORDER BY role_id', [memberId]);
  return rows.map((row) => row.role_id);
}

describe('create and get', () => {
  test('a member with explicit roles, in Stytch\'s shape', async () => {
    const project = await newProject();
    const organization = await project.createOrganization();
    const response = expectOk(await project.api('POST', `/v1/b2b/organizations/${organization.organization_id}/members`, {
      email_address: 'Ada@Example.com',
      name: 'Ada',
      roles: ['viewer', 'editor', 'viewer'],
      trusted_metadata: { level: 3 },
      untrusted_metadata: { theme: 'dark' },
      is_breakglass: true,
      mfa_phone_number: '+12025550123',
      mfa_enrolled: true,
      external_id: 'ada-1',
    }));
    const { member } = response;
    assert.match(member.member_id, MEMBER_ID);
    assert.equal(response.member_id, member.member_id);
    assert.deepEqual(response.organization, organization);
    assert.equal(member.organization_id, organization.organization_id);
    assert.equal(member.email_address, 'Ada@Example.com', 'the address is kept as given');
    assert.equal(member.status, 'active');
    assert.equal(member.name, 'Ada');
    assert.equal(member.is_breakglass, true);
    assert.equal(member.mfa_phone_number, '+12025550123');
    assert.equal(member.mfa_enrolled, true);
    assert.equal(member.external_id, 'ada-1');
    assert.deepEqual(member.trusted_metadata, { level: 3 });
    assert.deepEqual(member.untrusted_metadata, { theme: 'dark' });
    assert.equal(member.is_admin, false);
    assert.equal(member.is_locked, false);
    assert.equal(member.email_address_verified, false);
    assert.equal(member.member_password_id, '');
    assert.deepEqual(member.sso_registrations, []);
    assert.deepEqual(member.oauth_registrations, []);
    assert.match(member.created_at, RFC3339);
    assert.deepEqual(member.roles, [
      { role_id: 'stytch_member', sources: [{ type: 'direct_assignment', details: {} }] },
      { role_id: 'editor', sources: [{ type: 'direct_assignment', details: {} }] },
      { role_id: 'viewer', sources: [{ type: 'direct_assignment', details: {} }] },
    ]);
    assert.deepEqual(await storedRoles(member.member_id), ['editor', 'viewer']);
    assert.deepEqual(await project.getMember(organization.organization_id, member.member_id), member);
    const byEmail = expectOk(await project.api('GET', `/v1/b2b/organizations/${organization.organization_id}/member?email_address=ada%40EXAMPLE.com`));
    assert.deepEqual(byEmail.member, member, 'found by email, case-insensitively');
    assert.equal(byEmail.member_id, member.member_id);
    const dangerous = expectOk(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${member.member_id}`));
    assert.deepEqual(dangerous.member, member);
    assert.equal(dangerous.organization.organization_id, organization.organization_id);
  });

  test('create_member_as_pending; defaults of a bare member', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const pending = await project.createMember(organization_id, { email_address: 'p@acme.com', create_member_as_pending: true });
    assert.equal(pending.status, 'pending');
    assert.equal(pending.name, '');
    assert.equal(pending.external_id, null);
    assert.deepEqual(pending.trusted_metadata, {});
    assert.deepEqual(roleSummary(pending), ['stytch_member:direct_assignment']);
  });

  test('unknown or default roles are refused and nothing is written', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const create = (roles: unknown) => project.api('POST', `/v1/b2b/organizations/${organization_id}/members`, { email_address: 'eve@acme.com', roles });
    const unknown = expectError(await create(['editor', 'no_such_role']), 400, 'invalid_rbac_role_id');
    assert.match(unknown.error_message, /no_such_role/);
    expectError(await create(['stytch_member']), 400, 'cannot_assign_default_rbac_role_id');
    expectError(await create(['']), 400, 'invalid_argument');
    expectError(await create('editor'), 400, 'invalid_argument');
    expectError(await project.api('GET', `/v1/b2b/organizations/${organization_id}/member?email_address=eve@acme.com`), 404, 'member_not_found');
    assert.deepEqual(await project.searchMemberIds([organization_id]), []);
    const { rows } = await server.database.db.query('SELECT 1 FROM members WHERE organization_id = $1', [organization_id]);
    assert.equal(rows.length, 0);
    // A role of another project is unknown here.
    const bare = await newProject(null);
    const other = await bare.createOrganization();
    expectError(await bare.api('POST', `/v1/b2b/organizations/${other.organization_id}/members`, { email_address: 'eve@acme.com', roles: ['editor'] }),
      400, 'invalid_rbac_role_id');
  });

  test('an email is unique among the live members of an organization, whatever its case', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const other = await project.createOrganization();
    const first = await project.createMember(organization_id, { email_address: 'dup@acme.com' });
    expectError(await project.api('POST', `/v1/b2b/organizations/${organization_id}/members`, { email_address: 'DUP@Acme.COM' }), 409, 'duplicate_member_email');
    expectError(await project.api('POST', `/v1/b2b/organizations/${organization_id}/members`, { email_address: ' dup@acme.com ' }), 409, 'duplicate_member_email');
    await project.createMember(other.organization_id, { email_address: 'dup@acme.com' });
    const second = await project.createMember(organization_id, { email_address: 'second@acme.com' });
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${second.member_id}`, { email_address: 'Dup@acme.com' }),
      409, 'duplicate_member_email');
    // A deleted member frees its address; bringing it back while another holds it is a conflict.
    await project.deleteMember(organization_id, first.member_id);
    const replacement = await project.createMember(organization_id, { email_address: 'dup@acme.com' });
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${first.member_id}/reactivate`), 409, 'duplicate_member_email');
    assert.equal((await project.getMember(organization_id, replacement.member_id)).status, 'active');
    // External ids likewise.
    await project.createMember(organization_id, { email_address: 'x1@acme.com', external_id: 'x-1' });
    expectError(await project.api('POST', `/v1/b2b/organizations/${organization_id}/members`, { email_address: 'x2@acme.com', external_id: 'x-1' }),
      409, 'duplicate_member_external_id');
  });

  test('bad input and lookups that find nothing', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const other = await project.createOrganization();
    const member = await project.createMember(organization_id, { email_address: 'm@acme.com' });
    const create = (body: Record<string, unknown>) => project.api('POST', `/v1/b2b/organizations/${organization_id}/members`, body);
    expectError(await create({}), 400, 'invalid_argument');
    expectError(await create({ email_address: 'not-an-email' }), 400, 'invalid_email');
    expectError(await create({ email_address: 'a@b.com', mfa_phone_number: '555-1234' }), 400, 'invalid_phone_number');
    expectError(await create({ email_address: 'a@b.com', external_id: 'has space' }), 400, 'invalid_external_id');
    expectError(await create({ email_address: 'a@b.com', untrusted_metadata: [] }), 400, 'metadata_invalid_format');

    const get = (query: string, org = organization_id) => project.api('GET', `/v1/b2b/organizations/${org}/member${query}`);
    expectError(await get(''), 400, 'invalid_member_get_fields');
    expectError(await get('?member_id=nope'), 400, 'invalid_member_id');
    expectError(await get(`?member_id=${UNKNOWN_MEMBER}`), 404, 'member_not_found');
    expectError(await get(`?member_id=${member.member_id}`, other.organization_id), 404, 'member_not_found');
    expectError(await get('?email_address=m@acme.com', other.organization_id), 404, 'member_not_found');
    expectError(await get('?email_address=nobody@acme.com'), 404, 'member_not_found');
    expectError(await get(`?member_id=${member.member_id}`, 'nope'), 400, 'invalid_organization_id');
    expectError(await project.api('GET', '/v1/b2b/organizations/members/dangerously_get/nope'), 400, 'invalid_member_id');
    expectError(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${UNKNOWN_MEMBER}`), 404, 'member_not_found');
    expectError(await project.api('PUT', `/v1/b2b/organizations/${other.organization_id}/members/${member.member_id}`, { name: 'x' }), 404, 'member_not_found');
    expectError(await project.api('DELETE', `/v1/b2b/organizations/${other.organization_id}/members/${member.member_id}`), 404, 'member_not_found');
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/nope`, { name: 'x' }), 400, 'invalid_member_id');

    // Another project sees nothing of this one.
    const stranger = await newProject();
    expectError(await stranger.api('GET', `/v1/b2b/organizations/members/dangerously_get/${member.member_id}`), 404, 'member_not_found');
    expectError(await stranger.api('GET', `/v1/b2b/organizations/${organization_id}/member?member_id=${member.member_id}`), 404, 'organization_not_found');
    expectError(await stranger.api('DELETE', `/v1/b2b/organizations/${organization_id}/members/${member.member_id}`), 404, 'organization_not_found');
    assert.equal((await project.getMember(organization_id, member.member_id)).status, 'active');
  });
});

describe('update, delete, reactivate', () => {
  test('roles on update replace the explicit roles only; implicit ones stay', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const member = await project.createVerifiedMember(organization_id, { email_address: 'kim@acme.com', roles: ['editor'] });
    assert.deepEqual(roleSummary(member), ['stytch_member:direct_assignment', 'editor:direct_assignment', 'viewer:email_assignment@acme.com']);

    const both = await project.updateMember(organization_id, member.member_id, { roles: ['viewer'] });
    assert.deepEqual(roleSummary(both), ['stytch_member:direct_assignment', 'viewer:direct_assignment,email_assignment@acme.com'],
      'one entry for a role held both ways, with both sources');
    assert.deepEqual(await storedRoles(member.member_id), ['viewer']);

    const none = await project.updateMember(organization_id, member.member_id, { roles: [] });
    assert.deepEqual(roleSummary(none), ['stytch_member:direct_assignment', 'viewer:email_assignment@acme.com'], 'an empty list keeps the implicit role');
    assert.deepEqual(await storedRoles(member.member_id), []);

    const renamed = await project.updateMember(organization_id, member.member_id, { name: 'Kim' });
    assert.deepEqual(renamed.roles, none.roles, 'an update without roles leaves them');
    const again = await project.updateMember(organization_id, member.member_id, { roles: ['editor', 'stytch_admin'] });
    assert.deepEqual(roleSummary(again), ['stytch_member:direct_assignment', 'editor:direct_assignment', 'stytch_admin:direct_assignment',
      'viewer:email_assignment@acme.com']);
    assert.equal(again.is_admin, true);
  });

  test('a refused update writes nothing, not even its other fields', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const member = await project.createMember(organization_id, { email_address: 'lee@acme.com', name: 'Lee', roles: ['editor'] });
    const put = (body: Record<string, unknown>) => project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${member.member_id}`, body);
    expectError(await put({ name: 'Changed', roles: ['viewer', 'nope'] }), 400, 'invalid_rbac_role_id');
    expectError(await put({ name: 'Changed', roles: ['stytch_member'] }), 400, 'cannot_assign_default_rbac_role_id');
    expectError(await put({ name: 'Changed', email_address: 'bad' }), 400, 'invalid_email');
    expectError(await put({ name: 'Changed', mfa_phone_number: '12' }), 400, 'invalid_phone_number');
    expectError(await put({ name: 'Changed', default_mfa_method: 'carrier_pigeon' }), 400, 'invalid_argument');
    expectError(await put({ name: 'Changed', trusted_metadata: 5 }), 400, 'metadata_invalid_format');
    assert.deepEqual(await project.getMember(organization_id, member.member_id), member);
  });

  test('update changes the fields it names; metadata merges; a new email waits for the link mailed to it', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const member = await project.createMember(organization_id, {
      email_address: 'sam@acme.com', name: 'Sam', trusted_metadata: { a: 1, b: 2 }, untrusted_metadata: { c: 3 }, external_id: 'sam',
    });
    const updated = await project.updateMember(organization_id, member.member_id, {
      trusted_metadata: { b: null, d: 4 }, untrusted_metadata: { e: 5 }, is_breakglass: true, mfa_enrolled: true,
      mfa_phone_number: '+447911123456', default_mfa_method: 'sms_otp',
    });
    assert.deepEqual(updated.trusted_metadata, { a: 1, d: 4 });
    assert.deepEqual(updated.untrusted_metadata, { c: 3, e: 5 });
    assert.equal(updated.is_breakglass, true);
    assert.equal(updated.mfa_enrolled, true);
    assert.equal(updated.mfa_phone_number, '+447911123456');
    assert.equal(updated.default_mfa_method, 'sms_otp');
    assert.equal(updated.name, 'Sam');
    assert.equal(updated.external_id, 'sam');
    const asked = await project.updateMember(organization_id, member.member_id, { email_address: 'samuel@acme.com', external_id: '' });
    assert.equal(asked.email_address, 'sam@acme.com', 'the address changes when the link to the new one is followed');
    assert.equal(asked.external_id, null);
    const moved = await project.changeEmail(organization_id, member.member_id, 'samuel@acme.com');
    assert.equal(moved.email_address, 'samuel@acme.com');
    assert.equal(moved.email_address_verified, true);
    expectError(await project.api('GET', `/v1/b2b/organizations/${organization_id}/member?email_address=sam@acme.com`), 404, 'member_not_found');
    assert.equal((await project.getMember(organization_id, member.member_id)).email_address, 'samuel@acme.com');
  });

  test('delete marks the member deleted; only dangerously_get with include_deleted sees it; reactivate brings it back with its roles', async () => {
    const project = await newProject();
    const organization = await project.createOrganization();
    const { organization_id } = organization;
    const member = await project.createMember(organization_id, { email_address: 'del@acme.com', roles: ['editor'] });
    await project.deleteMember(organization_id, member.member_id);

    expectError(await project.api('GET', `/v1/b2b/organizations/${organization_id}/member?member_id=${member.member_id}`), 404, 'member_not_found');
    expectError(await project.api('GET', `/v1/b2b/organizations/${organization_id}/member?email_address=del@acme.com`), 404, 'member_not_found');
    expectError(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${member.member_id}`), 404, 'member_not_found');
    expectError(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${member.member_id}?include_deleted=false`), 404, 'member_not_found');
    expectError(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${member.member_id}?include_deleted=yes`), 400, 'invalid_argument');
    const deleted = expectOk(await project.api('GET', `/v1/b2b/organizations/members/dangerously_get/${member.member_id}?include_deleted=true`)).member;
    assert.equal(deleted.status, 'deleted');
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${member.member_id}`, { name: 'Ghost' }), 404, 'member_not_found');
    expectError(await project.api('DELETE', `/v1/b2b/organizations/${organization_id}/members/${member.member_id}`), 404, 'member_not_found');
    assert.deepEqual(await project.searchMemberIds([organization_id]), []);
    assert.deepEqual(await project.searchMemberIds([organization_id], and(filter('statuses', ['deleted']))), [member.member_id]);

    const back = expectOk(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${member.member_id}/reactivate`));
    assert.equal(back.member_id, member.member_id);
    assert.equal(back.member.status, 'active');
    assert.deepEqual(back.member.roles, member.roles, 'explicit roles survive deletion');
    assert.equal(back.organization.organization_id, organization_id);
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${member.member_id}/reactivate`), 400, 'member_already_active');
    expectError(await project.api('PUT', `/v1/b2b/organizations/${organization_id}/members/${UNKNOWN_MEMBER}/reactivate`), 404, 'member_not_found');
    assert.deepEqual(await project.searchMemberIds([organization_id]), [member.member_id]);
  });
});

describe('implicit roles from email-domain rules', () => {
  test('appear and disappear with the organization\'s rule, with no write to the member', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const other = await project.createOrganization();
    const alice = await project.createVerifiedMember(organization_id, { email_address: 'alice@Acme.com' });
    const bob = await project.createMember(organization_id, { email_address: 'bob@elsewhere.org', roles: ['viewer'] });
    const sub = await project.createVerifiedMember(organization_id, { email_address: 'carol@eng.acme.com' });
    const outsider = await project.createVerifiedMember(other.organization_id, { email_address: 'dave@acme.com' });
    const viewers = () => project.searchMemberIds([organization_id, other.organization_id], and(filter('member_roles', ['viewer'])));
    assert.deepEqual(await viewers(), [bob.member_id].sort());

    await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const withRule = await project.getMember(organization_id, alice.member_id);
    assert.deepEqual(withRule.roles, [
      { role_id: 'stytch_member', sources: [{ type: 'direct_assignment', details: {} }] },
      { role_id: 'viewer', sources: [{ type: 'email_assignment', details: { email_domain: 'acme.com' } }] },
    ]);
    assert.equal(withRule.updated_at, alice.updated_at, 'the member was not written');
    assert.deepEqual(await storedRoles(alice.member_id), []);
    assert.deepEqual(roleSummary(await project.getMember(organization_id, sub.member_id)), ['stytch_member:direct_assignment'], 'a subdomain is another domain');
    assert.deepEqual(roleSummary(await project.getMember(other.organization_id, outsider.member_id)), ['stytch_member:direct_assignment'],
      'another organization\'s rule does not apply');
    assert.deepEqual(await viewers(), [alice.member_id, bob.member_id].sort());

    await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'stytch_admin' }] });
    const admin = await project.getMember(organization_id, alice.member_id);
    assert.deepEqual(roleSummary(admin), ['stytch_member:direct_assignment', 'stytch_admin:email_assignment@acme.com']);
    assert.equal(admin.is_admin, true, 'is_admin follows an implicit stytch_admin');
    assert.deepEqual(await viewers(), [bob.member_id]);

    await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [] });
    const without = await project.getMember(organization_id, alice.member_id);
    assert.deepEqual(roleSummary(without), ['stytch_member:direct_assignment']);
    assert.equal(without.is_admin, false);
    assert.equal(without.updated_at, alice.updated_at);
    assert.deepEqual(await storedRoles(alice.member_id), []);
  });

  test('appear and disappear with the member\'s email; explicit roles are untouched', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization({
      rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }, { domain: 'acme.com', role_id: 'editor' }],
    });
    const member = await project.createVerifiedMember(organization_id, { email_address: 'erin@acme.com', roles: ['editor'] });
    assert.deepEqual(roleSummary(member), ['stytch_member:direct_assignment', 'editor:direct_assignment,email_assignment@acme.com',
      'viewer:email_assignment@acme.com']);

    const away = await project.changeEmail(organization_id, member.member_id, 'erin@other.net');
    assert.deepEqual(roleSummary(away), ['stytch_member:direct_assignment', 'editor:direct_assignment']);
    assert.deepEqual(await storedRoles(member.member_id), ['editor']);
    assert.deepEqual(await project.searchMemberIds([organization_id], and(filter('member_roles', ['viewer']))), []);

    const back = await project.changeEmail(organization_id, member.member_id, 'Erin@ACME.com');
    assert.deepEqual(roleSummary(back), roleSummary(member), 'the domain matches whatever its case');
    assert.deepEqual(await storedRoles(member.member_id), ['editor']);
    assert.deepEqual(await project.searchMemberIds([organization_id], and(filter('member_roles', ['viewer']))), [member.member_id]);
  });

  test('is_admin mirrors stytch_admin held explicitly', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const admin = await project.createMember(organization_id, { email_address: 'root@acme.com', roles: ['stytch_admin'] });
    assert.equal(admin.is_admin, true);
    assert.deepEqual(roleSummary(admin), ['stytch_member:direct_assignment', 'stytch_admin:direct_assignment']);
    assert.equal((await project.updateMember(organization_id, admin.member_id, { roles: [] })).is_admin, false);
  });
});

describe('search', () => {
  test('organization_ids are required and must be this project\'s', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    expectError(await project.api('POST', SEARCH, { organization_ids: [] }), 400, 'member_search_organization_ids_empty');
    expectError(await project.api('POST', SEARCH, {}), 400, 'invalid_argument');
    expectError(await project.api('POST', SEARCH, { organization_ids: ['nope'] }), 400, 'invalid_organization_id');
    expectError(await project.api('POST', SEARCH, { organization_ids: [organization_id, 'organization-test-00000000-0000-4000-8000-000000000000'] }),
      404, 'organization_not_found');
    const body = expectOk(await project.api('POST', SEARCH, { organization_ids: [organization_id, organization_id] }));
    assert.deepEqual(body.members, []);
    assert.deepEqual(body.results_metadata, { total: 0, next_cursor: null });
    assert.deepEqual(Object.keys(body.organizations), [organization_id]);
  });

  test('filters, alone and combined', async () => {
    const project = await newProject();
    const acme = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'editor' }] });
    const globex = await project.createOrganization();
    const a = await project.createVerifiedMember(acme.organization_id, { email_address: 'Ann.Smith@acme.com', roles: ['viewer'], is_breakglass: true,
      mfa_phone_number: '+12025550101', external_id: 'ann' });
    const b = await project.createMember(acme.organization_id, { email_address: 'ben@contractor.io', roles: ['editor'], mfa_phone_number: '+12025550102' });
    const c = await project.createMember(acme.organization_id, { email_address: 'cat@acme.com', create_member_as_pending: true });
    const d = await project.createMember(globex.organization_id, { email_address: 'dan@globex.com', roles: ['auditor'] });
    const e = await project.createMember(globex.organization_id, { email_address: 'eve@acme.com' });
    await project.deleteMember(globex.organization_id, e.member_id);
    const orgs = [acme.organization_id, globex.organization_id];
    const ids = (query: unknown, organizations = orgs) => project.searchMemberIds(organizations, query);
    const sorted = (...members: { member_id: string }[]) => members.map((m) => m.member_id).sort();

    assert.deepEqual(await ids(null), sorted(a, b, c, d), 'deleted members are left out');
    assert.deepEqual(await ids(null, [globex.organization_id]), sorted(d));
    assert.deepEqual(await ids(and(filter('member_ids', [a.member_id, d.member_id, e.member_id]))), sorted(a, d));
    assert.deepEqual(await ids(and(filter('member_emails', ['ann.smith@ACME.com', 'nobody@acme.com']))), sorted(a));
    assert.deepEqual(await ids(and(filter('member_email_fuzzy', 'acme.c'))), sorted(a, c));
    assert.deepEqual(await ids(and(filter('member_is_breakglass', true))), sorted(a));
    assert.deepEqual(await ids(and(filter('member_is_breakglass', false))), sorted(b, c, d));
    assert.deepEqual(await ids(and(filter('statuses', ['pending']))), sorted(c));
    assert.deepEqual(await ids(and(filter('statuses', ['active', 'deleted']))), sorted(a, b, d, e));
    assert.deepEqual(await ids(and(filter('member_phone_numbers', ['+12025550102']))), sorted(b));
    assert.deepEqual(await ids(and(filter('member_phone_number_fuzzy', '555010'))), sorted(a, b));
    assert.deepEqual(await ids(and(filter('member_external_ids', ['ann']))), sorted(a));
    assert.deepEqual(await ids(and(filter('member_password_exists', false))), sorted(a, b, c, d));
    assert.deepEqual(await ids(and(filter('member_password_exists', true))), []);
    // Roles: explicit holders and holders by the organization's rule — for a verified address only.
    assert.deepEqual(await ids(and(filter('member_roles', ['editor']))), sorted(a, b), 'a by the acme.com rule, b explicitly; c never proved its address');
    assert.deepEqual(await ids(and(filter('member_roles', ['viewer', 'auditor']))), sorted(a, d));
    assert.deepEqual(await ids(and(filter('member_roles', ['stytch_member']))), sorted(a, b, c, d), 'every member holds stytch_member');
    assert.deepEqual(await ids(and(filter('member_roles', ['stytch_admin']))), []);
    assert.deepEqual(await ids(and(filter('member_roles', ['no_such_role']))), []);
    assert.deepEqual(await ids(and(filter('member_roles', ['editor']), filter('statuses', ['active']))), sorted(a, b));
    assert.deepEqual(await ids(and(filter('member_roles', ['editor']), filter('member_email_fuzzy', 'acme'))), sorted(a));
    assert.deepEqual(await ids(or(filter('member_roles', ['auditor']), filter('member_is_breakglass', true))), sorted(a, d));
    assert.deepEqual(await ids(or(filter('member_ids', [e.member_id]), filter('statuses', ['deleted']))), sorted(e));

    // The response carries every searched organization, and members in Stytch's shape.
    const body = await project.searchMembers({ organization_ids: orgs, query: and(filter('member_ids', [a.member_id])) });
    assert.deepEqual(body.members, [await project.getMember(acme.organization_id, a.member_id)]);
    assert.deepEqual(Object.keys(body.organizations).sort(), [...orgs].sort());
    assert.deepEqual(body.organizations[acme.organization_id], await project.getOrganization(acme.organization_id));
  });

  test('bad filters and limits are refused', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const search = (body: Record<string, unknown>) => project.api('POST', SEARCH, { organization_ids: [organization_id], ...body });
    const unknown = expectError(await search({ query: and(filter('member_shoe_size', [42])) }), 400, 'member_search_filter_name_not_recognized');
    assert.match(unknown.error_message, /member_shoe_size/);
    expectError(await search({ query: and(filter('constructor', ['x'])) }), 400, 'member_search_filter_name_not_recognized');
    for (const [name, value] of [
      ['statuses', ['active', 'retired']],
      ['statuses', []],
      ['member_email_fuzzy', 'ab'],
      ['member_is_breakglass', 'true'],
      ['member_roles', 'editor'],
      ['member_roles', []],
      ['member_password_exists', 1],
      ['member_ids', [1]],
    ] as const) {
      expectError(await search({ query: and(filter(name, value)) }), 400, 'member_search_invalid_filter_value');
    }
    expectError(await search({ limit: 0 }), 400, 'member_search_invalid_limit');
    expectError(await search({ limit: 1001 }), 400, 'member_search_invalid_limit');
    expectError(await search({ cursor: 'garbage' }), 400, 'member_search_invalid_cursor');
  });

  test('cursor pagination across several organizations visits every member once', async () => {
    const project = await newProject();
    const organizations = [];
    for (let i = 0; i < 3; i++) {
      organizations.push(await project.createOrganization({ rbac_email_implicit_role_assignments: i === 1 ? [{ domain: 'rule.io', role_id: 'viewer' }] : [] }));
    }
    const everyone: string[] = [];
    const viewers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const organization = organizations[i % 3]!;
      const explicit = i % 4 === 0;
      const byRule = i % 3 === 1;
      const create = byRule ? project.createVerifiedMember.bind(project) : project.createMember.bind(project);
      const member = await create(organization.organization_id, { email_address: `m${i}@rule.io`, roles: explicit ? ['viewer'] : [] });
      everyone.push(member.member_id);
      if (explicit || byRule) viewers.push(member.member_id);
    }
    const orgIds = organizations.map((o) => o.organization_id);
    for (const limit of [1, 2, 5, 12, 100]) {
      assert.deepEqual(await project.searchMemberIds(orgIds, null, limit), [...everyone].sort(), `all, limit ${limit}`);
      assert.deepEqual(await project.searchMemberIds(orgIds, and(filter('member_roles', ['viewer'])), limit), [...viewers].sort(), `viewers, limit ${limit}`);
    }
    assert.deepEqual(await project.searchMemberIds(orgIds.slice(0, 2), null, 3), everyone.filter((_, i) => i % 3 !== 2).sort());

    const first = await project.searchMembers({ organization_ids: orgIds, limit: 5 });
    assert.deepEqual(first.members.map((m: { member_id: string }) => m.member_id), everyone.slice(0, 5), 'oldest first');
    const cursor = first.results_metadata.next_cursor;
    expectError(await project.api('POST', SEARCH, { organization_ids: orgIds.slice(0, 2), limit: 5, cursor }), 400, 'member_search_invalid_cursor');
    expectError(await project.api('POST', SEARCH, { organization_ids: orgIds, query: and(filter('statuses', ['active'])), cursor }), 400, 'member_search_invalid_cursor');
    const second = await project.searchMembers({ organization_ids: orgIds, limit: 5, cursor });
    assert.deepEqual(second.members.map((m: { member_id: string }) => m.member_id), everyone.slice(5, 10));
  });
});
