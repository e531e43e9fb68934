// B2B email magic links over HTTP: login_or_signup, invite (which a member session may call, with
// stytch.member create and no role beyond its own), and authenticate.
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requestActor } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import { memberResponse } from '../members/wire.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { IntermediateSessionField, SessionFields } from '../sessions/schema.ts';
import type { SessionService } from '../sessions/service.ts';
import { memberSessionResponse } from '../sessions/wire.ts';
import type { MemberMagicLinkService } from './b2b-service.ts';
import { MemberInviteBody, MemberLoginOrSignupBody } from './schema.ts';

// Stytch's request fields; template ids and locale are accepted and not used.
const Unused = Type.Optional(Type.String({ maxLength: 256 }));

const AuthenticateBody = Type.Object({
  magic_links_token: Type.String({ minLength: 1, maxLength: 1024 }),
  pkce_code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionFields,
  locale: Unused,
  ...IntermediateSessionField,
  telemetry_id: Unused,
});

export function registerB2BMagicLinkRoutes(
  app: App,
  deps: {
    memberMagicLinks: MemberMagicLinkService;
    members: MemberService;
    sessions: SessionService;
    limiter: RateLimiter;
  },
) {
  const { memberMagicLinks, members, sessions, limiter } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/b2b/magic_links/email/login_or_signup', { config: REFUSE, schema: { body: MemberLoginOrSignupBody }, preHandler: byEmail }, async (request) => {
    const result = await memberMagicLinks.loginOrSignup(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, { ...memberResponse(result.member, result.organization, members), member_created: result.member_created });
  });

  app.post('/v1/b2b/magic_links/email/invite', { config: { memberSession: MEMBER_SESSION_RULES.memberInvite }, schema: { body: MemberInviteBody }, preHandler: byEmail }, async (request) => {
    const result = await memberMagicLinks.invite(request.projectId, environmentOfProject(request.projectId), request.body, requestActor(request), request.member);
    return ok(request, memberResponse(result.member, result.organization, members));
  });

  app.post('/v1/b2b/magic_links/authenticate', { config: REFUSE, schema: { body: AuthenticateBody }, preHandler: byIp }, async (request) => {
    const { grant, method_id } = await memberMagicLinks.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, { ...memberSessionResponse(grant, sessions, members), method_id, reset_sessions: false });
  });
}
