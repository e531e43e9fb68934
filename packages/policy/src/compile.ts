// Turns a policy into lookup tables, so that a check is two map lookups and one set lookup per role.
import { declaredActions } from './catalog.ts';
import { WILDCARD_ACTION, type Policy, type PolicyRules } from './types.ts';

declare const compiled: unique symbol;

/**
 * A policy prepared for isAuthorized and listPermissions. Only compilePolicy makes one; treat it as
 * opaque and immutable, and compile again whenever the policy changes.
 */
export interface CompiledPolicy {
  readonly [compiled]: true;
  /** Declared actions of every resource: the policy's, then the built-in resources it omits. */
  readonly actions: ReadonlyMap<string, ReadonlySet<string>>;
  /** resource id → declared action → the roles granting it; `*` is expanded to the declared actions. */
  readonly grants: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>;
}

/**
 * Compiles a valid policy (see validatePolicy) with the built-in resources of `rules` merged in.
 * Permissions naming an undeclared resource or action grant nothing; `*` grants every action the
 * resource declares at compile time, so a recompiled policy covers actions added since.
 */
export function compilePolicy(policy: Policy, rules: PolicyRules = {}): CompiledPolicy {
  const actions = declaredActions(policy, rules);
  const grants = new Map<string, Map<string, Set<string>>>();
  for (const role of policy.roles) {
    for (const permission of role.permissions) {
      const declared = actions.get(permission.resource_id);
      if (declared === undefined) continue;
      const granted = permission.actions.includes(WILDCARD_ACTION) ? declared : permission.actions;
      let byAction = grants.get(permission.resource_id);
      if (byAction === undefined) grants.set(permission.resource_id, (byAction = new Map()));
      for (const action of granted) {
        if (!declared.has(action)) continue;
        let roles = byAction.get(action);
        if (roles === undefined) byAction.set(action, (roles = new Set()));
        roles.add(role.role_id);
      }
    }
  }
  return { actions, grants } as unknown as CompiledPolicy;
}
