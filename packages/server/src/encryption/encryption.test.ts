// Secrets at rest: the signing keys' private halves and the OIDC client secrets are stored encrypted
// (AES-256-GCM, bound to their row), on PGlite and on PostgreSQL. Read from the raw rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import type { ProjectCredentials } from '../projects/service.ts';
import { expectOk } from '../testing/b2b.ts';
import { expectError, openTestDatabase, startTestServer, testDatabaseKinds, TEST_ENCRYPTION_KEY, type TestDatabase, type TestServer } from '../testing/harness.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { EncryptionKey, EncryptionKeyring } from './keyring.ts';
import { reencryptSecrets, SEALED } from './stored-secrets.ts';

const APP = 'http://app.example/sso/callback';

for (const kind of testDatabaseKinds()) {
  describe(`secrets at rest on ${kind}`, () => {
    let server: TestServer;
    let provider: TestOidcProvider;

    before(async () => {
      server = await startTestServer({ database: await openTestDatabase(kind) });
      provider = await startOidcProvider({ redirectUris: [`${server.config.publicUrl}/v1/b2b/sso/oidc/callback`] });
    });
    after(async () => {
      await provider?.stop();
      await server?.close();
      await server?.database.dispose();
    });

    test('the signing key row holds no private key in the clear, and JWTs still verify', async () => {
      const project = await server.createProject();
      const jwt = await signedInJwt(server, project);
      const { rows } = await server.database.db.query<{ row: string }>(
        'SELECT to_jsonb(k)::text AS row FROM signing_keys k WHERE project_id = $1', [project.project_id]);
      assert.equal(rows.length, 1);
      assert.doesNotMatch(rows[0]!.row, /"d"|"p"|"q"|"dp"|"dq"|"qi"/);
      expectOk(await server.api(project, 'POST', '/v1/sessions/authenticate', { session_jwt: jwt }));
    });

    test('the OIDC connection row holds no client secret in the clear, and sign-in through the provider works', async () => {
      const { project, connectionId } = await oidcConnection(server, provider);
      const { rows } = await server.database.db.query<{ row: string }>(
        'SELECT to_jsonb(c)::text AS row FROM sso_connections c WHERE connection_id = $1', [connectionId]);
      assert.equal(rows.length, 1);
      assert.ok(!rows[0]!.row.includes(provider.clientSecret), 'no client secret in the row');
      await oidcSignIn(server, provider, project, connectionId);
    });

    test('a sealed value moved to another row does not open: the connection it was moved to fails, closed', async () => {
      const a = await oidcConnection(server, provider);
      const b = await oidcConnection(server, provider, 'another-client-secret-of-b-000000');
      await server.database.db.query(
        `UPDATE sso_connections SET client_secret_encrypted = (SELECT client_secret_encrypted FROM sso_connections WHERE connection_id = $1)
          WHERE connection_id = $2`, [a.connectionId, b.connectionId]);
      const moved = await server.api(b.project, 'GET', `/v1/b2b/sso/${b.organizationId}`);
      const body = expectError(moved, 500, 'internal_server_error');
      assert.doesNotMatch(JSON.stringify(body), /v1:|client|secret/i);
      expectOk(await server.api(a.project, 'GET', `/v1/b2b/sso/${a.organizationId}`));
      // The same for a signing key: sealed for one kid, it does not open as another's.
      const keyring = new EncryptionKeyring(EncryptionKey.parse(TEST_ENCRYPTION_KEY)!);
      const sealed = keyring.seal('{"d":"x"}', SEALED.signingKey.field('jwk-test-a'));
      assert.equal(keyring.open(sealed, SEALED.signingKey.field('jwk-test-a')), '{"d":"x"}');
      assert.throws(() => keyring.open(sealed, SEALED.signingKey.field('jwk-test-b')), /moved from another row/);
      assert.throws(() => keyring.open(sealed, SEALED.oidcClientSecret.field('jwk-test-a')), /moved from another row/);
    });

    describe('on a database of its own', () => {
      let database: TestDatabase;
      before(async () => (database = await openTestDatabase(kind)));
      after(() => database?.dispose());

      test('rotation: a new key with the old one as previous works at once; reencrypt; then the new key alone; a wrong key refuses to start', async () => {
        const oldKey = EncryptionKey.generate();
        const newKey = EncryptionKey.generate();
        const start = (env: Record<string, string>) => startTestServer({ database, env });

        const first = await start({ GATEHOUSE_ENCRYPTION_KEY: oldKey.text });
        const project = await first.createProject();
        const kid = decodeProtectedHeader(await signedInJwt(first, project)).kid;
        const sso = await oidcConnection(first, provider, undefined, project);
        await first.close();

        // The new key alone cannot open what the old one sealed: the start is refused, saying which key is missing.
        const refusal = await start({ GATEHOUSE_ENCRYPTION_KEY: newKey.text }).then(() => assert.fail('started'), (error: Error) => error);
        assert.equal(refusal.name, 'ConfigError');
        assert.ok(refusal.message.includes(oldKey.key.id) && refusal.message.includes(newKey.key.id), refusal.message);
        for (const text of [oldKey.text, newKey.text, Buffer.from(oldKey.text, 'base64').toString('hex')]) assert.ok(!refusal.message.includes(text));

        // New key, old one previous: everything works (the key signs, the client secret is presented), nothing re-sealed yet.
        const rotating = await start({ GATEHOUSE_ENCRYPTION_KEY: newKey.text, GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS: oldKey.text });
        assert.deepEqual(rotating.gatehouse.secretsAtRest, { sealed: 0, underPreviousKeys: 2 });
        assert.equal(decodeProtectedHeader(await signedInJwt(rotating, project)).kid, kid);
        await oidcSignIn(rotating, provider, sso.project, sso.connectionId);
        assert.equal(await reencryptSecrets(database.db, new EncryptionKeyring(newKey.key, [oldKey.key])), 2);
        assert.deepEqual(await sealedKeyIds(database), [newKey.key.id]);
        await rotating.close();

        const rotated = await start({ GATEHOUSE_ENCRYPTION_KEY: newKey.text });
        assert.deepEqual(rotated.gatehouse.secretsAtRest, { sealed: 0, underPreviousKeys: 0 });
        assert.equal(decodeProtectedHeader(await signedInJwt(rotated, project)).kid, kid);
        await oidcSignIn(rotated, provider, sso.project, sso.connectionId);
        await rotated.close();
        await assert.rejects(start({ GATEHOUSE_ENCRYPTION_KEY: oldKey.text }), /GATEHOUSE_ENCRYPTION_KEY/);

        // Plaintext as a version before encryption stored it is sealed at the next start, and still works.
        const keyring = new EncryptionKeyring(newKey.key);
        const { rows } = await database.db.query<{ kid: string; sealed: string }>('SELECT kid, private_jwk_encrypted AS sealed FROM signing_keys');
        for (const row of rows) {
          await database.db.query('UPDATE signing_keys SET private_jwk = $2, private_jwk_encrypted = NULL WHERE kid = $1',
            [row.kid, keyring.open(row.sealed, SEALED.signingKey.field(row.kid))]);
        }
        await database.db.query(`UPDATE sso_connections SET config = config || jsonb_build_object('client_secret', $2::text), client_secret_encrypted = NULL
          WHERE connection_id = $1`, [sso.connectionId, provider.clientSecret]);
        const upgraded = await start({ GATEHOUSE_ENCRYPTION_KEY: newKey.text });
        assert.deepEqual(upgraded.gatehouse.secretsAtRest, { sealed: 2, underPreviousKeys: 0 });
        const raw = await database.db.query<{ row: string }>(
          'SELECT to_jsonb(k)::text AS row FROM signing_keys k UNION ALL SELECT to_jsonb(c)::text FROM sso_connections c');
        for (const { row } of raw.rows) assert.ok(!/"d":/.test(row) && !row.includes(provider.clientSecret), row);
        assert.equal(decodeProtectedHeader(await signedInJwt(upgraded, project)).kid, kid);
        await oidcSignIn(upgraded, provider, sso.project, sso.connectionId);
        await upgraded.close();
      });
    });
  });
}

/** The key ids named by every sealed value in the database. */
async function sealedKeyIds(database: TestDatabase): Promise<string[]> {
  const { rows } = await database.db.query<{ key_id: string }>(
    `SELECT DISTINCT split_part(v, ':', 2) AS key_id FROM (
       SELECT private_jwk_encrypted AS v FROM signing_keys UNION ALL SELECT client_secret_encrypted FROM sso_connections) s WHERE v IS NOT NULL`);
  return rows.map((row) => row.key_id);
}

/** A user signed in with a password over HTTP; its session JWT. */
async function signedInJwt(server: TestServer, project: ProjectCredentials): Promise<string> {
  const created = expectOk(await server.api(project, 'POST', '/v1/passwords', {
    email: `u${Math.random()}@example.com`, password: 'a long and unusual passphrase 93', session_duration_minutes: 60,
  }));
  return created.session_jwt as string;
}

async function oidcConnection(server: TestServer, provider: TestOidcProvider, clientSecret = provider.clientSecret, inProject?: ProjectCredentials) {
  const project = inProject ?? (await server.createProject());
  const { organization } = expectOk(await server.api(project, 'POST', '/v1/b2b/organizations', { organization_name: `Acme ${Math.random()}` }));
  const organizationId = organization.organization_id as string;
  const created = expectOk(await server.api(project, 'POST', `/v1/b2b/sso/oidc/${organizationId}`, { display_name: 'IdP' })).connection;
  const updated = expectOk(await server.api(project, 'PUT', `/v1/b2b/sso/oidc/${organizationId}/connections/${created.connection_id}`, {
    issuer: provider.issuer, client_id: provider.clientId, client_secret: clientSecret,
  })).connection;
  assert.equal(updated.status, 'active');
  return { project, organizationId, connectionId: created.connection_id as string };
}

/** A whole OIDC sign-in (start, provider, callback, authenticate): the client secret was read back and used. */
async function oidcSignIn(server: TestServer, provider: TestOidcProvider, project: ProjectCredentials, connectionId: string) {
  provider.setUser({ sub: `oidc-${Math.random()}`, email: `m${Math.random()}@acme.example`, email_verified: true, name: 'M' });
  const start = await fetch(
    `${server.baseUrl}/v1/public/sso/start?${new URLSearchParams({ connection_id: connectionId, public_token: project.public_token, login_redirect_url: APP })}`,
    { redirect: 'manual' },
  );
  assert.equal(start.status, 302, await start.text());
  const callback = await provider.signIn(start.headers.get('location')!);
  const finished = await fetch(`${server.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
  assert.equal(finished.status, 302, await finished.text());
  const token = new URL(finished.headers.get('location')!).searchParams.get('token');
  return expectOk(await server.api(project, 'POST', '/v1/b2b/sso/authenticate', { sso_token: token, session_duration_minutes: 30 }));
}
