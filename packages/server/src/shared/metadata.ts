// trusted_metadata / untrusted_metadata: JSON objects, merged at the top level on update (a null
// value deletes its key), at most 20 top-level keys and 4 KiB — Stytch's rules.
import { LIMITS } from './config.ts';
import { GatehouseError } from './errors.ts';

export type Metadata = Record<string, unknown>;

function isPlainObject(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkMetadata(value: Metadata, field: string): Metadata {
  if (Object.keys(value).length > LIMITS.metadataMaxKeys) {
    throw new GatehouseError('metadata_too_many_keys', { params: { field, max: LIMITS.metadataMaxKeys } });
  }
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > LIMITS.metadataMaxBytes) {
    throw new GatehouseError('metadata_too_large', { params: { field, max: LIMITS.metadataMaxBytes } });
  }
  return value;
}

export function applyMetadataUpdate(current: Metadata, update: unknown, field: string): Metadata {
  if (update === undefined) return current;
  if (!isPlainObject(update)) throw new GatehouseError('metadata_invalid_format', { params: { field } });
  const merged: Metadata = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return checkMetadata(merged, field);
}
