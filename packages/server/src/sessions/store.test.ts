// The session store's batched last-access writes: a batch that fails to write is logged through the
// server's redacted log — not swallowed — and the log holds neither the SQL, its parameters, nor
// the session's id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInUser } from '../testing/authorization-cases.ts';
import { expectOk } from '../testing/b2b.ts';
import { openTestDatabase, startTestServer } from '../testing/harness.ts';

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a failed batch of last-access times is logged, redacted', async () => {
  const lines: string[] = [];
  const database = await openTestDatabase();
  const server = await startTestServer({ database, logStream: { write: (line) => lines.push(line) } });
  try {
    const project = await server.createProject();
    const subject = await signInUser(server, project, []);
    const session = expectOk(await server.api(project, 'POST', '/v1/sessions/authenticate', { session_token: subject.session_token }));
    const sessionId = session.session.session_id as string;
    // Every write to sessions now fails, naming the session in its (quoted) message.
    await server.database.db.exec(`
      CREATE FUNCTION refuse_session_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused "%"', NEW.session_id; END $$;
      CREATE TRIGGER refuse_session_writes BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_session_writes();`);
    // The timer writes the batch within a second or so.
    const failure = () => lines.map((line) => JSON.parse(line) as Record<string, any>).find((entry) => entry.msg === 'writing last-access times of sessions failed');
    await waitFor('the failed batch in the log', () => failure() !== undefined, 5000);
    const entry = failure()!;
    assert.equal(entry.level, 50);
    assert.equal(entry.err.code, 'P0001');
    assert.match(entry.err.message, /refused/);
    const text = lines.join('');
    for (const value of [sessionId, subject.session_token, 'UPDATE sessions', 'unnest']) assert.ok(!text.includes(value), `the log holds ${value}`);
    await server.database.db.exec('DROP TRIGGER refuse_session_writes ON sessions; DROP FUNCTION refuse_session_writes();');
  } finally {
    await server.close();
    await database.dispose();
  }
});
