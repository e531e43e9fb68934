// Rotating the encryption key with the `gatehouse` command, as an operator does it, on the embedded
// database: a development key at first, then a key of one's own.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { freePort, runCli, serveCli, stopCli } from '../testing/cli-process.ts';
import { basicAuth } from '../testing/harness.ts';
import { EncryptionKey } from './keyring.ts';

test('gatehouse encryption: generate-key, a start refused with the new key alone, reencrypt, the new key alone', async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'gatehouse-rotate-')), 'data');
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' };
  /** Signs a user up with a password: the JWT it gets is signed with the project's (decrypted) key. */
  const signingKid = async () => {
    const { project_id, secret } = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
    const response = await fetch(`http://127.0.0.1:${port}/v1/passwords`, {
      method: 'POST',
      headers: { authorization: basicAuth(project_id, secret), 'content-type': 'application/json' },
      body: JSON.stringify({ email: `u${Math.random()}@example.com`, password: 'a long and unusual passphrase 93', session_duration_minutes: 5 }),
    });
    assert.equal(response.status, 200);
    return decodeProtectedHeader(((await response.json()) as { session_jwt: string }).session_jwt).kid;
  };

  const first = await serveCli(env);
  const kid = await signingKid().finally(() => stopCli(first.child));
  const oldKey = readFileSync(join(dataDir, 'encryption.key'), 'utf8').trim();

  const generated = runCli(env, undefined, 'encryption', 'generate-key');
  assert.equal(generated.status, 0);
  const newKey = generated.stdout.trim();
  const ids = [EncryptionKey.parse(oldKey)!.id, EncryptionKey.parse(newKey)!.id];

  const refused = runCli({ ...env, GATEHOUSE_ENCRYPTION_KEY: newKey }, undefined, 'serve');
  assert.equal(refused.status, 1);
  assert.ok(ids.every((id) => refused.stderr.includes(id)), refused.stderr);
  assert.ok(!`${refused.stdout}${refused.stderr}`.includes(oldKey) && !`${refused.stdout}${refused.stderr}`.includes(newKey));

  const rotating = { ...env, GATEHOUSE_ENCRYPTION_KEY: newKey, GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS: oldKey };
  const reencrypted = runCli(rotating, undefined, 'encryption', 'reencrypt');
  assert.equal(reencrypted.status, 0, reencrypted.stderr);
  assert.match(reencrypted.stdout, new RegExp(`1 secret\\(s\\) encrypted anew with ${ids[1]}`));

  const after = await serveCli({ ...env, GATEHOUSE_ENCRYPTION_KEY: newKey });
  try {
    assert.doesNotMatch(after.output, /previous key/);
    assert.equal(await signingKid(), kid);
  } finally {
    await stopCli(after.child);
  }
});
