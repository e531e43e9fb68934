// The policy each kind starts with (the role ids and rules themselves are @gatehouse/policy's).
// Consumer: `stytch_user`, held by every user. B2B: `stytch_member`, held by every member, and
// `stytch_admin`; the `stytch.*` resources whose actions gate the organization and member APIs when
// a call carries a member session.
import { B2B_BUILT_IN_RESOURCES, POLICY_RULES, STYTCH_ADMIN, STYTCH_MEMBER, STYTCH_USER, type Policy, type PolicyKind } from '@gatehouse/policy';

export { B2B_BUILT_IN_RESOURCES };

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
