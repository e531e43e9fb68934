// Turns a policy into lookup tables: a check is a map lookup, a short scan and a few bit tests.
import { declaredActions } from './catalog.ts';
import { WILDCARD_ACTION, type AuthorizationVerdict, type Policy, type PolicyRules } from './types.ts';

declare const compiled: unique symbol;

/** Up to this many actions, a resource's action is found by comparison rather than by a map. */
export const ACTION_SCAN_LIMIT = 8;

/** Bits over role numbers (see `roleNumbers`): bit n of word n >>> 5 is role n. */
export type RoleBits = Uint32Array;

export function hasRole(bits: RoleBits, role: number): boolean {
  return (bits[role >>> 5]! & (1 << (role & 31))) !== 0;
}

export interface ResourceGrants {
  /** The declared actions, in policy order. */
  readonly actions: readonly string[];
  /** Action → its position in `actions`; only when there are more than ACTION_SCAN_LIMIT actions. */
  readonly actionIndex: ReadonlyMap<string, number> | undefined;
  /** grants[i]: the roles that may take actions[i]; undefined when none may. */
  readonly grants: readonly (RoleBits | undefined)[];
  /**
   * Verdicts worked out for the current subject (see Subject): remembered[2i] is the generation
   * in which remembered[2i + 1] was worked out for actions[i]. One array, so one memory access.
   */
  readonly remembered: (number | AuthorizationVerdict)[];
}

/**
 * The role list of the latest check. The verdicts worked out for it are remembered on the
 * resources, stamped with its generation: a caller checking several things for the same list (the
 * same array with the same contents) reuses them; any other list starts a new generation. The
 * list is compared element by element on every use, so a changed array is never misread.
 */
export interface Subject {
  list: readonly string[] | undefined;
  /** Copy of the list's ids (`count` of them) and their role numbers (-1: not in the policy). */
  ids: string[];
  numbers: Int32Array;
  count: number;
  generation: number;
}

/**
 * A policy prepared for isAuthorized and listPermissions. Only compilePolicy makes one; treat it as
 * opaque, and compile again whenever the policy changes.
 */
export interface CompiledPolicy {
  readonly [compiled]: true;
  /** Every declared resource: the policy's in policy order, then the built-in ones it omits. */
  readonly resources: ReadonlyMap<string, ResourceGrants>;
  /** Role id → role number, in policy order. */
  readonly roleNumbers: ReadonlyMap<string, number>;
  /** By role number: the frozen verdict naming that role alone. */
  readonly singleRoleVerdicts: readonly AuthorizationVerdict[];
  /** Memory of isAuthorized (see Subject); not part of the policy. */
  readonly subject: Subject;
}

/**
 * Compiles a valid policy (see validatePolicy) with the built-in resources of `rules` merged in.
 * Permissions naming an undeclared resource or action grant nothing; `*` grants every action the
 * resource declares at compile time, so a recompiled policy covers actions added since.
 */
export function compilePolicy(policy: Policy, rules: PolicyRules = {}): CompiledPolicy {
  const roleNumbers = new Map<string, number>();
  for (const role of policy.roles) if (!roleNumbers.has(role.role_id)) roleNumbers.set(role.role_id, roleNumbers.size);
  const singleRoleVerdicts = [...roleNumbers.keys()].map((roleId) =>
    Object.freeze({ authorized: true, granting_roles: Object.freeze([roleId]) as string[] }),
  );
  const words = Math.max(1, Math.ceil(roleNumbers.size / 32));

  const resources = new Map<string, ResourceGrants>();
  for (const [resourceId, declared] of declaredActions(policy, rules)) {
    const actions = [...declared];
    resources.set(resourceId, {
      actions,
      actionIndex: actions.length > ACTION_SCAN_LIMIT ? new Map(actions.map((action, i) => [action, i])) : undefined,
      grants: actions.map(() => undefined),
      remembered: actions.flatMap(() => [0, 0]),
    });
  }
  for (const role of policy.roles) {
    const number = roleNumbers.get(role.role_id)!;
    for (const permission of role.permissions) {
      const resource = resources.get(permission.resource_id);
      if (resource === undefined) continue;
      const grants = resource.grants as (RoleBits | undefined)[];
      const wildcard = permission.actions.includes(WILDCARD_ACTION);
      resource.actions.forEach((action, i) => {
        if (!wildcard && !permission.actions.includes(action)) return;
        const bits = (grants[i] ??= new Uint32Array(words));
        bits[number >>> 5]! |= 1 << (number & 31);
      });
    }
  }
  // Generation 0 is never current: the first check starts generation 1.
  const subject: Subject = { list: undefined, ids: [], numbers: new Int32Array(8), count: 0, generation: 0 };
  return { resources, roleNumbers, singleRoleVerdicts, subject } as unknown as CompiledPolicy;
}
