// The authorization check: deny by default, answered from the compiled tables.
import { hasRole, type CompiledPolicy, type ResourceGrants, type RoleBits, type Subject } from './compile.ts';
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

/** Whether the subject holds `roles`: the same array, with the same contents. */
function holds(subject: Subject, roles: readonly string[]): boolean {
  const count = roles.length;
  if (subject.list !== roles || subject.count !== count) return false;
  const ids = subject.ids;
  for (let i = 0; i < count; i++) if (ids[i] !== roles[i]) return false;
  return true;
}

/** The subject for `roles`: the remembered one if it holds `roles`, else a new generation. */
function subjectFor(compiled: CompiledPolicy, roles: readonly string[]): Subject {
  const subject = compiled.subject;
  if (holds(subject, roles)) return subject;
  const count = roles.length;
  if (subject.numbers.length < count) subject.numbers = new Int32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const roleId = roles[i]!;
    subject.ids[i] = roleId;
    subject.numbers[i] = compiled.roleNumbers.get(roleId) ?? -1;
  }
  subject.list = roles;
  subject.count = count;
  if (++subject.generation > 0x3fffffff) {
    subject.generation = 1;
    for (const resource of compiled.resources.values()) resource.remembered.fill(0);
  }
  return subject;
}

/** The verdict for the subject's roles given the roles that grant: denied, or the granting ones. */
function verdictFor(compiled: CompiledPolicy, bits: RoleBits, subject: Subject): AuthorizationVerdict {
  const { numbers, ids, count } = subject;
  let first = 0;
  while (first < count && !(numbers[first]! >= 0 && hasRole(bits, numbers[first]!))) first++;
  if (first === count) return DENIED;
  const firstRole = numbers[first]!;
  let grantingRoles: string[] | undefined;
  for (let i = first + 1; i < count; i++) {
    const role = numbers[i]!;
    if (role < 0 || role === firstRole || !hasRole(bits, role)) continue;
    grantingRoles ??= [ids[first]!];
    if (!grantingRoles.includes(ids[i]!)) grantingRoles.push(ids[i]!);
  }
  if (grantingRoles === undefined) return compiled.singleRoleVerdicts[firstRole]!;
  return Object.freeze({ authorized: true, granting_roles: Object.freeze(grantingRoles) as string[] });
}

/**
 * May someone holding `roles` take `action` on `resourceId`? Deny by default: unknown roles,
 * unknown resources and actions the resource does not declare grant nothing — also under `*`, which
 * covers the resource's declared actions only (Stytch's SDK local check lets `*` allow any action
 * string). `granting_roles` lists every granting role once, in the order of `roles`.
 *
 * Verdicts are frozen and may be shared between calls: copy one before changing it. The common
 * answers (denied; allowed by one role) allocate nothing. The compiled policy remembers the
 * verdicts worked out for the latest role list, so several checks for the same array (compared
 * element by element each time, so changing it in place is safe) skip most of the work.
 */
export function isAuthorized(
  compiled: CompiledPolicy,
  roles: readonly string[],
  resourceId: string,
  action: string,
): AuthorizationVerdict {
  const resource = compiled.resources.get(resourceId);
  if (resource === undefined) return DENIED;
  const position = actionPosition(resource, action);
  if (position < 0) return DENIED;
  const subject = compiled.subject;
  const remembered = resource.remembered;
  if (holds(subject, roles) && remembered[2 * position] === subject.generation) {
    return remembered[2 * position + 1] as AuthorizationVerdict;
  }
  return workOutVerdict(compiled, roles, resource, position);
}

/** isAuthorized when the verdict is not remembered: works it out and remembers it. */
function workOutVerdict(
  compiled: CompiledPolicy,
  roles: readonly string[],
  resource: ResourceGrants,
  position: number,
): AuthorizationVerdict {
  const subject = subjectFor(compiled, roles);
  const bits = resource.grants[position];
  const verdict = bits === undefined ? DENIED : verdictFor(compiled, bits, subject);
  resource.remembered[2 * position] = subject.generation;
  resource.remembered[2 * position + 1] = verdict;
  return verdict;
}

/**
 * Every declared action of every resource (built-in ones included), each with whether `roles`
 * may take it — the shape of Stytch's browser `rbac.allPermissions()`.
 */
export function listPermissions(
  compiled: CompiledPolicy,
  roles: readonly string[],
): Record<string, Record<string, boolean>> {
  const subject = subjectFor(compiled, roles);
  const numbers = [...subject.numbers.subarray(0, subject.count)];
  const entries: [string, Record<string, boolean>][] = [];
  for (const [resourceId, resource] of compiled.resources) {
    const allowed = resource.actions.map((action, i): [string, boolean] => {
      const bits = resource.grants[i];
      return [action, bits !== undefined && numbers.some((role) => role >= 0 && hasRole(bits, role))];
    });
    // fromEntries defines own properties, so an id such as "__proto__" stays an ordinary key.
    entries.push([resourceId, Object.fromEntries(allowed)]);
  }
  return Object.fromEntries(entries);
}
