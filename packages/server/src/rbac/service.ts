// Writing and reading the RBAC policy, and answering authorization checks from the compiled policy.
// Every write goes through #write: lock the head, change a copy, validate, diff, store a new version.
import {
  compileWithCustomRoles,
  diffPolicies,
  IMPLICIT_ROLE_IDS,
  isAuthorized,
  parsePolicy,
  POLICY_RULES,
  pruneDanglingPermissions,
  resolveRoles,
  validatePolicy,
  WILDCARD_ACTION,
  type AuthorizationVerdict,
  type CompiledPolicy,
  type Permission,
  type Policy,
  type PolicyChange,
  type PolicyIssue,
  type PolicyKind,
  type ResolvedRoles,
  type Resource,
  type Role,
} from '@gatehouse/policy';
import type { AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError, isPolicyErrorType } from '../shared/errors.ts';
import { checkRoleIdCharacters } from '../shared/fields.ts';
import type { Actor } from '../projects/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import * as members from '../members/repository.ts';
import * as organizations from '../organizations/repository.ts';
import * as users from '../users/repository.ts';
import { withBuiltInResources } from './defaults.ts';
import { PolicyStore, type PolicySnapshot } from './policy-store.ts';

export interface PolicyWriteOptions {
  /** Remove what depends on the removed parts (permissions, role assignments) instead of refusing. */
  cascade?: boolean;
  /** Validate and report the changes without writing anything. */
  dryRun?: boolean;
  /** Who makes the change: the audit log records it with the policy before and after. */
  actor: Actor;
  /** How the audit log names the change (a rollback is a write like any other). */
  auditAction?: 'policy.updated' | 'policy.rolled_back';
}

export interface PolicyWriteResult {
  version: number;
  policy: Policy;
  changes: PolicyChange[];
  /** Explicit assignments removed (or, on a dry run, that would be) because their role was removed. */
  revoked_assignments: { role_id: string; count: number }[];
  written: boolean;
}

export function policyValidationError(issues: PolicyIssue[]): GatehouseError {
  const first = issues[0];
  const code = first && isPolicyErrorType(first.code) ? first.code : 'invalid_policy_format';
  return new GatehouseError(code, { params: { issues }, details: { issues } });
}

export class RbacService {
  readonly store: PolicyStore;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  /** Project policy + an organization's custom roles, compiled once per pair of versions. */
  readonly #withCustomRoles = new WeakMap<CompiledPolicy, WeakMap<readonly Role[], CompiledPolicy>>();

  constructor(db: SqlExecutor, feed: ChangeFeed, clock: Clock, audit: AuditLog) {
    this.store = new PolicyStore(db, feed, clock);
    this.#feed = feed;
    this.#clock = clock;
    this.#audit = audit;
  }

  async getPolicy(projectId: string, kind: PolicyKind): Promise<PolicySnapshot> {
    const snapshot = await this.store.current(projectId, kind);
    if (!snapshot) throw new Error(`project ${projectId} has no ${kind} policy`);
    return snapshot;
  }

  /**
   * Answers "may these roles do `action` on `resourceId`?" from the cached compiled policy. A caller
   * that checks the same subject again and again (the session cache) passes a `subject` memo: the
   * roles are then resolved once per compiled policy instead of on every check.
   */
  async authorize(
    projectId: string,
    kind: PolicyKind,
    roles: readonly string[],
    resourceId: string,
    action: string,
    subject?: { resolved?: ResolvedRoles },
    customRoles?: readonly Role[],
  ): Promise<AuthorizationVerdict> {
    return verdictOf(await this.compiled(projectId, kind, customRoles), roles, resourceId, action, subject);
  }

  /**
   * authorize without waiting, from a project policy already in memory (no custom roles); undefined
   * when the policy must be read first (then call authorize).
   */
  authorizeInMemory(
    projectId: string,
    kind: PolicyKind,
    roles: readonly string[],
    resourceId: string,
    action: string,
    subject?: { resolved?: ResolvedRoles },
  ): AuthorizationVerdict | undefined {
    const snapshot = this.store.currentInMemory(projectId, kind);
    return snapshot && verdictOf(snapshot.compiled, roles, resourceId, action, subject);
  }

  /**
   * The compiled policy that decides for a principal: the project's, plus the organization's custom
   * roles for a B2B member of an organization that has some. `customRoles` must be a stable array
   * (the cached organization's): the combination is cached on its identity.
   */
  async compiled(projectId: string, kind: PolicyKind, customRoles?: readonly Role[]): Promise<CompiledPolicy> {
    const snapshot = await this.getPolicy(projectId, kind);
    if (!customRoles || customRoles.length === 0) return snapshot.compiled;
    let byRoles = this.#withCustomRoles.get(snapshot.compiled);
    if (!byRoles) this.#withCustomRoles.set(snapshot.compiled, (byRoles = new WeakMap()));
    let compiled = byRoles.get(customRoles);
    if (!compiled) {
      compiled = compileWithCustomRoles(snapshot.policy, customRoles, POLICY_RULES[kind]);
      byRoles.set(customRoles, compiled);
    }
    return compiled;
  }

  /**
   * Checks roles for explicit assignment against the policy that a transaction holds locked, so a
   * concurrent policy write cannot remove a role between the check and the assignment.
   */
  async checkAssignableRoles(tx: SqlExecutor, projectId: string, kind: PolicyKind, roles: readonly string[], customRoles: readonly Role[] = []): Promise<void> {
    checkRoleIdCharacters(roles);
    const snapshot = await this.store.currentLocked(tx, projectId, kind, 'share');
    const implicit = IMPLICIT_ROLE_IDS[kind];
    const defaults = implicit.filter((role) => roles.includes(role));
    if (defaults.length > 0) {
      throw new GatehouseError('cannot_assign_default_rbac_role_id', { params: { role_ids: defaults.join(', ') } });
    }
    const known = new Set([...snapshot.policy.roles, ...customRoles].map((role) => role.role_id));
    const unknown = roles.filter((role) => !known.has(role));
    if (unknown.length > 0) {
      throw new GatehouseError('unknown_rbac_role_ids', {
        params: { role_ids: unknown.map((role) => `"${role}"`).join(', ') },
        details: { unknown_role_ids: unknown },
      });
    }
  }

  replacePolicy(projectId: string, kind: PolicyKind, input: unknown, options: PolicyWriteOptions): Promise<PolicyWriteResult> {
    const parsed = parsePolicy(input, POLICY_RULES[kind]);
    if (!parsed.ok) throw policyValidationError(parsed.issues);
    return this.#write(projectId, kind, () => parsed.policy, options);
  }

  createResource(projectId: string, kind: PolicyKind, resource: Resource, options: PolicyWriteOptions) {
    return this.#write(projectId, kind, (policy) => {
      if (policy.resources.some((existing) => existing.resource_id === resource.resource_id)) {
        throw new GatehouseError('rbac_resource_already_exists', { params: { resource_id: resource.resource_id } });
      }
      policy.resources.push(resource);
      return policy;
    }, options);
  }

  updateResource(projectId: string, kind: PolicyKind, resourceId: string, update: Partial<Omit<Resource, 'resource_id'>>, options: PolicyWriteOptions) {
    return this.#write(projectId, kind, (policy) => {
      const resource = requireResource(policy, resourceId, kind);
      if (update.description !== undefined) resource.description = update.description;
      if (update.actions !== undefined) {
        const kept = new Set(update.actions);
        const removed = resource.actions.filter((action) => !kept.has(action));
        const users = rolesUsing(policy, resourceId, removed);
        if (users.length > 0 && !options.cascade) {
          throw new GatehouseError('rbac_action_in_use', {
            params: { actions: removed.map((a) => `"${a}"`).join(', '), resource_id: resourceId, role_ids: users.join(', ') },
            details: { roles: users },
          });
        }
        resource.actions = update.actions;
      }
      return policy;
    }, options);
  }

  deleteResource(projectId: string, kind: PolicyKind, resourceId: string, options: PolicyWriteOptions) {
    return this.#write(projectId, kind, (policy) => {
      requireResource(policy, resourceId, kind);
      const users = rolesUsing(policy, resourceId);
      if (users.length > 0 && !options.cascade) {
        throw new GatehouseError('rbac_resource_in_use', {
          params: { resource_id: resourceId, role_ids: users.join(', ') },
          details: { roles: users },
        });
      }
      policy.resources = policy.resources.filter((resource) => resource.resource_id !== resourceId);
      return policy;
    }, options);
  }

  createRole(projectId: string, kind: PolicyKind, role: Role, options: PolicyWriteOptions) {
    return this.#write(projectId, kind, (policy) => {
      if (policy.roles.some((existing) => existing.role_id === role.role_id)) {
        throw new GatehouseError('rbac_role_already_exists', { params: { role_id: role.role_id } });
      }
      policy.roles.push(role);
      return policy;
    }, options);
  }

  updateRole(projectId: string, kind: PolicyKind, roleId: string, update: Partial<Omit<Role, 'role_id'>>, options: PolicyWriteOptions) {
    return this.#write(projectId, kind, (policy) => {
      const role = requireRole(policy, roleId);
      if (update.description !== undefined) role.description = update.description;
      if (update.permissions !== undefined) role.permissions = update.permissions;
      return policy;
    }, options);
  }

  deleteRole(projectId: string, kind: PolicyKind, roleId: string, options: PolicyWriteOptions) {
    return this.#write(projectId, kind, (policy) => {
      requireRole(policy, roleId);
      // Removing a default role is refused by validation, with the message that explains why.
      policy.roles = policy.roles.filter((role) => role.role_id !== roleId);
      return policy;
    }, options);
  }

  async #write(projectId: string, kind: PolicyKind, change: (policy: Policy) => Policy, options: PolicyWriteOptions): Promise<PolicyWriteResult> {
    const rules = POLICY_RULES[kind];
    return this.#feed.write(async (tx, emit) => {
      const current = await this.store.currentLocked(tx, projectId, kind, 'update');
      let next = withBuiltInResources(kind, change(structuredClone(current.policy)));
      if (options.cascade) next = pruneDanglingPermissions(next, rules).policy;
      const validation = validatePolicy(next, rules);
      if (!validation.valid) throw policyValidationError(validation.issues);

      const customRoleUpdates = kind === 'b2b' ? await fitOrganizationCustomRoles(tx, projectId, next, options.cascade ?? false) : [];

      const changes = diffPolicies(current.policy, next);
      const removedRoles = changes.flatMap((c) => (c.type === 'role_removed' ? [c.role.role_id] : []));
      const revoked = await countAssignments(tx, projectId, kind, removedRoles);
      if (revoked.length > 0 && !options.cascade) {
        throw new GatehouseError('rbac_role_in_use', {
          params: { assignments: revoked.map((r) => `"${r.role_id}" (held by ${r.count} ${kind === 'b2b' ? 'member' : 'user'}${r.count === 1 ? '' : 's'})`).join(', ') },
          details: { assignments: revoked },
        });
      }
      if (options.dryRun || changes.length === 0) {
        return { version: current.version, policy: options.dryRun ? next : current.policy, changes, revoked_assignments: revoked, written: false };
      }
      if (revoked.length > 0) {
        for (const removeAssignments of ASSIGNMENT_REMOVERS[kind]) await removeAssignments(tx, projectId, removedRoles);
      }
      const { actor } = options;
      for (const update of customRoleUpdates) {
        await organizations.setCustomRoles(tx, update.organization_id, update.roles, this.#clock.now());
        await this.#audit.record(tx, { project_id: projectId, actor, action: 'organization_roles.updated', target_type: 'organization',
          target_id: update.organization_id, organization_id: update.organization_id, before: { custom_roles: update.before }, after: { custom_roles: update.roles } });
      }
      const version = current.version + 1;
      await tx.query(
        'INSERT INTO rbac_policy_versions (project_id, kind, version, policy, created_at) VALUES ($1, $2, $3, $4, $5)',
        [projectId, kind, version, JSON.stringify(next), this.#clock.now()],
      );
      await tx.query('UPDATE rbac_policy_heads SET version = $3 WHERE project_id = $1 AND kind = $2', [projectId, kind, version]);
      // Assignments a cascade removed are named by count: the policy history says when each role went.
      await this.#audit.record(tx, { project_id: projectId, actor, action: options.auditAction ?? 'policy.updated', target_type: 'policy', target_id: kind,
        before: { version: current.version, policy: current.policy },
        after: { version, policy: next, ...(revoked.length > 0 ? { revoked_assignments: revoked } : {}) } });
      emit({ type: 'policy', project_id: projectId, kind, version });
      return { version, policy: next, changes, revoked_assignments: revoked, written: true };
    });
  }
}

/** Where each kind keeps assignments of policy roles: explicit ones, and B2B email-domain rules. */
const ASSIGNMENT_TABLES: Record<PolicyKind, string[]> = {
  consumer: ['user_roles'],
  b2b: ['member_roles', 'organization_email_role_rules'],
};

/** What removes a cascade's assignments from those tables: each table's owner, in this transaction. */
const ASSIGNMENT_REMOVERS: Record<PolicyKind, Array<(tx: SqlExecutor, projectId: string, roleIds: string[]) => Promise<void>>> = {
  consumer: [users.removeRoleAssignments],
  b2b: [members.removeRoleAssignments, organizations.removeEmailRoleRules],
};

/**
 * Organizations' custom roles must keep fitting the B2B policy that `next` would be: no project role
 * may take one's id, and their permissions may name only what it declares. A permission left
 * dangling is refused, or with `cascade` pruned (the updates to write are returned). Writers of
 * custom roles hold the policy head before the organization row, as this does, so the two cannot
 * deadlock.
 */
async function fitOrganizationCustomRoles(tx: SqlExecutor, projectId: string, next: Policy, cascade: boolean) {
  const { rows } = await tx.query<{ organization_id: string; custom_roles: Role[] }>(
    `SELECT organization_id, custom_roles FROM organizations
      WHERE project_id = $1 AND jsonb_array_length(custom_roles) > 0 ORDER BY organization_id`,
    [projectId],
  );
  const projectRoles = new Set(next.roles.map((role) => role.role_id));
  const declared = new Set(next.resources.map((resource) => resource.resource_id));
  const updates: { organization_id: string; roles: Role[]; before: Role[] }[] = [];
  for (const { organization_id, custom_roles } of rows) {
    const clash = custom_roles.find((role) => projectRoles.has(role.role_id));
    if (clash) {
      throw new GatehouseError('rbac_role_is_custom_role', { params: { role_id: clash.role_id, organization_id } });
    }
    const pruned = pruneDanglingPermissions({ resources: next.resources, roles: custom_roles, scopes: [] }, POLICY_RULES.b2b);
    if (pruned.removed.length === 0) continue;
    if (!cascade) {
      const lost = pruned.removed.flatMap((change) => (change.type === 'permission_revoked' ? [change] : []));
      const resourceGone = lost.some((change) => !declared.has(change.resource_id));
      const what = [...new Set(lost.map((change) => `${change.role_id} (${change.resource_id}:${change.action})`))].join(', ');
      throw new GatehouseError(resourceGone ? 'rbac_resource_in_use_by_custom_role' : 'rbac_action_in_use_by_custom_role', {
        params: { roles: what, organization_id },
        details: { organization_id, changes: lost },
      });
    }
    updates.push({ organization_id, roles: pruned.policy.roles, before: custom_roles });
  }
  return updates;
}

async function countAssignments(tx: SqlExecutor, projectId: string, kind: PolicyKind, roleIds: string[]) {
  if (roleIds.length === 0) return [];
  const union = ASSIGNMENT_TABLES[kind].map((table) => `SELECT role_id FROM ${table} WHERE project_id = $1 AND role_id = ANY($2)`).join(' UNION ALL ');
  const { rows } = await tx.query<{ role_id: string; count: number }>(
    `SELECT role_id, count(*)::int AS count FROM (${union}) a GROUP BY role_id ORDER BY role_id`,
    [projectId, roleIds],
  );
  return rows;
}

/** A resource the API may change: it exists and is not built in. */
function requireResource(policy: Policy, resourceId: string, kind: PolicyKind): Resource {
  if (POLICY_RULES[kind].builtInResources?.some((r) => r.resource_id === resourceId)) {
    throw new GatehouseError('built_in_resource_read_only', { params: { resource_id: resourceId } });
  }
  const resource = policy.resources.find((r) => r.resource_id === resourceId);
  if (!resource) throw new GatehouseError('rbac_resource_not_found', { params: { resource_id: resourceId } });
  return resource;
}

function requireRole(policy: Policy, roleId: string): Role {
  const role = policy.roles.find((r) => r.role_id === roleId);
  if (!role) throw new GatehouseError('rbac_role_not_found', { params: { role_id: roleId } });
  return role;
}

/** Roles with a permission on `resourceId` (naming one of `actions` by name, when given). */
function rolesUsing(policy: Policy, resourceId: string, actions?: string[]): string[] {
  const uses = (permission: Permission) =>
    permission.resource_id === resourceId &&
    (actions === undefined || permission.actions.some((action) => action !== WILDCARD_ACTION && actions.includes(action)));
  return policy.roles.filter((role) => role.permissions.some(uses)).map((role) => role.role_id);
}

/** The verdict from a compiled policy, with the subject's roles resolved once per policy (see authorize). */
function verdictOf(
  compiled: CompiledPolicy,
  roles: readonly string[],
  resourceId: string,
  action: string,
  subject: { resolved?: ResolvedRoles } | undefined,
): AuthorizationVerdict {
  let resolved = subject?.resolved;
  if (resolved?.policy !== compiled) {
    resolved = resolveRoles(compiled, roles);
    if (subject) subject.resolved = resolved;
  }
  return isAuthorized(compiled, resolved, resourceId, action);
}
