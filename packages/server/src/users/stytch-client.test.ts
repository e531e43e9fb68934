// The official `stytch` npm client (v14) against a started Gatehouse: users.create / get / update /
// search / searchAll / delete, rbac.policy, and server errors arriving as the client's StytchError.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StytchError } from 'stytch';
import type { ProjectCredentials } from '../projects/service.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { consumerClient } from '../testing/stytch-clients.ts';

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits documents', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'admin', description: 'Administers documents', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
  ],
};

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server?.close();
});

function clientFor(credentials: { project_id: string; secret: string }) {
  return consumerClient(server, credentials);
}

async function projectWithPolicy(): Promise<ProjectCredentials> {
  const credentials = await server.createProject();
  const response = await server.api(credentials, 'PUT', '/v1/rbac/policy', { policy: POLICY });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return credentials;
}

/** Awaits a call that must fail with a StytchError of this status and error_type. */
async function rejectsWith(call: Promise<unknown>, status: number, errorType: string): Promise<StytchError> {
  try {
    const result = await call;
    assert.fail(`expected ${status} ${errorType}, got success ${JSON.stringify(result)}`);
  } catch (error) {
    if (!(error instanceof StytchError)) throw error;
    assert.equal(error.error_type, errorType, error.message);
    assert.equal(error.status_code, status);
    assert.match(error.request_id, /^request-id-test-/);
    assert.equal(typeof error.error_message, 'string');
    assert.match(error.error_url, new RegExp(`#${errorType}$`));
    return error;
  }
}

const sorted = (values: readonly string[]) => [...values].sort();

describe('the official stytch client', () => {
  test('rbac.policy returns the policy as written', async () => {
    const credentials = await projectWithPolicy();
    const { policy, status_code } = await clientFor(credentials).rbac.policy();
    assert.equal(status_code, 200);
    assert.ok(policy);
    assert.deepEqual(policy.resources, POLICY.resources);
    assert.deepEqual(sorted(policy.roles.map((role) => role.role_id)), ['admin', 'editor', 'stytch_user']);
    const editor = policy.roles.find((role) => role.role_id === 'editor');
    assert.deepEqual(editor?.permissions, [{ resource_id: 'documents', actions: ['read', 'write'] }]);
    assert.deepEqual(policy.scopes, []);
  });

  test('users.create with roles, users.get, users.update roles, users.delete', async () => {
    const credentials = await projectWithPolicy();
    const client = clientFor(credentials);

    const created = await client.users.create({
      email: 'sdk.user@example.com',
      name: { first_name: 'Sdk', last_name: 'User' },
      roles: ['editor'],
      trusted_metadata: { tier: 'gold' },
      external_id: 'sdk-1',
    });
    assert.equal(created.status_code, 200);
    assert.match(created.user_id, /^user-test-/);
    assert.match(created.email_id, /^email-test-/);
    assert.equal(created.status, 'active');
    assert.equal(created.user.user_id, created.user_id);
    assert.deepEqual(sorted(created.user.roles), ['editor', 'stytch_user']);
    assert.deepEqual(created.user.trusted_metadata, { tier: 'gold' });

    const got = await client.users.get({ user_id: created.user_id });
    assert.equal(got.user_id, created.user_id);
    assert.deepEqual(got.emails, [{ email_id: created.email_id, email: 'sdk.user@example.com', verified: false }]);
    assert.deepEqual(got.name, { first_name: 'Sdk', middle_name: '', last_name: 'User' });
    assert.deepEqual(sorted(got.roles), ['editor', 'stytch_user']);
    assert.equal(got.external_id, 'sdk-1');

    const updated = await client.users.update({ user_id: created.user_id, roles: ['admin', 'editor'], untrusted_metadata: { seen: 1 } });
    assert.equal(updated.user_id, created.user_id);
    assert.deepEqual(sorted(updated.user.roles), ['admin', 'editor', 'stytch_user']);
    assert.deepEqual(updated.user.trusted_metadata, { tier: 'gold' });
    assert.deepEqual(updated.user.untrusted_metadata, { seen: 1 });
    assert.deepEqual(sorted((await client.users.get({ user_id: created.user_id })).roles), ['admin', 'editor', 'stytch_user']);

    const replaced = await client.users.update({ user_id: created.user_id, roles: ['admin'] });
    assert.deepEqual(sorted(replaced.user.roles), ['admin', 'stytch_user']);

    // The client sends DELETE with `Content-Type: application/json` and a `{}` body.
    const deleted = await client.users.delete({ user_id: created.user_id });
    assert.equal(deleted.user_id, created.user_id);
    assert.equal(deleted.status_code, 200);
    await rejectsWith(client.users.get({ user_id: created.user_id }), 404, 'user_not_found');
    await rejectsWith(client.users.delete({ user_id: created.user_id }), 404, 'user_not_found');
  });

  test('users.search with filters and a cursor', async () => {
    const credentials = await projectWithPolicy();
    const client = clientFor(credentials);
    const editors: string[] = [];
    for (let i = 0; i < 3; i++) editors.push((await client.users.create({ email: `ed${i}@example.com`, roles: ['editor'] })).user_id);
    const plain = (await client.users.create({ email: 'plain@example.com', create_user_as_pending: true })).user_id;

    const byRole = await client.users.search({
      limit: 2,
      query: { operator: 'AND', operands: [{ filter_name: 'roles', filter_value: ['editor'] } as never] },
    });
    assert.equal(byRole.results.length, 2);
    assert.equal(byRole.results_metadata.total, 3);
    assert.ok(byRole.results_metadata.next_cursor);
    const rest = await client.users.search({
      limit: 2,
      cursor: byRole.results_metadata.next_cursor,
      query: { operator: 'AND', operands: [{ filter_name: 'roles', filter_value: ['editor'] } as never] },
    });
    assert.equal(rest.results.length, 1);
    assert.ok(!rest.results_metadata.next_cursor);
    assert.deepEqual(sorted([...byRole.results, ...rest.results].map((user) => user.user_id)), sorted(editors));

    const pending = await client.users.search({ query: { operator: 'AND', operands: [{ filter_name: 'status', filter_value: 'pending' }] } });
    assert.deepEqual(pending.results.map((user) => user.user_id), [plain]);
    assert.equal(pending.results[0]?.status, 'pending');

    const either = await client.users.search({
      query: {
        operator: 'OR',
        operands: [
          { filter_name: 'email_address', filter_value: ['ED0@example.com'] },
          { filter_name: 'user_id', filter_value: [plain] },
        ],
      },
    });
    assert.deepEqual(sorted(either.results.map((user) => user.user_id)), sorted([editors[0]!, plain]));
  });

  test('users.searchAll walks several pages and sees every user exactly once', async () => {
    const credentials = await projectWithPolicy();
    const client = clientFor(credentials);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await client.users.create({ email: `all${i}@example.com`, roles: i % 2 ? ['admin'] : [] })).user_id);

    const seen: string[] = [];
    let pages = 0;
    for await (const results of client.users.searchAll({ limit: 2 })) {
      pages++;
      assert.ok(results.length <= 2);
      seen.push(...results.map((user) => user.user_id));
    }
    assert.equal(pages, 4);
    assert.equal(seen.length, 7);
    assert.deepEqual(sorted(seen), sorted(made));

    const admins: string[] = [];
    const iterator = client.users.searchAll({
      limit: 1,
      query: { operator: 'AND', operands: [{ filter_name: 'roles', filter_value: ['admin'] } as never] },
    });
    while (iterator.hasNext()) admins.push(...(await iterator.next()).map((user) => user.user_id));
    assert.deepEqual(sorted(admins), sorted(made.filter((_, i) => i % 2)));
  });

  test('server errors arrive as StytchError with Gatehouse’s error_type', async () => {
    const credentials = await projectWithPolicy();
    const client = clientFor(credentials);

    const unknownRole = await rejectsWith(client.users.create({ email: 'ghost@example.com', roles: ['ghost'] }), 400, 'invalid_rbac_role_id');
    assert.match(unknownRole.error_message, /ghost/);
    await rejectsWith(client.users.create({ email: 'ghost@example.com', roles: ['stytch_user'] }), 400, 'cannot_assign_default_rbac_role_id');
    assert.equal((await client.users.search({})).results_metadata.total, 0);

    const { user_id } = await client.users.create({ email: 'dup@example.com', external_id: 'dup' });
    await rejectsWith(client.users.create({ email: 'DUP@example.com' }), 409, 'duplicate_email');
    await rejectsWith(client.users.create({ email: 'other@example.com', external_id: 'dup' }), 409, 'duplicate_user_external_id');
    await rejectsWith(client.users.update({ user_id, roles: ['editor', 'ghost'] }), 400, 'invalid_rbac_role_id');
    assert.deepEqual((await client.users.get({ user_id })).roles, ['stytch_user']);
    await rejectsWith(client.users.get({ user_id: 'not-a-user' }), 400, 'invalid_user_id');
    await rejectsWith(client.users.search({ limit: 5000 }), 400, 'user_search_invalid_limit');
    await rejectsWith(
      client.users.search({ query: { operator: 'AND', operands: [{ filter_name: 'shoe_size', filter_value: 9 } as never] } }),
      400,
      'user_search_filter_name_not_recognized',
    );
    await rejectsWith(client.users.update({ user_id, trusted_metadata: { x: 'y'.repeat(5000) } }), 400, 'metadata_too_large');

    const wrongSecret = clientFor({ project_id: credentials.project_id, secret: `${credentials.secret}x` });
    await rejectsWith(wrongSecret.users.get({ user_id }), 401, 'unauthorized_credentials');
    await rejectsWith(wrongSecret.rbac.policy(), 401, 'unauthorized_credentials');
    const publicToken = clientFor({ project_id: credentials.project_id, secret: credentials.public_token });
    await rejectsWith(publicToken.users.update({ user_id, trusted_metadata: { roles: ['admin'] } }), 401, 'unauthorized_credentials');
    assert.deepEqual((await client.users.get({ user_id })).trusted_metadata, {});
  });
});
