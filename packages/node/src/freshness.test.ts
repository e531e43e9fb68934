// Freshness of local JWT decisions: a session revoked or a role removed reaches another client
// instance's authenticateJwt within a second over the change stream; strict mode sends to the server
// whatever the stream could not vouch for (stream down, JWT older than the connection). And the
// project's custom claim template reaches authenticateJwt's custom_claims.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signInUser, startTestServer, type ProjectCredentials, type TestServer } from '@gatehouse/server/testing';
import { GatehouseClient, GatehouseClientError, type GatehouseClientOptions } from './index.ts';
import { within } from './test-support.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'update'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['update'] }] },
  ],
  scopes: [],
};

function clientFor(project: ProjectCredentials, options: Partial<GatehouseClientOptions> = {}) {
  return new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl, ...options });
}


const refusedWith = (attempt: Promise<unknown>) => attempt.then(() => undefined, (error) => (error instanceof GatehouseClientError ? error.code : Promise.reject(error)));
const waitSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));

test('a revoked session: another client instance refuses its JWT within a second (the server confirms)', async () => {
  const project = await server.createProject();
  const admin = clientFor(project);
  const watcher = clientFor(project);
  try {
    await admin.rbac.replacePolicy({ policy: POLICY });
    const user = await signInUser(server, project, ['editor']);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } };
    assert.equal((await watcher.sessions.authenticateJwt(check)).decided_by, 'local');
    await within(2000, async () => watcher.policies.connected);
    await admin.sessions.revoke({ session_jwt: user.session_jwt });
    const took = await within(1000, async () => (await refusedWith(watcher.sessions.authenticateJwtLocal(check))) === 'session_revoked');
    console.log(`# revocation seen by another client after ${took.toFixed(1)} ms`);
    await assert.rejects(watcher.sessions.authenticateJwt(check), { name: 'GatehouseApiError', status_code: 404 });
  } finally {
    admin.close();
    watcher.close();
  }
});

test('strict: a role removal denies within a second; stream down or a JWT older than the connection: the server decides', async () => {
  const project = await server.createProject();
  const admin = clientFor(project);
  let cut: (() => void) | undefined;
  let streams = 0;
  let refuseStreams = false;
  const strict = clientFor(project, {
    freshness: 'strict',
    policy: { reconnect_delay_ms: 200 },
    fetch: async (input, init) => {
      if (!String(input).endsWith('/changes')) return fetch(input, init);
      streams++;
      if (refuseStreams) throw new TypeError('fetch failed');
      const controller = new AbortController();
      init?.signal?.addEventListener('abort', () => controller.abort());
      cut = () => controller.abort();
      return fetch(input, { ...init, signal: controller.signal });
    },
  });
  try {
    await admin.rbac.replacePolicy({ policy: POLICY });
    const early = await signInUser(server, project, ['editor']);
    // The first call starts the stream; a JWT issued before it connected goes to the server.
    assert.equal((await strict.sessions.authenticateJwt({ session_jwt: early.session_jwt })).decided_by, 'server');
    await within(2000, async () => strict.policies.connected);
    assert.equal(await refusedWith(strict.sessions.authenticateJwtLocal({ session_jwt: early.session_jwt })), 'jwt_stale');
    await waitSecond();
    const user = await signInUser(server, project, ['editor']);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } };
    assert.equal((await strict.sessions.authenticateJwt(check)).decided_by, 'local');

    // A role removed: the old JWT is no longer decided locally within a second, and the server denies.
    await admin.users.update({ user_id: user.user_id, roles: [] });
    const took = await within(1000, async () => (await refusedWith(strict.sessions.authenticateJwtLocal(check))) === 'jwt_stale');
    console.log(`# strict: role removal seen after ${took.toFixed(1)} ms`);
    await assert.rejects(strict.sessions.authenticateJwt(check), { name: 'GatehouseApiError', status_code: 403 });

    // Stream down: nothing is decided locally, even a JWT issued after the last connection.
    await waitSecond();
    const fresh = await signInUser(server, project, ['editor']);
    const freshCheck = { session_jwt: fresh.session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } };
    assert.equal((await strict.sessions.authenticateJwt(freshCheck)).decided_by, 'local');
    refuseStreams = true;
    cut!();
    await within(1000, async () => !strict.policies.connected);
    assert.equal(await refusedWith(strict.sessions.authenticateJwtLocal(freshCheck)), 'jwt_stale');
    assert.equal((await strict.sessions.authenticateJwt(freshCheck)).decided_by, 'server');
    // A revocation while down is refused by the server.
    await admin.sessions.revoke({ session_jwt: fresh.session_jwt });
    await assert.rejects(strict.sessions.authenticateJwt(freshCheck), { name: 'GatehouseApiError', status_code: 404 });
    // Back up: JWTs issued before the new connection still go to the server; newer ones are local again.
    refuseStreams = false;
    await within(3000, async () => strict.policies.connected);
    assert.ok(streams >= 2);
    await waitSecond();
    const later = await signInUser(server, project, ['editor']);
    assert.equal((await strict.sessions.authenticateJwt({ session_jwt: later.session_jwt })).decided_by, 'local');
  } finally {
    admin.close();
    strict.close();
  }
});

test('default freshness, stream down: decisions stay local (Stytch\'s behaviour) and policies are polled', async () => {
  const project = await server.createProject();
  const client = clientFor(project, { policy: { stream: false, poll_interval_ms: 100 } });
  try {
    await client.rbac.replacePolicy({ policy: POLICY });
    const user = await signInUser(server, project, ['editor']);
    const check = { session_jwt: user.session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } };
    assert.equal((await client.sessions.authenticateJwt(check)).decided_by, 'local');
    assert.equal(client.policies.connected, false);
    await client.rbac.updateRole({ role_id: 'editor', permissions: [{ resource_id: 'documents', actions: ['read'] }] });
    await within(1000, async () => (await refusedWith(client.sessions.authenticateJwtLocal(check))) === 'invalid_permissions');
  } finally {
    client.close();
  }
});

test('custom claim template: authenticateJwt exposes the rendered claims as custom_claims', async () => {
  const project = await server.createProject();
  const client = clientFor(project);
  try {
    const template = '{"plan": {{ user.trusted_metadata.plan }}, "roles": {{ user.rbac.roles }}}';
    assert.equal((await server.api(project, 'PUT', '/v1/project/jwt_templates/session', { template_content: template })).status, 200);
    const user = await signInUser(server, project, []);
    await client.users.update({ user_id: user.user_id, trusted_metadata: { plan: 'pro' } });
    const { session_jwt } = await client.sessions.authenticate({ session_jwt: user.session_jwt });
    const local = await client.sessions.authenticateJwt({ session_jwt });
    assert.deepEqual(local.session.custom_claims, { plan: 'pro', roles: ['stytch_user'] });
  } finally {
    client.close();
  }
});
