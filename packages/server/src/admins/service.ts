// Dashboard admins: the people who run the server, apart from every project's users and members.
// Accounts (email + argon2id password), their sessions (an HttpOnly cookie whose SHA-256 alone is
// stored), and the authentication of backend requests that carry the admin cookie and its CSRF
// token instead of a project secret.
//
// Creating, disabling, enabling and resetting an admin are recorded in the audit log of the
// server's first project (the one whose secret may manage admins and the dashboard shows first).
//
// Sessions are read from the database on every request rather than cached: dashboard traffic is
// light, and a logout, an expiry or a disabled admin then needs no invalidation across processes.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { systemActor, type AuditAction, type AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import { ADMIN_PASSWORD_LENGTH, type ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { hashPassword, verifyDummy, verifyPassword } from '../passwords/hashing.ts';
import { Lockout } from '../passwords/lockout.ts';
import { isBreachedPassword } from '../passwords/strength.ts';
import type { Actor, Caller, Project, ProjectService } from '../projects/service.ts';
import { digestsEqual, sha256 } from '../shared/secrets.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { Database, SqlExecutor } from '../store/database.ts';

export const ADMIN_COOKIE = 'gatehouse_admin';
export const CSRF_HEADER = 'x-gatehouse-csrf';
/** Names the project a dashboard request works on when the server has several; default the first. */
export const PROJECT_HEADER = 'x-gatehouse-project';

export interface Admin {
  admin_id: string;
  email: string;
  created_at: Date;
  disabled_at: Date | null;
}

/** An admin as listed: with the end of its sign-in lock, while one holds. */
export interface ListedAdmin extends Admin {
  locked_until: Date | null;
}

/** An admin and the password to show once, when Gatehouse generated it. */
export interface AdminWithPassword {
  admin: Admin;
  password?: string;
}

export interface AdminLogin {
  admin: Admin;
  /** The cookie's value: shown to the browser only, in Set-Cookie. */
  token: string;
  csrfToken: string;
}

const ADMIN_COLUMNS = 'admin_id, email, created_at, disabled_at';

export class AdminService {
  readonly #db: Database;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #projects: ProjectService;
  readonly #config: ServerConfig;
  readonly #audit: AuditLog;
  readonly #lockout: Lockout;

  constructor(deps: { db: Database; feed: ChangeFeed; clock: Clock; projects: ProjectService; config: ServerConfig; audit: AuditLog; lockout: Lockout }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#clock = deps.clock;
    this.#projects = deps.projects;
    this.#config = deps.config;
    this.#audit = deps.audit;
    this.#lockout = deps.lockout;
  }

  async listAdmins(): Promise<ListedAdmin[]> {
    const { rows } = await this.#db.query<Admin & { lock_expires_at: Date | null }>(
      `SELECT ${ADMIN_COLUMNS}, l.lock_expires_at FROM admins LEFT JOIN admin_lockouts l USING (admin_id) ORDER BY created_at, admin_id`,
    );
    return rows.map(({ lock_expires_at, ...admin }) => ({ ...admin, locked_until: this.#lockout.isLocked(lock_expires_at) ? lock_expires_at : null }));
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.#db.query('SELECT 1 FROM admins LIMIT 1')).rows.length > 0;
  }

  /** A new admin, with the given password or a generated one (returned, to be shown once). */
  async createAdmin(email: string, password: string | undefined, actor: Actor): Promise<AdminWithPassword> {
    const created = await this.#insertAdmin(normalizeAdminEmail(email), password, false, actor);
    if (!created) throw new GatehouseError('duplicate_admin_email');
    return created;
  }

  /**
   * First start: when there is no admin yet, makes the one the config names (GATEHOUSE_ADMIN_EMAIL,
   * GATEHOUSE_ADMIN_PASSWORD or a generated password). Null when an admin exists, or in production
   * mode without a given password (a generated one would end up in the logs).
   */
  async ensureFirstAdmin(): Promise<AdminWithPassword | null> {
    const { initialEmail, initialPassword } = this.#config.admin;
    if (this.#config.production && initialPassword === undefined) return null;
    if (await this.hasAdmin()) return null;
    return this.#insertAdmin(initialEmail, initialPassword, true, systemActor('admin.first_start'));
  }

  /** Sets a new password (given or generated), lifts a sign-in lock and ends the admin's sessions. */
  async resetPassword(email: string, password: string | undefined, actor: Actor): Promise<AdminWithPassword> {
    const chosen = checkAdminPassword(password) ?? generatePassword();
    const { hash } = await hashPassword(chosen);
    const admin = await this.#feed.write(async (tx) => {
      const admin = await requireAdmin(tx, normalizeAdminEmail(email), 'UPDATE admins SET password_hash = $2 WHERE email = $1', [hash]);
      await revokeSessions(tx, admin.admin_id, this.#clock.now());
      await this.#lockout.clear(tx, 'admin', admin.admin_id);
      await this.#record(tx, actor, 'admin.password_reset', admin, admin);
      return admin;
    });
    return password === undefined ? { admin, password: chosen } : { admin };
  }

  /** Disabling ends the admin's sessions and refuses its sign-ins; the last active admin stays. */
  async setDisabled(email: string, disabled: boolean, actor: Actor): Promise<Admin> {
    const normalized = normalizeAdminEmail(email);
    const now = this.#clock.now();
    return this.#feed.write(async (tx) => {
      // Lock the active admins (and this one), in one order, so that two admins disabling each other
      // cannot leave none.
      const { rows } = await tx.query<Admin>(
        `SELECT ${ADMIN_COLUMNS} FROM admins WHERE disabled_at IS NULL OR email = $1 ORDER BY admin_id FOR UPDATE`,
        [normalized],
      );
      const before = rows.find((row) => row.email === normalized);
      if (!before) throw new GatehouseError('admin_not_found');
      if (disabled && before.disabled_at === null && rows.length === 1) throw new GatehouseError('cannot_disable_last_admin');
      // Disabling a disabled admin (or enabling an active one) changes nothing and records nothing.
      if ((before.disabled_at !== null) === disabled) return before;
      const admin = await requireAdmin(tx, normalized, 'UPDATE admins SET disabled_at = $2 WHERE email = $1', [disabled ? now : null]);
      if (disabled) await revokeSessions(tx, admin.admin_id, now);
      await this.#record(tx, actor, disabled ? 'admin.disabled' : 'admin.enabled', before, admin);
      return admin;
    });
  }

  /**
   * Signs an admin in. A wrong password, an unknown email, a disabled admin and a locked admin get
   * the same answer after the same work: an argon2id verification and a failure-counter write each
   * (passwords/lockout.ts — the lockout users and members have, with the same thresholds).
   */
  async login(email: string, password: string): Promise<AdminLogin> {
    const normalized = email.trim().toLowerCase();
    const { rows } = await this.#db.query<Admin & { password_hash: string; lock_expires_at: Date | null; has_failures: boolean }>(
      `SELECT ${ADMIN_COLUMNS}, password_hash, l.lock_expires_at, (l.admin_id IS NOT NULL) AS has_failures
         FROM admins LEFT JOIN admin_lockouts l USING (admin_id) WHERE email = $1`,
      [normalized],
    );
    const row = rows[0];
    const verified = row ? await verifyPassword({ hash_type: 'argon_2id', hash: row.password_hash, hash_config: null }, password) : await verifyDummy(password);
    if (!row || !verified || row.disabled_at !== null || this.#lockout.isLocked(row.lock_expires_at)) {
      await this.#lockout.recordFailure(row ? { kind: 'admin', key: row.admin_id, projectId: null } : Lockout.unknownIdentifier('admin', '', normalized, null));
      throw new GatehouseError('admin_credentials_invalid');
    }
    if (row.has_failures) await this.#lockout.clear(this.#db, 'admin', row.admin_id);
    const { password_hash: _hash, lock_expires_at: _lock, has_failures: _failures, ...admin } = row;
    const token = randomBytes(32).toString('base64url');
    const now = this.#clock.now();
    const { sessionMinutes } = this.#config.admin;
    await this.#feed.write(async (tx) => {
      // The admin's ended sessions go when a new one starts: nothing else sweeps them.
      await tx.query('DELETE FROM admin_sessions WHERE admin_id = $1 AND (revoked_at IS NOT NULL OR expires_at <= $2 OR last_accessed_at <= $3)', [
        admin.admin_id,
        now,
        this.#idleCutoff(now),
      ]);
      await tx.query(
        `INSERT INTO admin_sessions (admin_session_id, admin_id, token_hash, started_at, last_accessed_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)`,
        [`admin-session-${this.#config.environment}-${randomUUID()}`, admin.admin_id, sha256(token), now, new Date(now.getTime() + sessionMinutes * 60_000)],
      );
    });
    return { admin, token, csrfToken: csrfTokenOf(token) };
  }

  /** The admin of a live session (and the session is touched, for the idle timeout), or null. */
  async authenticateSession(token: string): Promise<Admin | null> {
    const now = this.#clock.now();
    const { rows } = await this.#db.query<Admin>(
      `UPDATE admin_sessions s SET last_accessed_at = $2
         FROM admins a
        WHERE s.token_hash = $1 AND a.admin_id = s.admin_id AND a.disabled_at IS NULL
          AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_accessed_at > $3
       RETURNING a.admin_id, a.email, a.created_at, a.disabled_at`,
      [sha256(token), now, this.#idleCutoff(now)],
    );
    return rows[0] ?? null;
  }

  async logout(token: string): Promise<void> {
    await this.#db.query('UPDATE admin_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL', [sha256(token), this.#clock.now()]);
  }

  /**
   * A backend request that carries the admin cookie instead of `Authorization`: the cookie must name
   * a live session and X-Gatehouse-CSRF must carry that session's CSRF token (checked first, without
   * touching the database). The request works on the dashboard's project.
   */
  async authenticateCaller(headers: IncomingHttpHeaders): Promise<Caller> {
    const token = readCookie(headers.cookie, ADMIN_COOKIE);
    if (token === undefined) throw new GatehouseError('unauthorized_credentials');
    if (!csrfTokenMatches(token, headers[CSRF_HEADER])) {
      throw new GatehouseError('csrf_token_invalid');
    }
    const admin = await this.authenticateSession(token);
    if (!admin) throw sessionEnded();
    const project = await this.requireDashboardProject(headers[PROJECT_HEADER]);
    return { projectId: project.project_id, actor: { type: 'admin', id: admin.admin_id, email: admin.email } };
  }

  /** The project the X-Gatehouse-Project header names, else the server's first project. */
  async findDashboardProject(header: string | string[] | undefined): Promise<Project | null> {
    if (header === undefined) return this.#projects.findFirstProject();
    const project = typeof header === 'string' ? await this.#projects.findProject(header) : null;
    if (!project) throw new GatehouseError('project_header_not_found');
    return project;
  }

  async requireDashboardProject(header: string | string[] | undefined): Promise<Project> {
    const project = await this.findDashboardProject(header);
    if (!project) throw new GatehouseError('no_project_yet');
    return project;
  }

  async #insertAdmin(email: string, password: string | undefined, onlyIfNone: boolean, actor: Actor): Promise<AdminWithPassword | null> {
    const chosen = checkAdminPassword(password) ?? generatePassword();
    const { hash } = await hashPassword(chosen);
    const admin = await this.#feed.write(async (tx) => {
      // ON CONFLICT: two processes making the first admin at once, or two creations of one address.
      const { rows } = await tx.query<Admin>(
        `INSERT INTO admins (admin_id, email, password_hash, created_at)
         SELECT $1::text, $2::text, $3::text, $4::timestamptz WHERE NOT $5::boolean OR NOT EXISTS (SELECT 1 FROM admins)
         ON CONFLICT (email) DO NOTHING
         RETURNING ${ADMIN_COLUMNS}`,
        [`admin-${this.#config.environment}-${randomUUID()}`, email, hash, this.#clock.now(), onlyIfNone],
      );
      if (rows[0]) await this.#record(tx, actor, 'admin.created', null, rows[0]);
      return rows[0];
    });
    if (!admin) return null;
    return password === undefined ? { admin, password: chosen } : { admin };
  }

  /**
   * The audit entry of a change to an admin: its email and status only, never a password or hash.
   * Admins are server-wide; the entry goes to the first project's log, or nowhere before there is one.
   */
  async #record(tx: SqlExecutor, actor: Actor, action: AuditAction, before: Admin | null, after: Admin) {
    const { rows } = await tx.query<{ project_id: string }>('SELECT project_id FROM projects ORDER BY created_at, project_id LIMIT 1');
    if (!rows[0]) return;
    const view = (admin: Admin | null) => admin && { email: admin.email, status: admin.disabled_at === null ? 'active' : 'disabled' };
    await this.#audit.record(tx, {
      project_id: rows[0].project_id, actor, action, target_type: 'admin', target_id: after.admin_id, before: view(before), after: view(after),
    });
  }

  #idleCutoff(now: Date): Date {
    return new Date(now.getTime() - this.#config.admin.idleMinutes * 60_000);
  }
}

export function sessionEnded(): GatehouseError {
  return new GatehouseError('admin_session_not_found');
}

/**
 * The CSRF token of a session: an HMAC keyed by the session's own token, so it is bound to that
 * session, needs nothing stored, and cannot be made without the cookie (which scripts cannot read).
 */
export function csrfTokenOf(token: string): string {
  return createHmac('sha256', token).update('gatehouse admin csrf').digest('base64url');
}

export function csrfTokenMatches(token: string, header: string | string[] | undefined): boolean {
  return typeof header === 'string' && digestsEqual(Buffer.from(header), Buffer.from(csrfTokenOf(token)));
}

/** One cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Admin addresses are compared lower-cased; `admin@localhost` is fine (no dot needed). */
export function normalizeAdminEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (normalized.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(normalized)) {
    throw new GatehouseError('invalid_email', { params: { email } });
  }
  return normalized;
}

function checkAdminPassword(password: string | undefined): string | undefined {
  if (password === undefined) return undefined;
  if (password.length < ADMIN_PASSWORD_LENGTH.min || password.length > ADMIN_PASSWORD_LENGTH.max || isBreachedPassword(password)) {
    throw new GatehouseError('invalid_admin_password');
  }
  return password;
}

/** 144 random bits, URL-safe: easy to paste, never in a dictionary. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

async function requireAdmin(tx: SqlExecutor, email: string, update: string, params: unknown[] = []): Promise<Admin> {
  const { rows } = await tx.query<Admin>(`${update} RETURNING ${ADMIN_COLUMNS}`, [email, ...params]);
  if (!rows[0]) throw new GatehouseError('admin_not_found');
  return rows[0];
}

async function revokeSessions(tx: SqlExecutor, adminId: string, now: Date): Promise<void> {
  await tx.query('UPDATE admin_sessions SET revoked_at = $2 WHERE admin_id = $1 AND revoked_at IS NULL', [adminId, now]);
}
