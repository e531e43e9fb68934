// Encryption of the secrets Gatehouse must read back (signing keys' private halves, OIDC client
// secrets): AES-256-GCM under a key given by the operator, each value bound to the row and field it
// belongs to. A stored value names the key that sealed it, so keys can be rotated.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** Bytes of key material: AES-256. */
export const ENCRYPTION_KEY_BYTES = 32;
/** The stored form: `v1:<key id>:<iv>:<ciphertext and tag>`, base64url parts. */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Key material given as base64 (44 characters) or hex (64), parsed without ever putting the material
 * into a message. The material sits in a private field: it is not in JSON, util.inspect or logs.
 */
export class EncryptionKey {
  /** A public fingerprint naming the key in stored values and messages (an HMAC of a constant, not the key). */
  readonly id: string;
  /** Some bytes repeat enough that this cannot be 32 random bytes (e.g. a passphrase padded out, all zeros). */
  readonly weak: boolean;
  readonly #cipherKey: Buffer;

  constructor(material: Buffer) {
    if (material.length !== ENCRYPTION_KEY_BYTES) throw new Error('an encryption key is 32 bytes');
    this.id = `ek-${createHmac('sha256', material).update('gatehouse encryption key id').digest('hex').slice(0, 16)}`;
    // 32 random bytes have about 30 distinct values; fewer than 16 happens by chance with odds below 1e-12.
    this.weak = new Set(material).size < 16;
    // The AES key is derived, so the material itself serves one purpose only (the id above uses HMAC).
    this.#cipherKey = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'gatehouse aes-256-gcm v1', ENCRYPTION_KEY_BYTES));
  }

  /** Reads the text form; null when it is not 32 bytes of base64 or hex (the caller names the variable). */
  static parse(text: string): EncryptionKey | null {
    const value = text.trim();
    let material: Buffer | undefined;
    if (/^[0-9a-fA-F]{64}$/.test(value)) material = Buffer.from(value, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) material = Buffer.from(value.replace(/=$/, ''), 'base64url');
    return material?.length === ENCRYPTION_KEY_BYTES ? new EncryptionKey(material) : null;
  }

  static generate(): { key: EncryptionKey; text: string } {
    const material = randomBytes(ENCRYPTION_KEY_BYTES);
    return { key: new EncryptionKey(material), text: material.toString('base64') };
  }

  /** @internal for EncryptionKeyring */
  cipherKey(): Buffer {
    return this.#cipherKey;
  }

  toJSON(): string {
    return this.id;
  }

  [inspect.custom](): string {
    return `EncryptionKey(${this.id})`;
  }
}

/** Where a sealed value lives: the AAD, so a value copied to another row or field does not open. */
export interface SealedField {
  table: string;
  column: string;
  rowId: string;
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

export class EncryptionKeyring {
  readonly current: EncryptionKey;
  readonly #byId: Map<string, EncryptionKey>;

  /** `current` seals and opens; `previous` only open (values sealed before a rotation). */
  constructor(current: EncryptionKey, previous: readonly EncryptionKey[] = []) {
    this.current = current;
    this.#byId = new Map([...previous, current].map((key) => [key.id, key]));
  }

  /** The ids of every key this keyring opens with, the current one first. */
  get keyIds(): string[] {
    return [this.current.id, ...[...this.#byId.keys()].filter((id) => id !== this.current.id)];
  }

  knows(keyId: string): boolean {
    return this.#byId.has(keyId);
  }

  seal(plaintext: string, field: SealedField): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.cipherKey(), iv);
    cipher.setAAD(aad(field));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString('base64url'), body.toString('base64url')].join(':');
  }

  open(sealed: string, field: SealedField): string {
    const [version, keyId, iv, body, extra] = sealed.split(':');
    const where = `${field.table}.${field.column} of ${field.rowId}`;
    if (version !== VERSION || !keyId || !iv || !body || extra !== undefined) throw new SecretDecryptionError(`${where} is not a sealed value`);
    const key = this.#byId.get(keyId);
    if (!key) throw new SecretDecryptionError(`${where} was sealed with encryption key ${keyId}, which is not configured`);
    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.cipherKey(), Buffer.from(iv, 'base64url'));
      decipher.setAAD(aad(field));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(`${where} does not open with encryption key ${keyId}: altered, or moved from another row`);
    }
  }
}

/** The key id a sealed value names (undefined for anything else). */
export function sealedKeyId(sealed: string): string | undefined {
  const [version, keyId] = sealed.split(':');
  return version === VERSION ? keyId : undefined;
}

function aad(field: SealedField): Buffer {
  return Buffer.from(`gatehouse:${field.table}.${field.column}:${field.rowId}`, 'utf8');
}
