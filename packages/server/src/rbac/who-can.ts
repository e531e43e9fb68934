// "Who can do X?": the roles that grant an action on a resource, and every user or member holding
// one, with the granting roles and where each comes from. The roles are asked of the policy engine
// itself (isAuthorized with every role), so the answer is the check's answer. In B2B an
// organization's custom roles count only for its own members.
import { createHash } from 'node:crypto';
import { isAuthorized, WILDCARD_ACTION, type CompiledPolicy, type PolicyKind, type Role } from '@gatehouse/policy';
import { GatehouseError } from '../shared/errors.ts';
import { isId } from '../shared/ids.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { SearchCursors } from '../search/query.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { RbacService } from './service.ts';
import { wireSubject, type Subject, type SubjectDirectory, type SubjectRole } from './subjects.ts';

export interface WhoCanQuery {
  resource_id: string;
  action: string;
  /** B2B: members of this organization only (and its custom roles). */
  organization_id?: string;
  limit: number;
  cursor?: string;
}

export interface GrantingRole {
  role_id: string;
  /** Whether the role names the action itself or grants it through `*`. */
  via: 'action' | '*';
  /** A custom role of this organization. */
  organization_id?: string;
}

const cursors = {
  consumer: new SearchCursors('rbac_invalid_cursor', (id) => isId('user', id)),
  b2b: new SearchCursors('rbac_invalid_cursor', (id) => isId('member', id)),
};

/** The roles among `roles` that `compiled` lets take the action, each with how. */
function grantingRoles(compiled: CompiledPolicy, roles: readonly Role[], resourceId: string, action: string, organizationId?: string): GrantingRole[] {
  const granting = new Set(isAuthorized(compiled, roles.map((role) => role.role_id), resourceId, action).granting_roles);
  return roles
    .filter((role) => granting.has(role.role_id))
    .map((role) => {
      const names = role.permissions.some((p) => p.resource_id === resourceId && p.actions.includes(action) && action !== WILDCARD_ACTION);
      return { role_id: role.role_id, via: names ? 'action' : '*', ...(organizationId ? { organization_id: organizationId } : {}) };
    });
}

export class WhoCan {
  readonly #db: SqlExecutor;
  readonly #rbac: RbacService;
  readonly #organizations: OrganizationService;
  readonly #subjects: SubjectDirectory;

  constructor(deps: { db: SqlExecutor; rbac: RbacService; organizations: OrganizationService; subjects: SubjectDirectory }) {
    this.#db = deps.db;
    this.#rbac = deps.rbac;
    this.#organizations = deps.organizations;
    this.#subjects = deps.subjects;
  }

  async answer(projectId: string, kind: PolicyKind, query: WhoCanQuery) {
    const { resource_id: resourceId, action } = query;
    const snapshot = await this.#rbac.getPolicy(projectId, kind);
    const resource = snapshot.compiled.resources.get(resourceId);
    if (!resource) {
      throw new GatehouseError('undeclared_rbac_resource', { params: { resource_id: resourceId, policy: kind === 'b2b' ? 'B2B' : 'consumer' } });
    }
    if (!resource.actions.includes(action)) {
      throw new GatehouseError('undeclared_rbac_action', { params: { resource_id: resourceId, action, actions: resource.actions.map((a) => `"${a}"`).join(', ') } });
    }
    const organizations = kind === 'b2b' ? await this.#organizationsWithCustomRoles(projectId, query.organization_id) : [];
    const roles = grantingRoles(snapshot.compiled, snapshot.policy.roles, resourceId, action);
    for (const organization of organizations) {
      const compiled = await this.#rbac.compiled(projectId, kind, organization.custom_roles);
      roles.push(...grantingRoles(compiled, organization.custom_roles, resourceId, action, organization.organization_id));
    }

    // Subjects holding any granting role: the SQL finds them by role id, and the check on each one's
    // own roles (with its organization's custom roles) confirms it — a custom role id may grant in
    // one organization and not in another, so a page is filled until it is full or none are left.
    const queryKey = createHash('sha256').update(JSON.stringify([kind, resourceId, action, query.organization_id ?? null])).digest('base64url').slice(0, 12);
    let after = query.cursor ? cursors[kind].decode(query.cursor, queryKey) : null;
    const roleIds = [...new Set(roles.map((role) => role.role_id))];
    const exact = roles.every((role) => role.organization_id === undefined);
    const found: { subject: Subject; via: SubjectRole[] }[] = [];
    let total: number | null = null;
    for (let more = true; more && found.length <= query.limit; ) {
      const page = await this.#subjects.find(projectId, kind, {
        role_ids: roleIds,
        organization_id: query.organization_id,
        after,
        limit: query.limit + 1,
        count: exact && total === null,
      });
      total ??= page.total;
      for (const subject of page.subjects) {
        const compiled = subject.custom_roles.length > 0 ? await this.#rbac.compiled(projectId, kind, subject.custom_roles) : snapshot.compiled;
        const verdict = isAuthorized(compiled, subject.roles.map((role) => role.role_id), resourceId, action);
        if (verdict.authorized) found.push({ subject, via: subject.roles.filter((role) => verdict.granting_roles.includes(role.role_id)) });
      }
      const last = page.subjects[page.subjects.length - 1];
      if (last) after = { created_at: last.created_at.toISOString(), id: last.id };
      more = page.more;
    }
    const results = found.slice(0, query.limit);
    const last = results[results.length - 1]?.subject;
    return {
      resource_id: resourceId,
      action,
      policy_version: snapshot.version,
      roles,
      [kind === 'consumer' ? 'users' : 'members']: results.map(({ subject, via }) => ({ ...wireSubject(kind, subject), via })),
      next_cursor: found.length > query.limit && last ? cursors[kind].encode(last, last.id, queryKey) : null,
      // Null when custom roles grant: the count by role id would then be an upper bound, not the answer.
      total,
    };
  }

  /** The organization asked about (checked to be the project's), or every one with custom roles. */
  async #organizationsWithCustomRoles(projectId: string, organizationId: string | undefined): Promise<OrganizationRecord[]> {
    if (organizationId !== undefined) {
      const organization = await this.#organizations.requireOrganization(projectId, organizationId);
      return organization.custom_roles.length > 0 ? [organization] : [];
    }
    const { rows } = await this.#db.query<{ organization_id: string }>(
      `SELECT organization_id FROM organizations WHERE project_id = $1 AND jsonb_array_length(custom_roles) > 0 ORDER BY organization_id`,
      [projectId],
    );
    return this.#organizations.requireOrganizations(projectId, rows.map((row) => row.organization_id));
  }
}
