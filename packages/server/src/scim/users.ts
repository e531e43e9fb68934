// SCIM Users (RFC 7643 §4.1) at a connection: each provisioned user is a member of the connection's
// organization, and its SCIM id is the member_id. The address is the primary (else the work, else
// the first) of `emails`, else `userName` when it is an address; the name is displayName, else
// given and family name. The IdP vouches for the address: it counts as verified (as Stytch treats
// SCIM-provisioned members). A user whose address a live member already has is linked to that
// member, whose address the IdP may then not change (scim_users.linked). `active: false` deprovisions the member (members/provisioning.ts: deleted, its explicit
// roles and sessions revoked) and `active: true` brings it back; DELETE deprovisions it and forgets
// the SCIM user. Passwords the IdP may send are never stored.
import { environmentOfProject } from '@gatehouse/contracts';
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/log.ts';
import type { MemberService } from '../members/service.ts';
import { deactivateProvisioned, reactivateProvisioned, setProvisionedProfile } from '../members/provisioning.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import { normalizeEmail } from '../shared/fields.ts';
import type { ChangeFeed, Emit } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { ScimConnectionRecord } from './connections.ts';
import { getKey, indexHint, matches, parseFilter } from './filter.ts';
import { changeMemberships, removeFromAllGroups, scimActor } from './memberships.ts';
import { applyPatch, type PatchOperation } from './patch.ts';
import { toWireScimUser, type ScimUserRow } from './wire.ts';

type Json = Record<string, unknown>;

/** What the store keeps apart from the attributes (or never: password). */
const NOT_ATTRIBUTES = new Set(['id', 'meta', 'schemas', 'groups', 'password', 'username', 'externalid', 'active']);

interface UserInput {
  user_name: string;
  external_id: string | null;
  active: boolean;
  email: string;
  name: string;
  attributes: Json;
}

function invalidValue(problem: string): GatehouseError {
  return new GatehouseError('scim_invalid_value', { params: { problem } });
}

function readBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`${field} must be a boolean`);
}

/** A SCIM User resource as the IdP sent it, read into what a member is made of. */
export function readUser(body: Json): UserInput {
  const userName = getKey(body, 'userName');
  if (typeof userName !== 'string' || userName.trim() === '' || userName.length > 256) throw invalidValue('userName is required (a string of at most 256 characters)');
  const externalId = getKey(body, 'externalId');
  if (externalId !== undefined && externalId !== null && (typeof externalId !== 'string' || externalId.length > 256)) throw invalidValue('externalId must be a string');
  const emails = getKey(body, 'emails');
  if (emails !== undefined && !Array.isArray(emails)) throw invalidValue('emails must be a list');
  const list = ((emails ?? []) as unknown[]).filter((e): e is Json => typeof e === 'object' && e !== null && typeof getKey(e, 'value') === 'string');
  const chosen = list.find((e) => readBoolean(getKey(e, 'primary') ?? false, 'emails.primary'))
    ?? list.find((e) => String(getKey(e, 'type') ?? '').toLowerCase() === 'work') ?? list[0];
  const address = (chosen ? getKey(chosen, 'value') : userName.includes('@') ? userName : undefined) as string | undefined;
  if (address === undefined) throw invalidValue('the user needs an email address (emails, or a userName that is one)');
  let email: string;
  try {
    email = normalizeEmail(address);
  } catch {
    throw invalidValue(`"${address.slice(0, 256)}" is not an email address`);
  }
  const name = getKey(body, 'name') as Json | undefined;
  const displayName = getKey(body, 'displayName');
  const given = [getKey(name, 'givenName'), getKey(name, 'familyName')].filter((part) => typeof part === 'string' && part !== '').join(' ');
  const formatted = getKey(name, 'formatted');
  const fullName = (typeof displayName === 'string' && displayName !== '' ? displayName : given || (typeof formatted === 'string' ? formatted : '')).slice(0, 256);
  const attributes: Json = {};
  for (const [key, value] of Object.entries(body)) if (!NOT_ATTRIBUTES.has(key.toLowerCase())) attributes[key] = value;
  return {
    user_name: userName.trim(), external_id: typeof externalId === 'string' && externalId !== '' ? externalId : null,
    active: readBoolean(getKey(body, 'active'), 'active'), email, name: fullName, attributes,
  };
}

const USER_COLUMNS = `u.member_id, u.registration_id, u.user_name, u.external_id, u.active, u.attributes, u.version, u.created_at, u.updated_at,
  COALESCE((SELECT json_agg(json_build_object('value', g.group_id, 'display', g.display_name) ORDER BY g.display_name, g.group_id)
              FROM scim_group_members gm JOIN scim_groups g USING (group_id) WHERE gm.member_id = u.member_id AND gm.connection_id = u.connection_id), '[]'::json) AS groups`;

function conflict(error: unknown): never {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505' && /scim_users|user_name|external_id|registration/.test(`${e.constraint ?? ''} ${e.message ?? ''}`)) throw new GatehouseError('scim_user_exists');
  if (e.code === '23505') throw new GatehouseError('scim_member_email_taken');
  throw error;
}

export class ScimUsers {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #members: MemberService;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #publicUrl: string;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; members: MemberService; audit: AuditLog; clock: Clock; publicUrl: string }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#members = deps.members;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#publicUrl = deps.publicUrl;
  }

  async create(connection: ScimConnectionRecord, body: Json) {
    const input = readUser(body);
    const { project_id: projectId, organization_id: organizationId } = connection;
    const { rowCount } = await this.#db.query(
      'SELECT 1 FROM scim_users WHERE connection_id = $1 AND (user_name_normalized = $2 OR external_id = $3)',
      [connection.connection_id, input.user_name.toLowerCase(), input.external_id]);
    if (rowCount > 0) throw new GatehouseError('scim_user_exists');
    const existing = await this.#members.findByEmail(projectId, organizationId, input.email);
    if (existing?.scim_registration) throw new GatehouseError('scim_user_exists');
    const registrationId = `scim-registration-${environmentOfProject(projectId)}-${randomUUID()}`;
    const insert = (tx: SqlExecutor, memberId: string) => tx.query(
      `INSERT INTO scim_users (connection_id, member_id, registration_id, organization_id, project_id, user_name, user_name_normalized,
                               external_id, active, attributes, created_at, updated_at, linked)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9, $10, $10, $11)`,
      [connection.connection_id, memberId, registrationId, organizationId, projectId, input.user_name, input.user_name.toLowerCase(),
        input.external_id, JSON.stringify(input.attributes), this.#clock.now(), existing !== null]).then(() => {}, conflict);
    let memberId: string;
    if (existing) {
      memberId = existing.member_id;
      await this.#feed.write(async (tx, emit) => {
        await insert(tx, memberId);
        await setProvisionedProfile(tx, this.#audit, existing, { email: input.email, name: input.name || existing.name }, scimActor(connection), this.#clock.now());
        emit({ type: 'member', project_id: projectId, organization_id: organizationId, member_id: memberId });
      });
    } else {
      try {
        const member = await this.#members.createMember(projectId, environmentOfProject(projectId), organizationId,
          { email_address: input.email, name: input.name, email_address_verified: true }, scimActor(connection), insert);
        memberId = member.member_id;
      } catch (error) {
        if (error instanceof GatehouseError && error.errorType === 'duplicate_member_email') throw new GatehouseError('scim_member_email_taken');
        throw error;
      }
    }
    if (!input.active) await this.#write(connection, memberId, async (tx) => this.#setActive(tx, connection, memberId, true, false));
    return this.get(connection, memberId);
  }

  async get(connection: ScimConnectionRecord, id: string) {
    const row = await this.#row(this.#db, connection, id);
    if (!row) throw notFound(id);
    return toWireScimUser(row, this.#baseUrl(connection));
  }

  /** A page of the users matching the filter, in creation order (startIndex from 1). */
  async list(connection: ScimConnectionRecord, query: { filter?: string; startIndex: number; count: number }) {
    const filter = query.filter ? parseFilter(query.filter) : null;
    const hint = filter ? indexHint(filter, ['userName', 'externalId', 'id', 'emails.value']) : null;
    const params: unknown[] = [connection.connection_id];
    let where = 'u.connection_id = $1';
    if (hint?.attribute === 'userName') where += ` AND u.user_name_normalized = $${params.push(hint.value.toLowerCase())}`;
    if (hint?.attribute === 'externalId') where += ` AND u.external_id = $${params.push(hint.value)}`;
    if (hint?.attribute === 'id') where += ` AND u.member_id = $${params.push(hint.value)}`;
    if (hint?.attribute === 'emails.value') {
      where += ` AND (lower(u.user_name) = $${params.push(hint.value.toLowerCase())} OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(u.attributes->'emails') = 'array' THEN u.attributes->'emails' ELSE '[]' END) e WHERE lower(e->>'value') = $${params.length}))`;
    }
    if (!filter) {
      const [{ rows }, { rows: total }] = await Promise.all([
        this.#db.query<ScimUserRow>(`SELECT ${USER_COLUMNS} FROM scim_users u WHERE ${where} ORDER BY u.created_at, u.member_id OFFSET $2 LIMIT $3`,
          [...params, query.startIndex - 1, query.count]),
        this.#db.query<{ total: number }>(`SELECT count(*)::int AS total FROM scim_users u WHERE ${where}`, params),
      ]);
      return this.#page(connection, rows.map((row) => toWireScimUser(row, this.#baseUrl(connection))), total[0]?.total ?? 0, query.startIndex);
    }
    const { rows } = await this.#db.query<ScimUserRow>(`SELECT ${USER_COLUMNS} FROM scim_users u WHERE ${where} ORDER BY u.created_at, u.member_id`, params);
    const found = rows.map((row) => toWireScimUser(row, this.#baseUrl(connection))).filter((user) => matches(user, filter));
    return this.#page(connection, found.slice(query.startIndex - 1, query.startIndex - 1 + query.count), found.length, query.startIndex);
  }

  /** PUT: the user becomes what the body says. */
  async replace(connection: ScimConnectionRecord, id: string, body: Json, ifMatch?: string) {
    const input = readUser(body);
    await this.#write(connection, id, async (tx, current, emit) => {
      checkVersion(current.version, ifMatch);
      await this.#store(tx, connection, current, input, emit);
    });
    return this.get(connection, id);
  }

  /** PATCH: the operations applied to the user as it is, then stored as a replace. */
  async patch(connection: ScimConnectionRecord, id: string, operations: readonly PatchOperation[], ifMatch?: string) {
    await this.#write(connection, id, async (tx, current, emit) => {
      checkVersion(current.version, ifMatch);
      const resource = toWireScimUser(current, this.#baseUrl(connection)) as Json;
      const patched = applyPatch(resource, operations);
      await this.#store(tx, connection, current, readUser(patched), emit);
    });
    return this.get(connection, id);
  }

  /** DELETE: the member is deprovisioned and out of every group; the SCIM user is forgotten. */
  async delete(connection: ScimConnectionRecord, id: string): Promise<void> {
    await this.#write(connection, id, async (tx, current, emit) => {
      const member = { project_id: connection.project_id, organization_id: connection.organization_id, member_id: id };
      await deactivateProvisioned(tx, this.#audit, member, scimActor(connection), this.#clock.now());
      await changeMemberships(tx, this.#audit, emit, connection, [id], () => removeFromAllGroups(tx, connection.connection_id, id));
      await tx.query('DELETE FROM scim_users WHERE connection_id = $1 AND member_id = $2', [connection.connection_id, current.member_id]);
    });
  }

  async #store(tx: SqlExecutor, connection: ScimConnectionRecord, current: ScimUserRow, input: UserInput, emit: Emit) {
    const now = this.#clock.now();
    const member = { project_id: connection.project_id, organization_id: connection.organization_id, member_id: current.member_id };
    // A member that existed before the connection linked it keeps its address: otherwise whoever
    // holds the connection's token could move it to an inbox they read and sign in with its roles.
    const { rows: linked } = await tx.query<{ email_normalized: string }>(
      'SELECT m.email_normalized FROM scim_users u JOIN members m USING (member_id) WHERE u.connection_id = $1 AND u.member_id = $2 AND u.linked',
      [connection.connection_id, current.member_id]);
    if (linked[0] && linked[0].email_normalized !== input.email.toLowerCase()) {
      throw invalidValue('this member existed before the connection linked it by its address; the IdP may not change that address');
    }
    await tx.query(
      `UPDATE scim_users SET user_name = $3, user_name_normalized = $4, external_id = $5, active = $6, attributes = $7, version = version + 1, updated_at = $8
        WHERE connection_id = $1 AND member_id = $2`,
      [connection.connection_id, current.member_id, input.user_name, input.user_name.toLowerCase(), input.external_id, input.active,
        JSON.stringify(input.attributes), now]).catch(conflict);
    if (!current.active && input.active) await this.#setActive(tx, connection, current.member_id, false, true);
    await setProvisionedProfile(tx, this.#audit, member, { email: input.email, name: input.name }, scimActor(connection), now);
    if (current.active && !input.active) await this.#setActive(tx, connection, current.member_id, true, false);
    emit({ type: 'member', ...member });
  }

  async #setActive(tx: SqlExecutor, connection: ScimConnectionRecord, memberId: string, was: boolean, is: boolean) {
    const member = { project_id: connection.project_id, organization_id: connection.organization_id, member_id: memberId };
    await tx.query('UPDATE scim_users SET active = $3 WHERE connection_id = $1 AND member_id = $2', [connection.connection_id, memberId, is]);
    if (was && !is) await deactivateProvisioned(tx, this.#audit, member, scimActor(connection), this.#clock.now());
    if (!was && is) await reactivateProvisioned(tx, this.#audit, member, scimActor(connection), this.#clock.now());
  }

  /** Runs `work` on the user's row, locked, in a write transaction; 404 when the connection has no such user. */
  async #write(connection: ScimConnectionRecord, id: string, work: (tx: SqlExecutor, current: ScimUserRow, emit: Emit) => Promise<void>) {
    await this.#feed.write(async (tx, emit) => {
      const locked = await tx.query('SELECT 1 FROM scim_users WHERE connection_id = $1 AND member_id = $2 FOR UPDATE', [connection.connection_id, id]);
      if (locked.rowCount === 0) throw notFound(id);
      await work(tx, (await this.#row(tx, connection, id))!, emit);
      emit({ type: 'member', project_id: connection.project_id, organization_id: connection.organization_id, member_id: id });
    });
  }

  async #row(db: SqlExecutor, connection: ScimConnectionRecord, id: string): Promise<ScimUserRow | null> {
    const { rows } = await db.query<ScimUserRow>(`SELECT ${USER_COLUMNS} FROM scim_users u WHERE u.connection_id = $1 AND u.member_id = $2`, [connection.connection_id, id]);
    return rows[0] ?? null;
  }

  #page(_connection: ScimConnectionRecord, resources: unknown[], total: number, startIndex: number) {
    return { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
  }

  #baseUrl(connection: ScimConnectionRecord): string {
    return `${this.#publicUrl}/v1/b2b/scim/${connection.connection_id}`;
  }
}

function notFound(id: string): GatehouseError {
  return new GatehouseError('scim_resource_not_found', { params: { resource: 'User', id: id.slice(0, 128) } });
}

/** If-Match with the version an ETag gave (W/"n"): refused when the resource has changed since. */
export function checkVersion(version: number, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  if (!ifMatch.split(',').some((tag) => tag.trim() === `W/"${version}"`)) throw new GatehouseError('scim_version_mismatch');
}
