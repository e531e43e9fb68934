// The users and members who hold some roles, a page at a time in creation order, each with every
// role it holds and where that role comes from — for the impact preview and "who can". Holding is
// worked out as everywhere else: a user's explicit roles plus stytch_user; a member's roles by
// members/roles.ts, found in SQL by the member search's own role-holder condition.
import { IMPLICIT_ROLE_IDS, type PolicyKind, type Role } from '@gatehouse/policy';
import { memberRoles, type RoleSource } from '../members/roles.ts';
import { roleHoldersSql, SELECT_MEMBERS } from '../members/sql.ts';
import type { MemberRecord } from '../members/service.ts';
import type { OrganizationService } from '../organizations/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import { compileUserSearch } from '../users/search.ts';

/** Member role sources, plus the default role every user or member holds without an assignment. */
export type SubjectRoleSource = RoleSource | { type: 'default_role'; details: Record<string, never> };

export interface SubjectRole {
  role_id: string;
  sources: SubjectRoleSource[];
}

export interface Subject {
  /** user_id or member_id. */
  id: string;
  email: string;
  /** B2B: the member's organization. */
  organization_id?: string;
  created_at: Date;
  roles: SubjectRole[];
  /** B2B: the organization's custom roles, which count for this member only. */
  custom_roles: readonly Role[];
}

export interface SubjectQuery {
  /** Subjects holding any of these roles; every subject when one is the default role. */
  role_ids: readonly string[];
  /** B2B: only members of this organization. */
  organization_id?: string;
  /** Keyset: the subject to continue after (its created_at and id). */
  after?: { created_at: string; id: string } | null;
  limit: number;
  /** Also count every match (one more query). */
  count?: boolean;
}

export interface SubjectPage {
  subjects: Subject[];
  /** More subjects match after the last one returned. */
  more: boolean;
  total: number | null;
}

const DEFAULT_ROLE_SOURCE: SubjectRoleSource = { type: 'default_role', details: {} };

/** The subject as it appears in an answer: user_id, or member_id and organization_id, and email. */
export function wireSubject(kind: PolicyKind, subject: Subject) {
  return kind === 'consumer'
    ? { user_id: subject.id, email: subject.email }
    : { member_id: subject.id, email: subject.email, organization_id: subject.organization_id! };
}

export class SubjectDirectory {
  readonly #db: SqlExecutor;
  readonly #organizations: OrganizationService;

  constructor(db: SqlExecutor, organizations: OrganizationService) {
    this.#db = db;
    this.#organizations = organizations;
  }

  find(projectId: string, kind: PolicyKind, query: SubjectQuery): Promise<SubjectPage> {
    if (query.role_ids.length === 0) return Promise.resolve({ subjects: [], more: false, total: query.count ? 0 : null });
    return kind === 'consumer' ? this.#users(projectId, query) : this.#members(projectId, query);
  }

  async #users(projectId: string, query: SubjectQuery): Promise<SubjectPage> {
    // The user search's own role filter (TRUE for stytch_user).
    const filter = compileUserSearch({ operator: 'AND', operands: [{ filter_name: 'roles', filter_value: [...query.role_ids] }] }, 2);
    const where = `u.project_id = $1 AND (${filter.sql})`;
    const params = [projectId, ...filter.params];
    const [{ rows }, total] = await Promise.all([
      this.#db.query<{ user_id: string; created_at: Date; email: string | null; explicit_roles: string[] }>(
        `SELECT u.user_id, u.created_at,
                (SELECT e.email FROM user_emails e WHERE e.user_id = u.user_id ORDER BY e.created_at, e.email_id LIMIT 1) AS email,
                COALESCE((SELECT array_agg(r.role_id ORDER BY r.role_id) FROM user_roles r WHERE r.user_id = u.user_id), '{}') AS explicit_roles
           FROM users u WHERE ${keyset(where, 'u', 'user_id', params, query.after)} ORDER BY u.created_at, u.user_id LIMIT ${query.limit + 1}`,
        params,
      ),
      query.count ? this.#count(`SELECT count(*)::int AS total FROM users u WHERE ${where}`, [projectId, ...filter.params]) : null,
    ]);
    const subjects = rows.slice(0, query.limit).map((row): Subject => ({
      id: row.user_id,
      email: row.email ?? '',
      created_at: row.created_at,
      roles: [
        { role_id: IMPLICIT_ROLE_IDS.consumer[0]!, sources: [DEFAULT_ROLE_SOURCE] },
        ...row.explicit_roles.map((role_id): SubjectRole => ({ role_id, sources: [{ type: 'direct_assignment', details: {} }] })),
      ],
      custom_roles: [],
    }));
    return { subjects, more: rows.length > query.limit, total };
  }

  async #members(projectId: string, query: SubjectQuery): Promise<SubjectPage> {
    const everyone = query.role_ids.some((role) => IMPLICIT_ROLE_IDS.b2b.includes(role));
    const params: unknown[] = [projectId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = ['m.project_id = $1', `m.status <> 'deleted'`];
    let within = (alias: string) => `${alias}.project_id = $1`;
    if (query.organization_id !== undefined) {
      const organization = param(query.organization_id);
      conditions.push(`m.organization_id = ${organization}`);
      within = (alias) => `${alias}.organization_id = ${organization}`;
    }
    if (!everyone) conditions.push(`(${roleHoldersSql(param([...query.role_ids]), within)})`);
    const where = conditions.join(' AND ');
    const counted = [...params];
    const [{ rows }, total] = await Promise.all([
      this.#db.query<MemberRecord>(`${SELECT_MEMBERS} WHERE ${keyset(where, 'm', 'member_id', params, query.after)} ORDER BY m.created_at, m.member_id LIMIT ${query.limit + 1}`, params),
      query.count ? this.#count(`SELECT count(*)::int AS total FROM members m WHERE ${where}`, counted) : null,
    ]);
    const page = rows.slice(0, query.limit);
    const organizations = await this.#organizations.requireOrganizations(projectId, [...new Set(page.map((member) => member.organization_id))]);
    const byId = new Map(organizations.map((organization) => [organization.organization_id, organization]));
    const subjects = page.map((member): Subject => {
      const organization = byId.get(member.organization_id)!;
      return {
        id: member.member_id,
        email: member.email_address,
        organization_id: member.organization_id,
        created_at: member.created_at,
        // memberRoles names stytch_member a direct assignment, as Stytch does in member.roles; here it
        // is told apart from a real one.
        roles: memberRoles(member, organization).map((role) =>
          IMPLICIT_ROLE_IDS.b2b.includes(role.role_id) ? { role_id: role.role_id, sources: [DEFAULT_ROLE_SOURCE] } : role,
        ),
        custom_roles: organization.custom_roles,
      };
    });
    return { subjects, more: rows.length > query.limit, total };
  }

  async #count(sql: string, params: unknown[]): Promise<number> {
    const { rows } = await this.#db.query<{ total: number }>(sql, params);
    return rows[0]?.total ?? 0;
  }
}

/** `where`, continued after a keyset position when there is one (its values appended to `params`). */
function keyset(where: string, alias: string, idColumn: string, params: unknown[], after: SubjectQuery['after']): string {
  if (!after) return where;
  params.push(after.created_at, after.id);
  return `${where} AND (${alias}.created_at, ${alias}.${idColumn}) > ($${params.length - 1}::timestamptz, $${params.length})`;
}
