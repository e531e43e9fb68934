// Policy shapes as Stytch's RBAC API returns them (GET /v1/rbac/policy), so a policy exported from
// Stytch is a valid Gatehouse policy as it is.

/** The action that grants every action of a resource, including actions added later. */
export const WILDCARD_ACTION = '*';

export interface Resource {
  resource_id: string;
  description: string;
  actions: string[];
}

export interface Permission {
  resource_id: string;
  actions: string[];
}

export interface Role {
  role_id: string;
  description: string;
  permissions: Permission[];
}

export interface Scope {
  scope: string;
  description: string;
  permissions: Permission[];
}

export interface Policy {
  resources: Resource[];
  roles: Role[];
  scopes: Scope[];
}

/** Rules that differ between consumer and B2B policies. */
export interface PolicyRules {
  /** Roles that must exist in every policy (e.g. `stytch_user`); their permissions may be edited. */
  defaultRoleIds?: readonly string[];
  /**
   * Resources that are part of every policy and cannot be changed (B2B `stytch.*`). They may be
   * omitted from the policy being validated; permissions may still name them.
   */
  builtInResources?: readonly Resource[];
}

/** One problem found by validatePolicy. `code` is a stable Stytch-style error_type. */
export interface PolicyIssue {
  code: string;
  message: string;
  /** Where in the policy, e.g. `roles[2].permissions[0].actions[1]`. */
  path: string;
}

export type PolicyValidation = { valid: true; issues: [] } | { valid: false; issues: PolicyIssue[] };

export interface AuthorizationVerdict {
  authorized: boolean;
  /** Every role (in the order the caller listed them, without repeats) that grants the action. */
  granting_roles: string[];
}
