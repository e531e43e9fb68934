// Connection updates as the API takes them — SAML settings, SAML by IdP metadata, a certificate
// removed, OIDC settings, an external connection created or changed — turned into a change for the connection service. The /v1 routes
// (routes.ts) and the browser's (sdk-routes.ts) both call these.
import { randomUUID, X509Certificate } from 'node:crypto';
import { environmentOfProject } from '@gatehouse/contracts';
import type { MemberActor } from '../authz/member-authorization.ts';
import { checkDomain, isCommonEmailDomain } from '../organizations/service.ts';
import type { Actor } from '../projects/service.ts';
import { GatehouseError } from '../shared/errors.ts';
import { outboundFetchFailed, type OutboundFetch } from '../shared/outbound-fetch.ts';
import type { OidcSettings, SamlSettings, SsoConnectionService } from './connections.ts';
import { discoverOidc } from './oidc.ts';
import { parseIdpMetadata } from './saml.ts';
import type { ExternalCreateBodyType, ExternalUpdateBodyType, MetadataBodyType, OidcUpdateBodyType, SamlUpdateBodyType } from './schema.ts';

export interface ConnectionUpdateDeps {
  connections: SsoConnectionService;
  outbound: OutboundFetch;
}

/** Which connection, and on whose authority: `grantor` is the member whose session makes the change (null: the project secret). */
export interface ConnectionTarget {
  projectId: string;
  organizationId: string;
  connectionId: string;
  actor: Actor;
  grantor: MemberActor | null;
}

/** An external connection (Stytch's sso.external) in the target organization, from another organization's connection. */
export async function createExternalConnection(deps: ConnectionUpdateDeps, target: Omit<ConnectionTarget, 'connectionId'>, body: ExternalCreateBodyType) {
  const { connection_implicit_role_assignments, group_implicit_role_assignments, ...settings } = body;
  return deps.connections.createExternal(target.projectId, target.organizationId,
    { ...settings, connection_role_rules: connection_implicit_role_assignments, group_role_rules: group_implicit_role_assignments }, target.actor, target.grantor);
}

export async function updateExternalConnection(deps: ConnectionUpdateDeps, target: ConnectionTarget, body: ExternalUpdateBodyType) {
  const { projectId, organizationId, connectionId, actor, grantor } = target;
  return deps.connections.update(projectId, organizationId, connectionId, 'external', {
    display_name: body.display_name, connection_role_rules: body.external_connection_implicit_role_assignments, group_role_rules: body.external_group_implicit_role_assignments,
  }, actor, grantor);
}

export async function updateSamlConnection(deps: ConnectionUpdateDeps, target: ConnectionTarget, body: SamlUpdateBodyType) {
  const { projectId, organizationId, connectionId, actor, grantor } = target;
  const current = await deps.connections.require(projectId, organizationId, connectionId, 'saml');
  const change: Partial<SamlSettings> = {};
  if (body.idp_entity_id !== undefined) change.idp_entity_id = body.idp_entity_id;
  if (body.idp_sso_url !== undefined) change.idp_sso_url = checkUrl(body.idp_sso_url, 'idp_sso_url');
  if (body.attribute_mapping !== undefined) change.attribute_mapping = body.attribute_mapping;
  if (body.nameid_format !== undefined) change.nameid_format = body.nameid_format;
  if (body.alternative_audience_uri !== undefined) change.alternative_audience_uri = body.alternative_audience_uri;
  if (body.idp_initiated_auth_disabled !== undefined) change.idp_initiated_auth_disabled = body.idp_initiated_auth_disabled;
  if (body.x509_certificate !== undefined) {
    change.verification_certificates = addCertificates(current.config.verification_certificates, [body.x509_certificate], environmentOfProject(projectId));
  }
  return deps.connections.update(projectId, organizationId, connectionId, 'saml', {
    display_name: body.display_name,
    identity_provider: body.identity_provider,
    config: change,
    connection_role_rules: body.saml_connection_implicit_role_assignments,
    group_role_rules: body.saml_group_implicit_role_assignments,
    verified_email_domains: checkVerifiedDomains(body.verified_email_domains),
  }, actor, grantor);
}

/** By IdP metadata: Stytch's metadata_url, or (Gatehouse addition) the metadata XML itself. */
export async function updateSamlByMetadata(deps: ConnectionUpdateDeps, target: ConnectionTarget, body: MetadataBodyType) {
  const { projectId, organizationId, connectionId, actor, grantor } = target;
  const current = await deps.connections.require(projectId, organizationId, connectionId, 'saml');
  const xml = body.metadata_xml ?? (body.metadata_url ? await fetchMetadata(deps.outbound, body.metadata_url) : undefined);
  if (xml === undefined) throw new GatehouseError('sso_metadata_missing');
  const metadata = parseIdpMetadata(xml);
  return deps.connections.update(projectId, organizationId, connectionId, 'saml', {
    config: {
      idp_entity_id: metadata.idp_entity_id,
      idp_sso_url: checkUrl(metadata.idp_sso_url, 'the metadata\'s SingleSignOnService'),
      verification_certificates: addCertificates(current.config.verification_certificates, metadata.certificates, environmentOfProject(projectId)),
    },
  }, actor, grantor);
}

export async function deleteSamlCertificate(deps: ConnectionUpdateDeps, target: ConnectionTarget, certificateId: string): Promise<void> {
  const { projectId, organizationId, connectionId, actor } = target;
  const current = await deps.connections.require(projectId, organizationId, connectionId, 'saml');
  const kept = current.config.verification_certificates.filter((c) => c.certificate_id !== certificateId);
  if (kept.length === current.config.verification_certificates.length) {
    throw new GatehouseError('sso_verification_certificate_not_found', { params: { certificate_id: certificateId } });
  }
  await deps.connections.update(projectId, organizationId, connectionId, 'saml', { config: { verification_certificates: kept } }, actor);
}

const OIDC_ENDPOINTS = ['authorization_url', 'token_url', 'userinfo_url', 'jwks_url'] as const;

/**
 * An issuer with every endpoint given is taken as given, as Stytch does (the admin portal's manual
 * set-up sends them all): the provider's discovery document is read only for endpoints not given.
 */
export async function updateOidcConnection(deps: ConnectionUpdateDeps, target: ConnectionTarget, body: OidcUpdateBodyType) {
  const { projectId, organizationId, connectionId, actor, grantor } = target;
  await deps.connections.require(projectId, organizationId, connectionId, 'oidc');
  const change: Partial<OidcSettings> = {};
  for (const key of ['client_id', 'client_secret', 'custom_scopes'] as const) if (body[key] !== undefined) change[key] = body[key];
  for (const key of OIDC_ENDPOINTS) {
    if (body[key] !== undefined) change[key] = checkUrl(body[key], key);
  }
  if (body.attribute_mapping !== undefined) change.attribute_mapping = body.attribute_mapping;
  if (body.issuer !== undefined) {
    change.issuer = body.issuer;
    if (OIDC_ENDPOINTS.some((key) => body[key] === undefined)) {
      const discovered = await discoverOidc(body.issuer, deps.outbound);
      change.issuer = discovered.issuer;
      for (const key of OIDC_ENDPOINTS) change[key] ??= discovered[key];
    }
  }
  return deps.connections.update(projectId, organizationId, connectionId, 'oidc', {
    display_name: body.display_name,
    identity_provider: body.identity_provider,
    config: change,
    connection_role_rules: body.oidc_connection_implicit_role_assignments,
    group_role_rules: body.oidc_group_implicit_role_assignments,
    verified_email_domains: checkVerifiedDomains(body.verified_email_domains),
  }, actor, grantor);
}

/** Verified domains: real domain names, and no public mailbox provider (nobody vouches for all of gmail.com). */
function checkVerifiedDomains(domains: string[] | undefined): string[] | undefined {
  return domains?.map((domain) => {
    const normalized = checkDomain(domain, 'invalid_email_domain');
    if (isCommonEmailDomain(normalized)) {
      throw new GatehouseError('public_mailbox_email_domain', { params: { domain: normalized } });
    }
    return normalized;
  });
}

function checkUrl(value: string, field: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new GatehouseError('invalid_http_url_argument', { params: { field } });
  }
  return value;
}

/** A PEM certificate as stored, with the facts the API shows about it. */
function readCertificate(pem: string, environment: string) {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem.trim());
  } catch {
    throw new GatehouseError('saml_certificate_invalid');
  }
  return { certificate_id: `saml-verification-key-${environment}-${randomUUID()}`, certificate: certificate.toString().trim() };
}

function addCertificates(current: SamlSettings['verification_certificates'], pems: string[], environment: string): SamlSettings['verification_certificates'] {
  const next = [...current];
  for (const pem of pems) {
    const certificate = readCertificate(pem.includes('BEGIN CERTIFICATE') ? pem : `-----BEGIN CERTIFICATE-----\n${pem.trim()}\n-----END CERTIFICATE-----`, environment);
    if (!next.some((c) => c.certificate === certificate.certificate)) next.push(certificate);
  }
  return next;
}

/** The IdP's metadata, through the guarded client; any failure (a non-2xx answer too) is the guard's one error. */
async function fetchMetadata(outbound: OutboundFetch, url: string): Promise<string> {
  const response = await outbound.fetch(url, { headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
  if (!response.ok) throw outboundFetchFailed(new Error(`status ${response.status}`));
  return response.text();
}
