// Member-session authorization of B2B API calls. A call made with the project secret alone may do
// anything in its project; when it also carries X-Stytch-Member-Session or X-Stytch-Member-SessionJWT,
// it acts with that member's authority instead: the member may take only the stytch.* actions its
// roles allow, only in its own organization, and may grant only what it holds itself (grants.ts).
// Which routes accept a member session, and what they need, is declared per route (gate.ts).
import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../shared/errors.ts';
import type { MemberRecord } from '../members/service.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { Actor } from '../projects/service.ts';
import type { RbacService } from '../rbac/service.ts';

export const MEMBER_SESSION_HEADER = 'x-stytch-member-session';
export const MEMBER_SESSION_JWT_HEADER = 'x-stytch-member-sessionjwt';

/** The member a request acts for, as its member session says. */
export interface MemberActor {
  member: MemberRecord;
  organization: OrganizationRecord;
  /** Role ids the session carries (explicit and implicit). */
  roles: string[];
  session_id: string;
}

/** Who a request acts as, for the audit log: the member whose session header it carries, else its caller. */
export function requestActor(request: FastifyRequest): Actor {
  const member = request.member;
  if (!member) return request.actor;
  return { type: 'member_session', id: member.member.member_id, organization_id: member.organization.organization_id, session_id: member.session_id };
}

export interface MemberSessionAuthenticator {
  /** Authenticates a member session (token or JWT) or throws the error sessions/authenticate gives. */
  authenticateActor(projectId: string, input: { session_token?: string; session_jwt?: string }): Promise<MemberActor>;
}

/** An action a call needs; `self` marks one that stytch.self grants when the target is the caller. */
export interface RequiredAction {
  resource_id: string;
  action: string;
  self?: boolean;
}

export function authorizationError(): GatehouseError {
  return new GatehouseError('session_authorization_error');
}

export function tenancyError(): GatehouseError {
  return new GatehouseError('session_authorization_tenancy_error');
}

export function cannotUpdateTrustedMetadata(): GatehouseError {
  return new GatehouseError('cannot_update_trusted_metadata');
}

export function secretOnlyFieldError(field: string): GatehouseError {
  return new GatehouseError('field_needs_project_secret', { params: { field } });
}


/**
 * The member-session credentials a request carries, read strictly: undefined when it sends neither
 * header; 400 for an empty value or a header sent more than once (Node joins repeats with ", ", and
 * neither a session token nor a JWT contains a comma).
 */
export function readMemberSessionHeaders(headers: FastifyRequest['headers']): { session_token?: string; session_jwt?: string } | undefined {
  const token = headers[MEMBER_SESSION_HEADER];
  const jwt = headers[MEMBER_SESSION_JWT_HEADER];
  if (token === undefined && jwt === undefined) return undefined;
  return { session_token: headerValue(MEMBER_SESSION_HEADER, token), session_jwt: headerValue(MEMBER_SESSION_JWT_HEADER, jwt) };
}

function headerValue(name: string, value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) || value.includes(',')) throw new GatehouseError('member_session_header_repeated', { params: { header: name } });
  if (value === '') throw new GatehouseError('member_session_header_empty', { params: { header: name } });
  return value;
}

export class MemberAuthorization {
  readonly #sessions: MemberSessionAuthenticator;
  readonly #rbac: RbacService;

  constructor(sessions: MemberSessionAuthenticator, rbac: RbacService) {
    this.#sessions = sessions;
    this.#rbac = rbac;
  }

  /**
   * The member whose session the request's headers carry, or null when they carry none. Both headers
   * may be sent (the official client sends both when given both): then both must be live and name
   * the same session.
   */
  async authenticate(request: FastifyRequest): Promise<MemberActor | null> {
    const sent = readMemberSessionHeaders(request.headers);
    if (!sent) return null;
    const { session_token, session_jwt } = sent;
    if (session_token === undefined || session_jwt === undefined) return this.#sessions.authenticateActor(request.projectId, sent);
    const [byToken, byJwt] = await Promise.all([
      this.#sessions.authenticateActor(request.projectId, { session_token }),
      this.#sessions.authenticateActor(request.projectId, { session_jwt }),
    ]);
    if (byToken.session_id !== byJwt.session_id) {
      throw new GatehouseError('member_session_headers_disagree', { params: { header: MEMBER_SESSION_HEADER, jwt_header: MEMBER_SESSION_JWT_HEADER } });
    }
    return byToken;
  }

  /**
   * Lets the call through when there is no member (the project secret alone), or when the member
   * belongs to `organizationId` and may take every action (a `self` action also through stytch.self
   * when `target` is the member itself). Throws 403s otherwise.
   */
  async check(
    projectId: string,
    actor: MemberActor | null,
    organizationId: string,
    actions: readonly RequiredAction[],
    target?: { member_id: string },
  ): Promise<void> {
    if (!actor) return;
    if (actor.organization.organization_id !== organizationId) throw tenancyError();
    for (const required of actions) {
      if (await this.allowed(projectId, actor, required.resource_id, required.action)) continue;
      if (required.self && target?.member_id === actor.member.member_id && (await this.allowed(projectId, actor, 'stytch.self', required.action))) continue;
      throw authorizationError();
    }
  }

  async allowed(projectId: string, actor: MemberActor, resourceId: string, action: string): Promise<boolean> {
    const verdict = await this.#rbac.authorize(projectId, 'b2b', actor.roles, resourceId, action, undefined, actor.organization.custom_roles);
    return verdict.authorized;
  }
}
