import { environmentOfProject } from '@gatehouse/contracts';
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requestActor } from '../authz/member-authorization.ts';
import type { MemberMagicLinkService } from '../magic-links/b2b-service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { OrganizationService } from '../organizations/service.ts';
import { toWireOrganization } from '../organizations/wire.ts';
import type { ProjectService } from '../projects/service.ts';
import { SearchBodyFields, searchQuery } from '../search/schema.ts';
import { checkEmailUpdateDelivery, limitEmailUpdateSends, updateMemberAndStartEmailUpdate } from './email-update.ts';
import { CreateMemberBody, MemberParams, OrganizationParams, StartEmailUpdateBody, UpdateMemberBody } from './schema.ts';
import type { MemberRecord, MemberService } from './service.ts';
import { memberResponse, toWireMember } from './wire.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

export function registerMemberRoutes(
  app: App,
  deps: { members: MemberService; organizations: OrganizationService; memberMagicLinks: MemberMagicLinkService; limiter: RateLimiter },
) {
  const { members, organizations, memberMagicLinks, limiter } = deps;
  const limitSends = limitEmailUpdateSends(limiter);

  const respond = async (request: Parameters<typeof ok>[0], record: MemberRecord) => {
    const organization = await organizations.requireOrganization(request.projectId, record.organization_id);
    return ok(request, memberResponse(record, organization, members));
  };

  app.post('/v1/b2b/organizations/:organization_id/members', { config: { memberSession: MEMBER_SESSION_RULES.memberCreate }, schema: { params: OrganizationParams, body: CreateMemberBody } }, async (request) => {
    const { organization_id } = request.params;
    const record = await members.createMember(request.projectId, environmentOfProject(request.projectId), organization_id, request.body, requestActor(request), undefined, request.member);
    return respond(request, record);
  });

  app.get(
    '/v1/b2b/organizations/:organization_id/member',
    { config: REFUSE, schema: { params: OrganizationParams, querystring: Type.Object({ member_id: Type.Optional(Type.String()), email_address: Type.Optional(Type.String()) }) } },
    async (request) => respond(request, await members.getMember(request.projectId, request.params.organization_id, request.query)),
  );

  app.get(
    '/v1/b2b/organizations/members/dangerously_get/:member_id',
    {
      config: REFUSE,
      schema: {
        params: Type.Object({ member_id: Type.String() }),
        querystring: Type.Object({ include_deleted: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
      },
    },
    async (request) => respond(request, await members.dangerouslyGet(request.projectId, request.params.member_id, request.query.include_deleted === 'true')),
  );

  app.put(
    '/v1/b2b/organizations/:organization_id/members/:member_id',
    { config: { memberSession: MEMBER_SESSION_RULES.memberUpdate }, schema: { params: MemberParams, body: UpdateMemberBody }, preHandler: limitSends },
    async (request) => {
      const { organization_id, member_id } = request.params;
      return respond(request, await updateMemberAndStartEmailUpdate({ members, memberMagicLinks }, request, request.member ?? null, organization_id, member_id, request.body ?? {}));
    },
  );

  // Stytch's start_email_update: the member keeps its address until the link mailed to the new one is followed.
  app.post(
    '/v1/b2b/organizations/:organization_id/members/:member_id/start_email_update',
    { config: { memberSession: MEMBER_SESSION_RULES.memberStartEmailUpdate }, schema: { params: MemberParams, body: StartEmailUpdateBody }, preHandler: limitSends },
    async (request) => {
      const { organization_id, member_id } = request.params;
      const { email_address, login_redirect_url, delivery_method } = request.body;
      checkEmailUpdateDelivery(delivery_method);
      const { member } = await memberMagicLinks.startEmailUpdate(request.projectId, { organization_id, member_id, email_address, login_redirect_url }, request.member ?? null);
      return respond(request, member);
    },
  );

  app.delete('/v1/b2b/organizations/:organization_id/members/:member_id', { config: { memberSession: MEMBER_SESSION_RULES.memberDelete }, schema: { params: MemberParams } }, async (request) => {
    const { organization_id, member_id } = request.params;
    await members.deleteMember(request.projectId, organization_id, member_id, requestActor(request));
    return ok(request, { member_id });
  });

  app.put('/v1/b2b/organizations/:organization_id/members/:member_id/reactivate', { config: { memberSession: MEMBER_SESSION_RULES.memberReactivate }, schema: { params: MemberParams, ...TAKES_NO_BODY } }, async (request) => {
    const { organization_id, member_id } = request.params;
    return respond(request, await members.reactivateMember(request.projectId, organization_id, member_id, requestActor(request), request.member));
  });

  app.post(
    '/v1/b2b/organizations/members/search',
    // A member searches its own organization only (every id in organization_ids must be its own).
    { config: { memberSession: MEMBER_SESSION_RULES.memberSearch }, schema: { body: Type.Object({ organization_ids: Type.Array(Type.String(), { maxItems: 1000 }), ...SearchBodyFields }) } },
    async (request) => {
      const body = request.body;
      const page = await members.searchMembers(request.projectId, { organization_ids: body.organization_ids, cursor: body.cursor, limit: body.limit, query: searchQuery(body) });
      return ok(request, {
        members: page.results.map((record) => toWireMember(record, page.organizations.get(record.organization_id)!, members)),
        results_metadata: { total: page.total, next_cursor: page.next_cursor },
        organizations: Object.fromEntries([...page.organizations].map(([id, organization]) => [id, toWireOrganization(organization)])),
      });
    },
  );
}
