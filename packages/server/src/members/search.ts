// Member search (POST /v1/b2b/organizations/members/search): the filters of Stytch's query language
// compiled to SQL over members, keyset pages with a cursor bound to the query, and the total.
import { createHash } from 'node:crypto';
import { IMPLICIT_ROLE_IDS } from '@gatehouse/policy';
import type { OrganizationService } from '../organizations/service.ts';
import { GatehouseError } from '../shared/errors.ts';
import { isId } from '../shared/ids.ts';
import { compileSearchQuery, FilterValues, SearchCursors, searchLimit, type FilterCompiler, type SearchQuery } from '../search/query.ts';
import type { SqlExecutor } from '../store/database.ts';
import { FROM_MEMBERS, MEMBER_COLUMNS, roleHoldersSql } from './sql.ts';
import type { MemberRecord, MemberStatus } from './service.ts';

const values = new FilterValues('member_search');
const STATUSES = new Set<MemberStatus>(['active', 'pending', 'invited', 'deleted']);

const MEMBER_FILTERS: Record<string, FilterCompiler> = {
  member_ids: (v, p) => `m.member_id = ANY(${p(values.stringList('member_ids', v))}::text[])`,
  member_emails: (v, p) => `m.email_normalized = ANY(${p(values.stringList('member_emails', v).map((e) => e.trim().toLowerCase()))}::text[])`,
  member_email_fuzzy: (v, p) => `m.email_normalized ILIKE ${p(values.fuzzy('member_email_fuzzy', v))}`,
  member_is_breakglass: (v, p) => `m.is_breakglass = ${p(values.bool('member_is_breakglass', v))}`,
  statuses: (v, p) => {
    const statuses = values.stringList('statuses', v);
    if (!statuses.every((s) => STATUSES.has(s as MemberStatus))) throw values.invalid('statuses', 'statuses among active, pending, invited, deleted');
    return `m.status = ANY(${p(statuses)}::text[])`;
  },
  member_phone_numbers: (v, p) => `m.mfa_phone_number = ANY(${p(values.stringList('member_phone_numbers', v))}::text[])`,
  member_phone_number_fuzzy: (v, p) => `m.mfa_phone_number ILIKE ${p(values.fuzzy('member_phone_number_fuzzy', v))}`,
  member_external_ids: (v, p) => `m.external_id = ANY(${p(values.stringList('member_external_ids', v))}::text[])`,
  member_password_exists: (v) =>
    `${values.bool('member_password_exists', v) ? '' : 'NOT '}EXISTS (SELECT 1 FROM member_passwords x WHERE x.member_id = m.member_id)`,
  // Holders of any of the roles, explicitly or by a rule of their organization. Both sets are taken
  // within the searched organizations ($1 of searchMembers), which keeps them as small as the
  // answer: the planner hashes them once, rather than hashing the role's holders project-wide.
  member_roles: (v, p) => {
    const roles = values.stringList('member_roles', v);
    if (roles.some((role) => IMPLICIT_ROLE_IDS.b2b.includes(role))) return 'TRUE';
    return roleHoldersSql(p(roles), (alias) => `${alias}.organization_id = ANY($1::text[])`);
  },
};

const cursors = new SearchCursors('member_search_invalid_cursor', (id) => isId('member', id));

export interface MemberSearchInput {
  organization_ids: string[];
  cursor?: unknown;
  limit?: unknown;
  query?: SearchQuery | null;
}

/**
 * Members of the given organizations matching the query, in creation order, with the
 * organizations they belong to. Deleted members only when the query asks for them by status.
 */
export async function searchMembers(db: SqlExecutor, organizationsOf: Pick<OrganizationService, 'requireOrganizations'>, projectId: string, input: MemberSearchInput) {
  const organizationIds = [...new Set(input.organization_ids)];
  if (organizationIds.length === 0) throw new GatehouseError('member_search_organization_ids_empty');
  const limit = searchLimit(input.limit, 'member_search_invalid_limit');
  // The organizations are checked (all of this project) alongside the member queries, which only
  // read; nothing is returned unless every one is found.
  const organizationsRead = organizationsOf.requireOrganizations(projectId, organizationIds);
  organizationsRead.catch(() => {});
  const filter = compileSearchQuery(input.query ?? null, MEMBER_FILTERS, 'member_search', 2);
  const asksForStatus = input.query?.operands?.some((operand) => operand.filter_name === 'statuses') ?? false;
  const queryKey = createHash('sha256').update(JSON.stringify([organizationIds, input.query ?? null])).digest('base64url').slice(0, 12);
  const after = input.cursor ? cursors.decode(input.cursor, queryKey) : null;
  // No m.project_id test: the organizations were found in the project above, and a member belongs to
  // its organization's project. Without it, the index on (organization_id, created_at, member_id)
  // answers the filter and the count without reading the members' rows.
  const base = [organizationIds, ...filter.params]; // the filters name the organization ids $1
  const where = `m.organization_id = ANY($1::text[]) ${asksForStatus ? '' : `AND m.status <> 'deleted'`} AND (${filter.sql})`;
  const page = after ? `${where} AND (m.created_at, m.member_id) > ($${base.length + 1}::timestamptz, $${base.length + 2})` : where;
  // The page's ids first, from the index alone; then only those members' rows are read. A first
  // page counts the matches in the same pass (a window count over the filtered ids); a later page
  // counts them apart, since its keyset condition leaves out the pages before it.
  const pageIds = `SELECT m.member_id${after ? '' : ', count(*) OVER () AS total'} FROM members m WHERE ${page} ORDER BY m.created_at, m.member_id LIMIT ${limit + 1}`;
  // The total comes last: deleting an object's last property keeps its fast layout, any other
  // turns it into a dictionary that the wire code and JSON.stringify then read more slowly.
  const [organizations, { rows }, counted] = await Promise.all([
    organizationsRead,
    db.query<MemberRecord & { total?: number }>(
      `WITH page AS (${pageIds})
       SELECT ${MEMBER_COLUMNS}${after ? '' : ', page.total::int AS total'}${FROM_MEMBERS}
         JOIN page ON page.member_id = m.member_id ORDER BY m.created_at, m.member_id`,
      after ? [...base, after.created_at, after.id] : base,
      // A search's SQL has one shape per combination of filters: few, and each planned once.
      { prepare: true }),
    after ? db.query<{ total: number }>(`SELECT count(*)::int AS total FROM members m WHERE ${where}`, base, { prepare: true }) : null,
  ]);
  const total = counted ? (counted.rows[0]?.total ?? 0) : (rows[0]?.total ?? 0);
  for (const row of rows) delete row.total;
  const results = rows.slice(0, limit);
  const last = results[results.length - 1];
  return {
    results,
    organizations: new Map(organizations.map((organization) => [organization.organization_id, organization])),
    total,
    next_cursor: rows.length > limit && last ? cursors.encode(last, last.member_id, queryKey) : null,
  };
}
