// The authorization check: deny by default, answered from the compiled tables.
import type { CompiledPolicy } from './compile.ts';
import type { AuthorizationVerdict } from './types.ts';

/** The one verdict every denial returns. Frozen: copy it before changing it. */
const DENIED: AuthorizationVerdict = Object.freeze({
  authorized: false,
  granting_roles: Object.freeze([]) as unknown as string[],
});

/**
 * May someone holding `roles` take `action` on `resourceId`? Deny by default: unknown roles,
 * unknown resources and actions the resource does not declare grant nothing — also under `*`, which
 * covers the resource's declared actions only (Stytch's SDK local check lets `*` allow any action
 * string). `granting_roles` lists every granting role once, in the order of `roles`.
 */
export function isAuthorized(
  compiled: CompiledPolicy,
  roles: readonly string[],
  resourceId: string,
  action: string,
): AuthorizationVerdict {
  const granting = compiled.grants.get(resourceId)?.get(action);
  if (granting === undefined) return DENIED;
  const count = roles.length;
  let first = 0;
  while (first < count && !granting.has(roles[first]!)) first++;
  if (first === count) return DENIED;
  const grantingRoles = [roles[first]!];
  for (let i = first + 1; i < count; i++) {
    const role = roles[i]!;
    if (granting.has(role) && !grantingRoles.includes(role)) grantingRoles.push(role);
  }
  return { authorized: true, granting_roles: grantingRoles };
}

/**
 * Every declared action of every resource (built-in ones included), each with whether `roles`
 * may take it — the shape of Stytch's browser `rbac.allPermissions()`.
 */
export function listPermissions(
  compiled: CompiledPolicy,
  roles: readonly string[],
): Record<string, Record<string, boolean>> {
  const entries: [string, Record<string, boolean>][] = [];
  for (const [resourceId, actions] of compiled.actions) {
    const grants = compiled.grants.get(resourceId);
    const allowed: [string, boolean][] = [];
    for (const action of actions) {
      const granting = grants?.get(action);
      allowed.push([action, granting !== undefined && roles.some((role) => granting.has(role))]);
    }
    // fromEntries defines own properties, so an id such as "__proto__" stays an ordinary key.
    entries.push([resourceId, Object.fromEntries(allowed)]);
  }
  return Object.fromEntries(entries);
}
