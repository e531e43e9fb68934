// Password hashes. Every password Gatehouse sets is hashed with argon2id at OWASP's parameters
// (m=19456 KiB, t=2, p=1). passwords/migrate imports hashes made elsewhere — bcrypt, argon2i/id,
// scrypt, PBKDF2, MD5/SHA-1/SHA-512 with salts, phpass — validated here with Stytch's error types
// and verified with real libraries (@node-rs/argon2, bcryptjs, node:crypto); the first successful
// sign-in replaces them with argon2id. Digests compared here are compared in constant time.
import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash as argon2Hash, hashRaw as argon2HashRaw, parseOptions as argon2ParseOptions, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { GatehouseError, type CatalogueErrorType, type GatehouseErrorArgs } from '../shared/errors.ts';
import { PHPASS_HASH, phpassRoundsLog2, phpassVerify } from './phpass.ts';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

// @node-rs/argon2 declares its algorithm enum as an ambient const enum; these are its values.
const ARGON2I = 1 as Algorithm;
const ARGON2ID = 2 as Algorithm;

/** OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 iterations, 1 lane. */
export const ARGON2ID_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2ID_PARAMS.memoryCost},t=${ARGON2ID_PARAMS.timeCost},p=${ARGON2ID_PARAMS.parallelism}$`;

export const HASH_TYPES = ['bcrypt', 'md_5', 'argon_2i', 'argon_2id', 'sha_1', 'sha_512', 'scrypt', 'phpass', 'pbkdf_2'] as const;
export type HashType = (typeof HASH_TYPES)[number];

export interface SaltsConfig {
  prepend_salt: string;
  append_salt: string;
}
export interface Argon2Config {
  salt: string;
  iteration_amount: number;
  memory: number;
  threads: number;
  key_length: number;
}
export interface ScryptConfig {
  salt: string;
  n_parameter: number;
  r_parameter: number;
  p_parameter: number;
  key_length: number;
}
export interface Pbkdf2Config {
  salt: string;
  iteration_amount: number;
  key_length: number;
  algorithm: 'sha1' | 'sha256' | 'sha512';
}
export type HashConfig = SaltsConfig | Argon2Config | ScryptConfig | Pbkdf2Config;

/** A hash as stored: the hash in a canonical encoding and, for raw forms, the parameters it needs. */
export interface StoredHash {
  hash_type: HashType;
  hash: string;
  hash_config: HashConfig | null;
}

/** passwords/migrate's hash fields as the request gives them. */
export interface MigrateHashInput {
  hash: string;
  hash_type: string;
  md_5_config?: Partial<SaltsConfig>;
  sha_1_config?: Partial<SaltsConfig>;
  sha_512_config?: Partial<SaltsConfig>;
  argon_2_config?: Argon2Config;
  scrypt_config?: ScryptConfig;
  pbkdf_2_config?: Omit<Pbkdf2Config, 'algorithm'> & { algorithm?: string };
}

// ---------------------------------------------------------------------------------------------
// New passwords

export async function hashPassword(password: string): Promise<StoredHash> {
  const hash = await argon2Hash(password, { algorithm: ARGON2ID, ...ARGON2ID_PARAMS });
  return { hash_type: 'argon_2id', hash, hash_config: null };
}

/** Whether a stored hash should be replaced by a fresh argon2id hash after a successful sign-in. */
export function needsRehash(stored: StoredHash): boolean {
  return !(stored.hash_type === 'argon_2id' && stored.hash_config === null && stored.hash.startsWith(CURRENT_PREFIX));
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification without a real hash: for unknown emails and users without
 * a password, so they answer no faster than a wrong password does.
 */
export async function verifyDummy(password: string): Promise<false> {
  dummyHash ??= argon2Hash(randomBytes(16).toString('base64'), { algorithm: ARGON2ID, ...ARGON2ID_PARAMS });
  await argon2Verify(await dummyHash, password);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Verification

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const DIGESTS = { md_5: 'md5', sha_1: 'sha1', sha_512: 'sha512' } as const;

export async function verifyPassword(stored: StoredHash, password: string): Promise<boolean> {
  switch (stored.hash_type) {
    case 'argon_2id':
    case 'argon_2i': {
      const config = stored.hash_config as Argon2Config | null;
      if (!config) return argon2Verify(stored.hash, password);
      const computed = await argon2HashRaw(password, {
        algorithm: stored.hash_type === 'argon_2id' ? ARGON2ID : ARGON2I,
        salt: Buffer.from(config.salt, 'utf8'),
        timeCost: config.iteration_amount,
        memoryCost: config.memory,
        parallelism: config.threads,
        outputLen: config.key_length,
      });
      return equalBytes(computed, Buffer.from(stored.hash, 'hex'));
    }
    case 'bcrypt':
      // $2y$ (PHP) is the same algorithm as $2b$.
      return bcrypt.compare(password, stored.hash.replace(/^\$2y\$/, '$2b$'));
    case 'scrypt': {
      const config = stored.hash_config as ScryptConfig;
      const { n_parameter: N, r_parameter: r, p_parameter: p } = config;
      const computed = await scryptAsync(password, Buffer.from(config.salt, 'base64'), config.key_length, { N, r, p, maxmem: scryptMemory(N, r, p) });
      return equalBytes(computed, Buffer.from(stored.hash, 'base64'));
    }
    case 'pbkdf_2': {
      const config = stored.hash_config as Pbkdf2Config;
      const computed = await pbkdf2Async(password, Buffer.from(config.salt, 'base64'), config.iteration_amount, config.key_length, config.algorithm);
      return equalBytes(computed, Buffer.from(stored.hash, 'base64'));
    }
    case 'md_5':
    case 'sha_1':
    case 'sha_512': {
      const config = (stored.hash_config as SaltsConfig | null) ?? { prepend_salt: '', append_salt: '' };
      const computed = createHash(DIGESTS[stored.hash_type]).update(config.prepend_salt + password + config.append_salt, 'utf8').digest();
      return equalBytes(computed, Buffer.from(stored.hash, 'hex'));
    }
    case 'phpass':
      return phpassVerify(password, stored.hash);
  }
}

function scryptMemory(N: number, r: number, p: number): number {
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

// ---------------------------------------------------------------------------------------------
// Validation of migrated hashes

function fail<K extends CatalogueErrorType>(errorType: K, ...args: GatehouseErrorArgs<K>): never {
  throw new GatehouseError(errorType, ...args);
}

/** Strict base64 (standard or URL-safe, padding optional): null unless `text` is exactly that. */
export function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const canonical = bytes.toString('base64').replace(/=+$/, '');
  return canonical === text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '') ? bytes : null;
}

function decodeHex(text: string): Buffer | null {
  return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : null;
}

function inRange(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

const CONFIG_FIELDS = ['md_5_config', 'sha_1_config', 'sha_512_config', 'argon_2_config', 'scrypt_config', 'pbkdf_2_config'] as const;
const CONFIG_OF: Partial<Record<HashType, (typeof CONFIG_FIELDS)[number]>> = {
  md_5: 'md_5_config',
  sha_1: 'sha_1_config',
  sha_512: 'sha_512_config',
  argon_2i: 'argon_2_config',
  argon_2id: 'argon_2_config',
  scrypt: 'scrypt_config',
  pbkdf_2: 'pbkdf_2_config',
};

/** Checks a hash and its config for passwords/migrate and returns the form to store. */
export function parseMigratedHash(input: MigrateHashInput): StoredHash {
  const hashType = input.hash_type as HashType;
  if (!HASH_TYPES.includes(hashType)) {
    fail('invalid_hash_type');
  }
  for (const field of CONFIG_FIELDS) {
    if (input[field] !== undefined && CONFIG_OF[hashType] !== field) {
      fail('hash_config_not_applicable', { params: { field, hash_type: hashType } });
    }
  }
  const hash = input.hash.trim();
  if (hash === '') fail('invalid_hash');
  switch (hashType) {
    case 'bcrypt':
      return parseBcrypt(hash);
    case 'md_5':
    case 'sha_1':
    case 'sha_512':
      return parseDigest(hashType, hash, input[CONFIG_OF[hashType] as 'md_5_config']);
    case 'argon_2i':
    case 'argon_2id':
      return parseArgon2(hashType, hash, input.argon_2_config);
    case 'scrypt':
      return parseScrypt(hash, input.scrypt_config);
    case 'pbkdf_2':
      return parsePbkdf2(hash, input.pbkdf_2_config);
    case 'phpass':
      return parsePhpass(hash);
  }
}

function parseBcrypt(hash: string): StoredHash {
  const match = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(hash);
  if (!match) fail('invalid_bcrypt_hash');
  if (!inRange(Number(match[1]), 4, 31)) fail('invalid_bcrypt_cost');
  return { hash_type: 'bcrypt', hash, hash_config: null };
}

function parseDigest(hashType: 'md_5' | 'sha_1' | 'sha_512', hash: string, config: Partial<SaltsConfig> | undefined): StoredHash {
  const length = { md_5: 16, sha_1: 20, sha_512: 64 }[hashType];
  const bytes = decodeHex(hash) ?? decodeBase64(hash);
  if (!bytes || bytes.length !== length) {
    fail(`invalid_${hashType}_hash`);
  }
  const salts = { prepend_salt: config?.prepend_salt ?? '', append_salt: config?.append_salt ?? '' };
  return { hash_type: hashType, hash: bytes.toString('hex'), hash_config: salts.prepend_salt || salts.append_salt ? salts : null };
}

const ARGON2_LIMITS = { iterations: [1, 100], memoryKiB: [8, 1_048_576], threads: [1, 64], keyLength: [4, 1024] } as const;

function parseArgon2(hashType: 'argon_2i' | 'argon_2id', hash: string, config: Argon2Config | undefined): StoredHash {
  const variant = hashType === 'argon_2id' ? 'argon2id' : 'argon2i';
  if (hash.startsWith('$')) {
    // PHC string form: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    if (config) fail('argon_2_config_with_encoded_hash');
    if (!hash.startsWith(`$${variant}$`)) fail('invalid_hash');
    let options: ReturnType<typeof argon2ParseOptions>;
    try {
      options = argon2ParseOptions(hash);
    } catch {
      fail('invalid_hash');
    }
    if (options.saltLen < 8) fail('invalid_argon_2_salt');
    checkArgon2Params(options.timeCost, options.memoryCost, options.parallelism, options.outputLen);
    return { hash_type: hashType, hash, hash_config: null };
  }
  // Hex form: the raw key in hex, parameters in argon_2_config.
  if (!config) fail('invalid_hash');
  const bytes = decodeHex(hash);
  if (!bytes) fail('invalid_hash');
  if (Buffer.byteLength(config.salt, 'utf8') < 8 || Buffer.byteLength(config.salt, 'utf8') > 1024) {
    fail('invalid_argon_2_salt');
  }
  checkArgon2Params(config.iteration_amount, config.memory, config.threads, config.key_length);
  if (bytes.length !== config.key_length) {
    fail('argon_2_key_length_mismatch', { params: { key_length: config.key_length, hash_bytes: bytes.length } });
  }
  const { salt, iteration_amount, memory, threads, key_length } = config;
  return { hash_type: hashType, hash: bytes.toString('hex'), hash_config: { salt, iteration_amount, memory, threads, key_length } };
}

function checkArgon2Params(iterations: number, memory: number, threads: number, keyLength: number): void {
  const { iterations: it, memoryKiB: mem, threads: th, keyLength: kl } = ARGON2_LIMITS;
  if (!inRange(iterations, it[0], it[1]) || !inRange(threads, th[0], th[1]) || !inRange(keyLength, kl[0], kl[1])) {
    fail('invalid_argon_2_config');
  }
  if (!inRange(memory, Math.max(mem[0], 8 * threads), mem[1])) {
    fail('invalid_argon_2_config');
  }
}

function parseScrypt(hash: string, config: ScryptConfig | undefined): StoredHash {
  let params: ScryptConfig;
  let key: Buffer | null;
  if (hash.startsWith('$scrypt$')) {
    // PHC string form: $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>, salt and hash in base64.
    if (config) fail('scrypt_config_with_phc_hash');
    const match = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/_-]+={0,2})\$([A-Za-z0-9+/_-]+={0,2})$/.exec(hash);
    const salt = match ? decodeBase64(match[4]!) : null;
    key = match ? decodeBase64(match[5]!) : null;
    if (!match || !salt || !key) fail('invalid_hash');
    params = { salt: salt.toString('base64'), n_parameter: 2 ** Number(match[1]), r_parameter: Number(match[2]), p_parameter: Number(match[3]), key_length: key.length };
  } else {
    if (!config) fail('invalid_hash');
    key = decodeBase64(hash);
    if (!key) fail('invalid_base64_scrypt_hash');
    const salt = decodeBase64(config.salt);
    if (!salt) fail('invalid_scrypt_salt_length');
    params = { ...pick(config, ['n_parameter', 'r_parameter', 'p_parameter', 'key_length']), salt: salt.toString('base64') };
  }
  const saltLength = Buffer.from(params.salt, 'base64').length;
  if (saltLength < 1 || saltLength > 1024) fail('invalid_scrypt_salt_length');
  const { n_parameter: N, r_parameter: r, p_parameter: p } = params;
  if (!inRange(N, 2, 262_144) || (N & (N - 1)) !== 0) fail('invalid_scrypt_config');
  if (!inRange(r, 1, 32) || !inRange(p, 1, 16)) fail('invalid_scrypt_config');
  if (!inRange(params.key_length, 1, 1024)) fail('invalid_scrypt_config');
  if (key.length !== params.key_length) {
    fail('scrypt_key_length_mismatch', { params: { key_length: params.key_length, hash_bytes: key.length } });
  }
  return { hash_type: 'scrypt', hash: key.toString('base64'), hash_config: params };
}

function parsePbkdf2(hash: string, config: MigrateHashInput['pbkdf_2_config']): StoredHash {
  if (!config) fail('invalid_hash');
  const key = decodeBase64(hash);
  if (!key || key.length === 0) fail('invalid_pbkdf_2_hash');
  const salt = decodeBase64(config.salt);
  if (!salt || salt.length === 0 || salt.length > 1024) fail('invalid_pbkdf_2_salt');
  if (!inRange(config.iteration_amount, 1, 10_000_000)) {
    fail('invalid_pbkdf_2_iteration_amount');
  }
  const algorithm = config.algorithm ?? 'sha256';
  if (algorithm !== 'sha256' && algorithm !== 'sha512' && algorithm !== 'sha1') {
    fail('invalid_pbkdf_2_algorithm');
  }
  if (key.length !== config.key_length) {
    fail('pbkdf_2_key_length_mismatch', { params: { key_length: config.key_length, hash_bytes: key.length } });
  }
  return {
    hash_type: 'pbkdf_2',
    hash: key.toString('base64'),
    hash_config: { salt: salt.toString('base64'), iteration_amount: config.iteration_amount, key_length: config.key_length, algorithm },
  };
}

function parsePhpass(hash: string): StoredHash {
  if (!hash.startsWith('$P$') && !hash.startsWith('$H$')) fail('invalid_phpass_hash_prefix');
  if (!PHPASS_HASH.test(hash) || phpassRoundsLog2(hash) < 0) {
    fail('invalid_phpass_hash');
  }
  return { hash_type: 'phpass', hash, hash_config: null };
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}
