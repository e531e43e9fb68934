// Checks of the fields users, members and organizations share: email addresses, phone numbers,
// external ids, explicit role lists, role id characters and URLs shown in pages — one rule each,
// with Stytch's error types.
import { describeNonIdCharacter, hasIdCharacters } from '@gatehouse/policy';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { LIMITS } from './config.ts';
import { GatehouseError } from './errors.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[1-9]\d{6,14}$/;
const EXTERNAL_ID = /^[A-Za-z0-9._|-]+$/;

/** The address trimmed, as given otherwise (callers lower-case it where they compare). */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) throw new GatehouseError('invalid_email', { params: { email } });
  return trimmed;
}

/**
 * An E.164 phone number (+, country code, number, nothing else) that libphonenumber-js's metadata
 * says is a valid number of its country (the right length and prefixes; fictional ranges such as
 * +1 555 01xx or the UK's +44 7700 900xxx are refused).
 */
export function checkPhone(phone: string): string {
  const parsed = PHONE.test(phone) ? parsePhoneNumberFromString(phone) : undefined;
  if (!parsed?.isValid() || parsed.number !== phone) throw new GatehouseError('invalid_phone_number');
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
    throw new GatehouseError('too_many_roles', { params: { holder, max: LIMITS.rolesPerUser } });
  }
  return unique.sort();
}

/**
 * Role ids given outside a policy (roles, email-domain and SSO role rules) have the policy's id
 * characters: a look-alike (`ѕtytch_admin`, Cyrillic ѕ) is refused for what it is, not as unknown.
 */
export function checkRoleIdCharacters(roleIds: readonly string[]): void {
  const bad = roleIds.find((roleId) => !hasIdCharacters(roleId));
  if (bad === undefined) return;
  const offending = describeNonIdCharacter(bad);
  const named = offending === undefined ? 'is empty' : `contains ${offending}`;
  throw new GatehouseError('invalid_role_id_characters', { params: { role_id: JSON.stringify(bad.slice(0, 64)), problem: named } });
}

/**
 * A URL a page will show or link to (a logo): absolute, http or https, as the WHATWG URL parser
 * reads it — so `javascript:`, `data:` and relative URLs never reach an href or src. '' clears it.
 */
export function checkPageUrl(value: string, field: 'organization_logo_url'): string {
  if (value === '') return value;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // refused below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || value !== value.trim()) {
    throw new GatehouseError('invalid_organization_logo_url', { params: { field } });
  }
  return value;
}
