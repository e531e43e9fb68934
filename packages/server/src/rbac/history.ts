// Policy history: every version a write made is kept in rbac_policy_versions (a write never changes
// one), so the history is read straight from there — listed newest first with what each changed,
// one version read back, two versions compared. A rollback is an ordinary write of an old version's
// document (history-routes.ts), so it is validated and announced like any other.
import { diffPolicies, groupPolicyChanges, type Policy, type PolicyChange, type PolicyKind } from '@gatehouse/policy';
import { formatTimestamp } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { SqlExecutor } from '../store/database.ts';
import { readPolicyVersion, type PolicySnapshot } from './policy-store.ts';

export const VERSIONS_DEFAULT_LIMIT = 20;
export const VERSIONS_MAX_LIMIT = 100;

const EMPTY_POLICY: Policy = { resources: [], roles: [], scopes: [] };

/** Ids added, removed and changed, from diffPolicies' changes. */
export interface ChangedIds {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface VersionSummary {
  resource_count: number;
  role_count: number;
  /** Against the version before it; the first version counts everything as added. */
  resources: ChangedIds;
  roles: ChangedIds;
}

export interface VersionEntry {
  version: number;
  created_at: string;
  summary: VersionSummary;
}

export function summarizeVersion(policy: Policy, changes: readonly PolicyChange[]): VersionSummary {
  const diff = groupPolicyChanges(changes);
  return {
    resource_count: policy.resources.length,
    role_count: policy.roles.length,
    resources: {
      added: diff.resources.added.map((resource) => resource.resource_id),
      removed: diff.resources.removed.map((resource) => resource.resource_id),
      changed: diff.resources.changed.map((resource) => resource.resource_id),
    },
    roles: {
      added: diff.roles.added.map((role) => role.role_id),
      removed: diff.roles.removed.map((role) => role.role_id),
      changed: diff.roles.changed.map((role) => role.role_id),
    },
  };
}

/** A version number from a path or query string: a whole number from 1. */
export function parseVersion(value: string | undefined, name: string): number {
  const version = value !== undefined && /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(version) || version > 2 ** 31 - 1) {
    throw new GatehouseError('invalid_policy_version_argument', { params: { field: name } });
  }
  return version;
}

export async function requirePolicyVersion(db: SqlExecutor, projectId: string, kind: PolicyKind, version: number): Promise<PolicySnapshot> {
  const snapshot = await readPolicyVersion(db, projectId, kind, version);
  if (!snapshot) throw new GatehouseError('rbac_policy_version_not_found', { params: { policy: kind === 'b2b' ? 'B2B' : 'consumer', version } });
  return snapshot;
}

/**
 * A page of versions, newest first, each summarized against the one before it. `before`: a
 * version number from a previous page's next_cursor; the page starts below it.
 */
export async function listPolicyVersions(
  db: SqlExecutor,
  projectId: string,
  kind: PolicyKind,
  page: { limit: number; before?: number },
): Promise<{ versions: VersionEntry[]; next_cursor: string | null }> {
  // One row more than the page: it tells whether there is a next page and is the last entry's predecessor.
  const { rows } = await db.query<{ version: number; policy: Policy; created_at: Date }>(
    `SELECT version, policy, created_at FROM rbac_policy_versions
      WHERE project_id = $1 AND kind = $2 AND version < $3 ORDER BY version DESC LIMIT ${page.limit + 1}`,
    [projectId, kind, page.before ?? 2 ** 31 - 1],
  );
  const entries = rows.slice(0, page.limit);
  const last = entries[entries.length - 1];
  const versions = entries.map((row, i) => {
    // Versions run 1, 2, 3…: the row after this one is its predecessor; version 1 has none.
    const before = rows[i + 1]?.policy ?? EMPTY_POLICY;
    return { version: row.version, created_at: formatTimestamp(row.created_at), summary: summarizeVersion(row.policy, diffPolicies(before, row.policy)) };
  });
  return { versions, next_cursor: rows.length > page.limit && last ? String(last.version) : null };
}
