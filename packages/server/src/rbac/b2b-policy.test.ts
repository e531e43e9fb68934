// The B2B RBAC policy over real HTTP: the default roles and built-in stytch.* resources, custom
// resources and roles, what cannot be changed, removing roles that members hold (explicitly or by
// an email-domain rule), and organization-scoped custom roles.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { B2B_BUILT_IN_RESOURCES } from './defaults.ts';
import { and, B2B_POLICY, B2BProject, expectOk, filter, roleSummary } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const newProject = (policy?: object | null) => B2BProject.create(server, policy);
const roleIds = (policy: { roles: { role_id: string }[] }) => policy.roles.map((role) => role.role_id);
const resourceIds = (policy: { resources: { resource_id: string }[] }) => policy.resources.map((resource) => resource.resource_id);
const BUILT_IN_IDS = ['stytch.organization', 'stytch.member', 'stytch.sso', 'stytch.scim', 'stytch.self'];
const withoutRole = (policy: any, roleId: string) => ({ ...policy, roles: policy.roles.filter((role: { role_id: string }) => role.role_id !== roleId) });

describe('the B2B policy', () => {
  test('a new project has the built-in resources and the two default roles', async () => {
    const project = await newProject(null);
    const body = expectOk(await project.api('GET', '/v1/b2b/rbac/policy'));
    assert.equal(body.policy_version, 1);
    const { policy } = body;
    assert.deepEqual(resourceIds(policy), BUILT_IN_IDS);
    const actions = Object.fromEntries(policy.resources.map((r: { resource_id: string; actions: string[] }) => [r.resource_id, r.actions]));
    for (const action of ['update.info.name', 'update.info.slug', 'update.settings.implicit-roles', 'update.settings.allowed-domains', 'delete']) {
      assert.ok(actions['stytch.organization'].includes(action), `stytch.organization has ${action}`);
    }
    for (const action of ['create', 'search', 'delete', 'update.settings.roles', 'update.info.email', 'update.info.name']) {
      assert.ok(actions['stytch.member'].includes(action), `stytch.member has ${action}`);
    }
    assert.ok(actions['stytch.self'].includes('update.info.name'));
    assert.ok(!actions['stytch.self'].includes('update.settings.roles'), 'a member cannot change its own roles');
    assert.deepEqual(roleIds(policy), ['stytch_member', 'stytch_admin']);
    assert.deepEqual(policy.roles[0].permissions, [{ resource_id: 'stytch.self', actions: ['*'] }]);
    assert.deepEqual(policy.roles[1].permissions.map((p: { resource_id: string }) => p.resource_id).sort(),
      ['stytch.member', 'stytch.organization', 'stytch.scim', 'stytch.sso']);
    assert.deepEqual(policy.scopes, []);
    // The consumer policy is another policy.
    assert.deepEqual(roleIds(expectOk(await project.api('GET', '/v1/rbac/policy')).policy), ['stytch_user']);
  });

  test('PUT adds custom resources and roles; the built-in resources stay, listed or not', async () => {
    const project = await newProject(null);
    const written = await project.putPolicy(B2B_POLICY);
    assert.equal(written.policy_version, 2);
    const policy = await project.policy();
    assert.deepEqual(resourceIds(policy), [...BUILT_IN_IDS, 'documents']);
    assert.deepEqual(roleIds(policy), ['stytch_member', 'stytch_admin', 'editor', 'viewer', 'auditor']);
    assert.deepEqual(policy.roles.find((r: { role_id: string }) => r.role_id === 'stytch_admin').permissions,
      [{ resource_id: 'stytch.member', actions: ['*'] }], 'default roles\' permissions are editable');
    // What GET returns (built-ins included) goes back unchanged.
    const again = await project.putPolicy(policy);
    assert.equal(again.written, false);
    assert.deepEqual(again.changes, []);
    // The consumer policy did not change.
    assert.deepEqual(roleIds(expectOk(await project.api('GET', '/v1/rbac/policy')).policy), ['stytch_user']);
  });

  test('built-in resources cannot be changed, removed or imitated', async () => {
    const project = await newProject();
    const before = await project.policy();
    const changed = { ...B2B_POLICY, resources: [...B2B_POLICY.resources, { ...B2B_BUILT_IN_RESOURCES[1]!, actions: ['create', 'teleport'] }] };
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: changed }), 400, 'invalid_stytch_prefixed_resource');
    const imitated = { ...B2B_POLICY, resources: [...B2B_POLICY.resources, { resource_id: 'stytch.billing', description: '', actions: ['pay'] }] };
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: imitated }), 400, 'invalid_stytch_prefixed_resource');
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy/resources/stytch.member', { actions: ['create'] }), 400, 'invalid_stytch_prefixed_resource');
    expectError(await project.api('DELETE', '/v1/b2b/rbac/policy/resources/stytch.self'), 400, 'invalid_stytch_prefixed_resource');
    expectError(await project.api('POST', '/v1/b2b/rbac/policy/resources', { resource_id: 'stytch.member', actions: ['x'] }), 409, 'rbac_resource_duplicate');
    const badAction = { ...B2B_POLICY, roles: [...B2B_POLICY.roles, { role_id: 'x', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['teleport'] }] }] };
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: badAction }), 400, 'invalid_permission_action');
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: withoutRole(B2B_POLICY, 'stytch_admin') }), 400, 'invalid_rbac_stytch_role_edit');
    expectError(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/stytch_member'), 400, 'invalid_rbac_stytch_role_edit');
    const reserved = { ...B2B_POLICY, roles: [...B2B_POLICY.roles, { role_id: 'stytch_owner', description: '', permissions: [] }] };
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: reserved }), 400, 'invalid_rbac_custom_role');
    assert.deepEqual(await project.policy(), before, 'nothing written');
    // A custom resource can still be edited through the single-resource endpoints.
    const edited = expectOk(await project.api('PUT', '/v1/b2b/rbac/policy/resources/documents', { actions: ['read', 'write', 'delete', 'share'] }));
    assert.deepEqual(resourceIds(edited.policy), [...BUILT_IN_IDS, 'documents']);
  });

  test('a role held by a member is removed only with cascade, which revokes it and its email rules', async () => {
    const project = await newProject();
    const acme = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'viewer' }] });
    const globex = await project.createOrganization();
    const holder = await project.createMember(globex.organization_id, { email_address: 'h@globex.com', roles: ['editor', 'viewer'] });
    const implicit = await project.createVerifiedMember(acme.organization_id, { email_address: 'i@acme.com' });
    const version = (await project.policy()) && expectOk(await project.api('GET', '/v1/b2b/rbac/policy')).policy_version;

    const refused = expectError(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/viewer'), 409, 'rbac_role_in_use');
    assert.match(refused.error_message, /viewer/);
    assert.deepEqual(refused.error_details.assignments, [{ role_id: 'viewer', count: 2 }], 'one explicit holder and one rule');
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: withoutRole(B2B_POLICY, 'viewer') }), 409, 'rbac_role_in_use');
    assert.equal(expectOk(await project.api('GET', '/v1/b2b/rbac/policy')).policy_version, version, 'nothing written');
    assert.deepEqual(roleSummary(await project.getMember(acme.organization_id, implicit.member_id)),
      ['stytch_member:direct_assignment', 'viewer:email_assignment@acme.com']);

    // A dry run reports what a cascade would revoke and changes nothing.
    const dry = expectOk(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/viewer?cascade=true&dry_run=true'));
    assert.equal(dry.written, false);
    assert.deepEqual(dry.revoked_assignments, [{ role_id: 'viewer', count: 2 }]);
    assert.equal((await project.getOrganization(acme.organization_id)).rbac_email_implicit_role_assignments.length, 1);

    const cascaded = expectOk(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/viewer?cascade=true'));
    assert.equal(cascaded.written, true);
    assert.ok(!roleIds(cascaded.policy).includes('viewer'));
    assert.deepEqual(roleSummary(await project.getMember(globex.organization_id, holder.member_id)),
      ['stytch_member:direct_assignment', 'editor:direct_assignment'], 'the explicit assignment is gone, the other role stays');
    assert.deepEqual(roleSummary(await project.getMember(acme.organization_id, implicit.member_id)), ['stytch_member:direct_assignment']);
    assert.deepEqual((await project.getOrganization(acme.organization_id)).rbac_email_implicit_role_assignments, [], 'the rule is gone');
    assert.deepEqual(await project.searchMemberIds([acme.organization_id, globex.organization_id], and(filter('member_roles', ['viewer']))), []);
    // The role can be made again, and is held by no one.
    await project.putPolicy(B2B_POLICY);
    assert.deepEqual(await project.searchMemberIds([acme.organization_id, globex.organization_id], and(filter('member_roles', ['viewer']))), []);
  });

  test('a role named only by an email rule is in use too; deleted members still hold their roles', async () => {
    const project = await newProject();
    const organization = await project.createOrganization({ rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'auditor' }] });
    expectError(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/auditor'), 409, 'rbac_role_in_use');
    await project.updateOrganization(organization.organization_id, { rbac_email_implicit_role_assignments: [] });
    expectOk(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/auditor'));

    const member = await project.createMember(organization.organization_id, { email_address: 'x@acme.com', roles: ['editor'] });
    await project.deleteMember(organization.organization_id, member.member_id);
    expectError(await project.api('DELETE', '/v1/b2b/rbac/policy/roles/editor'), 409, 'rbac_role_in_use');
  });

  test('policy writes and assignments of one project do not touch another', async () => {
    const first = await newProject();
    const second = await newProject();
    const organization = await second.createOrganization();
    await second.createMember(organization.organization_id, { email_address: 'e@acme.com', roles: ['editor'] });
    expectOk(await first.api('DELETE', '/v1/b2b/rbac/policy/roles/editor'));
    assert.ok(roleIds(await second.policy()).includes('editor'));
  });
});

describe('organization custom roles', () => {
  const AUDITOR = { role_id: 'org_auditor', description: 'Reads documents in this organization', permissions: [{ resource_id: 'documents', actions: ['read'] }] };

  test('GET and PUT; the organization lists them; only its members can hold them', async () => {
    const project = await newProject();
    const acme = await project.createOrganization();
    const globex = await project.createOrganization();
    assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${acme.organization_id}`)).org_policy, { roles: [] });

    const put = expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${acme.organization_id}`, { org_policy: { roles: [AUDITOR] } }));
    assert.deepEqual(put.org_policy, { roles: [AUDITOR] });
    assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${acme.organization_id}`)).org_policy, { roles: [AUDITOR] });
    assert.deepEqual((await project.getOrganization(acme.organization_id)).custom_roles, [AUDITOR]);
    assert.deepEqual((await project.getOrganization(globex.organization_id)).custom_roles, []);
    assert.ok(!roleIds(await project.policy()).includes('org_auditor'), 'the project policy does not list them');

    const member = await project.createMember(acme.organization_id, { email_address: 'a@acme.com', roles: ['org_auditor', 'viewer'] });
    assert.deepEqual(roleSummary(member), ['stytch_member:direct_assignment', 'org_auditor:direct_assignment', 'viewer:direct_assignment']);
    expectError(await project.api('POST', `/v1/b2b/organizations/${globex.organization_id}/members`, { email_address: 'g@globex.com', roles: ['org_auditor'] }),
      400, 'invalid_rbac_role_id');
    const outsider = await project.createMember(globex.organization_id, { email_address: 'g@globex.com' });
    expectError(await project.api('PUT', `/v1/b2b/organizations/${globex.organization_id}/members/${outsider.member_id}`, { roles: ['org_auditor'] }),
      400, 'invalid_rbac_role_id');
    expectError(await project.api('PUT', `/v1/b2b/organizations/${globex.organization_id}`, {
      rbac_email_implicit_role_assignments: [{ domain: 'globex.com', role_id: 'org_auditor' }],
    }), 400, 'invalid_rbac_role_id');

    // An email rule of the organization may name its own custom role.
    await project.updateOrganization(acme.organization_id, { rbac_email_implicit_role_assignments: [{ domain: 'acme.io', role_id: 'org_auditor' }] });
    const implicit = await project.createVerifiedMember(acme.organization_id, { email_address: 'b@acme.io' });
    assert.deepEqual(roleSummary(implicit), ['stytch_member:direct_assignment', 'org_auditor:email_assignment@acme.io']);
    assert.deepEqual(await project.searchMemberIds([acme.organization_id, globex.organization_id], and(filter('member_roles', ['org_auditor']))),
      [member.member_id, implicit.member_id].sort());
  });

  test('custom roles are checked against the project policy', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const put = (roles: unknown) => project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: { roles } });
    const clash = expectError(await put([{ role_id: 'editor', description: '', permissions: [] }]), 400, 'rbac_role_duplicate');
    assert.match(clash.error_message, /org_policy\.roles\[0\]/, 'the path is relative to org_policy');
    expectError(await put([{ role_id: 'stytch_admin', description: '', permissions: [] }]), 400, 'rbac_role_duplicate');
    expectError(await put([{ role_id: 'stytch_owner', description: '', permissions: [] }]), 400, 'invalid_rbac_custom_role');
    expectError(await put([AUDITOR, AUDITOR]), 400, 'rbac_role_duplicate');
    expectError(await put([{ ...AUDITOR, permissions: [{ resource_id: 'nope', actions: ['read'] }] }]), 400, 'invalid_permission_resource');
    expectError(await put([{ ...AUDITOR, permissions: [{ resource_id: 'documents', actions: ['print'] }] }]), 400, 'invalid_permission_action');
    expectError(await put('org_auditor'), 400, 'invalid_policy_format');
    expectError(await project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: {} }), 400, 'invalid_policy_format');
    expectError(await project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, {}), 400, 'invalid_argument');
    // Built-in resources may be granted by a custom role.
    const manager = { role_id: 'org_manager', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['search', 'create'] }] };
    assert.deepEqual(expectOk(await put([manager])).org_policy.roles, [manager]);
    expectError(await project.api('GET', '/v1/b2b/rbac/organizations/nope'), 400, 'invalid_organization_id');
  });

  test('a custom role still held or named by a rule cannot be removed', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const put = (roles: unknown[]) => project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: { roles } });
    expectOk(await put([AUDITOR]));
    const member = await project.createMember(organization_id, { email_address: 'a@acme.com', roles: ['org_auditor'] });
    const refused = expectError(await put([]), 409, 'rbac_role_in_use');
    assert.match(refused.error_message, /org_auditor/);
    // Editing its permissions is fine.
    const edited = { ...AUDITOR, permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] };
    expectOk(await put([edited]));
    await project.updateMember(organization_id, member.member_id, { roles: [] });
    await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: 'org_auditor' }] });
    expectError(await put([]), 409, 'rbac_role_in_use');
    await project.updateOrganization(organization_id, { rbac_email_implicit_role_assignments: [] });
    assert.deepEqual(expectOk(await put([])).org_policy, { roles: [] });
    expectError(await project.api('POST', `/v1/b2b/organizations/${organization_id}/members`, { email_address: 'b@acme.com', roles: ['org_auditor'] }),
      400, 'invalid_rbac_role_id');
  });

  test('the project policy cannot take a role id an organization already uses', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: { roles: [AUDITOR] } }));
    const clash = { ...B2B_POLICY, roles: [...B2B_POLICY.roles, { role_id: 'org_auditor', description: 'Project-wide', permissions: [] }] };
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: clash }), 409, 'rbac_role_duplicate');
    expectError(await project.api('POST', '/v1/b2b/rbac/policy/roles', { role_id: 'org_auditor', permissions: [] }), 409, 'rbac_role_duplicate');
    assert.ok(!roleIds(await project.policy()).includes('org_auditor'));
  });

  test('the project policy cannot remove a resource or action an organization\'s custom role uses, unless asked to cascade', async () => {
    const project = await newProject();
    const { organization_id } = await project.createOrganization();
    const other = await project.createOrganization();
    const READER = { role_id: 'org_reader', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'delete'] }] };
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: { roles: [READER] } }));
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${other.organization_id}`, { org_policy: { roles: [{ ...READER, permissions: [] }] } }));
    // Project roles use 'read' and 'write' only, so without custom roles these would pass.
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy/resources/documents', { actions: ['read', 'write'] }), 409, 'rbac_action_in_use');
    const policy = await project.policy();
    const withoutDocuments = {
      ...policy,
      resources: policy.resources.filter((r: { resource_id: string }) => r.resource_id !== 'documents'),
      roles: policy.roles.map((role: { permissions: { resource_id: string }[] }) => ({ ...role, permissions: role.permissions.filter((p) => p.resource_id !== 'documents') })),
    };
    expectError(await project.api('PUT', '/v1/b2b/rbac/policy', { policy: withoutDocuments }), 409, 'rbac_resource_in_use');
    assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${organization_id}`)).org_policy.roles, [READER]);

    const dry = expectOk(await project.api('PUT', '/v1/b2b/rbac/policy/resources/documents?cascade=true&dry_run=true', { actions: ['read', 'write'] }));
    assert.equal(dry.written, false);
    assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${organization_id}`)).org_policy.roles, [READER], 'a dry run writes nothing');
    expectOk(await project.api('PUT', '/v1/b2b/rbac/policy/resources/documents?cascade=true', { actions: ['read', 'write'] }));
    assert.deepEqual(expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${organization_id}`)).org_policy.roles,
      [{ ...READER, permissions: [{ resource_id: 'documents', actions: ['read'] }] }]);
    expectOk(await project.api('PUT', '/v1/b2b/rbac/policy?cascade=true', { policy: withoutDocuments }));
    const pruned = expectOk(await project.api('GET', `/v1/b2b/rbac/organizations/${organization_id}`)).org_policy.roles;
    assert.deepEqual(pruned, [{ ...READER, permissions: [] }]);
    assert.deepEqual((await project.getOrganization(organization_id)).custom_roles, pruned);
    // What is left still validates: the same roles can be put back.
    expectOk(await project.api('PUT', `/v1/b2b/rbac/organizations/${organization_id}`, { org_policy: { roles: pruned } }));
  });

  test('custom-role writes, rule writes and cascading policy writes run side by side without failing', async () => {
    const project = await newProject();
    const organizations = [await project.createOrganization(), await project.createOrganization()];
    const wide = { role_id: 'org_wide', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'delete'] }] };
    const narrow = { role_id: 'org_narrow', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] };
    const policy = await project.policy();
    const documents = (actions: string[]) => ({
      ...policy,
      resources: policy.resources.map((r: { resource_id: string }) => (r.resource_id === 'documents' ? { ...r, actions } : r)),
    });
    for (let round = 0; round < 6; round++) {
      const responses = await Promise.all([
        ...organizations.map((o) => project.api('PUT', `/v1/b2b/rbac/organizations/${o.organization_id}`, { org_policy: { roles: [wide, narrow] } })),
        ...organizations.map((o) => project.api('PUT', `/v1/b2b/organizations/${o.organization_id}`, {
          rbac_email_implicit_role_assignments: [{ domain: 'acme.com', role_id: round % 2 ? 'org_narrow' : 'viewer' }],
        })),
        project.api('PUT', '/v1/b2b/rbac/policy?cascade=true', { policy: documents(round % 2 ? ['read', 'write'] : ['read', 'write', 'delete']) }),
      ]);
      for (const response of responses) {
        // A custom role may be refused when the policy lost 'delete' a moment before; nothing else may fail.
        if (response.status !== 200) expectError(response, 400, 'invalid_permission_action');
      }
    }
  });
});
