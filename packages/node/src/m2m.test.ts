// authenticateM2M against a started server: an M2M token from the token endpoint verified locally
// against the cached JWKS (no call per token), required scopes, and authorization checks answered
// by @gatehouse/policy from the policy's `scopes`; a policy change reaches the check.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type ProjectCredentials, type TestServer } from '@gatehouse/server/testing';
import { GatehouseClient, GatehouseClientError } from './index.ts';

let server: TestServer;
let project: ProjectCredentials;
let client: GatehouseClient;
const calls: string[] = [];

const POLICY = {
  resources: [
    { resource_id: 'documents', description: '', actions: ['read', 'write', 'delete'] },
    { resource_id: 'reports', description: '', actions: ['read'] },
  ],
  roles: [{ role_id: 'stytch_user', description: '', permissions: [] }],
  scopes: [
    { scope: 'read:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { scope: 'write:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
  ],
};

before(async () => {
  server = await startTestServer();
  project = await server.createProject();
  // Every API call but the change stream is recorded.
  const counted: typeof fetch = (input, init) => {
    const { pathname } = new URL(String(input));
    if (!pathname.endsWith('/changes')) calls.push(`${init?.method ?? 'GET'} ${pathname}`);
    return fetch(input, init);
  };
  client = new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl, fetch: counted });
  await client.rbac.replacePolicy({ policy: POLICY });
});
after(async () => {
  client?.close();
  await server?.close();
});

const refusedWith = (code: string) => (error: unknown) => error instanceof GatehouseClientError && error.code === code;

test('a token verified and checked locally: required scopes, and the policy\'s scopes answering resource:action', async () => {
  const { m2m_client } = await client.m2m.clients.create({ scopes: ['read:documents', 'write:documents', 'unlisted:scope'], client_name: 'sync' });
  const { access_token } = await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret });

  const result = await client.authenticateM2M(access_token, { required_scopes: ['write:documents'], authorization_check: { resource_id: 'documents', action: 'write' } });
  assert.equal(result.client_id, m2m_client.client_id);
  assert.deepEqual(result.scopes, ['read:documents', 'write:documents', 'unlisted:scope']);
  assert.deepEqual(result.verdict?.granting_roles, ['write:documents']);
  await assert.rejects(client.authenticateM2M(access_token, { authorization_check: { resource_id: 'documents', action: 'delete' } }), refusedWith('invalid_permissions'));
  await assert.rejects(client.authenticateM2M(access_token, { authorization_check: { resource_id: 'reports', action: 'read' } }), refusedWith('invalid_permissions'));
  await assert.rejects(client.authenticateM2M(access_token, { required_scopes: ['delete:documents'] }), refusedWith('missing_scopes'));

  // Narrowed at the token endpoint: only what was asked for.
  const narrow = await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret, scopes: ['read:documents'] });
  await assert.rejects(client.authenticateM2M(narrow.access_token, { authorization_check: { resource_id: 'documents', action: 'write' } }), refusedWith('invalid_permissions'));
  assert.equal((await client.authenticateM2M(narrow.access_token, { authorization_check: { resource_id: 'documents', action: 'read' } })).verdict?.authorized, true);

  // No call per token once the keys and the policy are cached.
  calls.length = 0;
  for (let i = 0; i < 20; i++) await client.authenticateM2M(access_token, { authorization_check: { resource_id: 'documents', action: 'read' } });
  assert.deepEqual(calls, []);
});

test('refused: a forged token, another project\'s token, a session-shaped token, a token too old', async () => {
  const { m2m_client } = await client.m2m.clients.create({ scopes: ['read:documents'] });
  const { access_token } = await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret });
  const [header, payload, signature] = access_token.split('.');
  const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'write:documents' })).toString('base64url');
  await assert.rejects(client.authenticateM2M(`${header}.${widened}.${signature}`), refusedWith('jwt_invalid'));

  const other = await server.createProject();
  const otherClient = new GatehouseClient({ project_id: other.project_id, secret: other.secret, base_url: server.baseUrl });
  try {
    const created = await otherClient.m2m.clients.create({ scopes: ['read:documents'] });
    const foreign = await otherClient.m2m.token({ client_id: created.m2m_client.client_id, client_secret: created.m2m_client.client_secret });
    await assert.rejects(client.authenticateM2M(foreign.access_token), refusedWith('jwt_invalid'));
  } finally {
    otherClient.close();
  }
  await assert.rejects(client.authenticateM2M(access_token, { max_token_age_seconds: 0 }), refusedWith('jwt_too_old'));
  await assert.rejects(client.authenticateM2M(access_token, { current_date: new Date(Date.now() + 2 * 3600_000) }), refusedWith('jwt_invalid'));
});

test('a change to the policy\'s scopes reaches the check', async () => {
  const { m2m_client } = await client.m2m.clients.create({ scopes: ['read:documents'] });
  const { access_token } = await client.m2m.token({ client_id: m2m_client.client_id, client_secret: m2m_client.client_secret });
  const check = { authorization_check: { resource_id: 'reports', action: 'read' } };
  await assert.rejects(client.authenticateM2M(access_token, check), refusedWith('invalid_permissions'));
  const widened = { ...POLICY, scopes: POLICY.scopes.map((s) => (s.scope === 'read:documents' ? { ...s, permissions: [...s.permissions, { resource_id: 'reports', actions: ['read'] }] } : s)) };
  await client.rbac.replacePolicy({ policy: widened });
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await client.authenticateM2M(access_token, check);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  await client.rbac.replacePolicy({ policy: POLICY });
});
