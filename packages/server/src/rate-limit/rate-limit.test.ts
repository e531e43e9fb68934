// Rate limits on credential endpoints over real HTTP: per IP and per identifier (email), 429
// too_many_requests with Retry-After, windows that end (manual clock), counters shared by every
// server on the database, refused requests doing no work, and the configuration.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, DEFAULTS, loadConfig } from '../shared/config.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectError, ManualClock, startTestServer, type ApiResponse, type TestServer } from '../testing/harness.ts';

const PASSWORD = 'correct horse battery staple';
const LIMITS = { GATEHOUSE_RATE_LIMIT_IP: '8', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '3', GATEHOUSE_RATE_LIMIT_IDENTIFIER_WINDOW_SECONDS: '60' };

// Windows are aligned to the clock: starting on a minute makes Retry-After exact.
const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
let server: TestServer;
/** A second server process on the same database. */
let twin: TestServer;
/** Limits turned off. */
let unlimited: TestServer;

before(async () => {
  server = await startTestServer({ clock, env: LIMITS });
  twin = await startTestServer({ clock, env: LIMITS, database: server.database });
  unlimited = await startTestServer({ clock, env: { GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0' }, database: server.database });
});
after(async () => {
  await unlimited?.close();
  await twin?.close();
  await server?.close();
});

function expectOk(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const signIn = (srv: TestServer, p: ProjectCredentials, email: string, password = 'not the password') =>
  srv.api(p, 'POST', '/v1/passwords/authenticate', { email, password });

function expectLimited(response: ApiResponse, retryAfter: number): void {
  expectError(response, 429, 'too_many_requests');
  assert.equal(response.headers.get('retry-after'), String(retryAfter));
}

/** Moves the clock to the start of the next minute (a fresh window). */
function nextWindow(): void {
  const now = clock.now().getTime();
  clock.advance(60_000 - (now % 60_000));
}

describe('per identifier', () => {
  test('the 4th request for one email within the window is 429 with Retry-After; other emails go on', async () => {
    nextWindow();
    const p = await server.createProject();
    for (let i = 0; i < 3; i++) expectError(await signIn(server, p, 'target@example.com'), 401, 'unauthorized_credentials');
    expectLimited(await signIn(server, p, 'target@example.com'), 60);
    clock.advance(15_000);
    // Case and spaces do not make another identifier; create counts against the same email.
    expectLimited(await signIn(server, p, ' TARGET@example.com'), 45);
    expectLimited(await server.api(p, 'POST', '/v1/passwords', { email: 'target@example.com', password: PASSWORD }), 45);
    expectError(await signIn(server, p, 'other@example.com'), 401, 'unauthorized_credentials');

    clock.advance(45_000);
    expectError(await signIn(server, p, 'target@example.com'), 401, 'unauthorized_credentials');
  });

  test('a refused request does no work: no sign-in, no failure counted toward the lockout', async () => {
    nextWindow();
    const p = await server.createProject();
    const { user_id } = expectOk(await unlimited.api(p, 'POST', '/v1/passwords', { email: 'work@example.com', password: PASSWORD }));
    for (let i = 0; i < 3; i++) expectError(await signIn(server, p, 'work@example.com'), 401, 'unauthorized_credentials');
    expectLimited(await signIn(server, p, 'work@example.com', PASSWORD), 60);
    for (let i = 0; i < 5; i++) expectLimited(await signIn(server, p, 'work@example.com'), 60);
    const { rows } = await server.gatehouse.db.query<{ failed_attempts: number }>('SELECT failed_attempts FROM user_lockouts WHERE user_id = $1', [user_id]);
    assert.equal(rows[0]?.failed_attempts, 3);
  });
});

describe('per IP', () => {
  test('the 9th credential request from one IP is 429, whatever the email or endpoint', async () => {
    nextWindow();
    const p = await server.createProject();
    for (let i = 0; i < 6; i++) expectError(await signIn(server, p, `ip${i}@example.com`), 401, 'unauthorized_credentials');
    expectOk(await server.api(p, 'POST', '/v1/passwords/strength_check', { password: PASSWORD }));
    expectOk(await server.api(p, 'POST', '/v1/passwords', { email: 'ip-new@example.com', password: PASSWORD }));
    expectLimited(await signIn(server, p, 'fresh@example.com'), 60);
    expectLimited(await server.api(p, 'POST', '/v1/passwords/strength_check', { password: PASSWORD }), 60);

    // Another project's budget is its own; migrate (an import tool's endpoint) is not limited.
    const other = await server.createProject();
    expectError(await signIn(server, other, 'fresh@example.com'), 401, 'unauthorized_credentials');
    for (let i = 0; i < 10; i++) {
      expectOk(await server.api(p, 'POST', '/v1/passwords/migrate', { email: `m${i}@example.com`, hash_type: 'md_5', hash: 'ab'.repeat(16) }));
    }
    nextWindow();
    expectError(await signIn(server, p, 'fresh@example.com'), 401, 'unauthorized_credentials');
  });

  test('requests without the project secret do not use the project’s budget', async () => {
    nextWindow();
    const p = await server.createProject();
    for (let i = 0; i < 20; i++) expectError(await signIn(server, { ...p, secret: 'secret-test-wrong' }, 'x@example.com'), 401, 'unauthorized_credentials');
    expectError(await signIn(server, p, 'x@example.com'), 401, 'unauthorized_credentials');
  });
});

describe('across servers and windows', () => {
  test('counters are shared by every server on the database', async () => {
    nextWindow();
    const p = await server.createProject();
    expectError(await signIn(server, p, 'shared@example.com'), 401, 'unauthorized_credentials');
    expectError(await signIn(twin, p, 'shared@example.com'), 401, 'unauthorized_credentials');
    expectError(await signIn(server, p, 'shared@example.com'), 401, 'unauthorized_credentials');
    expectLimited(await signIn(twin, p, 'shared@example.com'), 60);
  });

  test('a limit of 0 turns it off', async () => {
    nextWindow();
    const p = await unlimited.createProject();
    for (let i = 0; i < 12; i++) expectError(await signIn(unlimited, p, 'free@example.com'), 401, 'unauthorized_credentials');
  });

  test('ended windows are swept from the table', async () => {
    nextWindow();
    const p = await server.createProject();
    expectError(await signIn(server, p, 'sweep@example.com'), 401, 'unauthorized_credentials');
    const count = async () => (await server.gatehouse.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_limit_counters')).rows[0]!.n;
    assert.ok((await count()) > 0);
    clock.advance(61_000);
    await server.gatehouse.limiter.sweep();
    assert.equal(await count(), 0);
  });
});

describe('configuration', () => {
  test('defaults, environment variables and refusals', () => {
    const { config } = loadConfig({});
    assert.deepEqual(config.rateLimits, {
      perIp: { max: DEFAULTS.rateLimitIp, windowSeconds: DEFAULTS.rateLimitIpWindowSeconds },
      perIdentifier: { max: DEFAULTS.rateLimitIdentifier, windowSeconds: DEFAULTS.rateLimitIdentifierWindowSeconds },
    });
    assert.deepEqual(config.lockout, { attempts: 10, windowMinutes: 60, lockMinutes: 60 });
    const custom = loadConfig({
      GATEHOUSE_RATE_LIMIT_IP: '100',
      GATEHOUSE_RATE_LIMIT_IP_WINDOW_SECONDS: '10',
      GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0',
      GATEHOUSE_LOCKOUT_ATTEMPTS: '5',
      GATEHOUSE_LOCKOUT_WINDOW_MINUTES: '15',
      GATEHOUSE_LOCKOUT_MINUTES: '120',
    }).config;
    assert.deepEqual(custom.rateLimits.perIp, { max: 100, windowSeconds: 10 });
    assert.equal(custom.rateLimits.perIdentifier.max, 0);
    assert.deepEqual(custom.lockout, { attempts: 5, windowMinutes: 15, lockMinutes: 120 });
    for (const env of [{ GATEHOUSE_RATE_LIMIT_IP: 'lots' }, { GATEHOUSE_RATE_LIMIT_IP_WINDOW_SECONDS: '0' }, { GATEHOUSE_LOCKOUT_MINUTES: '-5' }]) {
      assert.throws(() => loadConfig(env), ConfigError, JSON.stringify(env));
    }
  });
});

describe('behind a proxy', () => {
  test('with GATEHOUSE_TRUST_PROXY the per-IP limit counts X-Forwarded-For clients apart; without it, forwarded headers are ignored', async () => {
    const proxied = await startTestServer({ clock, env: { ...LIMITS, GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', GATEHOUSE_TRUST_PROXY: '127.0.0.1' }, database: server.database });
    try {
      const strength = (srv: TestServer, p: ProjectCredentials, forwardedFor: string) =>
        srv.raw('/v1/passwords/strength_check', {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${p.project_id}:${p.secret}`).toString('base64')}`, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({ password: 'x' }),
        });
      nextWindow();
      const p = await proxied.createProject();
      for (let i = 0; i < 8; i++) expectOk(await strength(proxied, p, '203.0.113.7'));
      expectError(await strength(proxied, p, '203.0.113.7'), 429, 'too_many_requests');
      // Another client behind the same proxy has its own budget.
      expectOk(await strength(proxied, p, '203.0.113.8'));

      // The server that trusts no proxy sees every request as 127.0.0.1, whatever the header says.
      nextWindow();
      const q = await server.createProject();
      for (let i = 0; i < 8; i++) expectOk(await strength(server, q, `198.51.100.${i}`));
      expectError(await strength(server, q, '198.51.100.200'), 429, 'too_many_requests');
    } finally {
      await proxied.close();
    }
  });
});
