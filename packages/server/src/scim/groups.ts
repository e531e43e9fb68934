// SCIM Groups (RFC 7643 §4.2) at a connection: the IdP's groups and their members, who must be users
// the IdP provisioned at the same connection. Membership changes — Okta's PATCH (`add` to path
// `members`, `remove` of `members[value eq "id"]`, a path-less `replace` of id and displayName) and
// Entra's (capitalized ops, `Remove` with a value list) and PUT — go through memberships.ts, so each
// member's roles from group rules change at once and the audit log can replay them.
import { environmentOfProject } from '@gatehouse/contracts';
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { ChangeFeed, Emit } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { ScimConnectionRecord } from './connections.ts';
import { getKey, indexHint, matches, parseFilter, type Filter } from './filter.ts';
import { addToGroup, changeMemberships, removeFromGroup } from './memberships.ts';
import { patchOp, type PatchOperation } from './patch.ts';
import { toWireScimGroup, type ScimGroupRow } from './wire.ts';

type Json = Record<string, unknown>;

const GROUP_COLUMNS = `g.group_id, g.display_name, g.external_id, g.version, g.created_at, g.updated_at,
  COALESCE((SELECT json_agg(json_build_object('value', gm.member_id, 'display', u.user_name) ORDER BY u.user_name, gm.member_id)
              FROM scim_group_members gm JOIN scim_users u ON u.member_id = gm.member_id AND u.connection_id = gm.connection_id
             WHERE gm.group_id = g.group_id), '[]'::json) AS members`;

function invalidValue(problem: string): GatehouseError {
  return new GatehouseError('scim_invalid_value', { params: { problem } });
}

function notFound(id: string): GatehouseError {
  return new GatehouseError('scim_resource_not_found', { params: { resource: 'Group', id: id.slice(0, 128) } });
}

function readDisplayName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 1024) throw invalidValue('displayName is required (a string of at most 1024 characters)');
  return value.trim();
}

/** The member ids a `members` value names: `[{ "value": id }]` (or bare ids). */
function memberIds(value: unknown): string[] {
  const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  return list.map((item) => {
    const id = typeof item === 'object' && item !== null ? getKey(item, 'value') : item;
    if (typeof id !== 'string' || id === '') throw invalidValue('each member needs a value (the user\'s id)');
    return id;
  });
}

/** The member ids a `members[value eq "id"]` path names (Okta's and Entra's removal by filter). */
function idsInFilter(filter: Filter): string[] {
  if (filter.kind === 'or' || filter.kind === 'and') return [...idsInFilter(filter.left), ...idsInFilter(filter.right)];
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.join('.').toLowerCase() === 'value' && typeof filter.value === 'string') return [filter.value];
  throw new GatehouseError('scim_invalid_path', { params: { path: 'members[…]' } });
}

function conflict(error: unknown): never {
  if ((error as { code?: string }).code === '23505') throw new GatehouseError('scim_group_exists');
  throw error;
}

export class ScimGroups {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #publicUrl: string;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; audit: AuditLog; clock: Clock; publicUrl: string }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#publicUrl = deps.publicUrl;
  }

  async create(connection: ScimConnectionRecord, body: Json) {
    const displayName = readDisplayName(getKey(body, 'displayName'));
    const externalId = getKey(body, 'externalId');
    const members = memberIds(getKey(body, 'members'));
    const groupId = `scim-group-${environmentOfProject(connection.project_id)}-${randomUUID()}`;
    await this.#feed.write(async (tx, emit) => {
      const now = this.#clock.now();
      await tx.query(
        `INSERT INTO scim_groups (group_id, connection_id, organization_id, project_id, display_name, external_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
        [groupId, connection.connection_id, connection.organization_id, connection.project_id, displayName,
          typeof externalId === 'string' && externalId !== '' ? externalId : null, now]).catch(conflict);
      await this.#changeMembers(tx, emit, connection, groupId, { add: members });
    });
    return this.get(connection, groupId);
  }

  async get(connection: ScimConnectionRecord, id: string, withMembers = true) {
    const row = await this.#row(this.#db, connection, id);
    if (!row) throw notFound(id);
    return toWireScimGroup(row, this.#baseUrl(connection), withMembers);
  }

  async list(connection: ScimConnectionRecord, query: { filter?: string; startIndex: number; count: number; withMembers: boolean }) {
    const filter = query.filter ? parseFilter(query.filter) : null;
    const hint = filter ? indexHint(filter, ['displayName', 'externalId', 'id']) : null;
    const params: unknown[] = [connection.connection_id];
    let where = 'g.connection_id = $1';
    if (hint?.attribute === 'displayName') where += ` AND lower(g.display_name) = $${params.push(hint.value.toLowerCase())}`;
    if (hint?.attribute === 'externalId') where += ` AND g.external_id = $${params.push(hint.value)}`;
    if (hint?.attribute === 'id') where += ` AND g.group_id = $${params.push(hint.value)}`;
    const { rows } = await this.#db.query<ScimGroupRow>(`SELECT ${GROUP_COLUMNS} FROM scim_groups g WHERE ${where} ORDER BY g.created_at, g.group_id`, params);
    // Judged with members (Entra asks `id eq "g" and members eq "u"`), answered without when asked.
    const found = rows.filter((row) => !filter || matches(toWireScimGroup(row, this.#baseUrl(connection)), filter));
    const page = found.slice(query.startIndex - 1, query.startIndex - 1 + query.count).map((row) => toWireScimGroup(row, this.#baseUrl(connection), query.withMembers));
    return { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: found.length, startIndex: query.startIndex, itemsPerPage: page.length, Resources: page };
  }

  /** PUT: the group's name, external id and members become what the body says. */
  async replace(connection: ScimConnectionRecord, id: string, body: Json) {
    const displayName = readDisplayName(getKey(body, 'displayName'));
    const externalId = getKey(body, 'externalId');
    const members = getKey(body, 'members');
    await this.#write(connection, id, async (tx, emit) => {
      await this.#rename(tx, id, displayName, typeof externalId === 'string' && externalId !== '' ? externalId : null);
      if (members !== undefined) await this.#changeMembers(tx, emit, connection, id, { set: memberIds(members) });
    });
    return this.get(connection, id);
  }

  async patch(connection: ScimConnectionRecord, id: string, operations: readonly PatchOperation[]) {
    await this.#write(connection, id, async (tx, emit) => {
      for (const operation of operations) {
        const op = patchOp(operation.op);
        const path = operation.path?.trim() ?? '';
        const lower = path.toLowerCase();
        if (path === '') {
          if (op === 'remove' || typeof operation.value !== 'object' || operation.value === null) {
            throw new GatehouseError('scim_invalid_syntax', { params: { problem: `${op} without a path takes an object of attributes` } });
          }
          // Okta: {"op":"replace","value":{"id":…,"displayName":…}}; members too, by some IdPs.
          const value = operation.value as Json;
          const displayName = getKey(value, 'displayName');
          if (displayName !== undefined) await this.#rename(tx, id, readDisplayName(displayName));
          const externalId = getKey(value, 'externalId');
          if (typeof externalId === 'string') await tx.query('UPDATE scim_groups SET external_id = NULLIF($2, \'\') WHERE group_id = $1', [id, externalId]);
          const members = getKey(value, 'members');
          if (members !== undefined) await this.#changeMembers(tx, emit, connection, id, op === 'add' ? { add: memberIds(members) } : { set: memberIds(members) });
        } else if (lower === 'displayname') {
          if (op === 'remove') throw new GatehouseError('scim_invalid_path', { params: { path } });
          await this.#rename(tx, id, readDisplayName(operation.value));
        } else if (lower === 'externalid') {
          await tx.query('UPDATE scim_groups SET external_id = $2 WHERE group_id = $1', [id, op === 'remove' || typeof operation.value !== 'string' || operation.value === '' ? null : operation.value]);
        } else if (lower === 'members') {
          if (op === 'add') await this.#changeMembers(tx, emit, connection, id, { add: memberIds(operation.value) });
          else if (op === 'replace') await this.#changeMembers(tx, emit, connection, id, { set: memberIds(operation.value) });
          // Entra names the members to remove in the value; with none, every member goes (RFC 7644 §3.5.2.2).
          else await this.#changeMembers(tx, emit, connection, id, operation.value === undefined ? { set: [] } : { remove: memberIds(operation.value) });
        } else if (lower.startsWith('members[')) {
          const match = /^members\[(.+)\]$/i.exec(path);
          if (!match || op !== 'remove') throw new GatehouseError('scim_invalid_path', { params: { path } });
          let filter: Filter;
          try {
            filter = parseFilter(match[1]!);
          } catch {
            throw new GatehouseError('scim_invalid_path', { params: { path } });
          }
          await this.#changeMembers(tx, emit, connection, id, { remove: idsInFilter(filter) });
        } else {
          throw new GatehouseError('scim_invalid_path', { params: { path } });
        }
      }
    });
    return this.get(connection, id);
  }

  /** DELETE: the group and its memberships (the roles its rules gave go with them). */
  async delete(connection: ScimConnectionRecord, id: string): Promise<void> {
    await this.#write(connection, id, async (tx, emit) => {
      await this.#changeMembers(tx, emit, connection, id, { set: [] });
      await tx.query('DELETE FROM scim_groups WHERE group_id = $1', [id]);
    });
  }

  async #rename(tx: SqlExecutor, id: string, displayName: string, externalId?: string | null) {
    await tx.query(
      `UPDATE scim_groups SET display_name = $2, external_id = CASE WHEN $3::boolean THEN $4 ELSE external_id END WHERE group_id = $1`,
      [id, displayName, externalId !== undefined, externalId ?? null]).catch(conflict);
  }

  /**
   * Adds, removes or sets the group's members. Ids must be users the IdP provisioned at this
   * connection (SCIM ids are member ids); an unknown one is refused, as it names no user here.
   */
  async #changeMembers(tx: SqlExecutor, emit: Emit, connection: ScimConnectionRecord, groupId: string, change: { add?: string[]; remove?: string[]; set?: string[] }) {
    const named = [...new Set([...(change.add ?? []), ...(change.set ?? [])])];
    if (named.length > 0) {
      const { rows } = await tx.query<{ member_id: string }>('SELECT member_id FROM scim_users WHERE connection_id = $1 AND member_id = ANY($2)', [connection.connection_id, named]);
      const unknown = named.find((id) => !rows.some((row) => row.member_id === id));
      if (unknown) throw invalidValue(`member "${unknown.slice(0, 128)}" is not a user provisioned at this connection`);
    }
    const { rows: current } = await tx.query<{ member_id: string }>('SELECT member_id FROM scim_group_members WHERE group_id = $1', [groupId]);
    const currentIds = current.map((row) => row.member_id);
    const toAdd = change.set ? change.set.filter((id) => !currentIds.includes(id)) : (change.add ?? []);
    const toRemove = change.set ? currentIds.filter((id) => !change.set!.includes(id)) : (change.remove ?? []);
    await changeMemberships(tx, this.#audit, emit, connection, [...toAdd, ...toRemove], async () => {
      await addToGroup(tx, connection, groupId, toAdd);
      await removeFromGroup(tx, groupId, toRemove);
    });
  }

  async #write(connection: ScimConnectionRecord, id: string, work: (tx: SqlExecutor, emit: Emit) => Promise<void>) {
    await this.#feed.write(async (tx, emit) => {
      const locked = await tx.query('SELECT 1 FROM scim_groups WHERE connection_id = $1 AND group_id = $2 FOR UPDATE', [connection.connection_id, id]);
      if (locked.rowCount === 0) throw notFound(id);
      await work(tx, emit);
      await tx.query('UPDATE scim_groups SET version = version + 1, updated_at = $2 WHERE group_id = $1', [id, this.#clock.now()]);
    });
  }

  async #row(db: SqlExecutor, connection: ScimConnectionRecord, id: string): Promise<ScimGroupRow | null> {
    const { rows } = await db.query<ScimGroupRow>(`SELECT ${GROUP_COLUMNS} FROM scim_groups g WHERE g.connection_id = $1 AND g.group_id = $2`, [connection.connection_id, id]);
    return rows[0] ?? null;
  }

  #baseUrl(connection: ScimConnectionRecord): string {
    return `${this.#publicUrl}/v1/b2b/scim/${connection.connection_id}`;
  }
}
