// The storage layer on every database the run has: migrations, transactions, change notifications.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ChangeFeed, type ChangeEvent } from './change-feed.ts';
import { listMigrations, migrate } from './migrate.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../testing/harness.ts';

for (const kind of testDatabaseKinds()) {
  describe(`storage on ${kind}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(kind);
    });
    after(() => database.dispose());

    test('migrations apply once and are recorded', async () => {
      const first = await migrate(database.db);
      assert.deepEqual(first, listMigrations().map((m) => m.id));
      assert.deepEqual(await migrate(database.db), []);
      const { rows } = await database.db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      assert.deepEqual(rows.map((r) => r.id), first);
    });

    test('concurrent migrations apply each file once', async () => {
      // Runs on an already migrated database: both callers race for the lock and find nothing to do.
      const results = await Promise.all([migrate(database.db), migrate(database.db)]);
      assert.deepEqual(results, [[], []]);
    });

    test('a transaction that throws leaves nothing behind', async () => {
      await assert.rejects(
        database.db.transaction(async (tx) => {
          await tx.query(`INSERT INTO projects (project_id, environment, public_token, created_at) VALUES ('p-rollback', 'test', 't-rollback', now())`);
          throw new Error('boom');
        }),
        /boom/,
      );
      const { rowCount } = await database.db.query(`SELECT 1 FROM projects WHERE project_id = 'p-rollback'`);
      assert.equal(rowCount, 0);
    });

    test('a committed change reaches listeners; a rolled-back one does not', async () => {
      const feed = new ChangeFeed(database.db);
      await feed.start();
      // A second feed on the same database stands for another server process.
      const other = new ChangeFeed(database.db);
      await other.start();
      const seenHere: ChangeEvent[] = [];
      const seenThere: ChangeEvent[] = [];
      feed.on((event) => seenHere.push(event), () => {});
      other.on((event) => seenThere.push(event), () => {});
      try {
        await feed.write(async (_tx, emit) => emit({ type: 'secrets', project_id: 'p-committed' }));
        await assert.rejects(
          feed.write(async (_tx, emit) => {
            emit({ type: 'secrets', project_id: 'p-rolled-back' });
            throw new Error('abort');
          }),
        );
        // This process learns at once; the other through NOTIFY.
        assert.ok(seenHere.some((e) => e.project_id === 'p-committed'));
        const deadline = Date.now() + 2000;
        while (!seenThere.some((e) => e.project_id === 'p-committed') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(seenThere.some((e) => e.project_id === 'p-committed'), 'the other listener got the committed change');
        assert.ok(!seenHere.concat(seenThere).some((e) => e.project_id === 'p-rolled-back'));
      } finally {
        await feed.stop();
        await other.stop();
      }
    });

    test('jsonb, timestamps and arrays come back as JavaScript values', async () => {
      const { rows } = await database.db.query<{ j: unknown; t: unknown; a: unknown; n: unknown }>(
        `SELECT '{"a":[1,2]}'::jsonb AS j, '2026-01-02T03:04:05Z'::timestamptz AS t, ARRAY['x','y'] AS a, count(*)::int AS n FROM (VALUES (1)) v`,
      );
      assert.deepEqual(rows[0]?.j, { a: [1, 2] });
      assert.ok(rows[0]?.t instanceof Date);
      assert.equal((rows[0]?.t as Date).toISOString(), '2026-01-02T03:04:05.000Z');
      assert.deepEqual(rows[0]?.a, ['x', 'y']);
      assert.equal(rows[0]?.n, 1);
    });

    test("a failed statement's error keeps PostgreSQL's fields (code, constraint) that services map to conflicts", async () => {
      await database.db.query(`INSERT INTO projects (project_id, environment, public_token, created_at) VALUES ('p-unique', 'test', 't-unique', now())`);
      const error = await database.db
        .query(`INSERT INTO projects (project_id, environment, public_token, created_at) VALUES ('p-unique', 'test', 't-unique-2', now())`)
        .then(() => null, (e: unknown) => e);
      assert.ok(error instanceof Error);
      const { code, constraint } = error as Error & { code?: string; constraint?: string };
      assert.equal(code, '23505');
      assert.match(`${constraint ?? ''} ${error.message}`, /projects_pkey/);
      // A transaction that hit the error is rolled back and the database goes on.
      await assert.rejects(database.db.transaction((tx) => tx.query(`INSERT INTO projects (project_id, environment, public_token, created_at) VALUES ('p-unique', 'test', 't-3', now())`)));
      assert.equal((await database.db.query('SELECT 1 AS one')).rows.length, 1);
    });

    test('a slow statement does not hold up the event loop that answers requests', async () => {
      // A timer due 20 ms after the statement starts: in-process PGlite ran the statement on this
      // thread, so the timer fired only when the statement was done; off the loop it fires on time.
      const started = performance.now();
      const timerFired = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), 20));
      // Work, not a sleep: PGlite's pg_sleep waits without holding the thread.
      await database.db.query(`SELECT count(DISTINCT md5(i::text)) FROM generate_series(1, 300000) AS i`);
      const took = performance.now() - started;
      const firedAfter = await timerFired;
      assert.ok(took >= 200, `the statement took long enough to tell (${took.toFixed(0)} ms)`);
      assert.ok(firedAfter < took / 2, `the timer fired after ${firedAfter.toFixed(0)} ms of a ${took.toFixed(0)} ms statement`);
    });
  });
}
