// Every endpoint that takes a body, fed malformed, oversize and wrong-typed input: a 4xx in the
// Stytch envelope every time, never a 500, and nothing written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, expectError, startTestServer, type TestServer } from '../testing/harness.ts';

let server: TestServer;
let project: ProjectCredentials;
let userId: string;
let secretId: string;

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
  ],
  scopes: [],
};

before(async () => {
  server = await startTestServer({ env: { GATEHOUSE_BODY_LIMIT: '16384' } });
  project = await server.createProject();
  assert.equal((await server.api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY })).status, 200);
  const user = await server.api(project, 'POST', '/v1/users', { email: 'kept@example.com', roles: ['editor'], trusted_metadata: { plan: 'pro' } });
  userId = user.body.user_id;
  secretId = (await server.api(project, 'GET', '/v1/project/secrets')).body.secrets[0].secret_id;
});
after(() => server.close());

/**
 * The state a refused request must leave as it was: a digest of every row of the project in every
 * table a request can write (one query, so it can run after each refusal).
 */
const PROJECT_TABLES = [
  'users', 'user_emails', 'user_phone_numbers', 'user_roles', 'rbac_policy_versions', 'rbac_policy_heads',
  'project_secrets', 'sessions', 'signing_keys', 'user_passwords', 'user_lockouts', 'email_tokens', 'email_outbox',
  'organizations', 'organization_email_role_rules', 'members', 'member_roles', 'member_passwords', 'sso_connections', 'sso_registrations',
];
async function snapshot() {
  const digests = PROJECT_TABLES.map((table) => `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ${table} t WHERE project_id = $1) AS ${table}`);
  const { rows } = await server.gatehouse.db.query<Record<string, string>>(`SELECT ${digests.join(', ')}`, [project.project_id]);
  return rows[0]!;
}

function concretePath(url: string): string {
  return url
    .replace(':user_id', userId)
    .replace(':resource_id', 'documents')
    .replace(':role_id', 'editor')
    .replace(':secret_id', secretId);
}

// The SCIM 2.0 service's routes take a connection's bearer token, not the secret, and refuse a caller
// without one before reading its body; http/malformed-input.test.ts feeds them bodies with a real token.
function bodyRoutes() {
  return server.gatehouse.app.routeTable
    .filter((route) => ['POST', 'PUT', 'DELETE'].includes(route.method) && route.url.startsWith('/v1/') && !route.scim)
    .map((route) => ({ method: route.method, path: concretePath(route.url) }));
}

const send = (method: string, path: string, body: string, contentType = 'application/json') =>
  server.raw(path, { method, headers: { authorization: basicAuth(project.project_id, project.secret), 'content-type': contentType }, body });

test('there are body-taking routes to walk', () => {
  assert.ok(bodyRoutes().length >= 10, JSON.stringify(bodyRoutes()));
});

test('malformed JSON: 400 bad_request on every endpoint, nothing written', async () => {
  const before = await snapshot();
  for (const { method, path } of bodyRoutes()) {
    for (const body of ['{', '{"a": }', '[1, 2', 'nul', '{"roles": ["x",]}']) {
      const response = await send(method, path, body);
      expectError(response, 400, 'bad_request');
    }
  }
  assert.deepEqual(await snapshot(), before);
});

test('oversize bodies: 413 request_too_large on every endpoint, nothing written', async () => {
  const before = await snapshot();
  const big = JSON.stringify({ resource_id: 'r', role_id: 'r', email: 'x@y.zz', policy: POLICY, untrusted_metadata: { blob: 'x'.repeat(20_000) } });
  for (const { method, path } of bodyRoutes()) expectError(await send(method, path, big), 413, 'request_too_large');
  assert.deepEqual(await snapshot(), before);
});

test('wrong content type: 415 on every endpoint', async () => {
  for (const { method, path } of bodyRoutes()) expectError(await send(method, path, 'a=1', 'text/plain'), 415, 'unsupported_content_type');
});

test('wrong-typed JSON never causes a 500, and a refused write changes nothing', async () => {
  const bodies: unknown[] = [
    null, [], 'text', 42, true,
    { roles: 'editor' }, { roles: [1] }, { roles: ['ghost'] }, { roles: ['stytch_user'] }, { email: ['a@b.cc'] },
    { name: 'Ada' }, { name: { first_name: 7 } }, { trusted_metadata: [] }, { untrusted_metadata: 'x' },
    { external_id: 'has space' }, { limit: 'ten' }, { limit: 0 }, { cursor: 5 }, { query: { operands: 'x' } },
    { query: { operator: 'XOR', operands: [] } }, { query: { operands: [{ filter_name: 'status', filter_value: 'gone' }] } },
    { resource_id: 5, actions: 'read' }, { resource_id: '', actions: ['read'] }, { resource_id: 'stytch.x', actions: ['a'] },
    { role_id: null }, { role_id: 'x', permissions: [{ resource_id: 'documents' }] }, { role_id: 'x', permissions: [{ resource_id: 'nope', actions: ['read'] }] },
    { actions: [] }, { actions: ['*'] }, { permissions: 'all' }, { description: 'x'.repeat(600) },
    { policy: null }, { policy: { resources: {}, roles: [] } }, { policy: { resources: [], roles: [] } },
    { user_id: userId, authorization_check: { resource_id: 5 } }, { user_id: 'nope', authorization_check: { resource_id: 'a', action: 'b' } },
  ];
  const before = await snapshot();
  for (const { method, path } of bodyRoutes()) {
    // The secret endpoints take no body: whatever is sent, they act, and revoking would lock us out.
    if (path.includes('/project/secrets')) continue;
    let state = await snapshot();
    for (const body of bodies) {
      const response = await send(method, path.replace(/user-test-[0-9a-f-]{36}/, userId), JSON.stringify(body));
      assert.ok(response.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`);
      if (response.status >= 400) {
        assert.equal(response.body.status_code, response.status);
        assert.equal(typeof response.body.error_type, 'string');
        assert.equal(typeof response.body.error_message, 'string');
        assert.deepEqual(await snapshot(), state, `${method} ${path} ${JSON.stringify(body)} was refused but changed something`);
      } else {
        // A body that happens to be valid (unknown fields are ignored, as Stytch does): put the
        // state back before the next one.
        await restore();
        state = await snapshot();
      }
    }
  }
  // Each refusal was checked above. Valid bodies did write (users, sessions, signing keys, mail)
  // and restore() undid what it could; the secrets, which no body can reach, are as at the start.
  assert.equal((await snapshot()).project_secrets, before.project_secrets);
});

/** Undoes what a wrong-typed but valid body may have done (e.g. `{}` on an update is a no-op, `DELETE` removes). */
async function restore() {
  await server.api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY });
  const others = (await server.api(project, 'POST', '/v1/users/search', {})).body.results.filter((u: { user_id: string }) => u.user_id !== userId);
  for (const other of others) await server.api(project, 'DELETE', `/v1/users/${other.user_id}`);
  const user = await server.api(project, 'GET', `/v1/users/${userId}`);
  if (user.status === 404) {
    const created = await server.api(project, 'POST', '/v1/users', { email: 'kept@example.com', roles: ['editor'], trusted_metadata: { plan: 'pro' } });
    userId = created.body.user_id;
  }
}
