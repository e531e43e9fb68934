// B2B member sessions over HTTP: authenticate (with an authorization check), exchange, list, revoke, JWKS.
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import type { MemberAuthorization } from '../authz/member-authorization.ts';
import type { MemberService } from '../members/service.ts';
import type { OrganizationService } from '../organizations/service.ts';
import type { ProjectService } from '../projects/service.ts';
import type { SigningKeys } from './keys.ts';
import { registerJwksRoute } from './routes.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { MemberSessionAuthenticateBody, MemberSessionRevokeBody, SessionExchangeBody } from './schema.ts';
import type { SessionService } from './service.ts';
import { memberSessionResponse, memberSignInResponse, toWireMemberSession } from './wire.ts';

export function registerMemberSessionRoutes(
  app: App,
  deps: {
    sessions: SessionService;
    members: MemberService;
    organizations: OrganizationService;
    projects: ProjectService;
    keys: SigningKeys;
    memberAuthorization: MemberAuthorization;
    limiter: RateLimiter;
  },
) {
  const { sessions, members, organizations, projects, keys, memberAuthorization, limiter } = deps;

  app.post('/v1/b2b/sessions/authenticate', { config: REFUSE, schema: { body: MemberSessionAuthenticateBody } }, async (request) => {
    const result = await sessions.authenticateMember(request.projectId, environmentOfProject(request.projectId), request.body ?? {});
    const { member, organization, session_token, session_jwt, member_session } = memberSessionResponse(result, sessions, members);
    // Literals, not `{ ...response, verdict }`: that spread makes objects of unstable shape (see SessionService.authenticateInMemory).
    return ok(
      request,
      result.verdict ? { member, organization, session_token, session_jwt, member_session, verdict: result.verdict } : { member, organization, session_token, session_jwt, member_session },
    );
  });

  // The session's address signs in to another organization it is a member of (the old session stays).
  app.post('/v1/b2b/sessions/exchange', { config: REFUSE, schema: { body: SessionExchangeBody }, preHandler: limiter.credentialEndpoint() }, async (request) => {
    const { organization_id, session_token, session_jwt, session_duration_minutes, session_custom_claims } = request.body;
    const result = await sessions.exchangeMemberSession(request.projectId, environmentOfProject(request.projectId), {
      organization_id, session_token, session_jwt, session_duration_minutes, session_custom_claims,
    });
    return ok(request, memberSignInResponse(result, sessions, members));
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
      return ok(request, { member_sessions: list.map((session) => toWireMemberSession(session, roles, organization)) });
    },
  );

  app.post('/v1/b2b/sessions/revoke', { config: { memberSession: MEMBER_SESSION_RULES.sessionRevoke }, schema: { body: MemberSessionRevokeBody } }, async (request) => {
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
