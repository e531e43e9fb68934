import { Type, type Static } from '@sinclair/typebox';
import { formatTimestamp } from '../clock.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { FastifyRequest } from 'fastify';
import { refuseSecretOnly, requestActor, tenancyError, type MemberActor, type MemberAuthorization, type RequiredAction } from '../b2b/member-authorization.ts';
import { cannotUpdateTrustedMetadata, toWireOrganization } from '../organizations/routes.ts';
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

/** What each field of a member update needs with a member session; `self` ones stytch.self also grants. */
const UPDATE_ACTIONS: Partial<Record<keyof UpdateMemberBodyType, { action: string; self: boolean }>> = {
  name: { action: 'update.info.name', self: true },
  untrusted_metadata: { action: 'update.info.untrusted-metadata', self: true },
  is_breakglass: { action: 'update.settings.is-breakglass', self: false },
  mfa_phone_number: { action: 'update.info.mfa-phone', self: true },
  mfa_enrolled: { action: 'update.settings.mfa-enrolled', self: true },
  roles: { action: 'update.settings.roles', self: false },
  default_mfa_method: { action: 'update.settings.default-mfa-method', self: true },
  email_address: { action: 'update.info.email', self: false },
  // Unlinking the email changes it as much as setting a new one does.
  unlink_email: { action: 'update.info.email', self: false },
};

/** Fields Stytch names no member-session action for: only the project secret may change them. */
const SECRET_ONLY_FIELDS: readonly (keyof UpdateMemberBodyType)[] = ['external_id'];

const member = (action: string, self = false): RequiredAction => ({ resource_id: 'stytch.member', action, self });

/** A member create made with a member session (`actor`): stytch.member create, no trusted_metadata, no escalation. */
export async function authorizeMemberCreate(
  memberAuthorization: MemberAuthorization,
  request: FastifyRequest,
  actor: MemberActor | null,
  organizationId: string,
  body: { trusted_metadata?: unknown; roles?: string[] },
): Promise<void> {
  await memberAuthorization.check(request.projectId, actor, organizationId, [member('create')]);
  if (actor && body.trusted_metadata !== undefined) throw cannotUpdateTrustedMetadata();
  await memberAuthorization.requireGrantable(request, actor, body.roles ?? []);
}

/**
 * A member update made with a member session (`actor`; null: the project secret alone, which may do
 * anything): each field its action, no trusted_metadata, no secret-only field, no escalation.
 */
export async function authorizeMemberUpdate(
  deps: { members: MemberService; memberAuthorization: MemberAuthorization },
  request: FastifyRequest,
  actor: MemberActor | null,
  organizationId: string,
  memberId: string,
  body: UpdateMemberBodyType,
): Promise<void> {
  if (!actor) return;
  const { members, memberAuthorization } = deps;
  const required: RequiredAction[] = [];
  for (const [field, need] of Object.entries(UPDATE_ACTIONS)) {
    if (body[field as keyof UpdateMemberBodyType] !== undefined) required.push(member(need.action, need.self));
  }
  await memberAuthorization.check(request.projectId, actor, organizationId, required, { member_id: memberId });
  if (body.trusted_metadata !== undefined) throw cannotUpdateTrustedMetadata();
  refuseSecretOnly(body, SECRET_ONLY_FIELDS);
  if (body.roles !== undefined) {
    // Every role added or removed must be one the member could hold on its own authority.
    const current = await members.getMember(request.projectId, organizationId, { member_id: memberId });
    const next = new Set(body.roles);
    const changed = [...body.roles.filter((role) => !current.explicit_roles.includes(role)), ...current.explicit_roles.filter((role) => !next.has(role))];
    await memberAuthorization.requireGrantable(request, actor, changed);
  }
}

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
  deps: { members: MemberService; organizations: OrganizationService; projects: ProjectService; memberAuthorization: MemberAuthorization },
) {
  const { members, organizations, projects, memberAuthorization } = deps;

  const respond = async (request: Parameters<typeof ok>[0], record: MemberRecord) => {
    const organization = await organizations.requireOrganization(request.projectId, record.organization_id);
    return ok(request, { member_id: record.member_id, member: toWireMember(record, organization, members), organization: toWireOrganization(organization) });
  };

  app.post('/v1/b2b/organizations/:organization_id/members', { schema: { params: OrganizationParams, body: CreateMemberBody } }, async (request) => {
    const { organization_id } = request.params;
    const body = request.body;
    const actor = await memberAuthorization.actor(request);
    await authorizeMemberCreate(memberAuthorization, request, actor, organization_id, body);
    const project = await projects.findProject(request.projectId);
    const record = await members.createMember(request.projectId, project!.environment, organization_id, body, requestActor(request, actor));
    return respond(request, record);
  });

  app.get(
    '/v1/b2b/organizations/:organization_id/member',
    { schema: { params: OrganizationParams, querystring: Type.Object({ member_id: Type.Optional(Type.String()), email_address: Type.Optional(Type.String()) }) } },
    async (request) => respond(request, await members.getMember(request.projectId, request.params.organization_id, request.query)),
  );

  app.get(
    '/v1/b2b/organizations/members/dangerously_get/:member_id',
    {
      schema: {
        params: Type.Object({ member_id: Type.String() }),
        querystring: Type.Object({ include_deleted: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
      },
    },
    async (request) => respond(request, await members.dangerouslyGet(request.projectId, request.params.member_id, request.query.include_deleted === 'true')),
  );

  app.put('/v1/b2b/organizations/:organization_id/members/:member_id', { schema: { params: MemberParams, body: UpdateMemberBody } }, async (request) => {
    const { organization_id, member_id } = request.params;
    const body = request.body ?? {};
    const actor = await memberAuthorization.actor(request);
    await authorizeMemberUpdate({ members, memberAuthorization }, request, actor, organization_id, member_id, body);
    return respond(request, await members.updateMember(request.projectId, organization_id, member_id, body, requestActor(request, actor)));
  });

  app.delete('/v1/b2b/organizations/:organization_id/members/:member_id', { schema: { params: MemberParams } }, async (request) => {
    const { organization_id, member_id } = request.params;
    const actor = await memberAuthorization.require(request, organization_id, [member('delete', true)], { member_id });
    await members.deleteMember(request.projectId, organization_id, member_id, requestActor(request, actor));
    return ok(request, { member_id });
  });

  app.put('/v1/b2b/organizations/:organization_id/members/:member_id/reactivate', { schema: { params: MemberParams, ...TAKES_NO_BODY } }, async (request) => {
    const { organization_id, member_id } = request.params;
    // Bringing a member back admits it again, as creating one does.
    const actor = await memberAuthorization.require(request, organization_id, [member('create')]);
    return respond(request, await members.reactivateMember(request.projectId, organization_id, member_id, requestActor(request, actor)));
  });

  app.post(
    '/v1/b2b/organizations/members/search',
    { schema: { body: Type.Object({ organization_ids: Type.Array(Type.String(), { maxItems: 1000 }), ...SearchBodyFields }) } },
    async (request) => {
      const body = request.body;
      const actor = await memberAuthorization.actor(request);
      if (actor) {
        // A member searches its own organization only.
        if (body.organization_ids.some((id) => id !== actor.organization.organization_id)) throw tenancyError();
        await memberAuthorization.check(request.projectId, actor, actor.organization.organization_id, [member('search')]);
      }
      const page = await members.searchMembers(request.projectId, { organization_ids: body.organization_ids, cursor: body.cursor, limit: body.limit, query: searchQuery(body) });
      return ok(request, {
        members: page.results.map((record) => toWireMember(record, page.organizations.get(record.organization_id)!, members)),
        results_metadata: { total: page.total, next_cursor: page.next_cursor },
        organizations: Object.fromEntries([...page.organizations].map(([id, organization]) => [id, toWireOrganization(organization)])),
      });
    },
  );
}
