// The authorization check: deny by default, answered from the compiled tables. Nothing here writes
// to the compiled policy or to the roles it is given.
import type { CompiledPolicy, ResourceGrants, RoleBits } from './compile.ts';
import { maskOf, resolveRoles, verdictsOf, type ResolvedRoles } from './resolve.ts';
import type { AuthorizationVerdict } from './types.ts';

/** The one verdict every denial returns. Frozen: copy it before changing it. */
const DENIED: AuthorizationVerdict = Object.freeze({
  authorized: false,
  granting_roles: Object.freeze([]) as unknown as string[],
});

/** Where `action` is among the resource's declared actions, or -1. */
function actionPosition(resource: ResourceGrants, action: string): number {
  const index = resource.actionIndex;
  if (index !== undefined) return index.get(action) ?? -1;
  const actions = resource.actions;
  for (let i = 0; i < actions.length; i++) if (actions[i] === action) return i;
  return -1;
}

/** Role ids rather than a ResolvedRoles (Array.isArray: cheaper than instanceof in a check). */
function isRoleList(roles: readonly string[] | ResolvedRoles): roles is readonly string[] {
  return Array.isArray(roles);
}

/** `roles` as a ResolvedRoles of `compiled`: itself when it is one, else resolved now. */
function resolvedFor(compiled: CompiledPolicy, roles: readonly string[] | ResolvedRoles): ResolvedRoles {
  if (isRoleList(roles)) return resolveRoles(compiled, roles);
  return roles.policy === compiled ? roles : resolveRoles(compiled, roles.roles);
}

/**
 * A new frozen verdict naming every role of `resolved` that `grants` grants (the bitset starting at
 * `base`), in the subject's order. Only for actions more than one of its roles grants.
 */
function grantingVerdict(resolved: ResolvedRoles, grants: RoleBits, base: number): AuthorizationVerdict {
  const { roles, roleNumbers } = resolved;
  const granting: string[] = [];
  for (let i = 0; i < roles.length; i++) {
    const role = roleNumbers[i]!;
    if (role >= 0 && (grants[base + (role >>> 5)]! & (1 << (role & 31))) !== 0) granting.push(roles[i]!);
  }
  return Object.freeze({ authorized: true, granting_roles: Object.freeze(granting) as string[] });
}

/**
 * May someone holding `roles` take `action` on `resourceId`? Deny by default: unknown roles,
 * unknown resources and actions the resource does not declare grant nothing — also under `*`, which
 * covers the resource's declared actions only (Stytch's SDK local check lets `*` allow any action
 * string). `granting_roles` lists every granting role once, in the order of `roles`.
 *
 * `roles` is either the role ids (each looked up on every call: best for one check per subject) or
 * resolveRoles(compiled, ids) (looked up once: best for several checks per subject). A ResolvedRoles
 * of another compiled policy is resolved again, so the answer is always this policy's.
 *
 * Verdicts are frozen and may be shared between calls: copy one before changing it. The common
 * answers (denied; allowed by one role) allocate nothing. The compiled policy is never written; a
 * ResolvedRoles keeps its subject's verdicts for each resource it was checked on (worked out on the
 * first check, a pure function of the subject and the policy), so the answer depends only on the
 * arguments.
 */
export function isAuthorized(
  compiled: CompiledPolicy,
  roles: readonly string[] | ResolvedRoles,
  resourceId: string,
  action: string,
): AuthorizationVerdict {
  return isRoleList(roles)
    ? listVerdict(compiled, roles, resourceId, action)
    : resolvedVerdict(compiled, roles, resourceId, action);
}

/** isAuthorized for a ResolvedRoles: the subject's verdict for the action, from its verdict table. */
function resolvedVerdict(
  compiled: CompiledPolicy,
  resolved: ResolvedRoles,
  resourceId: string,
  action: string,
): AuthorizationVerdict {
  if (resolved.policy !== compiled) resolved = resolveRoles(compiled, resolved.roles);
  const resource = compiled.resources.get(resourceId);
  if (resource === undefined) return DENIED;
  const position = actionPosition(resource, action);
  if (position < 0) return DENIED;
  return verdictsOf(resolved, resource, resourceVerdicts)[position]!;
}

/** The subject's verdict for every action of a resource: its grant bitsets ANDed with the subject's. */
function resourceVerdicts(resolved: ResolvedRoles, resource: ResourceGrants): AuthorizationVerdict[] {
  const compiled = resolved.policy;
  const mask = maskOf(resolved);
  const words = mask.length;
  const grants = resource.grants;
  return resource.actions.map((_action, position) => {
    const base = position * words;
    let granting = -1; // the role number of the one granting role found so far
    for (let word = 0; word < words; word++) {
      const bits = grants[base + word]! & mask[word]!;
      if (bits === 0) continue;
      // A second granting role, in this word or an earlier one.
      if (granting >= 0 || (bits & (bits - 1)) !== 0) return grantingVerdict(resolved, grants, base);
      granting = (word << 5) | (31 - Math.clz32(bits & -bits));
    }
    return granting < 0 ? DENIED : compiled.singleRoleVerdicts[granting]!;
  });
}

/** isAuthorized for role ids: each looked up in the policy's role numbers and tested. */
function listVerdict(compiled: CompiledPolicy, roles: readonly string[], resourceId: string, action: string): AuthorizationVerdict {
  const resource = compiled.resources.get(resourceId);
  if (resource === undefined) return DENIED;
  const position = actionPosition(resource, action);
  if (position < 0) return DENIED;
  const { roleNumbers } = compiled;
  const grants = resource.grants;
  const base = position * compiled.words;
  let granting = -1; // the role number of the one granting role found so far
  for (let i = 0; i < roles.length; i++) {
    const role = roleNumbers.get(roles[i]!);
    if (role === undefined || role === granting || (grants[base + (role >>> 5)]! & (1 << (role & 31))) === 0) continue;
    if (granting >= 0) return grantingVerdict(resolveRoles(compiled, roles), grants, base);
    granting = role;
  }
  return granting < 0 ? DENIED : compiled.singleRoleVerdicts[granting]!;
}

/**
 * Every declared action of every resource (built-in ones included), each with whether `roles` (role
 * ids, or a ResolvedRoles as for isAuthorized) may take it — the shape of Stytch's browser
 * `rbac.allPermissions()`.
 */
export function listPermissions(
  compiled: CompiledPolicy,
  roles: readonly string[] | ResolvedRoles,
): Record<string, Record<string, boolean>> {
  const mask = maskOf(resolvedFor(compiled, roles));
  const words = mask.length;
  const entries: [string, Record<string, boolean>][] = [];
  for (const [resourceId, resource] of compiled.resources) {
    const allowed = resource.actions.map((action, i): [string, boolean] => {
      let bits = 0;
      for (let word = 0; word < words; word++) bits |= resource.grants[i * words + word]! & mask[word]!;
      return [action, bits !== 0];
    });
    // fromEntries defines own properties, so an id such as "__proto__" stays an ordinary key.
    entries.push([resourceId, Object.fromEntries(allowed)]);
  }
  return Object.fromEntries(entries);
}
