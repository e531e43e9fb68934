// The `gatehouse` command as a user runs it: first start, second start, policy in a file, secrets.
// On PostgreSQL (DATABASE_URL set) the server works in a schema of its own, dropped at the end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliTestEnvironment, dropSchema, freePort, runCli, serveCli, stopCli } from '../../testing/cli-process.ts';
import { credentialsFileName } from '../../projects/bootstrap.ts';
import { basicAuth } from '../../testing/harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
const schema = `gatehouse_cli_${randomBytes(4).toString('hex')}`;
let port = 0;
let env: NodeJS.ProcessEnv;

const serve = (extraEnv: NodeJS.ProcessEnv = {}) => serveCli({ ...env, ...extraEnv });
const stop = stopCli;
const cli = (...args: string[]) => runCli(env, undefined, ...args);
const cliWithInput = (input: string | undefined, ...args: string[]) => runCli(env, input, ...args);

/** This database's credentials file (the embedded database's, or this schema's on PostgreSQL). */
const credentialsFile = () => join(dataDir, credentialsFileName({ databaseUrl: env.DATABASE_URL, databaseSchema: env.GATEHOUSE_DATABASE_SCHEMA }));

/** The status of a dashboard sign-in. */
async function adminLogin(email: string, password: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/dashboard/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return response.status;
}

before(async () => {
  port = await freePort();
  env = cliTestEnvironment({ port, dataDir, schema });
});

after(async () => {
  await dropSchema(schema);
});

test('first start creates the project and the first admin, prints and stores its credentials; the second start reuses them', async () => {
  const first = await serve();
  let credentials: { project_id: string; secret: string; public_token: string; base_url: string };
  let adminPassword: string;
  try {
    assert.match(first.output, /admin: +admin@localhost/);
    adminPassword = first.output.match(/password: +(\S+) +\(shown once here/)?.[1] ?? '';
    assert.match(adminPassword, /^[\w-]{24}$/);
    assert.equal(await adminLogin('admin@localhost', adminPassword), 200);
    assert.match(first.output, new RegExp(`dashboard: +http://127\\.0\\.0\\.1:${port}/dashboard/`));
    assert.match(first.output, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
    credentials = JSON.parse(readFileSync(credentialsFile(), 'utf8'));
    assert.equal(statSync(credentialsFile()).mode & 0o777, 0o600);
    assert.match(credentials.project_id, /^project-test-[0-9a-f-]{36}$/);
    assert.match(credentials.public_token, /^public-token-test-/);
    assert.ok(first.output.includes(credentials.project_id) && first.output.includes(credentials.secret));
    assert.match(first.output, /redirect URL: http:\/\/localhost:3000\/authenticate registered as the default for login, signup, invite, reset_password, discovery/);

    const response = await fetch(`http://127.0.0.1:${port}/v1/rbac/policy`, { headers: { authorization: basicAuth(credentials.project_id, credentials.secret) } });
    assert.equal(response.status, 200);
  } finally {
    await stop(first.child);
  }

  const second = await serve();
  try {
    assert.ok(second.output.includes(credentials.project_id), 'same project');
    assert.ok(!second.output.includes(credentials.secret), 'the secret is not printed again');
    assert.ok(!second.output.includes(adminPassword) && !/password:/.test(second.output), 'nor the admin password');
    assert.ok(!second.output.includes('redirect URL'), 'a later start registers no redirect URL');
    assert.equal(await adminLogin('admin@localhost', adminPassword), 200);
    const response = await fetch(`http://127.0.0.1:${port}/v1/rbac/policy`, { headers: { authorization: basicAuth(credentials.project_id, credentials.secret) } });
    assert.equal(response.status, 200);
  } finally {
    await stop(second.child);
  }
});

test('policy apply prints the changes, export gives the policy back, secrets rotate, admins and redirect URLs are managed', async () => {
  const { child } = await serve();
  try {
    const file = join(dataDir, 'policy.json');
    const policy = {
      resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }],
      roles: [
        { role_id: 'stytch_user', description: 'Everyone', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
        { role_id: 'writer', description: 'Writes', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
      ],
      scopes: [],
    };
    writeFileSync(file, JSON.stringify({ policy }));

    const dry = cli('policy', 'apply', file, '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /\+ resource documents/);
    assert.match(dry.stdout, /Dry run: nothing written/);

    const applied = cli('policy', 'apply', file);
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /\+ role writer/);
    assert.match(applied.stdout, /Policy version 2 written/);

    const exported = cli('policy', 'export');
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(JSON.parse(exported.stdout), { policy });

    // An exported file applies as it is, with nothing to change.
    writeFileSync(file, exported.stdout);
    assert.match(cli('policy', 'apply', file).stdout, /No changes/);

    writeFileSync(file, JSON.stringify({ policy: { ...policy, roles: policy.roles.slice(1) } }));
    const refused = cli('policy', 'apply', file);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /invalid_rbac_stytch_role_edit/);

    const created = cli('secrets', 'create');
    assert.equal(created.status, 0, created.stderr);
    const [secretId, secret] = created.stdout.split('\n');
    assert.match(secret!, /^secret-test-/);
    const listed = cli('secrets', 'list');
    assert.equal(listed.stdout.trim().split('\n').length, 2);
    assert.ok(listed.stdout.includes(secretId!));
    assert.ok(!listed.stdout.includes(secret!));
    assert.equal(cli('secrets', 'revoke', secretId!).status, 0);
    assert.equal(cli('secrets', 'list').stdout.trim().split('\n').length, 1);

    const credentials = JSON.parse(readFileSync(credentialsFile(), 'utf8'));
    const jwks = async () => ((await (await fetch(`http://127.0.0.1:${port}/v1/sessions/jwks/${credentials.project_id}`)).json()) as { keys: { kid: string }[] }).keys;
    const before = (await jwks()).map((key) => key.kid);
    const rotated = cli('keys', 'rotate');
    assert.equal(rotated.status, 0, rotated.stderr);
    const kid = rotated.stdout.match(/signing with (\S+)/)?.[1];
    assert.ok(kid);
    assert.deepEqual((await jwks()).map((key) => key.kid).sort(), [...before, kid].sort());

    const admin = cli('admin', 'create', '--email', 'Ops@Example.com');
    assert.equal(admin.status, 0, admin.stderr);
    assert.match(admin.stdout, /created admin-test-\S+ +ops@example\.com/);
    const password = admin.stdout.match(/password: (\S+)/)?.[1] ?? '';
    assert.match(admin.stdout, /shown once/);
    assert.equal(await adminLogin('ops@example.com', password), 200);
    const piped = cliWithInput('a passphrase from stdin\n', 'admin', 'create', '--email', 'piped@example.com', '--password-stdin');
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stdout, /password:/);
    assert.equal(await adminLogin('piped@example.com', 'a passphrase from stdin'), 200);
    const duplicate = cli('admin', 'create', '--email', 'ops@example.com');
    assert.equal(duplicate.status, 1);
    assert.match(duplicate.stderr, /duplicate_admin_email/);
    const admins = cli('admin', 'list');
    assert.deepEqual(admins.stdout.trim().split('\n').map((line) => line.split(/ +/)[1]), ['admin@localhost', 'ops@example.com', 'piped@example.com']);
    const reset = cli('admin', 'reset-password', '--email', 'ops@example.com');
    const newPassword = reset.stdout.match(/password: (\S+)/)?.[1] ?? '';
    assert.equal(await adminLogin('ops@example.com', password), 401);
    assert.equal(await adminLogin('ops@example.com', newPassword), 200);
    assert.match(cli('admin', 'disable', '--email', 'ops@example.com').stdout, /disabled admin-test-/);
    assert.equal(await adminLogin('ops@example.com', newPassword), 401);
    assert.match(cli('admin', 'list').stdout, /ops@example\.com +created \S+ +disabled /);

    // redirect-urls: the first start registered http://localhost:3000/authenticate for every type.
    const urls = cli('redirect-urls', 'list');
    assert.equal(urls.status, 0, urls.stderr);
    assert.match(urls.stdout, /^http:\/\/localhost:3000\/authenticate  login \(default\), signup \(default\), invite \(default\), reset_password \(default\), discovery \(default\)$/m);

    const added = cli('redirect-urls', 'add', 'https://app.example.com/login', '--types', 'login,signup', '--default');
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /added https:\/\/app\.example\.com\/login  login \(default\), signup \(default\)/);
    assert.match(cli('redirect-urls', 'list').stdout, /^http:\/\/localhost:3000\/authenticate  login, signup, invite \(default\)/m);

    const updated = cli('redirect-urls', 'update', 'https://app.example.com/login', '--types', 'invite');
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout, /updated https:\/\/app\.example\.com\/login  invite$/m);

    const badUrl = cli('redirect-urls', 'add', 'javascript:alert(1)');
    assert.equal(badUrl.status, 1);
    assert.match(badUrl.stderr, /redirect_url_cannot_use_protocol/);
    assert.match(cli('redirect-urls', 'add', 'https://app.example.com/login').stderr, /duplicate_redirect_url/);

    const removed = cli('redirect-urls', 'remove', 'https://app.example.com/login');
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, /removed https:\/\/app\.example\.com\/login/);
    assert.equal(cli('redirect-urls', 'list').stdout.trim().split('\n').length, 1);
    assert.equal(cli('redirect-urls', 'frobnicate').status, 1);

    // claims-template: set from a file, read back, refused when invalid, removed.
    const templateFile = join(dataDir, 'claims-template.json');
    writeFileSync(templateFile, '{"plan": {{ user.trusted_metadata.plan }}}');
    const setTemplate = cli('claims-template', 'set', templateFile);
    assert.equal(setTemplate.status, 0, setTemplate.stderr);
    assert.equal(cli('claims-template', 'get').stdout.trim(), '{"plan": {{ user.trusted_metadata.plan }}}');
    writeFileSync(templateFile, '{"iss": "me"}');
    assert.match(cli('claims-template', 'set', templateFile).stderr, /reserved_claims_in_custom_claims/);
    assert.equal(cli('claims-template', 'remove').status, 0);
    assert.match(cli('claims-template', 'get').stderr, /custom_claims_template_not_found/);

    // oauth-providers: the secret from stdin, never printed back; the redirect URI to register is.
    assert.match(cli('oauth-providers', 'list').stdout, /No OAuth providers/);
    const set = runCli(env, 'github-client-secret\n', 'oauth-providers', 'set', 'github', '--client-id', 'Iv1.abc', '--client-secret-stdin');
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /set github  client Iv1\.abc  redirect URI http:\/\/[^ ]+\/v1\/oauth\/callback\/github$/m);
    assert.ok(!set.stdout.includes('github-client-secret'));
    assert.match(cli('oauth-providers', 'set', 'google', '--client-id', 'g').stderr, /client_secret is required/);
    const overridden = cli('oauth-providers', 'set', 'github', '--client-id', 'Iv1.abc', '--token-url', 'https://github.example.com/login/oauth/access_token');
    assert.match(overridden.stdout, /overrides: token_url$/m);
    assert.match(cli('oauth-providers', 'list').stdout, /^github  client Iv1\.abc/m);
    assert.match(cli('oauth-providers', 'remove', 'github').stdout, /removed github/);
    assert.match(cli('oauth-providers', 'set', 'myspace', '--client-id', 'x').stderr, /oauth_provider_unknown/);
  } finally {
    await stop(child);
  }
});

test('unknown commands print usage and fail; config errors are one clear line', () => {
  const unknown = cli('frobnicate');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /Usage: gatehouse/);
  const bad = runCli({ ...env, PORT: 'x' }, undefined, 'serve');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /PORT must be a whole number/);
});
