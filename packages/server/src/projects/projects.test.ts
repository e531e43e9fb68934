// Project secrets: stored hashed, several active at once, rotation, and first-start bootstrap.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../shared/config.ts';
import { openPostgres } from '../store/database.ts';
import { expectError, startTestServer, TEST_ENCRYPTION_KEY, type TestServer } from '../testing/harness.ts';
import { ensureProject, readCredentialsFile } from './bootstrap.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('secrets are stored only as hashes', async () => {
  const project = await server.createProject();
  const { rows } = await server.gatehouse.db.query<{ secret_hash: Uint8Array; last_four: string }>(
    'SELECT secret_hash, last_four FROM project_secrets WHERE project_id = $1',
    [project.project_id],
  );
  assert.equal(rows.length, 1);
  const stored = Buffer.from(rows[0]!.secret_hash);
  assert.equal(stored.length, 32);
  assert.ok(!stored.toString('latin1').includes(project.secret));
  const dump = JSON.stringify((await server.gatehouse.db.query('SELECT * FROM project_secrets')).rows);
  assert.ok(!dump.includes(project.secret), 'no column holds the secret');
  assert.equal(rows[0]!.last_four, project.secret.slice(-4));
});

test("a project's secret opens only that project", async () => {
  const a = await server.createProject();
  const b = await server.createProject();
  expectError(await server.api({ ...b, secret: a.secret }, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  assert.equal((await server.api(b, 'GET', '/v1/rbac/policy')).status, 200);
});

test('rotation: a second secret works beside the first, then the first is revoked', async () => {
  const project = await server.createProject();
  const created = await server.api(project, 'POST', '/v1/project/secrets');
  assert.equal(created.status, 200);
  const second = { ...project, secret: created.body.secret.secret as string };
  assert.match(second.secret, /^secret-test-/);

  assert.equal((await server.api(project, 'GET', '/v1/rbac/policy')).status, 200);
  assert.equal((await server.api(second, 'GET', '/v1/rbac/policy')).status, 200);

  const listed = await server.api(second, 'GET', '/v1/project/secrets');
  assert.equal(listed.body.secrets.length, 2);
  assert.ok(listed.body.secrets.every((s: Record<string, unknown>) => !('secret' in s) && !('secret_hash' in s)));
  const first = listed.body.secrets.find((s: { secret_id: string }) => s.secret_id !== created.body.secret.secret_id);

  const revoked = await server.api(second, 'DELETE', `/v1/project/secrets/${first.secret_id}`);
  assert.equal(revoked.status, 200);
  expectError(await server.api(project, 'GET', '/v1/rbac/policy'), 401, 'unauthorized_credentials');
  assert.equal((await server.api(second, 'GET', '/v1/rbac/policy')).status, 200);

  // The last secret cannot be revoked: the project would be locked out.
  expectError(await server.api(second, 'DELETE', `/v1/project/secrets/${created.body.secret.secret_id}`), 400, 'cannot_revoke_last_secret');
  expectError(await server.api(second, 'DELETE', `/v1/project/secrets/${first.secret_id}`), 404, 'secret_not_found');
});

test('another server process on the same PostgreSQL stops accepting a revoked secret within a second', async (t) => {
  if (server.database.kind !== 'postgres') return t.skip('PGlite is one process: cross-process invalidation needs PostgreSQL');
  const otherDb = await openPostgres({ url: process.env.DATABASE_URL!, schema: server.database.schema });
  const other = await startTestServer({ database: { db: otherDb, kind: 'postgres', dispose: () => otherDb.close() } });
  try {
    const project = await server.createProject();
    const created = await server.api(project, 'POST', '/v1/project/secrets');
    const second = { ...project, secret: created.body.secret.secret as string };
    // The other process has seen the first secret authenticate (it recognises that header now).
    assert.equal((await other.api(project, 'GET', '/v1/rbac/policy')).status, 200);
    const first = (await server.api(second, 'GET', '/v1/project/secrets')).body.secrets.find((s: { secret_id: string }) => s.secret_id !== created.body.secret.secret_id);
    assert.equal((await server.api(second, 'DELETE', `/v1/project/secrets/${first.secret_id}`)).status, 200);
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 1000) {
      status = (await other.api(project, 'GET', '/v1/rbac/policy')).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 401);
    assert.equal((await other.api(second, 'GET', '/v1/rbac/policy')).status, 200);
  } finally {
    await other.close();
    await otherDb.close().catch(() => {});
  }
});

test("a project cannot see or revoke another project's secrets", async () => {
  const a = await server.createProject();
  const b = await server.createProject();
  await server.api(b, 'POST', '/v1/project/secrets');
  const bSecrets = (await server.api(b, 'GET', '/v1/project/secrets')).body.secrets;
  const aSecrets = (await server.api(a, 'GET', '/v1/project/secrets')).body.secrets;
  assert.equal(aSecrets.length, 1);
  assert.ok(!aSecrets.some((s: { secret_id: string }) => bSecrets.some((t: { secret_id: string }) => t.secret_id === s.secret_id)));
  expectError(await server.api(a, 'DELETE', `/v1/project/secrets/${bSecrets[0].secret_id}`), 404, 'secret_not_found');
  assert.equal((await server.api(b, 'GET', '/v1/project/secrets')).body.secrets.length, 2);
});

test('first start takes known credentials from the environment; a second start reuses the project', async () => {
  const projectId = 'project-test-11111111-2222-4333-8444-555555555555';
  const env = {
    GATEHOUSE_DATA_DIR: join(server.config.dataDir, 'bootstrap'),
    GATEHOUSE_PROJECT_ID: projectId,
    GATEHOUSE_SECRET: 'ci-known-secret-0123456789abcdef',
    GATEHOUSE_PUBLIC_TOKEN: 'public-token-test-66666666-7777-4888-9999-000000000000',
  };
  const { config } = loadConfig(env);
  const first = await ensureProject(server.gatehouse, config);
  assert.equal(first.created?.project_id, projectId);
  assert.equal(first.project.public_token, env.GATEHOUSE_PUBLIC_TOKEN);
  assert.equal(statSync(first.credentialsFile).mode & 0o777, 0o600);
  assert.equal(readCredentialsFile(config.dataDir)?.secret, env.GATEHOUSE_SECRET);
  assert.equal((await server.api({ project_id: projectId, secret: env.GATEHOUSE_SECRET, public_token: '' }, 'GET', '/v1/rbac/policy')).status, 200);

  // Development: the first start registers http://localhost:3000/authenticate as every type's default.
  const everyType = ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'].map((type) => ({ type, is_default: true }));
  assert.deepEqual(first.redirectUrls.map((u) => ({ url: u.url, valid_types: u.valid_types })), [{ url: 'http://localhost:3000/authenticate', valid_types: everyType }]);
  const registered = await server.api({ project_id: projectId, secret: env.GATEHOUSE_SECRET, public_token: '' }, 'GET', '/v1/project/redirect_urls');
  assert.deepEqual(registered.body.redirect_urls.map((u: { url: string }) => u.url), ['http://localhost:3000/authenticate']);

  const second = await ensureProject(server.gatehouse, config);
  assert.equal(second.created, undefined);
  assert.equal(second.project.project_id, projectId);
  assert.deepEqual(second.redirectUrls, [], 'a later start registers nothing');

  // A different secret for an existing project is refused rather than silently added.
  const { config: changed } = loadConfig({ ...env, GATEHOUSE_SECRET: 'another-secret-0123456789abcdef' });
  await assert.rejects(ensureProject(server.gatehouse, changed), /not an active secret/);
  const { config: malformed } = loadConfig({ ...env, GATEHOUSE_PROJECT_ID: 'my-project' });
  await assert.rejects(ensureProject(server.gatehouse, malformed), /project-test-<uuid>/);
});

test('production registers no redirect URL unless told; the told ones are checked before the project is made', async () => {
  const production = { GATEHOUSE_MODE: 'production', DATABASE_URL: 'postgres://unused/db', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com', GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
  const plain = loadConfig({ ...production, GATEHOUSE_DATA_DIR: join(server.config.dataDir, 'prod-plain'), GATEHOUSE_PROJECT_ID: 'project-test-21111111-2222-4333-8444-555555555555' }).config;
  assert.equal(plain.email.redirectUrl, undefined);
  const bare = await ensureProject(server.gatehouse, plain);
  assert.deepEqual(bare.redirectUrls, []);
  assert.deepEqual(await server.gatehouse.redirectUrls.list(bare.project.project_id), []);

  const told = loadConfig({
    ...production, GATEHOUSE_DATA_DIR: join(server.config.dataDir, 'prod-told'), GATEHOUSE_PROJECT_ID: 'project-test-31111111-2222-4333-8444-555555555555',
    GATEHOUSE_REDIRECT_URL: 'https://app.example.com/authenticate', GATEHOUSE_RESET_PASSWORD_URL: 'https://app.example.com/reset',
  }).config;
  const made = await ensureProject(server.gatehouse, told);
  assert.deepEqual(made.redirectUrls.map((u) => [u.url, u.valid_types.map((t) => `${t.type}${t.is_default ? '*' : ''}`)]), [
    ['https://app.example.com/authenticate', ['LOGIN*', 'SIGNUP*', 'INVITE*', 'DISCOVERY*']],
    ['https://app.example.com/reset', ['RESET_PASSWORD*']],
  ]);

  const projectId = 'project-live-41111111-2222-4333-8444-555555555555';
  const insecure = loadConfig({ ...production, GATEHOUSE_ENVIRONMENT: 'live', GATEHOUSE_DATA_DIR: join(server.config.dataDir, 'prod-http'), GATEHOUSE_PROJECT_ID: projectId, GATEHOUSE_REDIRECT_URL: 'http://app.example.com/authenticate' }).config;
  await assert.rejects(ensureProject(server.gatehouse, insecure), /GATEHOUSE_REDIRECT_URL: .*https/);
  assert.equal(await server.gatehouse.projects.findProject(projectId), null, 'no project was made');
});

test("a known project id must name the configured environment: the id is where a project's environment is read", async () => {
  const testId = 'project-test-51111111-2222-4333-8444-555555555555';
  const { config: live } = loadConfig({ GATEHOUSE_ENVIRONMENT: 'live', GATEHOUSE_DATA_DIR: join(server.config.dataDir, 'mismatch'), GATEHOUSE_PROJECT_ID: testId });
  await assert.rejects(ensureProject(server.gatehouse, live), /not a live project id/);
  assert.equal(await server.gatehouse.projects.findProject(testId), null, 'no project was made');
});
