// The two kinds of policy, the roles every policy of a kind has, and the rules validation and
// compilation follow for each. Here, beside the engine, so the server, the SDKs and the dashboard
// read one definition.
import { B2B_BUILT_IN_RESOURCES } from './built-ins.ts';
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import type { Policy, PolicyRules, Role } from './types.ts';

/** Consumer policies authorize users; B2B policies authorize members of organizations. */
export type PolicyKind = 'consumer' | 'b2b';

export const POLICY_KINDS: readonly PolicyKind[] = ['consumer', 'b2b'];

/** Held by every user. */
export const STYTCH_USER = 'stytch_user';
/** Held by every member. */
export const STYTCH_MEMBER = 'stytch_member';
/** Administers an organization: its settings, members and SSO and SCIM connections. */
export const STYTCH_ADMIN = 'stytch_admin';

/** Roles every policy of the kind has: they cannot be deleted (their permissions can be edited). */
export const DEFAULT_ROLE_IDS: Readonly<Record<PolicyKind, readonly string[]>> = {
  consumer: [STYTCH_USER],
  b2b: [STYTCH_MEMBER, STYTCH_ADMIN],
};

/** Roles every user or member holds without an assignment; they cannot be assigned or revoked. */
export const IMPLICIT_ROLE_IDS: Readonly<Record<PolicyKind, readonly string[]>> = {
  consumer: [STYTCH_USER],
  b2b: [STYTCH_MEMBER],
};

/** What validatePolicy, parsePolicy and compilePolicy are given for a policy of each kind. */
export const POLICY_RULES: Readonly<Record<PolicyKind, PolicyRules>> = {
  consumer: { defaultRoleIds: DEFAULT_ROLE_IDS.consumer },
  b2b: { defaultRoleIds: DEFAULT_ROLE_IDS.b2b, builtInResources: B2B_BUILT_IN_RESOURCES },
};

/**
 * A policy compiled together with an organization's custom roles (B2B: roles an organization defines
 * for itself on the project's resources), listed after the policy's own. The server passes its
 * kind's rules; a client compiles a served policy, which already lists the built-in resources, as
 * it was served.
 */
export function compileWithCustomRoles(policy: Policy, customRoles: readonly Role[] = [], rules: PolicyRules = {}): CompiledPolicy {
  return compilePolicy(customRoles.length === 0 ? policy : { ...policy, roles: [...policy.roles, ...customRoles] }, rules);
}
