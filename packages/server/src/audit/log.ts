// The audit log: who changed what in a project's access model, when, with the state before and
// after. Writers call `record` inside the transaction of their change, so a change that fails
// records nothing and a change that commits cannot lose its entry. The table refuses UPDATE,
// DELETE and TRUNCATE (008_audit.sql): there is no way to rewrite history, by API or by bug.
import { environmentOfProject } from '@gatehouse/contracts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import type { Actor } from '../projects/service.ts';
import type { SqlExecutor } from '../store/database.ts';

/** The catalogue of recorded actions; the dot-separated prefixes are what `action=policy.*` filters on. */
export const AUDIT_ACTIONS = [
  'policy.updated',
  'policy.rolled_back',
  'organization_roles.updated',
  'user.created',
  'user.roles.updated',
  'user.deleted',
  'member.created',
  'member.roles.updated',
  'member.email.updated',
  'member.email.verified',
  'member.sso_groups.updated',
  'member.scim_groups.updated',
  'member.sso_link.created',
  'member.sso_link.deleted',
  'member.deleted',
  'member.reactivated',
  'organization.created',
  'organization.email_role_rules.updated',
  'organization.deleted',
  'sso_connection.created',
  'sso_connection.updated',
  'sso_connection.deleted',
  'scim_connection.created',
  'scim_connection.updated',
  'scim_connection.deleted',
  'scim_connection.token_rotated',
  'secret.created',
  'secret.revoked',
  'admin.created',
  'admin.disabled',
  'admin.enabled',
  'admin.password_reset',
  'redirect_url.created',
  'redirect_url.updated',
  'redirect_url.deleted',
  'oauth_provider.updated',
  'oauth_provider.deleted',
  'm2m_client.created',
  'm2m_client.updated',
  'm2m_client.deleted',
  'm2m_client.secret_rotation_started',
  'm2m_client.secret_rotated',
  'm2m_client.secret_rotation_cancelled',
  'claims_template.updated',
  'claims_template.deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGET_TYPES = ['policy', 'organization', 'user', 'member', 'sso_connection', 'scim_connection', 'secret', 'admin', 'redirect_url', 'oauth_provider', 'm2m_client', 'claims_template'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export const ACTOR_TYPES = ['project_secret', 'admin', 'member_session', 'system'] as const;

/** The actor of a change no caller asked for directly (a sign-up, a sign-in that provisions a member). */
export function systemActor(flow: string): Actor {
  return { type: 'system', id: flow };
}

export interface AuditEventInput {
  project_id: string;
  actor: Actor;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string;
  organization_id?: string | null;
  /** The relevant state before and after (null: did not exist / no longer exists). Never secrets. */
  before: unknown;
  after: unknown;
}

export interface AuditEvent {
  position: string;
  event_id: string;
  project_id: string;
  occurred_at: Date;
  actor: Actor;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string;
  organization_id: string | null;
  before: any;
  after: any;
}

export interface AuditFilters {
  actions?: string[];
  actor_type?: string;
  actor_id?: string;
  target_type?: string;
  target_id?: string;
  organization_id?: string;
  since?: Date;
  until?: Date;
}

// position as text (a bigint may exceed a JS number); ORDER BY names audit_events.position, the number.
const COLUMNS = 'audit_events.position::text AS position, event_id, project_id, occurred_at, actor, action, target_type, target_id, organization_id, before, after';

export class AuditLog {
  readonly #db: SqlExecutor;
  readonly #clock: Clock;

  constructor(db: SqlExecutor, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Writes one entry; `tx` must be the transaction of the change it describes. */
  async record(tx: SqlExecutor, event: AuditEventInput): Promise<void> {
    const environment = environmentOfProject(event.project_id);
    await tx.query(
      `INSERT INTO audit_events (event_id, project_id, occurred_at, actor_type, actor_id, actor, action, target_type, target_id,
                                 organization_id, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [newId('audit-event', environment), event.project_id, this.#clock.now(), event.actor.type, event.actor.id, JSON.stringify(event.actor),
        event.action, event.target_type, event.target_id, event.organization_id ?? null, json(event.before), json(event.after)],
    );
  }

  /** A page of the project's events, newest first; `before` is the position to continue below. */
  async list(projectId: string, filters: AuditFilters, page: { limit: number; before?: string }): Promise<{ events: AuditEvent[]; more: boolean }> {
    const params: unknown[] = [projectId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = ['project_id = $1'];
    if (filters.actions) {
      const exact = filters.actions.filter((a) => !a.endsWith('.*'));
      // A prefix is matched literally: `_` and `%` in it are not wildcards.
      const prefixes = filters.actions.filter((a) => a.endsWith('.*')).map((a) => `${a.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const any = [];
      if (exact.length > 0) any.push(`action = ANY(${param(exact)}::text[])`);
      if (prefixes.length > 0) any.push(`action LIKE ANY(${param(prefixes)}::text[])`);
      where.push(`(${any.join(' OR ')})`);
    }
    for (const column of ['actor_type', 'actor_id', 'target_type', 'target_id', 'organization_id'] as const) {
      if (filters[column] !== undefined) where.push(`${column} = ${param(filters[column])}`);
    }
    if (filters.since) where.push(`occurred_at >= ${param(filters.since)}`);
    if (filters.until) where.push(`occurred_at <= ${param(filters.until)}`);
    if (page.before !== undefined) where.push(`audit_events.position < ${param(page.before)}::bigint`);
    const { rows } = await this.#db.query<AuditEvent>(
      `SELECT ${COLUMNS} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY audit_events.position DESC LIMIT ${page.limit + 1}`,
      params,
    );
    return { events: rows.slice(0, page.limit), more: rows.length > page.limit };
  }

  /** Whether the log has any event of this target (read in `tx`, the writer's transaction). */
  async hasHistory(tx: SqlExecutor, projectId: string, targetType: AuditTargetType, targetId: string): Promise<boolean> {
    const { rows } = await tx.query('SELECT 1 FROM audit_events WHERE project_id = $1 AND target_type = $2 AND target_id = $3 LIMIT 1', [projectId, targetType, targetId]);
    return rows.length > 0;
  }

  async find(projectId: string, eventId: string): Promise<AuditEvent | null> {
    const { rows } = await this.#db.query<AuditEvent>(`SELECT ${COLUMNS} FROM audit_events WHERE project_id = $1 AND event_id = $2`, [projectId, eventId]);
    return rows[0] ?? null;
  }

  /**
   * Every event of one target, or of every target of a type in an organization, oldest first: the
   * history the point-in-time answer replays.
   */
  async history(projectId: string, of: { target_type: AuditTargetType; target_id: string } | { target_type: AuditTargetType; organization_id: string }): Promise<AuditEvent[]> {
    const [column, value] = 'target_id' in of ? ['target_id', of.target_id] : ['organization_id', of.organization_id];
    const { rows } = await this.#db.query<AuditEvent>(
      `SELECT ${COLUMNS} FROM audit_events WHERE project_id = $1 AND target_type = $2 AND ${column} = $3 ORDER BY audit_events.position`,
      [projectId, of.target_type, value],
    );
    return rows;
  }
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** An action filter: names from the catalogue, or prefixes ending in `.*` that match at least one. */
export function parseActionFilter(value: string): string[] {
  const actions = value.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (actions.length === 0 || actions.length > 50) throw new GatehouseError('invalid_audit_action_count');
  for (const action of actions) {
    const known = action.endsWith('.*')
      ? AUDIT_ACTIONS.some((a) => a.startsWith(action.slice(0, -1)))
      : (AUDIT_ACTIONS as readonly string[]).includes(action);
    if (!known) {
      throw new GatehouseError('invalid_audit_action', { params: { action, actions: AUDIT_ACTIONS.join(', ') } });
    }
  }
  return actions;
}
