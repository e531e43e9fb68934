// The default roles and built-in resources of each kind of policy.
// Consumer: `stytch_user`, held by every user. B2B: `stytch_member`, held by every member, and
// `stytch_admin`; the `stytch.*` resources whose actions gate the organization and member APIs when
// a call carries a member session.
import type { Policy, PolicyRules, Resource } from '@gatehouse/policy';

export type PolicyKind = 'consumer' | 'b2b';

export const STYTCH_USER = 'stytch_user';
export const STYTCH_MEMBER = 'stytch_member';
export const STYTCH_ADMIN = 'stytch_admin';

/** The built-in B2B resources, with the action names of Stytch's current API. They cannot be changed. */
export const B2B_BUILT_IN_RESOURCES: readonly Resource[] = [
  {
    resource_id: 'stytch.organization',
    description: 'The member\'s own organization.',
    actions: [
      'update.info.name',
      'update.info.slug',
      'update.info.logo-url',
      'update.settings.default-sso-connection',
      'update.settings.sso-jit-provisioning',
      'update.settings.allowed-domains',
      'update.settings.email-jit-provisioning',
      'update.settings.email-invites',
      'update.settings.allowed-auth-methods',
      'update.settings.mfa-policy',
      'update.settings.implicit-roles',
      'update.settings.allowed-mfa-methods',
      'update.settings.oauth-tenant-jit-provisioning',
      'update.settings.allowed-oauth-tenants',
      'delete',
    ],
  },
  {
    resource_id: 'stytch.member',
    description: 'Every member of the member\'s organization.',
    actions: [
      'create',
      'update.info.name',
      'update.info.untrusted-metadata',
      'update.info.mfa-phone',
      'update.info.email',
      'update.info.delete.mfa-phone',
      'update.info.delete.password',
      'update.settings.is-breakglass',
      'update.settings.mfa-enrolled',
      'update.settings.roles',
      'update.settings.default-mfa-method',
      'search',
      'delete',
    ],
  },
  {
    resource_id: 'stytch.sso',
    description: 'The organization\'s SSO connections.',
    actions: ['create', 'get', 'update', 'delete'],
  },
  {
    resource_id: 'stytch.scim',
    description: 'The organization\'s SCIM connections.',
    actions: ['create', 'get', 'update', 'delete', 'rotate'],
  },
  {
    resource_id: 'stytch.self',
    description: 'The member\'s own member record.',
    actions: [
      'update.info.name',
      'update.info.untrusted-metadata',
      'update.info.mfa-phone',
      'update.info.delete.mfa-phone',
      'update.info.delete.password',
      'update.settings.mfa-enrolled',
      'update.settings.default-mfa-method',
      'delete',
    ],
  },
];

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
