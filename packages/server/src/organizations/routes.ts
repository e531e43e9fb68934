import { Type, type Static } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import { formatTimestamp } from '../clock.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requestActor } from '../authz/member-authorization.ts';
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
  deps: { organizations: OrganizationService },
) {
  const { organizations } = deps;

  app.post('/v1/b2b/organizations', { config: REFUSE, schema: { body: OrganizationBody } }, async (request) => {
    const organization = await organizations.createOrganization(request.projectId, environmentOfProject(request.projectId), toOrganizationInput(request.body ?? {}), request.actor);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.get('/v1/b2b/organizations/:organization_id', { config: REFUSE, schema: { params: OrganizationParams } }, async (request) => {
    const organization = await organizations.requireOrganization(request.projectId, request.params.organization_id);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.put('/v1/b2b/organizations/:organization_id', { config: { memberSession: MEMBER_SESSION_RULES.organizationUpdate }, schema: { params: OrganizationParams, body: OrganizationBody } }, async (request) => {
    const body = request.body ?? {};
    const { organization_id } = request.params;
    const organization = await organizations.updateOrganization(request.projectId, organization_id, toOrganizationInput(body), requestActor(request), request.member);
    return ok(request, { organization: toWireOrganization(organization) });
  });

  app.delete('/v1/b2b/organizations/:organization_id', { config: { memberSession: MEMBER_SESSION_RULES.organizationDelete }, schema: { params: OrganizationParams } }, async (request) => {
    const { organization_id } = request.params;
    await organizations.deleteOrganization(request.projectId, organization_id, requestActor(request));
    return ok(request, { organization_id });
  });

  app.post('/v1/b2b/organizations/search', { config: REFUSE, schema: { body: Type.Object(SearchBodyFields) } }, async (request) => {
    const body = request.body ?? {};
    const page = await organizations.searchOrganizations(request.projectId, { cursor: body.cursor, limit: body.limit, query: searchQuery(body) });
    return ok(request, {
      organizations: page.results.map(toWireOrganization),
      results_metadata: { total: page.total, next_cursor: page.next_cursor },
    });
  });

  app.get('/v1/b2b/organizations/:organization_id/metrics', { config: REFUSE, schema: { params: OrganizationParams } }, async (request) => {
    const organization = await organizations.requireOrganization(request.projectId, request.params.organization_id);
    return ok(request, { member_count: await organizations.memberCount(organization.organization_id) });
  });

  // Organization-scoped custom roles.
  app.get('/v1/b2b/rbac/organizations/:organization_id', { config: REFUSE, schema: { params: OrganizationParams } }, async (request) => {
    const roles = await organizations.getCustomRoles(request.projectId, request.params.organization_id);
    return ok(request, { org_policy: { roles } });
  });

  app.put(
    '/v1/b2b/rbac/organizations/:organization_id',
    { config: { memberSession: MEMBER_SESSION_RULES.customRolesSet }, schema: { params: OrganizationParams, body: Type.Object({ org_policy: Type.Unknown() }) } },
    async (request) => {
      const roles = await organizations.setCustomRoles(request.projectId, request.params.organization_id, request.body.org_policy, requestActor(request), request.member);
      return ok(request, { org_policy: { roles } });
    },
  );
}
