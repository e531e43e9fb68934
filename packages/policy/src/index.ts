// @gatehouse/policy: the RBAC engine shared by the server, the SDKs and the dashboard.
export * from './types.ts';
export { B2B_BUILT_IN_RESOURCES } from './built-ins.ts';
export { parsePolicy, type PolicyParseResult } from './parse.ts';
export { validatePolicy, describeNonIdCharacter, hasIdCharacters, ID_PATTERN, MAX_DESCRIPTION_LENGTH, MAX_ID_LENGTH, POLICY_ISSUE_CODES, type PolicyIssueCode } from './validate.ts';
export { compilePolicy, type CompiledPolicy } from './compile.ts';
export {
  compileWithCustomRoles,
  DEFAULT_ROLE_IDS,
  IMPLICIT_ROLE_IDS,
  POLICY_KINDS,
  POLICY_RULES,
  STYTCH_ADMIN,
  STYTCH_MEMBER,
  STYTCH_USER,
  type PolicyKind,
} from './kinds.ts';
export { resolveRoles, type ResolvedRoles } from './resolve.ts';
export { compileScopes, parseScopeClaim } from './scopes.ts';
export { isAuthorized, listPermissions } from './check.ts';
export {
  diffPolicies,
  describePolicyChange,
  groupPolicyChanges,
  type PolicyChange,
  type PolicyChangeType,
  type PolicyDiff,
  type ResourceDiff,
  type RoleDiff,
} from './diff.ts';
export { permissionDelta, rolePermissionChanges, isEmptyDelta, type PermissionDelta, type RolePermissionChange } from './impact.ts';
export { pruneDanglingPermissions } from './prune.ts';
