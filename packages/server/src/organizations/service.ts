// B2B organizations: create, read, update, delete, search; their email-domain role rules
// (rbac_email_implicit_role_assignments) and their organization-scoped custom roles. Records are
// cached per organization and dropped on the change feed, because every member authentication
// reads its organization's rules.
import { createHash } from 'node:crypto';
import { IMPLICIT_ROLE_IDS, parsePolicy, POLICY_RULES, type Role } from '@gatehouse/policy';
import type { AuditAction, AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { LIMITS, type Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { checkExternalId, checkPageUrl } from '../shared/fields.ts';
import { isId, newId } from '../shared/ids.ts';
import { applyMetadataUpdate, type Metadata } from '../shared/metadata.ts';
import { lockGrantor, requireDefinitionsWithin, requireRolesWithin, withCustomRoles } from '../authz/grants.ts';
import type { MemberActor } from '../authz/member-authorization.ts';
import type { Actor } from '../projects/service.ts';
import { policyValidationError, type RbacService } from '../rbac/service.ts';
import { compileSearchQuery, FilterValues, SearchCursors, searchLimit, type FilterCompiler, type SearchQuery } from '../search/query.ts';
import { ALL, BoundedCache } from '../shared/bounded-cache.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { ConnectionRoleRules, ScimConnectionRoleRules } from '../members/roles.ts';
import { setCustomRoles } from './repository.ts';

/** Settings Gatehouse stores and returns as given (with Stytch's defaults). */
export const ORGANIZATION_SETTING_DEFAULTS = {
  sso_jit_provisioning: 'ALL_ALLOWED',
  sso_jit_provisioning_allowed_connections: [] as string[],
  sso_default_connection_id: null as string | null,
  email_jit_provisioning: 'NOT_ALLOWED',
  email_invites: 'ALL_ALLOWED',
  auth_methods: 'ALL_ALLOWED',
  allowed_auth_methods: [] as string[],
  mfa_policy: 'OPTIONAL',
  mfa_methods: 'ALL_ALLOWED',
  allowed_mfa_methods: [] as string[],
  oauth_tenant_jit_provisioning: 'NOT_ALLOWED',
  allowed_oauth_tenants: {} as Record<string, unknown>,
  claimed_email_domains: [] as string[],
  first_party_connected_apps_allowed_type: 'ALL_ALLOWED',
  allowed_first_party_connected_apps: [] as string[],
  third_party_connected_apps_allowed_type: 'ALL_ALLOWED',
  allowed_third_party_connected_apps: [] as string[],
};
export type OrganizationSettings = typeof ORGANIZATION_SETTING_DEFAULTS;
export const SETTING_NAMES = Object.keys(ORGANIZATION_SETTING_DEFAULTS) as (keyof OrganizationSettings)[];

export interface EmailRoleRule {
  domain: string;
  role_id: string;
}

export interface SsoConnectionSummary extends ConnectionRoleRules {
  kind: 'saml' | 'oidc';
  status: 'pending' | 'active';
  display_name: string;
  identity_provider: string;
}

export interface ScimConnectionSummary extends ScimConnectionRoleRules {
  display_name: string;
  bearer_token_last_four: string;
  bearer_token_expires_at: string | null;
}

export interface OrganizationRecord {
  organization_id: string;
  project_id: string;
  organization_name: string;
  organization_slug: string;
  organization_logo_url: string;
  email_allowed_domains: string[];
  settings: OrganizationSettings;
  /** rbac_email_implicit_role_assignments, in the order they were given. */
  email_role_rules: EmailRoleRule[];
  /** The organization's SSO connections with their role rules (sso/ owns the rest of each). */
  sso_connections: SsoConnectionSummary[];
  /** The organization's SCIM connection (at most one; scim/ owns the rest of it) with its group role rules. */
  scim_connections: ScimConnectionSummary[];
  custom_roles: Role[];
  trusted_metadata: Metadata;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrganizationInput {
  organization_name?: string;
  organization_slug?: string;
  organization_logo_url?: string;
  email_allowed_domains?: string[];
  rbac_email_implicit_role_assignments?: EmailRoleRule[];
  trusted_metadata?: unknown;
  organization_external_id?: string;
  settings?: Partial<OrganizationSettings>;
}

const SLUG = /^[a-z0-9._~-]{2,128}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Mailbox providers shared by the public: a rule on one would hand a role to strangers. */
const COMMON_EMAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'aol.com',
  'icloud.com', 'me.com', 'mac.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.de', 'mail.com', 'yandex.ru',
  'yandex.com', 'zoho.com', 'qq.com', '163.com', 'fastmail.com',
]);

const SELECT_ORGANIZATIONS = `
  SELECT o.organization_id, o.project_id, o.organization_name, o.organization_slug, o.organization_logo_url,
         o.email_allowed_domains, o.settings, o.custom_roles, o.trusted_metadata, o.external_id, o.created_at, o.updated_at,
         COALESCE((SELECT json_agg(json_build_object('domain', r.domain, 'role_id', r.role_id) ORDER BY r.position)
                     FROM organization_email_role_rules r WHERE r.organization_id = o.organization_id), '[]'::json) AS email_role_rules,
         COALESCE((SELECT json_agg(json_build_object('connection_id', c.connection_id, 'kind', c.kind, 'status', c.status,
                                                     'display_name', c.display_name, 'identity_provider', c.identity_provider,
                                                     'connection_role_rules', c.connection_role_rules, 'group_role_rules', c.group_role_rules)
                                   ORDER BY c.created_at, c.connection_id)
                     FROM sso_connections c WHERE c.organization_id = o.organization_id), '[]'::json) AS sso_connections,
         COALESCE((SELECT json_agg(json_build_object('connection_id', c.connection_id, 'display_name', c.display_name,
                                                     'bearer_token_last_four', c.bearer_token_last_four,
                                                     'bearer_token_expires_at', c.bearer_token_expires_at, 'group_role_rules', c.group_role_rules))
                     FROM scim_connections c WHERE c.organization_id = o.organization_id), '[]'::json) AS scim_connections
    FROM organizations o`;

type OrganizationRow = Omit<OrganizationRecord, 'settings'> & { settings: Partial<OrganizationSettings> };

function toRecord(row: OrganizationRow): OrganizationRecord {
  return { ...row, settings: { ...ORGANIZATION_SETTING_DEFAULTS, ...row.settings } };
}

export function checkOrganizationId(organizationId: string): void {
  if (!isId('organization', organizationId)) {
    throw new GatehouseError('invalid_organization_id', { params: { organization_id: organizationId } });
  }
}

function notFound(organizationId: string): GatehouseError {
  return new GatehouseError('organization_not_found', { params: { organization_id: organizationId } });
}

/** Public mailbox providers (gmail.com…): no organization vouches for everyone there. */
export function isCommonEmailDomain(domain: string): boolean {
  return COMMON_EMAIL_DOMAINS.has(domain);
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export function checkDomain(domain: string, errorType: 'invalid_email_domain' | 'rbac_invalid_domain'): string {
  const normalized = domain.trim().toLowerCase();
  if (!DOMAIN.test(normalized)) throw new GatehouseError(errorType, { params: { domain } });
  return normalized;
}

function checkSlug(slug: string): string {
  if (!SLUG.test(slug)) {
    throw new GatehouseError('invalid_organization_slug');
  }
  return slug;
}

/** A slug from a name when none is given: "Acme, Inc." → "acme-inc". */
function slugFromName(name: string): string {
  // Decompose accented letters and drop the accents ("Café" → "cafe"), so they do not split words.
  const slug = name.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  return slug.length >= 2 ? slug : `org-${slug}`.replace(/-$/, '');
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 128) {
    throw new GatehouseError('invalid_organization_name');
  }
  return trimmed;
}

function checkRules(rules: EmailRoleRule[]): EmailRoleRule[] {
  const seen = new Set<string>();
  const out: EmailRoleRule[] = [];
  for (const rule of rules) {
    const domain = checkDomain(rule.domain, 'rbac_invalid_domain');
    if (COMMON_EMAIL_DOMAINS.has(domain)) {
      throw new GatehouseError('rbac_domain_too_common', { params: { domain } });
    }
    const key = `${domain} ${rule.role_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ domain, role_id: rule.role_id });
  }
  return out;
}

function conflictError(error: unknown): GatehouseError | undefined {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return undefined;
  const what = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (what.includes('slug')) return new GatehouseError('organization_slug_already_used');
  if (what.includes('external_id')) return new GatehouseError('duplicate_organization_external_id');
  return undefined;
}

const values = new FilterValues('organization_search');
const lowerList = (name: string, value: unknown) => values.stringList(name, value).map((v) => v.trim().toLowerCase());
const memberExists = (condition: string) =>
  `EXISTS (SELECT 1 FROM members x WHERE x.organization_id = o.organization_id AND x.status <> 'deleted' AND ${condition})`;

const ORGANIZATION_FILTERS: Record<string, FilterCompiler> = {
  organization_ids: (v, p) => `o.organization_id = ANY(${p(values.stringList('organization_ids', v))}::text[])`,
  organization_slugs: (v, p) => `o.organization_slug = ANY(${p(values.stringList('organization_slugs', v))}::text[])`,
  organization_name_fuzzy: (v, p) => `o.organization_name ILIKE ${p(values.fuzzy('organization_name_fuzzy', v))}`,
  organization_slug_fuzzy: (v, p) => `o.organization_slug ILIKE ${p(values.fuzzy('organization_slug_fuzzy', v))}`,
  organization_external_ids: (v, p) => `o.external_id = ANY(${p(values.stringList('organization_external_ids', v))}::text[])`,
  member_emails: (v, p) => memberExists(`x.email_normalized = ANY(${p(lowerList('member_emails', v))}::text[])`),
  member_email_fuzzy: (v, p) => memberExists(`x.email_normalized ILIKE ${p(values.fuzzy('member_email_fuzzy', v))}`),
  allowed_domains: (v, p) => `o.email_allowed_domains && ${p(lowerList('allowed_domains', v))}::text[]`,
  allowed_domain_fuzzy: (v, p) =>
    `EXISTS (SELECT 1 FROM unnest(o.email_allowed_domains) d WHERE d ILIKE ${p(values.fuzzy('allowed_domain_fuzzy', v))})`,
  claimed_email_domains: (v, p) =>
    `EXISTS (SELECT 1 FROM jsonb_array_elements_text(COALESCE(o.settings->'claimed_email_domains', '[]')) d
              WHERE d = ANY(${p(lowerList('claimed_email_domains', v))}::text[]))`,
};

const cursors = new SearchCursors('organization_search_invalid_cursor', (id) => isId('organization', id));

export class OrganizationService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #rbac: RbacService;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  /**
   * organization_id → record, kept until the change feed says it changed. An id that names no
   * organization is not kept: any well-formed id could be asked for.
   */
  readonly #cache = new BoundedCache<string, OrganizationRecord | null>({ max: 100_000, keep: (organization) => organization !== null });

  constructor(db: SqlExecutor, feed: ChangeFeed, rbac: RbacService, clock: Clock, audit: AuditLog) {
    this.#db = db;
    this.#feed = feed;
    this.#rbac = rbac;
    this.#clock = clock;
    this.#audit = audit;
    this.#cache.followFeed(feed, (event) =>
      event.type === 'organization' ? event.organization_id
      : event.type === 'policy' && event.kind === 'b2b' ? ALL // a cascade may have removed rules
      : undefined);
  }

  async createOrganization(projectId: string, environment: Environment, input: OrganizationInput, actor: Actor): Promise<OrganizationRecord> {
    if (input.organization_name === undefined) throw new GatehouseError('organization_name_required');
    const name = checkName(input.organization_name);
    const slug = checkSlug(input.organization_slug ?? slugFromName(name));
    const domains = [...new Set((input.email_allowed_domains ?? []).map((d) => checkDomain(d, 'invalid_email_domain')))];
    const rules = checkRules(input.rbac_email_implicit_role_assignments ?? []);
    const logoUrl = checkLogoUrl(input.organization_logo_url);
    const trusted = applyMetadataUpdate({}, input.trusted_metadata, 'trusted_metadata');
    const externalId = input.organization_external_id ? checkExternalId(input.organization_external_id) : null;
    // A new organization has no connection yet for its default to name.
    const defaultConnection = input.settings?.sso_default_connection_id;
    if (typeof defaultConnection === 'string') throw new GatehouseError('sso_connection_not_found', { params: { connection_id: defaultConnection } });
    const organizationId = newId('organization', environment);
    const now = this.#clock.now();
    try {
      await this.#feed.write(async (tx) => {
        await this.#checkRuleRoles(tx, projectId, rules, []);
        await tx.query(
          `INSERT INTO organizations (organization_id, project_id, organization_name, organization_slug, organization_logo_url,
                                     email_allowed_domains, settings, trusted_metadata, external_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
          [organizationId, projectId, name, slug, logoUrl ?? '', domains, JSON.stringify(input.settings ?? {}),
            JSON.stringify(trusted), externalId, now],
        );
        await insertRules(tx, projectId, organizationId, rules);
        await this.#record(tx, projectId, organizationId, actor, 'organization.created', null,
          { organization_name: name, organization_slug: slug, email_role_rules: rules, custom_roles: [] });
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    return this.requireOrganization(projectId, organizationId);
  }

  /** From the cache; the organization as of its last change. */
  async findOrganization(projectId: string, organizationId: string): Promise<OrganizationRecord | null> {
    if (!isId('organization', organizationId)) return null;
    const organization = await this.#cache.load(organizationId, () => this.#read(this.#db, organizationId));
    // Another project's organization is indistinguishable from none.
    return organization && organization.project_id === projectId ? organization : null;
  }

  /**
   * Several organizations, all of the project or a 404 naming the first missing one. The ones not
   * cached are read in one query (member search across organizations asks for many at once).
   */
  async requireOrganizations(projectId: string, organizationIds: readonly string[]): Promise<OrganizationRecord[]> {
    organizationIds.forEach(checkOrganizationId);
    const missing = organizationIds.filter((id) => !this.#cache.has(id));
    if (missing.length > 1) {
      const batch = this.#db
        .query<OrganizationRow>(`${SELECT_ORGANIZATIONS} WHERE o.organization_id = ANY($1::text[])`, [missing], { prepare: true })
        .then(({ rows }) => new Map(rows.map((row) => [row.organization_id, toRecord(row)])));
      for (const id of missing) void this.#cache.load(id, () => batch.then((found) => found.get(id) ?? null));
    }
    return Promise.all(organizationIds.map((id) => this.requireOrganization(projectId, id)));
  }

  async requireOrganization(projectId: string, organizationId: string): Promise<OrganizationRecord> {
    checkOrganizationId(organizationId);
    const organization = await this.findOrganization(projectId, organizationId);
    if (!organization) throw notFound(organizationId);
    return organization;
  }

  /** `grantor`: the member on whose session's authority the update is made; its rule changes are decided under lock. */
  async updateOrganization(projectId: string, organizationId: string, input: OrganizationInput, actor: Actor, grantor: MemberActor | null = null): Promise<OrganizationRecord> {
    checkOrganizationId(organizationId);
    const name = input.organization_name !== undefined ? checkName(input.organization_name) : undefined;
    const slug = input.organization_slug !== undefined ? checkSlug(input.organization_slug) : undefined;
    const domains = input.email_allowed_domains?.map((d) => checkDomain(d, 'invalid_email_domain'));
    const rules = input.rbac_email_implicit_role_assignments !== undefined ? checkRules(input.rbac_email_implicit_role_assignments) : undefined;
    const logoUrl = checkLogoUrl(input.organization_logo_url);
    const externalId = input.organization_external_id !== undefined && input.organization_external_id !== ''
      ? checkExternalId(input.organization_external_id) : input.organization_external_id;
    try {
      await this.#feed.write(async (tx, emit) => {
        // The policy head before the organization row, as policy writes take them (see RbacService).
        const policy = rules !== undefined ? await this.#rbac.store.currentLocked(tx, projectId, 'b2b', 'share') : undefined;
        const current = await this.lock(tx, projectId, organizationId);
        if (grantor && policy && rules) {
          // A rule hands its role out: a member adds or removes only rules for roles it could grant.
          const key = (rule: EmailRoleRule) => `${rule.domain}\n${rule.role_id}`;
          const before = new Set(current.email_role_rules.map(key));
          const after = new Set(rules.map(key));
          const changed = [...rules.filter((rule) => !before.has(key(rule))), ...current.email_role_rules.filter((rule) => !after.has(key(rule)))];
          requireRolesWithin(withCustomRoles(policy, current.custom_roles), await lockGrantor(tx, grantor), [...new Set(changed.map((rule) => rule.role_id))]);
        }
        const trusted = applyMetadataUpdate(current.trusted_metadata, input.trusted_metadata, 'trusted_metadata');
        const defaultConnection = input.settings?.sso_default_connection_id;
        if (typeof defaultConnection === 'string' && !current.sso_connections.some((c) => c.connection_id === defaultConnection)) {
          throw new GatehouseError('sso_connection_not_found', { params: { connection_id: defaultConnection } });
        }
        const settings = { ...current.settings, ...input.settings };
        await tx.query(
          `UPDATE organizations SET organization_name = $2, organization_slug = $3, organization_logo_url = $4,
                  email_allowed_domains = $5, settings = $6, trusted_metadata = $7, external_id = $8, updated_at = $9
            WHERE organization_id = $1`,
          [organizationId, name ?? current.organization_name, slug ?? current.organization_slug,
            logoUrl ?? current.organization_logo_url, domains ? [...new Set(domains)] : current.email_allowed_domains,
            JSON.stringify(settings), JSON.stringify(trusted), externalId === undefined ? current.external_id : externalId || null, this.#clock.now()],
        );
        if (rules !== undefined) {
          await this.#checkRuleRoles(tx, projectId, rules, current.custom_roles);
          await tx.query('DELETE FROM organization_email_role_rules WHERE organization_id = $1', [organizationId]);
          await insertRules(tx, projectId, organizationId, rules);
          if (JSON.stringify(rules) !== JSON.stringify(current.email_role_rules)) {
            await this.#record(tx, projectId, organizationId, actor, 'organization.email_role_rules.updated',
              { email_role_rules: current.email_role_rules }, { email_role_rules: rules });
          }
        }
        emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    return this.requireOrganization(projectId, organizationId);
  }

  /** Deletes the organization with its members and their sessions. */
  async deleteOrganization(projectId: string, organizationId: string, actor: Actor): Promise<void> {
    checkOrganizationId(organizationId);
    await this.#feed.write(async (tx, emit) => {
      const current = await this.lock(tx, projectId, organizationId);
      await tx.query('DELETE FROM organizations WHERE organization_id = $1', [organizationId]);
      const { organization_name, organization_slug, email_role_rules, custom_roles } = current;
      await this.#record(tx, projectId, organizationId, actor, 'organization.deleted', { organization_name, organization_slug, email_role_rules, custom_roles }, null);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
    });
  }

  async searchOrganizations(projectId: string, input: { cursor?: unknown; limit?: unknown; query?: SearchQuery | null }) {
    const limit = searchLimit(input.limit, 'organization_search_invalid_limit');
    const filter = compileSearchQuery(input.query ?? null, ORGANIZATION_FILTERS, 'organization_search', 2);
    const queryKey = createHash('sha256').update(JSON.stringify(input.query ?? null)).digest('base64url').slice(0, 12);
    const after = input.cursor ? cursors.decode(input.cursor, queryKey) : null;
    const base = [projectId, ...filter.params];
    const where = `o.project_id = $1 AND (${filter.sql})`;
    const page = after ? `${where} AND (o.created_at, o.organization_id) > ($${base.length + 1}::timestamptz, $${base.length + 2})` : where;
    const [{ rows }, counted] = await Promise.all([
      this.#db.query<OrganizationRow>(`${SELECT_ORGANIZATIONS} WHERE ${page} ORDER BY o.created_at, o.organization_id LIMIT ${limit + 1}`,
        after ? [...base, after.created_at, after.id] : base),
      this.#db.query<{ total: number }>(`SELECT count(*)::int AS total FROM organizations o WHERE ${where}`, base),
    ]);
    const results = rows.slice(0, limit).map(toRecord);
    const last = results[results.length - 1];
    return {
      results,
      total: counted.rows[0]?.total ?? 0,
      next_cursor: rows.length > limit && last ? cursors.encode(last, last.organization_id, queryKey) : null,
    };
  }

  async memberCount(organizationId: string): Promise<number> {
    const { rows } = await this.#db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM members WHERE organization_id = $1 AND status <> 'deleted'`,
      [organizationId],
    );
    return rows[0]?.count ?? 0;
  }

  /** The organization's custom roles (GET /v1/b2b/rbac/organizations/{id}). */
  async getCustomRoles(projectId: string, organizationId: string): Promise<Role[]> {
    return (await this.requireOrganization(projectId, organizationId)).custom_roles;
  }

  /**
   * Replaces the organization's custom roles. They are checked together with the project's B2B
   * policy (their ids may not clash with its roles; their permissions must name its resources and
   * actions), and a role still held by a member or named by a rule cannot be removed.
   */
  async setCustomRoles(projectId: string, organizationId: string, input: unknown, actor: Actor, grantor: MemberActor | null = null): Promise<Role[]> {
    checkOrganizationId(organizationId);
    return this.#feed.write(async (tx, emit) => {
      // The policy head before the organization row, as policy writes take them (see RbacService).
      const project = await this.#rbac.store.currentLocked(tx, projectId, 'b2b', 'share');
      const current = await this.lock(tx, projectId, organizationId);
      const given = typeof input === 'object' && input !== null && 'roles' in input ? (input as { roles: unknown }).roles : undefined;
      if (!Array.isArray(given)) throw new GatehouseError('org_policy_roles_not_array');
      const offset = project.policy.roles.length;
      const parsed = parsePolicy({ resources: project.policy.resources, roles: [...project.policy.roles, ...given], scopes: [] }, POLICY_RULES.b2b);
      if (!parsed.ok) {
        // Report paths relative to org_policy.
        throw policyValidationError(parsed.issues.map((issue) => ({
          ...issue,
          path: issue.path.replace(/^roles\[(\d+)\]/, (_m, i: string) => `org_policy.roles[${Number(i) - offset}]`),
        })));
      }
      const roles = parsed.policy.roles.slice(offset);
      // On a member session's authority, defining a role is granting it: within what the member holds.
      if (grantor) {
        const held = await lockGrantor(tx, grantor);
        requireDefinitionsWithin(withCustomRoles(project, current.custom_roles), withCustomRoles(project, roles), held, current.custom_roles, roles);
      }
      const kept = new Set(roles.map((role) => role.role_id));
      const removed = current.custom_roles.map((role) => role.role_id).filter((id) => !kept.has(id));
      if (removed.length > 0) {
        const { rows } = await tx.query<{ role_id: string }>(
          `SELECT role_id FROM member_roles WHERE organization_id = $1 AND role_id = ANY($2)
           UNION SELECT role_id FROM organization_email_role_rules WHERE organization_id = $1 AND role_id = ANY($2)`,
          [organizationId, removed],
        );
        if (rows.length > 0) {
          throw new GatehouseError('custom_role_in_use', { params: { role_ids: rows.map((r) => `"${r.role_id}"`).join(', ') } });
        }
      }
      await setCustomRoles(tx, organizationId, roles, this.#clock.now());
      if (JSON.stringify(roles) !== JSON.stringify(current.custom_roles)) {
        await this.#record(tx, projectId, organizationId, actor, 'organization_roles.updated', { custom_roles: current.custom_roles }, { custom_roles: roles });
      }
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
      return roles;
    });
  }

  #record(tx: SqlExecutor, projectId: string, organizationId: string, actor: Actor, action: AuditAction, before: object | null, after: object | null) {
    return this.#audit.record(tx, { project_id: projectId, actor, action, target_type: 'organization', target_id: organizationId, organization_id: organizationId, before, after });
  }

  async #read(db: SqlExecutor, organizationId: string): Promise<OrganizationRecord | null> {
    // Prepared: every cache miss reads an organization this way (member search across many does).
    const { rows } = await db.query<OrganizationRow>(`${SELECT_ORGANIZATIONS} WHERE o.organization_id = $1`, [organizationId], { prepare: true });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Locks the organization row (FOR UPDATE) for a write and reads it inside the transaction. */
  async lock(tx: SqlExecutor, projectId: string, organizationId: string): Promise<OrganizationRecord> {
    await tx.query('SELECT 1 FROM organizations WHERE project_id = $1 AND organization_id = $2 FOR UPDATE', [projectId, organizationId]);
    const current = await this.#read(tx, organizationId);
    if (!current || current.project_id !== projectId) throw notFound(organizationId);
    return current;
  }

  async #checkRuleRoles(tx: SqlExecutor, projectId: string, rules: EmailRoleRule[], customRoles: readonly Role[]): Promise<void> {
    const roles = [...new Set(rules.map((rule) => rule.role_id))];
    if (roles.length === 0) return;
    if (roles.some((role) => IMPLICIT_ROLE_IDS.b2b.includes(role))) {
      throw new GatehouseError('default_role_in_rule');
    }
    await this.#rbac.checkAssignableRoles(tx, projectId, 'b2b', roles, customRoles);
  }
}

async function insertRules(tx: SqlExecutor, projectId: string, organizationId: string, rules: EmailRoleRule[]): Promise<void> {
  if (rules.length === 0) return;
  await tx.query(
    `INSERT INTO organization_email_role_rules (organization_id, project_id, position, domain, role_id)
     SELECT $1, $2, ordinality, domain, role_id FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS t(domain, role_id, ordinality)`,
    [organizationId, projectId, rules.map((r) => r.domain), rules.map((r) => r.role_id)],
  );
}

/** The logo is shown in pages (the dashboard, sign-in screens): an http(s) URL or '' only. */
function checkLogoUrl(value: string | undefined): string | undefined {
  return value === undefined ? undefined : checkPageUrl(value, 'organization_logo_url');
}
