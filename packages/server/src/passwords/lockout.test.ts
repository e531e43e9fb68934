// Abuse over real HTTP: the lockout after repeated wrong passwords (with a manual clock to open and
// expire windows and locks) — of users and of dashboard admins alike — and vague credential errors — a wrong password, an unknown email, a user
// without a password and a locked user answer alike, in similar time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemActor } from '../audit/log.ts';
import { formatTimestamp } from '../shared/clock.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, ManualClock, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'plum verdict oxbow lantern 42';
const MINUTE = 60_000;

const clock = new ManualClock();
/** 4 wrong passwords within 10 minutes lock for 30 minutes. */
let server: TestServer;
/** The defaults: 10 within an hour lock for an hour. */
let defaults: TestServer;

before(async () => {
  server = await startTestServer({
    clock,
    env: { GATEHOUSE_LOCKOUT_ATTEMPTS: '4', GATEHOUSE_LOCKOUT_WINDOW_MINUTES: '10', GATEHOUSE_LOCKOUT_MINUTES: '30', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' },
  });
  defaults = await startTestServer({ clock, database: server.database, env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_RATE_LIMIT_IP: '0' } });
});
after(async () => {
  await defaults?.close();
  await server?.close();
});

function expectOk(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function newUser(srv: TestServer, p: ProjectCredentials, email: string, session = false): Promise<any> {
  return expectOk(await srv.api(p, 'POST', '/v1/passwords', { email, password: PASSWORD, ...(session ? { session_duration_minutes: 60 } : {}) }));
}

const signIn = (srv: TestServer, p: ProjectCredentials, email: string, password: string) => srv.api(p, 'POST', '/v1/passwords/authenticate', { email, password });
const getUser = async (srv: TestServer, p: ProjectCredentials, userId: string) => expectOk(await srv.api(p, 'GET', `/v1/users/${userId}`));

async function fail(srv: TestServer, p: ProjectCredentials, email: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) expectError(await signIn(srv, p, email, `wrong password ${i}`), 401, 'unauthorized_credentials');
}

/** The body of an error without its request id: what must not differ between failure kinds. */
function errorShape(response: ApiResponse) {
  const { request_id: _id, ...rest } = response.body;
  return { status: response.status, ...rest };
}

describe('lockout', () => {
  test('the 4th wrong password within the window locks the user; even the right password then fails; the lock expires', async () => {
    const p = await server.createProject();
    const { user_id } = await newUser(server, p, 'lock@example.com');
    await fail(server, p, 'lock@example.com', 3);
    assert.equal((await getUser(server, p, user_id)).is_locked, false);

    await fail(server, p, 'lock@example.com', 1);
    const lockedAt = clock.now();
    const locked = await getUser(server, p, user_id);
    assert.equal(locked.is_locked, true);
    assert.equal(locked.lock_created_at, formatTimestamp(lockedAt));
    assert.equal(locked.lock_expires_at, formatTimestamp(new Date(lockedAt.getTime() + 30 * MINUTE)));

    // The right password is refused exactly like a wrong one, and more failures do not extend the lock.
    clock.advance(10 * MINUTE);
    const right = await signIn(server, p, 'lock@example.com', PASSWORD);
    expectError(right, 401, 'unauthorized_credentials');
    assert.deepEqual(errorShape(right), errorShape(await signIn(server, p, 'lock@example.com', 'wrong again')));
    await fail(server, p, 'lock@example.com', 5);
    assert.equal((await getUser(server, p, user_id)).lock_expires_at, locked.lock_expires_at);
    // Sessions are not opened by a locked password either, nor is the password reset with it.
    expectError(
      await server.api(p, 'POST', '/v1/passwords/existing_password/reset', { email: 'lock@example.com', existing_password: PASSWORD, new_password: NEW_PASSWORD }),
      401,
      'unauthorized_credentials',
    );

    clock.advance(20 * MINUTE);
    const unlocked = await getUser(server, p, user_id);
    assert.equal(unlocked.is_locked, false);
    assert.equal(unlocked.lock_created_at, null);
    assert.equal(unlocked.lock_expires_at, null);
    expectOk(await signIn(server, p, 'lock@example.com', PASSWORD));
  });

  test('failures outside the window do not add up; a successful sign-in starts the count again', async () => {
    const p = await server.createProject();
    const { user_id } = await newUser(server, p, 'window@example.com');
    await fail(server, p, 'window@example.com', 3);
    clock.advance(10 * MINUTE + 1000);
    await fail(server, p, 'window@example.com', 3);
    assert.equal((await getUser(server, p, user_id)).is_locked, false, 'the first three fell out of the window');

    expectOk(await signIn(server, p, 'window@example.com', PASSWORD));
    await fail(server, p, 'window@example.com', 3);
    assert.equal((await getUser(server, p, user_id)).is_locked, false, 'the success reset the count');
    await fail(server, p, 'window@example.com', 1);
    assert.equal((await getUser(server, p, user_id)).is_locked, true);
  });

  test('a lock holds one user only, and shows in search results and in sessions/authenticate', async () => {
    const p = await server.createProject();
    const locked = await newUser(server, p, 'one@example.com', true);
    await newUser(server, p, 'two@example.com');
    await fail(server, p, 'one@example.com', 4);
    expectOk(await signIn(server, p, 'two@example.com', PASSWORD));
    const found = expectOk(await server.api(p, 'POST', '/v1/users/search', { query: { operator: 'AND', operands: [{ filter_name: 'user_id', filter_value: [locked.user_id] }] } }));
    assert.equal(found.results[0].is_locked, true);
    // The session opened before the lock is the user's to keep (the lock is on the password).
    const session = expectOk(await server.api(p, 'POST', '/v1/sessions/authenticate', { session_token: locked.session_token }));
    assert.equal(session.user.is_locked, true);
  });

  test('resetting the password with a fresh session lifts the lock', async () => {
    const p = await server.createProject();
    const created = await newUser(server, p, 'reset@example.com', true);
    await fail(server, p, 'reset@example.com', 4);
    assert.equal((await getUser(server, p, created.user_id)).is_locked, true);
    expectOk(await server.api(p, 'POST', '/v1/passwords/session/reset', { password: NEW_PASSWORD, session_token: created.session_token }));
    assert.equal((await getUser(server, p, created.user_id)).is_locked, false);
    expectOk(await signIn(server, p, 'reset@example.com', NEW_PASSWORD));
  });

  test('by default, 10 wrong passwords within an hour lock for an hour', async () => {
    const p = await defaults.createProject();
    const { user_id } = await newUser(defaults, p, 'default@example.com');
    await fail(defaults, p, 'default@example.com', 9);
    assert.equal((await getUser(defaults, p, user_id)).is_locked, false);
    await fail(defaults, p, 'default@example.com', 1);
    const user = await getUser(defaults, p, user_id);
    assert.equal(user.is_locked, true);
    assert.equal(Date.parse(user.lock_expires_at) - Date.parse(user.lock_created_at), 60 * MINUTE);
    clock.advance(60 * MINUTE);
    expectOk(await signIn(defaults, p, 'default@example.com', PASSWORD));
  });
});

describe('vague credential errors', () => {
  test('wrong password, unknown email, no password, locked: the same 401 and message', async () => {
    const p = await server.createProject();
    await newUser(server, p, 'known@example.com');
    await newUser(server, p, 'locked@example.com');
    await fail(server, p, 'locked@example.com', 4);
    expectOk(await server.api(p, 'POST', '/v1/users', { email: 'passwordless@example.com' }));

    const answers = [
      await signIn(server, p, 'known@example.com', 'not the password'),
      await signIn(server, p, 'nobody@example.com', 'not the password'),
      await signIn(server, p, 'passwordless@example.com', 'not the password'),
      await signIn(server, p, 'locked@example.com', PASSWORD),
      await signIn(server, p, 'locked@example.com', 'not the password'),
    ];
    for (const answer of answers) expectError(answer, 401, 'unauthorized_credentials');
    const shapes = answers.map(errorShape);
    for (const shape of shapes.slice(1)) assert.deepEqual(shape, shapes[0]);
    assert.doesNotMatch(shapes[0]!.error_message, /lock|exist|found|unknown/i);
  });

  test('and in similar time: unknown emails and locked users pay for an argon2id verification too', async () => {
    const p = await server.createProject();
    await newUser(server, p, 'timed@example.com');
    await newUser(server, p, 'timed-locked@example.com');
    await fail(server, p, 'timed-locked@example.com', 4);
    expectOk(await server.api(p, 'POST', '/v1/users', { email: 'timed-nopassword@example.com' }));

    // Interleaved, so that load from elsewhere on the machine falls on every kind alike.
    const kinds: Record<string, [string, string]> = {
      wrong: ['timed@example.com', 'not the password'],
      unknown: ['nobody@example.com', 'not the password'],
      passwordless: ['timed-nopassword@example.com', 'not the password'],
      locked: ['timed-locked@example.com', PASSWORD],
    };
    const times: Record<string, number[]> = {};
    for (let round = 0; round < 9; round++) {
      for (const [kind, [email, password]] of Object.entries(kinds)) {
        const started = performance.now();
        expectError(await signIn(server, p, email, password), 401, 'unauthorized_credentials');
        (times[kind] ??= []).push(performance.now() - started);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const wrong = median(times.wrong!);
    // Without the dummy verification an unknown email answers in about a third of the time (HTTP and
    // database work only); with it, within a few tenths of a wrong password.
    for (const kind of ['unknown', 'passwordless', 'locked']) {
      const ratio = median(times[kind]!) / wrong;
      assert.ok(ratio > 0.5 && ratio < 3, `${kind}: ${median(times[kind]!).toFixed(1)} ms against ${wrong.toFixed(1)} ms for a wrong password`);
    }
  });
});

const login = (email: string, password: string, target = server): Promise<ApiResponse> =>
  target.raw('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

async function failAdmin(email: string, times: number, target = server): Promise<void> {
  for (let i = 0; i < times; i++) expectError(await login(email, `wrong password ${i}`, target), 401, 'unauthorized_credentials');
}

// Admin sign-in locks like user sign-in: the same thresholds, the same answer while locked, and two
// ways out — the lock expires, or another admin (or the first project's secret) resets the password.
describe('admin lockout', () => {

  test('the 4th wrong password within the window locks the admin; the right one then fails alike; the lock expires', async () => {
    await server.gatehouse.admins.createAdmin('locked@example.com', PASSWORD, systemActor('test'));
    await failAdmin('locked@example.com', 3);
    assert.equal((await login('locked@example.com', PASSWORD)).status, 200, 'three failures do not lock');
    await failAdmin('locked@example.com', 4);
    const right = await login('locked@example.com', PASSWORD);
    expectError(right, 401, 'unauthorized_credentials');
    assert.deepEqual(errorShape(right), errorShape(await login('locked@example.com', 'wrong again')));
    assert.deepEqual(errorShape(right), errorShape(await login('nobody@example.com', PASSWORD)), 'a lock answers as an unknown address does');

    clock.advance(29 * MINUTE);
    expectError(await login('locked@example.com', PASSWORD), 401, 'unauthorized_credentials');
    clock.advance(MINUTE);
    assert.equal((await login('locked@example.com', PASSWORD)).status, 200, 'the lock ends after 30 minutes');
  });

  test('failures outside the window do not add up; a successful sign-in starts the count again', async () => {
    await server.gatehouse.admins.createAdmin('window@example.com', PASSWORD, systemActor('test'));
    await failAdmin('window@example.com', 3);
    clock.advance(10 * MINUTE + 1000);
    await failAdmin('window@example.com', 3);
    assert.equal((await login('window@example.com', PASSWORD)).status, 200);
    await failAdmin('window@example.com', 3);
    assert.equal((await login('window@example.com', PASSWORD)).status, 200);
  });

  test('a password reset by another admin lifts the lock', async () => {
    await server.gatehouse.admins.createAdmin('reset@example.com', PASSWORD, systemActor('test'));
    await failAdmin('reset@example.com', 4);
    expectError(await login('reset@example.com', PASSWORD), 401, 'unauthorized_credentials');
    // Another admin, signed in to the dashboard, resets it.
    await server.gatehouse.admins.createAdmin('helper@example.com', PASSWORD, systemActor('test'));
    const helper = await login('helper@example.com', PASSWORD);
    const reset = await server.raw('/v1/admins/reset_password', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: helper.headers.get('set-cookie')!.split(';')[0]!, 'x-gatehouse-csrf': helper.body.csrf_token },
      body: JSON.stringify({ email: 'reset@example.com', password: NEW_PASSWORD }),
    });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal((await login('reset@example.com', NEW_PASSWORD)).status, 200);
  });

  test('the list of admins shows who is locked and until when', async () => {
    await server.gatehouse.admins.createAdmin('listed@example.com', PASSWORD, systemActor('test'));
    await failAdmin('listed@example.com', 4);
    const lockedAt = clock.now();
    const helper = await login('helper@example.com', PASSWORD);
    const list = await server.raw('/v1/admins', { headers: { cookie: helper.headers.get('set-cookie')!.split(';')[0]!, 'x-gatehouse-csrf': helper.body.csrf_token } });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const listed = list.body.admins.find((a: { email: string }) => a.email === 'listed@example.com');
    assert.equal(listed.locked_until, formatTimestamp(new Date(lockedAt.getTime() + 30 * MINUTE)));
    const other = list.body.admins.find((a: { email: string }) => a.email === 'window@example.com');
    assert.equal(other.locked_until, null);
  });

  test('by default, 10 wrong passwords within an hour lock for an hour', async () => {
    await defaults.gatehouse.admins.createAdmin('default@example.com', PASSWORD, systemActor('test'));
    await failAdmin('default@example.com', 9, defaults);
    assert.equal((await login('default@example.com', PASSWORD, defaults)).status, 200);
    await failAdmin('default@example.com', 10, defaults);
    expectError(await login('default@example.com', PASSWORD, defaults), 401, 'unauthorized_credentials');
    clock.advance(59 * MINUTE);
    expectError(await login('default@example.com', PASSWORD, defaults), 401, 'unauthorized_credentials');
    clock.advance(MINUTE);
    assert.equal((await login('default@example.com', PASSWORD, defaults)).status, 200);
  });
});
