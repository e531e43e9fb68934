// SSO over HTTP: connection management (project secret, or a member session with stytch.sso
// actions), the public sign-in endpoints the browser and the IdP reach (start, SAML ACS and
// metadata, OIDC callback), and /v1/b2b/sso/authenticate.
import { environmentOfProject } from '@gatehouse/contracts';
import { STYTCH_MEMBER } from '@gatehouse/policy';
import { randomUUID, X509Certificate } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import { requireGrantable } from '../authz/grants.ts';
import { requestActor } from '../authz/member-authorization.ts';
import type { MemberService } from '../members/service.ts';
import { checkDomain, isCommonEmailDomain, type OrganizationService } from '../organizations/service.ts';
import { memberRoles, sessionRoleIds } from '../members/roles.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { IntermediateSessionField, SessionFields } from '../sessions/schema.ts';
import { memberSessionResponse } from '../sessions/wire.ts';
import type { SessionService } from '../sessions/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import { outboundFetchFailed, type OutboundFetch } from '../shared/outbound-fetch.ts';
import type { OidcSettings, SamlSettings, SsoConnectionService } from './connections.ts';
import type { SsoFlows } from './flows.ts';
import type { SsoMemberLinks } from './member-links.ts';
import { discoverOidc } from './oidc.ts';
import { parseIdpMetadata, serviceProviderMetadata } from './saml.ts';
import { toWireConnection, toWireOidcConnection, toWireSamlConnection } from './wire.ts';
import { nulError, urlHasNul } from '../http/edge.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

const OrganizationParams = Type.Object({ organization_id: Type.String() });
const ConnectionParams = Type.Object({ organization_id: Type.String(), connection_id: Type.String() });
const CreateBody = Type.Object({ display_name: Type.Optional(Type.String({ maxLength: 256 })), identity_provider: Type.Optional(Type.String({ maxLength: 64 })) });
const RoleRules = Type.Array(Type.Object({ role_id: Type.String({ minLength: 1, maxLength: 128 }) }), { maxItems: 100 });
const GroupRules = Type.Array(Type.Object({ role_id: Type.String({ minLength: 1, maxLength: 128 }), group: Type.String({ minLength: 1, maxLength: 256 }) }), { maxItems: 1000 });
const Mapping = Type.Record(Type.String(), Type.String({ maxLength: 256 }));
// Gatehouse addition: email domains the organization vouches for at this connection (project secret only).
const VerifiedDomains = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 });

const SamlUpdateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  identity_provider: Type.Optional(Type.String({ maxLength: 64 })),
  idp_entity_id: Type.Optional(Type.String({ maxLength: 2048 })),
  idp_sso_url: Type.Optional(Type.String({ maxLength: 2048 })),
  x509_certificate: Type.Optional(Type.String({ maxLength: 20_000 })),
  attribute_mapping: Type.Optional(Mapping),
  nameid_format: Type.Optional(Type.String({ maxLength: 256 })),
  alternative_audience_uri: Type.Optional(Type.String({ maxLength: 2048 })),
  idp_initiated_auth_disabled: Type.Optional(Type.Boolean()),
  saml_connection_implicit_role_assignments: Type.Optional(RoleRules),
  saml_group_implicit_role_assignments: Type.Optional(GroupRules),
  verified_email_domains: Type.Optional(VerifiedDomains),
});

const MetadataBody = Type.Object({ metadata_url: Type.Optional(Type.String({ maxLength: 2048 })), metadata_xml: Type.Optional(Type.String({ maxLength: 500_000 })) });

const OidcUpdateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  identity_provider: Type.Optional(Type.String({ maxLength: 64 })),
  client_id: Type.Optional(Type.String({ maxLength: 1024 })),
  client_secret: Type.Optional(Type.String({ maxLength: 4096 })),
  issuer: Type.Optional(Type.String({ maxLength: 2048 })),
  authorization_url: Type.Optional(Type.String({ maxLength: 2048 })),
  token_url: Type.Optional(Type.String({ maxLength: 2048 })),
  userinfo_url: Type.Optional(Type.String({ maxLength: 2048 })),
  jwks_url: Type.Optional(Type.String({ maxLength: 2048 })),
  custom_scopes: Type.Optional(Type.String({ maxLength: 1024 })),
  attribute_mapping: Type.Optional(Mapping),
  // Gatehouse addition: implicit roles for OIDC connections too (Stytch has them for SAML only).
  oidc_connection_implicit_role_assignments: Type.Optional(RoleRules),
  oidc_group_implicit_role_assignments: Type.Optional(GroupRules),
  verified_email_domains: Type.Optional(VerifiedDomains),
});


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

export function registerSsoRoutes(
  app: App,
  deps: {
    connections: SsoConnectionService;
    flows: SsoFlows;
    sessions: SessionService;
    members: MemberService;
    config: ServerConfig;
    outbound: OutboundFetch;
    limiter: RateLimiter;
    links: SsoMemberLinks;
    organizations: OrganizationService;
    rbac: RbacService;
  },
) {
  const { connections, flows, sessions, members, config, outbound, limiter, links, organizations, rbac } = deps;
  const publicUrl = config.publicUrl;

  // ---------------------------------------------------------------------------------------------
  // connections

  app.get('/v1/b2b/sso/:organization_id', { config: { memberSession: MEMBER_SESSION_RULES.ssoGet }, schema: { params: OrganizationParams } }, async (request) => {
    const { organization_id } = request.params;
    const list = await connections.list(request.projectId, organization_id);
    return ok(request, {
      saml_connections: list.filter((c) => c.kind === 'saml').map((c) => toWireSamlConnection(c, publicUrl)),
      oidc_connections: list.filter((c) => c.kind === 'oidc').map((c) => toWireOidcConnection(c, publicUrl)),
      external_connections: [],
    });
  });

  app.delete('/v1/b2b/sso/:organization_id/connections/:connection_id', { config: { memberSession: MEMBER_SESSION_RULES.ssoDelete }, schema: { params: ConnectionParams } }, async (request) => {
    const { organization_id, connection_id } = request.params;
    await connections.delete(request.projectId, organization_id, connection_id, requestActor(request));
    return ok(request, { connection_id });
  });

  for (const kind of ['saml', 'oidc'] as const) {
    app.post(`/v1/b2b/sso/${kind}/:organization_id`, { config: { memberSession: MEMBER_SESSION_RULES.ssoCreate }, schema: { params: OrganizationParams, body: CreateBody } }, async (request) => {
      const { organization_id } = request.params;
      const record = await connections.create(request.projectId, environmentOfProject(request.projectId), organization_id, kind, request.body ?? {}, requestActor(request));
      return ok(request, { connection: toWireConnection[kind](record, publicUrl) });
    });
  }

  // Updates need stytch.sso update; role rules are checked for escalation by the connection service.
  const updateRule = (body: { properties: object }) => ({ memberSession: MEMBER_SESSION_RULES.ssoUpdate(Object.keys(body.properties)) });

  app.put('/v1/b2b/sso/saml/:organization_id/connections/:connection_id', { config: updateRule(SamlUpdateBody), schema: { params: ConnectionParams, body: SamlUpdateBody } }, async (request) => {
    const { organization_id, connection_id } = request.params;
    const body = request.body ?? {};
    const actor = requestActor(request);
    const current = await connections.require(request.projectId, organization_id, connection_id, 'saml');
    const change: Partial<SamlSettings> = {};
    if (body.idp_entity_id !== undefined) change.idp_entity_id = body.idp_entity_id;
    if (body.idp_sso_url !== undefined) change.idp_sso_url = checkUrl(body.idp_sso_url, 'idp_sso_url');
    if (body.attribute_mapping !== undefined) change.attribute_mapping = body.attribute_mapping;
    if (body.nameid_format !== undefined) change.nameid_format = body.nameid_format;
    if (body.alternative_audience_uri !== undefined) change.alternative_audience_uri = body.alternative_audience_uri;
    if (body.idp_initiated_auth_disabled !== undefined) change.idp_initiated_auth_disabled = body.idp_initiated_auth_disabled;
    if (body.x509_certificate !== undefined) {
      change.verification_certificates = addCertificates(current.config.verification_certificates, [body.x509_certificate], environmentOfProject(request.projectId));
    }
    const record = await connections.update(request.projectId, organization_id, connection_id, 'saml', {
      display_name: body.display_name,
      identity_provider: body.identity_provider,
      config: change,
      connection_role_rules: body.saml_connection_implicit_role_assignments,
      group_role_rules: body.saml_group_implicit_role_assignments,
      verified_email_domains: checkVerifiedDomains(body.verified_email_domains),
    }, actor, request.member);
    return ok(request, { connection: toWireSamlConnection(record, publicUrl) });
  });

  // By IdP metadata: Stytch's metadata_url, or (Gatehouse addition) the metadata XML itself.
  app.put(
    '/v1/b2b/sso/saml/:organization_id/connections/:connection_id/url',
    { config: updateRule(MetadataBody), schema: { params: ConnectionParams, body: MetadataBody } },
    async (request) => {
      const { organization_id, connection_id } = request.params;
      const actor = requestActor(request);
      const current = await connections.require(request.projectId, organization_id, connection_id, 'saml');
      const xml = request.body.metadata_xml ?? (request.body.metadata_url ? await fetchMetadata(outbound, request.body.metadata_url) : undefined);
      if (xml === undefined) throw new GatehouseError('sso_metadata_missing');
      const metadata = parseIdpMetadata(xml);
      const record = await connections.update(request.projectId, organization_id, connection_id, 'saml', {
        config: {
          idp_entity_id: metadata.idp_entity_id,
          idp_sso_url: checkUrl(metadata.idp_sso_url, 'the metadata\'s SingleSignOnService'),
          verification_certificates: addCertificates(current.config.verification_certificates, metadata.certificates, environmentOfProject(request.projectId)),
        },
      }, actor, request.member);
      return ok(request, { connection: toWireSamlConnection(record, publicUrl) });
    },
  );

  app.delete(
    '/v1/b2b/sso/saml/:organization_id/connections/:connection_id/verification_certificates/:certificate_id',
    { config: updateRule(Type.Object({})), schema: { params: Type.Object({ organization_id: Type.String(), connection_id: Type.String(), certificate_id: Type.String() }) } },
    async (request) => {
      const { organization_id, connection_id, certificate_id } = request.params;
      const actor = requestActor(request);
      const current = await connections.require(request.projectId, organization_id, connection_id, 'saml');
      const kept = current.config.verification_certificates.filter((c) => c.certificate_id !== certificate_id);
      if (kept.length === current.config.verification_certificates.length) {
        throw new GatehouseError('sso_verification_certificate_not_found', { params: { certificate_id } });
      }
      await connections.update(request.projectId, organization_id, connection_id, 'saml', { config: { verification_certificates: kept } }, actor);
      return ok(request, { certificate_id });
    },
  );

  app.put('/v1/b2b/sso/oidc/:organization_id/connections/:connection_id', { config: updateRule(OidcUpdateBody), schema: { params: ConnectionParams, body: OidcUpdateBody } }, async (request) => {
    const { organization_id, connection_id } = request.params;
    const body = request.body ?? {};
    const actor = requestActor(request);
    await connections.require(request.projectId, organization_id, connection_id, 'oidc');
    const change: Partial<OidcSettings> = {};
    for (const key of ['client_id', 'client_secret', 'custom_scopes'] as const) if (body[key] !== undefined) change[key] = body[key];
    for (const key of ['authorization_url', 'token_url', 'userinfo_url', 'jwks_url'] as const) {
      if (body[key] !== undefined) change[key] = checkUrl(body[key], key);
    }
    if (body.attribute_mapping !== undefined) change.attribute_mapping = body.attribute_mapping;
    if (body.issuer !== undefined) {
      change.issuer = body.issuer;
      // Endpoints not given come from the issuer's discovery document.
      const discovered = await discoverOidc(body.issuer, outbound);
      change.issuer = discovered.issuer;
      change.authorization_url ??= discovered.authorization_url;
      change.token_url ??= discovered.token_url;
      change.userinfo_url ??= discovered.userinfo_url;
      change.jwks_url ??= discovered.jwks_url;
    }
    const record = await connections.update(request.projectId, organization_id, connection_id, 'oidc', {
      display_name: body.display_name,
      identity_provider: body.identity_provider,
      config: change,
      connection_role_rules: body.oidc_connection_implicit_role_assignments,
      group_role_rules: body.oidc_group_implicit_role_assignments,
      verified_email_domains: checkVerifiedDomains(body.verified_email_domains),
    }, actor, request.member);
    return ok(request, { connection: toWireOidcConnection(record, publicUrl) });
  });

  // ---------------------------------------------------------------------------------------------
  // explicit links (Gatehouse addition): let a connection sign an existing member in by email

  const LinkParams = Type.Object({ organization_id: Type.String(), connection_id: Type.String(), member_id: Type.String() });

  app.put(
    '/v1/b2b/sso/:organization_id/connections/:connection_id/members/:member_id',
    { config: { memberSession: MEMBER_SESSION_RULES.ssoLink }, schema: { params: LinkParams, ...TAKES_NO_BODY } },
    async (request) => {
      const { organization_id, connection_id, member_id } = request.params;
      const connection = await connections.require(request.projectId, organization_id, connection_id);
      const member = await members.findMember(request.projectId, member_id);
      if (!member || member.organization_id !== organization_id || member.status === 'deleted') {
        throw new GatehouseError('member_not_found', { params: { member_id } });
      }
      // Linking hands the connection's IdP the member's account: on a member session's authority, only
      // if the grantor could grant every role a session through this connection would give the target.
      const grantor = request.member;
      const authorize = grantor
        ? async (tx: SqlExecutor) => {
            const organization = await organizations.requireOrganization(request.projectId, organization_id);
            const through = sessionRoleIds(memberRoles(member, organization), new Set([connection_id])).filter((role) => role !== STYTCH_MEMBER);
            await requireGrantable(tx, rbac, grantor, () => organizations.lock(tx, request.projectId, organization_id), through);
          }
        : undefined;
      await links.link(connection, member, requestActor(request), authorize);
      return ok(request, { connection_id, member_id });
    },
  );

  app.delete(
    '/v1/b2b/sso/:organization_id/connections/:connection_id/members/:member_id',
    { config: { memberSession: MEMBER_SESSION_RULES.ssoUnlink }, schema: { params: LinkParams } },
    async (request) => {
      const { organization_id, connection_id, member_id } = request.params;
      const connection = await connections.require(request.projectId, organization_id, connection_id);
      await links.unlink(connection, member_id, requestActor(request));
      return ok(request, { connection_id, member_id });
    },
  );

  // ---------------------------------------------------------------------------------------------
  // sign-in

  app.post(
    '/v1/b2b/sso/authenticate',
    { config: REFUSE, schema: { body: Type.Object({ sso_token: Type.String({ maxLength: 256 }), pkce_code_verifier: Type.Optional(Type.String({ maxLength: 256 })), ...SessionFields, ...IntermediateSessionField }) } },
    async (request) => {
      const grant = await flows.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
      return ok(request, { ...memberSessionResponse(grant, sessions, members), reset_session: false });
    },
  );

  // Anyone may start a sign-in, and each start keeps a flow row until it expires: counted per IP and
  // per connection (the connection id as sent, so unknown ids count too).
  const limitSsoStart = limiter.requestLimit((request) => [
    { name: 'sso_start_ip', rule: config.ssoStartLimits.perIp, subject: request.ip },
    { name: 'sso_start_connection', rule: config.ssoStartLimits.perConnection, subject: (request.query as { connection_id: string }).connection_id },
  ]);

  app.get(
    '/v1/public/sso/start',
    {
      config: { auth: 'public', memberSession: 'refuse' },
      preHandler: limitSsoStart,
      schema: {
        querystring: Type.Object({
          connection_id: Type.String({ maxLength: 256 }),
          public_token: Type.String({ maxLength: 256 }),
          login_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
          signup_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
          pkce_code_challenge: Type.Optional(Type.String({ maxLength: 128 })),
        }),
      },
    },
    async (request, reply) => reply.redirect(await flows.start(request.query), 302),
  );

  app.get('/v1/b2b/sso/saml/metadata/:connection_id', { config: { auth: 'public', memberSession: 'refuse' }, schema: { params: Type.Object({ connection_id: Type.String() }) } }, async (request, reply) => {
    const record = await connections.find(request.params.connection_id);
    if (!record || record.kind !== 'saml') throw new GatehouseError('sso_connection_not_found', { params: { connection_id: request.params.connection_id } });
    reply.type('application/samlmetadata+xml');
    return serviceProviderMetadata(record.connection_id, publicUrl, (record.config as SamlSettings).nameid_format);
  });

  app.get('/v1/b2b/sso/oidc/callback', { config: { auth: 'public', memberSession: 'refuse' } }, async (request, reply) => {
    const url = new URL(request.url, publicUrl);
    return reply.redirect(await flows.finishOidc(url), 302);
  });

  // The IdP POSTs the SAML response as a form: only this route reads form bodies. Both fields are
  // optional here so that a missing one gets finishSaml's own answer.
  const SamlPostBody = Type.Object({ SAMLResponse: Type.Optional(Type.String()), RelayState: Type.Optional(Type.String()) });
  void app.register(async (acs) => {
    acs.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      // NUL is refused here as the JSON parser refuses it (http/edge.ts): percent-encoded or raw.
      if (urlHasNul(body as string) || (body as string).includes('\0')) return done(nulError(), undefined);
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    acs.post('/v1/b2b/sso/saml/acs/:connection_id', { config: { auth: 'public', memberSession: 'refuse' }, schema: { consumes: ['application/x-www-form-urlencoded'], body: SamlPostBody } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const { connection_id } = request.params as { connection_id: string };
      const form = (request.body ?? {}) as { SAMLResponse?: string; RelayState?: string };
      return reply.redirect(await flows.finishSaml(connection_id, form.SAMLResponse, form.RelayState), 302);
    });
  });
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
