// Member-session authorization of B2B API calls. A call made with the project secret may do
// anything; when it also carries X-Stytch-Member-Session or X-Stytch-Member-SessionJWT, Gatehouse
// authenticates that session and lets the call through only if the member may take every action it
// implies on the built-in stytch.* resources — in the member's own organization, and without granting
// a role whose permissions the member does not hold itself.
import { listPermissions } from '@gatehouse/policy';
import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';
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

/** Who a request acts as, for the audit log: the member session it carries, else its caller. */
export function requestActor(request: FastifyRequest, member: MemberActor | null): Actor {
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
  return new GatehouseError('session_authorization_error', {
    message: 'The Member is not authorized to perform the requested action on that resource.',
  });
}

export function tenancyError(): GatehouseError {
  return new GatehouseError('session_authorization_tenancy_error', {
    message: 'The organization in the request does not match the member session\'s organization.',
  });
}

/**
 * With a member session, a change to a field no stytch.* action covers (external ids, claimed
 * domains, connected-app settings) is refused: otherwise any member could make it.
 */
export function refuseSecretOnly<T extends object>(body: T, fields: readonly (keyof T)[]): void {
  for (const field of fields) {
    if (body[field] !== undefined) {
      throw new GatehouseError('session_authorization_error', {
        message: `${String(field)} can only be changed with the project secret, not with a member session.`,
      });
    }
  }
}

export class MemberAuthorization {
  readonly #sessions: MemberSessionAuthenticator;
  readonly #rbac: RbacService;

  constructor(sessions: MemberSessionAuthenticator, rbac: RbacService) {
    this.#sessions = sessions;
    this.#rbac = rbac;
  }

  /** The member whose session the request carries, or null when it carries none. */
  async actor(request: FastifyRequest): Promise<MemberActor | null> {
    const token = header(request, MEMBER_SESSION_HEADER);
    const jwt = header(request, MEMBER_SESSION_JWT_HEADER);
    if (token === undefined && jwt === undefined) return null;
    // Both may be sent (the official client sends what it was given); the token is the stronger.
    return this.#sessions.authenticateActor(request.projectId, token !== undefined ? { session_token: token } : { session_jwt: jwt });
  }

  /**
   * Lets the call through when it carries no member session, or when the member belongs to
   * `organizationId` and may take every action. Returns the actor (or null). Throws 403s otherwise.
   */
  async require(
    request: FastifyRequest,
    organizationId: string,
    actions: readonly RequiredAction[],
    target?: { member_id: string },
  ): Promise<MemberActor | null> {
    return this.check(request.projectId, await this.actor(request), organizationId, actions, target);
  }

  /** `require` for an actor already authenticated. */
  async check(
    projectId: string,
    actor: MemberActor | null,
    organizationId: string,
    actions: readonly RequiredAction[],
    target?: { member_id: string },
  ): Promise<MemberActor | null> {
    if (!actor) return null;
    if (actor.organization.organization_id !== organizationId) throw tenancyError();
    for (const required of actions) {
      if (await this.#allowed(projectId, actor, required.resource_id, required.action)) continue;
      if (required.self && target?.member_id === actor.member.member_id && (await this.#allowed(projectId, actor, 'stytch.self', required.action))) continue;
      throw authorizationError();
    }
    return actor;
  }

  /**
   * No escalation: a member may grant or revoke only roles whose every permission it holds itself
   * (in its organization's policy, custom roles included).
   */
  async requireGrantable(request: FastifyRequest, actor: MemberActor | null, roles: readonly string[]): Promise<void> {
    if (!actor || roles.length === 0) return;
    const compiled = await this.#rbac.compiled(request.projectId, 'b2b', actor.organization.custom_roles);
    const held = listPermissions(compiled, actor.roles);
    for (const role of roles) {
      const granted = listPermissions(compiled, [role]);
      for (const [resourceId, actions] of Object.entries(granted)) {
        for (const [action, allowed] of Object.entries(actions)) {
          if (allowed && !held[resourceId]?.[action]) {
            throw new GatehouseError('session_authorization_error', {
              message: `The Member cannot grant or revoke role "${role}": it allows ${action} on ${resourceId}, which the Member may not do.`,
            });
          }
        }
      }
    }
  }

  async #allowed(projectId: string, actor: MemberActor, resourceId: string, action: string): Promise<boolean> {
    const verdict = await this.#rbac.authorize(projectId, 'b2b', actor.roles, resourceId, action, undefined, actor.organization.custom_roles);
    return verdict.authorized;
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}
