// A policy's scopes (Stytch's RBAC `scopes`: each names permissions, as a role does) compiled for the
// same check that answers for roles: isAuthorized(compileScopes(policy), token scopes, resource,
// action) says whether an M2M token's scopes allow the action. Each scope is a "role" of the
// compiled table, so granting_roles names the granting scopes. A scope the policy does not list
// grants nothing, as an unknown role does.
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import type { Policy, PolicyRules } from './types.ts';

export function compileScopes(policy: Policy, rules: PolicyRules = {}): CompiledPolicy {
  const roles = policy.scopes.map((scope) => ({ role_id: scope.scope, description: scope.description, permissions: scope.permissions }));
  return compilePolicy({ resources: policy.resources, roles, scopes: [] }, rules);
}

/** The scopes of an access token's `scope` claim (space-separated), without empties. */
export function parseScopeClaim(claim: unknown): string[] {
  return typeof claim === 'string' ? claim.split(' ').filter((scope) => scope !== '') : [];
}
