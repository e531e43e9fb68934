// The default roles and built-in resources of each kind of policy.
// Consumer: `stytch_user`, held by every user. B2B: `stytch_member`, held by every member, and
// `stytch_admin`; the `stytch.*` resources whose actions gate the organization and member APIs when
// a call carries a member session.
import { B2B_BUILT_IN_RESOURCES, type Policy, type PolicyRules } from '@gatehouse/policy';

export { B2B_BUILT_IN_RESOURCES };

export type PolicyKind = 'consumer' | 'b2b';

export const STYTCH_USER = 'stytch_user';
export const STYTCH_MEMBER = 'stytch_member';
export const STYTCH_ADMIN = 'stytch_admin';


export const POLICY_RULES: Record<PolicyKind, PolicyRules> = {
  consumer: { defaultRoleIds: [STYTCH_USER] },
  b2b: { defaultRoleIds: [STYTCH_MEMBER, STYTCH_ADMIN], builtInResources: B2B_BUILT_IN_RESOURCES },
};

/** Roles every principal of this kind holds without an assignment (and that cannot be assigned). */
export const IMPLICIT_ROLES: Record<PolicyKind, readonly string[]> = {
  consumer: [STYTCH_USER],
  b2b: [STYTCH_MEMBER],
};

export const DEFAULT_CONSUMER_POLICY: Policy = {
  resources: [],
  roles: [
    {
      role_id: STYTCH_USER,
      description: 'Granted to every user. Its permissions can be edited; it cannot be deleted or assigned.',
      permissions: [],
    },
  ],
  scopes: [],
};

const ADMINISTERED = ['stytch.organization', 'stytch.member', 'stytch.sso', 'stytch.scim'];

export const DEFAULT_B2B_POLICY: Policy = {
  resources: B2B_BUILT_IN_RESOURCES.map((resource) => ({ ...resource, actions: [...resource.actions] })),
  roles: [
    {
      role_id: STYTCH_MEMBER,
      description: 'Granted to every member. Its permissions can be edited; it cannot be deleted or assigned.',
      permissions: [{ resource_id: 'stytch.self', actions: ['*'] }],
    },
    {
      role_id: STYTCH_ADMIN,
      description: 'Administers the organization: its settings, members and SSO and SCIM connections.',
      permissions: ADMINISTERED.map((resource_id) => ({ resource_id, actions: ['*'] })),
    },
  ],
  scopes: [],
};

export const DEFAULT_POLICIES: Record<PolicyKind, Policy> = { consumer: DEFAULT_CONSUMER_POLICY, b2b: DEFAULT_B2B_POLICY };

/** The policy as stored and served: B2B policies always list the built-in resources, first. */
export function withBuiltInResources(kind: PolicyKind, policy: Policy): Policy {
  const builtIns = POLICY_RULES[kind].builtInResources ?? [];
  if (builtIns.length === 0) return policy;
  const ids = new Set(builtIns.map((resource) => resource.resource_id));
  return {
    ...policy,
    resources: [...builtIns.map((resource) => ({ ...resource, actions: [...resource.actions] })), ...policy.resources.filter((r) => !ids.has(r.resource_id))],
  };
}
