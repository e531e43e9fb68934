// The browser client against a real Gatehouse over HTTP (/sdk/v1), outside a browser: cookies in a
// MemoryCookieJar, storage in a Map. Hook behaviour in a real browser is the documents example's test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { b2bWorld, consumerWorld, memberWithPassword, PASSWORD, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { createGatehouseClient, GatehouseError, MemoryCookieJar, type GatehouseClientOptions, type KeyValueStorage } from './index.ts';

const APP = 'http://localhost:5173';

class MapStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

function clientFor(publicToken: string, extra: Partial<GatehouseClientOptions> = {}) {
  const cookies = new MemoryCookieJar();
  const storage = new MapStorage();
  const client = createGatehouseClient({ publicToken, baseUrl: server.baseUrl, cookies, storage, pollIntervalMs: 0, ...extra });
  return { client, cookies, storage };
}

describe('consumer', () => {
  test('password sign-in: state, cookies, storage, permission checks', async () => {
    const { credentials } = await consumerWorld(server, APP, ['editor']);
    const { client, cookies, storage } = clientFor(credentials.public_token);
    assert.equal(client.getState().status, 'signed_out');
    assert.equal(client.rbac.isAuthorizedSync('documents', 'read'), false, 'no policy yet, no roles');
    let notified = 0;
    client.subscribe(() => notified++);

    const response = await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    assert.ok(response.session_token && response.session_jwt);
    const state = client.getState();
    assert.equal(state.status, 'signed_in');
    assert.equal(state.user?.emails?.[0]?.email, 'ada@example.com');
    assert.deepEqual([...state.roles].sort(), ['editor', 'stytch_user']);
    assert.match(cookies.cookie, /stytch_session=[^;]+; stytch_session_jwt=ey/);
    assert.ok(storage.map.get(`gatehouse_sdk_state_${credentials.public_token}`)?.includes('ada@example.com'));
    assert.ok(notified >= 1);

    assert.equal(await client.rbac.isAuthorized('documents', 'write'), true);
    assert.equal(client.rbac.isAuthorizedSync('documents', 'write'), true);
    assert.equal(client.rbac.isAuthorizedSync('documents', 'delete'), false);
    assert.equal(client.rbac.isAuthorizedSync('nothing', 'read'), false);
    assert.deepEqual(await client.rbac.allPermissions(), { documents: { read: true, write: true, delete: false } });
    assert.equal(client.rbac.allPermissionsSync(), client.rbac.allPermissionsSync(), 'one object per state');
  });

  test('wrong password: a GatehouseError with the error_type, nothing kept', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const { client, cookies } = clientFor(credentials.public_token);
    await assert.rejects(client.passwords.authenticate({ email: 'ada@example.com', password: 'not-the-password-at-all' }), (error: unknown) => {
      assert.ok(error instanceof GatehouseError);
      assert.equal(error.status_code, 401);
      assert.equal(error.error_type, 'unauthorized_credentials');
      return true;
    });
    assert.equal(client.getState().status, 'signed_out');
    assert.equal(cookies.cookie, '');
  });

  test('role and policy changes reach the store on refresh; a refresh that changes nothing notifies nobody', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const { client } = clientFor(credentials.public_token, { maxPolicyAgeMs: 0 });
    await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await client.refresh();
    let notified = 0;
    client.subscribe(() => notified++);
    const before = client.getState();
    await client.refresh();
    assert.equal(notified, 0);
    assert.equal(client.getState(), before);

    await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: [] });
    await client.refresh();
    assert.deepEqual(client.getState().roles, ['stytch_user']);
    assert.equal(client.rbac.isAuthorizedSync('documents', 'write'), false);
    assert.equal(notified, 1);

    const { body } = await server.api(credentials, 'GET', '/v1/rbac/policy');
    const policy = body.policy;
    policy.roles.find((role: { role_id: string }) => role.role_id === 'stytch_user').permissions = [{ resource_id: 'documents', actions: ['read', 'write'] }];
    assert.equal((await server.api(credentials, 'PUT', '/v1/rbac/policy', { policy })).status, 200);
    assert.equal(await client.rbac.isAuthorized('documents', 'write'), true, 'isAuthorized reads the policy again');
  });

  test('start() polls: a revoked role reaches a started client without calls from the page', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    // Every request the client makes, so the test can tell its polls from its own calls.
    const requests: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      requests.push(new URL(input instanceof Request ? input.url : input).pathname);
      return fetch(input, init);
    };
    const { client } = clientFor(credentials.public_token, { pollIntervalMs: 100, fetch: countingFetch });
    await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await client.start();
    try {
      assert.equal(client.rbac.isAuthorizedSync('documents', 'write'), true, 'an editor, before the change');
      const sessionReads = () => requests.filter((path) => path.endsWith('/sessions/authenticate')).length;
      const readsBefore = sessionReads();
      const changed = new Promise<void>((resolve) => client.subscribe(() => !client.rbac.isAuthorizedSync('documents', 'write') && resolve()));
      await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: [] });
      let waited: ReturnType<typeof setTimeout> | undefined;
      const noPoll = new Promise<never>((_, reject) => {
        waited = setTimeout(() => reject(new Error(`no poll brought the change in 5 s (${sessionReads() - readsBefore} session reads)`)), 5_000);
      });
      await Promise.race([changed, noPoll]).finally(() => clearTimeout(waited));
      assert.equal(client.rbac.isAuthorizedSync('documents', 'write'), false, 'the revoked role is gone');
      assert.equal(client.rbac.isAuthorizedSync('documents', 'read'), true, 'stytch_user still reads');
      assert.ok(sessionReads() > readsBefore, 'the client read the session again by itself');
    } finally {
      client.stop();
    }
    // And stop() ends the polling: three intervals pass without a request.
    const afterStop = requests.length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(requests.length, afterStop, 'no request after stop()');
  });

  test('a new page load answers from the stored session and policy first, then from the server', async () => {
    const { credentials, userId } = await consumerWorld(server, APP, ['editor']);
    const first = clientFor(credentials.public_token);
    await first.client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await first.client.refresh();

    const reloaded = createGatehouseClient({ publicToken: credentials.public_token, baseUrl: server.baseUrl, cookies: first.cookies, storage: first.storage, pollIntervalMs: 0 });
    const cached = reloaded.getState();
    assert.equal(cached.status, 'loading');
    assert.equal(cached.policyFresh, false);
    assert.equal(reloaded.rbac.isAuthorizedSync('documents', 'write'), true, 'cached answer before any call');

    await server.api(credentials, 'PUT', `/v1/users/${userId}`, { roles: [] });
    await reloaded.ready();
    assert.equal(reloaded.getState().status, 'signed_in');
    assert.equal(reloaded.getState().policyFresh, true);
    assert.equal(reloaded.rbac.isAuthorizedSync('documents', 'write'), false, 'fresh answer');
  });

  test('sign out revokes the session on the server and forgets it here', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const { client, cookies, storage } = clientFor(credentials.public_token);
    const { session_token } = await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await client.session.revoke();
    assert.equal(client.getState().status, 'signed_out');
    assert.equal(client.getState().user, null);
    assert.equal(cookies.cookie, '');
    assert.equal(storage.map.get(`gatehouse_sdk_state_${credentials.public_token}`), undefined);
    const check = await server.api(credentials, 'POST', '/v1/sessions/authenticate', { session_token });
    assert.equal(check.status, 404);
  });

  test('a session revoked elsewhere signs the client out at the next refresh', async () => {
    const { credentials } = await consumerWorld(server, APP);
    const { client, cookies } = clientFor(credentials.public_token);
    const { session_token } = await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    assert.equal((await server.api(credentials, 'POST', '/v1/sessions/revoke', { session_token })).status, 200);
    assert.equal(await client.session.authenticate(), null);
    assert.equal(client.getState().status, 'signed_out');
    assert.equal(cookies.cookie, '');
    assert.equal(await client.rbac.isAuthorized('documents', 'read'), false);
  });

  test('magic link sign-in', async () => {
    const { credentials, userId } = await consumerWorld(server, APP);
    assert.equal((await server.api(credentials, 'POST', '/v1/magic_links/email/login_or_create', { email: 'ada@example.com' })).status, 200);
    const { rows } = await server.gatehouse.db.query<{ link: string }>('SELECT link FROM email_outbox WHERE project_id = $1 ORDER BY position DESC LIMIT 1', [credentials.project_id]);
    const token = /token=([\w-]+)/.exec(rows[0]!.link)![1]!;
    const { client } = clientFor(credentials.public_token);
    await client.magicLinks.authenticate(token);
    assert.equal(client.getState().user?.user_id, userId);
    assert.equal(client.getState().status, 'signed_in');
  });

  test('an unreachable server: isAuthorized answers from what the client holds', async () => {
    const { credentials } = await consumerWorld(server, APP, ['editor']);
    const { client, cookies, storage } = clientFor(credentials.public_token);
    await client.passwords.authenticate({ email: 'ada@example.com', password: PASSWORD });
    await client.refresh();
    const offline = createGatehouseClient({ publicToken: credentials.public_token, baseUrl: 'http://127.0.0.1:9', cookies, storage, pollIntervalMs: 0 });
    assert.equal(await offline.rbac.isAuthorized('documents', 'write'), true);
  });
});

describe('B2B', () => {
  const POLICY = {
    resources: [{ resource_id: 'reports', description: '', actions: ['read', 'export'] }],
    roles: [
      { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'reports', actions: ['read'] }] },
      { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'reports', actions: ['*'] }] },
    ],
    scopes: [],
  };

  test('member password sign-in, member session roles, organization custom roles', async () => {
    const { project, organization } = await b2bWorld(server, 'http://localhost:5174', POLICY);
    const orgId = organization.organization_id as string;
    assert.equal(
      (await project.api('PUT', `/v1/b2b/rbac/organizations/${orgId}`, { org_policy: { roles: [{ role_id: 'exporter', description: '', permissions: [{ resource_id: 'reports', actions: ['export'] }] }] } })).status,
      200,
    );
    await memberWithPassword(project, orgId, 'grace@example.com', ['exporter']);
    const { client } = clientFor(project.credentials.public_token, { vertical: 'b2b' });
    await client.passwords.authenticate({ organization_id: orgId, email_address: 'grace@example.com', password: PASSWORD });
    const state = client.getState();
    assert.equal(state.status, 'signed_in');
    assert.equal(state.member?.email_address, 'grace@example.com');
    assert.equal(state.organization?.organization_id, orgId);
    assert.deepEqual([...state.roles].sort(), ['exporter', 'stytch_member']);
    assert.equal(await client.rbac.isAuthorized('reports', 'export'), true, 'custom role of the organization');
    assert.equal(client.rbac.isAuthorizedSync('reports', 'read'), true);
    assert.equal(client.rbac.isAuthorizedSync('stytch.member', 'delete'), false);

    await client.session.revoke();
    assert.equal(client.getState().status, 'signed_out');
    assert.equal(client.getState().member, null);
  });
});
