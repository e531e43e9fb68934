// Consumer users: create, read, update, delete, search. Explicit roles are rows in user_roles,
// checked against the policy inside the same transaction; the default role is added on read.
import { createHash } from 'node:crypto';
import { IMPLICIT_ROLE_IDS } from '@gatehouse/policy';
import type { AuditAction, AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { LIMITS, type Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { checkExternalId, checkPhone, checkRoles, normalizeEmail } from '../shared/fields.ts';
import { isId, newId } from '../shared/ids.ts';
import { applyMetadataUpdate, checkMetadata, type Metadata } from '../shared/metadata.ts';
import type { Actor } from '../projects/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { SearchCursors } from '../search/query.ts';
import { compileUserSearch, type UserSearchQuery } from './search.ts';

export interface UserName {
  first_name: string;
  middle_name: string;
  last_name: string;
}

export interface UserRecord {
  user_id: string;
  status: 'active' | 'pending';
  name: UserName;
  emails: { email_id: string; email: string; verified: boolean }[];
  phone_numbers: { phone_id: string; phone_number: string; verified: boolean }[];
  /** Active TOTP registrations (totps/). */
  totps: { totp_id: string; verified: boolean }[];
  /** Explicitly assigned roles only. */
  explicit_roles: string[];
  trusted_metadata: Metadata;
  untrusted_metadata: Metadata;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
  /** Set once the user has a password (passwords/). */
  password: { password_id: string; requires_reset: boolean } | null;
  /** The latest password lockout; it holds while lock_expires_at is in the future (see isLocked). */
  lock_created_at: Date | null;
  lock_expires_at: Date | null;
}

export interface CreateUserInput {
  email?: string;
  phone_number?: string;
  name?: Partial<UserName>;
  create_user_as_pending?: boolean;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  external_id?: string;
  roles?: string[];
}

export interface UpdateUserInput {
  name?: Partial<UserName>;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  external_id?: string;
  roles?: string[];
}

export interface UserSearchInput {
  cursor?: string | null;
  limit?: number;
  query?: UserSearchQuery | null;
}


const SELECT_USERS = `
  SELECT u.user_id, u.status, u.first_name, u.middle_name, u.last_name, u.trusted_metadata,
         u.untrusted_metadata, u.external_id, u.created_at, u.updated_at,
         COALESCE((SELECT json_agg(json_build_object('email_id', e.email_id, 'email', e.email, 'verified', e.verified)
                                   ORDER BY e.created_at, e.email_id)
                     FROM user_emails e WHERE e.user_id = u.user_id), '[]'::json) AS emails,
         COALESCE((SELECT json_agg(json_build_object('phone_id', p.phone_id, 'phone_number', p.phone_number, 'verified', p.verified)
                                   ORDER BY p.created_at, p.phone_id)
                     FROM user_phone_numbers p WHERE p.user_id = u.user_id), '[]'::json) AS phone_numbers,
         COALESCE((SELECT json_agg(json_build_object('totp_id', t.totp_id, 'verified', true))
                     FROM totp_registrations t WHERE t.user_id = u.user_id AND t.status = 'active'), '[]'::json) AS totps,
         COALESCE((SELECT array_agg(r.role_id ORDER BY r.role_id) FROM user_roles r WHERE r.user_id = u.user_id), '{}') AS explicit_roles,
         (SELECT json_build_object('password_id', pw.password_id, 'requires_reset', pw.requires_reset)
            FROM user_passwords pw WHERE pw.user_id = u.user_id) AS password,
         lk.lock_created_at, lk.lock_expires_at
    FROM users u
    LEFT JOIN user_lockouts lk ON lk.user_id = u.user_id AND lk.lock_expires_at IS NOT NULL`;

interface UserRow extends Omit<UserRecord, 'name'>, UserName {}

function toRecord(row: UserRow): UserRecord {
  const { first_name, middle_name, last_name, ...rest } = row;
  return { ...rest, name: { first_name, middle_name, last_name } };
}

export function checkUserId(userId: string): void {
  if (!isId('user', userId)) throw new GatehouseError('invalid_user_id', { params: { user_id: userId } });
}

function checkName(name: Partial<UserName> | undefined): Partial<UserName> {
  const out: Partial<UserName> = {};
  for (const key of ['first_name', 'middle_name', 'last_name'] as const) {
    const value = name?.[key];
    if (value === undefined) continue;
    if (value.length > 256) throw new GatehouseError('name_too_long', { params: { field: `name.${key}` } });
    out[key] = value;
  }
  return out;
}

/** Maps a unique-constraint violation to the conflict the caller caused. */
function conflictError(error: unknown): GatehouseError | undefined {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return undefined;
  const what = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (what.includes('user_emails')) return new GatehouseError('duplicate_email');
  if (what.includes('user_phone_numbers')) return new GatehouseError('duplicate_phone_number');
  if (what.includes('external_id')) return new GatehouseError('duplicate_user_external_id');
  return undefined;
}

export class UserService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #rbac: RbacService;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(db: SqlExecutor, feed: ChangeFeed, rbac: RbacService, clock: Clock, audit: AuditLog) {
    this.#db = db;
    this.#feed = feed;
    this.#rbac = rbac;
    this.#clock = clock;
    this.#audit = audit;
  }

  /** Explicit roles plus the default role every user holds, as `user.roles` and sessions show them. */
  effectiveRoles(user: Pick<UserRecord, 'explicit_roles'>): string[] {
    return [...IMPLICIT_ROLE_IDS.consumer, ...user.explicit_roles];
  }

  /** Whether a password lockout holds the user now. */
  isLocked(user: Pick<UserRecord, 'lock_expires_at'>): boolean {
    return user.lock_expires_at !== null && user.lock_expires_at.getTime() > this.#clock.now().getTime();
  }

  /**
   * `within` runs in the creating transaction, after the user's rows are written (a password, say).
   * `actor` is recorded in the audit log when the user is created with roles.
   */
  async createUser(
    projectId: string,
    environment: Environment,
    input: CreateUserInput,
    actor: Actor,
    within?: (tx: SqlExecutor, userId: string) => Promise<void>,
  ): Promise<UserRecord> {
    const email = input.email !== undefined ? normalizeEmail(input.email) : undefined;
    const phone = input.phone_number !== undefined ? checkPhone(input.phone_number) : undefined;
    const externalId = input.external_id ? checkExternalId(input.external_id) : null;
    const trusted = applyMetadataUpdate({}, input.trusted_metadata, 'trusted_metadata');
    const untrusted = applyMetadataUpdate({}, input.untrusted_metadata, 'untrusted_metadata');
    const roles = checkRoles(input.roles ?? [], 'user');
    const name = checkName(input.name);
    const now = this.#clock.now();
    const userId = newId('user', environment);
    try {
      await this.#feed.write(async (tx) => {
        if (roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'consumer', roles);
        await tx.query(
          `INSERT INTO users (user_id, project_id, status, first_name, middle_name, last_name, trusted_metadata,
                              untrusted_metadata, external_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
          [userId, projectId, input.create_user_as_pending ? 'pending' : 'active', name.first_name ?? '', name.middle_name ?? '',
            name.last_name ?? '', JSON.stringify(trusted), JSON.stringify(untrusted), externalId, now],
        );
        if (email !== undefined) {
          await tx.query(
            `INSERT INTO user_emails (email_id, user_id, project_id, email, email_normalized, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
            [newId('email', environment), userId, projectId, email, email.toLowerCase(), now],
          );
        }
        if (phone !== undefined) {
          await tx.query(
            `INSERT INTO user_phone_numbers (phone_id, user_id, project_id, phone_number, created_at) VALUES ($1, $2, $3, $4, $5)`,
            [newId('phone-number', environment), userId, projectId, phone, now],
          );
        }
        await insertRoles(tx, projectId, userId, roles, now);
        if (roles.length > 0) await this.#recordRoles(tx, projectId, userId, actor, 'user.created', null, roles);
        await within?.(tx, userId);
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
    return this.requireUser(projectId, userId);
  }

  async findUser(projectId: string, userId: string, db: SqlExecutor = this.#db): Promise<UserRecord | null> {
    if (!isId('user', userId)) return null;
    const { rows } = await db.query<UserRow>(`${SELECT_USERS} WHERE u.project_id = $1 AND u.user_id = $2`, [projectId, userId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async requireUser(projectId: string, userId: string, db: SqlExecutor = this.#db): Promise<UserRecord> {
    checkUserId(userId);
    const user = await this.findUser(projectId, userId, db);
    if (!user) throw new GatehouseError('user_not_found', { params: { user_id: userId } });
    return user;
  }

  /** The user's explicit roles, for authorization checks (one indexed read). */
  async requireExplicitRoles(projectId: string, userId: string): Promise<string[]> {
    checkUserId(userId);
    const { rows } = await this.#db.query<{ roles: string[] | null; found: boolean }>(
      `SELECT (SELECT array_agg(r.role_id ORDER BY r.role_id) FROM user_roles r WHERE r.user_id = u.user_id) AS roles
         FROM users u WHERE u.project_id = $1 AND u.user_id = $2`,
      [projectId, userId],
    );
    const row = rows[0];
    if (!row) throw new GatehouseError('user_not_found', { params: { user_id: userId } });
    return row.roles ?? [];
  }

  async updateUser(projectId: string, userId: string, input: UpdateUserInput, actor: Actor): Promise<UserRecord> {
    checkUserId(userId);
    const roles = input.roles !== undefined ? checkRoles(input.roles, 'user') : undefined;
    const externalId = input.external_id !== undefined && input.external_id !== '' ? checkExternalId(input.external_id) : input.external_id;
    const name = checkName(input.name);
    const now = this.#clock.now();
    try {
      return await this.#feed.write(async (tx, emit) => {
        emit({ type: 'user', project_id: projectId, user_id: userId });
        const { rows } = await tx.query<{ trusted_metadata: Metadata; untrusted_metadata: Metadata }>(
          'SELECT trusted_metadata, untrusted_metadata FROM users WHERE project_id = $1 AND user_id = $2 FOR UPDATE',
          [projectId, userId],
        );
        const current = rows[0];
        if (!current) throw new GatehouseError('user_not_found', { params: { user_id: userId } });
        const trusted = applyMetadataUpdate(current.trusted_metadata, input.trusted_metadata, 'trusted_metadata');
        const untrusted = applyMetadataUpdate(current.untrusted_metadata, input.untrusted_metadata, 'untrusted_metadata');
        await tx.query(
          `UPDATE users SET first_name = COALESCE($3, first_name), middle_name = COALESCE($4, middle_name),
                            last_name = COALESCE($5, last_name), trusted_metadata = $6, untrusted_metadata = $7,
                            external_id = CASE WHEN $8::boolean THEN NULLIF($9, '') ELSE external_id END, updated_at = $10
            WHERE project_id = $1 AND user_id = $2`,
          [projectId, userId, name.first_name ?? null, name.middle_name ?? null, name.last_name ?? null, JSON.stringify(trusted),
            JSON.stringify(untrusted), externalId !== undefined, externalId ?? null, now],
        );
        if (roles !== undefined) {
          if (roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'consumer', roles);
          const before = await explicitRoles(tx, userId);
          await tx.query('DELETE FROM user_roles WHERE user_id = $1 AND NOT (role_id = ANY($2))', [userId, roles]);
          await insertRoles(tx, projectId, userId, roles, now);
          const after = [...new Set(roles)].sort();
          if (before.join('\n') !== after.join('\n')) await this.#recordRoles(tx, projectId, userId, actor, 'user.roles.updated', before, after);
        }
        return this.requireUser(projectId, userId, tx);
      });
    } catch (error) {
      throw conflictError(error) ?? error;
    }
  }

  async deleteUser(projectId: string, userId: string, actor: Actor): Promise<void> {
    checkUserId(userId);
    await this.#feed.write(async (tx, emit) => {
      const roles = await explicitRoles(tx, userId);
      const { rowCount } = await tx.query('DELETE FROM users WHERE project_id = $1 AND user_id = $2', [projectId, userId]);
      if (rowCount === 0) throw new GatehouseError('user_not_found', { params: { user_id: userId } });
      // A user the log knows (it held roles once) gets its end recorded too, roles or not.
      if (roles.length > 0 || (await this.#audit.hasHistory(tx, projectId, 'user', userId))) {
        await this.#recordRoles(tx, projectId, userId, actor, 'user.deleted', roles, null);
      }
      emit({ type: 'user', project_id: projectId, user_id: userId });
    });
  }

  /** The audit entry of a change to a user's explicit roles (null: the user did not / no longer exists). */
  #recordRoles(tx: SqlExecutor, projectId: string, userId: string, actor: Actor, action: AuditAction, before: string[] | null, after: string[] | null) {
    return this.#audit.record(tx, {
      project_id: projectId, actor, action, target_type: 'user', target_id: userId,
      before: before && { roles: before }, after: after && { roles: [...new Set(after)].sort() },
    });
  }

  async searchUsers(projectId: string, input: UserSearchInput): Promise<{ results: UserRecord[]; total: number; next_cursor: string | null }> {
    const limit = input.limit ?? LIMITS.searchDefaultLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.searchMaxLimit) throw new GatehouseError('user_search_invalid_limit');
    const filter = compileUserSearch(input.query ?? null, 2);
    const queryKey = createHash('sha256').update(JSON.stringify(input.query ?? null)).digest('base64url').slice(0, 12);
    const after = input.cursor ? cursors.decode(input.cursor, queryKey) : null;

    const base = [projectId, ...filter.params];
    const where = `u.project_id = $1 AND (${filter.sql})`;
    const page = after
      ? `${where} AND (u.created_at, u.user_id) > ($${base.length + 1}::timestamptz, $${base.length + 2})`
      : where;
    const pageParams = after ? [...base, after.created_at, after.id] : base;
    const [{ rows }, counted] = await Promise.all([
      this.#db.query<UserRow>(`${SELECT_USERS} WHERE ${page} ORDER BY u.created_at, u.user_id LIMIT ${limit + 1}`, pageParams),
      this.#db.query<{ total: number }>(`SELECT count(*)::int AS total FROM users u WHERE ${where}`, base),
    ]);
    const results = rows.slice(0, limit).map(toRecord);
    const last = results[results.length - 1];
    const next_cursor = rows.length > limit && last ? cursors.encode(last, last.user_id, queryKey) : null;
    return { results, total: counted.rows[0]?.total ?? 0, next_cursor };
  }
}

async function explicitRoles(tx: SqlExecutor, userId: string): Promise<string[]> {
  const { rows } = await tx.query<{ role_id: string }>('SELECT role_id FROM user_roles WHERE user_id = $1', [userId]);
  return rows.map((row) => row.role_id).sort();
}

async function insertRoles(tx: SqlExecutor, projectId: string, userId: string, roles: string[], now: Date): Promise<void> {
  if (roles.length === 0) return;
  await tx.query(
    `INSERT INTO user_roles (user_id, project_id, role_id, created_at)
     SELECT $1, $2, role_id, $4 FROM unnest($3::text[]) AS role_id
     ON CONFLICT (user_id, role_id) DO NOTHING`,
    [userId, projectId, roles, now],
  );
}

const cursors = new SearchCursors('user_search_invalid_cursor', (id) => isId('user', id));

export { checkMetadata };
