// The policy editor's edits, as pure functions from one draft to the next. Resources and roles are
// addressed by index, so a draft with a repeated id (which validation reports) can still be edited.
// Removing a resource or an action also takes it out of the permissions that name it, so the draft
// stays valid and the review shows what holders lose.
import { WILDCARD_ACTION, type Permission, type Policy, type Resource, type Role } from '@gatehouse/policy';

function withPermissions<T extends { permissions: Permission[] }>(item: T, edit: (permissions: Permission[]) => Permission[]): T {
  return { ...item, permissions: edit(item.permissions).filter((permission) => permission.actions.length > 0) };
}

/** Every role's and scope's permissions through `edit`; those left without actions are dropped. */
function editAllPermissions(policy: Policy, edit: (permissions: Permission[]) => Permission[]): Policy {
  return {
    ...policy,
    roles: policy.roles.map((role) => withPermissions(role, edit)),
    scopes: policy.scopes.map((scope) => withPermissions(scope, edit)),
  };
}

function replaceAt<T>(items: readonly T[], index: number, edit: (item: T) => T): T[] {
  return items.map((item, i) => (i === index ? edit(item) : item));
}

export function addResource(policy: Policy, resource: Resource): Policy {
  return { ...policy, resources: [...policy.resources, resource] };
}

export function removeResource(policy: Policy, index: number): Policy {
  const resourceId = policy.resources[index]?.resource_id;
  const rest = { ...policy, resources: policy.resources.filter((_, i) => i !== index) };
  if (rest.resources.some((resource) => resource.resource_id === resourceId)) return rest;
  return editAllPermissions(rest, (permissions) => permissions.filter((permission) => permission.resource_id !== resourceId));
}

export function setResourceDescription(policy: Policy, index: number, description: string): Policy {
  return { ...policy, resources: replaceAt(policy.resources, index, (resource) => ({ ...resource, description })) };
}

export function addAction(policy: Policy, index: number, action: string): Policy {
  return { ...policy, resources: replaceAt(policy.resources, index, (resource) => ({ ...resource, actions: [...resource.actions, action] })) };
}

export function removeAction(policy: Policy, index: number, action: string): Policy {
  const resourceId = policy.resources[index]?.resource_id;
  const edited = {
    ...policy,
    resources: replaceAt(policy.resources, index, (resource) => ({ ...resource, actions: resource.actions.filter((a) => a !== action) })),
  };
  return editAllPermissions(edited, (permissions) =>
    permissions.map((permission) =>
      permission.resource_id === resourceId ? { ...permission, actions: permission.actions.filter((a) => a !== action) } : permission,
    ),
  );
}

export function addRole(policy: Policy, role: Role): Policy {
  return { ...policy, roles: [...policy.roles, role] };
}

export function removeRole(policy: Policy, index: number): Policy {
  return { ...policy, roles: policy.roles.filter((_, i) => i !== index) };
}

export function setRoleDescription(policy: Policy, index: number, description: string): Policy {
  return { ...policy, roles: replaceAt(policy.roles, index, (role) => ({ ...role, description })) };
}

/** The actions a role names on a resource (`*` included). */
export function grantedActions(role: Role, resourceId: string): string[] {
  return role.permissions.filter((permission) => permission.resource_id === resourceId).flatMap((permission) => permission.actions);
}

/**
 * Grants or takes back one action (or `*`) of a resource from a role. Granting `*` replaces the
 * actions named one by one, as "*" already grants them all; taking back `*` leaves none.
 */
export function setPermission(policy: Policy, roleIndex: number, resourceId: string, action: string, granted: boolean): Policy {
  return {
    ...policy,
    roles: replaceAt(policy.roles, roleIndex, (role) => {
      const held = grantedActions(role, resourceId);
      let actions: string[];
      if (action === WILDCARD_ACTION) actions = granted ? [WILDCARD_ACTION] : [];
      else actions = granted ? [...held.filter((a) => a !== action), action] : held.filter((a) => a !== action);
      const others = role.permissions.filter((permission) => permission.resource_id !== resourceId);
      const at = role.permissions.findIndex((permission) => permission.resource_id === resourceId);
      if (actions.length === 0) return { ...role, permissions: others };
      const permission = { resource_id: resourceId, actions };
      // Keep the permission where it was, so the saved policy reads in the same order.
      const permissions = at === -1 ? [...others, permission] : [...others.slice(0, at), permission, ...others.slice(at)];
      return { ...role, permissions };
    }),
  };
}
