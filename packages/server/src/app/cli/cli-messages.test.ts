// What the `gatehouse` command says when something is wrong, as a user sees it: one readable line per
// error (never a stack trace), a non-zero exit for an unknown command, its own flag names in its
// messages; and what `GET /` answers. Real processes: the server and every command are spawned.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { cliTestEnvironment, dropSchema, freePort, runCli, serveCli, stopCli } from '../../testing/cli-process.ts';
import { readCredentialsFile } from '../../projects/bootstrap.ts';
import { basicAuth } from '../../testing/harness.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-messages-'));
const schema = `gatehouse_cli_${randomBytes(4).toString('hex')}`;
let port = 0;
let env: NodeJS.ProcessEnv;
let server: ChildProcess;
let credentials: { project_id: string; secret: string };
const cli = (...args: string[]) => runCli(env, undefined, ...args);

/** No stack frame, no "TypeError", no node:internal path: one line. */
function assertOneLine(stderr: string) {
  assert.equal(stderr.trim().split('\n').length, 1, `one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at |node:internal|TypeError|\.ts:\d+/m);
}

before(async () => {
  port = await freePort();
  env = cliTestEnvironment({ port, dataDir, schema });
  server = (await serveCli(env)).child;
  credentials = readCredentialsFile(dataDir, { databaseUrl: env.DATABASE_URL, databaseSchema: env.GATEHOUSE_DATABASE_SCHEMA })!;
});

after(async () => {
  if (server) await stopCli(server);
  await dropSchema(schema);
});

test('GET / redirects to the dashboard', async () => {
  const response = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
  assert.equal(response.status, 302);
  assert.equal(response.headers.get('location'), '/dashboard/');
});

test('a server that is down: one line naming the URL, exit 1', async () => {
  const down = await freePort();
  const url = `http://127.0.0.1:${down}`;
  const result = runCli({ ...env, GATEHOUSE_URL: url, GATEHOUSE_PROJECT_ID: credentials.project_id, GATEHOUSE_SECRET: credentials.secret }, undefined, 'policy', 'export');
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim(), `cannot reach the server at ${url}: connection refused`);
});

test('a URL that is not Gatehouse: one line, exit 1', async () => {
  // The server's dashboard path answers HTML, not the API's JSON.
  const result = runCli({ ...env, GATEHOUSE_URL: `http://127.0.0.1:${port}/dashboard/x` }, undefined, 'secrets', 'list');
  assert.equal(result.status, 1);
  assertOneLine(result.stderr);
  assert.match(result.stderr, /is not a Gatehouse API/);
});

test('unknown commands and options: usage or one line on stderr, exit 1; help: usage on stdout, exit 0', () => {
  for (const args of [['frobnicate'], [], ['policy', 'frobnicate']]) {
    const unknown = cli(...args);
    assert.equal(unknown.status, 1, args.join(' '));
    assert.equal(unknown.stdout, '', args.join(' '));
    assert.match(unknown.stderr, /Usage: gatehouse/);
  }
  const option = cli('secrets', 'list', '--frobnicate');
  assert.equal(option.status, 1);
  assertOneLine(option.stderr);
  assert.match(option.stderr, /unknown option '--frobnicate'/);
  for (const help of ['help', '--help']) {
    const shown = cli(help);
    assert.equal(shown.status, 0);
    assert.match(shown.stdout, /Usage: gatehouse/);
  }
});

test('policy apply --dry-run of a removed role says who holds it, and names --cascade', async () => {
  const file = join(dataDir, 'policy.json');
  const roles = [
    { role_id: 'stytch_user', description: 'Everyone', permissions: [] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
  ];
  const policy = { resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'write'] }], roles, scopes: [] };
  writeFileSync(file, JSON.stringify({ policy }));
  assert.equal(cli('policy', 'apply', file).status, 0);
  for (const email of ['ada@example.com', 'grace@example.com']) {
    const response = await fetch(`http://127.0.0.1:${port}/v1/users`, {
      method: 'POST',
      headers: { authorization: basicAuth(credentials.project_id, credentials.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ email, roles: ['editor'] }),
    });
    assert.equal(response.status, 200);
  }

  writeFileSync(file, JSON.stringify({ policy: { ...policy, roles: roles.slice(0, 1) } }));
  const refused = cli('policy', 'apply', file, '--dry-run');
  assert.equal(refused.status, 1);
  assertOneLine(refused.stderr);
  assert.match(refused.stderr, /"editor" \(held by 2 users\)/);
  assert.match(refused.stderr, /--cascade/);
  assert.doesNotMatch(refused.stderr, /cascade=true/);

  const cascade = cli('policy', 'apply', file, '--dry-run', '--cascade');
  assert.equal(cascade.status, 0, cascade.stderr);
  assert.match(cascade.stdout, /role editor would be revoked from 2 users/);
  assert.match(cascade.stdout, /Dry run: nothing written/);
});
