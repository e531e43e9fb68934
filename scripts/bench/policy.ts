// Authorization checks per second: @gatehouse/policy's isAuthorized against @casl/ability and casbin,
// on the same generated policy and the same fixed mix of allowed and denied checks, in two pairs:
// - per subject: the work for the user done once (resolveRoles / createMongoAbility), then checks;
// - per check from the role ids (one check per request): nothing kept from one check to the next.
import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { newEnforcer, newModelFromString } from 'casbin';
import { compilePolicy, isAuthorized, resolveRoles, validatePolicy, WILDCARD_ACTION, type Policy } from '@gatehouse/policy';
import { measureAll, seededRandom, type BenchReport, type Measurement } from './measure.ts';

const RESOURCE_COUNT = 50;
const ACTIONS = ['create', 'read', 'update', 'delete', 'share'];
const ROLE_COUNT = 100;
const USER_ROLE_COUNT = 3;
const MIX_SIZE = 4096; // a power of two: the loops pick inputs with `i & MIX_MASK`
const MIX_MASK = MIX_SIZE - 1;
const SEED = 0x6a7e;

interface Workload {
  policy: Policy;
  userRoles: string[];
  /** The checks, as two parallel arrays. */
  resources: string[];
  actions: string[];
}

function buildWorkload(): Workload {
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sample = <T>(items: readonly T[], count: number): T[] => {
    const pool = [...items];
    return Array.from({ length: count }, () => pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  };

  const resourceIds = Array.from({ length: RESOURCE_COUNT }, (_, i) => `resource-${String(i).padStart(2, '0')}`);
  const policy: Policy = {
    resources: resourceIds.map((id) => ({ resource_id: id, description: '', actions: [...ACTIONS] })),
    roles: Array.from({ length: ROLE_COUNT }, (_, i) => ({
      role_id: `role-${String(i).padStart(3, '0')}`,
      description: '',
      permissions: sample(resourceIds, 3 + Math.floor(random() * 4)).map((resourceId) => ({
        resource_id: resourceId,
        actions: random() < 0.2 ? [WILDCARD_ACTION] : sample(ACTIONS, 1 + Math.floor(random() * 3)),
      })),
    })),
    scopes: [],
  };
  const validation = validatePolicy(policy);
  if (!validation.valid) throw new Error(`bench policy is invalid: ${JSON.stringify(validation.issues[0])}`);

  const userRoles = sample(policy.roles, USER_ROLE_COUNT).map((role) => role.role_id);
  const granted = policy.roles
    .filter((role) => userRoles.includes(role.role_id))
    .flatMap((role) => role.permissions)
    .flatMap((permission) =>
      (permission.actions[0] === WILDCARD_ACTION ? ACTIONS : permission.actions).map((action) => [permission.resource_id, action] as const),
    );
  // Half from the user's grants (allowed), 40% any declared pair (mostly denied), 10% unknown resources.
  // Only declared actions: on undeclared ones CASL's `manage` and casbin's "*" allow, we deny.
  const resources: string[] = [];
  const actions: string[] = [];
  for (let i = 0; i < MIX_SIZE; i++) {
    const draw = random();
    const [resourceId, action] =
      draw < 0.5 ? pick(granted) : draw < 0.9 ? [pick(resourceIds), pick(ACTIONS)] : [`unknown-${i % 7}`, pick(ACTIONS)];
    resources.push(resourceId);
    actions.push(action);
  }
  // Policies come from storage and checks from requests as JSON: every engine gets its ids from
  // JSON.parse, which also makes them separate string objects from the ones it was built with.
  return JSON.parse(JSON.stringify({ policy, userRoles, resources, actions })) as Workload;
}

type CaslRule = RawRuleOf<MongoAbility<[string, string]>>;

/** CASL rules per role (the counterpart of compilePolicy: made once per policy); `*` becomes `manage`. */
function caslRulesByRole({ policy }: Workload): Map<string, CaslRule[]> {
  return new Map(
    policy.roles.map((role) => [
      role.role_id,
      role.permissions.map((permission) => ({
        action: permission.actions[0] === WILDCARD_ACTION ? 'manage' : permission.actions,
        subject: permission.resource_id,
      })),
    ]),
  );
}

/** A CASL ability for a role list (the counterpart of resolveRoles: made once per subject). */
function caslAbility(rulesByRole: ReadonlyMap<string, CaslRule[]>, roles: readonly string[]): MongoAbility<[string, string]> {
  return createMongoAbility<[string, string]>(roles.flatMap((roleId) => rulesByRole.get(roleId) ?? []));
}

const CASBIN_MODEL = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && (r.act == p.act || p.act == "*")
`;

/** casbin with the roles' permissions as `p` lines (all roles, or the user's) and the user's roles as `g` lines. */
async function casbinEnforcer({ policy, userRoles }: Workload, onlyUserRoles: boolean) {
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL));
  for (const role of policy.roles) {
    if (onlyUserRoles && !userRoles.includes(role.role_id)) continue;
    for (const permission of role.permissions) {
      for (const action of permission.actions) await enforcer.addPolicy(role.role_id, permission.resource_id, action);
    }
  }
  for (const roleId of userRoles) await enforcer.addGroupingPolicy('user', roleId);
  return enforcer;
}

export async function run(): Promise<BenchReport> {
  const workload = buildWorkload();
  const { resources, actions, userRoles } = workload;
  const compiled = compilePolicy(workload.policy);
  const rulesByRole = caslRulesByRole(workload);
  // Per subject: each engine's work for the user, done once.
  const resolved = resolveRoles(compiled, userRoles);
  const ability = caslAbility(rulesByRole, userRoles);
  const enforcer = await casbinEnforcer(workload, false);
  const userEnforcer = await casbinEnforcer(workload, true);

  // Every engine, in every form timed below, must give the same answer on every check first.
  // allowedBefore[k]: how many of the first k checks of the mix are allowed.
  const allowedBefore = [0];
  for (let i = 0; i < MIX_SIZE; i++) {
    const [resourceId, action] = [resources[i]!, actions[i]!];
    const verdict = isAuthorized(compiled, resolved, resourceId, action);
    const listVerdict = isAuthorized(compiled, userRoles.slice(), resourceId, action);
    if (verdict.granting_roles.join() !== listVerdict.granting_roles.join()) {
      throw new Error(`isAuthorized forms disagree on ${resourceId}:${action}`);
    }
    const answers = {
      ours: verdict.authorized,
      oursList: listVerdict.authorized,
      casl: ability.can(action, resourceId),
      caslFresh: caslAbility(rulesByRole, userRoles.slice()).can(action, resourceId),
      casbin: enforcer.enforceSync('user', resourceId, action),
      casbinUser: userEnforcer.enforceSync('user', resourceId, action),
    };
    if (Object.values(answers).some((answer) => answer !== answers.ours)) {
      throw new Error(`engines disagree on ${resourceId}:${action}: ${JSON.stringify(answers)}`);
    }
    allowedBefore.push(allowedBefore[i]! + (answers.ours ? 1 : 0));
  }
  const allowedPerMix = allowedBefore[MIX_SIZE]!;

  const expectAllowed = (name: string, iterations: number, allowed: number): number => {
    const expected = Math.floor(iterations / MIX_SIZE) * allowedPerMix + allowedBefore[iterations % MIX_SIZE]!;
    if (allowed !== expected) throw new Error(`${name}: ${allowed} checks allowed, expected ${expected}`);
    return allowed;
  };
  const floorMap = new Map(resources.map((resourceId, i) => [resourceId, i]));
  // Each loop is its own function, so every call site in it stays monomorphic. In the "per check"
  // loops every check starts from a new copy of the user's role ids (slice()), as a request would.
  const loops = {
    floor(iterations: number): number {
      let sum = 0;
      for (let i = 0; i < iterations; i++) sum += floorMap.get(resources[i & MIX_MASK]!) ?? 1;
      return sum;
    },
    oursResolved(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        if (isAuthorized(compiled, resolved, resources[i & MIX_MASK]!, actions[i & MIX_MASK]!).authorized) allowed++;
      }
      return expectAllowed('isAuthorized (resolved)', iterations, allowed);
    },
    casl(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        if (ability.can(actions[i & MIX_MASK]!, resources[i & MIX_MASK]!)) allowed++;
      }
      return expectAllowed('CASL', iterations, allowed);
    },
    oursList(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        const q = i & MIX_MASK;
        if (isAuthorized(compiled, userRoles.slice(), resources[q]!, actions[q]!).authorized) allowed++;
      }
      return expectAllowed('isAuthorized (role ids)', iterations, allowed);
    },
    oursResolvePerCheck(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        const q = i & MIX_MASK;
        if (isAuthorized(compiled, resolveRoles(compiled, userRoles.slice()), resources[q]!, actions[q]!).authorized) allowed++;
      }
      return expectAllowed('resolveRoles + isAuthorized', iterations, allowed);
    },
    caslPerCheck(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        const q = i & MIX_MASK;
        if (caslAbility(rulesByRole, userRoles.slice()).can(actions[q]!, resources[q]!)) allowed++;
      }
      return expectAllowed('CASL (ability per check)', iterations, allowed);
    },
    casbin(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        if (enforcer.enforceSync('user', resources[i & MIX_MASK]!, actions[i & MIX_MASK]!)) allowed++;
      }
      return expectAllowed('casbin', iterations, allowed);
    },
    casbinUserRules(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        if (userEnforcer.enforceSync('user', resources[i & MIX_MASK]!, actions[i & MIX_MASK]!)) allowed++;
      }
      return expectAllowed('casbin (user rules)', iterations, allowed);
    },
  };

  const slow = { roundMs: 100, warmupRounds: 1, rounds: 5 };
  const [floor, oursResolved, casl, oursList, oursResolvePerCheck, caslPerCheck, casbin, casbinUserRules] = measureAll([
    { name: 'floor: one Map.get per check', run: loops.floor },
    { name: 'isAuthorized, roles resolved once', run: loops.oursResolved },
    { name: 'CASL can(), ability built once', run: loops.casl },
    { name: 'isAuthorized, role ids per check', run: loops.oursList },
    { name: 'resolveRoles + isAuthorized per check', run: loops.oursResolvePerCheck },
    { name: 'CASL ability built + can() per check', run: loops.caslPerCheck },
    { name: 'casbin enforceSync(), all 100 roles', run: loops.casbin, options: slow },
    { name: "casbin enforceSync(), the user's 3 roles", run: loops.casbinUserRules, options: slow },
  ]) as [Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement];

  const ratio = (a: Measurement, b: Measurement) => `${(a.opsPerSecond / b.opsPerSecond).toFixed(2)}×`;
  return {
    title: `RBAC checks: ${RESOURCE_COUNT} resources × ${ACTIONS.length} actions, ${ROLE_COUNT} roles, user holds ${USER_ROLE_COUNT} roles`,
    floor,
    results: [oursResolved, casl, oursList, oursResolvePerCheck, caslPerCheck, casbin, casbinUserRules],
    notes: [
      `per subject (work for the user done once): isAuthorized(resolved) vs CASL can(): ${ratio(oursResolved, casl)} (target ≥ 2×)`,
      `per check from the role ids: isAuthorized(ids) vs CASL ability + can(): ${ratio(oursList, caslPerCheck)}; resolveRoles + isAuthorized: ${ratio(oursResolvePerCheck, caslPerCheck)}`,
      `isAuthorized(resolved) vs casbin: ${ratio(oursResolved, casbin)} (all roles), ${ratio(oursResolved, casbinUserRules)} (user's roles only)`,
      `mix: ${MIX_SIZE} fixed checks (seed ${SEED}), ${allowedPerMix} allowed, ${MIX_SIZE - allowedPerMix} denied; every engine and form agrees on every one`,
      `both sides start from the compiled policy / CASL rules per role (made once per policy); "once": resolveRoles /`,
      `createMongoAbility for the user before timing; "per check": from userRoles.slice() on every check, nothing kept`,
      `between checks; both keep per-subject work done on first use (CASL: merged rule lists per (resource, action); ours: the subject's verdicts per resource);`,
      `verdicts carry granting_roles; casbin: RBAC model, g lines for the user's roles, matcher allowing p.act "*",`,
      `timed with enforceSync() (its synchronous enforce(): no Promise per check)`,
    ],
  };
}
