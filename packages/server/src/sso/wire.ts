// The SSO API's response shapes: SAML and OIDC connections as Stytch's API returns them.
import { X509Certificate } from 'node:crypto';
import { formatTimestamp } from '../shared/clock.ts';
import type { ExternalSettings, OidcSettings, SamlSettings, SsoConnectionRecord } from './connections.ts';
import { oidcRedirectUrl } from './oidc.ts';
import { samlServiceProvider } from './saml.ts';

function certificateFacts(pem: string) {
  try {
    const certificate = new X509Certificate(pem);
    return { issuer: certificate.issuer, created_at: formatTimestamp(new Date(certificate.validFrom)), expires_at: formatTimestamp(new Date(certificate.validTo)) };
  } catch {
    return { issuer: '', created_at: null, expires_at: null };
  }
}

export function toWireSamlConnection(record: SsoConnectionRecord, publicUrl: string) {
  const config = record.config as SamlSettings;
  const sp = samlServiceProvider(record.connection_id, publicUrl);
  return {
    organization_id: record.organization_id,
    connection_id: record.connection_id,
    status: record.status,
    idp_entity_id: config.idp_entity_id,
    display_name: record.display_name,
    idp_sso_url: config.idp_sso_url,
    acs_url: sp.acs_url,
    audience_uri: sp.audience_uri,
    signing_certificates: [],
    verification_certificates: config.verification_certificates.map((c) => ({ certificate_id: c.certificate_id, certificate: c.certificate, ...certificateFacts(c.certificate) })),
    encryption_private_keys: [],
    saml_connection_implicit_role_assignments: record.connection_role_rules,
    saml_group_implicit_role_assignments: record.group_role_rules,
    alternative_audience_uri: config.alternative_audience_uri,
    identity_provider: record.identity_provider,
    nameid_format: config.nameid_format,
    alternative_acs_url: '',
    idp_initiated_auth_disabled: config.idp_initiated_auth_disabled,
    allow_gateway_callback: false,
    attribute_mapping: config.attribute_mapping,
    verified_email_domains: record.verified_email_domains,
  };
}

export function toWireOidcConnection(record: SsoConnectionRecord, publicUrl: string) {
  const config = record.config as OidcSettings;
  return {
    organization_id: record.organization_id,
    connection_id: record.connection_id,
    status: record.status,
    display_name: record.display_name,
    redirect_url: oidcRedirectUrl(publicUrl),
    client_id: config.client_id,
    // Shown masked: it is a credential at the IdP, and reading it back has no use.
    client_secret: config.client_secret ? `••••${config.client_secret.slice(-4)}` : '',
    issuer: config.issuer,
    authorization_url: config.authorization_url,
    token_url: config.token_url,
    userinfo_url: config.userinfo_url,
    jwks_url: config.jwks_url,
    identity_provider: record.identity_provider,
    custom_scopes: config.custom_scopes,
    attribute_mapping: config.attribute_mapping,
    oidc_connection_implicit_role_assignments: record.connection_role_rules,
    oidc_group_implicit_role_assignments: record.group_role_rules,
    verified_email_domains: record.verified_email_domains,
  };
}

/** An external connection (external_connections[] of the list, and the external routes' answers). */
export function toWireExternalConnection(record: SsoConnectionRecord) {
  const config = record.config as ExternalSettings;
  return {
    organization_id: record.organization_id,
    connection_id: record.connection_id,
    external_organization_id: config.external_organization_id,
    external_connection_id: config.external_connection_id,
    display_name: record.display_name,
    status: record.status,
    external_connection_implicit_role_assignments: record.connection_role_rules,
    external_group_implicit_role_assignments: record.group_role_rules,
  };
}

/** Each connection kind's wire form, for routes that serve both. */
export const toWireConnection = { saml: toWireSamlConnection, oidc: toWireOidcConnection };

/** The connection list (GET /v1/b2b/sso/{organization_id}, and the browser's): SAML, OIDC and external apart. */
export function toWireConnectionList(list: SsoConnectionRecord[], publicUrl: string) {
  return {
    saml_connections: list.filter((c) => c.kind === 'saml').map((c) => toWireSamlConnection(c, publicUrl)),
    oidc_connections: list.filter((c) => c.kind === 'oidc').map((c) => toWireOidcConnection(c, publicUrl)),
    external_connections: list.filter((c) => c.kind === 'external').map(toWireExternalConnection),
  };
}

/**
 * What the admin portal reads at /sdk/v1/b2b/admin_portal_config: SSO is on and both connection kinds
 * may be created; Gatehouse has no SCIM, and no MFA controls for the portal to show.
 */
export function toWireAdminPortalConfig() {
  return {
    sso_config: { sso_enabled: true, can_create_saml_connection: true, can_create_oidc_connection: true },
    organization_config: { mfa_controls_enabled: false },
    scim_config: { scim_enabled: true },
  };
}
