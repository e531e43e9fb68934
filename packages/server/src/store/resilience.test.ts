// The server survives its database going away: connections killed under load, an outage of several
// seconds, the change feed's gap. PostgreSQL only (PGlite runs in the process and cannot go away);
// the cluster is shared, so the outage is a TCP proxy in front of this file's own server, and only
// backends carrying this file's application_name are ever terminated.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { ProjectCredentials } from '../projects/service.ts';
import { openTestDatabase, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';
import { LISTEN_RECONNECT, openPostgres, reconnectDelayMs, type Database, type Subscription } from './database.ts';

const DATABASE_URL = process.env.DATABASE_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** DATABASE_URL with an application_name that marks this file's connections (and only them). */
function withApplicationName(url: string, name: string): string {
  const marked = new URL(url);
  marked.searchParams.set('application_name', name);
  return marked.toString();
}

async function terminateBackends(admin: pg.Client, applicationName: string, state?: string): Promise<number> {
  const { rows } = await admin.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() ${state ? 'AND state = $2' : ''}`,
    state ? [applicationName, state] : [applicationName],
  );
  return rows.length;
}

interface Outcome {
  kind: 'write' | 'read';
  startedAt: number;
  endedAt: number;
  response: ApiResponse;
  email?: string;
}

/** The only answers allowed while the database comes and goes: success, or 503 in the envelope with Retry-After. */
function assertSuccessOrUnavailable(outcome: Outcome): void {
  const { status, body, headers } = outcome.response;
  if (status === 200) return;
  assert.equal(status, 503, `unexpected answer ${status} ${JSON.stringify(body)}`);
  assert.equal(body.error_type, 'server_unavailable');
  for (const key of ['status_code', 'request_id', 'error_type', 'error_message', 'error_url']) assert.ok(key in body, `envelope lacks ${key}`);
  assert.match(headers.get('retry-after') ?? '', /^\d+$/, '503 carries Retry-After');
}

/**
 * Writers create users, readers read one back, each pausing `pauseMs` between requests, until `stop`.
 * Returns every outcome.
 */
function runLoad(server: TestServer, credentials: ProjectCredentials, readUserId: string, options: { writers: number; readers: number; pauseMs: number }) {
  const outcomes: Outcome[] = [];
  let running = true;
  const tag = randomBytes(3).toString('hex');
  const worker = async (kind: 'write' | 'read', index: number) => {
    for (let n = 0; running; n++) {
      const startedAt = performance.now();
      const email = `load-${tag}-${index}-${n}@example.com`;
      const response =
        kind === 'write'
          ? await server.api(credentials, 'POST', '/v1/users', { email })
          : await server.api(credentials, 'GET', `/v1/users/${readUserId}`);
      outcomes.push({ kind, startedAt, endedAt: performance.now(), response, email });
      await sleep(options.pauseMs);
    }
  };
  const workers = [
    ...Array.from({ length: options.writers }, (_, i) => worker('write', i)),
    ...Array.from({ length: options.readers }, (_, i) => worker('read', i)),
  ];
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(workers);
      return outcomes;
    },
  };
}

/** Every write the server acknowledged is there: read each user back. */
async function assertAcknowledgedWritesKept(server: TestServer, credentials: ProjectCredentials, outcomes: Outcome[]): Promise<number> {
  const acknowledged = outcomes.filter((o) => o.kind === 'write' && o.response.status === 200);
  for (const outcome of acknowledged) {
    const read = await server.api(credentials, 'GET', `/v1/users/${outcome.response.body.user_id}`);
    assert.equal(read.status, 200, `acknowledged user ${outcome.response.body.user_id} is gone`);
    assert.equal(read.body.emails[0].email, outcome.email);
  }
  return acknowledged.length;
}

/** Milliseconds from `since` until a request started after it first succeeded. */
function recoveryMs(outcomes: Outcome[], since: number): number {
  const first = outcomes.filter((o) => o.startedAt >= since && o.response.status === 200).sort((a, b) => a.endedAt - b.endedAt)[0];
  assert.ok(first, 'a request succeeded after the database came back');
  return first.endedAt - since;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
  return performance.now() - start;
}

test('the listener waits longer after each failed reconnect, up to the cap, never in step with other processes', () => {
  const low = () => 0;
  const high = () => 1;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 30].map((attempt) => reconnectDelayMs(attempt, high)), [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  assert.deepEqual([0, 1, 5, 30].map((attempt) => reconnectDelayMs(attempt, low)), [50, 100, 1000, 1000]);
  for (let attempt = 0; attempt < 50; attempt++) {
    const delay = reconnectDelayMs(attempt);
    assert.ok(delay >= LISTEN_RECONNECT.firstDelayMs / 2 && delay <= LISTEN_RECONNECT.maxDelayMs);
  }
});

describe('surviving PostgreSQL going away', { skip: !DATABASE_URL && 'needs DATABASE_URL (PostgreSQL)' }, () => {
  const applicationName = `gatehouse-resilience-${process.pid}-${randomBytes(3).toString('hex')}`;
  let admin: pg.Client;
  before(async () => {
    admin = new pg.Client({ connectionString: withApplicationName(DATABASE_URL!, 'gatehouse-resilience-admin') });
    await admin.connect();
  });
  after(() => admin.end());

  test('connections terminated under 8 writers and 8 readers: the server lives, recovers and keeps every acknowledged write', async () => {
    const database = await openTestDatabase('postgres', { url: withApplicationName(DATABASE_URL!, applicationName) });
    const server = await startTestServer({ database });
    try {
      const credentials = await server.createProject();
      const reader = await server.api(credentials, 'POST', '/v1/users', { email: 'reader@example.com' });
      assert.equal(reader.status, 200);
      const load = runLoad(server, credentials, reader.body.user_id, { writers: 8, readers: 8, pauseMs: 5 });
      // Transactions between two statements first (idle in transaction), then every connection.
      let terminated = 0;
      const until = performance.now() + 3000;
      for (let round = 0; performance.now() < until; round++) {
        terminated += await terminateBackends(admin, applicationName, round % 4 === 3 ? undefined : 'idle in transaction');
        await sleep(25);
      }
      const stoppedAt = performance.now();
      await sleep(1000);
      const outcomes = await load.stop();
      assert.ok(terminated > 0, 'the test terminated connections');
      outcomes.forEach(assertSuccessOrUnavailable);
      const recovery = recoveryMs(outcomes, stoppedAt);
      assert.ok(recovery < 1000, `served again ${recovery} ms after the terminations stopped`);
      const kept = await assertAcknowledgedWritesKept(server, credentials, outcomes);
      const unavailable = outcomes.filter((o) => o.response.status === 503).length;
      console.log(`terminated ${terminated} backends; ${outcomes.length} requests, ${kept} acknowledged writes kept, ${unavailable} answered 503; served again after ${recovery.toFixed(0)} ms`);
    } finally {
      await server.close();
      await database.dispose();
    }
  });

  test('a listener whose connection is terminated reports a gap when it drops and again once it listens, after which nothing is missed', async () => {
    const db: Database = await openPostgres({ url: withApplicationName(DATABASE_URL!, applicationName), maxConnections: 2 });
    const channel = `gatehouse_resilience_${randomBytes(4).toString('hex')}`;
    const received: string[] = [];
    /** The notifications sent from the gap handler while the subscription said it was listening. */
    const sentWhenListening: string[] = [];
    let gaps = 0;
    const subscription: Subscription = await db.listen(
      channel,
      (payload) => received.push(payload),
      () => {
        gaps++;
        // Whatever is sent once the gap is reported as listening again must arrive: the caches
        // that just emptied themselves rely on it.
        if (!subscription?.listening) return;
        const payload = `after-gap-${gaps}`;
        sentWhenListening.push(payload);
        void admin.query('SELECT pg_notify($1, $2)', [channel, payload]);
      },
    );
    try {
      for (let round = 1; round <= 3; round++) {
        assert.ok((await terminateBackends(admin, applicationName)) > 0);
        await waitFor(`gap ${round} reported as listening again`, async () => sentWhenListening.length >= round, 10_000);
        assert.equal(gaps, 2 * round, 'one gap at the drop, one once listening');
        await waitFor(`the notification sent at gap ${round}`, async () => received.includes(sentWhenListening[round - 1]!), 3000);
      }
    } finally {
      await subscription.close();
      await db.close();
    }
  });

  describe('an outage of 5 seconds (a proxy between the server and PostgreSQL is cut)', () => {
    let proxy: TcpProxy;
    let server: TestServer;
    /** Another server process on the same schema, reaching PostgreSQL directly. */
    let other: TestServer;
    let credentials: ProjectCredentials;
    before(async () => {
      const target = new URL(DATABASE_URL!);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const database = await openTestDatabase('postgres', { url: proxy.urlThrough(withApplicationName(DATABASE_URL!, applicationName)) });
      server = await startTestServer({ database });
      other = await startTestServer({ database: await openTestDatabase('postgres', { schema: database.schema }) });
      credentials = await server.createProject();
    });
    after(async () => {
      await other?.close();
      await other?.database.dispose();
      await server?.close();
      await server?.database.dispose();
      await proxy?.close();
    });

    const policyWithRole = (roleId: string) => ({
      policy: {
        resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read'] }],
        roles: [
          { role_id: 'stytch_user', description: 'Every user', permissions: [] },
          { role_id: roleId, description: 'Reads documents', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
        ],
        scopes: [],
      },
    });
    const roleIdsSeenBy = async (through: TestServer) => {
      const response = await through.api(credentials, 'GET', '/v1/rbac/policy');
      return response.status === 200 ? (response.body.policy.roles as { role_id: string }[]).map((role) => role.role_id) : [];
    };

    test('8 writers and 8 readers: only 503s while it lasts, served again and ready within 1 s, nothing acknowledged lost, no change missed', async () => {
      const reader = await server.api(credentials, 'POST', '/v1/users', { email: 'outage-reader@example.com' });
      assert.equal(reader.status, 200);
      assert.deepEqual(await roleIdsSeenBy(server), ['stytch_user']); // now in the server's cache
      const load = runLoad(server, credentials, reader.body.user_id, { writers: 8, readers: 8, pauseMs: 20 });
      await sleep(1000);

      const cutAt = performance.now();
      await proxy.cut();
      // Another process changes the policy while this server cannot hear about it.
      const changed = await other.api(credentials, 'PUT', '/v1/rbac/policy', policyWithRole('changed_during_outage'));
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const ready = await server.raw('/readyz', {});
      assert.equal(ready.status, 503, 'not ready while the database is away');
      await sleep(5000 - (performance.now() - cutAt));
      await proxy.restore();
      const restoredAt = performance.now();
      const readyAfter = waitFor('the server to be ready', async () => (await server.raw('/readyz', {})).status === 200, 15_000);
      await sleep(2000);
      const outcomes = await load.stop();

      outcomes.forEach(assertSuccessOrUnavailable);
      const duringOutage = outcomes.filter((o) => o.startedAt > cutAt + 50 && o.endedAt < restoredAt);
      assert.ok(duringOutage.length > 20, `requests ran during the outage (${duringOutage.length})`);
      for (const outcome of duringOutage) assert.equal(outcome.response.status, 503);
      const recovery = recoveryMs(outcomes, restoredAt);
      assert.ok(recovery < 1000, `served again ${recovery} ms after the proxy came back`);
      const kept = await assertAcknowledgedWritesKept(server, credentials, outcomes);

      // The change made during the gap is seen…
      assert.deepEqual(await roleIdsSeenBy(server), ['stytch_user', 'changed_during_outage']);
      // …and once the change feed listens again, a change made afterwards reaches the cache.
      const listening = await readyAfter;
      assert.ok(listening < 1000, `ready (the change feed listening) ${listening} ms after the proxy came back`);
      assert.deepEqual(await roleIdsSeenBy(server), ['stytch_user', 'changed_during_outage']); // cached again
      assert.equal((await other.api(credentials, 'PUT', '/v1/rbac/policy', policyWithRole('changed_after_outage'))).status, 200);
      const propagated = await waitFor('the change to reach the cache', async () => (await roleIdsSeenBy(server)).includes('changed_after_outage'), 3000);
      console.log(
        `outage 5 s: ${outcomes.length} requests, ${duringOutage.length} during the outage (all 503), ${kept} acknowledged writes kept, ` +
          `${outcomes.filter((o) => o.response.status === 503).length} answered 503 in all; served again ${recovery.toFixed(0)} ms after the proxy came back, ` +
          `ready again (change feed listening) ${listening.toFixed(0)} ms after, a later change reached the cache in ${propagated.toFixed(0)} ms`,
      );
    });

    test('a PostgreSQL restart under 8 writers and 8 readers (every backend terminated, connections refused for 2 s): only 503s, served and ready within 1 s, nothing acknowledged lost', async () => {
      const reader = await server.api(credentials, 'POST', '/v1/users', { email: 'restart-reader@example.com' });
      assert.equal(reader.status, 200);
      const load = runLoad(server, credentials, reader.body.user_id, { writers: 8, readers: 8, pauseMs: 20 });
      await sleep(1000);

      // What a restart does to a client: the postmaster stops accepting connections, every backend
      // ends with FATAL 57P01 (admin_shutdown, as pg_terminate_backend sends it) mid-transaction or
      // idle, the connections close, and the server is away until it has started again.
      const downAt = performance.now();
      let terminated = 0;
      await proxy.cut(async () => {
        terminated = await terminateBackends(admin, applicationName);
        await sleep(100);
      });
      assert.ok(terminated > 0, 'the restart terminated the server\'s backends');
      await sleep(2000 - (performance.now() - downAt));
      await proxy.restore();
      const restoredAt = performance.now();
      const ready = await waitFor('the server to be ready', async () => (await server.raw('/readyz', {})).status === 200, 15_000);
      await sleep(1500);
      const outcomes = await load.stop();

      outcomes.forEach(assertSuccessOrUnavailable);
      const duringRestart = outcomes.filter((o) => o.startedAt > downAt + 200 && o.endedAt < restoredAt);
      assert.ok(duringRestart.length > 20, `requests ran during the restart (${duringRestart.length})`);
      for (const outcome of duringRestart) assert.equal(outcome.response.status, 503);
      const recovery = recoveryMs(outcomes, restoredAt);
      assert.ok(recovery < 1000, `served again ${recovery} ms after PostgreSQL came back`);
      assert.ok(ready < 1000, `ready ${ready} ms after PostgreSQL came back`);
      const kept = await assertAcknowledgedWritesKept(server, credentials, outcomes);
      console.log(
        `restart (2 s down): terminated ${terminated} backends; ${outcomes.length} requests, ${duringRestart.length} during the restart (all 503), ` +
          `${kept} acknowledged writes kept; served again ${recovery.toFixed(0)} ms and ready ${ready.toFixed(0)} ms after PostgreSQL came back`,
      );
    });
  });
});
