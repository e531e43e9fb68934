// The keyring the configuration names: GATEHOUSE_ENCRYPTION_KEY (and previous keys), or in
// development a key generated once into the data folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, developmentKeyFile, type ServerConfig } from '../shared/config.ts';
import { EncryptionKey, EncryptionKeyring } from './keyring.ts';

export interface ConfiguredKeyring {
  keyring: EncryptionKeyring;
  /** The development key file, when this call created it. */
  generatedKeyFile?: string;
}

export function keyringFromConfig(config: ServerConfig): ConfiguredKeyring {
  const { key, previousKeys } = config.encryption;
  if (key) return { keyring: new EncryptionKeyring(key, previousKeys) };
  // loadConfig refuses production mode without a key; this is development.
  const file = developmentKeyFile(config.dataDir);
  const existing = readKeyFile(file);
  if (existing) return { keyring: new EncryptionKeyring(existing) };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { text } = EncryptionKey.generate();
  try {
    writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process starting on the same folder wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { keyring: new EncryptionKeyring(readKeyFile(file)!) };
  }
  return { keyring: new EncryptionKeyring(readKeyFile(file)!), generatedKeyFile: file };
}

function readKeyFile(file: string): EncryptionKey | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const key = EncryptionKey.parse(text);
  if (!key) throw new ConfigError(`${file} does not hold an encryption key (32 bytes as base64 or hex).`);
  return key;
}
