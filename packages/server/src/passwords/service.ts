// Consumer passwords: create a user with a password, authenticate (with lockout after repeated
// failures), migrate hashes from another system, strength checks, and resets with the existing
// password or a fresh session. Answers to a failed sign-in never say which part failed: a wrong
// password, an unknown email, a user without a password and a locked user all get the same error,
// after the same argon2id work.
import { systemActor } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { applyMetadataUpdate } from '../shared/metadata.ts';
import type { Actor } from '../projects/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { SessionGrant, SessionInput, SessionService } from '../sessions/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { UserName, UserRecord, UserService } from '../users/service.ts';
import { markAllVerified, markEmailVerified } from '../users/repository.ts';
import { PasswordCredentials, USER_CREDENTIALS, type CredentialState } from './credentials.ts';
import type { Lockout } from './lockout.ts';
import { passwordFactor } from '../sessions/factors.ts';
import { hashPassword, parseMigratedHash, type MigrateHashInput, type StoredHash } from './hashing.ts';
import { checkStrength, type StrengthVerdict } from './strength.ts';

/** How recent a factor must be for passwords/session/reset (Stytch: 5 minutes). */
const SESSION_RESET_MAX_AGE_MS = 5 * 60_000;

export interface CreatePasswordInput extends SessionInput {
  email: string;
  password: string;
  name?: Partial<UserName>;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
}

export interface AuthenticatePasswordInput extends SessionInput {
  email: string;
  password: string;
}

export interface MigratePasswordInput extends MigrateHashInput {
  email: string;
  name?: Partial<UserName>;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
  set_email_verified?: boolean;
  phone_number?: string;
  set_phone_number_verified?: boolean;
  external_id?: string;
  roles?: string[];
}

export interface ExistingPasswordResetInput extends SessionInput {
  email: string;
  existing_password: string;
  new_password: string;
}

export interface SessionPasswordResetInput extends SessionInput {
  password: string;
}

interface CredentialRow extends CredentialState {
  user_id: string;
  email_id: string;
  email: string;
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class PasswordService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #users: UserService;
  readonly #rbac: RbacService;
  readonly #sessions: SessionService;
  readonly #clock: Clock;
  readonly #credentials: PasswordCredentials;

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; users: UserService; rbac: RbacService; sessions: SessionService; clock: Clock; lockout: Lockout }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#users = deps.users;
    this.#rbac = deps.rbac;
    this.#sessions = deps.sessions;
    this.#clock = deps.clock;
    this.#credentials = new PasswordCredentials(deps, USER_CREDENTIALS);
  }

  strengthCheck(password: string, email?: string): Promise<StrengthVerdict> {
    return checkStrength(password, email);
  }

  /**
   * Checks a new password's strength and hashes it (argon2id). Call before the transaction that
   * stores it with storePassword — e.g. password reset by email, inside the token's spend.
   */
  async prepareNewPassword(password: string, email?: string): Promise<StoredHash> {
    const verdict = await checkStrength(password, email);
    if (!verdict.valid_password) {
      const details = { score: verdict.score, breached_password: verdict.breached_password, feedback: verdict.feedback };
      if (verdict.breached_password) throw new GatehouseError('breached_password', { details });
      const hint = verdict.feedback.warning || verdict.feedback.suggestions[0];
      throw new GatehouseError('weak_password', { params: { hint: hint ?? '' }, details });
    }
    return hashPassword(password);
  }

  /**
   * Inside a transaction: sets the user's password (keeping its password_id if it had one) and
   * lifts any lockout. The caller emits the user change (ChangeFeed.write's `emit`).
   */
  storePassword(tx: SqlExecutor, projectId: string, environment: Environment, userId: string, stored: StoredHash): Promise<void> {
    return this.#credentials.store(tx, projectId, environment, userId, stored);
  }

  /** Revokes the user's live sessions, except `keepSessionId` (after a password reset). */
  async revokeSessions(projectId: string, userId: string, keepSessionId?: string): Promise<void> {
    for (const session of await this.#sessions.listSessions(projectId, userId)) {
      if (session.session_id === keepSessionId) continue;
      await this.#sessions.revoke(projectId, { session_id: session.session_id }).catch((error: unknown) => {
        // Revoked or expired meanwhile: the result is the same.
        if (!(error instanceof GatehouseError && error.errorType === 'session_not_found')) throw error;
      });
    }
  }

  /** POST /v1/passwords: a new user with this email and password, and optionally a session. */
  async create(projectId: string, environment: Environment, input: CreatePasswordInput): Promise<{ grant: SessionGrant; email_id: string }> {
    const stored = await this.prepareNewPassword(input.password, input.email);
    const { email, name, trusted_metadata, untrusted_metadata } = input;
    const user = await this.#users.createUser(projectId, environment, { email, name, trusted_metadata, untrusted_metadata }, systemActor('passwords'), (tx, userId) =>
      this.storePassword(tx, projectId, environment, userId, stored),
    );
    const emailRow = user.emails[0]!;
    try {
      const grant = await this.#sessions.grant(projectId, environment, user, passwordFactor(emailRow.email_id, emailRow.email, this.#clock.now()), input);
      return { grant, email_id: emailRow.email_id };
    } catch (error) {
      // The session input was refused (duration, claims): the request leaves nothing behind.
      await this.#users.deleteUser(projectId, user.user_id, systemActor('passwords'));
      throw error;
    }
  }

  /** POST /v1/passwords/authenticate. */
  async authenticate(projectId: string, environment: Environment, input: AuthenticatePasswordInput): Promise<SessionGrant> {
    const row = await this.#verifyCredentials(projectId, input.email, input.password);
    const user = await this.#users.requireUser(projectId, row.user_id);
    return this.#sessions.grant(projectId, environment, user, passwordFactor(row.email_id, row.email, this.#clock.now()), input);
  }

  /** POST /v1/passwords/existing_password/reset: every other session of the user is revoked. */
  async resetWithExistingPassword(projectId: string, environment: Environment, input: ExistingPasswordResetInput): Promise<SessionGrant> {
    const stored = await this.prepareNewPassword(input.new_password, input.email);
    const row = await this.#verifyCredentials(projectId, input.email, input.existing_password);
    let keepSessionId: string | undefined;
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      const presented = await this.#sessions.authenticate(projectId, environment, { session_token: input.session_token, session_jwt: input.session_jwt });
      if (presented.user.user_id !== row.user_id) throw new GatehouseError('session_user_mismatch');
      keepSessionId = presented.session?.session_id;
    }
    await this.#feed.write(async (tx, emit) => {
      await this.storePassword(tx, projectId, environment, row.user_id, stored);
      emit({ type: 'user', project_id: projectId, user_id: row.user_id });
    });
    await this.revokeSessions(projectId, row.user_id, keepSessionId);
    const user = await this.#users.requireUser(projectId, row.user_id);
    return this.#sessions.grant(projectId, environment, user, passwordFactor(row.email_id, row.email, this.#clock.now()), input);
  }

  /**
   * POST /v1/passwords/session/reset: the session must hold a password, email magic link or email
   * OTP factor from the last 5 minutes. Every other session of the user is revoked.
   */
  async resetWithSession(projectId: string, environment: Environment, input: SessionPasswordResetInput): Promise<SessionGrant> {
    const presented = await this.#sessions.authenticate(projectId, environment, { session_token: input.session_token, session_jwt: input.session_jwt });
    const session = presented.session!;
    const now = this.#clock.now().getTime();
    const recent = session.authentication_factors.some(
      (factor) =>
        (factor.type === 'password' || (factor.delivery_method === 'email' && (factor.type === 'magic_link' || factor.type === 'otp'))) &&
        now - Date.parse(factor.last_authenticated_at) <= SESSION_RESET_MAX_AGE_MS,
    );
    if (!recent) throw new GatehouseError('session_too_old_to_reset_password');
    const userId = presented.user.user_id;
    const stored = await this.prepareNewPassword(input.password, presented.user.emails[0]?.email);
    await this.#feed.write(async (tx, emit) => {
      await this.storePassword(tx, projectId, environment, userId, stored);
      emit({ type: 'user', project_id: projectId, user_id: userId });
    });
    await this.revokeSessions(projectId, userId, session.session_id);
    return this.#sessions.authenticate(projectId, environment, input);
  }

  /**
   * POST /v1/passwords/migrate. A new email creates the user (with name, metadata, external_id,
   * phone and roles); an existing one gets the password — and only that — if it has none yet.
   * Roles and metadata are validated either way, so a request is refused or accepted alike.
   */
  async migrate(projectId: string, environment: Environment, input: MigratePasswordInput, actor: Actor): Promise<{ user: UserRecord; email_id: string; user_created: boolean }> {
    const stored = parseMigratedHash(input);
    const existing = await this.#findCredentials(projectId, input.email);
    if (!existing) {
      const { email, name, trusted_metadata, untrusted_metadata, external_id, phone_number, roles } = input;
      const user = await this.#users.createUser(
        projectId,
        environment,
        { email, name, trusted_metadata, untrusted_metadata, external_id, phone_number, roles },
        actor,
        async (tx, userId) => {
          await this.storePassword(tx, projectId, environment, userId, stored);
          await markAllVerified(tx, userId, { emails: input.set_email_verified === true, phoneNumbers: input.set_phone_number_verified === true });
        },
      );
      return { user, email_id: user.emails[0]!.email_id, user_created: true };
    }
    applyMetadataUpdate({}, input.trusted_metadata, 'trusted_metadata');
    applyMetadataUpdate({}, input.untrusted_metadata, 'untrusted_metadata');
    await this.#feed.write(async (tx, emit) => {
      if (input.roles && input.roles.length > 0) await this.#rbac.checkAssignableRoles(tx, projectId, 'consumer', [...new Set(input.roles)]);
      if (!(await this.#credentials.add(tx, projectId, environment, existing.user_id, stored))) throw new GatehouseError('password_already_exists');
      if (input.set_email_verified) await markEmailVerified(tx, existing.email_id);
      emit({ type: 'user', project_id: projectId, user_id: existing.user_id });
    });
    return { user: await this.#users.requireUser(projectId, existing.user_id), email_id: existing.email_id, user_created: false };
  }

  async #findCredentials(projectId: string, email: string): Promise<CredentialRow | null> {
    const { rows } = await this.#db.query<CredentialRow>(
      `SELECT e.user_id, e.email_id, e.email, ${this.#credentials.columns}
         FROM user_emails e ${this.#credentials.joins('e')}
        WHERE e.project_id = $1 AND e.email_normalized = $2`,
      [projectId, normalizeEmail(email)],
    );
    return rows[0] ?? null;
  }

  /** The user whose email and password these are, or the vague error (see PasswordCredentials.verify). */
  async #verifyCredentials(projectId: string, email: string, password: string): Promise<CredentialRow> {
    const row = await this.#findCredentials(projectId, email);
    const found = row && { id: row.user_id, state: row, changed: { type: 'user' as const, project_id: projectId, user_id: row.user_id } };
    await this.#credentials.verify({ found, projectId, space: projectId, identifier: normalizeEmail(email) }, password);
    return row!;
  }
}
