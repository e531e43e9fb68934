// SCIM connections (Stytch's /v1/b2b/scim/{organization_id}/connection): one per organization. The
// bearer token the IdP presents is 256 random bits, shown once (on create, and as next_bearer_token
// when a rotation starts) and kept only as its SHA-256: a request's token is hashed and looked up,
// so no comparison depends on how much of it matched. A rotation keeps both tokens working until it
// is completed (the next one becomes the only one) or cancelled (the next one is dropped).
//
// scim_group_implicit_role_assignments give a role to every member of a provisioned group
// (members/roles.ts); on a member session's authority a rule hands out only roles the member could
// grant itself, decided under the grant locks (authz/grants.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { IMPLICIT_ROLE_IDS } from '@gatehouse/policy';
import type { AuditAction, AuditLog } from '../audit/log.ts';
import { requireGrantable } from '../authz/grants.ts';
import type { MemberActor } from '../authz/member-authorization.ts';
import type { OrganizationService } from '../organizations/service.ts';
import type { Actor } from '../projects/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { sha256 } from '../shared/secrets.ts';
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';

export interface ScimGroupRule {
  role_id: string;
  group_id: string;
}

export interface ScimConnectionRecord {
  connection_id: string;
  organization_id: string;
  project_id: string;
  status: 'active';
  display_name: string;
  identity_provider: string;
  bearer_token_last_four: string;
  bearer_token_expires_at: Date | null;
  next_bearer_token_last_four: string;
  next_bearer_token_expires_at: Date | null;
  /** Whether a rotation is in progress (a next token exists). */
  rotating: boolean;
  group_role_rules: ScimGroupRule[];
  /** The name of each group a rule names (scim_groups), for the wire. */
  group_names: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export interface ScimGroupSummary {
  group_id: string;
  group_name: string;
  organization_id: string;
  connection_id: string;
  /** How many members the IdP has put in the group (a Gatehouse addition, for the dashboard). */
  member_count: number;
  created_at: Date;
}

const COLUMNS = `c.connection_id, c.organization_id, c.project_id, c.status, c.display_name, c.identity_provider, c.bearer_token_last_four,
  c.bearer_token_expires_at, c.next_bearer_token_last_four, c.next_bearer_token_expires_at, c.next_bearer_token_hash IS NOT NULL AS rotating,
  c.group_role_rules, c.created_at, c.updated_at,
  COALESCE((SELECT json_object_agg(g.group_id, g.display_name) FROM scim_groups g
             WHERE g.connection_id = c.connection_id AND g.group_id IN (SELECT x->>'group_id' FROM jsonb_array_elements(c.group_role_rules) x)), '{}'::json) AS group_names`;

/** A new bearer token: 256 random bits, URL-safe. */
function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function notFound(connectionId: string): GatehouseError {
  return new GatehouseError('scim_connection_not_found', { params: { connection_id: connectionId } });
}

export class ScimConnectionService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #rbac: RbacService;
  readonly #organizations: OrganizationService;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; rbac: RbacService; organizations: OrganizationService; clock: Clock; audit: AuditLog }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#rbac = deps.rbac;
    this.#organizations = deps.organizations;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
  }

  /** Creates the organization's connection; returns it with its bearer token (the only time it is shown). */
  async create(projectId: string, environment: Environment, organizationId: string, input: { display_name?: string; identity_provider?: string }, actor: Actor) {
    await this.#organizations.requireOrganization(projectId, organizationId);
    const connectionId = `scim-connection-${environment}-${randomUUID()}`;
    const token = newToken();
    const now = this.#clock.now();
    try {
      await this.#feed.write(async (tx, emit) => {
        await tx.query(
          `INSERT INTO scim_connections (connection_id, organization_id, project_id, display_name, identity_provider, bearer_token_hash,
                                         bearer_token_last_four, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
          [connectionId, organizationId, projectId, input.display_name ?? '', input.identity_provider || 'generic', sha256(token), token.slice(-4), now],
        );
        const record = (await this.#find(tx, connectionId))!;
        await this.#record(tx, actor, 'scim_connection.created', null, record);
        emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new GatehouseError('scim_connection_already_exists');
      throw error;
    }
    return { record: await this.require(projectId, organizationId, connectionId), bearer_token: token };
  }

  /** The organization's connection, or null when it has none. */
  async forOrganization(projectId: string, organizationId: string): Promise<ScimConnectionRecord | null> {
    await this.#organizations.requireOrganization(projectId, organizationId);
    const { rows } = await this.#db.query<ScimConnectionRecord>(
      `SELECT ${COLUMNS} FROM scim_connections c WHERE c.project_id = $1 AND c.organization_id = $2`, [projectId, organizationId]);
    return rows[0] ?? null;
  }

  async require(projectId: string, organizationId: string, connectionId: string, db: SqlExecutor = this.#db): Promise<ScimConnectionRecord> {
    const record = await this.#find(db, connectionId);
    if (!record || record.project_id !== projectId || record.organization_id !== organizationId) throw notFound(connectionId);
    return record;
  }

  /**
   * The connection a SCIM request names, when `token` is its bearer token (or the next one, during a
   * rotation). The token is hashed and looked up: equal work whatever it holds.
   */
  async authenticate(connectionId: string, token: string | undefined): Promise<ScimConnectionRecord> {
    const digest = sha256(token ?? '');
    const { rows } = await this.#db.query<{ connection_id: string }>(
      'SELECT connection_id FROM scim_connections WHERE bearer_token_hash = $1 OR next_bearer_token_hash = $1', [digest]);
    if (token === undefined || rows[0]?.connection_id !== connectionId) throw new GatehouseError('scim_unauthorized');
    return (await this.#find(this.#db, connectionId))!;
  }

  /**
   * Changes the names and the group role rules. Each rule's group must be one the IdP provisioned at
   * this connection; its role is checked against the B2B policy and the organization's custom roles.
   */
  async update(
    projectId: string, organizationId: string, connectionId: string,
    change: { display_name?: string; identity_provider?: string; group_role_rules?: ScimGroupRule[] },
    actor: Actor, grantor: MemberActor | null = null,
  ): Promise<ScimConnectionRecord> {
    const organization = await this.#organizations.requireOrganization(projectId, organizationId);
    await this.#feed.write(async (tx, emit) => {
      const current = await this.#lock(tx, projectId, organizationId, connectionId);
      const rules = change.group_role_rules ? dedupe(change.group_role_rules) : undefined;
      if (rules) {
        const roles = [...new Set(rules.map((rule) => rule.role_id))];
        if (roles.some((role) => IMPLICIT_ROLE_IDS.b2b.includes(role))) throw new GatehouseError('default_role_in_rule');
        const { rows } = await tx.query<{ group_id: string }>(
          'SELECT group_id FROM scim_groups WHERE connection_id = $1 AND group_id = ANY($2)', [connectionId, rules.map((rule) => rule.group_id)]);
        const missing = rules.find((rule) => !rows.some((row) => row.group_id === rule.group_id));
        if (missing) throw new GatehouseError('scim_group_not_in_connection', { params: { group_id: missing.group_id } });
        if (grantor && roles.length > 0) await requireGrantable(tx, this.#rbac, grantor, () => this.#organizations.lock(tx, projectId, organizationId), roles);
        if (roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'b2b', roles, organization.custom_roles);
      }
      await tx.query(
        `UPDATE scim_connections SET display_name = COALESCE($2, display_name), identity_provider = COALESCE(NULLIF($3, ''), identity_provider),
                group_role_rules = COALESCE($4::jsonb, group_role_rules), updated_at = $5 WHERE connection_id = $1`,
        [connectionId, change.display_name ?? null, change.identity_provider ?? null, rules ? JSON.stringify(rules) : null, this.#clock.now()],
      );
      await this.#record(tx, actor, 'scim_connection.updated', current, (await this.#find(tx, connectionId))!);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
      if (rules) await this.#emitGroupMembers(tx, current, emit);
    });
    return this.require(projectId, organizationId, connectionId);
  }

  /**
   * Deletes the connection with its users' registrations, groups and memberships (the roles they
   * gave go with them). The members stay, as Stytch's do.
   */
  async delete(projectId: string, organizationId: string, connectionId: string, actor: Actor): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      const current = await this.#lock(tx, projectId, organizationId, connectionId);
      const { rows } = await tx.query<{ member_id: string }>(
        'SELECT member_id FROM scim_users WHERE connection_id = $1 UNION SELECT member_id FROM scim_group_members WHERE connection_id = $1', [connectionId]);
      await tx.query('DELETE FROM scim_connections WHERE connection_id = $1', [connectionId]);
      await this.#record(tx, actor, 'scim_connection.deleted', current, null);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
      for (const row of rows) emit({ type: 'member', project_id: projectId, organization_id: organizationId, member_id: row.member_id });
    });
  }

  /** Starts a rotation: a next token, shown once; both work until complete or cancel. */
  async rotateStart(projectId: string, organizationId: string, connectionId: string, actor: Actor) {
    const token = newToken();
    await this.#rotate(projectId, organizationId, connectionId, actor,
      'UPDATE scim_connections SET next_bearer_token_hash = $2, next_bearer_token_last_four = $3, updated_at = $4 WHERE connection_id = $1',
      [sha256(token), token.slice(-4)], false);
    return { record: await this.require(projectId, organizationId, connectionId), next_bearer_token: token };
  }

  /** Completes a rotation: the next token becomes the only one; the old one stops working. */
  async rotateComplete(projectId: string, organizationId: string, connectionId: string, actor: Actor): Promise<ScimConnectionRecord> {
    await this.#rotate(projectId, organizationId, connectionId, actor,
      `UPDATE scim_connections SET bearer_token_hash = next_bearer_token_hash, bearer_token_last_four = next_bearer_token_last_four,
              bearer_token_expires_at = next_bearer_token_expires_at, next_bearer_token_hash = NULL, next_bearer_token_last_four = '',
              next_bearer_token_expires_at = NULL, updated_at = $2 WHERE connection_id = $1`, [], true);
    return this.require(projectId, organizationId, connectionId);
  }

  /** Cancels a rotation: the next token stops working; the current one stays. */
  async rotateCancel(projectId: string, organizationId: string, connectionId: string, actor: Actor): Promise<ScimConnectionRecord> {
    await this.#rotate(projectId, organizationId, connectionId, actor,
      `UPDATE scim_connections SET next_bearer_token_hash = NULL, next_bearer_token_last_four = '', next_bearer_token_expires_at = NULL,
              updated_at = $2 WHERE connection_id = $1`, [], true);
    return this.require(projectId, organizationId, connectionId);
  }

  /** The groups the IdP provisioned at the connection, in creation order, a page at a time. */
  async groups(projectId: string, organizationId: string, connectionId: string, cursor: string | undefined, limit: number) {
    await this.require(projectId, organizationId, connectionId);
    const after = cursor ? decodeCursor(cursor) : null;
    const { rows } = await this.#db.query<ScimGroupSummary>(
      `SELECT group_id, display_name AS group_name, organization_id, connection_id, created_at,
              (SELECT count(*)::int FROM scim_group_members m WHERE m.group_id = scim_groups.group_id) AS member_count FROM scim_groups
        WHERE connection_id = $1 ${after ? 'AND (created_at, group_id) > ($3::timestamptz, $4)' : ''} ORDER BY created_at, group_id LIMIT $2`,
      after ? [connectionId, limit + 1, after.created_at, after.id] : [connectionId, limit + 1]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { groups: page, next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async #rotate(projectId: string, organizationId: string, connectionId: string, actor: Actor, sql: string, params: unknown[], needsRotation: boolean) {
    await this.#feed.write(async (tx, emit) => {
      const current = await this.#lock(tx, projectId, organizationId, connectionId);
      if (needsRotation && !current.rotating) throw new GatehouseError('scim_rotation_not_started');
      await tx.query(sql, [connectionId, ...params, this.#clock.now()]);
      await this.#record(tx, actor, 'scim_connection.token_rotated', current, (await this.#find(tx, connectionId))!);
      emit({ type: 'organization', project_id: projectId, organization_id: organizationId });
    });
  }

  async #lock(tx: SqlExecutor, projectId: string, organizationId: string, connectionId: string): Promise<ScimConnectionRecord> {
    const { rowCount } = await tx.query(
      'SELECT 1 FROM scim_connections WHERE connection_id = $1 AND project_id = $2 AND organization_id = $3 FOR UPDATE', [connectionId, projectId, organizationId]);
    if (rowCount === 0) throw notFound(connectionId);
    return (await this.#find(tx, connectionId))!;
  }

  async #find(db: SqlExecutor, connectionId: string): Promise<ScimConnectionRecord | null> {
    const { rows } = await db.query<ScimConnectionRecord>(`SELECT ${COLUMNS} FROM scim_connections c WHERE c.connection_id = $1`, [connectionId]);
    return rows[0] ?? null;
  }

  /** Members of the connection's groups: their roles may have changed with the rules (caches drop them). */
  async #emitGroupMembers(tx: SqlExecutor, connection: ScimConnectionRecord, emit: (event: ChangeEvent) => void) {
    const { rows } = await tx.query<{ member_id: string }>('SELECT DISTINCT member_id FROM scim_group_members WHERE connection_id = $1', [connection.connection_id]);
    for (const row of rows) emit({ type: 'member', project_id: connection.project_id, organization_id: connection.organization_id, member_id: row.member_id });
  }

  #record(tx: SqlExecutor, actor: Actor, action: AuditAction, before: ScimConnectionRecord | null, after: ScimConnectionRecord | null) {
    const record = (after ?? before)!;
    return this.#audit.record(tx, {
      project_id: record.project_id, actor, action, target_type: 'scim_connection', target_id: record.connection_id,
      organization_id: record.organization_id, before: before && auditView(before), after: after && auditView(after),
    });
  }
}

/** What the audit log keeps of a connection: names, the tokens' last four, the group role rules. */
function auditView(record: ScimConnectionRecord) {
  return {
    display_name: record.display_name, identity_provider: record.identity_provider, bearer_token_last_four: record.bearer_token_last_four,
    next_bearer_token_last_four: record.next_bearer_token_last_four, group_role_rules: record.group_role_rules,
  };
}

function dedupe(rules: ScimGroupRule[]): ScimGroupRule[] {
  const seen = new Map<string, ScimGroupRule>();
  for (const rule of rules) seen.set(`${rule.role_id}\n${rule.group_id}`, { role_id: rule.role_id, group_id: rule.group_id });
  return [...seen.values()];
}

function encodeCursor(group: ScimGroupSummary): string {
  return Buffer.from(JSON.stringify([group.created_at.toISOString(), group.group_id])).toString('base64url');
}

function decodeCursor(cursor: string): { created_at: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) return { created_at: createdAt, id };
  } catch {
    // answered below
  }
  throw new GatehouseError('invalid_cursor_argument');
}
