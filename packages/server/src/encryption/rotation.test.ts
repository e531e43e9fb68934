// Rotating the encryption key on a running deployment, and the first start after an upgrade from
// plaintext storage, on PGlite and PostgreSQL: the signing key still signs, the OIDC client secret is
// still presented, and a key that cannot open what is stored stops the start.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { openTestDatabase, startTestServer, testDatabaseKinds, type TestDatabase } from '../testing/harness.ts';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.ts';
import { oidcConnection, oidcSignIn, signedInJwt } from '../testing/sign-ins.ts';
import { EncryptionKey, EncryptionKeyring } from './keyring.ts';
import { reencryptSecrets, SEALED } from './stored-secrets.ts';

for (const kind of testDatabaseKinds()) {
  describe(`encryption key rotation on ${kind}`, () => {
    let provider: TestOidcProvider;
    before(async () => {
      provider = await startOidcProvider({ redirectUris: ['http://127.0.0.1:4000/v1/b2b/sso/oidc/callback'] });
    });
    after(() => provider?.stop());
    let database: TestDatabase;
    before(async () => (database = await openTestDatabase(kind)));
    after(() => database?.dispose());

    test('rotation: a new key with the old one as previous works at once; reencrypt; then the new key alone; a wrong key refuses to start', async () => {
      const oldKey = EncryptionKey.generate();
      const newKey = EncryptionKey.generate();
      // The test OpenID provider listens on loopback: the development setting lets discovery reach it.
      const start = (env: Record<string, string>) => startTestServer({ database, env: { GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1/32', ...env } });

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
}

/** The key ids named by every sealed value in the database. */
async function sealedKeyIds(database: TestDatabase): Promise<string[]> {
  const { rows } = await database.db.query<{ key_id: string }>(
    `SELECT DISTINCT split_part(v, ':', 2) AS key_id FROM (
       SELECT private_jwk_encrypted AS v FROM signing_keys UNION ALL SELECT client_secret_encrypted FROM sso_connections) s WHERE v IS NOT NULL`);
  return rows.map((row) => row.key_id);
}

