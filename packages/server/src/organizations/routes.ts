import { Type, type Static } from '@sinclair/typebox';
import { formatTimestamp } from '../clock.ts';
import { GatehouseError } from '../errors.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { FastifyRequest } from 'fastify';
import { refuseSecretOnly, requestActor, type MemberActor, type MemberAuthorization, type RequiredAction } from '../b2b/member-authorization.ts';
import type { ProjectService } from '../projects/service.ts';
import { SearchBodyFields, searchQuery } from '../search/routes.ts';
import { SETTING_NAMES, type OrganizationInput, type OrganizationRecord, type OrganizationService, type OrganizationSettings } from './service.ts';

const Allowed3 = Type.Union([Type.Literal('ALL_ALLOWED'), Type.Literal('RESTRICTED'), Type.Literal('NOT_ALLOWED')]);
const Restricted2 = Type.Union([Type.Literal('RESTRICTED'), Type.Literal('NOT_ALLOWED')]);
const AllOrRestricted = Type.Union([Type.Literal('ALL_ALLOWED'), Type.Literal('RESTRICTED')]);
const Strings = Type.Array(Type.String({ maxLength: 256 }), { maxItems: 1000 });

const OrganizationFields = {
  organization_name: Type.Optional(Type.String()),
  organization_slug: Type.Optional(Type.String()),
  organization_logo_url: Type.Optional(Type.String({ maxLength: 2048 })),
  trusted_metadata: Type.Optional(Type.Unknown()),
  organization_external_id: Type.Optional(Type.String()),
  email_allowed_domains: Type.Optional(Strings),
  rbac_email_implicit_role_assignments: Type.Optional(
    Type.Array(Type.Object({ domain: Type.String({ maxLength: 253 }), role_id: Type.String({ minLength: 1, maxLength: 128 }) }), { maxItems: 1000 }),
  ),
  sso_jit_provisioning: Type.Optional(Allowed3),
  sso_jit_provisioning_allowed_connections: Type.Optional(Strings),
  sso_default_connection_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  email_jit_provisioning: Type.Optional(Restricted2),
  email_invites: Type.Optional(Allowed3),
  auth_methods: Type.Optional(AllOrRestricted),
  allowed_auth_methods: Type.Optional(Strings),
  mfa_policy: Type.Optional(Type.Union([Type.Literal('REQUIRED_FOR_ALL'), Type.Literal('OPTIONAL')])),
  mfa_methods: Type.Optional(AllOrRestricted),
  allowed_mfa_methods: Type.Optional(Strings),
  oauth_tenant_jit_provisioning: Type.Optional(Restricted2),
  allowed_oauth_tenants: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  claimed_email_domains: Type.Optional(Strings),
  first_party_connected_apps_allowed_type: Type.Optional(Allowed3),
  allowed_first_party_connected_apps: Type.Optional(Strings),
  third_party_connected_apps_allowed_type: Type.Optional(Allowed3),
  allowed_third_party_connected_apps: Type.Optional(Strings),
};
export const OrganizationBody = Type.Object(OrganizationFields);
export type OrganizationBodyType = Static<typeof OrganizationBody>;

const OrganizationParams = Type.Object({ organization_id: Type.String() });

/** What each field of an update needs when a member session makes the call (Stytch's mapping). */
const UPDATE_ACTIONS: Partial<Record<keyof OrganizationBodyType, string>> = {
  organization_name: 'update.info.name',
  organization_slug: 'update.info.slug',
  organization_logo_url: 'update.info.logo-url',
  sso_default_connection_id: 'update.settings.default-sso-connection',
  sso_jit_provisioning: 'update.settings.sso-jit-provisioning',
  sso_jit_provisioning_allowed_connections: 'update.settings.sso-jit-provisioning',
  email_allowed_domains: 'update.settings.allowed-domains',
  email_jit_provisioning: 'update.settings.email-jit-provisioning',
  email_invites: 'update.settings.email-invites',
  auth_methods: 'update.settings.allowed-auth-methods',
  allowed_auth_methods: 'update.settings.allowed-auth-methods',
  mfa_policy: 'update.settings.mfa-policy',
  rbac_email_implicit_role_assignments: 'update.settings.implicit-roles',
  mfa_methods: 'update.settings.allowed-mfa-methods',
  allowed_mfa_methods: 'update.settings.allowed-mfa-methods',
  oauth_tenant_jit_provisioning: 'update.settings.oauth-tenant-jit-provisioning',
  allowed_oauth_tenants: 'update.settings.allowed-oauth-tenants',
};

/** Fields Stytch names no member-session action for: only the project secret may change them. */
const SECRET_ONLY_FIELDS: readonly (keyof OrganizationBodyType)[] = [
  'organization_external_id',
  'claimed_email_domains',
  'first_party_connected_apps_allowed_type',
  'allowed_first_party_connected_apps',
  'third_party_connected_apps_allowed_type',
  'allowed_third_party_connected_apps',
];

/**
 * An organization update made with a member session (`actor`; null: the project secret alone): each
 * field its stytch.organization action, no trusted_metadata, no secret-only field, no escalation.
 */
export async function authorizeOrganizationUpdate(
  memberAuthorization: MemberAuthorization,
  request: FastifyRequest,
  actor: MemberActor | null,
  organizationId: string,
  body: OrganizationBodyType,
): Promise<void> {
  if (!actor) return;
  const required: RequiredAction[] = [];
  for (const [field, action] of Object.entries(UPDATE_ACTIONS)) {
    if (body[field as keyof OrganizationBodyType] !== undefined) required.push({ resource_id: 'stytch.organization', action });
  }
  await memberAuthorization.check(request.projectId, actor, organizationId, required);
  if (body.trusted_metadata !== undefined) throw cannotUpdateTrustedMetadata();
  refuseSecretOnly(body, SECRET_ONLY_FIELDS);
  if (body.rbac_email_implicit_role_assignments !== undefined) {
    // A rule hands its role to members; a member may only make rules for roles it could grant.
    await memberAuthorization.requireGrantable(request, actor, body.rbac_email_implicit_role_assignments.map((rule) => rule.role_id));
  }
}

export function toOrganizationInput(body: OrganizationBodyType): OrganizationInput {
  const settings: Partial<Record<keyof OrganizationSettings, unknown>> = {};
  for (const name of SETTING_NAMES) if (body[name] !== undefined) settings[name] = body[name];
  return {
    organization_name: body.organization_name,
    organization_slug: body.organization_slug,
    organization_logo_url: body.organization_logo_url,
    email_allowed_domains: body.email_allowed_domains,
    rbac_email_implicit_role_assignments: body.rbac_email_implicit_role_assignments,
    trusted_metadata: body.trusted_metadata,
    organization_external_id: body.organization_external_id,
    settings: settings as Partial<OrganizationSettings>,
  };
}

/** The Organization object as Stytch's API returns it. */
export function toWireOrganization(organization: OrganizationRecord) {
  const { settings } = organization;
  return {
    organization_id: organization.organization_id,
    organization_name: organization.organization_name,
    organization_logo_url: organization.organization_logo_url,
    organization_slug: organization.organization_slug,
    ...settings,
    sso_active_connections: organization.sso_connections
      .filter((connection) => connection.status === 'active')
      .map(({ connection_id, display_name, identity_provider }) => ({ connection_id, display_name, identity_provider })),
    email_allowed_domains: organization.email_allowed_domains,
    rbac_email_implicit_role_assignments: organization.email_role_rules,
    custom_roles: organization.custom_roles,
    trusted_metadata: organization.trusted_metadata,
    created_at: formatTimestamp(organization.created_at),
    updated_at: formatTimestamp(organization.updated_at),
    organization_external_id: organization.external_id,
    scim_active_connection: null,
  };
}

export function registerOrganizationRoutes(
  app: App,
  deps: { organizations: OrganizationService; projects: ProjectService; memberAuthorization: MemberAuthorization },
) {
  const { organizations, projects, memberAuthorization } = deps;

  app.post('/v1/b2b/organizations', { schema: { body: OrganizationBody } }, async (request) => {
    const project = await projects.findProject(request.projectId);
    const organization = await organizations.createOrganization(request.projectId, project!.environment, toOrganizationInput(request.body ?? {}), request.actor);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.get('/v1/b2b/organizations/:organization_id', { schema: { params: OrganizationParams } }, async (request) => {
    const organization = await organizations.requireOrganization(request.projectId, request.params.organization_id);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.put('/v1/b2b/organizations/:organization_id', { schema: { params: OrganizationParams, body: OrganizationBody } }, async (request) => {
    const body = request.body ?? {};
    const { organization_id } = request.params;
    const actor = await memberAuthorization.actor(request);
    await authorizeOrganizationUpdate(memberAuthorization, request, actor, organization_id, body);
    const organization = await organizations.updateOrganization(request.projectId, organization_id, toOrganizationInput(body), requestActor(request, actor));
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.delete('/v1/b2b/organizations/:organization_id', { schema: { params: OrganizationParams } }, async (request) => {
    const { organization_id } = request.params;
    const actor = await memberAuthorization.require(request, organization_id, [{ resource_id: 'stytch.organization', action: 'delete' }]);
    await organizations.deleteOrganization(request.projectId, organization_id, requestActor(request, actor));
    return ok(request, { organization_id });
  });

  app.post('/v1/b2b/organizations/search', { schema: { body: Type.Object(SearchBodyFields) } }, async (request) => {
    const body = request.body ?? {};
    const page = await organizations.searchOrganizations(request.projectId, { cursor: body.cursor, limit: body.limit, query: searchQuery(body) });
    return ok(request, {
      organizations: page.results.map(toWireOrganization),
      results_metadata: { total: page.total, next_cursor: page.next_cursor },
    });
  });

  app.get('/v1/b2b/organizations/:organization_id/metrics', { schema: { params: OrganizationParams } }, async (request) => {
    const organization = await organizations.requireOrganization(request.projectId, request.params.organization_id);
    return ok(request, { member_count: await organizations.memberCount(organization.organization_id) });
  });

  // Organization-scoped custom roles.
  app.get('/v1/b2b/rbac/organizations/:organization_id', { schema: { params: OrganizationParams } }, async (request) => {
    const roles = await organizations.getCustomRoles(request.projectId, request.params.organization_id);
    return ok(request, { org_policy: { roles } });
  });

  app.put(
    '/v1/b2b/rbac/organizations/:organization_id',
    { schema: { params: OrganizationParams, body: Type.Object({ org_policy: Type.Unknown() }) } },
    async (request) => {
      const roles = await organizations.setCustomRoles(request.projectId, request.params.organization_id, request.body.org_policy, request.actor);
      return ok(request, { org_policy: { roles } });
    },
  );
}

export function cannotUpdateTrustedMetadata(): GatehouseError {
  return new GatehouseError('cannot_update_trusted_metadata', {
    message: 'trusted_metadata can only be changed with the project secret, not with a member session.',
  });
}
