// A member's roles and where each comes from. Only explicit assignments are stored; stytch_member
// and the implicit roles — the organization's email-domain rules, and its SSO connections' rules for
// everyone signing in through them and for IdP groups, and its SCIM connection's rules for the groups
// the IdP provisions — are worked out from the member and its
// organization each time, so a changed rule, email or group shows at the next authentication
// without a write to the member. An email-domain rule counts only for a verified address: an address
// nobody has proven is a claim, and a claim grants nothing (docs/security/verified-identities.md).
import { STYTCH_ADMIN, STYTCH_MEMBER } from '@gatehouse/policy';

export type RoleSource =
  | { type: 'direct_assignment'; details: Record<string, never> }
  | { type: 'email_assignment'; details: { email_domain: string } }
  | { type: 'sso_connection'; details: { connection_id: string } }
  | { type: 'sso_connection_group'; details: { connection_id: string; group: string } }
  | { type: 'scim_connection_group'; details: { connection_id: string; group_id: string } };

export interface MemberRole {
  role_id: string;
  sources: RoleSource[];
}

export interface SsoRegistration {
  registration_id: string;
  connection_id: string;
  external_id: string;
  groups: string[];
}

/** A member's place in a group its organization's SCIM connection provisions (scim/). */
export interface ScimGroupMembership {
  connection_id: string;
  group_id: string;
}

/** The scim_group_implicit_role_assignments of the organization's SCIM connection. */
export interface ScimConnectionRoleRules {
  connection_id: string;
  group_role_rules: readonly { role_id: string; group_id: string }[];
}

/** The role rules of one SSO connection of the organization. */
export interface ConnectionRoleRules {
  connection_id: string;
  connection_role_rules: { role_id: string }[];
  group_role_rules: { role_id: string; group: string }[];
}

export interface RoleInputs {
  explicit_roles: readonly string[];
  email_domain: string;
  /** Whether the member proved the address (a link to it followed, an IdP's assertion). */
  email_address_verified: boolean;
  sso_registrations: readonly SsoRegistration[];
  /** The SCIM groups the member is in (absent: none). */
  scim_groups?: readonly ScimGroupMembership[];
}

export interface OrganizationRoleRules {
  email_role_rules: readonly { domain: string; role_id: string }[];
  sso_connections: readonly ConnectionRoleRules[];
  /** The organization's SCIM connection's group rules (absent: none). */
  scim_connections?: readonly ScimConnectionRoleRules[];
}

/**
 * Every role the member holds, with its sources: stytch_member, explicit roles, then the roles of
 * email-domain rules and of SSO connections the member is registered with (by connection, then by
 * the groups of its latest sign-in).
 */
export function memberRoles(member: RoleInputs, organization: OrganizationRoleRules): MemberRole[] {
  const roles = new Map<string, MemberRole>();
  const add = (role_id: string, source: RoleSource) => {
    const role = roles.get(role_id);
    if (role) role.sources.push(source);
    else roles.set(role_id, { role_id, sources: [source] });
  };
  add(STYTCH_MEMBER, { type: 'direct_assignment', details: {} });
  for (const role of member.explicit_roles) add(role, { type: 'direct_assignment', details: {} });
  if (member.email_address_verified) {
    for (const rule of organization.email_role_rules) {
      if (rule.domain === member.email_domain) add(rule.role_id, { type: 'email_assignment', details: { email_domain: rule.domain } });
    }
  }
  for (const registration of member.sso_registrations) {
    const connection = organization.sso_connections.find((c) => c.connection_id === registration.connection_id);
    if (!connection) continue;
    const { connection_id } = connection;
    for (const rule of connection.connection_role_rules) add(rule.role_id, { type: 'sso_connection', details: { connection_id } });
    for (const rule of connection.group_role_rules) {
      if (registration.groups.includes(rule.group)) add(rule.role_id, { type: 'sso_connection_group', details: { connection_id, group: rule.group } });
    }
  }
  // SCIM groups: the IdP provisioned the member into the group, so the role holds whatever the
  // session's factors (Stytch's scim_connection_group), until the IdP removes it from the group.
  for (const membership of member.scim_groups ?? []) {
    const connection = organization.scim_connections?.find((c) => c.connection_id === membership.connection_id);
    for (const rule of connection?.group_role_rules ?? []) {
      if (rule.group_id === membership.group_id) {
        add(rule.role_id, { type: 'scim_connection_group', details: { connection_id: membership.connection_id, group_id: rule.group_id } });
      }
    }
  }
  return [...roles.values()];
}

export function roleIds(roles: readonly MemberRole[]): string[] {
  return roles.map((role) => role.role_id);
}

/**
 * The roles a session carries: a role that comes only from SSO connections counts while the session
 * holds an authentication factor from one of those connections — a password session of the same
 * member does not get it.
 */
export function sessionRoleIds(roles: readonly MemberRole[], sessionConnectionIds: ReadonlySet<string>): string[] {
  return roles
    .filter((role) =>
      role.sources.some((source) =>
        source.type === 'sso_connection' || source.type === 'sso_connection_group' ? sessionConnectionIds.has(source.details.connection_id) : true,
      ),
    )
    .map((role) => role.role_id);
}

export function isAdmin(roles: readonly MemberRole[]): boolean {
  return roles.some((role) => role.role_id === STYTCH_ADMIN);
}
