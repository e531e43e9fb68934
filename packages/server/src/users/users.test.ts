// Users over real HTTP: create / get / update / delete, explicit role assignment, duplicates,
// metadata rules, search (filters, operators, cursors), project isolation, bad input, trusted
// metadata behind the project secret, and POST /v1/rbac/authorize.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { basicAuth, expectError, ManualClock, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const USER_ID = /^user-test-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EMAIL_ID = /^email-test-[0-9a-f-]{36}$/;
const PHONE_ID = /^phone-number-test-[0-9a-f-]{36}$/;
const REQUEST_ID = /^request-id-test-[0-9a-f-]{36}$/;

const POLICY = {
  resources: [
    { resource_id: 'documents', description: 'Documents', actions: ['read', 'write', 'delete'] },
    { resource_id: 'billing', description: 'Billing', actions: ['view', 'pay'] },
  ],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits documents', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    {
      role_id: 'admin',
      description: 'Administers',
      permissions: [
        { resource_id: 'documents', actions: ['*'] },
        { resource_id: 'billing', actions: ['view'] },
      ],
    },
    { role_id: 'viewer', description: 'Sees billing', permissions: [{ resource_id: 'billing', actions: ['view'] }] },
  ],
};

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server?.close();
});

// ---------------------------------------------------------------------------------------------
// helpers

function expectOk(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal(response.body.status_code, 200);
  assert.match(response.body.request_id, REQUEST_ID);
  return response.body;
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

async function putPolicy(credentials: ProjectCredentials, policy: unknown = POLICY, srv: TestServer = server): Promise<void> {
  expectOk(await srv.api(credentials, 'PUT', '/v1/rbac/policy', { policy }));
}

async function projectWithPolicy(srv: TestServer = server): Promise<ProjectCredentials> {
  const credentials = await srv.createProject();
  await putPolicy(credentials, POLICY, srv);
  return credentials;
}

async function createUser(credentials: ProjectCredentials, body: Record<string, unknown>, srv: TestServer = server): Promise<any> {
  return expectOk(await srv.api(credentials, 'POST', '/v1/users', body));
}

async function getUser(credentials: ProjectCredentials, userId: string, srv: TestServer = server): Promise<any> {
  return expectOk(await srv.api(credentials, 'GET', `/v1/users/${userId}`));
}

async function updateUser(credentials: ProjectCredentials, userId: string, body: Record<string, unknown>): Promise<any> {
  return expectOk(await server.api(credentials, 'PUT', `/v1/users/${userId}`, body));
}

async function search(credentials: ProjectCredentials, body: unknown, srv: TestServer = server): Promise<any> {
  return expectOk(await srv.api(credentials, 'POST', '/v1/users/search', body));
}

type Operand = { filter_name: string; filter_value: unknown };
const filter = (filter_name: string, filter_value: unknown): Operand => ({ filter_name, filter_value });
const and = (...operands: Operand[]) => ({ operator: 'AND', operands });
const or = (...operands: Operand[]) => ({ operator: 'OR', operands });

/** Every user id a query finds, following cursors; checks each page's total and that no id repeats. */
async function searchIds(credentials: ProjectCredentials, query: unknown, limit = 1000, srv: TestServer = server): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let total: number | undefined;
  for (let page = 0; page < 1000; page++) {
    const body = await search(credentials, { query, limit, ...(cursor ? { cursor } : {}) }, srv);
    total ??= body.results_metadata.total;
    assert.equal(body.results_metadata.total, total, 'total changes between pages');
    assert.ok(body.results.length <= limit);
    ids.push(...body.results.map((user: { user_id: string }) => user.user_id));
    cursor = body.results_metadata.next_cursor;
    if (!cursor) break;
  }
  assert.equal(new Set(ids).size, ids.length, `a user appeared twice: ${ids.join(', ')}`);
  assert.equal(ids.length, total, 'results_metadata.total differs from the number of results');
  return sorted(ids);
}

async function countUsers(credentials: ProjectCredentials): Promise<number> {
  return (await search(credentials, { limit: 1 })).results_metadata.total;
}

async function authorize(credentials: ProjectCredentials, userId: string, resource_id: string, action: string) {
  const body = expectOk(await server.api(credentials, 'POST', '/v1/rbac/authorize', { user_id: userId, authorization_check: { resource_id, action } }));
  assert.equal(body.user_id, userId);
  return body.verdict as { authorized: boolean; granting_roles: string[] };
}

function rawJson(credentials: ProjectCredentials | null, method: string, path: string, body: string, contentType = 'application/json') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (credentials) headers.authorization = basicAuth(credentials.project_id, credentials.secret);
  return server.raw(path, { method, headers, body });
}

const UNKNOWN_USER_ID = 'user-test-00000000-0000-4000-8000-000000000000';

// ---------------------------------------------------------------------------------------------

describe('create, get, update, delete', () => {
  test('create with every field returns Stytch’s response shape, and get returns the same user', async () => {
    const p = await projectWithPolicy();
    const before = Date.now();
    const created = await createUser(p, {
      email: 'Ada.Lovelace@Example.com',
      phone_number: '+12025550123',
      name: { first_name: 'Ada', middle_name: 'King', last_name: 'Lovelace' },
      create_user_as_pending: true,
      trusted_metadata: { plan: 'pro', seats: 5, flags: { beta: true } },
      untrusted_metadata: { theme: 'dark' },
      external_id: 'crm|ada.1',
      roles: ['editor', 'admin'],
    });
    const after = Date.now();

    assert.match(created.user_id, USER_ID);
    assert.match(created.email_id, EMAIL_ID);
    assert.match(created.phone_id, PHONE_ID);
    assert.equal(created.status, 'pending');
    const user = created.user;
    assert.equal(user.user_id, created.user_id);
    assert.equal(user.status, 'pending');
    assert.deepEqual(user.emails, [{ email_id: created.email_id, email: 'Ada.Lovelace@Example.com', verified: false }]);
    assert.deepEqual(user.phone_numbers, [{ phone_id: created.phone_id, phone_number: '+12025550123', verified: false }]);
    assert.deepEqual(user.name, { first_name: 'Ada', middle_name: 'King', last_name: 'Lovelace' });
    assert.deepEqual(user.trusted_metadata, { plan: 'pro', seats: 5, flags: { beta: true } });
    assert.deepEqual(user.untrusted_metadata, { theme: 'dark' });
    assert.equal(user.external_id, 'crm|ada.1');
    assert.deepEqual(sorted(user.roles), ['admin', 'editor', 'stytch_user']);
    assert.match(user.created_at, RFC3339);
    const createdAt = Date.parse(user.created_at);
    assert.ok(createdAt >= Math.floor(before / 1000) * 1000 - 1000 && createdAt <= after + 1000, `created_at ${user.created_at} is not now`);
    for (const list of ['webauthn_registrations', 'providers', 'totps', 'crypto_wallets', 'biometric_registrations']) {
      assert.deepEqual(user[list], [], list);
    }
    assert.equal(user.is_locked, false);

    const got = await getUser(p, created.user_id);
    const { request_id: _r, status_code: _s, ...flat } = got;
    assert.deepEqual(flat, user, 'GET returns the user flattened at the top level, the same as create');
  });

  test('a minimal user is active, holds only stytch_user, and has empty metadata and no external_id', async () => {
    const p = await projectWithPolicy();
    const created = await createUser(p, { email: 'min@example.com' });
    assert.equal(created.status, 'active');
    assert.equal(created.phone_id, '');
    assert.deepEqual(created.user.roles, ['stytch_user']);
    assert.deepEqual(created.user.trusted_metadata, {});
    assert.deepEqual(created.user.untrusted_metadata, {});
    assert.equal(created.user.external_id, null);
    assert.deepEqual(created.user.phone_numbers, []);

    const phoneOnly = await createUser(p, { phone_number: '+447911123456', create_user_as_pending: false });
    assert.equal(phoneOnly.status, 'active');
    assert.equal(phoneOnly.email_id, '');
    assert.deepEqual(phoneOnly.user.emails, []);
    assert.equal(await countUsers(p), 2);
  });

  test('update: name, roles replace the explicit set, metadata merges at the top level with null deleting, external_id', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, {
      email: 'grace@example.com',
      name: { first_name: 'Grace', last_name: 'Hopper' },
      trusted_metadata: { plan: 'pro', seats: 5, prefs: { lang: 'en', tz: 'UTC' } },
      untrusted_metadata: { theme: 'light' },
      external_id: 'ext-grace',
      roles: ['admin', 'editor'],
    });

    const updated = await updateUser(p, user_id, {
      name: { first_name: 'Amazing', middle_name: 'Grace', last_name: 'Hopper' },
      roles: ['viewer', 'editor'],
      trusted_metadata: { seats: null, prefs: { tz: 'EST' }, region: 'eu' },
      external_id: 'ext-grace-2',
    });
    assert.equal(updated.user_id, user_id);
    assert.deepEqual(updated.emails, updated.user.emails);
    assert.deepEqual(updated.phone_numbers, []);
    assert.deepEqual(updated.crypto_wallets, []);
    assert.equal(updated.user.emails[0].email, 'grace@example.com');
    assert.deepEqual(updated.user.name, { first_name: 'Amazing', middle_name: 'Grace', last_name: 'Hopper' });
    assert.deepEqual(sorted(updated.user.roles), ['editor', 'stytch_user', 'viewer']);
    // Top-level merge: seats deleted, prefs replaced whole (not deep-merged), region added, plan kept.
    assert.deepEqual(updated.user.trusted_metadata, { plan: 'pro', prefs: { tz: 'EST' }, region: 'eu' });
    assert.deepEqual(updated.user.untrusted_metadata, { theme: 'light' }, 'untrusted_metadata was not sent, so it is unchanged');
    assert.equal(updated.user.external_id, 'ext-grace-2');

    const got = await getUser(p, user_id);
    assert.deepEqual(sorted(got.roles), ['editor', 'stytch_user', 'viewer']);
    assert.deepEqual(got.trusted_metadata, { plan: 'pro', prefs: { tz: 'EST' }, region: 'eu' });
    assert.equal(got.external_id, 'ext-grace-2');
    assert.equal(got.created_at, updated.user.created_at);

    // Without roles, roles stay; an empty list removes every explicit role but stytch_user remains.
    const nameOnly = await updateUser(p, user_id, { untrusted_metadata: { theme: null, font: 'mono' } });
    assert.deepEqual(sorted(nameOnly.user.roles), ['editor', 'stytch_user', 'viewer']);
    assert.deepEqual(nameOnly.user.untrusted_metadata, { font: 'mono' });
    assert.deepEqual(nameOnly.user.name, { first_name: 'Amazing', middle_name: 'Grace', last_name: 'Hopper' });
    const cleared = await updateUser(p, user_id, { roles: [] });
    assert.deepEqual(cleared.user.roles, ['stytch_user']);
    assert.deepEqual((await getUser(p, user_id)).roles, ['stytch_user']);

    // The old external_id is free again; the new one is taken.
    await createUser(p, { email: 'other@example.com', external_id: 'ext-grace' });
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'third@example.com', external_id: 'ext-grace-2' }), 409, 'duplicate_user_external_id');
  });

  test('update to another user’s external_id is a 409 and changes nothing', async () => {
    const p = await projectWithPolicy();
    await createUser(p, { email: 'one@example.com', external_id: 'taken' });
    const { user_id } = await createUser(p, { email: 'two@example.com', external_id: 'mine', name: { first_name: 'Two' }, roles: ['editor'] });
    expectError(
      await server.api(p, 'PUT', `/v1/users/${user_id}`, { external_id: 'taken', name: { first_name: 'Changed' }, roles: ['admin'], trusted_metadata: { x: 1 } }),
      409,
      'duplicate_user_external_id',
    );
    const got = await getUser(p, user_id);
    assert.equal(got.external_id, 'mine');
    assert.equal(got.name.first_name, 'Two');
    assert.deepEqual(sorted(got.roles), ['editor', 'stytch_user']);
    assert.deepEqual(got.trusted_metadata, {});
  });

  test('delete, then get / update / delete say 404 user_not_found; the email is free again', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'gone@example.com', external_id: 'gone', roles: ['editor'] });
    const keep = await createUser(p, { email: 'keep@example.com' });
    const deleted = expectOk(await server.api(p, 'DELETE', `/v1/users/${user_id}`));
    assert.equal(deleted.user_id, user_id);

    const notFound = expectError(await server.api(p, 'GET', `/v1/users/${user_id}`), 404, 'user_not_found');
    assert.match(notFound.error_message, new RegExp(user_id));
    expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { name: { first_name: 'Zombie' } }), 404, 'user_not_found');
    expectError(await server.api(p, 'DELETE', `/v1/users/${user_id}`), 404, 'user_not_found');
    expectError(await server.api(p, 'POST', '/v1/rbac/authorize', { user_id, authorization_check: { resource_id: 'documents', action: 'read' } }), 404, 'user_not_found');
    assert.deepEqual(await searchIds(p, null), [keep.user_id]);
    assert.deepEqual(await searchIds(p, and(filter('roles', ['editor']))), []);

    const again = await createUser(p, { email: 'GONE@example.com', external_id: 'gone' });
    assert.notEqual(again.user_id, user_id);
    assert.deepEqual(again.user.roles, ['stytch_user'], 'a new user does not inherit the deleted user’s roles');
  });

  test('a malformed user id is 400 invalid_user_id on get, update and delete; a well-formed unknown id is 404', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'ok@example.com' });
    for (const bad of ['not-a-user', 'user-test-123', 'member-test-00000000-0000-4000-8000-000000000000', `${user_id}x`, 'user-prod-00000000-0000-4000-8000-000000000000']) {
      const path = `/v1/users/${encodeURIComponent(bad)}`;
      expectError(await server.api(p, 'GET', path), 400, 'invalid_user_id');
      expectError(await server.api(p, 'PUT', path, { name: { first_name: 'X' } }), 400, 'invalid_user_id');
      expectError(await server.api(p, 'DELETE', path), 400, 'invalid_user_id');
    }
    expectError(
      await server.api(p, 'POST', '/v1/rbac/authorize', { user_id: 'nope', authorization_check: { resource_id: 'documents', action: 'read' } }),
      400,
      'invalid_user_id',
    );
    expectError(await server.api(p, 'GET', `/v1/users/${UNKNOWN_USER_ID}`), 404, 'user_not_found');
    expectError(await server.api(p, 'PUT', `/v1/users/${UNKNOWN_USER_ID}`, { name: { first_name: 'X' } }), 404, 'user_not_found');
    expectError(await server.api(p, 'DELETE', `/v1/users/${UNKNOWN_USER_ID}`), 404, 'user_not_found');
    assert.equal((await getUser(p, user_id)).name.first_name, '');
    assert.equal(await countUsers(p), 1);
  });

  test('invalid email, phone number and external_id are refused and nothing is written', async () => {
    const p = await projectWithPolicy();
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'not-an-email' }), 400, 'invalid_email');
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'a@b.co', phone_number: '2025550123' }), 400, 'invalid_phone_number');
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'a@b.co', external_id: 'has space' }), 400, 'invalid_external_id');
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'a@b.co', external_id: 'x'.repeat(129) }), 400, 'invalid_external_id');
    assert.equal(await countUsers(p), 0);
    const { user_id } = await createUser(p, { email: 'a@b.co', external_id: 'x'.repeat(128) });
    expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { external_id: 'bad/slash' }), 400, 'invalid_external_id');
    assert.equal((await getUser(p, user_id)).external_id, 'x'.repeat(128));
  });
});

describe('role assignment', () => {
  test('explicit roles defined in the policy are assigned on create; duplicates collapse', async () => {
    const p = await projectWithPolicy();
    const created = await createUser(p, { email: 'r@example.com', roles: ['editor', 'editor', 'viewer'] });
    assert.deepEqual(sorted(created.user.roles), ['editor', 'stytch_user', 'viewer']);
    assert.deepEqual(sorted((await getUser(p, created.user_id)).roles), ['editor', 'stytch_user', 'viewer']);
  });

  test('an unknown role id on create is 400 invalid_rbac_role_id and no user is written', async () => {
    const p = await projectWithPolicy();
    const error = expectError(await server.api(p, 'POST', '/v1/users', { email: 'x@example.com', roles: ['editor', 'ghost'] }), 400, 'invalid_rbac_role_id');
    assert.match(error.error_message, /ghost/);
    assert.doesNotMatch(error.error_message, /editor/);
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'x@example.com', roles: ['Editor'] }), 400, 'invalid_rbac_role_id');
    assert.equal(await countUsers(p), 0);
    assert.deepEqual(await searchIds(p, and(filter('email_address', ['x@example.com']))), []);
    // The email was not left behind either: it can be used now.
    const created = await createUser(p, { email: 'x@example.com', roles: ['editor'] });
    assert.deepEqual(sorted(created.user.roles), ['editor', 'stytch_user']);
  });

  test('roles cannot be assigned before the policy defines them', async () => {
    const p = await server.createProject();
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'early@example.com', roles: ['editor'] }), 400, 'invalid_rbac_role_id');
    assert.equal(await countUsers(p), 0);
    await putPolicy(p);
    const created = await createUser(p, { email: 'early@example.com', roles: ['editor'] });
    assert.deepEqual(sorted(created.user.roles), ['editor', 'stytch_user']);
  });

  test('an unknown role id on update is 400 and nothing in the request is written', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'u@example.com', name: { first_name: 'Before' }, roles: ['editor'], trusted_metadata: { a: 1 } });
    expectError(
      await server.api(p, 'PUT', `/v1/users/${user_id}`, {
        roles: ['admin', 'ghost'],
        name: { first_name: 'After' },
        trusted_metadata: { a: 2, b: 3 },
        external_id: 'new-ext',
      }),
      400,
      'invalid_rbac_role_id',
    );
    const got = await getUser(p, user_id);
    assert.deepEqual(sorted(got.roles), ['editor', 'stytch_user']);
    assert.equal(got.name.first_name, 'Before');
    assert.deepEqual(got.trusted_metadata, { a: 1 });
    assert.equal(got.external_id, null);
  });

  test('stytch_user cannot be assigned: 400 cannot_assign_default_rbac_role_id, nothing written', async () => {
    const p = await projectWithPolicy();
    const error = expectError(
      await server.api(p, 'POST', '/v1/users', { email: 'd@example.com', roles: ['stytch_user'] }),
      400,
      'cannot_assign_default_rbac_role_id',
    );
    assert.match(error.error_message, /stytch_user/);
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'd@example.com', roles: ['editor', 'stytch_user'] }), 400, 'cannot_assign_default_rbac_role_id');
    assert.equal(await countUsers(p), 0);

    const { user_id } = await createUser(p, { email: 'd@example.com', roles: ['viewer'] });
    expectError(
      await server.api(p, 'PUT', `/v1/users/${user_id}`, { roles: ['stytch_user', 'admin'], name: { last_name: 'Changed' } }),
      400,
      'cannot_assign_default_rbac_role_id',
    );
    const got = await getUser(p, user_id);
    assert.deepEqual(sorted(got.roles), ['stytch_user', 'viewer']);
    assert.equal(got.name.last_name, '');
  });
});

describe('duplicates', () => {
  test('the same email in any case is 409 duplicate_email and the failed create leaves nothing behind', async () => {
    const p = await projectWithPolicy();
    const first = await createUser(p, { email: 'Grace@Example.com' });
    for (const email of ['grace@example.com', 'GRACE@EXAMPLE.COM', '  grace@example.com  ']) {
      expectError(
        await server.api(p, 'POST', '/v1/users', {
          email,
          phone_number: '+12025550100',
          external_id: `dup-${email.trim().length}`,
          roles: ['editor'],
          trusted_metadata: { k: 1 },
        }),
        409,
        'duplicate_email',
      );
    }
    assert.equal(await countUsers(p), 1);
    assert.deepEqual(await searchIds(p, null), [first.user_id]);
    assert.deepEqual(await searchIds(p, and(filter('roles', ['editor']))), []);
    // Neither the phone number nor the external_id of the failed creates was kept.
    const other = await createUser(p, { email: 'other@example.com', phone_number: '+12025550100', external_id: 'dup-17' });
    assert.equal(other.user.external_id, 'dup-17');
    assert.equal(await countUsers(p), 2);
  });

  test('the same external_id is 409 duplicate_user_external_id and nothing is half-written', async () => {
    const p = await projectWithPolicy();
    const first = await createUser(p, { email: 'a@example.com', external_id: 'crm-42' });
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'b@example.com', external_id: 'crm-42', roles: ['admin'] }), 409, 'duplicate_user_external_id');
    assert.equal(await countUsers(p), 1);
    assert.deepEqual(await searchIds(p, and(filter('email_address', ['b@example.com']))), []);
    assert.deepEqual(await searchIds(p, null), [first.user_id]);
    // b@example.com was not kept by the failed create.
    await createUser(p, { email: 'b@example.com' });
  });

  test('concurrent creates with the same email or external_id: exactly one wins, the rest are 409', async () => {
    const p = await projectWithPolicy();
    const emails = await Promise.all(
      Array.from({ length: 8 }, (_, i) => server.api(p, 'POST', '/v1/users', { email: i % 2 ? 'race@example.com' : 'RACE@example.com', roles: ['editor'] })),
    );
    assert.deepEqual(sorted(emails.map((r) => String(r.status))), ['200', '409', '409', '409', '409', '409', '409', '409']);
    for (const response of emails.filter((r) => r.status === 409)) expectError(response, 409, 'duplicate_email');
    const externals = await Promise.all(
      Array.from({ length: 8 }, (_, i) => server.api(p, 'POST', '/v1/users', { email: `race${i}@example.com`, external_id: 'race-ext' })),
    );
    assert.equal(externals.filter((r) => r.status === 200).length, 1);
    for (const response of externals.filter((r) => r.status !== 200)) expectError(response, 409, 'duplicate_user_external_id');
    assert.equal(await countUsers(p), 2);
    assert.equal((await searchIds(p, and(filter('roles', ['editor'])))).length, 1);
  });

  test('the same phone number is 409 duplicate_phone_number', async () => {
    const p = await projectWithPolicy();
    await createUser(p, { phone_number: '+12025550199' });
    expectError(await server.api(p, 'POST', '/v1/users', { phone_number: '+12025550199', email: 'p@example.com' }), 409, 'duplicate_phone_number');
    assert.equal(await countUsers(p), 1);
  });
});

describe('metadata limits', () => {
  const keys = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));

  test('metadata that is not an object is metadata_invalid_format, on create and on update', async () => {
    const p = await projectWithPolicy();
    for (const field of ['trusted_metadata', 'untrusted_metadata']) {
      for (const value of ['roles=admin', [1, 2], 5, true]) {
        expectError(await server.api(p, 'POST', '/v1/users', { email: 'm@example.com', [field]: value }), 400, 'metadata_invalid_format');
      }
    }
    assert.equal(await countUsers(p), 0);
    const { user_id } = await createUser(p, { email: 'm@example.com', trusted_metadata: { a: 1 }, untrusted_metadata: { b: 2 } });
    for (const field of ['trusted_metadata', 'untrusted_metadata']) {
      for (const value of ['x', ['a'], 0]) {
        expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { [field]: value }), 400, 'metadata_invalid_format');
      }
    }
    const got = await getUser(p, user_id);
    assert.deepEqual(got.trusted_metadata, { a: 1 });
    assert.deepEqual(got.untrusted_metadata, { b: 2 });
  });

  test('concurrent metadata updates merge; none is lost', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'merge@example.com', trusted_metadata: { base: true } });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => server.api(p, 'PUT', `/v1/users/${user_id}`, { trusted_metadata: { [`k${i}`]: i } })),
    );
    for (const response of responses) expectOk(response);
    const expected = { base: true, ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])) };
    assert.deepEqual((await getUser(p, user_id)).trusted_metadata, expected);
  });

  test('at most 20 top-level keys, on create and on the merge result of an update', async () => {
    const p = await projectWithPolicy();
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'k@example.com', trusted_metadata: keys(21) }), 400, 'metadata_too_many_keys');
    expectError(await server.api(p, 'POST', '/v1/users', { email: 'k@example.com', untrusted_metadata: keys(21) }), 400, 'metadata_too_many_keys');
    assert.equal(await countUsers(p), 0);
    const { user_id } = await createUser(p, { email: 'k@example.com', trusted_metadata: keys(15) });
    // 15 existing + 6 new = 21: refused even though the update itself has only 6 keys.
    expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { trusted_metadata: keys(6, 'n'), name: { first_name: 'No' } }), 400, 'metadata_too_many_keys');
    let got = await getUser(p, user_id);
    assert.deepEqual(got.trusted_metadata, keys(15));
    assert.equal(got.name.first_name, '');
    // 15 + 5 new = 20: allowed.
    await updateUser(p, user_id, { trusted_metadata: keys(5, 'n') });
    // 20 - 1 deleted + 1 new = 20: allowed, because nulls delete before the count.
    const swapped = await updateUser(p, user_id, { trusted_metadata: { k0: null, fresh: 'yes' } });
    assert.equal(Object.keys(swapped.user.trusted_metadata).length, 20);
    assert.equal(swapped.user.trusted_metadata.fresh, 'yes');
    assert.equal('k0' in swapped.user.trusted_metadata, false);
    expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { trusted_metadata: { another: 1 } }), 400, 'metadata_too_many_keys');
    got = await getUser(p, user_id);
    assert.equal(Object.keys(got.trusted_metadata).length, 20);
    assert.equal('another' in got.trusted_metadata, false);
  });

  test('at most 4096 bytes of JSON, counted in UTF-8 bytes, on create and on the merge result', async () => {
    const p = await projectWithPolicy();
    // {"a":"…"} is 8 bytes plus the string.
    const exact = { a: 'x'.repeat(4088) };
    assert.equal(Buffer.byteLength(JSON.stringify(exact)), 4096);
    expectError(await server.api(p, 'POST', '/v1/users', { email: 's1@example.com', trusted_metadata: { a: 'x'.repeat(4089) } }), 400, 'metadata_too_large');
    // 2045 two-byte characters: 2053 characters of JSON but 4098 bytes.
    expectError(await server.api(p, 'POST', '/v1/users', { email: 's1@example.com', untrusted_metadata: { a: 'é'.repeat(2045) } }), 400, 'metadata_too_large');
    assert.equal(await countUsers(p), 0);
    const full = await createUser(p, { email: 's1@example.com', trusted_metadata: exact });
    assert.deepEqual(full.user.trusted_metadata, exact);

    const { user_id } = await createUser(p, { email: 's2@example.com', untrusted_metadata: { big: 'y'.repeat(4000) } });
    // Each update alone is small; the merged object is over the limit.
    expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { untrusted_metadata: { more: 'z'.repeat(100) } }), 400, 'metadata_too_large');
    assert.deepEqual((await getUser(p, user_id)).untrusted_metadata, { big: 'y'.repeat(4000) });
    // Replacing the big value makes room.
    const replaced = await updateUser(p, user_id, { untrusted_metadata: { big: null, more: 'z'.repeat(100) } });
    assert.deepEqual(replaced.user.untrusted_metadata, { more: 'z'.repeat(100) });
  });
});

describe('search', () => {
  let p: ProjectCredentials;
  const u: Record<string, string> = {};

  before(async () => {
    p = await projectWithPolicy();
    const make = async (key: string, body: Record<string, unknown>) => {
      u[key] = (await createUser(p, body)).user_id;
    };
    await make('alice', { email: 'alice@acme.test', name: { first_name: 'Alice', last_name: 'Smith' }, roles: ['editor'] });
    await make('bob', { email: 'Bob@Acme.test', name: { first_name: 'Bob', last_name: 'Jones' }, create_user_as_pending: true, roles: ['admin'] });
    await make('carol', { email: 'carol@other.test', name: { first_name: 'Carol', middle_name: 'Ann', last_name: 'Smithers' }, roles: ['editor', 'admin'] });
    await make('dave', { email: 'dave@other.test', name: { first_name: 'Dave', last_name: 'Stone' }, create_user_as_pending: true });
    await make('eve', { phone_number: '+12025550142', name: { first_name: 'Eve' }, roles: ['viewer'] });
  });

  const ids = (...names: string[]) => sorted(names.map((name) => u[name]!));

  test('no query, a null query and an empty operand list find everyone', async () => {
    const all = ids('alice', 'bob', 'carol', 'dave', 'eve');
    assert.deepEqual(await searchIds(p, undefined), all);
    assert.deepEqual(await searchIds(p, null), all);
    assert.deepEqual(await searchIds(p, and()), all);
    const body = await search(p, {});
    assert.equal(body.results_metadata.total, 5);
    assert.equal(body.results_metadata.next_cursor, null);
    const alice = body.results.find((user: { user_id: string }) => user.user_id === u.alice);
    assert.deepEqual(sorted(alice.roles), ['editor', 'stytch_user']);
    assert.equal(alice.emails[0].email, 'alice@acme.test');
  });

  test('email_address matches exactly, any case', async () => {
    assert.deepEqual(await searchIds(p, and(filter('email_address', ['ALICE@acme.test', 'dave@other.test']))), ids('alice', 'dave'));
    assert.deepEqual(await searchIds(p, and(filter('email_address', ['bob@acme.test']))), ids('bob'));
    assert.deepEqual(await searchIds(p, and(filter('email_address', ['alice@acme']))), []);
  });

  test('email_address_fuzzy matches a substring, any case', async () => {
    assert.deepEqual(await searchIds(p, and(filter('email_address_fuzzy', 'acme'))), ids('alice', 'bob'));
    assert.deepEqual(await searchIds(p, and(filter('email_address_fuzzy', 'OTHER.T'))), ids('carol', 'dave'));
    assert.deepEqual(await searchIds(p, and(filter('email_address_fuzzy', 'zzz'))), []);
    // % and _ are literal characters, not wildcards.
    assert.deepEqual(await searchIds(p, and(filter('email_address_fuzzy', 'a%e'))), []);
    assert.deepEqual(await searchIds(p, and(filter('email_address_fuzzy', 'c_me'))), []);
  });

  test('status', async () => {
    assert.deepEqual(await searchIds(p, and(filter('status', 'pending'))), ids('bob', 'dave'));
    assert.deepEqual(await searchIds(p, and(filter('status', 'active'))), ids('alice', 'carol', 'eve'));
  });

  test('user_id', async () => {
    assert.deepEqual(await searchIds(p, and(filter('user_id', [u.alice, u.carol, UNKNOWN_USER_ID]))), ids('alice', 'carol'));
  });

  test('roles: any of the listed roles; stytch_user matches everyone', async () => {
    assert.deepEqual(await searchIds(p, and(filter('roles', ['admin']))), ids('bob', 'carol'));
    assert.deepEqual(await searchIds(p, and(filter('roles', ['editor', 'viewer']))), ids('alice', 'carol', 'eve'));
    assert.deepEqual(await searchIds(p, and(filter('roles', ['stytch_user']))), ids('alice', 'bob', 'carol', 'dave', 'eve'));
    assert.deepEqual(await searchIds(p, and(filter('roles', ['ghost']))), []);
  });

  test('full_name_fuzzy matches across first, middle and last name, any case', async () => {
    assert.deepEqual(await searchIds(p, and(filter('full_name_fuzzy', 'smith'))), ids('alice', 'carol'));
    assert.deepEqual(await searchIds(p, and(filter('full_name_fuzzy', 'ice Sm'))), ids('alice'));
    assert.deepEqual(await searchIds(p, and(filter('full_name_fuzzy', 'Carol Ann Smi'))), ids('carol'));
    assert.deepEqual(await searchIds(p, and(filter('full_name_fuzzy', 'Eve'))), ids('eve'));
  });

  test('AND needs every operand, OR any; the operator defaults to AND', async () => {
    assert.deepEqual(await searchIds(p, and(filter('status', 'active'), filter('roles', ['editor']))), ids('alice', 'carol'));
    assert.deepEqual(await searchIds(p, or(filter('status', 'pending'), filter('roles', ['viewer']))), ids('bob', 'dave', 'eve'));
    assert.deepEqual(await searchIds(p, { operands: [filter('status', 'pending'), filter('email_address_fuzzy', 'acme')] }), ids('bob'));
    assert.deepEqual(await searchIds(p, and(filter('status', 'pending'), filter('roles', ['viewer']))), []);
    assert.deepEqual(
      await searchIds(p, or(filter('email_address', ['alice@acme.test']), filter('full_name_fuzzy', 'stone'), filter('user_id', [u.eve]))),
      ids('alice', 'dave', 'eve'),
    );
  });

  test('limit 2 walks every user exactly once, with the right total on each page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: any = await search(p, { limit: 2, ...(cursor ? { cursor } : {}) });
      pages++;
      assert.equal(body.results_metadata.total, 5);
      assert.equal(body.results.length, pages < 3 ? 2 : 1);
      seen.push(...body.results.map((user: { user_id: string }) => user.user_id));
      cursor = body.results_metadata.next_cursor;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.equal(seen.length, 5);
    assert.deepEqual(sorted(seen), ids('alice', 'bob', 'carol', 'dave', 'eve'));
    // The same walk, filtered.
    assert.deepEqual(await searchIds(p, and(filter('roles', ['editor', 'admin'])), 2), ids('alice', 'bob', 'carol'));
    assert.deepEqual(await searchIds(p, and(filter('status', 'active')), 1), ids('alice', 'carol', 'eve'));
    // An exact multiple of the limit ends with next_cursor null on the last full page.
    const body = await search(p, { limit: 5 });
    assert.equal(body.results.length, 5);
    assert.equal(body.results_metadata.next_cursor, null);
  });

  test('a cursor only works for the query it came from', async () => {
    const query = and(filter('status', 'active'));
    const first = await search(p, { query, limit: 1 });
    const cursor = first.results_metadata.next_cursor;
    assert.equal(typeof cursor, 'string');
    // Same query, next page: fine.
    const second = await search(p, { query, limit: 1, cursor });
    assert.notEqual(second.results[0].user_id, first.results[0].user_id);
    expectError(await server.api(p, 'POST', '/v1/users/search', { query: and(filter('status', 'pending')), limit: 1, cursor }), 400, 'user_search_invalid_cursor');
    expectError(await server.api(p, 'POST', '/v1/users/search', { limit: 1, cursor }), 400, 'user_search_invalid_cursor');
    expectError(await server.api(p, 'POST', '/v1/users/search', { limit: 1, cursor: 'not-a-cursor' }), 400, 'user_search_invalid_cursor');
    expectError(await server.api(p, 'POST', '/v1/users/search', { cursor: 5 }), 400, 'user_search_invalid_cursor');
    const forged = Buffer.from(JSON.stringify({ t: 'nope', u: u.alice, q: 'x' })).toString('base64url');
    expectError(await server.api(p, 'POST', '/v1/users/search', { cursor: forged }), 400, 'user_search_invalid_cursor');
  });

  test('a limit outside 1..1000 or not an integer is user_search_invalid_limit', async () => {
    for (const limit of [0, -1, 1001, 2.5, '2']) {
      expectError(await server.api(p, 'POST', '/v1/users/search', { limit }), 400, 'user_search_invalid_limit');
    }
    // null is "not given" (Stytch's convention, http/null-fields.ts): the default page size.
    assert.equal((await search(p, { limit: null })).results.length, 5);
    assert.equal((await search(p, { limit: 1000 })).results.length, 5);
    assert.equal((await search(p, { limit: 1 })).results.length, 1);
  });

  test('an unknown filter name is user_search_filter_name_not_recognized', async () => {
    const error = expectError(
      await server.api(p, 'POST', '/v1/users/search', { query: and(filter('status', 'active'), filter('favorite_color', 'blue')) }),
      400,
      'user_search_filter_name_not_recognized',
    );
    assert.match(error.error_message, /favorite_color/);
    expectError(await server.api(p, 'POST', '/v1/users/search', { query: and(filter('__proto__', ['x'])) }), 400, 'user_search_filter_name_not_recognized');
    expectError(await server.api(p, 'POST', '/v1/users/search', { query: and(filter('toString', ['x'])) }), 400, 'user_search_filter_name_not_recognized');
  });

  test('a filter value of the wrong shape is user_search_invalid_filter_value', async () => {
    const bad: Operand[] = [
      filter('status', 'deleted'),
      filter('status', ['active']),
      filter('email_address', 'alice@acme.test'),
      filter('email_address', []),
      filter('user_id', [5]),
      filter('roles', 'admin'),
      filter('roles', []),
      filter('email_address_fuzzy', 42),
      filter('full_name_fuzzy', { name: 'x' }),
      filter('created_at_greater_than', 'not a date'),
      filter('created_at_less_than', 1767225600),
      filter('created_at_between', '2026-01-01T00:00:00Z'),
      filter('created_at_between', { greater_than: '2026-01-01T00:00:00Z' }),
      filter('created_at_between', { greater_than: 'x', less_than: '2026-01-01T00:00:00Z' }),
    ];
    for (const operand of bad) {
      const response = await server.api(p, 'POST', '/v1/users/search', { query: and(operand) });
      assert.equal(response.body?.error_type, 'user_search_invalid_filter_value', `${JSON.stringify(operand)} → ${JSON.stringify(response.body)}`);
      expectError(response, 400, 'user_search_invalid_filter_value');
    }
  });

  test('a timestamp filter takes RFC 3339 only, not whatever Date.parse accepts', async () => {
    // Date.parse reads "12" as 2001-12-01, rolls Feb 30 into March, and reads a time without an
    // offset in the server's own time zone.
    for (const value of ['12', '2026', 'Jan 5 2026', '2026-01-01', '2026-01-01T00:00:00', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+24:00']) {
      for (const operand of [
        filter('created_at_greater_than', value),
        filter('created_at_less_than', value),
        filter('created_at_between', { greater_than: '2025-01-01T00:00:00Z', less_than: value }),
      ]) {
        const response = await server.api(p, 'POST', '/v1/users/search', { query: and(operand) });
        assert.equal(response.body?.error_type, 'user_search_invalid_filter_value', `${JSON.stringify(operand)} → ${JSON.stringify(response.body)}`);
        assert.match(response.body.error_message, /RFC 3339/);
      }
    }
    // Fractions of a second, lowercase separators and offsets are all RFC 3339.
    for (const value of ['2020-01-01T00:00:00.123456Z', '2020-01-01t00:00:00z', '2020-01-01T05:30:00+05:30', '2024-02-29T00:00:00Z']) {
      const body = await search(p, { query: and(filter('created_at_greater_than', value)) });
      assert.equal(body.results_metadata.total, 5, value);
    }
  });

  test('an operator other than AND / OR is refused', async () => {
    const response = await server.api(p, 'POST', '/v1/users/search', { query: { operator: 'XOR', operands: [filter('status', 'active')] } });
    assert.equal(response.status, 400);
    assert.equal(response.body.error_type, 'invalid_argument');
    assert.match(response.body.error_message, /operator/);
  });
});

describe('search by created_at (manual clock)', () => {
  let clockServer: TestServer;
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  let p: ProjectCredentials;
  const at: string[] = [];

  before(async () => {
    clockServer = await startTestServer({ clock });
    p = await projectWithPolicy(clockServer);
    for (let i = 0; i < 4; i++) {
      const created = await createUser(p, { email: `t${i}@example.com` }, clockServer);
      at.push(created.user_id);
      assert.equal(created.user.created_at, `2026-01-01T0${i}:00:00Z`);
      clock.advance(60 * 60 * 1000);
    }
  });

  after(async () => {
    await clockServer?.close();
  });

  const users = (...indexes: number[]) => sorted(indexes.map((i) => at[i]!));
  const find = (query: unknown) => searchIds(p, query, 1000, clockServer);

  test('created_at_greater_than and created_at_less_than are strict', async () => {
    assert.deepEqual(await find(and(filter('created_at_greater_than', '2026-01-01T01:00:00Z'))), users(2, 3));
    assert.deepEqual(await find(and(filter('created_at_greater_than', '2026-01-01T00:59:59Z'))), users(1, 2, 3));
    assert.deepEqual(await find(and(filter('created_at_less_than', '2026-01-01T02:00:00Z'))), users(0, 1));
    assert.deepEqual(await find(and(filter('created_at_less_than', '2025-12-31T23:59:59Z'))), []);
    assert.deepEqual(await find(and(filter('created_at_greater_than', '2026-01-01T00:00:00.000Z'), filter('created_at_less_than', '2026-01-01T03:00:00Z'))), users(1, 2));
  });

  test('created_at_between', async () => {
    assert.deepEqual(
      await find(and(filter('created_at_between', { greater_than: '2026-01-01T00:30:00Z', less_than: '2026-01-01T02:30:00Z' }))),
      users(1, 2),
    );
    assert.deepEqual(
      await find(and(filter('created_at_between', { greater_than: '2026-01-01T02:30:00Z', less_than: '2026-01-01T00:30:00Z' }))),
      [],
    );
  });

  test('timestamps with an offset are read as the instant they name', async () => {
    // 02:30+02:00 is 00:30Z.
    assert.deepEqual(await find(and(filter('created_at_greater_than', '2026-01-01T02:30:00+02:00'))), users(1, 2, 3));
    // 2025-12-31T21:30-05:00 is 02:30Z.
    assert.deepEqual(await find(and(filter('created_at_less_than', '2025-12-31T21:30:00-05:00'))), users(0, 1, 2));
  });

  test('created_at combines with other filters under OR', async () => {
    assert.deepEqual(
      await find(or(filter('created_at_less_than', '2026-01-01T00:30:00Z'), filter('email_address', ['t3@example.com']))),
      users(0, 3),
    );
  });

  test('users created in the same instant are each paged exactly once', async () => {
    const q = await projectWithPolicy(clockServer);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await createUser(q, { email: `same${i}@example.com` }, clockServer)).user_id);
    const createdAt = new Set<string>();
    for (const id of made) createdAt.add((await getUser(q, id, clockServer)).created_at);
    assert.equal(createdAt.size, 1, 'the clock did not move, so every created_at is the same');
    for (const limit of [1, 2, 3]) assert.deepEqual(await searchIds(q, null, limit, clockServer), sorted(made));
    assert.deepEqual(await searchIds(q, and(filter('email_address_fuzzy', 'same')), 2, clockServer), sorted(made));
  });
});

describe('project isolation', () => {
  test('project A cannot read, update, delete, find or authorize project B’s users', async () => {
    const a = await projectWithPolicy();
    const b = await server.createProject();
    await putPolicy(b, {
      resources: [{ resource_id: 'vault', description: 'B only', actions: ['open'] }],
      roles: [
        { role_id: 'stytch_user', description: '', permissions: [] },
        { role_id: 'b_only', description: 'B only', permissions: [{ resource_id: 'vault', actions: ['open'] }] },
      ],
    });
    const theirs = await createUser(b, {
      email: 'shared@example.com',
      external_id: 'shared-ext',
      name: { first_name: 'Bee' },
      roles: ['b_only'],
      trusted_metadata: { owner: 'b' },
    });
    const ours = await createUser(a, { email: 'mine@example.com' });
    const bid = theirs.user_id;

    expectError(await server.api(a, 'GET', `/v1/users/${bid}`), 404, 'user_not_found');
    expectError(await server.api(a, 'PUT', `/v1/users/${bid}`, { name: { first_name: 'Hacked' }, trusted_metadata: { owner: 'a' }, roles: [] }), 404, 'user_not_found');
    expectError(await server.api(a, 'DELETE', `/v1/users/${bid}`), 404, 'user_not_found');
    expectError(
      await server.api(a, 'POST', '/v1/rbac/authorize', { user_id: bid, authorization_check: { resource_id: 'vault', action: 'open' } }),
      404,
      'user_not_found',
    );

    for (const query of [
      and(filter('user_id', [bid])),
      and(filter('email_address', ['shared@example.com'])),
      and(filter('email_address_fuzzy', 'shared')),
      and(filter('full_name_fuzzy', 'Bee')),
      and(filter('roles', ['b_only'])),
    ]) {
      const body = await search(a, { query });
      assert.deepEqual(body.results, [], JSON.stringify(query));
      assert.equal(body.results_metadata.total, 0);
    }
    assert.deepEqual(await searchIds(a, null), [ours.user_id]);
    assert.deepEqual(await searchIds(a, and(filter('roles', ['stytch_user']))), [ours.user_id]);

    // B's role is not A's to assign.
    expectError(await server.api(a, 'POST', '/v1/users', { email: 'x@example.com', roles: ['b_only'] }), 400, 'invalid_rbac_role_id');
    expectError(await server.api(a, 'PUT', `/v1/users/${ours.user_id}`, { roles: ['b_only'] }), 400, 'invalid_rbac_role_id');

    // Email and external_id are unique per project: A may use the same ones.
    const twin = await createUser(a, { email: 'SHARED@example.com', external_id: 'shared-ext' });
    assert.notEqual(twin.user_id, bid);

    // A's secret with B's project id (and the reverse) is not a credential.
    const crossed = { project_id: b.project_id, secret: a.secret, public_token: a.public_token };
    expectError(await server.api(crossed, 'GET', `/v1/users/${bid}`), 401, 'unauthorized_credentials');

    // B's user is untouched.
    const got = await getUser(b, bid);
    assert.equal(got.name.first_name, 'Bee');
    assert.deepEqual(got.trusted_metadata, { owner: 'b' });
    assert.deepEqual(sorted(got.roles), ['b_only', 'stytch_user']);
    assert.deepEqual(await searchIds(b, null), [bid]);
  });
});

/** The users endpoints that require a JSON body. */
const bodyEndpoints = (userId: string) =>
  [
    ['POST', '/v1/users'],
    ['PUT', `/v1/users/${userId}`],
    ['POST', '/v1/users/search'],
    ['POST', '/v1/rbac/authorize'],
  ] as const;

describe('bad input', () => {
  test('malformed JSON is 400 bad_request on every users endpoint, and nothing is written', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'bad@example.com', name: { first_name: 'Same' } });
    for (const [method, path] of [...bodyEndpoints(user_id), ['DELETE', `/v1/users/${user_id}`] as const]) {
      for (const body of ['{"email": "x@example.com",', '{name: 1}', 'undefined', "{'a':1}"]) {
        const error = expectError(await rawJson(p, method, path, body), 400, 'bad_request');
        assert.match(error.error_message, /JSON/, `${method} ${path}`);
      }
    }
    assert.deepEqual(await searchIds(p, null), [user_id]);
    assert.equal((await getUser(p, user_id)).name.first_name, 'Same');
  });

  test('prototype-poisoning keys are refused and nothing is written', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'proto@example.com' });
    expectError(await rawJson(p, 'POST', '/v1/users', '{"email":"p2@example.com","trusted_metadata":{"__proto__":{"admin":true}}}'), 400, 'bad_request');
    expectError(await rawJson(p, 'PUT', `/v1/users/${user_id}`, '{"trusted_metadata":{"constructor":{"prototype":{"admin":true}}}}'), 400, 'bad_request');
    assert.equal(await countUsers(p), 1);
    assert.deepEqual((await getUser(p, user_id)).trusted_metadata, {});
  });

  test('wrong types are 400 with a message naming the field, and nothing is written', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'typed@example.com', name: { first_name: 'Typed' }, roles: ['editor'] });
    const cases: [string, string, unknown, string, RegExp][] = [
      ['POST', '/v1/users', { email: 'n@example.com', roles: 'admin' }, 'invalid_argument', /roles/],
      ['POST', '/v1/users', { email: 'n@example.com', roles: [1] }, 'invalid_argument', /roles/],
      ['POST', '/v1/users', { email: 'n@example.com', roles: [''] }, 'invalid_argument', /roles/],
      ['POST', '/v1/users', { email: 5 }, 'invalid_email', /email/],
      ['POST', '/v1/users', { email: 'n@example.com', phone_number: 12025550123 }, 'invalid_phone_number', /phone_number/],
      ['POST', '/v1/users', { email: 'n@example.com', name: 'Ada' }, 'invalid_argument', /name/],
      ['POST', '/v1/users', { email: 'n@example.com', name: { first_name: 7 } }, 'invalid_argument', /name\.first_name/],
      ['POST', '/v1/users', { email: 'n@example.com', create_user_as_pending: 'yes' }, 'invalid_argument', /create_user_as_pending/],
      ['POST', '/v1/users', { email: 'n@example.com', external_id: 42 }, 'invalid_external_id', /external_id/],
      ['POST', '/v1/users', [{ email: 'n@example.com' }], 'invalid_argument', /body/],
      ['POST', '/v1/users', 'n@example.com', 'invalid_argument', /body/],
      ['PUT', `/v1/users/${user_id}`, { roles: 'admin' }, 'invalid_argument', /roles/],
      ['PUT', `/v1/users/${user_id}`, { roles: ['admin', null] }, 'invalid_argument', /roles/],
      ['PUT', `/v1/users/${user_id}`, { name: { first_name: ['x'] } }, 'invalid_argument', /name\.first_name/],
      ['PUT', `/v1/users/${user_id}`, { external_id: 7 }, 'invalid_external_id', /external_id/],
      ['PUT', `/v1/users/${user_id}`, 'roles', 'invalid_argument', /body/],
      ['POST', '/v1/users/search', { limit: '2' }, 'user_search_invalid_limit', /limit/],
      ['POST', '/v1/users/search', { query: 'status=active' }, 'invalid_argument', /query/],
      ['POST', '/v1/users/search', { query: { operator: 'AND', operands: 'x' } }, 'invalid_argument', /query\.operands/],
      ['POST', '/v1/users/search', { query: { operator: 'AND', operands: [{ filter_name: 5, filter_value: 'x' }] } }, 'invalid_argument', /filter_name/],
      ['POST', '/v1/rbac/authorize', { user_id: 5, authorization_check: { resource_id: 'documents', action: 'read' } }, 'invalid_user_id', /user_id/],
      ['POST', '/v1/rbac/authorize', { user_id }, 'invalid_argument', /authorization_check/],
      ['POST', '/v1/rbac/authorize', { user_id, authorization_check: { resource_id: 'documents', action: 1 } }, 'invalid_argument', /action/],
    ];
    for (const [method, path, body, errorType, message] of cases) {
      const response = await server.api(p, method, path, body);
      const label = `${method} ${path} ${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`;
      assert.equal(response.body?.error_type, errorType, label);
      const error = expectError(response, 400, errorType);
      assert.match(error.error_message, message, label);
    }
    assert.equal(await countUsers(p), 1);
    const got = await getUser(p, user_id);
    assert.equal(got.name.first_name, 'Typed');
    assert.deepEqual(sorted(got.roles), ['editor', 'stytch_user']);
    assert.equal(got.external_id, null);
  });

  test('a body over 1 MiB is 413 request_too_large; just under it the request is read', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'big@example.com' });
    const huge = JSON.stringify({ email: 'huge@example.com', untrusted_metadata: { blob: 'x'.repeat(1024 * 1024 + 100) } });
    for (const [method, path] of bodyEndpoints(user_id)) {
      expectError(await rawJson(p, method, path, huge), 413, 'request_too_large');
    }
    // Under the body limit, the metadata limit speaks instead.
    const under = JSON.stringify({ email: 'under@example.com', untrusted_metadata: { blob: 'x'.repeat(1024 * 1024 - 200) } });
    assert.ok(Buffer.byteLength(under) < 1024 * 1024);
    expectError(await rawJson(p, 'POST', '/v1/users', under), 400, 'metadata_too_large');
    assert.deepEqual(await searchIds(p, null), [user_id]);
    assert.deepEqual((await getUser(p, user_id)).untrusted_metadata, {});
  });

  async function expectUnsupportedContentType(contentTypes: string[]) {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'ct@example.com' });
    const json = JSON.stringify({ email: 'form@example.com', name: { first_name: 'Form' } });
    for (const contentType of contentTypes) {
      for (const [method, path, body] of [
        ['POST', '/v1/users', json],
        ['PUT', `/v1/users/${user_id}`, json],
        ['POST', '/v1/users/search', '{}'],
        ['POST', '/v1/rbac/authorize', JSON.stringify({ user_id, authorization_check: { resource_id: 'documents', action: 'read' } })],
        ['DELETE', `/v1/users/${user_id}`, '{}'],
      ] as const) {
        const response = await rawJson(p, method, path, body, contentType);
        assert.equal(response.status, 415, `${contentType} ${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
        expectError(response, 415, 'unsupported_content_type');
      }
    }
    assert.deepEqual(await searchIds(p, null), [user_id]);
    assert.equal((await getUser(p, user_id)).name.first_name, '');
  }

  test('a body that is not JSON is 415 unsupported_content_type, and nothing is written or deleted', async () => {
    await expectUnsupportedContentType(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json']);
    const p = await projectWithPolicy();
    expectError(await rawJson(p, 'POST', '/v1/users', 'email=x%40example.com', 'application/x-www-form-urlencoded'), 415, 'unsupported_content_type');
    assert.equal(await countUsers(p), 0);
  });

  test('a text/plain body, or a body with no content type, is 415 too (not parsed as a string)', async () => {
    await expectUnsupportedContentType(['text/plain', 'text/plain; charset=utf-8']);
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'noct@example.com' });
    const auth = { authorization: basicAuth(p.project_id, p.secret) };
    expectError(await server.raw('/v1/users', { method: 'POST', headers: auth, body: '{"email":"x@example.com"}' }), 415, 'unsupported_content_type');
    expectError(await server.raw(`/v1/users/${user_id}`, { method: 'DELETE', headers: auth, body: '{}' }), 415, 'unsupported_content_type');
    assert.deepEqual(await searchIds(p, null), [user_id]);
  });

  test('an empty body with a JSON content type is no body: fine for DELETE (the official client sends one), a clear 400 where a body is required', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'empty@example.com', name: { first_name: 'Empty' } });
    for (const [method, path] of bodyEndpoints(user_id)) {
      const error = expectError(await rawJson(p, method, path, '   '), 400, 'invalid_argument');
      assert.match(error.error_message, /body/, `${method} ${path}`);
    }
    assert.equal(await countUsers(p), 1);
    assert.equal((await getUser(p, user_id)).name.first_name, 'Empty');
    const deleted = expectOk(await rawJson(p, 'DELETE', `/v1/users/${user_id}`, ''));
    assert.equal(deleted.user_id, user_id);
    expectError(await server.api(p, 'GET', `/v1/users/${user_id}`), 404, 'user_not_found');
  });
});

describe('trusted metadata (legacy RBAC) needs the project secret', () => {
  test('without credentials, with a wrong secret or with the public token, every users call is 401 and nothing changes', async () => {
    const p = await projectWithPolicy();
    const other = await server.createProject();
    const { user_id } = await createUser(p, { email: 'legacy@example.com', trusted_metadata: { roles: ['admin'] } });
    assert.deepEqual((await getUser(p, user_id)).trusted_metadata, { roles: ['admin'] });

    const wrongSecret = { ...p, secret: `${p.secret.slice(0, -4)}AAAA` };
    const publicToken = { ...p, secret: p.public_token };
    const otherSecret = { ...p, secret: other.secret };
    const attempts: { label: string; headers: Record<string, string> }[] = [
      { label: 'no credentials', headers: {} },
      { label: 'wrong secret', headers: { authorization: basicAuth(p.project_id, wrongSecret.secret) } },
      { label: 'public token as password', headers: { authorization: basicAuth(p.project_id, publicToken.secret) } },
      { label: 'another project’s secret', headers: { authorization: basicAuth(p.project_id, otherSecret.secret) } },
      { label: 'empty password', headers: { authorization: basicAuth(p.project_id, '') } },
      { label: 'project id only', headers: { authorization: `Basic ${Buffer.from(p.project_id).toString('base64')}` } },
      { label: 'bearer', headers: { authorization: `Bearer ${p.secret}` } },
      { label: 'basic, lowercase scheme, public token', headers: { authorization: `basic ${Buffer.from(`${p.project_id}:${p.public_token}`).toString('base64')}` } },
    ];
    const writes: [string, string, unknown][] = [
      ['PUT', `/v1/users/${user_id}`, { trusted_metadata: { roles: ['superadmin'] } }],
      ['PUT', `/v1/users/${user_id}`, { trusted_metadata: { roles: null } }],
      ['POST', '/v1/users', { email: 'sneaky@example.com', trusted_metadata: { roles: ['admin'] } }],
      ['DELETE', `/v1/users/${user_id}`, undefined],
      ['GET', `/v1/users/${user_id}`, undefined],
      ['POST', '/v1/users/search', {}],
      ['POST', '/v1/rbac/authorize', { user_id, authorization_check: { resource_id: 'documents', action: 'read' } }],
    ];
    for (const { label, headers } of attempts) {
      for (const [method, path, body] of writes) {
        const response = await server.raw(path, {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        assert.equal(response.status, 401, `${label}: ${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
        expectError(response, 401, 'unauthorized_credentials');
        assert.equal('results' in response.body, false);
        assert.equal('trusted_metadata' in response.body, false);
      }
    }
    const got = await getUser(p, user_id);
    assert.deepEqual(got.trusted_metadata, { roles: ['admin'] });
    assert.deepEqual(await searchIds(p, null), [user_id]);

    // With the secret, the backend can change it.
    const updated = await updateUser(p, user_id, { trusted_metadata: { roles: ['admin', 'editor'] } });
    assert.deepEqual(updated.user.trusted_metadata, { roles: ['admin', 'editor'] });
    // Writing untrusted metadata leaves trusted metadata alone.
    const untrusted = await updateUser(p, user_id, { untrusted_metadata: { roles: ['superadmin'] } });
    assert.deepEqual(untrusted.user.trusted_metadata, { roles: ['admin', 'editor'] });
    assert.deepEqual(untrusted.user.untrusted_metadata, { roles: ['superadmin'] });
  });
});

describe('POST /v1/rbac/authorize', () => {
  test('allowed via an explicit role, via stytch_user, via a wildcard; denied for unknown resources and actions', async () => {
    const p = await projectWithPolicy();
    const editor = (await createUser(p, { email: 'ed@example.com', roles: ['editor'] })).user_id;
    const plain = (await createUser(p, { email: 'plain@example.com' })).user_id;
    const admin = (await createUser(p, { email: 'admin@example.com', roles: ['admin'] })).user_id;

    assert.deepEqual(await authorize(p, editor, 'documents', 'write'), { authorized: true, granting_roles: ['editor'] });
    const read = await authorize(p, editor, 'documents', 'read');
    assert.equal(read.authorized, true);
    assert.deepEqual(sorted(read.granting_roles), ['editor', 'stytch_user']);
    assert.deepEqual(await authorize(p, editor, 'documents', 'delete'), { authorized: false, granting_roles: [] });
    assert.deepEqual(await authorize(p, editor, 'billing', 'view'), { authorized: false, granting_roles: [] });

    assert.deepEqual(await authorize(p, plain, 'documents', 'read'), { authorized: true, granting_roles: ['stytch_user'] });
    assert.deepEqual(await authorize(p, plain, 'documents', 'write'), { authorized: false, granting_roles: [] });

    assert.deepEqual(await authorize(p, admin, 'documents', 'delete'), { authorized: true, granting_roles: ['admin'] });
    assert.deepEqual(await authorize(p, admin, 'billing', 'view'), { authorized: true, granting_roles: ['admin'] });
    // The wildcard covers the declared actions of its resource only.
    assert.deepEqual(await authorize(p, admin, 'billing', 'pay'), { authorized: false, granting_roles: [] });
    assert.deepEqual(await authorize(p, admin, 'documents', 'publish'), { authorized: false, granting_roles: [] });
    assert.deepEqual(await authorize(p, admin, 'reports', 'read'), { authorized: false, granting_roles: [] });
    assert.deepEqual(await authorize(p, admin, 'documents', '*'), { authorized: false, granting_roles: [] });
    assert.deepEqual(await authorize(p, admin, '', ''), { authorized: false, granting_roles: [] });
  });

  test('a role change on the user is seen by the very next call', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'mover@example.com', roles: ['editor'] });
    assert.deepEqual(await authorize(p, user_id, 'documents', 'delete'), { authorized: false, granting_roles: [] });
    await updateUser(p, user_id, { roles: ['admin'] });
    assert.deepEqual(await authorize(p, user_id, 'documents', 'delete'), { authorized: true, granting_roles: ['admin'] });
    assert.deepEqual(await authorize(p, user_id, 'documents', 'write'), { authorized: true, granting_roles: ['admin'] });
    await updateUser(p, user_id, { roles: [] });
    assert.deepEqual(await authorize(p, user_id, 'documents', 'write'), { authorized: false, granting_roles: [] });
    assert.deepEqual(await authorize(p, user_id, 'documents', 'read'), { authorized: true, granting_roles: ['stytch_user'] });
    // A refused update changes nothing the check sees.
    expectError(await server.api(p, 'PUT', `/v1/users/${user_id}`, { roles: ['admin', 'ghost'] }), 400, 'invalid_rbac_role_id');
    assert.deepEqual(await authorize(p, user_id, 'documents', 'delete'), { authorized: false, granting_roles: [] });
  });

  test('a policy change is seen by the very next call', async () => {
    const p = await projectWithPolicy();
    const { user_id } = await createUser(p, { email: 'pol@example.com', roles: ['viewer'] });
    assert.deepEqual(await authorize(p, user_id, 'billing', 'pay'), { authorized: false, granting_roles: [] });
    const next = structuredClone(POLICY);
    next.roles.find((role) => role.role_id === 'viewer')!.permissions = [{ resource_id: 'billing', actions: ['view', 'pay'] }];
    await putPolicy(p, next);
    assert.deepEqual(await authorize(p, user_id, 'billing', 'pay'), { authorized: true, granting_roles: ['viewer'] });
  });
});
