// The RBAC policy API over real HTTP: reading, replacing, editing single resources and roles,
// refusals and cascades, versions, and how fast a change reaches authorization checks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { openPostgres } from '../store/database.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const DOCUMENTS_POLICY = {
  resources: [
    { resource_id: 'documents', description: 'Docs', actions: ['create', 'read', 'update', 'delete'] },
    { resource_id: 'images', description: '', actions: ['read', 'upload'] },
  ],
  roles: [
    { role_id: 'stytch_user', description: 'Everyone', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['create', 'update'] }] },
    { role_id: 'admin', description: 'All', permissions: [{ resource_id: 'documents', actions: ['*'] }, { resource_id: 'images', actions: ['*'] }] },
  ],
  scopes: [],
};

async function projectWithPolicy(policy: object = DOCUMENTS_POLICY): Promise<ProjectCredentials> {
  const project = await server.createProject();
  const response = await server.api(project, 'PUT', '/v1/rbac/policy', { policy });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return project;
}

async function version(project: ProjectCredentials): Promise<number> {
  return (await server.api(project, 'GET', '/v1/rbac/policy')).body.policy_version;
}

async function authorize(project: ProjectCredentials, userId: string, resource_id: string, action: string) {
  const response = await server.api(project, 'POST', '/v1/rbac/authorize', { user_id: userId, authorization_check: { resource_id, action } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.verdict as { authorized: boolean; granting_roles: string[] };
}

async function createUser(project: ProjectCredentials, roles: string[] = []): Promise<string> {
  const response = await server.api(project, 'POST', '/v1/users', { roles });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.user_id;
}

test('a new project has the default role stytch_user and nothing else', async () => {
  const project = await server.createProject();
  const response = await server.api(project, 'GET', '/v1/rbac/policy');
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.policy.resources, []);
  assert.deepEqual(response.body.policy.scopes, []);
  assert.deepEqual(response.body.policy.roles.map((r: { role_id: string }) => r.role_id), ['stytch_user']);
  assert.deepEqual(response.body.policy.roles[0].permissions, []);
  assert.equal(response.body.policy_version, 1);
});

test('PUT replaces the policy and GET gives back exactly what was put, in the same key order', async () => {
  const project = await projectWithPolicy();
  const response = await server.api(project, 'GET', '/v1/rbac/policy');
  assert.deepEqual(response.body.policy, DOCUMENTS_POLICY);
  assert.equal(JSON.stringify(response.body.policy), JSON.stringify(DOCUMENTS_POLICY));
  assert.equal(response.body.policy_version, 2);
});

test('a policy exported from Stytch (the GET response as it is) imports unchanged', async () => {
  const project = await server.createProject();
  const exported = { request_id: 'request-id-test-x', status_code: 200, policy: { ...DOCUMENTS_POLICY, scopes: [{ scope: 'read:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] }] } };
  const put = await server.api(project, 'PUT', '/v1/rbac/policy', exported);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual((await server.api(project, 'GET', '/v1/rbac/policy')).body.policy, exported.policy);
  // Round trip: what GET returns can be PUT back with no change.
  const again = await server.api(project, 'PUT', '/v1/rbac/policy', await server.api(project, 'GET', '/v1/rbac/policy').then((r) => r.body));
  assert.equal(again.body.written, false);
  assert.deepEqual(again.body.changes, []);
});

test('the bare policy shape is accepted too, with descriptions and scopes optional', async () => {
  const project = await server.createProject();
  const put = await server.api(project, 'PUT', '/v1/rbac/policy', {
    resources: [{ resource_id: 'reports', actions: ['view'] }],
    roles: [{ role_id: 'stytch_user', permissions: [] }, { role_id: 'analyst', permissions: [{ resource_id: 'reports', actions: ['view'] }] }],
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.policy.resources[0].description, '');
  assert.deepEqual(put.body.policy.scopes, []);
});

describe('invalid policies are refused whole, with the Stytch error type and nothing written', () => {
  const cases: [string, object, string][] = [
    ['permission on an unknown resource', { ...DOCUMENTS_POLICY, roles: [...DOCUMENTS_POLICY.roles, { role_id: 'x', description: '', permissions: [{ resource_id: 'nope', actions: ['read'] }] }] }, 'invalid_permission_resource'],
    ['undeclared action', { ...DOCUMENTS_POLICY, roles: [...DOCUMENTS_POLICY.roles, { role_id: 'x', description: '', permissions: [{ resource_id: 'documents', actions: ['share'] }] }] }, 'invalid_permission_action'],
    ['duplicate role', { ...DOCUMENTS_POLICY, roles: [...DOCUMENTS_POLICY.roles, DOCUMENTS_POLICY.roles[1]!] }, 'rbac_role_duplicate'],
    ['stytch-prefixed resource', { ...DOCUMENTS_POLICY, resources: [...DOCUMENTS_POLICY.resources, { resource_id: 'stytch.member', description: '', actions: ['read'] }] }, 'invalid_stytch_prefixed_resource'],
    ['missing default role', { ...DOCUMENTS_POLICY, roles: DOCUMENTS_POLICY.roles.slice(1) }, 'invalid_rbac_stytch_role_edit'],
    ['wrong shape', { resources: 'documents', roles: [] }, 'invalid_policy_format'],
  ];
  for (const [name, policy, errorType] of cases) {
    test(name, async () => {
      const project = await projectWithPolicy();
      const body = expectError(await server.api(project, 'PUT', '/v1/rbac/policy', { policy }), 400, errorType);
      assert.ok(Array.isArray(body.error_details.issues) && body.error_details.issues.length > 0);
      assert.equal(await version(project), 2);
      assert.deepEqual((await server.api(project, 'GET', '/v1/rbac/policy')).body.policy, DOCUMENTS_POLICY);
    });
  }

  test('every problem is reported, not just the first', async () => {
    const project = await projectWithPolicy();
    const body = expectError(
      await server.api(project, 'PUT', '/v1/rbac/policy', {
        policy: { ...DOCUMENTS_POLICY, roles: [...DOCUMENTS_POLICY.roles, { role_id: 'x', description: '', permissions: [{ resource_id: 'nope', actions: ['a'] }, { resource_id: 'documents', actions: ['share'] }] }] },
      }),
      400,
      'invalid_permission_resource',
    );
    assert.deepEqual(body.error_details.issues.map((i: { code: string }) => i.code).sort(), ['invalid_permission_action', 'invalid_permission_resource']);
  });
});

test('resources: create, update, delete, each a new version', async () => {
  const project = await projectWithPolicy();
  const created = await server.api(project, 'POST', '/v1/rbac/policy/resources', { resource_id: 'folders', description: 'Folders', actions: ['open'] });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.policy_version, 3);
  assert.deepEqual(created.body.changes.map((c: { summary: string }) => c.summary), ['+ resource folders (open)']);
  expectError(await server.api(project, 'POST', '/v1/rbac/policy/resources', { resource_id: 'folders', actions: ['x'] }), 409, 'rbac_resource_duplicate');
  expectError(await server.api(project, 'POST', '/v1/rbac/policy/resources', { resource_id: 'bad', actions: [] }), 400, 'rbac_resource_missing_actions');

  const updated = await server.api(project, 'PUT', '/v1/rbac/policy/resources/folders', { actions: ['open', 'close'], description: 'All folders' });
  assert.equal(updated.status, 200);
  assert.deepEqual(updated.body.policy.resources.find((r: { resource_id: string }) => r.resource_id === 'folders'), { resource_id: 'folders', description: 'All folders', actions: ['open', 'close'] });

  const deleted = await server.api(project, 'DELETE', '/v1/rbac/policy/resources/folders');
  assert.equal(deleted.status, 200);
  assert.equal(deleted.body.policy_version, 5);
  assert.ok(!deleted.body.policy.resources.some((r: { resource_id: string }) => r.resource_id === 'folders'));
  expectError(await server.api(project, 'DELETE', '/v1/rbac/policy/resources/folders'), 404, 'rbac_resource_not_found');
});

test('a resource or action still used by a role is not removed unless asked to cascade', async () => {
  const project = await projectWithPolicy();
  const refused = expectError(await server.api(project, 'DELETE', '/v1/rbac/policy/resources/documents'), 409, 'rbac_resource_in_use');
  assert.match(refused.error_message, /stytch_user|editor|admin/);
  expectError(await server.api(project, 'PUT', '/v1/rbac/policy/resources/documents', { actions: ['create', 'read', 'delete'] }), 409, 'rbac_action_in_use');
  assert.equal(await version(project), 2);

  // Removing an action only the wildcard covers needs no cascade.
  const narrowed = await server.api(project, 'PUT', '/v1/rbac/policy/resources/documents', { actions: ['create', 'read', 'update'] });
  assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));

  const cascaded = await server.api(project, 'PUT', '/v1/rbac/policy/resources/documents?cascade=true', { actions: ['read', 'update'] });
  assert.equal(cascaded.status, 200, JSON.stringify(cascaded.body));
  const editor = cascaded.body.policy.roles.find((r: { role_id: string }) => r.role_id === 'editor');
  assert.deepEqual(editor.permissions, [{ resource_id: 'documents', actions: ['update'] }]);

  const gone = await server.api(project, 'DELETE', '/v1/rbac/policy/resources/documents?cascade=true');
  assert.equal(gone.status, 200);
  assert.ok(gone.body.policy.roles.every((r: { permissions: { resource_id: string }[] }) => r.permissions.every((p) => p.resource_id !== 'documents')));
});

test('roles: create, update, delete; a held role is removed only with cascade, which revokes it', async () => {
  const project = await projectWithPolicy();
  const created = await server.api(project, 'POST', '/v1/rbac/policy/roles', { role_id: 'reviewer', description: 'Reviews', permissions: [{ resource_id: 'documents', actions: ['read', 'update'] }] });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  expectError(await server.api(project, 'POST', '/v1/rbac/policy/roles', { role_id: 'reviewer' }), 409, 'rbac_role_duplicate');
  expectError(await server.api(project, 'POST', '/v1/rbac/policy/roles', { role_id: 'stytch_custom' }), 400, 'invalid_rbac_custom_role');

  const userId = await createUser(project, ['reviewer', 'editor']);
  const held = expectError(await server.api(project, 'DELETE', '/v1/rbac/policy/roles/reviewer'), 409, 'rbac_role_in_use');
  assert.deepEqual(held.error_details.assignments, [{ role_id: 'reviewer', count: 1 }]);

  const dryRun = await server.api(project, 'DELETE', '/v1/rbac/policy/roles/reviewer?cascade=true&dry_run=true');
  assert.equal(dryRun.body.written, false);
  assert.deepEqual(dryRun.body.revoked_assignments, [{ role_id: 'reviewer', count: 1 }]);
  assert.deepEqual((await server.api(project, 'GET', `/v1/users/${userId}`)).body.roles, ['stytch_user', 'editor', 'reviewer']);

  const removed = await server.api(project, 'DELETE', '/v1/rbac/policy/roles/reviewer?cascade=true');
  assert.equal(removed.status, 200);
  assert.deepEqual((await server.api(project, 'GET', `/v1/users/${userId}`)).body.roles, ['stytch_user', 'editor']);
  expectError(await server.api(project, 'PUT', '/v1/rbac/policy/roles/reviewer', { description: 'x' }), 404, 'rbac_role_not_found');

  // PUT of a whole policy that drops a held role follows the same rule.
  expectError(
    await server.api(project, 'PUT', '/v1/rbac/policy', { policy: { ...DOCUMENTS_POLICY, roles: DOCUMENTS_POLICY.roles.filter((r) => r.role_id !== 'editor') } }),
    409,
    'rbac_role_in_use',
  );
});

test('the default role cannot be deleted, but its permissions can be edited', async () => {
  const project = await projectWithPolicy();
  expectError(await server.api(project, 'DELETE', '/v1/rbac/policy/roles/stytch_user'), 400, 'invalid_rbac_stytch_role_edit');
  const userId = await createUser(project);
  assert.equal((await authorize(project, userId, 'images', 'read')).authorized, false);
  const edited = await server.api(project, 'PUT', '/v1/rbac/policy/roles/stytch_user', { permissions: [{ resource_id: 'images', actions: ['read'] }] });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  assert.deepEqual(await authorize(project, userId, 'images', 'read'), { authorized: true, granting_roles: ['stytch_user'] });
  // Replaced, not merged: documents:read is gone.
  assert.equal((await authorize(project, userId, 'documents', 'read')).authorized, false);
});

test('the wildcard covers actions added later, and a policy change is seen by the next check', async () => {
  const project = await projectWithPolicy();
  const userId = await createUser(project, ['admin']);
  assert.equal((await authorize(project, userId, 'documents', 'archive')).authorized, false);
  await server.api(project, 'PUT', '/v1/rbac/policy/resources/documents', { actions: ['create', 'read', 'update', 'delete', 'archive'] });
  assert.deepEqual(await authorize(project, userId, 'documents', 'archive'), { authorized: true, granting_roles: ['admin'] });
  assert.deepEqual(await authorize(project, userId, 'documents', 'read'), { authorized: true, granting_roles: ['stytch_user', 'admin'] });
  assert.deepEqual(await authorize(project, userId, 'unknown', 'read'), { authorized: false, granting_roles: [] });
});

test('dry run reports the changes and writes nothing', async () => {
  const project = await projectWithPolicy();
  const next = { ...DOCUMENTS_POLICY, resources: [...DOCUMENTS_POLICY.resources, { resource_id: 'tags', description: '', actions: ['add'] }] };
  const dry = await server.api(project, 'PUT', '/v1/rbac/policy?dry_run=true', { policy: next });
  assert.equal(dry.status, 200);
  assert.equal(dry.body.written, false);
  assert.deepEqual(dry.body.changes.map((c: { type: string }) => c.type), ['resource_added']);
  assert.equal(await version(project), 2);
});

test('concurrent writes are serialized: every change lands, one version each', async () => {
  const project = await projectWithPolicy();
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => server.api(project, 'POST', '/v1/rbac/policy/roles', { role_id: `role-${i}`, permissions: [] })),
  );
  assert.ok(results.every((r) => r.status === 200));
  assert.deepEqual(results.map((r) => r.body.policy_version).sort((a, b) => a - b), [3, 4, 5, 6, 7, 8]);
  const roles = (await server.api(project, 'GET', '/v1/rbac/policy')).body.policy.roles.map((r: { role_id: string }) => r.role_id);
  for (let i = 0; i < 6; i++) assert.ok(roles.includes(`role-${i}`));
});

test('policy writes of one project do not touch another', async () => {
  const a = await projectWithPolicy();
  const b = await server.createProject();
  await server.api(a, 'POST', '/v1/rbac/policy/roles', { role_id: 'only-in-a' });
  const bPolicy = (await server.api(b, 'GET', '/v1/rbac/policy')).body;
  assert.equal(bPolicy.policy_version, 1);
  expectError(await server.api(b, 'POST', '/v1/users', { roles: ['only-in-a'] }), 400, 'invalid_rbac_role_id');
});

test('another server process on the same PostgreSQL sees a policy change within a second', async (t) => {
  if (server.database.kind !== 'postgres') return t.skip('PGlite is one process: cross-process invalidation needs PostgreSQL');
  const otherDb = await openPostgres({ url: process.env.DATABASE_URL!, schema: server.database.schema });
  const other = await startTestServer({ database: { db: otherDb, kind: 'postgres', dispose: () => otherDb.close() } });
  try {
    const project = await projectWithPolicy();
    const userId = await createUser(project, ['editor']);
    const check = () =>
      other.api(project, 'POST', '/v1/rbac/authorize', { user_id: userId, authorization_check: { resource_id: 'images', action: 'upload' } });
    // Warm the other process's cache, then change the policy through the first process.
    assert.equal((await check()).body.verdict.authorized, false);
    await server.api(project, 'PUT', '/v1/rbac/policy/roles/editor', { permissions: [{ resource_id: 'images', actions: ['upload'] }] });
    const started = Date.now();
    let authorized = false;
    while (!authorized && Date.now() - started < 1000) {
      authorized = (await check()).body.verdict.authorized;
      if (!authorized) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(authorized, 'the other process saw the new policy within a second');
  } finally {
    await other.close();
    await otherDb.close().catch(() => {});
  }
});
