// A member's roles and where each comes from. Only explicit assignments are stored; stytch_member
// and the implicit roles (the organization's email-domain rules; SSO connections later) are worked
// out from the member and its organization each time, so a changed rule or email shows at the next
// authentication without a write to the member.
import { STYTCH_ADMIN, STYTCH_MEMBER } from '../rbac/defaults.ts';
import type { EmailRoleRule } from '../organizations/service.ts';

export type RoleSource =
  | { type: 'direct_assignment'; details: Record<string, never> }
  | { type: 'email_assignment'; details: { email_domain: string } };

export interface MemberRole {
  role_id: string;
  sources: RoleSource[];
}

export interface RoleInputs {
  explicit_roles: readonly string[];
  email_domain: string;
}

/** Every role the member holds, with its sources: stytch_member, then explicit, then implicit roles. */
export function memberRoles(member: RoleInputs, rules: readonly EmailRoleRule[]): MemberRole[] {
  const roles = new Map<string, MemberRole>();
  const add = (role_id: string, source: RoleSource) => {
    const role = roles.get(role_id);
    if (role) role.sources.push(source);
    else roles.set(role_id, { role_id, sources: [source] });
  };
  add(STYTCH_MEMBER, { type: 'direct_assignment', details: {} });
  for (const role of member.explicit_roles) add(role, { type: 'direct_assignment', details: {} });
  for (const rule of rules) {
    if (rule.domain === member.email_domain) add(rule.role_id, { type: 'email_assignment', details: { email_domain: rule.domain } });
  }
  return [...roles.values()];
}

export function roleIds(roles: readonly MemberRole[]): string[] {
  return roles.map((role) => role.role_id);
}

export function isAdmin(roles: readonly MemberRole[]): boolean {
  return roles.some((role) => role.role_id === STYTCH_ADMIN);
}
