// The data folder as `gatehouse serve` leaves it: the owner's alone (finding 6), and no file in it
// (tables, WAL) holding the signing key's private exponent in the clear.
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EncryptionKey, EncryptionKeyring } from '../encryption/keyring.ts';
import { SEALED } from '../encryption/stored-secrets.ts';
import { freePort, serveCli, stopCli } from '../testing/cli-process.ts';
import { openPglite } from './database.ts';

/** Every folder and file under `dir` (itself included) with its permission bits. */
function modesUnder(dir: string): { path: string; mode: number; folder: boolean }[] {
  const stat = lstatSync(dir);
  const own = { path: dir, mode: stat.mode & 0o777, folder: stat.isDirectory() };
  if (!stat.isDirectory()) return [own];
  return [own, ...readdirSync(dir).flatMap((name) => modesUnder(join(dir, name)))];
}

test('a fresh data folder is private: the folder 0700, every file in it 0600, no private key in the clear; a loosened one is tightened at the next start', async () => {
  // PGlite on disk, also in the PostgreSQL run: the embedded database is what the data folder holds.
  const dataDir = join(mkdtempSync(join(tmpdir(), 'gatehouse-private-')), 'data');
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' };
  const first = await serveCli(env);
  let kid: string;
  try {
    assert.match(first.output, /Generated a development encryption key in .*encryption\.key \(mode 600\)/);
    const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
    // The first JWKS request makes the project's signing key: its private half goes to disk.
    const jwks = await fetch(`http://127.0.0.1:${port}/v1/sessions/jwks/${credentials.project_id}`);
    assert.equal(jwks.status, 200);
    kid = ((await jwks.json()) as { keys: { kid: string }[] }).keys[0]!.kid;
  } finally {
    await stopCli(first.child);
  }
  const entries = modesUnder(dataDir);
  assert.ok(entries.length > 10, 'the database is on disk');
  const loose = entries.filter((entry) => entry.mode !== (entry.folder ? 0o700 : 0o600));
  assert.deepEqual(loose.map((entry) => `${entry.path} ${entry.mode.toString(8)}`), []);

  // No file (tables, WAL) holds the private exponent in the clear; it opens only with the key file.
  const files = entries.filter((entry) => !entry.folder).map((entry) => readFileSync(entry.path));
  const db = await openPglite(join(dataDir, 'pglite'));
  const { rows } = await db.query<{ sealed: string }>('SELECT private_jwk_encrypted AS sealed FROM signing_keys WHERE kid = $1', [kid]);
  await db.close();
  const keyring = new EncryptionKeyring(EncryptionKey.parse(readFileSync(join(dataDir, 'encryption.key'), 'utf8'))!);
  const { d } = JSON.parse(keyring.open(rows[0]!.sealed, SEALED.signingKey.field(kid))) as { d: string };
  assert.ok(d.length > 300);
  assert.equal(files.filter((content) => content.includes(Buffer.from(d))).length, 0, 'the private exponent is in a file');

  chmodSync(dataDir, 0o755);
  chmodSync(join(dataDir, 'credentials.json'), 0o644);
  const second = await serveCli(env);
  await stopCli(second.child);
  assert.match(second.output, /readable by others/);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dataDir, 'credentials.json')).mode & 0o777, 0o600);
  assert.deepEqual(modesUnder(dataDir).filter((entry) => entry.mode !== (entry.folder ? 0o700 : 0o600)), []);
});
