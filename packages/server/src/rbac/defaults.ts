// The default roles and rules of each kind of policy. Consumer: `stytch_user`, held by every user.
import type { Policy, PolicyRules } from '@gatehouse/policy';

export type PolicyKind = 'consumer' | 'b2b';

export const STYTCH_USER = 'stytch_user';

export const POLICY_RULES: Record<PolicyKind, PolicyRules> = {
  consumer: { defaultRoleIds: [STYTCH_USER] },
  // Filled in with stytch_member, stytch_admin and the stytch.* resources by the B2B feature.
  b2b: {},
};

/** Roles every principal of this kind holds without an assignment. */
export const IMPLICIT_ROLES: Record<PolicyKind, readonly string[]> = {
  consumer: [STYTCH_USER],
  b2b: [],
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
