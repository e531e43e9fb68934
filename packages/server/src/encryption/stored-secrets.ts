// The secrets stored sealed, and what the server does with them at start (refuse keys that cannot
// open them; seal what an earlier version stored in the clear) and on `gatehouse encryption
// reencrypt` (seal everything anew with the current key after a rotation).
import { ConfigError } from '../shared/config.ts';
import type { Database, SqlExecutor } from '../store/database.ts';
import { quoteIdentifier } from '../store/database.ts';
import type { EncryptionKeyring, SealedField } from './keyring.ts';

/** A column holding sealed values, and the column naming its row (part of each value's AAD). */
export interface SealedColumn {
  table: string;
  idColumn: string;
  column: string;
  field(rowId: string): SealedField;
}

function sealedColumn(table: string, idColumn: string, column: string): SealedColumn {
  return { table, idColumn, column, field: (rowId) => ({ table, column, rowId }) };
}

/** Every sealed column: a new one is added here, so start-up checks and re-encryption cover it. */
export const SEALED = {
  /** signing_keys.private_jwk_encrypted: the JWK of the RSA private key that signs session JWTs. */
  signingKey: sealedColumn('signing_keys', 'kid', 'private_jwk_encrypted'),
  /** sso_connections.client_secret_encrypted: the OIDC client secret presented to the IdP. */
  oidcClientSecret: sealedColumn('sso_connections', 'connection_id', 'client_secret_encrypted'),
  /** oauth_providers.client_secret_encrypted: the project's client secret at Google, Microsoft or GitHub. */
  oauthClientSecret: sealedColumn('oauth_providers', 'provider_id', 'client_secret_encrypted'),
  /** totp_registrations.secret_encrypted: the TOTP shared secret (base32), needed to check each code. */
  totpSecret: sealedColumn('totp_registrations', 'totp_id', 'secret_encrypted'),
  /** totp_recovery_codes.code_encrypted: a recovery code, shown again by recovery_codes get (matched by its hash). */
  recoveryCode: sealedColumn('totp_recovery_codes', 'code_id', 'code_encrypted'),
} as const;

const SEALED_COLUMNS: readonly SealedColumn[] = Object.values(SEALED);
/** Serializes sealing and re-encryption between processes starting at once. */
const LOCK_KEY = 7_402_119_014;

export interface SecretsAtRest {
  /** Values found in the clear (written by a version before encryption) and sealed now. */
  sealed: number;
  /** Values still sealed with a previous key: `gatehouse encryption reencrypt` seals them anew. */
  underPreviousKeys: number;
}

/**
 * At start, after migrations: refuses to go on when stored values name a key the keyring lacks (a
 * wrong or missing GATEHOUSE_ENCRYPTION_KEY), then seals plaintext left by an earlier version.
 */
export async function prepareSecretsAtRest(db: Database, keyring: EncryptionKeyring): Promise<SecretsAtRest> {
  const byKey = await countByKey(db);
  const unknown = [...byKey.keys()].filter((keyId) => !keyring.knows(keyId));
  if (unknown.length > 0) {
    // Key ids are fingerprints (an HMAC of a constant), safe to print; the keys are not printed.
    throw new ConfigError(
      `The database holds secrets encrypted with ${unknown.join(', ')}, which GATEHOUSE_ENCRYPTION_KEY (${keyring.current.id}) ` +
        `and GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS do not include. Start with the key that encrypted them ` +
        `(after a rotation: the new key in GATEHOUSE_ENCRYPTION_KEY, the old one in GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS).`,
    );
  }
  const sealed = await sealPlaintext(db, keyring);
  const underPreviousKeys = [...byKey].reduce((sum, [keyId, count]) => sum + (keyId === keyring.current.id ? 0 : count), 0);
  return { sealed, underPreviousKeys };
}

/** Seals every value not sealed with the current key (after a rotation); returns how many. */
export async function reencryptSecrets(db: Database, keyring: EncryptionKeyring): Promise<number> {
  let count = 0;
  for (const sealed of SEALED_COLUMNS) {
    count += await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const id = quoteIdentifier(sealed.idColumn);
      const column = quoteIdentifier(sealed.column);
      const { rows } = await tx.query<{ row_id: string; value: string }>(
        `SELECT ${id} AS row_id, ${column} AS value FROM ${quoteIdentifier(sealed.table)}
          WHERE ${column} IS NOT NULL AND split_part(${column}, ':', 2) <> $1 FOR UPDATE`,
        [keyring.current.id],
      );
      for (const row of rows) {
        const field = sealed.field(row.row_id);
        await tx.query(`UPDATE ${quoteIdentifier(sealed.table)} SET ${column} = $2 WHERE ${id} = $1`, [
          row.row_id,
          keyring.seal(keyring.open(row.value, field), field),
        ]);
      }
      return rows.length;
    });
  }
  return count;
}

async function countByKey(db: SqlExecutor): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const sealed of SEALED_COLUMNS) {
    const column = quoteIdentifier(sealed.column);
    const { rows } = await db.query<{ key_id: string; count: number }>(
      `SELECT split_part(${column}, ':', 2) AS key_id, count(*)::int AS count FROM ${quoteIdentifier(sealed.table)}
        WHERE ${column} IS NOT NULL GROUP BY 1`,
    );
    for (const row of rows) counts.set(row.key_id, (counts.get(row.key_id) ?? 0) + row.count);
  }
  return counts;
}

/** Seals the plaintext an earlier version stored (signing keys' private JWKs, OIDC client secrets in `config`). */
async function sealPlaintext(db: Database, keyring: EncryptionKeyring): Promise<number> {
  const sealed = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const keys = await tx.query<{ kid: string; private_jwk: string }>(
      'SELECT kid, private_jwk::text AS private_jwk FROM signing_keys WHERE private_jwk IS NOT NULL FOR UPDATE',
    );
    for (const row of keys.rows) {
      await tx.query('UPDATE signing_keys SET private_jwk_encrypted = $2, private_jwk = NULL WHERE kid = $1', [
        row.kid,
        keyring.seal(row.private_jwk, SEALED.signingKey.field(row.kid)),
      ]);
    }
    const secrets = await tx.query<{ connection_id: string; client_secret: string }>(
      `SELECT connection_id, config->>'client_secret' AS client_secret FROM sso_connections WHERE config ? 'client_secret' FOR UPDATE`,
    );
    for (const row of secrets.rows) {
      const value = row.client_secret ? keyring.seal(row.client_secret, SEALED.oidcClientSecret.field(row.connection_id)) : null;
      await tx.query(`UPDATE sso_connections SET client_secret_encrypted = $2, config = config - 'client_secret' WHERE connection_id = $1`, [
        row.connection_id,
        value,
      ]);
    }
    return keys.rowCount + secrets.rowCount;
  });
  // The old row versions still hold the plaintext until the table is rewritten.
  if (sealed > 0) await db.exec('VACUUM (FULL) signing_keys, sso_connections');
  return sealed;
}
