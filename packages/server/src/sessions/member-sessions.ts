// B2B member sessions: started by a member's sign-in, checked by b2b/sessions/authenticate and by
// every route a member's session header authorizes (MemberAuthorization). Roles are worked out from
// the member and its organization's rules, once per version of the pair.
import { randomUUID } from 'node:crypto';
import type { AuthorizationVerdict, ResolvedRoles } from '@gatehouse/policy';
import type { Environment } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { authorizationError, tenancyError, type MemberActor } from '../authz/member-authorization.ts';
import { ssoConnectionIds } from './factors.ts';
import { sessionRoleIds } from '../members/roles.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import type { RbacService } from '../rbac/service.ts';
import { BoundedCache } from '../shared/bounded-cache.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import { recordedAttributes } from './attributes.ts';
import { addMinutes, changesSession, checkSessionInput, mergeFactor, requireSession, type SessionCredential, type SessionInput, type SessionParts } from './input.ts';
import { newSessionToken, type AuthenticationFactor, type SessionRecord } from './store.ts';
import { rolesKeyOf, withTemplateClaims, type JwtSubject } from './jwt.ts';
import type { ClaimTemplates } from '../claims/service.ts';
import { memberContext, renderTemplate, type CompiledTemplate } from '../claims/template.ts';

const MAX_CACHED_MEMBERS = 100_000;

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
interface MemberSubject extends JwtSubject {
  member: MemberRecord;
  organization: OrganizationRecord;
  roles: string[];
  memo: { resolved?: ResolvedRoles };
  /** The template the claims were rendered from (another: render again). */
  template: CompiledTemplate | undefined;
}

export class MemberSessions {
  readonly #parts: SessionParts;
  readonly #members: MemberService;
  readonly #organizations: OrganizationService;
  readonly #rbac: RbacService;
  readonly #claims: ClaimTemplates;
  /** member_id → the member, as member sessions read it (a member that is not there is not kept). */
  readonly #memberCache = new BoundedCache<string, MemberRecord | null>({ max: MAX_CACHED_MEMBERS, keep: (member) => member !== null });
  /** Per session record: its member's roles under one version of member and organization. */
  readonly #subjects = new WeakMap<SessionRecord, MemberSubject>();

  constructor(parts: SessionParts, feed: ChangeFeed, rbac: RbacService, members: MemberService, organizations: OrganizationService, claims: ClaimTemplates) {
    this.#claims = claims;
    this.#parts = parts;
    this.#rbac = rbac;
    this.#members = members;
    this.#organizations = organizations;
    this.#memberCache.followFeed(feed, (event) => (event.type === 'member' ? event.member_id : undefined));
  }

  /**
   * Starts a session, or adds the factors to the member's presented one — once the organization's
   * sign-in rules are met (member-sign-in.ts decides; nothing else calls this).
   */
  async grant(
    projectId: string,
    environment: Environment,
    member: MemberRecord,
    organization: OrganizationRecord,
    factors: readonly AuthenticationFactor[],
    input: SessionInput,
  ): Promise<MemberSessionGrant> {
    checkSessionInput(input);
    const { store, jwts, clock } = this.#parts;
    const now = clock.now();
    let record: SessionRecord;
    let token = input.session_token ?? '';
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      const existing = await requireSession(this.#parts, projectId, input, 'member');
      if (existing.record.member_id !== member.member_id) {
        throw new GatehouseError('session_member_mismatch');
      }
      record = await store.update(existing.record, {
        authentication_factors: factors.reduce(mergeFactor, existing.record.authentication_factors),
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
        authentication_factors: factors.reduce(mergeFactor, [] as AuthenticationFactor[]),
        custom_claims: input.session_custom_claims ?? {},
        attributes: recordedAttributes(input.callerAttributes),
      };
      await store.insert(record, token);
    }
    const subject = this.#subject(record, member, organization);
    const { roles } = subject;
    const jwt = await jwts.jwtFor(projectId, environment, store.cachedById(record.session_id), record, subject);
    return { member_session: withTemplateClaims(record, subject), session_token: token, session_jwt: jwt, member, organization, roles };
  }

  /** The factors of the member's presented session (none presented: none); another member's is session_member_mismatch. */
  async presentedFactors(projectId: string, input: SessionCredential, memberId: string): Promise<AuthenticationFactor[]> {
    if (input.session_token === undefined && input.session_jwt === undefined) return [];
    const { record } = await requireSession(this.#parts, projectId, input, 'member');
    if (record.member_id !== memberId) throw new GatehouseError('session_member_mismatch');
    return record.authentication_factors;
  }

  /** The live member session a token or JWT names (for a session exchange). */
  async presentedSession(projectId: string, input: SessionCredential): Promise<SessionRecord> {
    return (await this.#liveSession(projectId, input)).record;
  }

  /**
   * b2b/sessions/authenticate. An authorization check for another organization is a tenancy error;
   * a denied one a 403; either way the session is not extended.
   */
  async authenticate(
    projectId: string,
    environment: Environment,
    input: SessionInput & { authorization_check?: MemberAuthorizationCheck },
  ): Promise<MemberSessionGrant & { verdict?: AuthorizationVerdict }> {
    checkSessionInput(input);
    const { store, jwts, clock } = this.#parts;
    const { record: session, member, organization, subject } = await this.#liveSession(projectId, input);
    let verdict: AuthorizationVerdict | undefined;
    if (input.authorization_check) {
      const { organization_id, resource_id, action } = input.authorization_check;
      if (organization_id !== organization.organization_id) throw tenancyError();
      verdict = await this.#rbac.authorize(projectId, 'b2b', subject.roles, resource_id, action, subject.memo, organization.custom_roles);
      if (!verdict.authorized) throw authorizationError();
    }
    let record = session;
    if (changesSession(input)) {
      const now = clock.now();
      record = await store.update(session, {
        expires_at: input.session_duration_minutes ? addMinutes(now, input.session_duration_minutes) : undefined,
        custom_claims: input.session_custom_claims,
      });
    } else {
      store.touch(session, clock.now());
    }
    const jwt = await jwts.jwtFor(projectId, environment, store.cachedById(record.session_id), record, subject);
    // A literal with the verdict, not a spread of the grant (see SessionService.authenticateInMemory).
    return { member_session: withTemplateClaims(record, subject), session_token: input.session_token ?? '', session_jwt: jwt, member, organization, roles: subject.roles, verdict };
  }

  /** The member a member-session header names (MemberAuthorization's authenticator). */
  async authenticateActor(projectId: string, input: SessionCredential): Promise<MemberActor> {
    const { record, member, organization, subject } = await this.#liveSession(projectId, input);
    this.#parts.store.touch(record, this.#parts.clock.now());
    return { member, organization, roles: subject.roles, session_id: record.session_id };
  }

  /**
   * b2b/sessions/revoke: one session (by id, token or JWT) or every session of a member.
   * `authorize` sees whose sessions they are before anything is written.
   */
  async revoke(
    projectId: string,
    input: { member_session_id?: string; session_token?: string; session_jwt?: string; member_id?: string },
    authorize: (target: { member_id: string; organization_id: string }) => Promise<void>,
  ): Promise<void> {
    const given = [input.member_session_id, input.session_token, input.session_jwt, input.member_id].filter((value) => value !== undefined);
    if (given.length === 0) throw new GatehouseError('no_member_session_revoke_arguments');
    if (given.length > 1) throw new GatehouseError('too_many_member_session_revoke_arguments');
    let target: { member_id: string; organization_id: string; session_id?: string };
    if (input.member_id !== undefined) {
      const member = await this.#members.findMember(projectId, input.member_id);
      if (!member) throw new GatehouseError('member_not_found', { params: { member_id: input.member_id } });
      target = { member_id: member.member_id, organization_id: member.organization_id };
    } else if (input.member_session_id !== undefined) {
      const owner = await this.#parts.store.memberOfSession(projectId, input.member_session_id);
      if (!owner) throw new GatehouseError('session_not_found');
      target = { ...owner, session_id: input.member_session_id };
    } else {
      const { record } = await requireSession(this.#parts, projectId, input, 'member');
      target = { member_id: record.member_id!, organization_id: record.organization_id!, session_id: record.session_id };
    }
    await authorize(target);
    await this.#parts.store.revokeOfMember(projectId, target.member_id, target.session_id);
  }

  /** The member's live sessions. */
  list(projectId: string, memberId: string): Promise<SessionRecord[]> {
    return this.#parts.store.listLive(projectId, { member_id: memberId });
  }

  /** The live member session a token or JWT names, with its member, organization and roles. */
  async #liveSession(projectId: string, input: SessionCredential) {
    const { record } = await requireSession(this.#parts, projectId, input, 'member');
    const [member, organization] = await Promise.all([
      this.#memberCache.load(record.member_id!, () => this.#members.findMember(projectId, record.member_id!)),
      this.#organizations.findOrganization(projectId, record.organization_id!),
    ]);
    // A deleted member or organization has no sessions, whatever a cache still holds.
    if (!member || !organization || member.status === 'deleted' || member.organization_id !== organization.organization_id) {
      throw new GatehouseError('session_not_found');
    }
    return { record, member, organization, subject: this.#subject(record, member, organization) };
  }

  /** The member's roles under this version of its organization, worked out once per pair. */
  #subject(record: SessionRecord, member: MemberRecord, organization: OrganizationRecord): MemberSubject {
    const template = this.#claims.of(record.project_id);
    let subject = this.#subjects.get(record);
    if (subject?.member !== member || subject.organization !== organization || subject.template !== template) {
      const roles = sessionRoleIds(this.#members.roles(member, organization), ssoConnectionIds(record.authentication_factors));
      const claims = template ? renderTemplate(template, memberContext(member, organization, roles)) : undefined;
      subject = { member, organization, roles, rolesKey: rolesKeyOf(roles, organization, claims), claims, template, memo: {} };
      this.#subjects.set(record, subject);
    }
    return subject;
  }
}
