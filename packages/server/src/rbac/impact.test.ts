// The impact preview over real HTTP: POST …/policy/impact takes PUT …/policy's body, writes nothing,
// refuses what PUT refuses, and lists per role and per user or member what would be gained and lost
// — net of their other roles, explicit and implicit, default role counted rather than listed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2B_POLICY, B2BProject, expectOk, roleSummary } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'reviewer', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'delete'] }] },
  ],
  scopes: [],
};
/** editor gains the wildcard (so delete); reviewer loses delete. */
const PROPOSED = {
  ...POLICY,
  roles: [
    POLICY.roles[0]!,
    { ...POLICY.roles[1]!, permissions: [{ resource_id: 'documents', actions: ['*'] }] },
    { ...POLICY.roles[2]!, permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
};
const DELETE = [{ resource_id: 'documents', actions: ['delete'] }];

const api = (project: ProjectCredentials, method: string, path: string, body?: unknown) => server.api(project, method, path, body);

async function consumerProject() {
  const project = await server.createProject();
  expectOk(await api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY }));
  const user = async (email: string, roles: string[]) => expectOk(await api(project, 'POST', '/v1/users', { email, roles })).user_id as string;
  const users = {
    alice: await user('alice@example.com', ['editor']),
    bob: await user('bob@example.com', ['reviewer']),
    carol: await user('carol@example.com', ['editor', 'reviewer']),
    dave: await user('dave@example.com', []),
  };
  return { project, users };
}

async function history(project: ProjectCredentials, prefix = '/v1/rbac') {
  const { policy, policy_version } = expectOk(await api(project, 'GET', `${prefix}/policy`));
  return { policy, policy_version, versions: expectOk(await api(project, 'GET', `${prefix}/policy/versions`)).versions };
}

describe('consumer impact preview', () => {
  test('a role gaining the wildcard and one losing an action: per role, per user net of their other roles; nothing written', async () => {
    const { project, users } = await consumerProject();
    const before = await history(project);
    const preview = expectOk(await api(project, 'POST', '/v1/rbac/policy/impact', { policy: PROPOSED }));
    assert.equal(preview.policy_version, 2);
    assert.deepEqual(preview.changes, [
      { role_id: 'editor', gained: DELETE, lost: [] },
      { role_id: 'reviewer', gained: [], lost: DELETE },
    ]);
    assert.deepEqual(preview.diff.roles.changed.map((role: { role_id: string }) => role.role_id), ['editor', 'reviewer']);
    assert.equal(preview.default_role, null);
    const direct = [{ type: 'direct_assignment', details: {} }];
    assert.deepEqual(preview.subjects.users, [
      { user_id: users.alice, email: 'alice@example.com', via: [{ role_id: 'editor', sources: direct }], gained: DELETE, lost: [] },
      { user_id: users.bob, email: 'bob@example.com', via: [{ role_id: 'reviewer', sources: direct }], gained: [], lost: DELETE },
      // Deletes through reviewer before and through editor's wildcard after: no net change.
      {
        user_id: users.carol,
        email: 'carol@example.com',
        via: [{ role_id: 'editor', sources: direct }, { role_id: 'reviewer', sources: direct }],
        gained: [],
        lost: [],
      },
    ]);
    assert.deepEqual(preview.totals, { users: 3 });
    assert.equal(preview.truncated, false);
    assert.deepEqual(await history(project), before, 'nothing written');
  });

  test('the default role changing counts every user; limit and truncated', async () => {
    const { project, users } = await consumerProject();
    const everyoneWrites = { ...PROPOSED, roles: [{ ...POLICY.roles[0]!, permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] }, ...PROPOSED.roles.slice(1)] };
    const preview = expectOk(await api(project, 'POST', '/v1/rbac/policy/impact?limit=2', { policy: everyoneWrites }));
    assert.deepEqual(preview.default_role, { role_id: 'stytch_user', gained: [{ resource_id: 'documents', actions: ['write'] }], lost: [], users: 4 });
    assert.deepEqual(preview.totals, { users: 4 });
    // Listed: holders of the other changed roles, two of three; each one's net change includes the default role's.
    assert.deepEqual(preview.subjects.users.map((user: { user_id: string }) => user.user_id), [users.alice, users.bob]);
    assert.deepEqual(preview.subjects.users[1].gained, [{ resource_id: 'documents', actions: ['write'] }]);
    assert.equal(preview.truncated, true);
    expectError(await api(project, 'POST', '/v1/rbac/policy/impact?limit=0', { policy: PROPOSED }), 400, 'invalid_argument');
  });

  test('refuses what PUT refuses, with the same error; removing an assigned role is previewed with cascade', async () => {
    const { project, users } = await consumerProject();
    const invalid = { ...POLICY, roles: [...POLICY.roles, { role_id: 'x', description: '', permissions: [{ resource_id: 'documents', actions: ['print'] }] }] };
    const previewed = expectError(await api(project, 'POST', '/v1/rbac/policy/impact', { policy: invalid }), 400, 'invalid_permission_action');
    const put = expectError(await api(project, 'PUT', '/v1/rbac/policy', { policy: invalid }), 400, 'invalid_permission_action');
    assert.equal(previewed.error_message, put.error_message);
    expectError(await api(project, 'POST', '/v1/rbac/policy/impact', 'not a policy'), 400, 'invalid_policy_format');

    const withoutReviewer = { ...POLICY, roles: POLICY.roles.filter((role) => role.role_id !== 'reviewer') };
    expectError(await api(project, 'POST', '/v1/rbac/policy/impact', { policy: withoutReviewer }), 409, 'rbac_role_in_use');
    const cascade = expectOk(await api(project, 'POST', '/v1/rbac/policy/impact?cascade=true', { policy: withoutReviewer }));
    assert.deepEqual(cascade.revoked_assignments, [{ role_id: 'reviewer', count: 2 }]);
    assert.deepEqual(cascade.changes, [{ role_id: 'reviewer', gained: [], lost: [{ resource_id: 'documents', actions: ['read', 'delete'] }] }]);
    // bob loses delete (read stays, from stytch_user); carol too (editor does not delete).
    assert.deepEqual(cascade.subjects.users.map((u: { user_id: string; lost: unknown }) => [u.user_id, u.lost]), [[users.bob, DELETE], [users.carol, DELETE]]);
    assert.equal(expectOk(await api(project, 'GET', '/v1/rbac/policy')).policy_version, 2, 'nothing written');
  });
});

describe('B2B impact preview', () => {
  test('explicit and email-rule holders across organizations, with sources; custom roles of an organization; another project unseen', async () => {
    const project = await B2BProject.create(server);
    const acme = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const globex = await project.createOrganization();
    const editor = await project.createMember(globex.organization_id, { email_address: 'e@globex.com', roles: ['editor'] });
    const implicit = await project.createVerifiedMember(acme.organization_id, { email_address: 'i@acme.com' });
    await project.createMember(globex.organization_id, { email_address: 'n@globex.com' });
    const gone = await project.createMember(globex.organization_id, { email_address: 'd@globex.com', roles: ['editor'] });
    await project.deleteMember(globex.organization_id, gone.member_id);
    // acme's own role with the wildcard on documents, held by one acme member.
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${acme.organization_id}`, {
      org_policy: { roles: [{ role_id: 'acme_owner', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }] }] },
    }));
    const owner = await project.createVerifiedMember(acme.organization_id, { email_address: 'o@acme.com', roles: ['acme_owner'] });
    assert.deepEqual(roleSummary(owner), ['stytch_member:direct_assignment', 'acme_owner:direct_assignment', 'viewer:email_assignment@acme.com']);
    // Another project with the same roles and rule is not looked at.
    const other = await B2BProject.create(server);
    const otherOrg = await other.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    await other.createMember(otherOrg.organization_id, { email_address: 'x@acme.com', roles: ['editor'] });

    // documents gains "share"; viewer gets the wildcard; editor loses write.
    const proposed = {
      ...B2B_POLICY,
      resources: [{ ...B2B_POLICY.resources[0]!, actions: ['read', 'write', 'delete', 'share'] }],
      roles: B2B_POLICY.roles.map((role) =>
        role.role_id === 'viewer' ? { ...role, permissions: [{ resource_id: 'documents', actions: ['*'] }] }
        : role.role_id === 'editor' ? { ...role, permissions: [{ resource_id: 'documents', actions: ['read'] }] }
        : role),
    };
    const before = await history(other.credentials, '/v1/b2b/rbac');
    const preview = expectOk(await project.api('POST', '/v1/b2b/rbac/policy/impact', { policy: proposed }));
    assert.deepEqual(preview.changes, [
      { role_id: 'editor', gained: [], lost: [{ resource_id: 'documents', actions: ['write'] }] },
      { role_id: 'viewer', gained: [{ resource_id: 'documents', actions: ['write', 'delete', 'share'] }], lost: [] },
      { role_id: 'acme_owner', organization_id: acme.organization_id, gained: [{ resource_id: 'documents', actions: ['share'] }], lost: [] },
    ]);
    const emailRule = { type: 'email_assignment', details: { email_domain: 'acme.com' } };
    assert.deepEqual(preview.subjects.members, [
      {
        member_id: editor.member_id, email: 'e@globex.com', organization_id: globex.organization_id,
        via: [{ role_id: 'editor', sources: [{ type: 'direct_assignment', details: {} }] }],
        gained: [], lost: [{ resource_id: 'documents', actions: ['write'] }],
      },
      {
        member_id: implicit.member_id, email: 'i@acme.com', organization_id: acme.organization_id,
        via: [{ role_id: 'viewer', sources: [emailRule] }],
        gained: [{ resource_id: 'documents', actions: ['write', 'delete', 'share'] }], lost: [],
      },
      {
        // Already held everything through acme_owner; share is new to both of its roles.
        member_id: owner.member_id, email: 'o@acme.com', organization_id: acme.organization_id,
        via: [{ role_id: 'acme_owner', sources: [{ type: 'direct_assignment', details: {} }] }, { role_id: 'viewer', sources: [emailRule] }],
        gained: [{ resource_id: 'documents', actions: ['share'] }], lost: [],
      },
    ]);
    assert.deepEqual(preview.totals, { members: 3 }, 'the deleted member and the one without a changed role are not counted');
    assert.equal(preview.default_role, null);
    assert.deepEqual(await history(other.credentials, '/v1/b2b/rbac'), before);
    assert.equal((await project.policy()).resources.find((r: { resource_id: string }) => r.resource_id === 'documents').actions.length, 3, 'nothing written');
  });

  test('stytch_member changing is counted as every member', async () => {
    const project = await B2BProject.create(server);
    const organization = await project.createOrganization();
    await project.createMember(organization.organization_id, { email_address: 'a@example.org' });
    await project.createMember(organization.organization_id, { email_address: 'b@example.org' });
    const proposed = { ...B2B_POLICY, roles: B2B_POLICY.roles.map((role) => (role.role_id === 'stytch_member' ? { ...role, permissions: [...role.permissions, { resource_id: 'documents', actions: ['read'] }] } : role)) };
    const preview = expectOk(await project.api('POST', '/v1/b2b/rbac/policy/impact', { policy: proposed }));
    assert.deepEqual(preview.default_role, { role_id: 'stytch_member', gained: [{ resource_id: 'documents', actions: ['read'] }], lost: [], members: 2 });
    assert.deepEqual(preview.totals, { members: 2 });
    assert.deepEqual(preview.subjects.members, []);
  });
});
