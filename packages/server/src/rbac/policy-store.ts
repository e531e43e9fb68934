// The current RBAC policy of each project, compiled once per version and kept in memory. Writes
// bump the version and announce it on the change feed, which drops the stale entry in every process.
import { compilePolicy, POLICY_RULES, type CompiledPolicy, type Permission, type Policy, type PolicyKind } from '@gatehouse/policy';
import type { Clock } from '../shared/clock.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { DEFAULT_POLICIES } from './defaults.ts';

export interface PolicySnapshot {
  version: number;
  policy: Policy;
  compiled: CompiledPolicy;
  created_at: Date;
}

/**
 * Gives a project its first policy of a kind (the default one unless `policy` is given). A no-op
 * when it has one already or the project does not exist, so it can run on every cache miss.
 */
export async function insertInitialPolicy(tx: SqlExecutor, projectId: string, kind: PolicyKind, now: Date, policy: Policy = DEFAULT_POLICIES[kind]): Promise<void> {
  const { rowCount } = await tx.query(
    `INSERT INTO rbac_policy_heads (project_id, kind, version)
     SELECT project_id, $2, 1 FROM projects WHERE project_id = $1
     ON CONFLICT (project_id, kind) DO NOTHING`,
    [projectId, kind],
  );
  if (rowCount === 0) return;
  await tx.query(
    'INSERT INTO rbac_policy_versions (project_id, kind, version, policy, created_at) VALUES ($1, $2, 1, $3, $4)',
    [projectId, kind, JSON.stringify(policy), now],
  );
}

export async function readPolicyVersion(db: SqlExecutor, projectId: string, kind: PolicyKind, version?: number): Promise<PolicySnapshot | null> {
  const { rows } = await db.query<{ version: number; policy: Policy; created_at: Date }>(
    version === undefined
      ? `SELECT v.version, v.policy, v.created_at FROM rbac_policy_heads h
           JOIN rbac_policy_versions v USING (project_id, kind, version)
          WHERE h.project_id = $1 AND h.kind = $2`
      : `SELECT version, policy, created_at FROM rbac_policy_versions WHERE project_id = $1 AND kind = $2 AND version = $3`,
    version === undefined ? [projectId, kind] : [projectId, kind, version],
  );
  const row = rows[0];
  if (!row) return null;
  const policy = canonicalOrder(row.policy);
  return { version: row.version, policy, created_at: row.created_at, compiled: compilePolicy(policy, POLICY_RULES[kind]) };
}

export class PolicyStore {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  /**
   * Per kind, project_id → its policy. `version` and `value` are set once the read finished, so
   * invalidation can decide synchronously and checks can be answered without waiting.
   */
  readonly #cache: Record<PolicyKind, Map<string, { snapshot: Promise<PolicySnapshot | null>; version?: number; value?: PolicySnapshot }>> = {
    consumer: new Map(),
    b2b: new Map(),
  };

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock) {
    this.#db = db;
    this.#feed = feed;
    this.#clock = clock;
    feed.on(
      (event) => {
        if (event.type === 'policy') this.#forgetIfOlder(event.project_id, event.kind, event.version);
      },
      () => {
        this.#cache.consumer.clear();
        this.#cache.b2b.clear();
      },
    );
  }

  /**
   * The current policy, from memory unless it changed since it was last read. A project made before
   * a kind of policy existed gets that kind's default policy on first read.
   */
  async current(projectId: string, kind: PolicyKind): Promise<PolicySnapshot | null> {
    const snapshot = await this.#cached(projectId, kind);
    if (snapshot) return snapshot;
    await this.#feed.write((tx) => insertInitialPolicy(tx, projectId, kind, this.#clock.now()));
    return this.#cached(projectId, kind);
  }

  /** The current policy if a finished read of it is in memory, else undefined (then use current). */
  currentInMemory(projectId: string, kind: PolicyKind): PolicySnapshot | undefined {
    return this.#cache[kind].get(projectId)?.value;
  }

  #cached(projectId: string, kind: PolicyKind): Promise<PolicySnapshot | null> {
    const cache = this.#cache[kind];
    const cached = cache.get(projectId);
    if (cached) return cached.snapshot;
    const entry: { snapshot: Promise<PolicySnapshot | null>; version?: number; value?: PolicySnapshot } = {
      snapshot: readPolicyVersion(this.#db, projectId, kind),
    };
    cache.set(projectId, entry);
    entry.snapshot.then(
      (snapshot) => {
        if (snapshot) {
          entry.version = snapshot.version;
          entry.value = snapshot;
        }
        // "No policy" is not cached: the project may be created a moment later.
        else if (cache.get(projectId) === entry) cache.delete(projectId);
      },
      // A failed read must not stay cached.
      () => cache.get(projectId) === entry && cache.delete(projectId),
    );
    return entry.snapshot;
  }

  /**
   * The current policy as seen inside a transaction that holds the policy head lock: the cached
   * snapshot when its version is the locked one, else read within the transaction.
   */
  async currentLocked(tx: SqlExecutor, projectId: string, kind: PolicyKind, lock: 'share' | 'update'): Promise<PolicySnapshot> {
    const lockHead = () =>
      tx.query<{ version: number }>(
        `SELECT version FROM rbac_policy_heads WHERE project_id = $1 AND kind = $2 FOR ${lock === 'share' ? 'SHARE' : 'UPDATE'}`,
        [projectId, kind],
      );
    let { rows } = await lockHead();
    if (rows.length === 0) {
      await insertInitialPolicy(tx, projectId, kind, this.#clock.now());
      ({ rows } = await lockHead());
    }
    const head = rows[0];
    if (!head) throw new Error(`project ${projectId} has no ${kind} policy`);
    // Only a finished cache entry is used: starting a read on the outer database from inside a
    // transaction would deadlock PGlite, which has a single connection.
    const entry = this.#cache[kind].get(projectId);
    if (entry?.version === head.version) return (await entry.snapshot)!;
    const fresh = await readPolicyVersion(tx, projectId, kind, head.version);
    if (!fresh) throw new Error(`policy version ${head.version} of ${projectId} is missing`);
    return fresh;
  }

  #forgetIfOlder(projectId: string, kind: PolicyKind, version: number): void {
    const entry = this.#cache[kind].get(projectId);
    // A read still under way may have started before the change: drop it too.
    if (entry && (entry.version === undefined || entry.version < version)) this.#cache[kind].delete(projectId);
  }
}

/** jsonb stores keys in its own order; give them back in the API's order so exports diff cleanly in git. */
function canonicalOrder(policy: Policy): Policy {
  const permissions = (list: Permission[]) => list.map(({ resource_id, actions }) => ({ resource_id, actions }));
  return {
    resources: policy.resources.map(({ resource_id, description, actions }) => ({ resource_id, description, actions })),
    roles: policy.roles.map((role) => ({ role_id: role.role_id, description: role.description, permissions: permissions(role.permissions) })),
    scopes: policy.scopes.map((scope) => ({ scope: scope.scope, description: scope.description, permissions: permissions(scope.permissions) })),
  };
}
