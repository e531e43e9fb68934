// B2B passwords over HTTP: authenticate, reset by email (reset/start, reset), migrate, strength_check,
// and deleting a member's password.
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import type { MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import { OrganizationId } from '../members/schema.ts';
import { memberResponse } from '../members/wire.ts';
import type { ProjectService } from '../projects/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import { memberSessionResponse } from '../sessions/wire.ts';
import type { MemberPasswordService } from './b2b-service.ts';
import type { MemberPasswordResetService } from './b2b-email-reset.ts';
import { B2BPasswordAuthenticateBody, B2BPasswordMigrateBody, B2BPasswordResetBody, B2BPasswordResetStartBody, B2BPasswordStrengthCheckBody } from './schema.ts';
import type { PasswordService } from './service.ts';
import { toWireMemberReset, toWireMemberResetStart } from './wire.ts';

export function registerB2BPasswordRoutes(
  app: App,
  deps: {
    memberPasswords: MemberPasswordService;
    passwords: PasswordService;
    members: MemberService;
    sessions: SessionService;
    limiter: RateLimiter;
    memberAuthorization: MemberAuthorization;
    memberPasswordReset: MemberPasswordResetService;
  },
) {
  const { memberPasswords, passwords, members, sessions, limiter, memberAuthorization, memberPasswordReset } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/b2b/passwords/authenticate', { config: REFUSE, schema: { body: B2BPasswordAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const grant = await memberPasswords.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, memberSessionResponse(grant, sessions, members));
  });

  app.post('/v1/b2b/passwords/email/reset/start', { config: REFUSE, schema: { body: B2BPasswordResetStartBody }, preHandler: byEmail }, async (request) => {
    return ok(request, toWireMemberResetStart(await memberPasswordReset.start(request.projectId, request.body), members));
  });

  app.post('/v1/b2b/passwords/email/reset', { config: REFUSE, schema: { body: B2BPasswordResetBody }, preHandler: byIp }, async (request) => {
    const grant = await memberPasswordReset.reset(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, toWireMemberReset(grant, sessions, members));
  });

  // An import tool calls this for every member it moves: secret-authenticated, and not rate limited.
  // Migration assigns roles and sets credentials: the project secret's alone, never a member session.
  app.post('/v1/b2b/passwords/migrate', { config: REFUSE, schema: { body: B2BPasswordMigrateBody } }, async (request) => {
    const { member, organization, member_created } = await memberPasswords.migrate(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, { ...memberResponse(member, organization, members), member_created });
  });

  app.post('/v1/b2b/passwords/strength_check', { config: REFUSE, schema: { body: B2BPasswordStrengthCheckBody }, preHandler: byIp }, async (request) => {
    const { feedback, ...verdict } = await passwords.strengthCheck(request.body.password, request.body.email_address);
    const { luds_requirements, ...zxcvbn } = feedback;
    return ok(request, { ...verdict, zxcvbn_feedback: zxcvbn, luds_feedback: luds_requirements });
  });

  app.delete(
    '/v1/b2b/organizations/:organization_id/members/passwords/:member_password_id',
    { config: { memberSession: MEMBER_SESSION_RULES.memberPasswordDelete }, schema: { params: Type.Object({ organization_id: OrganizationId, member_password_id: Type.String({ maxLength: 128 }) }) } },
    async (request) => {
      const { organization_id, member_password_id } = request.params;
      const { member, organization } = await memberPasswords.requirePasswordOwner(request.projectId, organization_id, member_password_id);
      // The gate let stytch.self through not knowing whose password this is; now it is known.
      await memberAuthorization.check(request.projectId, request.member ?? null, organization_id, MEMBER_SESSION_RULES.memberPasswordDelete.actions, { member_id: member.member_id });
      const updated = await memberPasswords.deletePassword(request.projectId, member, member_password_id);
      return ok(request, memberResponse(updated, organization, members));
    },
  );
}
