// Turns a policy into lookup tables: a check is a map lookup, a short scan and a few word-wise ANDs.
// The tables are built once and never written afterwards; checks only read them.
import { declaredActions } from './catalog.ts';
import { WILDCARD_ACTION, type AuthorizationVerdict, type Policy, type PolicyRules } from './types.ts';

declare const compiled: unique symbol;

/** Up to this many actions, a resource's action is found by comparison rather than by a map. */
export const ACTION_SCAN_LIMIT = 8;

/**
 * Bits over role numbers (see `roleNumbers`): bit n of word n >>> 5 is role n. Every bitset of a
 * compiled policy has `words` words.
 */
export type RoleBits = Uint32Array;

export interface ResourceGrants {
  /** Position of the resource in `resources` (indexes a subject's verdict table, see resolve.ts). */
  readonly index: number;
  /** The declared actions, in policy order. */
  readonly actions: readonly string[];
  /** Action → its position in `actions`; only when there are more than ACTION_SCAN_LIMIT actions. */
  readonly actionIndex: ReadonlyMap<string, number> | undefined;
  /**
   * The roles that may take each action, one bitset after the other: the words of actions[i] are
   * grants[i * words] to grants[i * words + words - 1]. All zero when no role may.
   */
  readonly grants: RoleBits;
}

/**
 * A policy prepared for isAuthorized, resolveRoles and listPermissions. Only compilePolicy makes
 * one; treat it as opaque, and compile again whenever the policy changes. It holds no state: the
 * same checks always give the same answers, whatever was checked before.
 */
export interface CompiledPolicy {
  readonly [compiled]: true;
  /** Every declared resource: the policy's in policy order, then the built-in ones it omits. */
  readonly resources: ReadonlyMap<string, ResourceGrants>;
  /** Role id → role number, in policy order. */
  readonly roleNumbers: ReadonlyMap<string, number>;
  /** Words in every role bitset: ⌈roles / 32⌉, at least 1. */
  readonly words: number;
  /** By role number: the frozen verdict naming that role alone. */
  readonly singleRoleVerdicts: readonly AuthorizationVerdict[];
}

/**
 * Compiles a valid policy (see validatePolicy) with the built-in resources of `rules` merged in.
 * Permissions naming an undeclared resource or action grant nothing; `*` grants every action the
 * resource declares at compile time, so a recompiled policy covers actions added since.
 */
export function compilePolicy(policy: Policy, rules: PolicyRules = {}): CompiledPolicy {
  const roleNumbers = new Map<string, number>();
  for (const role of policy.roles) if (!roleNumbers.has(role.role_id)) roleNumbers.set(role.role_id, roleNumbers.size);
  // The arrays read by every check (singleRoleVerdicts, each resource's actions) are left unfrozen:
  // V8 reads frozen arrays more slowly in optimised code. Nothing writes to them after this.
  const singleRoleVerdicts = [...roleNumbers.keys()].map((roleId) =>
    Object.freeze({ authorized: true, granting_roles: Object.freeze([roleId]) as string[] }),
  );
  const words = Math.max(1, Math.ceil(roleNumbers.size / 32));

  const resources = new Map<string, ResourceGrants>();
  for (const [resourceId, declared] of declaredActions(policy, rules)) {
    const actions = [...declared];
    resources.set(resourceId, {
      index: resources.size,
      actions,
      actionIndex: actions.length > ACTION_SCAN_LIMIT ? new Map(actions.map((action, i) => [action, i])) : undefined,
      grants: new Uint32Array(actions.length * words),
    });
  }
  for (const role of policy.roles) {
    const number = roleNumbers.get(role.role_id)!;
    for (const permission of role.permissions) {
      const resource = resources.get(permission.resource_id);
      if (resource === undefined) continue;
      const wildcard = permission.actions.includes(WILDCARD_ACTION);
      resource.actions.forEach((action, i) => {
        if (wildcard || permission.actions.includes(action)) resource.grants[i * words + (number >>> 5)]! |= 1 << (number & 31);
      });
    }
  }
  for (const resource of resources.values()) Object.freeze(resource);
  return Object.freeze({ resources, roleNumbers, words, singleRoleVerdicts }) as unknown as CompiledPolicy;
}
