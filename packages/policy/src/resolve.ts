// A subject's roles looked up once in a compiled policy, so that many checks for the same user or
// member skip the role lookups: each check is then a few word-wise ANDs.
import type { CompiledPolicy, ResourceGrants, RoleBits } from './compile.ts';
import type { AuthorizationVerdict } from './types.ts';

/** The subject's role bitset; for check.ts only (index.ts does not export it). */
export let maskOf!: (resolved: ResolvedRoles) => RoleBits;
/**
 * The subject's verdict for each action of `resource`, worked out on first use by `work` and kept:
 * the per-subject table a CASL ability holds too. A pure function of the subject and the policy,
 * so keeping it changes no answer; it fills only for resources actually checked.
 */
export let verdictsOf!: (
  resolved: ResolvedRoles,
  resource: ResourceGrants,
  work: (resolved: ResolvedRoles, resource: ResourceGrants) => AuthorizationVerdict[],
) => AuthorizationVerdict[];
/** The constructor, which is private to the class. */
let resolve!: (compiled: CompiledPolicy, roles: readonly string[]) => ResolvedRoles;

/**
 * The roles of one subject (a user, a member), resolved against one compiled policy by
 * resolveRoles. Immutable: the instance and its arrays are frozen, and the role bitset is private.
 * Pass it to isAuthorized and listPermissions with the compiled policy it came from; with another
 * compiled policy they resolve `roles` again (correct, but without the saving).
 */
export class ResolvedRoles {
  /** The compiled policy the roles were resolved against. */
  readonly policy: CompiledPolicy;
  /** The caller's role ids without repeats, in the caller's order; ids the policy lacks included. */
  readonly roles: readonly string[];
  /** roleNumbers[i]: the role number of roles[i] in `policy`, or -1 when the policy lacks it. */
  readonly roleNumbers: readonly number[];
  /** Bit n set: the subject holds role number n (policy.words words; ids the policy lacks are absent). */
  readonly #mask: RoleBits;
  /** By resource index: the verdict of each action, once worked out (see verdictsOf). */
  readonly #verdicts: (AuthorizationVerdict[] | undefined)[] = [];

  private constructor(policy: CompiledPolicy, roles: readonly string[]) {
    const ids = Object.freeze([...new Set(roles)]);
    const mask = new Uint32Array(policy.words);
    const numbers = ids.map((id) => {
      const number = policy.roleNumbers.get(id) ?? -1;
      if (number >= 0) mask[number >>> 5]! |= 1 << (number & 31);
      return number;
    });
    this.policy = policy;
    this.roles = ids;
    this.roleNumbers = Object.freeze(numbers);
    this.#mask = mask;
    // Frozen: no property can change; the private verdict table fills in as resources are checked.
    Object.freeze(this);
  }

  static {
    maskOf = (resolved) => resolved.#mask;
    verdictsOf = (resolved, resource, work) => (resolved.#verdicts[resource.index] ??= work(resolved, resource));
    resolve = (policy, roles) => new ResolvedRoles(policy, roles);
  }
}

/**
 * Looks up a subject's roles in a compiled policy once: repeats dropped (first occurrence kept),
 * ids the policy does not define kept but granting nothing. Do it once per subject (when the user
 * or member is loaded, or per request that checks several things) and pass the result to
 * isAuthorized; resolve again after compiling a new policy.
 */
export function resolveRoles(compiled: CompiledPolicy, roles: readonly string[]): ResolvedRoles {
  return resolve(compiled, roles);
}
