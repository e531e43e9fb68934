// The backend SDK against a started server: the typed client and its errors, local JWT verification
// (no network call on the hot path), the server fallback, key rotation, and policy and role changes
// reaching a connected SDK in under a second (change stream) or by polling.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { B2BProject, signInUser, startTestServer, type ProjectCredentials, type TestServer } from '@gatehouse/server/testing';
import { GatehouseApiError, GatehouseClient, GatehouseClientError, type GatehouseClientOptions } from './index.ts';
import { within } from './test-support.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['create', 'read', 'update', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['create', 'update'] }] },
    { role_id: 'admin', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
  ],
  scopes: [],
};

/** A client for the project, counting its API calls (not the change stream). */
function clientFor(project: ProjectCredentials, options: Partial<GatehouseClientOptions> = {}) {
  const calls: string[] = [];
  const client = new GatehouseClient({
    project_id: project.project_id,
    secret: project.secret,
    base_url: server.baseUrl,
    fetch: (input, init) => {
      const url = new URL(String(input));
      if (!url.pathname.endsWith('/changes')) calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
      return fetch(input, init);
    },
    ...options,
  });
  return { client, calls };
}

async function consumerProject() {
  const project = await server.createProject();
  const { client, calls } = clientFor(project);
  await client.rbac.replacePolicy({ policy: POLICY });
  return { project, client, calls };
}


const allowed = (attempt: Promise<unknown>) => attempt.then(() => true, (error) => (error instanceof GatehouseClientError ? false : Promise.reject(error)));

test('typed client: users, policy, errors in Stytch\'s envelope', async () => {
  const { client } = await consumerProject();
  try {
    const created = await client.users.create({ email: 'ada@example.com', roles: ['editor'] });
    assert.equal(created.status_code, 200);
    assert.deepEqual(created.user.roles.sort(), ['editor', 'stytch_user']);
    const got = await client.users.get({ user_id: created.user_id });
    assert.equal(got.emails[0]?.email, 'ada@example.com');
    const updated = await client.users.update({ user_id: created.user_id, untrusted_metadata: { theme: 'dark' } });
    assert.deepEqual(updated.user.untrusted_metadata, { theme: 'dark' });
    const found = await client.users.search({ limit: 10, query: { operator: 'AND', operands: [{ filter_name: 'roles', filter_value: ['editor'] }] } });
    assert.deepEqual(found.results.map((user) => user.user_id), [created.user_id]);
    assert.equal((await client.rbac.policy({})).policy.roles.length, 3);
    const { secrets } = await client.project.listSecrets({});
    assert.equal(secrets.length, 1);
    assert.equal(typeof secrets[0]!.last_four, 'string');
    const error = await client.users.get({ user_id: 'user-test-00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
    assert.ok(error instanceof GatehouseApiError);
    assert.equal(error.status_code, 404);
    assert.equal(error.error_type, 'user_not_found');
    assert.match(error.request_id, /^request-id-test-/);
    const refused = await client.users.create({ email: 'bo@example.com', roles: ['ghost'] }).catch((e: unknown) => e);
    assert.ok(refused instanceof GatehouseApiError && refused.error_type === 'invalid_rbac_role_id');
    const wrong = new GatehouseClient({ project_id: client.transport.projectId, secret: 'secret-test-wrong-wrong-wrong-wrong', base_url: server.baseUrl });
    const unauthorized = await wrong.users.get({ user_id: created.user_id }).catch((e: unknown) => e);
    assert.ok(unauthorized instanceof GatehouseApiError && unauthorized.status_code === 401);
  } finally {
    client.close();
  }
});

test('authenticateJwt decides locally: no API call once the keys and policy are cached', async () => {
  const { project, client, calls } = await consumerProject();
  try {
    const user = await signInUser(server, project, ['editor']);
    const first = await client.sessions.authenticateJwt({ session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } });
    assert.equal(first.decided_by, 'local');
    assert.equal(first.session.user_id, user.user_id);
    assert.deepEqual(first.session.roles, ['stytch_user', 'editor']);
    assert.deepEqual(first.verdict, { authorized: true, granting_roles: ['editor'] });
    assert.equal(first.session_jwt, user.session_jwt);
    const before = calls.length;
    for (let i = 0; i < 50; i++) {
      const result = await client.sessions.authenticateJwt({ session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'read' } });
      assert.equal(result.decided_by, 'local');
    }
    assert.equal(calls.length, before, `API calls on the hot path: ${calls.slice(before).join(', ')}`);
    // The remote session matches the local one.
    const remote = await client.sessions.authenticate({ session_jwt: user.session_jwt });
    assert.equal(remote.session.session_id, first.session.session_id);
    assert.equal(remote.session.expires_at, first.session.expires_at);
  } finally {
    client.close();
  }
});

test('authenticateJwt falls back to the server where the official client does', async () => {
  const { project, client, calls } = await consumerProject();
  try {
    const user = await signInUser(server, project, ['editor']);
    const check = { resource_id: 'documents', action: 'update' };
    // Expired (as seen at a later date): the server decides, and answers with a fresh JWT.
    const later = new Date(Date.now() + 6 * 60_000);
    await assert.rejects(client.sessions.authenticateJwtLocal({ session_jwt: user.session_jwt, current_date: later }), { code: 'jwt_invalid' });
    const expired = await client.sessions.authenticateJwt({ session_jwt: user.session_jwt, current_date: later, authorization_check: check });
    assert.equal(expired.decided_by, 'server');
    assert.deepEqual(expired.verdict, { authorized: true, granting_roles: ['editor'] });
    // max_token_age_seconds: 0 always asks the server; a token too old locally too.
    assert.equal((await client.sessions.authenticateJwt({ session_jwt: user.session_jwt, max_token_age_seconds: 0 })).decided_by, 'server');
    await assert.rejects(client.sessions.authenticateJwtLocal({ session_jwt: user.session_jwt, current_date: new Date(Date.now() + 61_000), max_token_age_seconds: 60 }), { code: 'jwt_too_old' });
    // Denied locally: the server confirms with its 403.
    await assert.rejects(client.sessions.authenticateJwtLocal({ session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'delete' } }), {
      code: 'invalid_permissions',
    });
    const denied = calls.length;
    await assert.rejects(client.sessions.authenticateJwt({ session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'delete' } }), {
      name: 'GatehouseApiError',
      status_code: 403,
      error_type: 'consumer_session_authorization_error',
    });
    assert.deepEqual(calls.slice(denied), ['POST /v1/sessions/authenticate']);
    // A forged token: refused locally and by the server.
    const [header, payload] = user.session_jwt.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(342)}`;
    await assert.rejects(client.sessions.authenticateJwt({ session_jwt: forged }), (error: unknown) => error instanceof GatehouseApiError && error.status_code < 500);
    // A revoked session: the change stream tells the SDK (Stytch's JWT would live on for up to 5 minutes); the server refuses it.
    await within(2000, async () => client.policies.connected);
    await client.sessions.revoke({ session_jwt: user.session_jwt });
    await within(1000, () => client.sessions.authenticateJwtLocal({ session_jwt: user.session_jwt }).then(() => false, (error) => error.code === 'session_revoked'));
    await assert.rejects(client.sessions.authenticateJwt({ session_jwt: user.session_jwt, max_token_age_seconds: 0 }), { name: 'GatehouseApiError' });
  } finally {
    client.close();
  }
});

test('key rotation: an unknown kid refetches the JWKS (after the cooldown; the server decides meanwhile)', async () => {
  const project = await server.createProject();
  const { client, calls } = clientFor(project, { jwks: { cooldown_ms: 60_000 } });
  const { client: eager } = clientFor(project, { jwks: { cooldown_ms: 0 } });
  try {
    await client.rbac.replacePolicy({ policy: POLICY });
    const before = await signInUser(server, project, []);
    assert.equal((await client.sessions.authenticateJwt({ session_jwt: before.session_jwt })).decided_by, 'local');
    assert.equal((await eager.sessions.authenticateJwt({ session_jwt: before.session_jwt })).decided_by, 'local');
    const rotated = await client.project.rotateSigningKey({});
    const after = await signInUser(server, project, []);
    assert.equal(JSON.parse(Buffer.from(after.session_jwt.split('.')[0]!, 'base64url').toString()).kid, rotated.kid);
    // Within the cooldown the new kid is unknown locally: the server decides.
    const mark = calls.length;
    assert.equal((await client.sessions.authenticateJwt({ session_jwt: after.session_jwt })).decided_by, 'server');
    assert.deepEqual(calls.slice(mark), ['POST /v1/sessions/authenticate']);
    // Past it, the key set is refetched and the new key used locally; the old key still verifies.
    assert.equal((await eager.sessions.authenticateJwt({ session_jwt: after.session_jwt })).decided_by, 'local');
    assert.equal((await eager.sessions.authenticateJwt({ session_jwt: before.session_jwt })).decided_by, 'local');
  } finally {
    client.close();
    eager.close();
  }
});

test('a policy change reaches a connected SDK in under one second (change stream)', async () => {
  const { project, client } = await consumerProject();
  try {
    const user = await signInUser(server, project, ['editor']);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'delete' } };
    assert.equal(await allowed(client.sessions.authenticateJwtLocal(check)), false);
    await within(2000, async () => client.policies.connected);
    const written = await client.rbac.updateRole({ role_id: 'editor', permissions: [{ resource_id: 'documents', actions: ['create', 'update', 'delete'] }] });
    const took = await within(1000, () => allowed(client.sessions.authenticateJwtLocal(check)));
    assert.equal(client.policies.version('consumer'), written.policy_version);
    console.log(`# policy change seen by the SDK after ${took.toFixed(1)} ms`);
    assert.ok(took < 1000);
  } finally {
    client.close();
  }
});

test("a user's role change reaches a connected SDK in under one second: older JWTs go to the server", async () => {
  const { project, client } = await consumerProject();
  try {
    const user = await signInUser(server, project, ['editor']);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } };
    assert.equal((await client.sessions.authenticateJwt(check)).decided_by, 'local');
    await within(2000, async () => client.policies.connected);
    await client.users.update({ user_id: user.user_id, roles: [] });
    const took = await within(1000, () =>
      client.sessions.authenticateJwtLocal(check).then(
        () => false,
        (error) => error.code === 'jwt_stale',
      ),
    );
    console.log(`# role change seen by the SDK after ${took.toFixed(1)} ms`);
    await assert.rejects(client.sessions.authenticateJwt(check), { name: 'GatehouseApiError', status_code: 403 });
  } finally {
    client.close();
  }
});

test('the stream reconnects after a drop and catches up with a change made meanwhile', async () => {
  const project = await server.createProject();
  let streams = 0;
  let drop: (() => void) | undefined;
  const client = new GatehouseClient({
    project_id: project.project_id,
    secret: project.secret,
    base_url: server.baseUrl,
    policy: { reconnect_delay_ms: 300 },
    // The first stream is cut by the test, as a network failure would cut it.
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/changes') || streams++ > 0) return response;
      const reader = response.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          drop = () => {
            controller.error(new Error('connection reset'));
            void reader.cancel();
          };
        },
        async pull(controller) {
          const chunk = await reader.read();
          if (chunk.done) controller.close();
          else controller.enqueue(chunk.value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    },
  });
  try {
    await client.rbac.replacePolicy({ policy: POLICY });
    const user = await signInUser(server, project, ['editor']);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'delete' } };
    assert.equal(await allowed(client.sessions.authenticateJwtLocal(check)), false);
    await within(2000, async () => client.policies.connected);
    drop!();
    await within(1000, async () => !client.policies.connected);
    await client.rbac.updateRole({ role_id: 'editor', permissions: [{ resource_id: 'documents', actions: ['delete'] }] });
    await within(1500, () => allowed(client.sessions.authenticateJwtLocal(check)));
    assert.equal(streams, 2);
    assert.equal(client.policies.connected, true);
  } finally {
    client.close();
  }
});

test('polling keeps the policy current when the stream is off', async () => {
  const project = await server.createProject();
  const { client } = clientFor(project, { policy: { stream: false, poll_interval_ms: 100 } });
  try {
    await client.rbac.replacePolicy({ policy: POLICY });
    const user = await signInUser(server, project, []);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'create' } };
    assert.equal(await allowed(client.sessions.authenticateJwtLocal(check)), false);
    assert.equal(client.policies.connected, false);
    await client.rbac.updateRole({ role_id: 'stytch_user', permissions: [{ resource_id: 'documents', actions: ['read', 'create'] }] });
    await within(1000, () => allowed(client.sessions.authenticateJwtLocal(check)));
  } finally {
    client.close();
  }
});

test('B2B: local check with tenancy, org custom roles and their changes, the server on a mismatch', async () => {
  const b2b = await B2BProject.create(server);
  const { client, calls } = clientFor(b2b.credentials);
  try {
    const organization = await client.b2b.organizations.create({ organization_name: 'Acme' });
    const orgId = organization.organization.organization_id;
    const other = await client.b2b.organizations.create({ organization_name: 'Other' });
    const { member } = await client.b2b.members.create({ organization_id: orgId, email_address: 'ada@acme.com', roles: ['editor'] });
    const session = await b2b.startMemberSession(orgId, member.member_id);
    const check = (resource_id: string, action: string, organization_id = orgId) => ({
      session_jwt: session.session_jwt,
      authorization_check: { organization_id, resource_id, action },
    });
    const local = await client.b2b.sessions.authenticateJwt(check('documents', 'write'));
    assert.equal(local.decided_by, 'local');
    assert.equal(local.session.organization_id, orgId);
    assert.equal(local.session.member_id, member.member_id);
    assert.deepEqual(local.verdict, { authorized: true, granting_roles: ['editor'] });
    const mark = calls.length;
    await client.b2b.sessions.authenticateJwt(check('stytch.self', 'update.info.name'));
    assert.equal(calls.length, mark);
    await assert.rejects(client.b2b.sessions.authenticateJwtLocal(check('documents', 'read', other.organization.organization_id)), { code: 'tenancy_mismatch' });
    await assert.rejects(client.b2b.sessions.authenticateJwt(check('documents', 'read', other.organization.organization_id)), {
      status_code: 403,
      error_type: 'session_authorization_tenancy_error',
    });
    // An organization custom role, assigned: the member's next JWT carries it; the SDK loads the org policy.
    await within(2000, async () => client.policies.connected);
    await client.b2b.rbac.setOrgPolicy({ organization_id: orgId, org_policy: { roles: [{ role_id: 'org-deleter', description: '', permissions: [{ resource_id: 'documents', actions: ['delete'] }] }] } });
    await client.b2b.members.update({ organization_id: orgId, member_id: member.member_id, roles: ['editor', 'org-deleter'] });
    // A JWT issued in the second of a role change counts as older than it (iat has whole seconds).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const fresh = await b2b.startMemberSession(orgId, member.member_id);
    const deleteCheck = { session_jwt: fresh.session_jwt, authorization_check: { organization_id: orgId, resource_id: 'documents', action: 'delete' } };
    assert.equal((await client.b2b.sessions.authenticateJwt(deleteCheck)).decided_by, 'local');
    // A change of the org's custom roles reaches the SDK within a second.
    await client.b2b.rbac.setOrgPolicy({ organization_id: orgId, org_policy: { roles: [{ role_id: 'org-deleter', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] }] } });
    const took = await within(1000, async () => !(await allowed(client.b2b.sessions.authenticateJwtLocal(deleteCheck))));
    console.log(`# organization custom-role change seen by the SDK after ${took.toFixed(1)} ms`);
  } finally {
    client.close();
  }
});
