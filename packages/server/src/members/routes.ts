import { Type, type Static } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import { formatTimestamp } from '../clock.ts';
import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requestActor, type MemberActor } from '../authz/member-authorization.ts';
import { GatehouseError } from '../errors.ts';
import type { MemberMagicLinkService } from '../magic-links/b2b-service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { toWireOrganization } from '../organizations/routes.ts';
import type { OrganizationRecord, OrganizationService } from '../organizations/service.ts';
import { SearchBodyFields, searchQuery } from '../search/routes.ts';
import { isAdmin } from './roles.ts';
import type { MemberRecord, MemberService, UpdateMemberInput } from './service.ts';
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

/** Stytch's start_email_update body; locale and template are accepted and not used. */
export const StartEmailUpdateBody = Type.Object({
  email_address: Type.String({ maxLength: 320 }),
  login_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
  locale: Type.Optional(Type.String({ maxLength: 32 })),
  login_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  delivery_method: Type.Optional(Type.String({ maxLength: 32 })),
});
export type StartEmailUpdateBodyType = Static<typeof StartEmailUpdateBody>;

const OrganizationParams = Type.Object({ organization_id: Type.String() });
const MemberParams = Type.Object({ organization_id: Type.String(), member_id: Type.String() });

/** Only Stytch's email magic link proves a new address here (Gatehouse sends no email OTPs). */
export function checkEmailUpdateDelivery(deliveryMethod: string | undefined): void {
  if (deliveryMethod !== undefined && deliveryMethod !== 'EMAIL_MAGIC_LINK') {
    throw new GatehouseError('invalid_argument', { message: 'delivery_method must be EMAIL_MAGIC_LINK; Gatehouse does not send email one-time passcodes.' });
  }
}

/**
 * A member update: a new email_address is not written but starts an email update (a link to the
 * new address, see startEmailUpdate); the other fields are written at once. If they fail, the
 * link is voided, so the request changes nothing. `grantor`: the member session acting, if any
 * (the member-session rule has checked update.info.email; changing another member's address is a
 * grant, which the member service decides under the grant locks).
 */
export async function updateMemberAndStartEmailUpdate(
  deps: { members: MemberService; memberMagicLinks: MemberMagicLinkService },
  request: FastifyRequest,
  grantor: MemberActor | null,
  organizationId: string,
  memberId: string,
  body: UpdateMemberBodyType,
): Promise<MemberRecord> {
  const { email_address, unlink_email: _unlink, preserve_existing_sessions: _preserve, ...fields } = body;
  // As Stytch has it: a member changes its own address with start_email_update, not here.
  if (email_address !== undefined && grantor?.member.member_id === memberId) {
    throw new GatehouseError('session_authorization_error', {
      message: 'A member cannot update its own email address here; use start_email_update, which sends a link to the new address.',
    });
  }
  const emailUpdate = email_address === undefined
    ? null
    : await deps.memberMagicLinks.startEmailUpdate(request.projectId, { organization_id: organizationId, member_id: memberId, email_address }, grantor);
  const input: UpdateMemberInput = fields;
  if (emailUpdate && Object.values(input).every((value) => value === undefined)) return emailUpdate.member;
  try {
    return await deps.members.updateMember(request.projectId, organizationId, memberId, input, requestActor(request), grantor);
  } catch (error) {
    await emailUpdate?.discard();
    throw error;
  }
}

/** Rate limits a request that sends a link to a new address (by that address and by IP); others pass. */
export function limitEmailUpdateSends(limiter: RateLimiter) {
  const byNewAddress = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  return async (request: FastifyRequest, reply: Parameters<typeof byNewAddress>[1]) => {
    if ((request.body as { email_address?: unknown } | undefined)?.email_address !== undefined) await byNewAddress(request, reply);
  };
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
  deps: { members: MemberService; organizations: OrganizationService; memberMagicLinks: MemberMagicLinkService; limiter: RateLimiter },
) {
  const { members, organizations, memberMagicLinks, limiter } = deps;
  const limitSends = limitEmailUpdateSends(limiter);

  const respond = async (request: Parameters<typeof ok>[0], record: MemberRecord) => {
    const organization = await organizations.requireOrganization(request.projectId, record.organization_id);
    return ok(request, { member_id: record.member_id, member: toWireMember(record, organization, members), organization: toWireOrganization(organization) });
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
