// B2B member sessions over HTTP: authenticate (with an authorization check), list, revoke, JWKS.
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import type { MemberAuthorization } from '../authz/member-authorization.ts';
import { toWireMember } from '../members/routes.ts';
import type { MemberService } from '../members/service.ts';
import { toWireOrganization } from '../organizations/routes.ts';
import type { OrganizationService } from '../organizations/service.ts';
import type { ProjectService } from '../projects/service.ts';
import type { SigningKeys } from './keys.ts';
import { registerJwksRoute, SessionFields } from './routes.ts';
import type { MemberSessionGrant, SessionService } from './service.ts';

const AuthenticateBody = Type.Object({
  ...SessionFields,
  authorization_check: Type.Optional(
    Type.Object({ organization_id: Type.String(), resource_id: Type.String(), action: Type.String() }),
  ),
});

const RevokeBody = Type.Object({
  member_session_id: Type.Optional(Type.String()),
  session_token: Type.Optional(Type.String()),
  session_jwt: Type.Optional(Type.String()),
  member_id: Type.Optional(Type.String()),
});

/** The session part of every B2B authenticate-style response (passwords, magic links, sessions). */
export function memberSessionResponse(grant: MemberSessionGrant, sessions: SessionService, members: MemberService) {
  return {
    member_id: grant.member.member_id,
    organization_id: grant.organization.organization_id,
    member: toWireMember(grant.member, grant.organization, members),
    organization: toWireOrganization(grant.organization),
    session_token: grant.session_token,
    session_jwt: grant.session_jwt,
    member_session: grant.member_session ? sessions.toWireMemberSession(grant.member_session, grant.roles, grant.organization) : null,
    intermediate_session_token: '',
    member_authenticated: true,
    mfa_required: null,
    primary_required: null,
  };
}

export function registerMemberSessionRoutes(
  app: App,
  deps: {
    sessions: SessionService;
    members: MemberService;
    organizations: OrganizationService;
    projects: ProjectService;
    keys: SigningKeys;
    memberAuthorization: MemberAuthorization;
  },
) {
  const { sessions, members, organizations, projects, keys, memberAuthorization } = deps;

  app.post('/v1/b2b/sessions/authenticate', { config: REFUSE, schema: { body: AuthenticateBody } }, async (request) => {
    const result = await sessions.authenticateMember(request.projectId, environmentOfProject(request.projectId), request.body ?? {});
    const { member, organization, session_token, session_jwt, member_session } = memberSessionResponse(result, sessions, members);
    // Literals, not `{ ...response, verdict }`: that spread makes objects of unstable shape (see SessionService.authenticateInMemory).
    return ok(
      request,
      result.verdict ? { member, organization, session_token, session_jwt, member_session, verdict: result.verdict } : { member, organization, session_token, session_jwt, member_session },
    );
  });

  app.get(
    '/v1/b2b/sessions',
    { config: REFUSE, schema: { querystring: Type.Object({ organization_id: Type.String(), member_id: Type.String() }) } },
    async (request) => {
      const { organization_id, member_id } = request.query;
      const organization = await organizations.requireOrganization(request.projectId, organization_id);
      const member = await members.getMember(request.projectId, organization_id, { member_id });
      const roles = members.effectiveRoles(member, organization);
      const list = await sessions.listMemberSessions(request.projectId, member.member_id);
      return ok(request, { member_sessions: list.map((session) => sessions.toWireMemberSession(session, roles, organization)) });
    },
  );

  app.post('/v1/b2b/sessions/revoke', { config: { memberSession: MEMBER_SESSION_RULES.sessionRevoke }, schema: { body: RevokeBody } }, async (request) => {
    const body = request.body ?? {};
    const actor = request.member ?? null;
    await sessions.revokeMember(request.projectId, body, async (target) => {
      // With a member session: revoking one's own sessions is always allowed; another member's
      // needs stytch.member delete in the same organization.
      if (actor && target.member_id !== actor.member.member_id) {
        await memberAuthorization.check(request.projectId, actor, target.organization_id, [{ resource_id: 'stytch.member', action: 'delete' }]);
      }
    });
    return ok(request, {});
  });

  registerJwksRoute(app, '/v1/b2b/sessions/jwks/:project_id', { projects, keys });
}
