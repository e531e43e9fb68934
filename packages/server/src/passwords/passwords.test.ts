// Passwords over real HTTP: create, authenticate, strength check, resets with the existing password
// and with a session, the password on the User object and in search, storage (argon2id, nothing in
// clear, nothing in the log), and bad input.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { formatTimestamp } from '../shared/clock.ts';
import { loadConfig } from '../shared/config.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { createGatehouse } from '../app/server.ts';
import { expectError, ManualClock, startTestServer, TEST_ENCRYPTION_KEY, type ApiResponse, type TestServer } from '../testing/harness.ts';

const STRONG = 'correct horse battery staple';
const STRONG_2 = 'plum verdict oxbow lantern 42';
const PASSWORD_ID = /^password-test-[0-9a-f-]{36}$/;
const ARGON2ID_OWASP = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

const clock = new ManualClock();
let server: TestServer;

before(async () => {
  server = await startTestServer({ clock });
});
after(async () => {
  await server?.close();
});

function expectOk(response: ApiResponse): any {
  assert.equal(response.status, 200, `expected 200, got ${response.status} ${JSON.stringify(response.body)}`);
  assert.equal(response.body.status_code, 200);
  return response.body;
}

const post = (p: ProjectCredentials, path: string, body: unknown) => server.api(p, 'POST', path, body);
const createWithPassword = async (p: ProjectCredentials, body: Record<string, unknown>) => expectOk(await post(p, '/v1/passwords', body));
const signIn = (p: ProjectCredentials, body: Record<string, unknown>) => post(p, '/v1/passwords/authenticate', body);

async function countUsers(p: ProjectCredentials): Promise<number> {
  return expectOk(await post(p, '/v1/users/search', { limit: 1 })).results_metadata.total;
}

async function storedPassword(userId: string) {
  const { rows } = await server.gatehouse.db.query<{ hash_type: string; hash: string; hash_config: unknown }>(
    'SELECT hash_type, hash, hash_config FROM user_passwords WHERE user_id = $1',
    [userId],
  );
  return rows[0];
}

describe('POST /v1/passwords', () => {
  test('creates the user with a password and a session, in Stytch’s response shape', async () => {
    const p = await server.createProject();
    const body = await createWithPassword(p, {
      email: 'Ada@Example.com',
      password: STRONG,
      session_duration_minutes: 60,
      session_custom_claims: { tier: 'gold' },
      name: { first_name: 'Ada', last_name: 'Lovelace' },
      trusted_metadata: { plan: 'pro' },
      untrusted_metadata: { theme: 'dark' },
    });
    assert.match(body.user_id, /^user-test-/);
    assert.match(body.email_id, /^email-test-/);
    assert.ok(body.session_token.length >= 40);
    assert.equal(body.session_jwt.split('.').length, 3);
    const { user, session } = body;
    assert.equal(user.user_id, body.user_id);
    assert.deepEqual(user.emails, [{ email_id: body.email_id, email: 'Ada@Example.com', verified: false }]);
    assert.match(user.password.password_id, PASSWORD_ID);
    assert.deepEqual(user.password, { password_id: user.password.password_id, requires_reset: false });
    assert.deepEqual(user.name, { first_name: 'Ada', middle_name: '', last_name: 'Lovelace' });
    assert.deepEqual(user.trusted_metadata, { plan: 'pro' });
    assert.deepEqual(user.untrusted_metadata, { theme: 'dark' });
    assert.equal(user.is_locked, false);
    assert.equal(session.user_id, body.user_id);
    assert.deepEqual(session.custom_claims, { tier: 'gold' });
    assert.equal(Date.parse(session.expires_at) - Date.parse(session.started_at), 60 * 60_000);
    const now = formatTimestamp(clock.now());
    assert.deepEqual(session.authentication_factors, [
      {
        type: 'password',
        delivery_method: 'knowledge',
        last_authenticated_at: now,
        created_at: now,
        updated_at: now,
        email_factor: { email_id: body.email_id, email_address: 'Ada@Example.com' },
      },
    ]);

    // The session is real, and GET /v1/users shows the password.
    const authenticated = expectOk(await post(p, '/v1/sessions/authenticate', { session_token: body.session_token }));
    assert.equal(authenticated.session.session_id, session.session_id);
    const got = expectOk(await server.api(p, 'GET', `/v1/users/${body.user_id}`));
    assert.deepEqual(got.password, user.password);
  });

  test('without session_duration_minutes there is no session: empty token and JWT', async () => {
    const p = await server.createProject();
    const body = await createWithPassword(p, { email: 'nosession@example.com', password: STRONG });
    assert.equal(body.session_token, '');
    assert.equal(body.session_jwt, '');
    assert.equal(body.session, null);
  });

  test('refuses an email that exists (any case), with or without a password; nothing written', async () => {
    const p = await server.createProject();
    await createWithPassword(p, { email: 'taken@example.com', password: STRONG });
    expectOk(await post(p, '/v1/users', { email: 'passwordless@example.com' }));
    expectError(await post(p, '/v1/passwords', { email: 'TAKEN@example.com', password: STRONG_2 }), 409, 'duplicate_email');
    expectError(await post(p, '/v1/passwords', { email: 'passwordless@example.com', password: STRONG_2 }), 409, 'duplicate_email');
    assert.equal(await countUsers(p), 2);
    // The refused password did not replace the first one.
    expectOk(await signIn(p, { email: 'taken@example.com', password: STRONG }));
    expectError(await signIn(p, { email: 'taken@example.com', password: STRONG_2 }), 401, 'unauthorized_credentials');
  });

  test('a weak password is weak_password with zxcvbn feedback; a breached one is breached_password; nothing written', async () => {
    const p = await server.createProject();
    const weak = expectError(await post(p, '/v1/passwords', { email: 'weak@example.com', password: 'asdfgh1234zz' }), 400, 'weak_password');
    assert.ok(weak.error_details.score < 3);
    assert.equal(typeof weak.error_details.feedback.warning, 'string');
    assert.ok(weak.error_details.feedback.suggestions.length > 0);
    const leaked = expectError(await post(p, '/v1/passwords', { email: 'weak@example.com', password: 'iloveyou' }), 400, 'breached_password');
    assert.equal(leaked.error_details.breached_password, true);
    // A password made of the email address is weak for that address.
    expectError(await post(p, '/v1/passwords', { email: 'zephyrine.quackenbush@example.com', password: 'zephyrinequackenbush' }), 400, 'weak_password');
    assert.equal(await countUsers(p), 0);
  });

  test('a refused session field (duration, claims) leaves no user behind', async () => {
    const p = await server.createProject();
    expectError(await post(p, '/v1/passwords', { email: 'a@example.com', password: STRONG, session_duration_minutes: 4 }), 400, 'invalid_session_duration_minutes');
    expectError(
      await post(p, '/v1/passwords', { email: 'a@example.com', password: STRONG, session_duration_minutes: 60, session_custom_claims: { sub: 'x' } }),
      400,
      'reserved_claims_in_custom_claims',
    );
    assert.equal(await countUsers(p), 0);
    await createWithPassword(p, { email: 'a@example.com', password: STRONG });
  });
});

describe('POST /v1/passwords/authenticate', () => {
  test('the right password: the user, and a session when asked; email matched case-insensitively', async () => {
    const p = await server.createProject();
    const created = await createWithPassword(p, { email: 'grace@example.com', password: STRONG });

    const plain = expectOk(await signIn(p, { email: 'grace@example.com', password: STRONG }));
    assert.equal(plain.user_id, created.user_id);
    assert.equal(plain.user.user_id, created.user_id);
    assert.equal(plain.session_token, '');
    assert.equal(plain.session, null);

    const withSession = expectOk(await signIn(p, { email: '  GRACE@example.COM ', password: STRONG, session_duration_minutes: 30 }));
    assert.equal(withSession.user_id, created.user_id);
    assert.ok(withSession.session_token);
    const [factor] = withSession.session.authentication_factors;
    assert.equal(factor.type, 'password');
    assert.equal(factor.delivery_method, 'knowledge');
    assert.deepEqual(factor.email_factor, { email_id: created.email_id, email_address: 'grace@example.com' });
    assert.deepEqual(withSession.session.roles, ['stytch_user']);
  });

  test('with a session_token: the factor is added to that session, which is extended', async () => {
    const p = await server.createProject();
    const created = await createWithPassword(p, { email: 'ext@example.com', password: STRONG, session_duration_minutes: 10 });
    clock.advance(60_000);
    const again = expectOk(await signIn(p, { email: 'ext@example.com', password: STRONG, session_token: created.session_token, session_duration_minutes: 120 }));
    assert.equal(again.session.session_id, created.session.session_id);
    assert.equal(again.session_token, created.session_token);
    assert.equal(again.session.authentication_factors.length, 1, 'the password factor is replaced, not repeated');
    assert.equal(Date.parse(again.session.expires_at) - clock.now().getTime(), 120 * 60_000);
    // By JWT as well.
    const byJwt = expectOk(await signIn(p, { email: 'ext@example.com', password: STRONG, session_jwt: again.session_jwt }));
    assert.equal(byJwt.session.session_id, created.session.session_id);
  });

  test("another user's session is refused, and that session is left as it was", async () => {
    const p = await server.createProject();
    const first = await createWithPassword(p, { email: 'first@example.com', password: STRONG, session_duration_minutes: 60 });
    await createWithPassword(p, { email: 'second@example.com', password: STRONG_2 });
    expectError(await signIn(p, { email: 'second@example.com', password: STRONG_2, session_token: first.session_token }), 400, 'session_user_mismatch');
    const session = expectOk(await post(p, '/v1/sessions/authenticate', { session_token: first.session_token }));
    assert.equal(session.user.user_id, first.user_id);
  });

  test('a user of project A does not sign in through project B', async () => {
    const a = await server.createProject();
    const b = await server.createProject();
    await createWithPassword(a, { email: 'iso@example.com', password: STRONG });
    expectError(await signIn(b, { email: 'iso@example.com', password: STRONG }), 401, 'unauthorized_credentials');
  });
});

describe('POST /v1/passwords/strength_check', () => {
  test('Stytch’s response shape: score, validity, breach, policy, feedback with LUDS', async () => {
    const p = await server.createProject();
    const strong = expectOk(await post(p, '/v1/passwords/strength_check', { password: STRONG }));
    const { request_id: _r, ...rest } = strong;
    assert.deepEqual(rest, {
      status_code: 200,
      valid_password: true,
      score: 4,
      breached_password: false,
      strength_policy: 'zxcvbn',
      breach_detection_on_create: true,
      feedback: {
        warning: '',
        suggestions: [],
        luds_requirements: { has_lower_case: true, has_upper_case: false, has_digit: false, has_symbol: true, missing_complexity: 1, missing_characters: 0 },
      },
    });

    const weak = expectOk(await post(p, '/v1/passwords/strength_check', { password: 'abc' }));
    assert.equal(weak.valid_password, false);
    assert.ok(weak.score < 3);
    assert.equal(weak.feedback.luds_requirements.missing_characters, 5);
    assert.ok(weak.feedback.suggestions.length > 0);

    const breached = expectOk(await post(p, '/v1/passwords/strength_check', { password: 'Password1' }));
    assert.equal(breached.breached_password, true);
    assert.equal(breached.valid_password, false);
    assert.match(breached.feedback.warning, /breach/);
  });

  test('the email counts against passwords built from it', async () => {
    const p = await server.createProject();
    const password = 'quackenbushzephyrine';
    const alone = expectOk(await post(p, '/v1/passwords/strength_check', { password }));
    const withEmail = expectOk(await post(p, '/v1/passwords/strength_check', { password, email: 'zephyrine.quackenbush@example.com' }));
    assert.ok(withEmail.score < alone.score, `${withEmail.score} < ${alone.score}`);
    assert.equal(withEmail.valid_password, false);
  });
});

describe('resets', () => {
  test('existing_password/reset: needs the existing password, sets the new one, revokes other sessions', async () => {
    const p = await server.createProject();
    const created = await createWithPassword(p, { email: 'reset@example.com', password: STRONG, session_duration_minutes: 60 });
    const other = expectOk(await signIn(p, { email: 'reset@example.com', password: STRONG, session_duration_minutes: 60 }));

    expectError(
      await post(p, '/v1/passwords/existing_password/reset', { email: 'reset@example.com', existing_password: 'not it at all 99', new_password: STRONG_2 }),
      401,
      'unauthorized_credentials',
    );
    expectError(
      await post(p, '/v1/passwords/existing_password/reset', { email: 'reset@example.com', existing_password: STRONG, new_password: 'password' }),
      400,
      'breached_password',
    );
    // The refusals changed nothing.
    expectOk(await post(p, '/v1/sessions/authenticate', { session_token: other.session_token }));

    const reset = expectOk(
      await post(p, '/v1/passwords/existing_password/reset', {
        email: 'reset@example.com',
        existing_password: STRONG,
        new_password: STRONG_2,
        session_token: created.session_token,
      }),
    );
    assert.equal(reset.user_id, created.user_id);
    assert.equal(reset.session.session_id, created.session.session_id, 'the presented session is kept');
    assert.equal(reset.user.password.password_id, created.user.password.password_id);
    expectError(await post(p, '/v1/sessions/authenticate', { session_token: other.session_token }), 404, 'session_not_found');
    expectOk(await post(p, '/v1/sessions/authenticate', { session_token: created.session_token }));
    expectError(await signIn(p, { email: 'reset@example.com', password: STRONG }), 401, 'unauthorized_credentials');
    expectOk(await signIn(p, { email: 'reset@example.com', password: STRONG_2 }));
  });

  test('session/reset: with a recent password factor it sets the password and keeps only that session', async () => {
    const p = await server.createProject();
    const created = await createWithPassword(p, { email: 'sess@example.com', password: STRONG, session_duration_minutes: 60 });
    const other = expectOk(await signIn(p, { email: 'sess@example.com', password: STRONG, session_duration_minutes: 60 }));

    expectError(await post(p, '/v1/passwords/session/reset', { password: STRONG_2 }), 400, 'no_session_arguments');
    expectError(await post(p, '/v1/passwords/session/reset', { password: 'letmein', session_token: created.session_token }), 400, 'breached_password');
    const reset = expectOk(await post(p, '/v1/passwords/session/reset', { password: STRONG_2, session_token: created.session_token, session_duration_minutes: 90 }));
    assert.equal(reset.session.session_id, created.session.session_id);
    assert.equal(Date.parse(reset.session.expires_at) - clock.now().getTime(), 90 * 60_000);
    expectError(await post(p, '/v1/sessions/authenticate', { session_token: other.session_token }), 404, 'session_not_found');
    expectOk(await signIn(p, { email: 'sess@example.com', password: STRONG_2 }));

    // Five minutes on, the factor is too old.
    clock.advance(5 * 60_000 + 1000);
    expectError(await post(p, '/v1/passwords/session/reset', { password: STRONG, session_token: created.session_token }), 400, 'session_too_old_to_reset_password');
    expectOk(await signIn(p, { email: 'sess@example.com', password: STRONG_2 }));
  });
});

describe('the password on users', () => {
  test('user.password is null until set; search filter password_exists', async () => {
    const p = await server.createProject();
    const plain = expectOk(await post(p, '/v1/users', { email: 'plain@example.com' }));
    assert.equal(plain.user.password, null);
    const withPassword = await createWithPassword(p, { email: 'pw@example.com', password: STRONG });
    const search = async (value: unknown) =>
      expectOk(await post(p, '/v1/users/search', { query: { operator: 'AND', operands: [{ filter_name: 'password_exists', filter_value: value }] } }));
    assert.deepEqual((await search(true)).results.map((u: any) => u.user_id), [withPassword.user_id]);
    assert.deepEqual((await search(false)).results.map((u: any) => u.user_id), [plain.user_id]);
    expectError(await post(p, '/v1/users/search', { query: { operands: [{ filter_name: 'password_exists', filter_value: 'yes' }] } }), 400, 'user_search_invalid_filter_value');
    assert.deepEqual((await search(true)).results[0].password, withPassword.user.password);
  });

  test('deleting the user deletes the password: the email can sign up again', async () => {
    const p = await server.createProject();
    const created = await createWithPassword(p, { email: 'again@example.com', password: STRONG });
    expectOk(await server.api(p, 'DELETE', `/v1/users/${created.user_id}`));
    expectError(await signIn(p, { email: 'again@example.com', password: STRONG }), 401, 'unauthorized_credentials');
    await createWithPassword(p, { email: 'again@example.com', password: STRONG_2 });
  });
});

describe('storage', () => {
  test('passwords are stored as argon2id at OWASP parameters, with a salt of their own', async () => {
    const p = await server.createProject();
    const a = await createWithPassword(p, { email: 'x1@example.com', password: STRONG });
    const b = await createWithPassword(p, { email: 'x2@example.com', password: STRONG });
    const [storedA, storedB] = [await storedPassword(a.user_id), await storedPassword(b.user_id)];
    assert.equal(storedA?.hash_type, 'argon_2id');
    assert.match(storedA!.hash, ARGON2ID_OWASP);
    assert.equal(storedA!.hash_config, null);
    assert.notEqual(storedA!.hash, storedB!.hash);
  });

  test('no password reaches the log, even at trace level', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { config } = loadConfig({ GATEHOUSE_DATA_DIR: server.config.dataDir, GATEHOUSE_LOG_LEVEL: 'trace', GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    const gatehouse = await createGatehouse({ config, db: server.database.db, logger: { level: 'trace', stream } });
    try {
      const p = await gatehouse.projects.createProject({ environment: 'test' });
      const inject = (url: string, payload: unknown) =>
        gatehouse.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Basic ${Buffer.from(`${p.project_id}:${p.secret}`).toString('base64')}` } });
      const secret = 'Sup3r secret pass phrase 771';
      assert.equal((await inject('/v1/passwords', { email: 'log@example.com', password: secret })).statusCode, 200);
      assert.equal((await inject('/v1/passwords/authenticate', { email: 'log@example.com', password: secret })).statusCode, 200);
      assert.equal((await inject('/v1/passwords/authenticate', { email: 'log@example.com', password: `${secret}x` })).statusCode, 401);
      assert.equal((await inject('/v1/passwords', { email: 'log2@example.com', password: 'weakling' })).statusCode, 400);
      assert.ok(lines.length > 0, 'the log was written');
      const log = lines.join('');
      for (const text of [secret, 'weakling']) assert.ok(!log.includes(text), `the log contains "${text}"`);
    } finally {
      await gatehouse.close();
    }
  });
});

describe('bad input', () => {
  test('wrong types and missing fields: 400 in the Stytch envelope, nothing written', async () => {
    const p = await server.createProject();
    await createWithPassword(p, { email: 'kept@example.com', password: STRONG });
    const cases: [string, unknown, string][] = [
      ['/v1/passwords', { email: 'n@example.com' }, 'invalid_argument'],
      ['/v1/passwords', { email: 'n@example.com', password: 123456789 }, 'invalid_argument'],
      ['/v1/passwords', { email: 42, password: STRONG }, 'invalid_email'],
      ['/v1/passwords', { email: 'not-an-email', password: STRONG }, 'invalid_email'],
      ['/v1/passwords', { email: 'n@example.com', password: STRONG, session_duration_minutes: '60' }, 'invalid_argument'],
      ['/v1/passwords', { email: 'n@example.com', password: STRONG, trusted_metadata: [1] }, 'metadata_invalid_format'],
      ['/v1/passwords', { email: 'n@example.com', password: STRONG, name: 'Ada' }, 'invalid_argument'],
      ['/v1/passwords', { email: 'n@example.com', password: 'x'.repeat(1025) }, 'invalid_argument'],
      ['/v1/passwords/authenticate', { email: 'kept@example.com' }, 'invalid_argument'],
      ['/v1/passwords/authenticate', { email: 'kept@example.com', password: null }, 'invalid_argument'],
      ['/v1/passwords/authenticate', { email: ['kept@example.com'], password: STRONG }, 'invalid_email'],
      ['/v1/passwords/strength_check', {}, 'invalid_argument'],
      ['/v1/passwords/strength_check', { password: true }, 'invalid_argument'],
      ['/v1/passwords/existing_password/reset', { email: 'kept@example.com', existing_password: STRONG }, 'invalid_argument'],
      ['/v1/passwords/session/reset', { password: 5 }, 'invalid_argument'],
      ['/v1/passwords/migrate', { email: 'm@example.com', hash_type: 'bcrypt' }, 'invalid_argument'],
      ['/v1/passwords/migrate', { email: 'm@example.com', hash: 'x', hash_type: 7 }, 'invalid_argument'],
    ];
    for (const [path, body, errorType] of cases) {
      const response = await post(p, path, body);
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}: ${response.status} ${JSON.stringify(response.body)}`);
      expectError(response, 400, errorType);
    }
    for (const path of ['/v1/passwords', '/v1/passwords/authenticate', '/v1/passwords/migrate']) {
      const response = await server.raw(path, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${p.project_id}:${p.secret}`).toString('base64')}`, 'content-type': 'application/json' },
        body: '{"email": "n@example.com", "password": ',
      });
      expectError(response, 400, 'bad_request');
    }
    assert.equal(await countUsers(p), 1);
    expectOk(await signIn(p, { email: 'kept@example.com', password: STRONG }));
  });

  test('without the project secret: 401, nothing written', async () => {
    const p = await server.createProject();
    expectError(await post({ ...p, secret: 'secret-test-wrong' }, '/v1/passwords', { email: 'n@example.com', password: STRONG }), 401, 'unauthorized_credentials');
    expectError(await server.api(null, 'POST', '/v1/passwords/authenticate', { email: 'n@example.com', password: STRONG }), 401, 'unauthorized_credentials');
    assert.equal(await countUsers(p), 0);
  });
});
