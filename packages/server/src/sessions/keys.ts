// The RS256 keys that sign session JWTs, per project. One key signs at a time; `rotate` starts a
// new one and retires the old, which stays in the JWKS until every token it signed has expired.
import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { BoundedCache } from '../shared/bounded-cache.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { EncryptionKeyring } from '../encryption/keyring.ts';
import { SEALED } from '../encryption/stored-secrets.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

const generateRsa = promisify(generateKeyPair);

/** How long a JWT lives; also how long a retired key still verifies session JWTs here, plus clock skew. */
export const JWT_LIFETIME_SECONDS = 300;
const RETIRED_KEY_GRACE_MS = (JWT_LIFETIME_SECONDS + 60) * 1000;
/** How long an M2M access token lives (m2m/): a retired key stays in the JWKS that long, plus clock skew. */
export const M2M_TOKEN_LIFETIME_SECONDS = 3600;
const RETIRED_KEY_PUBLISHED_MS = (M2M_TOKEN_LIFETIME_SECONDS + 60) * 1000;

export interface PublicJwk {
  kty: 'RSA';
  use: 'sig';
  key_ops: ['verify'];
  alg: 'RS256';
  kid: string;
  n: string;
  e: string;
}

interface KeyRow {
  kid: string;
  /** The private JWK, sealed with the keyring (SEALED.signingKey). */
  private_jwk_encrypted: string;
  public_jwk: PublicJwk;
  created_at: Date;
  retired_at: Date | null;
}

export interface ProjectKeys {
  signing: { kid: string; key: KeyObject };
  /** Keys whose tokens may still be presented: the signing key and recently retired ones. */
  published(): PublicJwk[];
  verificationKey(kid: string): KeyObject | undefined;
}

export class SigningKeys {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #keyring: EncryptionKeyring;
  /** project_id → its keys (being read, then read); dropped by the change feed on rotation. */
  readonly #cache = new BoundedCache<string, ProjectKeys>({ max: 10_000 });

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock, keyring: EncryptionKeyring) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    this.#keyring = keyring;
    this.#cache.followFeed(feed, (event) => (event.type === 'signing_keys' ? event.project_id : undefined));
  }

  /** The project's keys, made on first use. */
  async forProject(projectId: string, environment: Environment): Promise<ProjectKeys> {
    return this.#cache.load(projectId, () => this.#load(projectId, environment));
  }

  /** The project's keys when they are in memory (for answers that do not wait); undefined otherwise. */
  loaded(projectId: string): ProjectKeys | undefined {
    return this.#cache.get(projectId);
  }

  /** Starts signing with a new key; the old one stays published until its tokens have expired. */
  async rotate(projectId: string, environment: Environment): Promise<{ kid: string; retired: string[] }> {
    const created = await newKey(environment);
    return this.#feed.write(async (tx, emit) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`signing_keys:${projectId}`]);
      const now = this.#clock.now();
      const { rows } = await tx.query<{ kid: string }>(
        'UPDATE signing_keys SET retired_at = $2 WHERE project_id = $1 AND retired_at IS NULL RETURNING kid',
        [projectId, now],
      );
      await this.#insertKey(tx, projectId, created, now);
      emit({ type: 'signing_keys', project_id: projectId });
      return { kid: created.kid, retired: rows.map((row) => row.kid) };
    });
  }

  async #load(projectId: string, environment: Environment): Promise<ProjectKeys> {
    let rows = await this.#activeRows(this.#db, projectId);
    if (!rows.some((row) => row.retired_at === null)) {
      const created = await newKey(environment);
      rows = await this.#feed.write(async (tx) => {
        // Two processes may both find no key; the lock makes the second one see the first's.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`signing_keys:${projectId}`]);
        const again = await this.#activeRows(tx, projectId);
        if (again.some((row) => row.retired_at === null)) return again;
        await this.#insertKey(tx, projectId, created, this.#clock.now());
        return this.#activeRows(tx, projectId);
      });
    }
    const signingRow = rows.filter((row) => row.retired_at === null).at(-1)!;
    const keys = rows.map((row) => ({ row, key: createPublicKey({ key: row.public_jwk as unknown as JsonWebKey, format: 'jwk' }) }));
    // A retired key leaves by time alone, so visibility is decided at each read, by the clock.
    // Published (for local verifiers of M2M tokens too) for an hour; verifying session JWTs here, 6 minutes.
    const visible = (graceMs: number) => {
      const since = this.#clock.now().getTime() - graceMs;
      return keys.filter(({ row }) => row.retired_at === null || row.retired_at.getTime() > since);
    };
    const privateJwk = JSON.parse(this.#keyring.open(signingRow.private_jwk_encrypted, SEALED.signingKey.field(signingRow.kid))) as JsonWebKey;
    return {
      signing: { kid: signingRow.kid, key: createPrivateKey({ key: privateJwk, format: 'jwk' }) },
      published: () => visible(RETIRED_KEY_PUBLISHED_MS).map(({ row }) => row.public_jwk),
      verificationKey: (kid) => visible(RETIRED_KEY_GRACE_MS).find(({ row }) => row.kid === kid)?.key,
    };
  }

  async #activeRows(db: SqlExecutor, projectId: string): Promise<KeyRow[]> {
    const since = new Date(this.#clock.now().getTime() - RETIRED_KEY_PUBLISHED_MS);
    const { rows } = await db.query<KeyRow>(
      `SELECT kid, private_jwk_encrypted, public_jwk, created_at, retired_at FROM signing_keys
        WHERE project_id = $1 AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at, kid`,
      [projectId, since],
    );
    return rows;
  }

  async #insertKey(tx: SqlExecutor, projectId: string, key: Awaited<ReturnType<typeof newKey>>, now: Date) {
    await tx.query('INSERT INTO signing_keys (kid, project_id, private_jwk_encrypted, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)', [
      key.kid,
      projectId,
      this.#keyring.seal(JSON.stringify(key.private_jwk), SEALED.signingKey.field(key.kid)),
      JSON.stringify(key.public_jwk),
      now,
    ]);
  }
}

async function newKey(environment: Environment) {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const kid = `jwk-${environment}-${randomUUID()}`;
  const pub = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const public_jwk: PublicJwk = { kty: 'RSA', use: 'sig', key_ops: ['verify'], alg: 'RS256', kid, n: pub.n, e: pub.e };
  return { kid, private_jwk: privateKey.export({ format: 'jwk' }), public_jwk };
}
