// What the server logs: a failing request leaves its request id, route, error type and a cause
// without values — never SQL, its parameters, the body or the query string.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectError, openTestDatabase, startTestServer, testDatabaseKinds } from '../testing/harness.ts';
import { prettyLines, redactMessage } from './log.ts';

for (const kind of testDatabaseKinds()) {
  describe(`the log on ${kind}`, () => {
    test('a failing write logs request id, route, error type and a redacted cause; no SQL, parameters, body or query string', async () => {
      const lines: string[] = [];
      const database = await openTestDatabase(kind);
      const server = await startTestServer({ database, logStream: { write: (line) => lines.push(line) } });
      try {
        const credentials = await server.createProject();
        // A trigger that refuses every new user makes the write fail inside its transaction, with
        // the INSERT's parameters at hand (PGlite's error carries them).
        await server.database.db.exec(`
          CREATE FUNCTION refuse_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
          CREATE TRIGGER refuse_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_users();`);
        const personal = ['zebediah.private@example.com', 'Zebediah', 'Quux-Private-Note', 'QueryPrivateValue'];
        const response = await server.api(credentials, 'POST', `/v1/users?note=${personal[3]}`, {
          email: personal[0],
          name: { first_name: personal[1] },
          untrusted_metadata: { note: personal[2] },
        });
        const body = expectError(response, 500, 'internal_server_error');

        const text = lines.join('');
        for (const value of [...personal, 'INSERT INTO', 'SELECT ']) assert.ok(!text.includes(value), `the log holds ${value}`);
        const entries = lines.map((line) => JSON.parse(line) as Record<string, any>);
        const failure = entries.find((entry) => entry.msg === 'request failed');
        assert.ok(failure, 'the failure is logged');
        assert.equal(failure.request_id, body.request_id);
        assert.equal(failure.route, '/v1/users');
        assert.equal(failure.error_type, 'internal_server_error');
        assert.equal(failure.err.code, 'P0001');
        assert.match(failure.err.message, /refused by the test/);
        assert.ok(Array.isArray(failure.err.stack) && failure.err.stack.length > 0, 'stack frames are kept');
        // Every line about the request carries its id: incoming, failed, completed.
        assert.ok(entries.filter((entry) => entry.request_id === body.request_id).length >= 3);
      } finally {
        await server.close();
        await database.dispose();
      }
    });

    test('/healthz answers while the process runs; /readyz only with every migration applied', async () => {
      const database = await openTestDatabase(kind);
      const server = await startTestServer({ database });
      try {
        assert.equal((await server.raw('/healthz', {})).status, 200);
        const ready = await server.raw('/readyz', {});
        assert.equal(ready.status, 200);
        assert.deepEqual(
          { ready: ready.body.ready, database: ready.body.database, migrations: ready.body.migrations, change_feed: ready.body.change_feed },
          { ready: true, database: 'reachable', migrations: 'current', change_feed: 'listening' },
        );
        const { db } = server.database;
        const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id DESC LIMIT 1');
        await db.query('DELETE FROM schema_migrations WHERE id = $1', [rows[0]!.id]);
        try {
          const behind = await server.raw('/readyz', {});
          const error = expectError(behind, 503, 'server_unavailable');
          assert.equal(error.error_details.migrations, 'pending');
          assert.match(behind.headers.get('retry-after') ?? '', /^\d+$/);
        } finally {
          await db.query('INSERT INTO schema_migrations (id) VALUES ($1)', [rows[0]!.id]);
        }
        assert.equal((await server.raw('/readyz', {})).status, 200);
      } finally {
        await server.close();
        await database.dispose();
      }
    });
  });
}

test('messages lose the values they quote', () => {
  assert.equal(redactMessage('invalid input syntax for type uuid: "alice@example.com"'), 'invalid input syntax for type uuid: [redacted]');
  assert.equal(redactMessage(`Unexpected token 'x', "x-secret" is not valid JSON`), 'Unexpected token [redacted], [redacted] is not valid JSON');
  assert.equal(redactMessage('Key (email)=(bob@example.com) already exists.'), 'Key [redacted] already exists.');
  assert.equal(redactMessage('mail to carol@example.com failed'), 'mail to [redacted] failed');
});

test('on a terminal each entry is one readable line', () => {
  const written: string[] = [];
  const stream = prettyLines({ write: (text: string) => written.push(text) });
  stream.write(`${JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 9, 30), pid: 1, hostname: 'h', msg: 'request failed', request_id: 'request-id-test-1', route: '/v1/users' })}\n`);
  assert.equal(written.length, 1);
  assert.match(written[0]!, /^09:30:00\.000 .*WARN.* request failed request_id=request-id-test-1 route=\/v1\/users\n$/);
  assert.ok(!written[0]!.includes('hostname'));
});
