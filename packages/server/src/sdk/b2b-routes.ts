// The B2B half of the browser SDK API: sign-in (password, magic link), member sessions, the member's
// own profile, and the organization and member administration the B2B SDK offers. Every call that
// acts on the organization or its members is made as the signed-in member (its session is the Basic
// credentials, not a member-session header: these routes declare 'refuse' for the headers) and is
// checked with the /v1 route's member-session rule from src/authz/actions.ts, grants included.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { MEMBER_SESSION_RULES, SELF_UPDATE_FIELDS } from '../authz/actions.ts';
import { authorizeByRule, type MemberSessionRule } from '../authz/gate.ts';
import { requestActor, type MemberActor, type MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import type { MemberMagicLinkService } from '../magic-links/b2b-service.ts';
import { checkEmailUpdateDelivery, limitEmailUpdateSends, updateMemberAndStartEmailUpdate } from '../members/email-update.ts';
import { CreateMemberBody, StartEmailUpdateBody, UpdateMemberBody, type StartEmailUpdateBodyType } from '../members/schema.ts';
import type { MemberRecord, MemberService } from '../members/service.ts';
import { memberResponse, toWireMember } from '../members/wire.ts';
import { OrganizationBody, toOrganizationInput } from '../organizations/schema.ts';
import type { OrganizationService } from '../organizations/service.ts';
import { toWireOrganization } from '../organizations/wire.ts';
import type { MemberPasswordService } from '../passwords/b2b-service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { SearchBodyFields, searchQuery } from '../search/schema.ts';
import { IntermediateSessionField } from '../sessions/schema.ts';
import type { SessionService } from '../sessions/service.ts';
import { memberSessionResponse, memberSignInResponse } from '../sessions/wire.ts';
import { browserMembers, data, refuseBrowserWrites, requireSessionToken, SDK_PREFIX, type SdkHooks } from './browser-api.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

const B2B = `${SDK_PREFIX}/b2b`;
const SessionDuration = { session_duration_minutes: Type.Optional(Type.Integer()) };
const Ignored = {
  captcha_token: Type.Optional(Type.String()),
  dfp_telemetry_id: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String({ maxLength: 32 })),
  ...IntermediateSessionField,
};

const PasswordAuthenticateBody = Type.Object({
  organization_id: Type.String({ maxLength: 128 }),
  email_address: Type.String({ maxLength: 320 }),
  password: Type.String({ maxLength: 1024 }),
  code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionDuration,
  ...Ignored,
});
const MagicLinkAuthenticateBody = Type.Object({
  magic_links_token: Type.String({ minLength: 1, maxLength: 1024 }),
  pkce_code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionDuration,
  ...Ignored,
});
const SdkSessionExchangeBody = Type.Object({
  organization_id: Type.String({ maxLength: 128 }),
  ...SessionDuration,
  locale: Type.Optional(Type.String({ maxLength: 32 })),
});
const MemberIdParams = Type.Object({ member_id: Type.String({ maxLength: 128 }) });

export interface SdkB2BDeps {
  hooks: SdkHooks;
  sessions: SessionService;
  members: MemberService;
  organizations: OrganizationService;
  memberPasswords: MemberPasswordService;
  memberMagicLinks: MemberMagicLinkService;
  memberAuthorization: MemberAuthorization;
  limiter: RateLimiter;
}

export function registerSdkB2BRoutes(app: App, deps: SdkB2BDeps) {
  const { hooks, sessions, members, organizations, memberPasswords, memberMagicLinks, memberAuthorization, limiter } = deps;
  // The browser's session is its Basic credentials; member-session headers are refused here.
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();
  const limitSends = limitEmailUpdateSends(limiter);

  const { actorOf, authorizedMember } = browserMembers({ sessions, memberAuthorization });
  /** The member (and organization) as a B2B call about one member answers it, fresh from the database. */
  const respondMember = async (request: FastifyRequest, record: MemberRecord) => {
    const organization = await organizations.requireOrganization(request.projectId, record.organization_id);
    return data(request, memberResponse(record, organization, members));
  };

  // ---- Sign-in and sessions

  app.post(`${B2B}/passwords/authenticate`, { ...caller, schema: { body: PasswordAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const { organization_id, email_address, password, session_duration_minutes, intermediate_session_token } = request.body;
    const grant = await memberPasswords.authenticate(request.projectId, request.sdk.project.environment, {
      organization_id, email_address, password, session_duration_minutes, intermediate_session_token, callerAttributes: request.sdk.attributes,
    });
    return data(request, memberSessionResponse(grant, sessions, members));
  });

  app.post(`${B2B}/magic_links/authenticate`, { ...caller, schema: { body: MagicLinkAuthenticateBody }, preHandler: byIp }, async (request) => {
    const { magic_links_token, pkce_code_verifier, session_duration_minutes, intermediate_session_token } = request.body;
    const { grant, method_id } = await memberMagicLinks.authenticate(request.projectId, request.sdk.project.environment, {
      magic_links_token,
      pkce_code_verifier,
      session_duration_minutes,
      intermediate_session_token,
      callerAttributes: request.sdk.attributes,
    });
    return data(request, { ...memberSessionResponse(grant, sessions, members), method_id, reset_sessions: false });
  });

  app.post(`${B2B}/sessions/authenticate`, { ...caller, schema: { body: Type.Object(SessionDuration) } }, async (request) => {
    const grant = await sessions.authenticateMember(request.projectId, request.sdk.project.environment, {
      session_token: requireSessionToken(request),
      session_duration_minutes: request.body?.session_duration_minutes,
    });
    const { member_session, member, organization, session_token, session_jwt } = memberSessionResponse(grant, sessions, members);
    return data(request, { member_session, member, organization, session_token, session_jwt });
  });

  // session.exchange: the browser's session signs in to another organization of its address.
  app.post(`${B2B}/sessions/exchange`, { ...caller, schema: { body: SdkSessionExchangeBody }, preHandler: byIp }, async (request) => {
    const { organization_id, session_duration_minutes } = request.body;
    const result = await sessions.exchangeMemberSession(request.projectId, request.sdk.project.environment, {
      organization_id, session_token: requireSessionToken(request), session_duration_minutes, callerAttributes: request.sdk.attributes,
    });
    return data(request, memberSignInResponse(result, sessions, members));
  });

  app.post(`${B2B}/sessions/revoke`, { ...caller, schema: TAKES_NO_BODY }, async (request) => {
    const session_token = requireSessionToken(request);
    await sessions.revokeMember(request.projectId, { session_token }, async () => {});
    return data(request, {});
  });

  // Every session of another member (or one's own): stytch.member delete for another's.
  app.post(`${B2B}/sessions/revoke/:member_id`, { ...caller, schema: { params: MemberIdParams, ...TAKES_NO_BODY } }, async (request) => {
    const actor = await actorOf(request);
    await sessions.revokeMember(request.projectId, { member_id: request.params.member_id }, async (target) => {
      if (target.member_id !== actor.member.member_id) {
        await memberAuthorization.check(request.projectId, actor, target.organization_id, [{ resource_id: 'stytch.member', action: 'delete' }]);
      }
    });
    return data(request, {});
  });

  // ---- The member's own profile

  app.get(`${B2B}/organizations/members/me`, caller, async (request) => {
    const actor = await actorOf(request);
    return data(request, { member: toWireMember(actor.member, actor.organization, members), organization: toWireOrganization(actor.organization) });
  });

  app.put(`${B2B}/organizations/members/update`, { ...caller, schema: { body: UpdateMemberBody } }, async (request) => {
    const body = request.body ?? {};
    refuseBrowserWrites(body, Object.keys(body).filter((field) => !(SELF_UPDATE_FIELDS as readonly string[]).includes(field) && field !== 'trusted_metadata' && field !== 'roles'));
    const actor = await actorOf(request);
    const memberId = actor.member.member_id;
    await authorizeByRule(memberAuthorization, MEMBER_SESSION_RULES.memberUpdate, request.projectId, actor, { organization_id: actor.organization.organization_id, member_id: memberId }, body);
    return respondMember(request, await members.updateMember(request.projectId, actor.organization.organization_id, memberId, body, requestActor(request), actor));
  });

  /** start_email_update as the signed-in member, for itself or (with stytch.member) another member. */
  const startEmailUpdate = async (request: FastifyRequest, memberId: string | null, body: StartEmailUpdateBodyType) => {
    checkEmailUpdateDelivery(body.delivery_method);
    const actor = await actorOf(request);
    const member_id = memberId ?? actor.member.member_id;
    // The /v1 route's rule (stytch.self for oneself); another member's address is a grant the service checks under lock.
    await authorizeByRule(memberAuthorization, MEMBER_SESSION_RULES.memberStartEmailUpdate, request.projectId, actor, { organization_id: actor.organization.organization_id, member_id }, body);
    const { member } = await memberMagicLinks.startEmailUpdate(request.projectId, {
      organization_id: actor.organization.organization_id, member_id, email_address: body.email_address, login_redirect_url: body.login_redirect_url,
    }, actor);
    return respondMember(request, member);
  };

  app.post(`${B2B}/organizations/members/start_email_update`, { ...caller, schema: { body: StartEmailUpdateBody }, preHandler: limitSends },
    async (request) => startEmailUpdate(request, null, request.body));

  app.delete(`${B2B}/organizations/members/passwords/:password_id`, { ...caller, schema: { params: Type.Object({ password_id: Type.String({ maxLength: 128 }) }) } }, async (request) => {
    const actor = await actorOf(request);
    const organizationId = actor.organization.organization_id;
    const { member } = await memberPasswords.requirePasswordOwner(request.projectId, organizationId, request.params.password_id);
    await memberAuthorization.check(request.projectId, actor, organizationId, MEMBER_SESSION_RULES.memberPasswordDelete.actions, { member_id: member.member_id });
    return respondMember(request, await memberPasswords.deletePassword(request.projectId, member, request.params.password_id));
  });

  // ---- The member's organization

  app.get(`${B2B}/organizations/me`, caller, async (request) => {
    const actor = await actorOf(request);
    return data(request, { organization: toWireOrganization(actor.organization) });
  });

  app.put(`${B2B}/organizations/me`, { ...caller, schema: { body: OrganizationBody } }, async (request) => {
    const body = request.body ?? {};
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.organizationUpdate);
    const organizationId = actor.organization.organization_id;
    const organization = await organizations.updateOrganization(request.projectId, organizationId, toOrganizationInput(body), requestActor(request), actor);
    return data(request, { organization: toWireOrganization(organization) });
  });

  app.delete(`${B2B}/organizations/me`, caller, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.organizationDelete);
    const organizationId = actor.organization.organization_id;
    await organizations.deleteOrganization(request.projectId, organizationId, requestActor(request));
    return data(request, { organization_id: organizationId });
  });

  app.post(`${B2B}/organizations/me/members/search`, { ...caller, schema: { body: Type.Object(SearchBodyFields) } }, async (request) => {
    const body = request.body ?? {};
    const actor = await authorizedMember(request, { ...MEMBER_SESSION_RULES.memberSearch, organization: { param: 'organization_id' } });
    const organizationId = actor.organization.organization_id;
    const page = await members.searchMembers(request.projectId, { organization_ids: [organizationId], cursor: body.cursor, limit: body.limit, query: searchQuery(body) });
    return data(request, {
      members: page.results.map((record) => toWireMember(record, page.organizations.get(record.organization_id)!, members)),
      results_metadata: { total: page.total, next_cursor: page.next_cursor },
      organizations: Object.fromEntries([...page.organizations].map(([id, organization]) => [id, toWireOrganization(organization)])),
    });
  });

  // ---- Members of the organization, as the signed-in member

  app.post(`${B2B}/organizations/members`, { ...caller, schema: { body: CreateMemberBody } }, async (request) => {
    const body = request.body;
    refuseBrowserWrites({ trusted_metadata: body.trusted_metadata }, []);
    if (body.external_id !== undefined) refuseBrowserWrites(body, ['external_id']);
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.memberCreate);
    const organizationId = actor.organization.organization_id;
    const record = await members.createMember(request.projectId, request.sdk.project.environment, organizationId, body, requestActor(request), undefined, actor);
    return respondMember(request, record);
  });

  app.put(`${B2B}/organizations/members/:member_id`, { ...caller, schema: { params: MemberIdParams, body: UpdateMemberBody }, preHandler: limitSends }, async (request) => {
    const body = request.body ?? {};
    refuseBrowserWrites({ trusted_metadata: body.trusted_metadata }, []);
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.memberUpdate, { member_id: request.params.member_id });
    const organizationId = actor.organization.organization_id;
    return respondMember(request, await updateMemberAndStartEmailUpdate({ members, memberMagicLinks }, request, actor, organizationId, request.params.member_id, body));
  });

  app.post(`${B2B}/organizations/members/:member_id/start_email_update`,
    { ...caller, schema: { params: MemberIdParams, body: StartEmailUpdateBody }, preHandler: limitSends },
    async (request) => startEmailUpdate(request, request.params.member_id, request.body));

  app.delete(`${B2B}/organizations/members/:member_id`, { ...caller, schema: { params: MemberIdParams } }, async (request) => {
    const { member_id } = request.params;
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.memberDelete, { member_id });
    const organizationId = actor.organization.organization_id;
    await members.deleteMember(request.projectId, organizationId, member_id, requestActor(request));
    return data(request, { member_id });
  });

  app.put(`${B2B}/organizations/members/:member_id/reactivate`, { ...caller, schema: { params: MemberIdParams, ...TAKES_NO_BODY } }, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.memberReactivate);
    const organizationId = actor.organization.organization_id;
    return respondMember(request, await members.reactivateMember(request.projectId, organizationId, request.params.member_id, requestActor(request), actor));
  });
}
