import { Type, type Static } from '@sinclair/typebox';
import { formatTimestamp } from '../clock.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requestActor } from '../authz/member-authorization.ts';
import { toWireOrganization } from '../organizations/routes.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import type { ProjectService } from '../projects/service.ts';
import { SearchBodyFields, searchQuery } from '../search/routes.ts';
import { isAdmin } from './roles.ts';
import type { MemberRecord, MemberService } from './service.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 });

export const CreateMemberBody = Type.Object({
  email_address: Type.String(),
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  create_member_as_pending: Type.Optional(Type.Boolean()),
  is_breakglass: Type.Optional(Type.Boolean()),
  mfa_phone_number: Type.Optional(Type.String()),
  mfa_enrolled: Type.Optional(Type.Boolean()),
  roles: Type.Optional(Roles),
  external_id: Type.Optional(Type.String()),
});

export const UpdateMemberBody = Type.Object({
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  is_breakglass: Type.Optional(Type.Boolean()),
  mfa_phone_number: Type.Optional(Type.String()),
  mfa_enrolled: Type.Optional(Type.Boolean()),
  roles: Type.Optional(Roles),
  preserve_existing_sessions: Type.Optional(Type.Boolean()),
  default_mfa_method: Type.Optional(Type.String()),
  email_address: Type.Optional(Type.String()),
  external_id: Type.Optional(Type.String()),
  unlink_email: Type.Optional(Type.Boolean()),
});
export type UpdateMemberBodyType = Static<typeof UpdateMemberBody>;

const OrganizationParams = Type.Object({ organization_id: Type.String() });
const MemberParams = Type.Object({ organization_id: Type.String(), member_id: Type.String() });

/** The Member object as Stytch's API returns it. */
export function toWireMember(record: MemberRecord, organization: OrganizationRecord, members: MemberService) {
  const roles = members.roles(record, organization);
  const locked = members.isLocked(record);
  return {
    organization_id: record.organization_id,
    member_id: record.member_id,
    email_address: record.email_address,
    status: record.status,
    name: record.name,
    sso_registrations: [],
    is_breakglass: record.is_breakglass,
    member_password_id: record.password?.password_id ?? '',
    oauth_registrations: [],
    email_address_verified: record.email_address_verified,
    mfa_phone_number_verified: false,
    is_admin: isAdmin(roles),
    totp_registration_id: '',
    retired_email_addresses: [],
    is_locked: locked,
    mfa_enrolled: record.mfa_enrolled,
    mfa_phone_number: record.mfa_phone_number,
    default_mfa_method: record.default_mfa_method,
    roles,
    trusted_metadata: record.trusted_metadata,
    untrusted_metadata: record.untrusted_metadata,
    created_at: formatTimestamp(record.created_at),
    updated_at: formatTimestamp(record.updated_at),
    scim_registration: null,
    external_id: record.external_id,
    lock_created_at: locked && record.lock_created_at ? formatTimestamp(record.lock_created_at) : null,
    lock_expires_at: locked && record.lock_expires_at ? formatTimestamp(record.lock_expires_at) : null,
  };
}

export function registerMemberRoutes(
  app: App,
  deps: { members: MemberService; organizations: OrganizationService; projects: ProjectService },
) {
  const { members, organizations, projects } = deps;

  const respond = async (request: Parameters<typeof ok>[0], record: MemberRecord) => {
    const organization = await organizations.requireOrganization(request.projectId, record.organization_id);
    return ok(request, { member_id: record.member_id, member: toWireMember(record, organization, members), organization: toWireOrganization(organization) });
  };

  app.post('/v1/b2b/organizations/:organization_id/members', { config: { memberSession: MEMBER_SESSION_RULES.memberCreate }, schema: { params: OrganizationParams, body: CreateMemberBody } }, async (request) => {
    const { organization_id } = request.params;
    const project = await projects.findProject(request.projectId);
    const record = await members.createMember(request.projectId, project!.environment, organization_id, request.body, requestActor(request), undefined, request.member);
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

  app.put('/v1/b2b/organizations/:organization_id/members/:member_id', { config: { memberSession: MEMBER_SESSION_RULES.memberUpdate }, schema: { params: MemberParams, body: UpdateMemberBody } }, async (request) => {
    const { organization_id, member_id } = request.params;
    return respond(request, await members.updateMember(request.projectId, organization_id, member_id, request.body ?? {}, requestActor(request), request.member));
  });

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
