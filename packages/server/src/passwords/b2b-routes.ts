// B2B passwords over HTTP: authenticate, migrate, strength_check, and deleting a member's password.
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import type { MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { toWireMember } from '../members/routes.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import { toWireOrganization } from '../organizations/routes.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { memberSessionResponse } from '../sessions/member-routes.ts';
import { SessionFields } from '../sessions/routes.ts';
import type { SessionService } from '../sessions/service.ts';
import type { MemberPasswordService } from './b2b-service.ts';
import { MigrateHashFields, Password } from './routes.ts';
import type { PasswordService } from './service.ts';

export const EmailAddress = Type.String({ maxLength: 320 });
export const OrganizationId = Type.String({ maxLength: 128 });
const Locale = Type.Optional(Type.String({ maxLength: 32 }));

const AuthenticateBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  password: Password,
  ...SessionFields,
  locale: Locale,
});

const MigrateBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  ...MigrateHashFields,
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 })),
  // Accepted; a migrate changes no roles of an existing member, so no session is affected.
  preserve_existing_sessions: Type.Optional(Type.Boolean()),
  mfa_phone_number: Type.Optional(Type.String()),
  set_phone_number_verified: Type.Optional(Type.Boolean()),
  external_id: Type.Optional(Type.String()),
});

const StrengthCheckBody = Type.Object({ password: Password, email_address: Type.Optional(EmailAddress) });

/** `member_id`, `member` and `organization`: what B2B calls about one member answer. */
export function memberResponse(member: MemberRecord, organization: OrganizationRecord, members: MemberService) {
  return { member_id: member.member_id, member: toWireMember(member, organization, members), organization: toWireOrganization(organization) };
}

export function registerB2BPasswordRoutes(
  app: App,
  deps: {
    memberPasswords: MemberPasswordService;
    passwords: PasswordService;
    members: MemberService;
    sessions: SessionService;
    limiter: RateLimiter;
    memberAuthorization: MemberAuthorization;
  },
) {
  const { memberPasswords, passwords, members, sessions, limiter, memberAuthorization } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/b2b/passwords/authenticate', { config: REFUSE, schema: { body: AuthenticateBody }, preHandler: byEmail }, async (request) => {
    const grant = await memberPasswords.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, memberSessionResponse(grant, sessions, members));
  });

  // An import tool calls this for every member it moves: secret-authenticated, and not rate limited.
  // Migration assigns roles and sets credentials: the project secret's alone, never a member session.
  app.post('/v1/b2b/passwords/migrate', { config: REFUSE, schema: { body: MigrateBody } }, async (request) => {
    const { member, organization, member_created } = await memberPasswords.migrate(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, { ...memberResponse(member, organization, members), member_created });
  });

  app.post('/v1/b2b/passwords/strength_check', { config: REFUSE, schema: { body: StrengthCheckBody }, preHandler: byIp }, async (request) => {
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
