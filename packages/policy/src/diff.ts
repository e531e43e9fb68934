// What changed between two policies, as a list of small typed changes.
import { grantedActions, sameMembers } from './catalog.ts';
import type { Permission, Policy, Resource, Role, Scope } from './types.ts';

export type PolicyChange =
  | { type: 'resource_added'; resource: Resource }
  | { type: 'resource_removed'; resource: Resource }
  | { type: 'resource_description_changed'; resource_id: string; before: string; after: string }
  | { type: 'action_added'; resource_id: string; action: string }
  | { type: 'action_removed'; resource_id: string; action: string }
  | { type: 'role_added'; role: Role }
  | { type: 'role_removed'; role: Role }
  | { type: 'role_description_changed'; role_id: string; before: string; after: string }
  /** `action` may be `*`. Only for roles present in both policies (see role_added/role_removed). */
  | { type: 'permission_granted'; role_id: string; resource_id: string; action: string }
  | { type: 'permission_revoked'; role_id: string; resource_id: string; action: string }
  | { type: 'scope_added'; scope: Scope }
  | { type: 'scope_removed'; scope: Scope }
  /** The description or the permissions (compared as sets of resource/action pairs) changed. */
  | { type: 'scope_changed'; before: Scope; after: Scope };

export type PolicyChangeType = PolicyChange['type'];

/** Items by id; the first of repeated ids wins. */
function byId<T>(items: readonly T[], id: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) if (!map.has(id(item))) map.set(id(item), item);
  return map;
}

/**
 * Walks two lists by id: `kept` for each id of `before` still in `after` and `removed` for the
 * others, in the order of `before`; then `added` for the ids new in `after`, in its order.
 */
function matchById<T>(
  before: readonly T[],
  after: readonly T[],
  id: (item: T) => string,
  on: { removed: (old: T) => void; kept: (old: T, now: T) => void; added: (now: T) => void },
): void {
  const beforeById = byId(before, id);
  const afterById = byId(after, id);
  for (const [key, old] of beforeById) {
    const now = afterById.get(key);
    if (now === undefined) on.removed(old);
    else on.kept(old, now);
  }
  for (const [key, now] of afterById) if (!beforeById.has(key)) on.added(now);
}

/** Pairs (resource, action) named in `from` but not in `than`, in the order of `from`. */
function* missingGrants(
  from: readonly Permission[],
  than: ReadonlyMap<string, ReadonlySet<string>>,
): Generator<[resourceId: string, action: string]> {
  for (const [resourceId, actions] of grantedActions(from)) {
    for (const action of actions) if (!than.get(resourceId)?.has(action)) yield [resourceId, action];
  }
}

function sameGrants(a: readonly Permission[], b: readonly Permission[]): boolean {
  const grantsA = grantedActions(a);
  const grantsB = grantedActions(b);
  return (
    sameMembers(grantsA.keys(), grantsB.keys()) &&
    [...grantsA].every(([resourceId, actions]) => sameMembers(actions, grantsB.get(resourceId) ?? []))
  );
}

function diffResources(before: readonly Resource[], after: readonly Resource[], changes: PolicyChange[]): void {
  matchById(before, after, (resource) => resource.resource_id, {
    removed: (resource) => changes.push({ type: 'resource_removed', resource }),
    added: (resource) => changes.push({ type: 'resource_added', resource }),
    kept: (old, now) => {
      const resourceId = old.resource_id;
      if (old.description !== now.description) {
        changes.push({ type: 'resource_description_changed', resource_id: resourceId, before: old.description, after: now.description });
      }
      const oldActions = new Set(old.actions);
      const newActions = new Set(now.actions);
      for (const action of oldActions) {
        if (!newActions.has(action)) changes.push({ type: 'action_removed', resource_id: resourceId, action });
      }
      for (const action of newActions) {
        if (!oldActions.has(action)) changes.push({ type: 'action_added', resource_id: resourceId, action });
      }
    },
  });
}

function diffRoles(before: readonly Role[], after: readonly Role[], changes: PolicyChange[]): void {
  matchById(before, after, (role) => role.role_id, {
    removed: (role) => changes.push({ type: 'role_removed', role }),
    added: (role) => changes.push({ type: 'role_added', role }),
    kept: (old, now) => {
      const roleId = old.role_id;
      if (old.description !== now.description) {
        changes.push({ type: 'role_description_changed', role_id: roleId, before: old.description, after: now.description });
      }
      for (const [resourceId, action] of missingGrants(old.permissions, grantedActions(now.permissions))) {
        changes.push({ type: 'permission_revoked', role_id: roleId, resource_id: resourceId, action });
      }
      for (const [resourceId, action] of missingGrants(now.permissions, grantedActions(old.permissions))) {
        changes.push({ type: 'permission_granted', role_id: roleId, resource_id: resourceId, action });
      }
    },
  });
}

function diffScopes(before: readonly Scope[], after: readonly Scope[], changes: PolicyChange[]): void {
  matchById(before, after, (scope) => scope.scope, {
    removed: (scope) => changes.push({ type: 'scope_removed', scope }),
    added: (scope) => changes.push({ type: 'scope_added', scope }),
    kept: (old, now) => {
      if (old.description !== now.description || !sameGrants(old.permissions, now.permissions)) {
        changes.push({ type: 'scope_changed', before: old, after: now });
      }
    },
  });
}

/**
 * The changes that turn `before` into `after`. Order: resources, then roles, then scopes; within
 * each, the ids of `before` in their order (removals and edits), then the ids new in `after` in
 * their order. Within a resource or role, removals come before additions. Order of resources,
 * actions and permissions alone is not a change.
 */
export function diffPolicies(before: Policy, after: Policy): PolicyChange[] {
  const changes: PolicyChange[] = [];
  diffResources(before.resources, after.resources, changes);
  diffRoles(before.roles, after.roles, changes);
  diffScopes(before.scopes, after.scopes, changes);
  return changes;
}

function describePermissions(permissions: readonly Permission[]): string {
  if (permissions.length === 0) return 'no permissions';
  return permissions.map((permission) => `${permission.resource_id}:${permission.actions.join(',')}`).join(' ');
}

/** One line of text for a change, e.g. `+ role editor`, `- documents:delete from role viewer`. */
export function describePolicyChange(change: PolicyChange): string {
  switch (change.type) {
    case 'resource_added':
      return `+ resource ${change.resource.resource_id} (${change.resource.actions.join(', ')})`;
    case 'resource_removed':
      return `- resource ${change.resource.resource_id}`;
    case 'resource_description_changed':
      return `~ resource ${change.resource_id} description: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}`;
    case 'action_added':
      return `+ action ${change.resource_id}:${change.action}`;
    case 'action_removed':
      return `- action ${change.resource_id}:${change.action}`;
    case 'role_added':
      return `+ role ${change.role.role_id} (${describePermissions(change.role.permissions)})`;
    case 'role_removed':
      return `- role ${change.role.role_id}`;
    case 'role_description_changed':
      return `~ role ${change.role_id} description: ${JSON.stringify(change.before)} → ${JSON.stringify(change.after)}`;
    case 'permission_granted':
      return `+ ${change.resource_id}:${change.action} to role ${change.role_id}`;
    case 'permission_revoked':
      return `- ${change.resource_id}:${change.action} from role ${change.role_id}`;
    case 'scope_added':
      return `+ scope ${change.scope.scope} (${describePermissions(change.scope.permissions)})`;
    case 'scope_removed':
      return `- scope ${change.scope.scope}`;
    case 'scope_changed':
      return `~ scope ${change.after.scope} (${describePermissions(change.before.permissions)} → ${describePermissions(change.after.permissions)})`;
  }
}

/** One resource present in both policies that changed. */
export interface ResourceDiff {
  resource_id: string;
  description?: { before: string; after: string };
  actions_added: string[];
  actions_removed: string[];
}

/** One role present in both policies that changed; `*` appears as an action like any other. */
export interface RoleDiff {
  role_id: string;
  description?: { before: string; after: string };
  /** Permissions the role names now and did not before, by resource. */
  gained: Permission[];
  /** Permissions the role named before and does not now, by resource. */
  lost: Permission[];
}

/** diffPolicies' changes grouped by what they change: what a person reads in a diff view. */
export interface PolicyDiff {
  resources: { added: Resource[]; removed: Resource[]; changed: ResourceDiff[] };
  roles: { added: Role[]; removed: Role[]; changed: RoleDiff[] };
  scopes: { added: Scope[]; removed: Scope[]; changed: { scope: string; before: Scope; after: Scope }[] };
}

/** Adds `action` on `resourceId` to a permission list, merging with the resource's entry. */
function addGrant(permissions: Permission[], resourceId: string, action: string): void {
  const permission = permissions.find((p) => p.resource_id === resourceId);
  if (permission) permission.actions.push(action);
  else permissions.push({ resource_id: resourceId, actions: [action] });
}

/** The changes of diffPolicies grouped by resource, role and scope, in the order they came. */
export function groupPolicyChanges(changes: readonly PolicyChange[]): PolicyDiff {
  const diff: PolicyDiff = {
    resources: { added: [], removed: [], changed: [] },
    roles: { added: [], removed: [], changed: [] },
    scopes: { added: [], removed: [], changed: [] },
  };
  const resource = (resource_id: string): ResourceDiff => {
    let entry = diff.resources.changed.find((r) => r.resource_id === resource_id);
    if (!entry) diff.resources.changed.push((entry = { resource_id, actions_added: [], actions_removed: [] }));
    return entry;
  };
  const role = (role_id: string): RoleDiff => {
    let entry = diff.roles.changed.find((r) => r.role_id === role_id);
    if (!entry) diff.roles.changed.push((entry = { role_id, gained: [], lost: [] }));
    return entry;
  };
  for (const change of changes) {
    switch (change.type) {
      case 'resource_added':
        diff.resources.added.push(change.resource);
        break;
      case 'resource_removed':
        diff.resources.removed.push(change.resource);
        break;
      case 'resource_description_changed':
        resource(change.resource_id).description = { before: change.before, after: change.after };
        break;
      case 'action_added':
        resource(change.resource_id).actions_added.push(change.action);
        break;
      case 'action_removed':
        resource(change.resource_id).actions_removed.push(change.action);
        break;
      case 'role_added':
        diff.roles.added.push(change.role);
        break;
      case 'role_removed':
        diff.roles.removed.push(change.role);
        break;
      case 'role_description_changed':
        role(change.role_id).description = { before: change.before, after: change.after };
        break;
      case 'permission_granted':
        addGrant(role(change.role_id).gained, change.resource_id, change.action);
        break;
      case 'permission_revoked':
        addGrant(role(change.role_id).lost, change.resource_id, change.action);
        break;
      case 'scope_added':
        diff.scopes.added.push(change.scope);
        break;
      case 'scope_removed':
        diff.scopes.removed.push(change.scope);
        break;
      case 'scope_changed':
        diff.scopes.changed.push({ scope: change.after.scope, before: change.before, after: change.after });
        break;
    }
  }
  return diff;
}
