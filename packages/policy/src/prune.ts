// Drops permissions that point at resources or actions the policy no longer declares.
import { declaredActions } from './catalog.ts';
import type { PolicyChange } from './diff.ts';
import { WILDCARD_ACTION, type Permission, type Policy, type PolicyRules } from './types.ts';

/**
 * A copy of `policy` without the permission actions that name an undeclared resource or action
 * (built-in resources count as declared; `*` stays while its resource exists); permissions left
 * without actions are dropped. `removed` lists what went: `permission_revoked` for roles,
 * `scope_changed` for scopes — the same changes diffPolicies(policy, result) reports for them.
 * The server runs this after deleting a resource or an action ("cascade").
 */
export function pruneDanglingPermissions(
  policy: Policy,
  rules: PolicyRules = {},
): { policy: Policy; removed: PolicyChange[] } {
  const catalog = declaredActions(policy, rules);
  const removed: PolicyChange[] = [];

  /** The permissions still valid, calling `drop` for each action removed. */
  const prune = (permissions: readonly Permission[], drop: (resourceId: string, action: string) => void): Permission[] => {
    const kept: Permission[] = [];
    for (const { resource_id: resourceId, actions } of permissions) {
      const declared = catalog.get(resourceId);
      const valid = actions.filter((action) => declared !== undefined && (action === WILDCARD_ACTION || declared.has(action)));
      for (const action of actions) if (!valid.includes(action)) drop(resourceId, action);
      if (valid.length > 0) kept.push({ resource_id: resourceId, actions: valid });
    }
    return kept;
  };

  const roles = policy.roles.map((role) => ({
    ...role,
    permissions: prune(role.permissions, (resourceId, action) =>
      removed.push({ type: 'permission_revoked', role_id: role.role_id, resource_id: resourceId, action }),
    ),
  }));
  const scopes = policy.scopes.map((scope) => {
    let changed = false;
    const pruned = { ...scope, permissions: prune(scope.permissions, () => (changed = true)) };
    if (changed) removed.push({ type: 'scope_changed', before: scope, after: pruned });
    return pruned;
  });
  const resources = policy.resources.map((resource) => ({ ...resource, actions: [...resource.actions] }));
  return { policy: { resources, roles, scopes }, removed };
}
