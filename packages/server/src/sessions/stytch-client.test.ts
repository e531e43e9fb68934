// The official `stytch` Node client (v14) against a started Gatehouse: passwords, migration, magic
// links, sessions with authorization checks — remote and verified locally against the JWKS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { ProjectCredentials } from '../projects/service.ts';
import { startTestServer, type TestServer } from '../testing/harness.ts';
import { consumerClient, expectStytchError } from '../testing/stytch-clients.ts';

let server: TestServer;
let project: ProjectCredentials;
let client: ReturnType<typeof consumerClient>;

const POLICY = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['create', 'read', 'update', 'delete'] }],
  roles: [
    { role_id: 'stytch_user', description: 'Everyone', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['create', 'update'] }] },
  ],
  scopes: [],
};

before(async () => {
  server = await startTestServer();
  project = await server.createProject();
  assert.equal((await server.api(project, 'PUT', '/v1/rbac/policy', { policy: POLICY })).status, 200);
  client = consumerClient(server, project);
});
after(() => server.close());

test('passwords.create, passwords.authenticate, then sessions.authenticate with an authorization check', async () => {
  const created = await client.passwords.create({ email: 'ada@example.com', password: 'correct horse battery staple 9', session_duration_minutes: 60 });
  assert.match(created.user_id, /^user-test-/);
  assert.ok(created.session_token && created.session_jwt);
  await client.users.update({ user_id: created.user_id, roles: ['editor'] });

  const signedIn = await client.passwords.authenticate({ email: 'ada@example.com', password: 'correct horse battery staple 9', session_duration_minutes: 60 });
  assert.equal(signedIn.user_id, created.user_id);
  assert.deepEqual(signedIn.session?.roles, ['stytch_user', 'editor']);
  await expectStytchError(client.passwords.authenticate({ email: 'ada@example.com', password: 'wrong password entirely 1' }), 'unauthorized_credentials', 401);

  const allowed = await client.sessions.authenticate({ session_token: signedIn.session_token, authorization_check: { resource_id: 'documents', action: 'update' } });
  assert.deepEqual(allowed.verdict, { authorized: true, granting_roles: ['editor'] });
  assert.equal(allowed.user.user_id, created.user_id);
  await expectStytchError(
    client.sessions.authenticate({ session_token: signedIn.session_token, authorization_check: { resource_id: 'documents', action: 'delete' } }),
    'consumer_session_authorization_error',
    403,
  );
});

test('passwords.migrate from bcrypt and argon2id, then sign in with the old password', async () => {
  const bcryptHash = await bcrypt.hash('an old bcrypt password 1', 8);
  const fromBcrypt = await client.passwords.migrate({ email: 'grace@example.com', hash: bcryptHash, hash_type: 'bcrypt', roles: ['editor'], trusted_metadata: { plan: 'pro' } });
  assert.equal(fromBcrypt.user_created, true);
  assert.deepEqual(fromBcrypt.user.roles, ['stytch_user', 'editor']);
  const bcryptSession = await client.passwords.authenticate({ email: 'grace@example.com', password: 'an old bcrypt password 1', session_duration_minutes: 30 });
  assert.equal(bcryptSession.user_id, fromBcrypt.user_id);

  // An argon2id hash made elsewhere, with other parameters, in the standard encoded form.
  const argonHash = await argon2Hash('an old argon password 2', { memoryCost: 4096, timeCost: 3, parallelism: 1, algorithm: 2 });
  const fromArgon = await client.passwords.migrate({ email: 'alan@example.com', hash: argonHash, hash_type: 'argon_2id' });
  const argonSession = await client.passwords.authenticate({ email: 'alan@example.com', password: 'an old argon password 2', session_duration_minutes: 30 });
  assert.equal(argonSession.user_id, fromArgon.user_id);
  // Once upgraded, the same password still works.
  assert.equal((await client.passwords.authenticate({ email: 'alan@example.com', password: 'an old argon password 2' })).user_id, fromArgon.user_id);

  await expectStytchError(client.passwords.migrate({ email: 'x@example.com', hash: bcryptHash, hash_type: 'bcrypt', roles: ['ghost'] }), 'invalid_rbac_role_id', 400);
});

test('magicLinks.email.loginOrCreate, then magicLinks.authenticate with the token from the message', async () => {
  const sent = await client.magicLinks.email.loginOrCreate({
    email: 'linus@example.com',
    login_magic_link_url: 'https://app.example.com/authenticate',
    signup_magic_link_url: 'https://app.example.com/authenticate',
  });
  assert.equal(sent.user_created, true);
  const outbox = await server.api(project, 'GET', `/v1/project/outbox?to=${encodeURIComponent('linus@example.com')}`);
  const text = JSON.stringify(outbox.body.messages[0]);
  const token = text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
  assert.ok(token, text);
  const authenticated = await client.magicLinks.authenticate({ token: token!, session_duration_minutes: 30 });
  assert.equal(authenticated.user_id, sent.user_id);
  assert.ok(authenticated.session_token);
  assert.equal(authenticated.user.emails[0]?.verified, true);
  // Single use.
  await expectStytchError(client.magicLinks.authenticate({ token: token! }), 'unable_to_auth_magic_link');
});

test('sessions.authenticateJwt verifies locally against the JWKS and checks authorization locally; revoke', async () => {
  const { session_token } = await client.passwords.create({ email: 'barbara@example.com', password: 'a long enough passphrase 77', session_duration_minutes: 60 });
  const user = (await client.sessions.authenticate({ session_token })).user;
  await client.users.update({ user_id: user.user_id, roles: ['editor'] });
  const { session_jwt } = await client.sessions.authenticate({ session_token });

  const local = await client.sessions.authenticateJwtLocal({ session_jwt, authorization_check: { resource_id: 'documents', action: 'create' } });
  assert.equal(local.user_id, user.user_id);
  assert.deepEqual(local.roles, ['stytch_user', 'editor']);
  await assert.rejects(
    client.sessions.authenticateJwtLocal({ session_jwt, authorization_check: { resource_id: 'documents', action: 'delete' } }),
    (error: { code?: string }) => error.code === 'invalid_permissions',
  );
  const viaJwt = await client.sessions.authenticateJwt({ session_jwt, authorization_check: { resource_id: 'documents', action: 'update' } });
  assert.equal(viaJwt.session.user_id, user.user_id);
  // A local denial falls back to the server, which denies too.
  await expectStytchError(
    client.sessions.authenticateJwt({ session_jwt, authorization_check: { resource_id: 'documents', action: 'delete' } }),
    'consumer_session_authorization_error',
    403,
  );

  await client.sessions.revoke({ session_token });
  await expectStytchError(client.sessions.authenticate({ session_token }), 'session_not_found', 404);
  await expectStytchError(client.sessions.authenticate({ session_jwt }), 'session_not_found', 404);
  // The local check cannot know of the revocation until the JWT expires: that is the JWT trade-off.
  assert.equal((await client.sessions.authenticateJwtLocal({ session_jwt })).user_id, user.user_id);
});
