// Checks of the fields users, members and organizations share: email addresses, phone numbers,
// external ids and explicit role lists — one rule each, with Stytch's error types.
import { LIMITS } from './config.ts';
import { GatehouseError } from './errors.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[1-9]\d{6,14}$/;
const EXTERNAL_ID = /^[A-Za-z0-9._|-]+$/;

/** The address trimmed, as given otherwise (callers lower-case it where they compare). */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) throw new GatehouseError('invalid_email', { message: `"${email}" is not a valid email address.` });
  return trimmed;
}

/** An E.164 phone number. */
export function checkPhone(phone: string): string {
  if (!PHONE.test(phone)) throw new GatehouseError('invalid_phone_number');
  return phone;
}

export function checkExternalId(externalId: string): string {
  if (externalId.length > LIMITS.externalIdMaxLength || !EXTERNAL_ID.test(externalId)) throw new GatehouseError('invalid_external_id');
  return externalId;
}

/** Explicit roles without repeats, sorted; at most LIMITS.rolesPerUser of them. */
export function checkRoles(roles: string[], holder: 'user' | 'member'): string[] {
  const unique = [...new Set(roles)];
  if (unique.length > LIMITS.rolesPerUser) {
    throw new GatehouseError('too_many_roles', { message: `A ${holder} may hold at most ${LIMITS.rolesPerUser} explicit roles.` });
  }
  return unique.sort();
}
