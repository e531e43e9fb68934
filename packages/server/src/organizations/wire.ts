// The organizations API's response shapes.
import { formatTimestamp } from '../shared/clock.ts';
import type { OrganizationRecord } from './service.ts';

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
    scim_active_connection: organization.scim_connections[0]
      ? (({ connection_id, display_name, bearer_token_last_four, bearer_token_expires_at }) => ({
          connection_id, display_name, bearer_token_last_four, ...(bearer_token_expires_at ? { bearer_token_expires_at: formatTimestamp(new Date(bearer_token_expires_at)) } : {}),
        }))(organization.scim_connections[0])
      : null,
  };
}
