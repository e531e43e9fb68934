// Ids carry their kind and environment, as Stytch's do: `user-test-<uuid>`, `email-live-<uuid>`.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Environment } from './config.ts';

export type IdKind = 'project' | 'user' | 'email' | 'phone-number' | 'secret-id' | 'request-id' | 'organization' | 'member' | 'member-password' | 'audit-event' | 'totp' | 'member-totp' | 'm2m-client';

export function newId(kind: IdKind, environment: Environment): string {
  return `${kind}-${environment}-${randomUUID()}`;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${kind}-(test|live)-${UUID}$`).test(value);
}

export function newPublicToken(environment: Environment): string {
  return `public-token-${environment}-${randomUUID()}`;
}

export function isPublicToken(value: string): boolean {
  return new RegExp(`^public-token-(test|live)-${UUID}$`).test(value);
}

/** A project secret: 256 random bits. Shown once; only its SHA-256 is stored. */
export function newSecret(environment: Environment): string {
  return `secret-${environment}-${randomBytes(32).toString('base64url')}`;
}
