// Consumer sessions: started by a credential (password, magic link), carried as an opaque token and
// a short-lived RS256 JWT, and checked by sessions/authenticate — optionally together with an
// authorization check. The hot path (token → session → user's roles → verdict) is answered from
// memory; every cache entry is dropped on the change feed when another process changes it.
import crypto, { createHash, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { ORGANIZATION_CLAIM, SESSION_CLAIM } from '@gatehouse/contracts';
import { SignJWT, compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type { AuthorizationVerdict, ResolvedRoles } from '@gatehouse/policy';
import type { Clock } from '../clock.ts';
import { formatTimestamp } from '../clock.ts';
import type { Environment } from '../config.ts';
import { GatehouseError } from '../errors.ts';
import { immutableWire } from '../http/json.ts';
import type { Metadata } from '../metadata.ts';
import type { RbacService } from '../rbac/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { UserRecord, UserService } from '../users/service.ts';
import { authorizationError, tenancyError, type MemberActor } from '../authz/member-authorization.ts';
import { sessionRoleIds } from '../members/roles.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import { ssoConnectionIds } from '../factors.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { JWT_LIFETIME_SECONDS, type SigningKeys } from './keys.ts';

export const SESSION_DURATION_MINUTES = { min: 5, max: 527_040 } as const;
const RESERVED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);
/** A JWT is minted again once it is this old, so each stays valid for at least 4 of its 5 minutes. */
const JWT_REUSE_MS = 60_000;
const MAX_CACHED_SESSIONS = 100_000;
/** JWTs whose signature was verified, kept so that the same JWT presented again is not verified again. */
const MAX_VERIFIED_JWTS = 10_000;

/**
 * A JWT whose signature verified with `key` and whose audience and issuer are `projectId`'s. Keyed by
 * the SHA-256 of the whole JWT, so only that exact text matches; it counts only while `key` is
 * still the project's verification key for `kid` (a rotation reloads the keys, a retired key leaves).
 */
interface VerifiedJwt {
  projectId: string;
  kid: string;
  key: KeyObject;
  sessionId: string;
}

export interface AuthenticationFactor {
  type: string;
  delivery_method: string;
  last_authenticated_at: string;
  created_at: string;
  updated_at: string;
  [factor: `${string}_factor`]: unknown;
}

export interface SessionRecord {
  session_id: string;
  project_id: string;
  /** The consumer user, or null for a member session. */
  user_id: string | null;
  /** The B2B member and its organization, or null for a user session. */
  member_id: string | null;
  organization_id: string | null;
  started_at: Date;
  last_accessed_at: Date;
  expires_at: Date;
  authentication_factors: AuthenticationFactor[];
  custom_claims: Metadata;
  attributes: { ip_address: string; user_agent: string };
}

export interface SessionInput {
  session_token?: string;
  session_jwt?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Metadata;
}

/** What an authenticate-style endpoint returns about the session. Empty strings when none was made. */
export interface SessionGrant {
  session: SessionRecord | null;
  session_token: string;
  session_jwt: string;
  user: UserRecord;
  roles: string[];
}

/** What a B2B authenticate-style endpoint returns about the member session. */
export interface MemberSessionGrant {
  member_session: SessionRecord | null;
  session_token: string;
  session_jwt: string;
  member: MemberRecord;
  organization: OrganizationRecord;
  roles: string[];
}

export interface MemberAuthorizationCheck {
  organization_id: string;
  resource_id: string;
  action: string;
}

/** A member's roles for one version of its organization, resolved once for authorization checks. */
interface MemberSubject {
  member: MemberRecord;
  organization: OrganizationRecord;
  roles: string[];
  memo: { resolved?: ResolvedRoles };
}

interface CachedSession {
  record: SessionRecord;
  jwt?: { token: string; mintedAt: number; rolesKey: string };
}

/** A cached user's roles, their JWT key, and their resolution against the compiled policy. */
interface UserSubject {
  roles: string[];
  rolesKey: string;
  resolved?: ResolvedRoles;
}

type AuthenticateInput = SessionInput & { authorization_check?: { resource_id: string; action: string } };

function consumerAuthorizationError(): GatehouseError {
  return new GatehouseError('consumer_session_authorization_error', {
    message: 'The User is not authorized to perform the requested action on that resource.',
  });
}

/**
 * The session's JWT when it can be given again: minted less than a minute ago for the same roles
 * (rolesKey: what the claims carry besides the session; a change mints a new JWT at once).
 */
function reusableJwt(cached: CachedSession | undefined, rolesKey: string, nowMs: number): string | undefined {
  const jwt = cached?.jwt;
  return jwt && jwt.rolesKey === rolesKey && nowMs - jwt.mintedAt < JWT_REUSE_MS ? jwt.token : undefined;
}

// crypto.hash (Node ≥ 20.12) digests without making a Hash object: half the cost, on every
// sessions/authenticate with a token.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

export function hashToken(token: string): string {
  return oneShotHash ? oneShotHash('sha256', token, 'base64url') : createHash('sha256').update(token).digest('base64url');
}

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

function checkDuration(minutes: number | undefined): void {
  if (minutes === undefined) return;
  if (!Number.isInteger(minutes) || minutes < SESSION_DURATION_MINUTES.min || minutes > SESSION_DURATION_MINUTES.max) {
    throw new GatehouseError('invalid_session_duration_minutes', {
      message: `session_duration_minutes must be a whole number from ${SESSION_DURATION_MINUTES.min} to ${SESSION_DURATION_MINUTES.max}.`,
    });
  }
}

/** The session fields of a sign-in, checked as a grant checks them (so a flow can check them before it writes). */
export function checkSessionInput(input: Pick<SessionInput, 'session_duration_minutes' | 'session_custom_claims'>): void {
  checkDuration(input.session_duration_minutes);
  checkCustomClaims(input.session_custom_claims);
}

function checkCustomClaims(claims: Metadata | undefined): void {
  if (claims === undefined) return;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new GatehouseError('invalid_argument', { message: 'session_custom_claims must be a JSON object.' });
  }
  for (const key of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(key)) throw new GatehouseError('reserved_claims_in_custom_claims', { message: `"${key}" is a reserved JWT claim.` });
    if (key.startsWith('https://stytch.com/')) throw new GatehouseError('stytch_claims_in_custom_claims', { message: `"${key}" is reserved for Stytch claims.` });
  }
  if (Buffer.byteLength(JSON.stringify(claims)) > 4096) throw new GatehouseError('custom_claims_too_large');
}

interface SessionRow extends SessionRecord {
  revoked_at: Date | null;
}

const SESSION_COLUMNS = `session_id, project_id, user_id, member_id, organization_id, started_at, last_accessed_at, expires_at, revoked_at,
  authentication_factors, custom_claims, attributes`;

export class SessionService {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #users: UserService;
  readonly #rbac: RbacService;
  readonly #keys: SigningKeys;
  readonly #clock: Clock;
  /** token hash → session. Only live sessions are cached. */
  readonly #byToken = new Map<string, CachedSession>();
  readonly #tokenOfSession = new Map<string, string>();
  /** user_id → the user, as authenticate reads it; `user` is set once the read finished. */
  readonly #users_ = new Map<string, { loading: Promise<UserRecord | null>; user?: UserRecord | null }>();
  /** Per cached user record: its roles, and those resolved against the compiled policy (see RbacService.authorize). */
  readonly #subjects = new WeakMap<UserRecord, UserSubject>();
  /** Per session record: its wire form (see toWire). */
  readonly #wires = new WeakMap<SessionRecord, { second: number; wire: ReturnType<typeof buildWireSession> }>();
  /** SHA-256 of a JWT → what its verification established (see VerifiedJwt). */
  readonly #verifiedJwts = new Map<string, VerifiedJwt>();
  /** Sessions whose last_accessed_at moved; written in batches rather than once per request. */
  readonly #touched = new Map<string, Date>();
  #flushTimer: NodeJS.Timeout | undefined;

  readonly #members: MemberService;
  readonly #organizations: OrganizationService;
  /** member_id → the member, as member sessions read it. */
  readonly #members_ = new Map<string, Promise<MemberRecord | null>>();
  /** Per session record: its member's roles under one version of member and organization. */
  readonly #memberSubjects = new WeakMap<SessionRecord, MemberSubject>();

  constructor(
    db: SqlExecutor,
    feed: ChangeFeed,
    users: UserService,
    rbac: RbacService,
    keys: SigningKeys,
    clock: Clock,
    b2b: { members: MemberService; organizations: OrganizationService },
  ) {
    this.#members = b2b.members;
    this.#organizations = b2b.organizations;
    this.#db = db;
    this.#feed = feed;
    this.#users = users;
    this.#rbac = rbac;
    this.#keys = keys;
    this.#clock = clock;
    feed.on(
      (event) => {
        if (event.type === 'session') this.#forgetSession(event.session_id);
        else if (event.type === 'user') this.#users_.delete(event.user_id);
        else if (event.type === 'member') this.#members_.delete(event.member_id);
        // A policy write may have revoked roles (cascade): drop the project's users.
        else if (event.type === 'policy') this.#users_.clear();
      },
      () => {
        this.#byToken.clear();
        this.#tokenOfSession.clear();
        this.#users_.clear();
        this.#members_.clear();
      },
    );
    this.#flushTimer = setInterval(() => void this.flush().catch(() => {}), 1000);
    this.#flushTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#flushTimer);
    await this.flush();
  }

  /** Writes the last-access times gathered since the last flush. */
  async flush(): Promise<void> {
    if (this.#touched.size === 0) return;
    const batch = [...this.#touched];
    this.#touched.clear();
    await this.#db.query(
      `UPDATE sessions s SET last_accessed_at = GREATEST(s.last_accessed_at, t.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at) WHERE s.session_id = t.id`,
      [batch.map(([id]) => id), batch.map(([, at]) => at)],
    );
  }

  /**
   * After a credential was verified: starts a session (when session_duration_minutes is given), or
   * adds the factor to the session the caller presented and extends it. No duration and no session:
   * no session, as Stytch does.
   */
  async grant(projectId: string, environment: Environment, user: UserRecord, factor: AuthenticationFactor, input: SessionInput): Promise<SessionGrant> {
    checkSessionInput(input);
    const now = this.#clock.now();
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      const existing = await this.#requireSession(projectId, input, 'user');
      if (existing.record.user_id !== user.user_id) {
        throw new GatehouseError('session_user_mismatch', { message: 'The session presented belongs to another user.' });
      }
      const factors = mergeFactor(existing.record.authentication_factors, factor);
      const record = await this.#update(existing.record, {
        authentication_factors: factors,
        expires_at: input.session_duration_minutes ? addMinutes(now, input.session_duration_minutes) : undefined,
        custom_claims: input.session_custom_claims,
      });
      return this.#respond(projectId, environment, record, input.session_token ?? '', user);
    }
    if (input.session_duration_minutes === undefined) {
      return { session: null, session_token: '', session_jwt: '', user, roles: this.#users.effectiveRoles(user) };
    }
    const token = newSessionToken();
    const record: SessionRecord = {
      session_id: `session-${environment}-${randomUUID()}`,
      project_id: projectId,
      user_id: user.user_id,
      member_id: null,
      organization_id: null,
      started_at: now,
      last_accessed_at: now,
      expires_at: addMinutes(now, input.session_duration_minutes),
      authentication_factors: [factor],
      custom_claims: input.session_custom_claims ?? {},
      attributes: { ip_address: '', user_agent: '' },
    };
    await this.#db.query(
      `INSERT INTO sessions (session_id, project_id, user_id, token_hash, started_at, last_accessed_at, expires_at,
                             authentication_factors, custom_claims, attributes)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)`,
      [record.session_id, projectId, user.user_id, Buffer.from(hashToken(token), 'base64url'), now, record.expires_at,
        JSON.stringify(record.authentication_factors), JSON.stringify(record.custom_claims), JSON.stringify(record.attributes)],
    );
    this.#remember(hashToken(token), { record });
    return this.#respond(projectId, environment, record, token, user);
  }

  /**
   * sessions/authenticate. With an authorization check, a denial is a 403 and the session is not
   * extended.
   */
  async authenticate(projectId: string, environment: Environment, input: AuthenticateInput): Promise<SessionGrant & { verdict?: AuthorizationVerdict }> {
    return this.authenticateInMemory(projectId, input) ?? this.#authenticateLoading(projectId, environment, input);
  }

  /**
   * authenticate without waiting, when everything it needs is in memory: a session token whose
   * session and user are cached, the project's policy compiled, nothing to write and a JWT to reuse
   * (the common case, and the hot one). The same checks, errors and answer as authenticate;
   * undefined when something must be read or written first (then authenticate does it).
   */
  authenticateInMemory(projectId: string, input: AuthenticateInput): (SessionGrant & { verdict?: AuthorizationVerdict }) | undefined {
    const token = input.session_token;
    const presentedJwt = input.session_jwt;
    if (input.session_duration_minutes !== undefined || input.session_custom_claims !== undefined) return undefined;
    let cached: CachedSession | undefined;
    if (token !== undefined) {
      if (presentedJwt !== undefined) return undefined;
      cached = this.#byToken.get(hashToken(token));
    } else if (presentedJwt !== undefined) {
      // Only a JWT verified before (this exact text, with a key still ours); any other is verified first.
      const sessionId = this.#verifiedSessionId(projectId, hashToken(presentedJwt));
      cached = sessionId === undefined ? undefined : this.#cachedById(sessionId);
    }
    if (!cached) return undefined;
    const now = this.#clock.now();
    const { record } = this.#requireLive(cached, projectId, 'user', now);
    const loaded = this.#users_.get(record.user_id!);
    if (loaded?.user === undefined) return undefined;
    const user = loaded.user;
    if (!user) throw new GatehouseError('session_not_found');
    const subject = this.#subjectOf(user);

    let verdict: AuthorizationVerdict | undefined;
    if (input.authorization_check) {
      const { resource_id, action } = input.authorization_check;
      verdict = this.#rbac.authorizeInMemory(projectId, 'consumer', subject.roles, resource_id, action, subject);
      if (verdict === undefined) return undefined;
      if (!verdict.authorized) throw consumerAuthorizationError();
    }
    const jwt = reusableJwt(cached, subject.rolesKey, now.getTime());
    if (jwt === undefined) return undefined;

    this.#touch(record, now);
    // Only the token's hash is stored, so a caller who presented the JWT gets no token back.
    // One literal, not `{ ...grant, verdict }`: once optimized, V8 gives that spread's results a
    // shape of their own (not the same map from call to call), and every later read of them is slow —
    // about 4 µs a request under load here, 770 ns against 33 for the literal in a loop.
    return { session: record, session_token: token ?? '', session_jwt: jwt, user, roles: subject.roles, verdict };
  }

  /** authenticate, reading and writing what it needs. */
  async #authenticateLoading(projectId: string, environment: Environment, input: AuthenticateInput): Promise<SessionGrant & { verdict?: AuthorizationVerdict }> {
    checkSessionInput(input);
    const cached = await this.#requireSession(projectId, input, 'user');
    const user = await this.#cachedUser(projectId, cached.record.user_id!);
    if (!user) throw new GatehouseError('session_not_found');
    const roles = this.#users.effectiveRoles(user);

    let verdict: AuthorizationVerdict | undefined;
    if (input.authorization_check) {
      const { resource_id, action } = input.authorization_check;
      verdict = await this.#rbac.authorize(projectId, 'consumer', roles, resource_id, action, this.#subjectOf(user));
      if (!verdict.authorized) throw consumerAuthorizationError();
    }

    const record = await this.#extendOrTouch(cached.record, input);
    // Only the token's hash is stored, so a caller who presented the JWT gets no token back.
    const grant = await this.#respond(projectId, environment, record, input.session_token ?? '', user);
    return { session: grant.session, session_token: grant.session_token, session_jwt: grant.session_jwt, user: grant.user, roles: grant.roles, verdict };
  }

  async revoke(projectId: string, input: { session_id?: string; session_token?: string; session_jwt?: string }): Promise<void> {
    const given = [input.session_id, input.session_token, input.session_jwt].filter((value) => value !== undefined);
    if (given.length === 0) throw new GatehouseError('no_session_revoke_arguments', { message: 'Give one of session_id, session_token or session_jwt.' });
    if (given.length > 1) throw new GatehouseError('too_many_session_revoke_arguments', { message: 'Give only one of session_id, session_token or session_jwt.' });
    let sessionId = input.session_id;
    if (sessionId === undefined) sessionId = (await this.#requireSession(projectId, input, 'user')).record.session_id;
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        'UPDATE sessions SET revoked_at = $3 WHERE project_id = $1 AND session_id = $2 AND revoked_at IS NULL',
        [projectId, sessionId, this.#clock.now()],
      );
      if (rowCount === 0) throw new GatehouseError('session_not_found');
      emit({ type: 'session', project_id: projectId, session_id: sessionId! });
    });
  }

  /** The user's live sessions. */
  async listSessions(projectId: string, userId: string): Promise<SessionRecord[]> {
    const { rows } = await this.#db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE project_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 ORDER BY started_at, session_id`,
      [projectId, userId, this.#clock.now()],
    );
    return rows;
  }

  // -------------------------------------------------------------------------------------------
  // B2B member sessions

  /** grant() for a member: starts a session, or adds the factor to the member's presented one. */
  async grantMember(
    projectId: string,
    environment: Environment,
    member: MemberRecord,
    organization: OrganizationRecord,
    factor: AuthenticationFactor,
    input: SessionInput,
  ): Promise<MemberSessionGrant> {
    checkSessionInput(input);
    const now = this.#clock.now();
    let record: SessionRecord;
    let token = input.session_token ?? '';
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      const existing = await this.#requireSession(projectId, input, 'member');
      if (existing.record.member_id !== member.member_id) {
        throw new GatehouseError('session_user_mismatch', { message: 'The session presented belongs to another member.' });
      }
      record = await this.#update(existing.record, {
        authentication_factors: mergeFactor(existing.record.authentication_factors, factor),
        expires_at: input.session_duration_minutes ? addMinutes(now, input.session_duration_minutes) : undefined,
        custom_claims: input.session_custom_claims,
      });
    } else {
      // B2B sign-ins always start a session (60 minutes unless asked otherwise), as Stytch's do.
      token = newSessionToken();
      record = {
        session_id: `member-session-${environment}-${randomUUID()}`,
        project_id: projectId,
        user_id: null,
        member_id: member.member_id,
        organization_id: organization.organization_id,
        started_at: now,
        last_accessed_at: now,
        expires_at: addMinutes(now, input.session_duration_minutes ?? 60),
        authentication_factors: [factor],
        custom_claims: input.session_custom_claims ?? {},
        attributes: { ip_address: '', user_agent: '' },
      };
      await this.#db.query(
        `INSERT INTO sessions (session_id, project_id, member_id, organization_id, token_hash, started_at, last_accessed_at, expires_at,
                               authentication_factors, custom_claims, attributes)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)`,
        [record.session_id, projectId, member.member_id, organization.organization_id, Buffer.from(hashToken(token), 'base64url'), now,
          record.expires_at, JSON.stringify(record.authentication_factors), JSON.stringify(record.custom_claims), JSON.stringify(record.attributes)],
      );
      this.#remember(hashToken(token), { record });
    }
    const { roles } = this.#memberSubject(record, member, organization);
    const jwt = await this.#jwtFor(projectId, environment, record, roles, organization);
    return { member_session: record, session_token: token, session_jwt: jwt, member, organization, roles };
  }

  /**
   * b2b/sessions/authenticate. Roles are worked out now from the member and its organization's
   * rules. An authorization check for another organization is a tenancy error; a denied one a 403;
   * either way the session is not extended.
   */
  async authenticateMember(
    projectId: string,
    environment: Environment,
    input: SessionInput & { authorization_check?: MemberAuthorizationCheck },
  ): Promise<MemberSessionGrant & { verdict?: AuthorizationVerdict }> {
    checkSessionInput(input);
    const { record: session, member, organization, subject } = await this.#liveMemberSession(projectId, input);
    let verdict: AuthorizationVerdict | undefined;
    if (input.authorization_check) {
      const { organization_id, resource_id, action } = input.authorization_check;
      if (organization_id !== organization.organization_id) throw tenancyError();
      verdict = await this.#rbac.authorize(projectId, 'b2b', subject.roles, resource_id, action, subject.memo, organization.custom_roles);
      if (!verdict.authorized) throw authorizationError();
    }
    const record = await this.#extendOrTouch(session, input);
    const jwt = await this.#jwtFor(projectId, environment, record, subject.roles, organization);
    // A literal with the verdict, not a spread of the grant (see authenticateInMemory).
    return { member_session: record, session_token: input.session_token ?? '', session_jwt: jwt, member, organization, roles: subject.roles, verdict };
  }

  /** The member a member-session header names (MemberAuthorization's authenticator). */
  async authenticateActor(projectId: string, input: { session_token?: string; session_jwt?: string }): Promise<MemberActor> {
    const { record, member, organization, subject } = await this.#liveMemberSession(projectId, input);
    this.#touch(record, this.#clock.now());
    return { member, organization, roles: subject.roles, session_id: record.session_id };
  }

  /**
   * b2b/sessions/revoke: one session (by id, token or JWT) or every session of a member.
   * `authorize` sees whose sessions they are before anything is written.
   */
  async revokeMember(
    projectId: string,
    input: { member_session_id?: string; session_token?: string; session_jwt?: string; member_id?: string },
    authorize: (target: { member_id: string; organization_id: string }) => Promise<void>,
  ): Promise<void> {
    const given = [input.member_session_id, input.session_token, input.session_jwt, input.member_id].filter((value) => value !== undefined);
    if (given.length === 0) throw new GatehouseError('no_session_revoke_arguments', { message: 'Give one of member_session_id, session_token, session_jwt or member_id.' });
    if (given.length > 1) throw new GatehouseError('too_many_session_revoke_arguments', { message: 'Give only one of member_session_id, session_token, session_jwt or member_id.' });
    let target: { member_id: string; organization_id: string; session_id?: string };
    if (input.member_id !== undefined) {
      const member = await this.#members.findMember(projectId, input.member_id);
      if (!member) throw new GatehouseError('member_not_found', { message: `No member "${input.member_id}" in this project.` });
      target = { member_id: member.member_id, organization_id: member.organization_id };
    } else if (input.member_session_id !== undefined) {
      const { rows } = await this.#db.query<{ member_id: string; organization_id: string }>(
        'SELECT member_id, organization_id FROM sessions WHERE project_id = $1 AND session_id = $2 AND member_id IS NOT NULL AND revoked_at IS NULL',
        [projectId, input.member_session_id],
      );
      if (!rows[0]) throw new GatehouseError('session_not_found');
      target = { ...rows[0], session_id: input.member_session_id };
    } else {
      const { record } = await this.#requireSession(projectId, input, 'member');
      target = { member_id: record.member_id!, organization_id: record.organization_id!, session_id: record.session_id };
    }
    await authorize(target);
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<{ session_id: string }>(
        `UPDATE sessions SET revoked_at = $4 WHERE project_id = $1 AND member_id = $2 AND revoked_at IS NULL
            AND ($3::text IS NULL OR session_id = $3) RETURNING session_id`,
        [projectId, target.member_id, target.session_id ?? null, this.#clock.now()],
      );
      if (rows.length === 0 && target.session_id !== undefined) throw new GatehouseError('session_not_found');
      for (const row of rows) emit({ type: 'session', project_id: projectId, session_id: row.session_id });
    });
  }

  /** The member's live sessions. */
  async listMemberSessions(projectId: string, memberId: string): Promise<SessionRecord[]> {
    const { rows } = await this.#db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE project_id = $1 AND member_id = $2 AND revoked_at IS NULL AND expires_at > $3 ORDER BY started_at, session_id`,
      [projectId, memberId, this.#clock.now()],
    );
    return rows;
  }

  /** A member session as the API shows it (MemberSession). */
  toWireMemberSession(record: SessionRecord, roles: readonly string[], organization: OrganizationRecord) {
    return {
      member_session_id: record.session_id,
      member_id: record.member_id,
      organization_id: record.organization_id,
      organization_slug: organization.organization_slug,
      started_at: formatTimestamp(record.started_at),
      last_accessed_at: formatTimestamp(record.last_accessed_at),
      expires_at: formatTimestamp(record.expires_at),
      authentication_factors: record.authentication_factors,
      custom_claims: record.custom_claims,
      roles,
    };
  }

  /** The live member session a token or JWT names, with its member, organization and roles. */
  async #liveMemberSession(projectId: string, input: { session_token?: string; session_jwt?: string }) {
    const cached = await this.#requireSession(projectId, input, 'member');
    const record = cached.record;
    const [member, organization] = await Promise.all([
      this.#cachedMember(projectId, record.member_id!),
      this.#organizations.findOrganization(projectId, record.organization_id!),
    ]);
    // A deleted member or organization has no sessions, whatever a cache still holds.
    if (!member || !organization || member.status === 'deleted' || member.organization_id !== organization.organization_id) {
      throw new GatehouseError('session_not_found');
    }
    return { record, member, organization, subject: this.#memberSubject(record, member, organization) };
  }

  /** The member's roles under this version of its organization, worked out once per pair. */
  #memberSubject(record: SessionRecord, member: MemberRecord, organization: OrganizationRecord): MemberSubject {
    let subject = this.#memberSubjects.get(record);
    if (subject?.member !== member || subject.organization !== organization) {
      const roles = sessionRoleIds(this.#members.roles(member, organization), ssoConnectionIds(record.authentication_factors));
      subject = { member, organization, roles, memo: {} };
      this.#memberSubjects.set(record, subject);
    }
    return subject;
  }

  async #cachedMember(projectId: string, memberId: string): Promise<MemberRecord | null> {
    let entry = this.#members_.get(memberId);
    if (!entry) {
      entry = this.#members.findMember(projectId, memberId);
      this.#members_.set(memberId, entry);
      entry.catch(() => this.#members_.delete(memberId));
    }
    return entry;
  }

  /**
   * Session with its roles, as the API shows it. The wire form is kept per record while its roles and
   * the second of its last access (the precision shown) stay the same; a record changes nothing else
   * in place (#update makes a new one), so the kept form is immutable.
   */
  toWire(record: SessionRecord, roles: readonly string[]) {
    const second = Math.floor(record.last_accessed_at.getTime() / 1000);
    const known = this.#wires.get(record);
    if (known && known.second === second && sameStrings(known.wire.roles, roles)) return known.wire;
    const wire = immutableWire(buildWireSession(record, [...roles]));
    this.#wires.set(record, { second, wire });
    return wire;
  }

  async #respond(projectId: string, environment: Environment, record: SessionRecord, token: string, user: UserRecord): Promise<SessionGrant> {
    const roles = this.#users.effectiveRoles(user);
    const jwt = await this.#jwtFor(projectId, environment, record, roles);
    return { session: record, session_token: token, session_jwt: jwt, user, roles };
  }

  /** The session's JWT: the one minted less than a minute ago for the same roles, or a new one. */
  async #jwtFor(projectId: string, environment: Environment, record: SessionRecord, roles: readonly string[], organization?: OrganizationRecord): Promise<string> {
    const cached = this.#cachedById(record.session_id);
    const rolesKey = organization ? `${roles.join(' ')}@${organization.organization_slug}` : roles.join(' ');
    const nowMs = this.#clock.now().getTime();
    const reusable = reusableJwt(cached, rolesKey, nowMs);
    if (reusable !== undefined) return reusable;
    const jwt = { token: await this.#mintJwt(projectId, environment, record, roles, organization), mintedAt: nowMs, rolesKey };
    if (cached) cached.jwt = jwt;
    return jwt.token;
  }

  /** The user's roles and what is worked out from them, once per cached user record. */
  #subjectOf(user: UserRecord): UserSubject {
    let subject = this.#subjects.get(user);
    if (!subject) {
      const roles = this.#users.effectiveRoles(user);
      subject = { roles, rolesKey: roles.join(' ') };
      this.#subjects.set(user, subject);
    }
    return subject;
  }

  #touch(record: SessionRecord, now: Date): void {
    record.last_accessed_at = now;
    this.#touched.set(record.session_id, now);
  }

  /** A new expiry or custom claims are written now; a plain authenticate only notes the access time. */
  async #extendOrTouch(record: SessionRecord, input: SessionInput): Promise<SessionRecord> {
    const now = this.#clock.now();
    if (input.session_duration_minutes !== undefined || input.session_custom_claims !== undefined) {
      return this.#update(record, {
        expires_at: input.session_duration_minutes ? addMinutes(now, input.session_duration_minutes) : undefined,
        custom_claims: input.session_custom_claims,
      });
    }
    this.#touch(record, now);
    return record;
  }

  async #mintJwt(projectId: string, environment: Environment, record: SessionRecord, roles: readonly string[], organization?: OrganizationRecord): Promise<string> {
    const { signing } = await this.#keys.forProject(projectId, environment);
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const claims: Record<string, unknown> = {
      ...record.custom_claims,
      [SESSION_CLAIM]: {
        id: record.session_id,
        started_at: formatTimestamp(record.started_at),
        last_accessed_at: formatTimestamp(record.last_accessed_at),
        expires_at: formatTimestamp(record.expires_at),
        attributes: record.attributes,
        authentication_factors: record.authentication_factors,
        roles,
      },
    };
    if (organization) {
      claims[ORGANIZATION_CLAIM] = { organization_id: organization.organization_id, slug: organization.organization_slug };
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
      .setIssuer(`stytch.com/${projectId}`)
      .setAudience([projectId])
      .setSubject((record.user_id ?? record.member_id)!)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + JWT_LIFETIME_SECONDS)
      .sign(signing.key);
  }

  /** Finds the live session a token or JWT names, or throws the error Stytch gives. */
  async #requireSession(projectId: string, input: { session_token?: string; session_jwt?: string }, kind: 'user' | 'member'): Promise<CachedSession> {
    if (input.session_token !== undefined && input.session_jwt !== undefined) {
      throw new GatehouseError('too_many_session_arguments', { message: 'Give session_token or session_jwt, not both.' });
    }
    let cached: CachedSession | null;
    if (input.session_token !== undefined) {
      cached = await this.#sessionByTokenHash(hashToken(input.session_token));
    } else if (input.session_jwt !== undefined) {
      cached = await this.#sessionByJwt(projectId, input.session_jwt);
    } else {
      throw new GatehouseError('no_session_arguments', { message: 'Give session_token or session_jwt.' });
    }
    return this.#requireLive(cached, projectId, kind, this.#clock.now());
  }

  /**
   * The session if it is live and of this project and kind. Another project's session, or a member's
   * where a user's is expected (and the other way round), is indistinguishable from no session.
   */
  #requireLive(cached: CachedSession | null, projectId: string, kind: 'user' | 'member', now: Date): CachedSession {
    if (
      !cached ||
      cached.record.project_id !== projectId ||
      (kind === 'user') !== (cached.record.user_id !== null) ||
      cached.record.expires_at.getTime() <= now.getTime()
    ) {
      throw new GatehouseError('session_not_found');
    }
    return cached;
  }

  async #sessionByTokenHash(tokenHash: string): Promise<CachedSession | null> {
    const cached = this.#byToken.get(tokenHash);
    if (cached) return cached;
    const { rows } = await this.#db.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL`,
      [Buffer.from(tokenHash, 'base64url')],
    );
    const row = rows[0];
    if (!row) return null;
    const { revoked_at: _revoked, ...record } = row;
    const entry = { record };
    this.#remember(tokenHash, entry);
    return entry;
  }

  /**
   * A JWT is accepted when its signature is ours and it names a live session — even past its `exp`,
   * so a client whose 5-minute JWT ran out gets a fresh one while the session lives.
   */
  async #sessionByJwt(projectId: string, jwt: string): Promise<CachedSession | null> {
    const digest = hashToken(jwt);
    const sessionId = this.#verifiedSessionId(projectId, digest) ?? (await this.#verifyJwt(projectId, jwt, digest));
    const known = this.#cachedById(sessionId);
    if (known) return known;
    const { rows } = await this.#db.query<SessionRow & { token_hash: Uint8Array }>(
      `SELECT ${SESSION_COLUMNS}, token_hash FROM sessions WHERE session_id = $1 AND revoked_at IS NULL`,
      [sessionId],
    );
    const row = rows[0];
    if (!row) return null;
    const { revoked_at: _revoked, token_hash, ...record } = row;
    const entry = { record };
    this.#remember(Buffer.from(token_hash).toString('base64url'), entry);
    return entry;
  }

  /** The session a JWT verified before names, if that JWT was verified for this project with a key still ours. */
  #verifiedSessionId(projectId: string, digest: string): string | undefined {
    const verified = this.#verifiedJwts.get(digest);
    if (verified === undefined || verified.projectId !== projectId) return undefined;
    return this.#keys.loaded(projectId)?.verificationKey(verified.kid) === verified.key ? verified.sessionId : undefined;
  }

  /** Checks a JWT's audience, issuer and signature and returns the session it names; remembers the verification. */
  async #verifyJwt(projectId: string, jwt: string, digest: string): Promise<string> {
    let kid: string | undefined;
    let claims: Record<string, unknown>;
    try {
      kid = decodeProtectedHeader(jwt).kid;
      claims = decodeJwt(jwt);
    } catch {
      throw new GatehouseError('unable_to_parse_session_jwt', { message: 'session_jwt is not a JWT.' });
    }
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(projectId)) throw new GatehouseError('jwt_invalid_audience', { message: 'The JWT was not issued for this project.' });
    if (claims.iss !== `stytch.com/${projectId}`) throw new GatehouseError('jwt_invalid_issuer', { message: 'The JWT was not issued by this project.' });
    const keys = await this.#keys.forProject(projectId, projectId.includes('-live-') ? 'live' : 'test');
    const key = kid ? keys.verificationKey(kid) : undefined;
    try {
      if (!key) throw new Error('unknown kid');
      await compactVerify(jwt, key, { algorithms: ['RS256'] });
    } catch {
      throw new GatehouseError('jwt_invalid_signature', { message: 'The JWT signature does not verify with any of this project\'s keys.' });
    }
    const sessionId = (claims[SESSION_CLAIM] as { id?: unknown } | undefined)?.id;
    if (typeof sessionId !== 'string') throw new GatehouseError('jwt_invalid_claims', { message: 'The JWT has no session claim.' });
    if (this.#verifiedJwts.size >= MAX_VERIFIED_JWTS) this.#verifiedJwts.delete(this.#verifiedJwts.keys().next().value as string);
    this.#verifiedJwts.set(digest, { projectId, kid: kid!, key: key!, sessionId });
    return sessionId;
  }

  async #cachedUser(projectId: string, userId: string): Promise<UserRecord | null> {
    let entry = this.#users_.get(userId);
    if (!entry) {
      const loaded: { loading: Promise<UserRecord | null>; user?: UserRecord | null } = { loading: this.#users.findUser(projectId, userId) };
      this.#users_.set(userId, (entry = loaded));
      // An entry dropped by the change feed meanwhile is no longer in the map: setting `user` on it is harmless.
      loaded.loading.then(
        (user) => (loaded.user = user),
        () => this.#users_.get(userId) === loaded && this.#users_.delete(userId),
      );
    }
    return entry.loading;
  }

  async #update(
    record: SessionRecord,
    change: { expires_at?: Date; custom_claims?: Metadata; authentication_factors?: AuthenticationFactor[] },
  ): Promise<SessionRecord> {
    const now = this.#clock.now();
    const next: SessionRecord = {
      ...record,
      last_accessed_at: now,
      expires_at: change.expires_at ?? record.expires_at,
      custom_claims: change.custom_claims ?? record.custom_claims,
      authentication_factors: change.authentication_factors ?? record.authentication_factors,
    };
    await this.#feed.write(async (tx, emit) => {
      const { rowCount } = await tx.query(
        `UPDATE sessions SET last_accessed_at = $2, expires_at = $3, custom_claims = $4, authentication_factors = $5
          WHERE session_id = $1 AND revoked_at IS NULL`,
        [record.session_id, now, next.expires_at, JSON.stringify(next.custom_claims), JSON.stringify(next.authentication_factors)],
      );
      if (rowCount === 0) throw new GatehouseError('session_not_found');
      emit({ type: 'session', project_id: record.project_id, session_id: record.session_id });
    });
    return next;
  }

  #cachedById(sessionId: string): CachedSession | undefined {
    const tokenHash = this.#tokenOfSession.get(sessionId);
    return tokenHash ? this.#byToken.get(tokenHash) : undefined;
  }

  #remember(tokenHash: string, entry: CachedSession): void {
    if (this.#byToken.size >= MAX_CACHED_SESSIONS) {
      // Evict the oldest entry (Maps iterate in insertion order).
      const oldest = this.#byToken.keys().next().value as string;
      const evicted = this.#byToken.get(oldest);
      this.#byToken.delete(oldest);
      if (evicted) this.#tokenOfSession.delete(evicted.record.session_id);
    }
    this.#byToken.set(tokenHash, entry);
    this.#tokenOfSession.set(entry.record.session_id, tokenHash);
  }

  #forgetSession(sessionId: string): void {
    const tokenHash = this.#tokenOfSession.get(sessionId);
    if (tokenHash) this.#byToken.delete(tokenHash);
    this.#tokenOfSession.delete(sessionId);
  }
}

function buildWireSession(record: SessionRecord, roles: string[]) {
  return {
    session_id: record.session_id,
    user_id: record.user_id,
    started_at: formatTimestamp(record.started_at),
    last_accessed_at: formatTimestamp(record.last_accessed_at),
    expires_at: formatTimestamp(record.expires_at),
    attributes: record.attributes,
    authentication_factors: record.authentication_factors,
    custom_claims: record.custom_claims,
    roles,
  };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function addMinutes(date: Date, minutes: number): Date {
  return new Date(date.getTime() + minutes * 60_000);
}

/** A factor of the same type and method replaces the older one; others are kept. */
function mergeFactor(factors: AuthenticationFactor[], factor: AuthenticationFactor): AuthenticationFactor[] {
  const kept = factors.filter((f) => !(f.type === factor.type && f.delivery_method === factor.delivery_method));
  return [...kept, factor];
}
