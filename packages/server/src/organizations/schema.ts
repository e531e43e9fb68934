// Request schemas of the organizations API, and the service input an organization body makes.
import { Type, type Static } from '@sinclair/typebox';
import { SETTING_NAMES, type OrganizationInput, type OrganizationSettings } from './service.ts';

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

export const OrganizationParams = Type.Object({ organization_id: Type.String() });

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
