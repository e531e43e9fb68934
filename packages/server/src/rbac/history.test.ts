// Policy history over real HTTP: every write is a version, listed newest first with what it changed;
// one version read back; the diff of two; a rollback is a new version equal to the old one, seen by
// the next session check; B2B alike; another project's history stays its own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatTimestamp } from '../shared/clock.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { B2B_POLICY, B2BProject, expectOk, RFC3339 } from '../testing/b2b.ts';
import { expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const V2 = {
  resources: [{ resource_id: 'documents', description: 'Docs', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Everyone', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
  ],
  scopes: [],
};
// v3: documents gains "delete", editor gets "*", a reports resource and a viewer role appear.
const V3 = {
  resources: [
    { resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] },
    { resource_id: 'reports', description: '', actions: ['view'] },
  ],
  roles: [
    { role_id: 'stytch_user', description: 'Everyone', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
    { role_id: 'viewer', description: '', permissions: [{ resource_id: 'reports', actions: ['view'] }] },
  ],
  scopes: [],
};

const api = (project: ProjectCredentials, method: string, path: string, body?: unknown) => server.api(project, method, path, body);

async function put(project: ProjectCredentials, policy: object, prefix = '/v1/rbac') {
  return expectOk(await api(project, 'PUT', `${prefix}/policy`, { policy }));
}

/** A project with versions 1 (default), 2 (V2) and 3 (V3). */
async function projectWithHistory(): Promise<ProjectCredentials> {
  const project = await server.createProject();
  await put(project, V2);
  await put(project, V3);
  return project;
}

async function signedInUser(project: ProjectCredentials, roles: string[]) {
  const created = expectOk(await api(project, 'POST', '/v1/users', { email: `u${Math.random().toString(36).slice(2)}@example.com`, roles }));
  const user = await server.gatehouse.users.requireUser(project.project_id, created.user_id);
  const at = formatTimestamp(new Date());
  const factor = { type: 'password', delivery_method: 'knowledge', last_authenticated_at: at, created_at: at, updated_at: at };
  const grant = await server.gatehouse.sessions.grant(project.project_id, 'test', user, factor, { session_duration_minutes: 60 });
  return { userId: user.user_id, token: grant.session_token };
}

describe('policy versions', () => {
  test('each write that changes the policy adds a version, listed newest first with what it changed', async () => {
    const project = await server.createProject();
    let list = expectOk(await api(project, 'GET', '/v1/rbac/policy/versions'));
    assert.deepEqual(list.versions.map((v: { version: number }) => v.version), [1]);
    assert.equal(list.policy_version, 1);
    assert.deepEqual(list.versions[0].summary, {
      resource_count: 0,
      role_count: 1,
      resources: { added: [], removed: [], changed: [] },
      roles: { added: ['stytch_user'], removed: [], changed: [] },
    });

    await put(project, V2);
    await put(project, V2); // no change: no version
    await put(project, V3);
    list = expectOk(await api(project, 'GET', '/v1/rbac/policy/versions'));
    assert.deepEqual(list.versions.map((v: { version: number }) => v.version), [3, 2, 1]);
    assert.equal(list.policy_version, 3);
    assert.equal(list.next_cursor, null);
    for (const entry of list.versions) assert.match(entry.created_at, RFC3339);
    assert.deepEqual(list.versions[0].summary, {
      resource_count: 2,
      role_count: 3,
      resources: { added: ['reports'], removed: [], changed: ['documents'] },
      roles: { added: ['viewer'], removed: [], changed: ['editor'] },
    });
    assert.deepEqual(list.versions[1].summary, {
      resource_count: 1,
      role_count: 2,
      resources: { added: ['documents'], removed: [], changed: [] },
      roles: { added: ['editor'], removed: [], changed: ['stytch_user'] },
    });
  });

  test('pages follow the cursor; bad limits and cursors are 400s', async () => {
    const project = await projectWithHistory();
    const first = expectOk(await api(project, 'GET', '/v1/rbac/policy/versions?limit=2'));
    assert.deepEqual(first.versions.map((v: { version: number }) => v.version), [3, 2]);
    assert.equal(first.next_cursor, '2');
    const second = expectOk(await api(project, 'GET', `/v1/rbac/policy/versions?limit=2&cursor=${first.next_cursor}`));
    assert.deepEqual(second.versions.map((v: { version: number }) => v.version), [1]);
    assert.equal(second.next_cursor, null);
    // The last entry of a page is still summarized against its predecessor on the next page.
    assert.deepEqual(first.versions[1].summary.roles.added, ['editor']);
    for (const bad of ['limit=0', 'limit=101', 'limit=two', 'cursor=x', 'cursor=-1']) {
      expectError(await api(project, 'GET', `/v1/rbac/policy/versions?${bad}`), 400, 'invalid_argument');
    }
  });

  test('one version reads back as GET /policy gave it then', async () => {
    const project = await projectWithHistory();
    const v2 = expectOk(await api(project, 'GET', '/v1/rbac/policy/versions/2'));
    assert.deepEqual(v2.policy, V2);
    assert.equal(v2.policy_version, 2);
    assert.deepEqual(expectOk(await api(project, 'GET', '/v1/rbac/policy/versions/3')).policy, expectOk(await api(project, 'GET', '/v1/rbac/policy')).policy);
    expectError(await api(project, 'GET', '/v1/rbac/policy/versions/4'), 404, 'rbac_policy_version_not_found');
    expectError(await api(project, 'GET', '/v1/rbac/policy/versions/0'), 400, 'invalid_argument');
    expectError(await api(project, 'GET', '/v1/rbac/policy/versions/abc'), 400, 'invalid_argument');
    expectError(await api(project, 'GET', '/v1/rbac/policy/versions/99999999999'), 400, 'invalid_argument');
  });
});

describe('policy diff', () => {
  test('lists exactly the changes between two versions, by resource and role', async () => {
    const project = await projectWithHistory();
    const body = expectOk(await api(project, 'GET', '/v1/rbac/policy/diff?from=2&to=3'));
    assert.equal(body.from, 2);
    assert.equal(body.to, 3);
    assert.deepEqual(body.diff, {
      resources: {
        added: [V3.resources[1]],
        removed: [],
        changed: [{ resource_id: 'documents', description: { before: 'Docs', after: 'Documents' }, actions_added: ['delete'], actions_removed: [] }],
      },
      roles: {
        added: [V3.roles[2]],
        removed: [],
        changed: [{ role_id: 'editor', gained: [{ resource_id: 'documents', actions: ['*'] }], lost: [{ resource_id: 'documents', actions: ['write'] }] }],
      },
      scopes: { added: [], removed: [], changed: [] },
    });
    assert.deepEqual(body.changes.map((change: { summary: string }) => change.summary), [
      '~ resource documents description: "Docs" → "Documents"',
      '+ action documents:delete',
      '+ resource reports (view)',
      '- documents:write from role editor',
      '+ documents:* to role editor',
      '+ role viewer (reports:view)',
    ]);
    // Backwards is the reverse; `to` defaults to the current version; a version with itself is empty.
    const back = expectOk(await api(project, 'GET', '/v1/rbac/policy/diff?from=3&to=2')).diff;
    assert.deepEqual(back.resources.removed.map((r: { resource_id: string }) => r.resource_id), ['reports']);
    assert.deepEqual(back.roles.removed.map((r: { role_id: string }) => r.role_id), ['viewer']);
    assert.deepEqual(expectOk(await api(project, 'GET', '/v1/rbac/policy/diff?from=2')).diff, body.diff);
    assert.deepEqual(expectOk(await api(project, 'GET', '/v1/rbac/policy/diff?from=3&to=3')).changes, []);
  });

  test('unknown versions are 404s, missing or malformed ones 400s', async () => {
    const project = await projectWithHistory();
    expectError(await api(project, 'GET', '/v1/rbac/policy/diff?from=1&to=9'), 404, 'rbac_policy_version_not_found');
    expectError(await api(project, 'GET', '/v1/rbac/policy/diff?to=2'), 400, 'invalid_argument');
    expectError(await api(project, 'GET', '/v1/rbac/policy/diff?from=one'), 400, 'invalid_argument');
  });
});

describe('rollback', () => {
  test('makes a new version equal to the old one, and the next session check sees it', async () => {
    const project = await projectWithHistory();
    const { token } = await signedInUser(project, ['viewer']);
    const check = (resource_id: string, action: string) =>
      api(project, 'POST', '/v1/sessions/authenticate', { session_token: token, authorization_check: { resource_id, action } });
    assert.equal((await check('reports', 'view')).status, 200);
    expectError(await check('documents', 'write'), 403, 'consumer_session_authorization_error');

    // Back to version 2 would remove viewer, which the user holds: refused like the PUT, unless cascade.
    expectError(await api(project, 'POST', '/v1/rbac/policy/versions/2/rollback'), 409, 'rbac_role_in_use');
    const dry = expectOk(await api(project, 'POST', '/v1/rbac/policy/versions/2/rollback?cascade=true&dry_run=true'));
    assert.equal(dry.written, false);
    assert.deepEqual(dry.revoked_assignments, [{ role_id: 'viewer', count: 1 }]);
    assert.equal(expectOk(await api(project, 'GET', '/v1/rbac/policy')).policy_version, 3, 'nothing written');

    const rolled = expectOk(await api(project, 'POST', '/v1/rbac/policy/versions/2/rollback?cascade=true'));
    assert.equal(rolled.written, true);
    assert.equal(rolled.policy_version, 4);
    assert.equal(rolled.rolled_back_to, 2);
    assert.deepEqual(rolled.policy, V2);
    assert.deepEqual(expectOk(await api(project, 'GET', '/v1/rbac/policy/versions/4')).policy, expectOk(await api(project, 'GET', '/v1/rbac/policy/versions/2')).policy);
    expectError(await check('reports', 'view'), 403, 'consumer_session_authorization_error');
    assert.deepEqual((await check('documents', 'read')).body.verdict, { authorized: true, granting_roles: ['stytch_user'] });
    const list = expectOk(await api(project, 'GET', '/v1/rbac/policy/versions?limit=1'));
    assert.deepEqual(list.versions[0].summary.roles.removed, ['viewer']);

    // Forward again to version 3: viewer is back (unassigned now), editor has "*" again.
    const forward = expectOk(await api(project, 'POST', '/v1/rbac/policy/versions/3/rollback'));
    assert.equal(forward.policy_version, 5);
    assert.deepEqual(forward.policy, V3);
    // Rolling back to what is current writes nothing.
    const same = expectOk(await api(project, 'POST', '/v1/rbac/policy/versions/5/rollback'));
    assert.equal(same.written, false);
    assert.equal(same.policy_version, 5);
    expectError(await api(project, 'POST', '/v1/rbac/policy/versions/6/rollback'), 404, 'rbac_policy_version_not_found');
  });

  test('B2B: versions, diff and rollback under /v1/b2b/rbac; the consumer policy is another history', async () => {
    const project = await B2BProject.create(server, null);
    await project.putPolicy(B2B_POLICY);
    const withoutAuditor = { ...B2B_POLICY, roles: B2B_POLICY.roles.filter((role) => role.role_id !== 'auditor') };
    await project.putPolicy(withoutAuditor);
    const list = expectOk(await project.api('GET', '/v1/b2b/rbac/policy/versions'));
    assert.deepEqual(list.versions.map((v: { version: number }) => v.version), [3, 2, 1]);
    assert.deepEqual(list.versions[0].summary.roles, { added: [], removed: ['auditor'], changed: [] });
    assert.equal(list.versions[2].summary.resource_count, 5, 'the built-in resources');
    const diff = expectOk(await project.api('GET', '/v1/b2b/rbac/policy/diff?from=1&to=2')).diff;
    assert.deepEqual(diff.roles.added.map((r: { role_id: string }) => r.role_id), ['editor', 'viewer', 'auditor']);

    const rolled = expectOk(await project.api('POST', '/v1/b2b/rbac/policy/versions/2/rollback'));
    assert.equal(rolled.policy_version, 4);
    assert.deepEqual(rolled.policy, expectOk(await project.api('GET', '/v1/b2b/rbac/policy/versions/2')).policy);
    assert.deepEqual(expectOk(await project.api('GET', '/v1/rbac/policy/versions')).versions.map((v: { version: number }) => v.version), [1]);
  });

  test("another project's history is not reachable", async () => {
    const mine = await projectWithHistory();
    const other = await server.createProject();
    expectError(await api(other, 'GET', '/v1/rbac/policy/versions/3'), 404, 'rbac_policy_version_not_found');
    expectError(await api(other, 'POST', '/v1/rbac/policy/versions/3/rollback'), 404, 'rbac_policy_version_not_found');
    expectError(await api(other, 'GET', '/v1/rbac/policy/diff?from=1&to=3'), 404, 'rbac_policy_version_not_found');
    assert.deepEqual(expectOk(await api(other, 'GET', '/v1/rbac/policy/versions')).versions.map((v: { version: number }) => v.version), [1]);
    assert.equal(expectOk(await api(mine, 'GET', '/v1/rbac/policy')).policy_version, 3);
  });
});
