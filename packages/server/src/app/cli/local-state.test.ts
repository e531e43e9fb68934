// The data folder's state cannot be lost: each database keeps its own credentials file, never
// overwritten by another's project; one process at a time on the embedded database (a lock naming
// the process that holds it). Real `gatehouse` processes in a folder of their own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentialsFileName } from '../../projects/bootstrap.ts';
import { dropSchema, freePort, runCli, serveCli, stopCli } from '../../testing/cli-process.ts';

/** A folder, a port and the environment of an embedded-database run (no DATABASE_URL). */
async function embeddedRun() {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'gatehouse-local-')), 'data');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' };
  return { dataDir, port, env };
}

test('credentials are kept per database: a start on PostgreSQL in the same folder leaves the embedded project\'s file as it was', { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL (the PostgreSQL run)' }, async () => {
  const { dataDir, env } = await embeddedRun();
  const schema = `gatehouse_local_${randomBytes(4).toString('hex')}`;
  const pgEnv = { ...env, DATABASE_URL: process.env.DATABASE_URL, GATEHOUSE_DATABASE_SCHEMA: schema };
  try {
    const embedded = await serveCli(env);
    await stopCli(embedded.child);
    const embeddedFile = join(dataDir, 'credentials.json');
    const embeddedCredentials = readFileSync(embeddedFile, 'utf8');
    assert.match(JSON.parse(embeddedCredentials).database, /^embedded \(/);

    const onPostgres = await serveCli(pgEnv);
    try {
      const pgFile = join(dataDir, credentialsFileName({ databaseUrl: process.env.DATABASE_URL, databaseSchema: schema }));
      assert.match(pgFile, new RegExp(`credentials\\.postgres\\..+-${schema}\\.json$`));
      assert.ok(onPostgres.output.includes(`credentials written to ${pgFile}`), onPostgres.output);
      assert.equal(readFileSync(embeddedFile, 'utf8'), embeddedCredentials, 'the embedded project\'s file is untouched');
      const pgCredentials = JSON.parse(readFileSync(pgFile, 'utf8'));
      assert.notEqual(pgCredentials.project_id, JSON.parse(embeddedCredentials).project_id);
      assert.ok(!JSON.stringify(pgCredentials.database).includes('password'));
      // The CLI reads the file of the database its environment names.
      const listed = runCli(pgEnv, undefined, 'secrets', 'list');
      assert.equal(listed.status, 0, listed.stderr);
    } finally {
      await stopCli(onPostgres.child);
    }

    // The embedded project still opens with the file it wrote.
    const again = await serveCli(env);
    try {
      assert.ok(again.output.includes(JSON.parse(embeddedCredentials).project_id));
      const listed = runCli(env, undefined, 'secrets', 'list');
      assert.equal(listed.status, 0, listed.stderr);
    } finally {
      await stopCli(again.child);
    }
  } finally {
    await dropSchema(schema);
  }
});

test('a project made anew where a credentials file exists (its database was removed) keeps the old file, renamed after its project', async () => {
  const { dataDir, env } = await embeddedRun();
  const first = await serveCli(env);
  await stopCli(first.child);
  const file = join(dataDir, 'credentials.json');
  const old = readFileSync(file, 'utf8');
  const oldProject = JSON.parse(old).project_id as string;

  rmSync(join(dataDir, 'pglite'), { recursive: true });
  const second = await serveCli(env);
  await stopCli(second.child);
  const kept = join(dataDir, `credentials.${oldProject}.json`);
  assert.ok(existsSync(kept), second.output);
  assert.equal(readFileSync(kept, 'utf8'), old);
  assert.match(second.output, new RegExp(`earlier credentials found there \\(another project\\) kept in ${kept.replaceAll('.', '\\.')}`));
  assert.notEqual(JSON.parse(readFileSync(file, 'utf8')).project_id, oldProject);
});

test('the embedded data folder is locked: a second server and `gatehouse migrate` while one runs exit 1 with "in use by process N"; released on SIGTERM and SIGINT', async () => {
  const { dataDir, env } = await embeddedRun();
  const lockFile = join(dataDir, 'pglite.lock');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const first = await serveCli(env);
    try {
      const pid = first.child.pid!;
      assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, pid);
      const second = runCli({ ...env, PORT: String(await freePort()) }, undefined, 'serve');
      assert.equal(second.status, 1);
      assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`pglite is in use by process ${pid} \\(gatehouse serve\\)`));
      const migrate = runCli(env, undefined, 'migrate');
      assert.equal(migrate.status, 1);
      assert.equal(migrate.stderr.trim().split('\n').length, 1, migrate.stderr);
      assert.match(migrate.stderr, new RegExp(`in use by process ${pid}`));
      // The running server was not disturbed.
      assert.equal((await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status, 200);
    } finally {
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill(signal);
      await exited;
    }
    assert.ok(!existsSync(lockFile), `released on ${signal}`);
  }
  const migrate = runCli(env, undefined, 'migrate');
  assert.equal(migrate.status, 0, migrate.stderr);
  assert.ok(!existsSync(lockFile), 'released when migrate ends');
});

test('a lock left by a process that is gone (killed) is stale: the next start takes it', async () => {
  const { dataDir, env } = await embeddedRun();
  const first = await serveCli(env);
  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  first.child.kill('SIGKILL');
  await exited;
  const lockFile = join(dataDir, 'pglite.lock');
  assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, first.child.pid, 'SIGKILL leaves the lock behind');
  const second = await serveCli(env);
  try {
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, second.child.pid);
  } finally {
    await stopCli(second.child);
  }
});
