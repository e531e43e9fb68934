// What holders of roles gain and lose when one policy replaces another: effective permissions as
// the check answers them (a `*` covers the actions declared at the time; a removed resource or
// role grants nothing), not permissions as written — that is diffPolicies' job.
import { listPermissions } from './check.ts';
import type { CompiledPolicy } from './compile.ts';
import type { Permission } from './types.ts';

export interface PermissionDelta {
  /** Allowed after and not before, by resource. */
  gained: Permission[];
  /** Allowed before and not after, by resource. */
  lost: Permission[];
}

export interface RolePermissionChange extends PermissionDelta {
  role_id: string;
}

type Allowed = Record<string, Record<string, boolean>>;

/** The pairs `a` allows and `b` does not, grouped by resource in a's order. */
function allowedOnlyIn(a: Allowed, b: Allowed): Permission[] {
  const only: Permission[] = [];
  for (const [resourceId, actions] of Object.entries(a)) {
    const other = Object.hasOwn(b, resourceId) ? b[resourceId]! : {};
    const missing = Object.keys(actions).filter((action) => actions[action] && !(Object.hasOwn(other, action) && other[action]));
    if (missing.length > 0) only.push({ resource_id: resourceId, actions: missing });
  }
  return only;
}

/**
 * What someone holding `roles` may do under `after` and not under `before` (gained), and the
 * reverse (lost). Empty lists when nothing changes for them.
 */
export function permissionDelta(before: CompiledPolicy, after: CompiledPolicy, roles: readonly string[]): PermissionDelta {
  const was = listPermissions(before, roles);
  const is = listPermissions(after, roles);
  return { gained: allowedOnlyIn(is, was), lost: allowedOnlyIn(was, is) };
}

export function isEmptyDelta(delta: PermissionDelta): boolean {
  return delta.gained.length === 0 && delta.lost.length === 0;
}

/**
 * Every role of either policy whose holders gain or lose a permission: the roles of `before` in
 * their order, then those new in `after`. A removed role loses all it granted; an added one gains
 * all it grants; a role whose `*` now covers a new action gains that action.
 */
export function rolePermissionChanges(before: CompiledPolicy, after: CompiledPolicy): RolePermissionChange[] {
  const roleIds = new Set([...before.roleNumbers.keys(), ...after.roleNumbers.keys()]);
  const changes: RolePermissionChange[] = [];
  for (const roleId of roleIds) {
    const delta = permissionDelta(before, after, [roleId]);
    if (!isEmptyDelta(delta)) changes.push({ role_id: roleId, ...delta });
  }
  return changes;
}
