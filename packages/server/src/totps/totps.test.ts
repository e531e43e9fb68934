// Consumer TOTP and recovery codes through the official `stytch` Client against a started Gatehouse:
// enrolment (pending until the first right code, then in the user's totps), sign-in by code with an
// authorization check on the session, a replayed code refused, recovery codes once each, the
// secret sealed at rest, and tries rate limited per user.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProjectCredentials } from '../projects/service.ts';
import { ManualClock, startTestServer, type TestServer } from '../testing/harness.ts';
import { consumerClient, expectStytchError } from '../testing/stytch-clients.ts';
import { totpCode } from './totp.ts';

let server: TestServer;
let project: ProjectCredentials;
let client: ReturnType<typeof consumerClient>;
const clock = new ManualClock();
const STEP = 30_000;

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['read', 'delete'] }],
  roles: [{ role_id: 'stytch_user', description: 'Everyone', permissions: [{ resource_id: 'documents', actions: ['read'] }] }],
  scopes: [],
};

before(async () => {
  server = await startTestServer({ clock, env: { GATEHOUSE_RATE_LIMIT_IDENTIFIER: '8', GATEHOUSE_RATE_LIMIT_IP: '0' } });
  project = await server.createProject();
  assert.equal((await server.api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY })).status, 200);
  client = consumerClient(server, project);
});
after(() => server.close());

async function newUser(name: string): Promise<string> {
  return (await client.users.create({ email: `${name}-${Math.random().toString(36).slice(2, 8)}@example.com` })).user_id;
}

test('create, first code activates; sign-in by code with an authorization check; a replayed code is refused', async () => {
  const user_id = await newUser('totp');
  const created = await client.totps.create({ user_id, expiration_minutes: 30 });
  assert.match(created.totp_id, /^totp-test-[0-9a-f-]{36}$/);
  assert.match(created.secret, /^[A-Z2-7]{32}$/);
  assert.match(created.qr_code, /^data:image\/png;base64,/);
  assert.equal(created.recovery_codes.length, 10);
  assert.deepEqual(created.user.totps, [], 'pending');
  assert.deepEqual((await client.totps.recoveryCodes({ user_id })).totps, []);

  // Stored sealed: the secret is not in the table.
  const { rows } = await server.database.db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM totp_registrations WHERE totp_id = $1', [created.totp_id]);
  assert.ok(rows[0] && !rows[0].secret_encrypted.includes(created.secret));
  const { rows: codes } = await server.database.db.query<{ code_encrypted: string }>('SELECT code_encrypted FROM totp_recovery_codes WHERE totp_id = $1', [created.totp_id]);
  assert.equal(codes.length, 10);
  assert.ok(codes.every((row) => !created.recovery_codes.some((code) => row.code_encrypted.includes(code))));

  await expectStytchError(client.totps.authenticate({ user_id, totp_code: '12345' }), 'otp_code_not_found', 401);
  const code = totpCode(created.secret, clock.now());
  const signedIn = await client.totps.authenticate({ user_id, totp_code: code, session_duration_minutes: 60 });
  assert.equal(signedIn.totp_id, created.totp_id);
  assert.deepEqual(signedIn.user.totps, [{ totp_id: created.totp_id, verified: true }]);
  assert.deepEqual(signedIn.session?.authentication_factors.map((f) => [f.type, f.delivery_method]), [['totp', 'authenticator_app']]);
  const allowed = await client.sessions.authenticate({ session_token: signedIn.session_token, authorization_check: { resource_id: 'documents', action: 'read' } });
  assert.equal(allowed.verdict?.authorized, true);
  await expectStytchError(client.sessions.authenticate({ session_token: signedIn.session_token, authorization_check: { resource_id: 'documents', action: 'delete' } }), 'consumer_session_authorization_error', 403);

  await expectStytchError(client.totps.authenticate({ user_id, totp_code: code }), 'otp_code_not_found', 401);
  await expectStytchError(client.totps.create({ user_id }), 'active_totp_exists', 409);
  clock.advance(STEP);
  const added = await client.totps.authenticate({ user_id, totp_code: totpCode(created.secret, clock.now()), session_token: signedIn.session_token });
  assert.equal(added.session?.session_id, signedIn.session?.session_id, 'added to the presented session');
  clock.advance(STEP);
});

test('recovery codes: listed, each works once, a session', async () => {
  const user_id = await newUser('recover');
  const created = await client.totps.create({ user_id });
  await expectStytchError(client.totps.recover({ user_id, recovery_code: created.recovery_codes[0]! }), 'totp_not_found', 404);
  await client.totps.authenticate({ user_id, totp_code: totpCode(created.secret, clock.now()) });
  assert.deepEqual((await client.totps.recoveryCodes({ user_id })).totps, [{ totp_id: created.totp_id, verified: true, recovery_codes: created.recovery_codes }]);
  const recovered = await client.totps.recover({ user_id, recovery_code: created.recovery_codes[0]!, session_duration_minutes: 30 });
  assert.equal(recovered.totp_id, created.totp_id);
  assert.deepEqual(recovered.session?.authentication_factors.map((f) => f.type), ['recovery_codes']);
  await expectStytchError(client.totps.recover({ user_id, recovery_code: created.recovery_codes[0]! }), 'recovery_code_not_found', 401);
  assert.equal((await client.totps.recoveryCodes({ user_id })).totps[0]!.recovery_codes.length, 9);
  clock.advance(STEP);
});

test('tries are rate limited per user', async () => {
  const user_id = await newUser('limit');
  await client.totps.create({ user_id });
  for (let i = 0; i < 8; i++) await expectStytchError(client.totps.authenticate({ user_id, totp_code: '000000' }), 'otp_code_not_found', 401);
  await expectStytchError(client.totps.authenticate({ user_id, totp_code: '000000' }), 'too_many_requests', 429);
  // Another user is not limited by this one's tries.
  const other = await newUser('other');
  await client.totps.create({ user_id: other });
  await expectStytchError(client.totps.authenticate({ user_id: other, totp_code: '000000' }), 'otp_code_not_found', 401);
});
