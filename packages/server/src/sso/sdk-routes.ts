// SSO for the browser SDK (/sdk/v1/b2b/sso…) and the admin portal's configuration: the signed-in
// member's organization's connections — list, create (SAML, OIDC), update (SAML, SAML by metadata,
// OIDC), external connections (create, update), certificate and connection delete — each checked with the /v1 route's member-session rule
// (stytch.sso actions, role rules for escalation by the connection service), and SSO discovery by
// email, which takes no session and is rate limited per IP and per address. And sso.authenticate: the
// browser's half of /v1/b2b/sso/authenticate (flows.ts), with the PKCE verifier the SDK kept from
// sso.start and the intermediate session it holds; rate limited per IP.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { MEMBER_SESSION_RULES } from '../authz/actions.ts';
import { requestActor, type MemberActor, type MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import type { OrganizationService } from '../organizations/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { browserMembers, data, PUBLIC, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { ServerConfig } from '../shared/config.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import type { SqlExecutor } from '../store/database.ts';
import { createExternalConnection, deleteSamlCertificate, updateExternalConnection, updateOidcConnection, updateSamlByMetadata, updateSamlConnection, type ConnectionTarget } from './connection-updates.ts';
import type { SsoConnectionService } from './connections.ts';
import { discoverConnections } from './discovery.ts';
import type { SsoFlows } from './flows.ts';
import { CreateBody, ExternalCreateBody, ExternalUpdateBody, MetadataBody, OidcUpdateBody, SamlUpdateBody, SdkAuthenticateBody } from './schema.ts';
import type { MemberService } from '../members/service.ts';
import { memberSessionResponse } from '../sessions/wire.ts';
import { toWireAdminPortalConfig, toWireConnection, toWireConnectionList, toWireExternalConnection, toWireOidcConnection, toWireSamlConnection } from './wire.ts';

const SSO = `${SDK_PREFIX}/b2b/sso`;
const ConnectionIdParams = Type.Object({ connection_id: Type.String({ maxLength: 256 }) });

export function registerSdkSsoRoutes(
  app: App,
  deps: {
    hooks: SdkHooks;
    db: SqlExecutor;
    connections: SsoConnectionService;
    organizations: OrganizationService;
    sessions: SessionService;
    memberAuthorization: MemberAuthorization;
    outbound: OutboundFetch;
    limiter: RateLimiter;
    config: ServerConfig;
    flows: SsoFlows;
    members: MemberService;
  },
) {
  const { hooks, db, connections, organizations, sessions, memberAuthorization, outbound, limiter, config, flows, members } = deps;
  const publicUrl = config.publicUrl;
  const caller = { config: PUBLIC, onRequest: hooks.caller };
  const { actorOf, authorizedMember } = browserMembers({ sessions, memberAuthorization });
  const updates = { connections, outbound };
  /** The connection named in the path, in the signed-in member's organization, changed on its authority. */
  const target = (request: FastifyRequest, actor: MemberActor): ConnectionTarget => ({
    projectId: request.projectId,
    organizationId: actor.organization.organization_id,
    connectionId: (request.params as { connection_id: string }).connection_id,
    actor: requestActor(request),
    grantor: actor,
  });
  // The /v1 routes' rules: stytch.sso update, verified_email_domains the project secret's alone.
  const updateRule = (body: { properties: object }) => MEMBER_SESSION_RULES.ssoUpdate(Object.keys(body.properties));

  // What the admin portal reads before it shows its SSO, SCIM and settings screens.
  app.get(`${SDK_PREFIX}/b2b/admin_portal_config`, caller, async (request) => {
    await actorOf(request);
    return data(request, toWireAdminPortalConfig());
  });

  app.get(SSO, caller, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.ssoGet);
    return data(request, toWireConnectionList(await connections.list(request.projectId, actor.organization.organization_id), publicUrl));
  });

  const byEmail = limiter.credentialEndpoint((_body, request: FastifyRequest) => (request.query as { email_address?: string }).email_address);
  app.get(`${SSO}/discovery/connections`, { ...caller, preHandler: byEmail, schema: { querystring: Type.Object({ email_address: Type.String({ maxLength: 320 }) }) } }, async (request) => {
    const found = await discoverConnections({ db, organizations }, request.projectId, request.query.email_address);
    return data(request, { connections: found });
  });

  // After the SSO callback: the one-time token from the redirect signs the member in (or answers an
  // intermediate session when the organization asks for more). A browser sets no custom claims.
  app.post(`${SSO}/authenticate`, { ...caller, schema: { body: SdkAuthenticateBody }, preHandler: limiter.credentialEndpoint() }, async (request) => {
    const { sso_token, pkce_code_verifier, session_duration_minutes, intermediate_session_token } = request.body;
    const grant = await flows.authenticate(request.projectId, request.sdk.project.environment, { sso_token, pkce_code_verifier, session_duration_minutes, intermediate_session_token, callerAttributes: request.sdk.attributes });
    return data(request, { ...memberSessionResponse(grant, sessions, members), reset_session: false });
  });

  for (const kind of ['saml', 'oidc'] as const) {
    app.post(`${SSO}/${kind}`, { ...caller, schema: { body: CreateBody } }, async (request) => {
      const actor = await authorizedMember(request, MEMBER_SESSION_RULES.ssoCreate);
      const record = await connections.create(request.projectId, request.sdk.project.environment, actor.organization.organization_id, kind, request.body ?? {}, requestActor(request));
      return data(request, { connection: toWireConnection[kind](record, publicUrl) });
    });
  }

  app.put(`${SSO}/saml/:connection_id`, { ...caller, schema: { params: ConnectionIdParams, body: SamlUpdateBody } }, async (request) => {
    const actor = await authorizedMember(request, updateRule(SamlUpdateBody));
    const record = await updateSamlConnection(updates, target(request, actor), request.body ?? {});
    return data(request, { connection: toWireSamlConnection(record, publicUrl) });
  });

  app.put(`${SSO}/saml/:connection_id/url`, { ...caller, schema: { params: ConnectionIdParams, body: MetadataBody } }, async (request) => {
    const actor = await authorizedMember(request, updateRule(MetadataBody));
    const record = await updateSamlByMetadata(updates, target(request, actor), request.body);
    return data(request, { connection: toWireSamlConnection(record, publicUrl) });
  });

  app.delete(`${SSO}/saml/:connection_id/verification_certificates/:certificate_id`,
    { ...caller, schema: { params: Type.Object({ connection_id: Type.String({ maxLength: 256 }), certificate_id: Type.String({ maxLength: 256 }) }) } },
    async (request) => {
      const actor = await authorizedMember(request, MEMBER_SESSION_RULES.ssoUpdate([]));
      await deleteSamlCertificate(updates, target(request, actor), request.params.certificate_id);
      return data(request, { certificate_id: request.params.certificate_id });
    });

  app.put(`${SSO}/oidc/:connection_id`, { ...caller, schema: { params: ConnectionIdParams, body: OidcUpdateBody } }, async (request) => {
    const actor = await authorizedMember(request, updateRule(OidcUpdateBody));
    const record = await updateOidcConnection(updates, target(request, actor), request.body ?? {});
    return data(request, { connection: toWireOidcConnection(record, publicUrl) });
  });

  // sso.external: another organization's connection signing people into the member's organization.
  app.post(`${SSO}/external`, { ...caller, schema: { body: ExternalCreateBody } }, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.ssoExternalCreate);
    const record = await createExternalConnection(updates, target(request, actor), request.body);
    return data(request, { connection: toWireExternalConnection(record) });
  });

  app.put(`${SSO}/external/:connection_id`, { ...caller, schema: { params: ConnectionIdParams, body: ExternalUpdateBody } }, async (request) => {
    const actor = await authorizedMember(request, updateRule(ExternalUpdateBody));
    const record = await updateExternalConnection(updates, target(request, actor), request.body ?? {});
    return data(request, { connection: toWireExternalConnection(record) });
  });

  app.delete(`${SSO}/:connection_id`, { ...caller, schema: { params: ConnectionIdParams } }, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.ssoDelete);
    const { connection_id } = request.params;
    await connections.delete(request.projectId, actor.organization.organization_id, connection_id, requestActor(request));
    return data(request, { connection_id });
  });
}
