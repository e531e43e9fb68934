// "Did user U (or member M) hold permission P at time T, and through which role?" — answered from
// history alone: the policy version in force at T (rbac_policy_versions), and the subject's roles at
// T replayed from the audit log (explicit roles; for members also the email address, the
// organization's email-domain rules and custom roles, its SSO connections' rules and the member's IdP
// groups, its SCIM connection's group rules and the member's SCIM groups). The pure policy engine decides, as it does for live checks.
//
// History starts with the audit log (migration 008): where the log has no event of a thing before T,
// its state is the `before` of its first later event, or — when it never changed — its current state.
import { compileWithCustomRoles, IMPLICIT_ROLE_IDS, isAuthorized, POLICY_RULES, type Policy, type PolicyKind, type Role } from '@gatehouse/policy';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import { isId } from '../shared/ids.ts';
import { memberRoles, type MemberRole, type RoleSource } from '../members/roles.ts';
import type { MemberAuditState } from '../members/service.ts';
import { emailDomain, type EmailRoleRule } from '../organizations/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { AuditEvent, AuditLog } from './log.ts';

export interface AccessAtQuery {
  user_id?: string;
  member_id?: string;
  resource_id: string;
  action: string;
  at: Date;
}

export interface AccessAtAnswer {
  allowed: boolean;
  at: Date;
  /** The policy version in force at `at` (null: the project had none yet). */
  policy_version: number | null;
  subject: { user_id: string } | { member_id: string; organization_id: string | null; email_address: string | null };
  /** Whether the subject existed then (as far as the history knows). */
  existed: boolean;
  /** Every role held at `at`, with its sources. */
  roles: MemberRole[];
  granting_roles: MemberRole[];
  note?: string;
}

type Snapshot = any;

/**
 * A value at `at` from one thing's events (oldest first): the `after` of the last event at or before
 * `at`, else the `before` of the first one after it, else `current()` (it has not changed since the
 * log began). `pick` reads the value from a snapshot (null: the thing did not exist) and returns
 * undefined when an event does not speak of it. `since` is when the value was set, when known.
 */
function valueAt<T>(events: readonly AuditEvent[], at: Date, pick: (snapshot: Snapshot) => T | undefined, current: () => T): { value: T; since: Date | null } {
  let last: { value: T; since: Date } | undefined;
  for (const event of events) {
    if (event.occurred_at.getTime() <= at.getTime()) {
      const value = pick(event.after);
      if (value !== undefined) last = { value, since: event.occurred_at };
    } else {
      if (last) break;
      const value = pick(event.before);
      if (value !== undefined) return { value, since: null };
    }
  }
  return last ?? { value: current(), since: null };
}

const direct: RoleSource = { type: 'direct_assignment', details: {} };

export class AccessHistory {
  readonly #db: SqlExecutor;
  readonly #audit: AuditLog;
  readonly #clock: Clock;

  constructor(db: SqlExecutor, audit: AuditLog, clock: Clock) {
    this.#db = db;
    this.#audit = audit;
    this.#clock = clock;
  }

  async accessAt(projectId: string, query: AccessAtQuery): Promise<AccessAtAnswer> {
    if ((query.user_id === undefined) === (query.member_id === undefined)) {
      throw new GatehouseError('access_at_principal_conflict');
    }
    if (query.user_id !== undefined && !isId('user', query.user_id)) {
      throw new GatehouseError('invalid_user_id', { params: { user_id: query.user_id } });
    }
    if (query.member_id !== undefined && !isId('member', query.member_id)) {
      throw new GatehouseError('invalid_member_id', { params: { member_id: query.member_id } });
    }
    if (query.at.getTime() > this.#clock.now().getTime()) {
      throw new GatehouseError('access_at_in_future');
    }
    return query.user_id !== undefined ? this.#userAt(projectId, query.user_id, query) : this.#memberAt(projectId, query.member_id!, query);
  }

  async #userAt(projectId: string, userId: string, query: AccessAtQuery): Promise<AccessAtAnswer> {
    const [policy, events, row] = await Promise.all([
      this.#policyAt(projectId, 'consumer', query.at),
      this.#audit.history(projectId, { target_type: 'user', target_id: userId }),
      this.#db.query<{ created_at: Date; roles: string[] | null }>(
        `SELECT created_at, (SELECT array_agg(role_id) FROM user_roles r WHERE r.user_id = u.user_id) AS roles FROM users u
          WHERE project_id = $1 AND user_id = $2`,
        [projectId, userId],
      ).then(({ rows }) => rows[0]),
    ]);
    const answer = { at: query.at, subject: { user_id: userId } };
    if (!row && events.length === 0) return denied(answer, policy, 'No user with this id is known: it never existed, or it was deleted without ever holding an explicit role (such users are not in the audit log).');
    if (row && row.created_at.getTime() > query.at.getTime()) return denied(answer, policy, 'The user did not exist yet at this time.');
    const state = valueAt<{ roles: string[] } | null>(events, query.at, (s) => s, () => (row ? { roles: row.roles ?? [] } : null));
    if (!state.value) return denied(answer, policy, 'The user did not exist at this time.');
    if (!policy) return denied(answer, policy, 'The project had no policy yet at this time.', true);
    const explicit = await this.#stillDefined(projectId, 'consumer', state.value.roles, state.since, query.at, []);
    const roles: MemberRole[] = [...IMPLICIT_ROLE_IDS.consumer, ...explicit].map((role_id) => ({ role_id, sources: [direct] }));
    return decide(answer, policy, 'consumer', roles, [], query);
  }

  async #memberAt(projectId: string, memberId: string, query: AccessAtQuery): Promise<AccessAtAnswer> {
    const { at } = query;
    const [policy, events, row] = await Promise.all([
      this.#policyAt(projectId, 'b2b', at),
      this.#audit.history(projectId, { target_type: 'member', target_id: memberId }),
      this.#db.query<{ organization_id: string; created_at: Date; email_address: string; email_address_verified: boolean; status: MemberAuditState['status']; roles: string[] | null }>(
        `SELECT organization_id, created_at, email_address, email_address_verified, status, (SELECT array_agg(role_id) FROM member_roles r WHERE r.member_id = m.member_id) AS roles
           FROM members m WHERE project_id = $1 AND member_id = $2`,
        [projectId, memberId],
      ).then(({ rows }) => rows[0]),
    ]);
    const organizationId = row?.organization_id ?? events[0]?.organization_id ?? null;
    const subject = { member_id: memberId, organization_id: organizationId, email_address: null as string | null };
    const answer = { at, subject };
    if (organizationId === null) return denied(answer, policy, 'No member with this id is known.');
    if (row && row.created_at.getTime() > at.getTime()) return denied(answer, policy, 'The member did not exist yet at this time.');
    const stateEvents = events.filter((event) => event.action !== 'member.sso_groups.updated' && event.action !== 'member.scim_groups.updated');
    const current = () => (row ? { email_address: row.email_address, email_address_verified: row.email_address_verified, status: row.status, roles: row.roles ?? [] } : null);
    const state = valueAt<MemberAuditState | null>(stateEvents, at, (s) => s, current);
    if (!state.value) return denied(answer, policy, 'The member did not exist at this time.');
    subject.email_address = state.value.email_address;
    if (state.value.status === 'deleted') return denied(answer, policy, 'The member was deleted at this time.');

    const [organizationEvents, connectionEvents, organization, connections, registrations, scim] = await Promise.all([
      this.#audit.history(projectId, { target_type: 'organization', target_id: organizationId }),
      this.#audit.history(projectId, { target_type: 'sso_connection', organization_id: organizationId }),
      this.#db.query<{ created_at: Date; custom_roles: Role[]; email_role_rules: EmailRoleRule[] }>(
        `SELECT created_at, custom_roles, COALESCE((SELECT json_agg(json_build_object('domain', r.domain, 'role_id', r.role_id) ORDER BY r.position)
                  FROM organization_email_role_rules r WHERE r.organization_id = o.organization_id), '[]'::json) AS email_role_rules
           FROM organizations o WHERE project_id = $1 AND organization_id = $2`,
        [projectId, organizationId],
      ).then(({ rows }) => rows[0]),
      this.#db.query<{ connection_id: string; created_at: Date; connection_role_rules: { role_id: string }[]; group_role_rules: { role_id: string; group: string }[] }>(
        'SELECT connection_id, created_at, connection_role_rules, group_role_rules FROM sso_connections WHERE project_id = $1 AND organization_id = $2',
        [projectId, organizationId],
      ).then(({ rows }) => rows),
      this.#db.query<{ connection_id: string; created_at: Date; groups: string[] }>(
        'SELECT connection_id, created_at, groups FROM sso_registrations WHERE member_id = $1', [memberId],
      ).then(({ rows }) => rows),
      this.#scimAt(projectId, organizationId, memberId, events, at),
    ]);
    if (organizationEvents.some((event) => event.action === 'organization.deleted' && event.occurred_at.getTime() <= at.getTime())) {
      return denied(answer, policy, 'The member\'s organization was deleted at this time.');
    }
    if (!policy) return denied(answer, policy, 'The project had no policy yet at this time.', true);

    const customRoles = valueAt<Role[]>(organizationEvents, at, (s) => (s === null ? [] : s.custom_roles), () => organization?.custom_roles ?? []).value;
    const customIds = customRoles.map((role) => role.role_id);
    const rules = valueAt<EmailRoleRule[]>(organizationEvents, at, (s) => (s === null ? [] : s.email_role_rules), () => organization?.email_role_rules ?? []);
    const ruleRoles = await this.#stillDefined(projectId, 'b2b', rules.value.map((rule) => rule.role_id), rules.since, at, customIds);
    const explicit = await this.#stillDefined(projectId, 'b2b', state.value.roles, state.since, at, customIds);

    // Each connection's rules and the member's groups at that connection, as they were then.
    const existedThen = (createdAt: Date | undefined) => createdAt !== undefined && createdAt.getTime() <= at.getTime();
    const connectionIds = new Set([...connections.map((c) => c.connection_id), ...connectionEvents.map((e) => e.target_id)]);
    const ssoConnections = [...connectionIds].flatMap((connectionId) => {
      const now = connections.find((c) => c.connection_id === connectionId);
      const rulesThen = valueAt(connectionEvents.filter((e) => e.target_id === connectionId), at,
        (s) => (s === null ? null : { connection_role_rules: s.connection_role_rules, group_role_rules: s.group_role_rules }),
        () => (now && existedThen(now.created_at) ? now : null)).value;
      return rulesThen ? [{ connection_id: connectionId, ...rulesThen }] : [];
    });
    const groupEvents = events.filter((event) => event.action === 'member.sso_groups.updated');
    const ssoRegistrations = ssoConnections.flatMap(({ connection_id }) => {
      const now = registrations.find((r) => r.connection_id === connection_id);
      const groups = valueAt<string[] | null>(groupEvents.filter((e) => (e.after ?? e.before)?.connection_id === connection_id), at,
        (s) => (s === null ? null : s.groups), () => (now && existedThen(now.created_at) ? now.groups : null)).value;
      return groups ? [{ registration_id: '', connection_id, external_id: '', groups }] : [];
    });

    const keptRules = rules.value.filter((rule) => ruleRoles.includes(rule.role_id));
    const roles = memberRoles(
      {
        explicit_roles: explicit, email_domain: emailDomain(state.value.email_address), sso_registrations: ssoRegistrations, scim_groups: scim.groups,
        // Entries from before verification was recorded: email-domain rules then counted for any address.
        email_address_verified: state.value.email_address_verified ?? true,
      },
      { email_role_rules: keptRules, sso_connections: ssoConnections, scim_connections: scim.connections },
    );
    return decide(answer, policy, 'b2b', roles, customRoles, query);
  }

  /**
   * The organization's SCIM connections' group rules at `at` (scim_connection events) and the SCIM
   * groups the member was in then (member.scim_groups.updated events), else as they are now.
   */
  async #scimAt(projectId: string, organizationId: string, memberId: string, events: readonly AuditEvent[], at: Date) {
    const [connectionEvents, { rows: connections }, { rows: memberships }] = await Promise.all([
      this.#audit.history(projectId, { target_type: 'scim_connection', organization_id: organizationId }),
      this.#db.query<{ connection_id: string; created_at: Date; group_role_rules: { role_id: string; group_id: string }[] }>(
        'SELECT connection_id, created_at, group_role_rules FROM scim_connections WHERE organization_id = $1', [organizationId]),
      this.#db.query<{ connection_id: string; group_id: string }>('SELECT connection_id, group_id FROM scim_group_members WHERE member_id = $1', [memberId]),
    ]);
    const connectionIds = new Set([...connections.map((c) => c.connection_id), ...connectionEvents.map((e) => e.target_id)]);
    const groupEvents = events.filter((event) => event.action === 'member.scim_groups.updated');
    const ruleSets = [...connectionIds].flatMap((connectionId) => {
      const now = connections.find((c) => c.connection_id === connectionId);
      const rules = valueAt<{ role_id: string; group_id: string }[] | null>(connectionEvents.filter((e) => e.target_id === connectionId), at,
        (s) => (s === null ? null : s.group_role_rules), () => (now && now.created_at.getTime() <= at.getTime() ? now.group_role_rules : null)).value;
      return rules ? [{ connection_id: connectionId, group_role_rules: rules }] : [];
    });
    const groups = ruleSets.flatMap(({ connection_id }) => {
      const ids = valueAt<string[]>(groupEvents.filter((e) => (e.after ?? e.before)?.connection_id === connection_id), at,
        (s) => (s === null ? [] : s.groups), () => memberships.filter((m) => m.connection_id === connection_id).map((m) => m.group_id)).value;
      return ids.map((group_id) => ({ connection_id, group_id }));
    });
    return { connections: ruleSets, groups };
  }

  /** The policy version of a kind in force at `at`, or null before the project had one. */
  async #policyAt(projectId: string, kind: PolicyKind, at: Date): Promise<{ version: number; policy: Policy } | null> {
    const { rows } = await this.#db.query<{ version: number; policy: Policy }>(
      `SELECT version, policy FROM rbac_policy_versions WHERE project_id = $1 AND kind = $2 AND created_at <= $3 ORDER BY version DESC LIMIT 1`,
      [projectId, kind, at],
    );
    return rows[0] ?? null;
  }

  /**
   * The roles of an assignment made at `since` that still held at `at`. A policy write that removes a
   * role ends every assignment of it (refused while any exist, removed with them on cascade), so a
   * role missing from any policy version written in between was no longer held. Organization custom
   * roles cannot be removed while assigned.
   */
  async #stillDefined(projectId: string, kind: PolicyKind, roles: readonly string[], since: Date | null, at: Date, customRoleIds: readonly string[]): Promise<string[]> {
    if (roles.length === 0 || since === null) return [...roles];
    const { rows } = await this.#db.query<{ role_ids: string[] }>(
      `SELECT ARRAY(SELECT r->>'role_id' FROM jsonb_array_elements(policy->'roles') r) AS role_ids
         FROM rbac_policy_versions WHERE project_id = $1 AND kind = $2 AND created_at > $3 AND created_at <= $4`,
      [projectId, kind, since, at],
    );
    return roles.filter((role) => customRoleIds.includes(role) || rows.every((row) => row.role_ids.includes(role)));
  }
}

function denied(
  answer: Pick<AccessAtAnswer, 'at' | 'subject'>,
  policy: { version: number } | null,
  note: string,
  existed = false,
): AccessAtAnswer {
  return { ...answer, allowed: false, policy_version: policy?.version ?? null, existed, roles: [], granting_roles: [], note };
}

function decide(
  answer: Pick<AccessAtAnswer, 'at' | 'subject'>,
  policy: { version: number; policy: Policy },
  kind: PolicyKind,
  roles: MemberRole[],
  customRoles: readonly Role[],
  query: AccessAtQuery,
): AccessAtAnswer {
  const compiled = compileWithCustomRoles(policy.policy, customRoles, POLICY_RULES[kind]);
  const verdict = isAuthorized(compiled, roles.map((role) => role.role_id), query.resource_id, query.action);
  return {
    ...answer,
    allowed: verdict.authorized,
    policy_version: policy.version,
    existed: true,
    roles,
    granting_roles: verdict.granting_roles.map((roleId) => roles.find((role) => role.role_id === roleId)!),
  };
}
