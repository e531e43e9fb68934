// The impact preview: what a policy replacement would change for people, before it is saved. The
// new policy goes through the write path as a dry run (same validation, same refusals, same
// cascade, nothing written); the policy engine then works out each role's effective change, and
// the holders of the changed roles are listed with what they gain and lose overall — a member who
// loses an action through one role but keeps it through another loses nothing.
import {
  compilePolicy,
  groupPolicyChanges,
  IMPLICIT_ROLE_IDS,
  isEmptyDelta,
  permissionDelta,
  POLICY_RULES,
  pruneDanglingPermissions,
  rolePermissionChanges,
  type CompiledPolicy,
  type Policy,
  type PolicyKind,
  type Role,
  type RolePermissionChange,
} from '@gatehouse/policy';
import type { SqlExecutor } from '../store/database.ts';
import { readPolicyVersion } from './policy-store.ts';
import type { PolicyWriteOptions, RbacService } from './service.ts';
import { wireSubject, type Subject, type SubjectDirectory } from './subjects.ts';

/** Holders listed at most; the totals count them all. */
export const IMPACT_SUBJECT_LIMIT = 100;

/** An organization's custom roles, and the project policy with them before and after. */
interface OrganizationPolicies {
  roles: Role[];
  before: CompiledPolicy;
  after: CompiledPolicy;
}

export class ImpactPreview {
  readonly #db: SqlExecutor;
  readonly #rbac: RbacService;
  readonly #subjects: SubjectDirectory;

  constructor(deps: { db: SqlExecutor; rbac: RbacService; subjects: SubjectDirectory }) {
    this.#db = deps.db;
    this.#rbac = deps.rbac;
    this.#subjects = deps.subjects;
  }

  async preview(projectId: string, kind: PolicyKind, input: unknown, options: PolicyWriteOptions, limit = IMPACT_SUBJECT_LIMIT) {
    const dry = await this.#rbac.replacePolicy(projectId, kind, input, { ...options, dryRun: true });
    // The version the dry run was checked against, so before and after are one write apart.
    const current = await readPolicyVersion(this.#db, projectId, kind, dry.version);
    if (!current) throw new Error(`policy version ${dry.version} of ${projectId} is missing`);
    const before = current.compiled;
    const after = compilePolicy(dry.policy, POLICY_RULES[kind]);

    const roleChanges: (RolePermissionChange & { organization_id?: string })[] = rolePermissionChanges(before, after);
    const organizations = kind === 'b2b' ? await this.#customRolePolicies(projectId, current.policy, dry.policy) : new Map<string, OrganizationPolicies>();
    // Custom roles change only through the project policy: a `*` meeting a new action, a pruned permission.
    const customChanges = new Map<string, Set<string>>();
    for (const [organizationId, { before: was, after: is, roles }] of organizations) {
      for (const role of roles) {
        const delta = permissionDelta(was, is, [role.role_id]);
        if (isEmptyDelta(delta)) continue;
        roleChanges.push({ role_id: role.role_id, organization_id: organizationId, ...delta });
        let changed = customChanges.get(organizationId);
        if (!changed) customChanges.set(organizationId, (changed = new Set()));
        changed.add(role.role_id);
      }
    }

    const defaultRoleId = IMPLICIT_ROLE_IDS[kind][0]!;
    const defaultChange = roleChanges.find((change) => change.role_id === defaultRoleId && change.organization_id === undefined);
    const projectChanged = new Set(roleChanges.flatMap((change) => (change.organization_id === undefined && change.role_id !== defaultRoleId ? [change.role_id] : [])));
    const holders = await this.#subjects.find(projectId, kind, {
      role_ids: [...new Set([...projectChanged, ...[...customChanges.values()].flatMap((set) => [...set])])],
      limit,
      count: true,
    });
    // When the default role changes, everyone is affected: counted, not listed.
    const everyone = defaultChange ? (await this.#subjects.find(projectId, kind, { role_ids: [defaultRoleId], limit: 0, count: true })).total! : null;

    const changedFor = (subject: Subject, roleId: string) =>
      projectChanged.has(roleId) || (subject.organization_id !== undefined && customChanges.get(subject.organization_id)?.has(roleId) === true);
    const subjects = holders.subjects.map((subject) => {
      const policies = subject.organization_id !== undefined ? organizations.get(subject.organization_id) : undefined;
      const delta = permissionDelta(policies?.before ?? before, policies?.after ?? after, subject.roles.map((role) => role.role_id));
      return { ...wireSubject(kind, subject), via: subject.roles.filter((role) => changedFor(subject, role.role_id)), ...delta };
    });
    const plural = kind === 'consumer' ? 'users' : 'members';
    return {
      policy_version: current.version,
      diff: groupPolicyChanges(dry.changes),
      revoked_assignments: dry.revoked_assignments,
      changes: roleChanges,
      default_role: defaultChange ? { role_id: defaultRoleId, gained: defaultChange.gained, lost: defaultChange.lost, [plural]: everyone } : null,
      subjects: { [plural]: subjects },
      totals: { [plural]: everyone ?? holders.total ?? 0 },
      truncated: holders.more,
    };
  }

  /**
   * Each organization with custom roles: the project policy plus its custom roles, before and after
   * (custom permissions the new policy leaves dangling pruned, as the write's cascade does; without
   * cascade the dry run has refused already).
   */
  async #customRolePolicies(projectId: string, before: Policy, after: Policy) {
    const { rows } = await this.#db.query<{ organization_id: string; custom_roles: Role[] }>(
      `SELECT organization_id, custom_roles FROM organizations
        WHERE project_id = $1 AND jsonb_array_length(custom_roles) > 0 ORDER BY organization_id`,
      [projectId],
    );
    const rules = POLICY_RULES.b2b;
    const policies = new Map<string, OrganizationPolicies>();
    for (const { organization_id, custom_roles } of rows) {
      const kept = pruneDanglingPermissions({ resources: after.resources, roles: custom_roles, scopes: [] }, rules).policy.roles;
      policies.set(organization_id, {
        before: compilePolicy({ ...before, roles: [...before.roles, ...custom_roles] }, rules),
        after: compilePolicy({ ...after, roles: [...after.roles, ...kept] }, rules),
        roles: custom_roles,
      });
    }
    return policies;
  }
}
