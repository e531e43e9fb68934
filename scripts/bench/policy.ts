// Authorization checks per second: @gatehouse/policy's isAuthorized against @casl/ability and casbin,
// on the same generated policy and the same fixed mix of allowed and denied checks.
import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { newEnforcer, newModelFromString } from 'casbin';
import { compilePolicy, isAuthorized, validatePolicy, WILDCARD_ACTION, type Policy } from '@gatehouse/policy';
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

/** CASL rules of the user's roles; `*` becomes CASL's `manage` (any action). */
function caslAbility({ policy, userRoles }: Workload): MongoAbility<[string, string]> {
  const rules = policy.roles
    .filter((role) => userRoles.includes(role.role_id))
    .flatMap((role) => role.permissions)
    .map((permission) => ({
      action: permission.actions[0] === WILDCARD_ACTION ? 'manage' : permission.actions,
      subject: permission.resource_id,
    }));
  return createMongoAbility<[string, string]>(rules);
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
  const ability = caslAbility(workload);
  const enforcer = await casbinEnforcer(workload, false);
  const userEnforcer = await casbinEnforcer(workload, true);
  // The server's case: a new roles array for every check (isAuthorized cannot reuse its last work).
  const freshRoles = Array.from({ length: MIX_SIZE }, () => [...userRoles]);

  // Every engine must give the same answer on every check before any of them is timed.
  // allowedBefore[k]: how many of the first k checks of the mix are allowed.
  const allowedBefore = [0];
  for (let i = 0; i < MIX_SIZE; i++) {
    const ours = isAuthorized(compiled, userRoles, resources[i]!, actions[i]!).authorized;
    const casl = ability.can(actions[i]!, resources[i]!);
    const casbin = enforcer.enforceSync('user', resources[i]!, actions[i]!);
    const casbinUser = userEnforcer.enforceSync('user', resources[i]!, actions[i]!);
    if (ours !== casl || ours !== casbin || ours !== casbinUser) {
      throw new Error(
        `engines disagree on ${resources[i]}:${actions[i]}: ours ${ours}, CASL ${casl}, casbin ${casbin}/${casbinUser}`,
      );
    }
    allowedBefore.push(allowedBefore[i]! + (ours ? 1 : 0));
  }
  const allowedPerMix = allowedBefore[MIX_SIZE]!;

  const expectAllowed = (name: string, iterations: number, allowed: number): number => {
    const expected = Math.floor(iterations / MIX_SIZE) * allowedPerMix + allowedBefore[iterations % MIX_SIZE]!;
    if (allowed !== expected) throw new Error(`${name}: ${allowed} checks allowed, expected ${expected}`);
    return allowed;
  };
  const floorMap = new Map(resources.map((resourceId, i) => [resourceId, i]));
  // Each loop is its own function, so every call site in it stays monomorphic.
  const loops = {
    floor(iterations: number): number {
      let sum = 0;
      for (let i = 0; i < iterations; i++) sum += floorMap.get(resources[i & MIX_MASK]!) ?? 1;
      return sum;
    },
    ours(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        if (isAuthorized(compiled, userRoles, resources[i & MIX_MASK]!, actions[i & MIX_MASK]!).authorized) allowed++;
      }
      return expectAllowed('isAuthorized', iterations, allowed);
    },
    oursFreshRoles(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        const q = i & MIX_MASK;
        if (isAuthorized(compiled, freshRoles[q]!, resources[q]!, actions[q]!).authorized) allowed++;
      }
      return expectAllowed('isAuthorized (new array)', iterations, allowed);
    },
    casl(iterations: number): number {
      let allowed = 0;
      for (let i = 0; i < iterations; i++) {
        if (ability.can(actions[i & MIX_MASK]!, resources[i & MIX_MASK]!)) allowed++;
      }
      return expectAllowed('CASL', iterations, allowed);
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
  const [floor, ours, oursFreshRoles, casl, casbin, casbinUserRules] = measureAll([
    { name: 'floor: one Map.get per check', run: loops.floor },
    { name: '@gatehouse/policy isAuthorized', run: loops.ours },
    { name: 'isAuthorized, new roles array per check', run: loops.oursFreshRoles },
    { name: '@casl/ability can()', run: loops.casl },
    { name: 'casbin enforceSync(), all 100 roles', run: loops.casbin, options: slow },
    { name: "casbin enforceSync(), the user's 3 roles", run: loops.casbinUserRules, options: slow },
  ]) as [Measurement, Measurement, Measurement, Measurement, Measurement, Measurement];

  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  return {
    title: `RBAC checks: ${RESOURCE_COUNT} resources × ${ACTIONS.length} actions, ${ROLE_COUNT} roles, user holds ${USER_ROLE_COUNT} roles`,
    floor,
    results: [ours, oursFreshRoles, casl, casbin, casbinUserRules],
    notes: [
      `isAuthorized vs CASL: ${ratio(ours.opsPerSecond, casl.opsPerSecond)} (target ≥ 2×); with a new roles array per check: ${ratio(oursFreshRoles.opsPerSecond, casl.opsPerSecond)}`,
      `isAuthorized vs casbin: ${ratio(ours.opsPerSecond, casbin.opsPerSecond)} (all roles), ${ratio(ours.opsPerSecond, casbinUserRules.opsPerSecond)} (user's roles only)`,
      `mix: ${MIX_SIZE} fixed checks (seed ${SEED}), ${allowedPerMix} allowed, ${MIX_SIZE - allowedPerMix} denied; every engine agrees on every one`,
      `isAuthorized: the compiled 100-role policy, the user's roles as one array, verdicts with granting_roles;`,
      `CASL: an ability from the user's roles' rules, "*" as \`manage\`; casbin: RBAC model, g lines for the user's`,
      `roles, matcher allowing p.act "*", timed with enforceSync() (its synchronous enforce(): no Promise per check)`,
    ],
  };
}
