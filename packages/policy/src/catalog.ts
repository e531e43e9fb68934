// The resources a policy can grant permissions on: its own resources merged with the built-in ones.
import type { Permission, Policy, PolicyRules } from './types.ts';

/**
 * Declared actions of every resource, keyed by resource id: the policy's resources in policy order
 * (the first of duplicated ids wins), then the built-in resources the policy does not list. A
 * built-in resource always keeps its built-in actions, even when the policy lists it differently.
 */
export function declaredActions(policy: Policy, rules: PolicyRules = {}): Map<string, ReadonlySet<string>> {
  const catalog = new Map<string, ReadonlySet<string>>();
  for (const resource of policy.resources) {
    if (!catalog.has(resource.resource_id)) catalog.set(resource.resource_id, new Set(resource.actions));
  }
  for (const builtIn of rules.builtInResources ?? []) {
    catalog.set(builtIn.resource_id, new Set(builtIn.actions));
  }
  return catalog;
}

/** Resource id → the actions a list of permissions names on it (repeats of a resource merged). */
export function grantedActions(permissions: readonly Permission[]): Map<string, Set<string>> {
  const grants = new Map<string, Set<string>>();
  for (const permission of permissions) {
    let actions = grants.get(permission.resource_id);
    if (actions === undefined) grants.set(permission.resource_id, (actions = new Set()));
    for (const action of permission.actions) actions.add(action);
  }
  return grants;
}

/** Whether two lists hold the same values, ignoring order and repeats. */
export function sameMembers(a: Iterable<string>, b: Iterable<string>): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((value) => setB.has(value));
}
