// The members API's response shapes.
import { formatTimestamp } from '../shared/clock.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import { toWireOrganization } from '../organizations/wire.ts';
import { isAdmin } from './roles.ts';
import type { MemberRecord, MemberService, ScimRegistration } from './service.ts';

const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user';
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase() === ENTERPRISE_USER ? 'enterprise_extension' : snake(key), snakeKeys(inner)]));
}

/** Stytch's SCIMRegistration: the attributes the IdP sent, in Stytch's snake_case (SCIMAttributes). */
function toWireScimRegistration(registration: ScimRegistration, memberId: string) {
  return {
    connection_id: registration.connection_id,
    registration_id: registration.registration_id,
    external_id: registration.external_id ?? '',
    scim_attributes: {
      ...(snakeKeys(registration.attributes) as object),
      user_name: registration.user_name, id: memberId, external_id: registration.external_id ?? '', active: registration.active,
    },
  };
}

/** The Member object as Stytch's API returns it. */
export function toWireMember(record: MemberRecord, organization: OrganizationRecord, members: MemberService) {
  const roles = members.roles(record, organization);
  const locked = members.isLocked(record);
  return {
    organization_id: record.organization_id,
    member_id: record.member_id,
    email_address: record.email_address,
    status: record.status,
    name: record.name,
    sso_registrations: [],
    is_breakglass: record.is_breakglass,
    member_password_id: record.password?.password_id ?? '',
    oauth_registrations: [],
    email_address_verified: record.email_address_verified,
    mfa_phone_number_verified: record.mfa_phone_number_verified,
    is_admin: isAdmin(roles),
    totp_registration_id: record.totp_registration_id,
    retired_email_addresses: [],
    is_locked: locked,
    mfa_enrolled: record.mfa_enrolled,
    mfa_phone_number: record.mfa_phone_number,
    default_mfa_method: record.default_mfa_method,
    roles,
    trusted_metadata: record.trusted_metadata,
    untrusted_metadata: record.untrusted_metadata,
    created_at: formatTimestamp(record.created_at),
    updated_at: formatTimestamp(record.updated_at),
    scim_registration: record.scim_registration ? toWireScimRegistration(record.scim_registration, record.member_id) : null,
    external_id: record.external_id,
    lock_created_at: locked && record.lock_created_at ? formatTimestamp(record.lock_created_at) : null,
    lock_expires_at: locked && record.lock_expires_at ? formatTimestamp(record.lock_expires_at) : null,
  };
}

/** `member_id`, `member` and `organization`: what B2B calls about one member answer. */
export function memberResponse(member: MemberRecord, organization: OrganizationRecord, members: MemberService) {
  return { member_id: member.member_id, member: toWireMember(member, organization, members), organization: toWireOrganization(organization) };
}
