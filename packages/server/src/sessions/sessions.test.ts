// Sessions over real HTTP: tokens and JWTs, expiry and extension, revocation, authorization checks,
// key rotation, and that a cache never outlives a change.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { formatTimestamp } from '../shared/clock.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { openPostgres } from '../store/database.ts';
import { ManualClock, basicAuth, expectError, startTestServer, type TestServer } from '../testing/harness.ts';
import type { AuthenticationFactor } from './service.ts';

const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
let server: TestServer;
before(async () => {
  server = await startTestServer({ clock });
});
after(() => server.close());

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'writer', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] },
  ],
  scopes: [],
};

function factor(email: string): AuthenticationFactor {
  const at = formatTimestamp(clock.now());
  return { type: 'password', delivery_method: 'knowledge', last_authenticated_at: at, created_at: at, updated_at: at, email_factor: { email_id: 'email-test-x', email_address: email } };
}

/** A project with the documents policy and a signed-in user (a session made the way credential endpoints make them). */
async function signedIn(roles: string[] = [], minutes = 60) {
  const project = await server.createProject();
  assert.equal((await server.api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY })).status, 200);
  const created = await server.api(project, 'POST', '/v1/users', { email: `u${Math.random()}@example.com`, roles });
  const user = await server.gatehouse.users.requireUser(project.project_id, created.body.user_id);
  const grant = await server.gatehouse.sessions.grant(project.project_id, 'test', user, factor(user.emails[0]!.email), { session_duration_minutes: minutes });
  return { project, userId: user.user_id, token: grant.session_token, jwt: grant.session_jwt, sessionId: grant.session!.session_id };
}

const authenticate = (project: ProjectCredentials, body: object) => server.api(project, 'POST', '/v1/sessions/authenticate', body);

async function jwks(project: ProjectCredentials) {
  const response = await server.raw(`/v1/sessions/jwks/${project.project_id}`, {});
  assert.equal(response.status, 200);
  return response.body.keys as { kid: string }[];
}

test('a token authenticates: session, user and roles in Stytch shapes', async () => {
  const { project, userId, token, sessionId } = await signedIn(['writer']);
  const response = await authenticate(project, { session_token: token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const { session, user, session_token, session_jwt } = response.body;
  assert.equal(session_token, token);
  assert.equal(session.session_id, sessionId);
  assert.match(sessionId, /^session-test-[0-9a-f-]{36}$/);
  assert.equal(session.user_id, userId);
  assert.deepEqual(session.roles, ['stytch_user', 'writer']);
  assert.equal(session.started_at, '2026-03-01T12:00:00Z');
  assert.equal(session.expires_at, '2026-03-01T13:00:00Z');
  assert.equal(session.authentication_factors[0].type, 'password');
  assert.equal(user.user_id, userId);
  assert.deepEqual(user.roles, ['stytch_user', 'writer']);
  assert.equal(typeof session_jwt, 'string');
  assert.equal(response.body.verdict, undefined);
});

test('the authenticate response is the compact JSON of the Stytch object in its key order, read first or from memory', async () => {
  const { project, token, jwt } = await signedIn(['writer']);
  const check = { resource_id: 'documents', action: 'write' };
  // The first call reads the user and the policy; the next ones are answered from memory; a JWT is verified first.
  for (const body of [{ session_token: token, authorization_check: check }, { session_token: token, authorization_check: check }, { session_token: token }, { session_jwt: jwt, authorization_check: check }]) {
    const response = await fetch(`${server.baseUrl}/v1/sessions/authenticate`, {
      method: 'POST',
      headers: { authorization: basicAuth(project.project_id, project.secret), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    const parsed = JSON.parse(text);
    assert.deepEqual(Object.keys(parsed), ['request_id', 'status_code', 'session_token', 'session_jwt', 'session', 'user', ...('authorization_check' in body ? ['verdict'] : [])]);
    assert.equal(text, JSON.stringify(parsed));
    assert.equal(parsed.session_token, 'session_token' in body ? token : '');
  }
});

test('the JWT: RS256, typ JWT, a published kid, Stytch claims, 5 minutes', async () => {
  const { project, userId, jwt, sessionId } = await signedIn(['writer']);
  const header = decodeProtectedHeader(jwt);
  assert.equal(header.alg, 'RS256');
  assert.equal(header.typ, 'JWT');
  const keys = await jwks(project);
  assert.ok(keys.some((key) => key.kid === header.kid));
  const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys: keys as never }), {
    issuer: `stytch.com/${project.project_id}`,
    audience: project.project_id,
    typ: 'JWT',
    currentDate: clock.now(),
  });
  assert.equal(payload.sub, userId);
  assert.equal(payload.exp! - payload.iat!, 300);
  assert.equal(payload.nbf, payload.iat);
  const claim = payload['https://stytch.com/session'] as Record<string, unknown>;
  assert.equal(claim.id, sessionId);
  assert.deepEqual(claim.roles, ['stytch_user', 'writer']);
  assert.equal(claim.expires_at, '2026-03-01T13:00:00Z');
  assert.ok(Array.isArray(claim.authentication_factors));
});

test('a JWT authenticates, also after its 5 minutes while the session lives, and gets a fresh one', async () => {
  const { project, jwt, sessionId } = await signedIn();
  const now = await authenticate(project, { session_jwt: jwt });
  assert.equal(now.status, 200);
  assert.equal(now.body.session.session_id, sessionId);
  clock.advance(6 * 60_000);
  const later = await authenticate(project, { session_jwt: jwt });
  assert.equal(later.status, 200, JSON.stringify(later.body));
  assert.notEqual(later.body.session_jwt, jwt);
  assert.ok(decodeJwt(later.body.session_jwt).exp! * 1000 > clock.now().getTime());
});

describe('authorization checks inside authenticate', () => {
  test('allowed: the normal response plus the verdict and the granting roles', async () => {
    const { project, token } = await signedIn(['writer']);
    const read = await authenticate(project, { session_token: token, authorization_check: { resource_id: 'documents', action: 'read' } });
    assert.deepEqual(read.body.verdict, { authorized: true, granting_roles: ['stytch_user'] });
    const write = await authenticate(project, { session_token: token, authorization_check: { resource_id: 'documents', action: 'write' } });
    assert.deepEqual(write.body.verdict, { authorized: true, granting_roles: ['writer'] });
    assert.equal(write.body.session.user_id, read.body.session.user_id);
  });

  test('denied: 403 consumer_session_authorization_error, and the session is not extended', async () => {
    const { project, token } = await signedIn([], 60);
    const denied = await authenticate(project, { session_token: token, session_duration_minutes: 600, authorization_check: { resource_id: 'documents', action: 'delete' } });
    const body = expectError(denied, 403, 'consumer_session_authorization_error');
    assert.match(body.error_message, /not authorized/);
    const after = await authenticate(project, { session_token: token });
    // Still the 60 minutes it was started with, not the 600 the denied call asked for.
    assert.equal(Date.parse(after.body.session.expires_at) - Date.parse(after.body.session.started_at), 60 * 60_000);
    expectError(await authenticate(project, { session_token: token, authorization_check: { resource_id: 'nothing', action: 'read' } }), 403, 'consumer_session_authorization_error');
  });

  test('a role granted or revoked is seen by the very next authenticate, in the session and the JWT', async () => {
    const { project, userId, token } = await signedIn();
    const check = { resource_id: 'documents', action: 'write' };
    expectError(await authenticate(project, { session_token: token, authorization_check: check }), 403, 'consumer_session_authorization_error');
    await server.api(project, 'PUT', `/v1/users/${userId}`, { roles: ['writer'] });
    const granted = await authenticate(project, { session_token: token, authorization_check: check });
    assert.equal(granted.status, 200);
    assert.deepEqual((decodeJwt(granted.body.session_jwt)['https://stytch.com/session'] as { roles: string[] }).roles, ['stytch_user', 'writer']);
    await server.api(project, 'PUT', `/v1/users/${userId}`, { roles: [] });
    expectError(await authenticate(project, { session_token: token, authorization_check: check }), 403, 'consumer_session_authorization_error');
    const plain = await authenticate(project, { session_token: token });
    assert.deepEqual((decodeJwt(plain.body.session_jwt)['https://stytch.com/session'] as { roles: string[] }).roles, ['stytch_user']);
  });

  test('a policy change is seen by the next check', async () => {
    const { project, token } = await signedIn();
    const check = { resource_id: 'documents', action: 'delete' };
    expectError(await authenticate(project, { session_token: token, authorization_check: check }), 403, 'consumer_session_authorization_error');
    await server.api(project, 'PUT', '/v1/rbac/policy/roles/stytch_user', { permissions: [{ resource_id: 'documents', actions: ['*'] }] });
    assert.deepEqual((await authenticate(project, { session_token: token, authorization_check: check })).body.verdict, { authorized: true, granting_roles: ['stytch_user'] });
  });
});

test('session_duration_minutes extends the session; out of bounds is refused', async () => {
  const { project, token } = await signedIn([], 10);
  clock.advance(60_000);
  const extended = await authenticate(project, { session_token: token, session_duration_minutes: 120 });
  assert.equal(extended.status, 200);
  assert.equal(Date.parse(extended.body.session.expires_at) - clock.now().getTime(), 120 * 60_000);
  expectError(await authenticate(project, { session_token: token, session_duration_minutes: 4 }), 400, 'invalid_session_duration_minutes');
  expectError(await authenticate(project, { session_token: token, session_duration_minutes: 527_041 }), 400, 'invalid_session_duration_minutes');
});

test('an expired session is gone: 404 session_not_found, for the token and the JWT', async () => {
  const { project, token, jwt } = await signedIn([], 5);
  clock.advance(5 * 60_000 + 1000);
  expectError(await authenticate(project, { session_token: token }), 404, 'session_not_found');
  expectError(await authenticate(project, { session_jwt: jwt }), 404, 'session_not_found');
});

test('revoke by token, by id, by JWT; revoked sessions fail and leave the list', async () => {
  const a = await signedIn();
  const user = await server.gatehouse.users.requireUser(a.project.project_id, a.userId);
  const second = await server.gatehouse.sessions.grant(a.project.project_id, 'test', user, factor('x@example.com'), { session_duration_minutes: 30 });
  const third = await server.gatehouse.sessions.grant(a.project.project_id, 'test', user, factor('x@example.com'), { session_duration_minutes: 30 });
  const listed = await server.api(a.project, 'GET', `/v1/sessions?user_id=${a.userId}`);
  assert.equal(listed.body.sessions.length, 3);
  assert.deepEqual(listed.body.sessions[0].roles, ['stytch_user']);

  assert.equal((await server.api(a.project, 'POST', '/v1/sessions/revoke', { session_token: a.token })).status, 200);
  expectError(await authenticate(a.project, { session_token: a.token }), 404, 'session_not_found');
  expectError(await authenticate(a.project, { session_jwt: a.jwt }), 404, 'session_not_found');
  assert.equal((await server.api(a.project, 'POST', '/v1/sessions/revoke', { session_id: second.session!.session_id })).status, 200);
  expectError(await authenticate(a.project, { session_token: second.session_token }), 404, 'session_not_found');
  assert.equal((await server.api(a.project, 'POST', '/v1/sessions/revoke', { session_jwt: third.session_jwt })).status, 200);
  expectError(await authenticate(a.project, { session_token: third.session_token }), 404, 'session_not_found');
  assert.equal((await server.api(a.project, 'GET', `/v1/sessions?user_id=${a.userId}`)).body.sessions.length, 0);
  expectError(await server.api(a.project, 'POST', '/v1/sessions/revoke', { session_id: second.session!.session_id }), 404, 'session_not_found');
  expectError(await server.api(a.project, 'POST', '/v1/sessions/revoke', {}), 400, 'no_session_revoke_arguments');
  expectError(await server.api(a.project, 'POST', '/v1/sessions/revoke', { session_id: 'x', session_token: 'y' }), 400, 'too_many_session_revoke_arguments');
});

test('deleting the user ends their sessions', async () => {
  const { project, userId, token } = await signedIn();
  assert.equal((await authenticate(project, { session_token: token })).status, 200);
  await server.api(project, 'DELETE', `/v1/users/${userId}`);
  expectError(await authenticate(project, { session_token: token }), 404, 'session_not_found');
});

test('bad session arguments', async () => {
  const { project, token, jwt } = await signedIn();
  expectError(await authenticate(project, {}), 400, 'no_session_arguments');
  expectError(await authenticate(project, { session_token: token, session_jwt: jwt }), 400, 'too_many_session_arguments');
  expectError(await authenticate(project, { session_token: 'not-a-token' }), 404, 'session_not_found');
  expectError(await authenticate(project, { session_jwt: 'not.a.jwt' }), 400, 'unable_to_parse_session_jwt');
  expectError(await authenticate(project, { session_token: token, session_custom_claims: { iss: 'me' } }), 400, 'reserved_claims_in_custom_claims');
  expectError(await authenticate(project, { session_token: token, session_custom_claims: { 'https://stytch.com/session': {} } }), 400, 'stytch_claims_in_custom_claims');
});

test("a session of one project is not found in another, and its JWT has the wrong audience", async () => {
  const a = await signedIn();
  const b = await signedIn();
  expectError(await authenticate(b.project, { session_token: a.token }), 404, 'session_not_found');
  expectError(await authenticate(b.project, { session_jwt: a.jwt }), 401, 'jwt_invalid_audience');
});

test('a JWT signed with another key is refused, even with a known kid and right claims', async () => {
  const { project, jwt } = await signedIn();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const claims = decodeJwt(jwt);
  const forged = await new SignJWT(claims as never).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: decodeProtectedHeader(jwt).kid! }).sign(privateKey);
  expectError(await authenticate(project, { session_jwt: forged }), 401, 'jwt_invalid_signature');
  // Tampered payload with the original signature.
  const [h, , s] = jwt.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'user-test-00000000-0000-4000-8000-000000000000' })).toString('base64url')}.${s}`;
  expectError(await authenticate(project, { session_jwt: tampered }), 401, 'jwt_invalid_signature');
});

describe('a JWT verified once is not verified again, and that memory grants nothing more', () => {
  test('the same JWT again is answered from memory, exactly as the first time', async () => {
    const { project, jwt, sessionId } = await signedIn(['writer']);
    const check = { resource_id: 'documents', action: 'write' };
    const first = await authenticate(project, { session_jwt: jwt, authorization_check: check });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await authenticate(project, { session_jwt: jwt, authorization_check: check });
    assert.equal(again.status, 200);
    assert.deepEqual({ ...again.body, request_id: first.body.request_id }, first.body);
    assert.equal(again.body.session.session_id, sessionId);
    assert.equal(again.body.session_token, '');
    // In memory is where the second answer came from: the service answers it without waiting.
    const answered = server.gatehouse.sessions.authenticateInMemory(project.project_id, { session_jwt: jwt, authorization_check: check });
    assert.equal(answered?.session?.session_id, sessionId);
    assert.deepEqual(answered?.verdict, { authorized: true, granting_roles: ['writer'] });
  });

  test('a tampered or re-signed copy of a remembered JWT is still refused', async () => {
    const { project, jwt } = await signedIn();
    assert.equal((await authenticate(project, { session_jwt: jwt })).status, 200);
    const [h, p, s] = jwt.split('.');
    const otherSignature = `${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expectError(await authenticate(project, { session_jwt: `${h}.${p}.${otherSignature}` }), 401, 'jwt_invalid_signature');
    const claims = decodeJwt(jwt);
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'user-test-00000000-0000-4000-8000-000000000000' })).toString('base64url')}.${s}`;
    expectError(await authenticate(project, { session_jwt: tampered }), 401, 'jwt_invalid_signature');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(claims as never).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: decodeProtectedHeader(jwt).kid! }).sign(privateKey);
    expectError(await authenticate(project, { session_jwt: forged }), 401, 'jwt_invalid_signature');
  });

  test('remembered in one project, it still has the wrong audience in another', async () => {
    const a = await signedIn();
    const b = await signedIn();
    assert.equal((await authenticate(a.project, { session_jwt: a.jwt })).status, 200);
    expectError(await authenticate(b.project, { session_jwt: a.jwt }), 401, 'jwt_invalid_audience');
    assert.equal(server.gatehouse.sessions.authenticateInMemory(b.project.project_id, { session_jwt: a.jwt }), undefined);
  });

  test('a remembered JWT of a revoked session is refused at once', async () => {
    const { project, jwt, token } = await signedIn();
    assert.equal((await authenticate(project, { session_jwt: jwt })).status, 200);
    assert.equal((await authenticate(project, { session_jwt: jwt })).status, 200);
    assert.equal((await server.api(project, 'POST', '/v1/sessions/revoke', { session_token: token })).status, 200);
    expectError(await authenticate(project, { session_jwt: jwt }), 404, 'session_not_found');
  });
});

test('custom claims are stored, returned, and put in the JWT', async () => {
  const { project, token } = await signedIn();
  const response = await authenticate(project, { session_token: token, session_custom_claims: { tier: 'gold' } });
  assert.deepEqual(response.body.session.custom_claims, { tier: 'gold' });
  assert.equal(decodeJwt(response.body.session_jwt).tier, 'gold');
});

test('key rotation: new tokens use the new key; the old key stays published until its tokens expired', async () => {
  const { project, token, jwt } = await signedIn([], 600);
  const oldKid = decodeProtectedHeader(jwt).kid!;
  const rotated = await server.api(project, 'POST', '/v1/project/signing_keys/rotate');
  assert.equal(rotated.status, 200);
  assert.deepEqual(rotated.body.retired_kids, [oldKid]);
  assert.deepEqual((await jwks(project)).map((k) => k.kid).sort(), [oldKid, rotated.body.kid].sort());

  clock.advance(61_000); // past the JWT re-use window: the next JWT is minted anew
  const fresh = await authenticate(project, { session_token: token });
  assert.equal(decodeProtectedHeader(fresh.body.session_jwt).kid, rotated.body.kid);
  assert.equal((await authenticate(project, { session_jwt: jwt })).status, 200, 'the old key still verifies its tokens');

  clock.advance(6 * 60_000);
  expectError(await authenticate(project, { session_jwt: jwt }), 401, 'jwt_invalid_signature');
  assert.equal((await authenticate(project, { session_token: token })).status, 200);
  // Still published for the M2M access tokens it signed (an hour), then gone.
  assert.deepEqual((await jwks(project)).map((k) => k.kid).sort(), [oldKid, rotated.body.kid].sort());
  clock.advance(55 * 60_000);
  assert.deepEqual((await jwks(project)).map((k) => k.kid), [rotated.body.kid]);
});

test('the JWKS is public and unknown projects have no keys', async () => {
  const { project } = await signedIn();
  assert.equal((await jwks(project)).length, 1);
  const unknown = await server.raw('/v1/sessions/jwks/project-test-00000000-0000-4000-8000-000000000000', {});
  assert.deepEqual(unknown.body.keys, []);
});

test('last access is recorded without a write per request', async () => {
  const { project, token, sessionId } = await signedIn();
  clock.advance(30_000);
  await authenticate(project, { session_token: token });
  await server.gatehouse.sessions.flush();
  const { rows } = await server.gatehouse.db.query<{ last_accessed_at: Date }>('SELECT last_accessed_at FROM sessions WHERE session_id = $1', [sessionId]);
  assert.equal(rows[0]!.last_accessed_at.toISOString(), clock.now().toISOString());
});

test('another server process on the same PostgreSQL stops accepting a revoked session within a second', async (t) => {
  if (server.database.kind !== 'postgres') return t.skip('PGlite is one process: cross-process invalidation needs PostgreSQL');
  const otherDb = await openPostgres({ url: process.env.DATABASE_URL!, schema: server.database.schema });
  const other = await startTestServer({ clock, database: { db: otherDb, kind: 'postgres', dispose: () => otherDb.close() } });
  try {
    const { project, token } = await signedIn();
    assert.equal((await other.api(project, 'POST', '/v1/sessions/authenticate', { session_token: token })).status, 200);
    await server.api(project, 'POST', '/v1/sessions/revoke', { session_token: token });
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 1000) {
      status = (await other.api(project, 'POST', '/v1/sessions/authenticate', { session_token: token })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 404);
  } finally {
    await other.close();
    await otherDb.close().catch(() => {});
  }
});
