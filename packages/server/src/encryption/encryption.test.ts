// Secrets at rest: the signing keys' private halves and the OIDC client secrets are stored encrypted
// (AES-256-GCM, bound to their row), on PGlite and on PostgreSQL. Read from the raw rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectOk } from '../testing/b2b.ts';
import { expectError, openTestDatabase, startTestServer, testDatabaseKinds, TEST_ENCRYPTION_KEY, type TestServer } from '../testing/harness.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { oidcConnection, oidcSignIn, signedInJwt } from '../testing/sign-ins.ts';
import { EncryptionKey, EncryptionKeyring } from './keyring.ts';
import { SEALED } from './stored-secrets.ts';

for (const kind of testDatabaseKinds()) {
  describe(`secrets at rest on ${kind}`, () => {
    let server: TestServer;
    let provider: TestOidcProvider;

    before(async () => {
      // The test OpenID provider listens on loopback: the development setting lets discovery reach it.
      server = await startTestServer({ database: await openTestDatabase(kind), env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32' } });
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
  });
}

