// SSO over HTTP: connection management (project secret, or a member session with stytch.sso
// actions), the public sign-in endpoints the browser and the IdP reach (start, SAML ACS and
// metadata, OIDC callback), and /v1/b2b/sso/authenticate.
import { environmentOfProject } from '@gatehouse/contracts';
import { STYTCH_MEMBER } from '@gatehouse/policy';
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
import type { OrganizationService } from '../organizations/service.ts';
import { memberRoles, sessionRoleIds } from '../members/roles.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { IntermediateSessionField, SessionFields } from '../sessions/schema.ts';
import { memberSessionResponse } from '../sessions/wire.ts';
import type { SessionService } from '../sessions/service.ts';
import type { RbacService } from '../rbac/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { OutboundFetch } from '../shared/outbound-fetch.ts';
import type { SamlSettings, SsoConnectionService } from './connections.ts';
import { createExternalConnection, deleteSamlCertificate, updateExternalConnection, updateOidcConnection, updateSamlByMetadata, updateSamlConnection, type ConnectionTarget } from './connection-updates.ts';
import type { SsoFlows } from './flows.ts';
import type { SsoMemberLinks } from './member-links.ts';
import { serviceProviderMetadata } from './saml.ts';
import { ConnectionParams, CreateBody, ExternalCreateBody, ExternalUpdateBody, MetadataBody, OidcUpdateBody, OrganizationParams, SamlUpdateBody } from './schema.ts';
import { toWireConnection, toWireConnectionList, toWireExternalConnection, toWireOidcConnection, toWireSamlConnection } from './wire.ts';
import { nulError, urlHasNul } from '../http/edge.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

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
    const list = await connections.list(request.projectId, request.params.organization_id);
    return ok(request, toWireConnectionList(list, publicUrl));
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
  const updates = { connections, outbound };
  const target = (request: FastifyRequest): ConnectionTarget => ({
    projectId: request.projectId,
    organizationId: (request.params as { organization_id: string }).organization_id,
    connectionId: (request.params as { connection_id: string }).connection_id,
    actor: requestActor(request),
    grantor: request.member ?? null,
  });

  app.put('/v1/b2b/sso/saml/:organization_id/connections/:connection_id', { config: updateRule(SamlUpdateBody), schema: { params: ConnectionParams, body: SamlUpdateBody } }, async (request) => {
    const record = await updateSamlConnection(updates, target(request), request.body ?? {});
    return ok(request, { connection: toWireSamlConnection(record, publicUrl) });
  });

  app.put(
    '/v1/b2b/sso/saml/:organization_id/connections/:connection_id/url',
    { config: updateRule(MetadataBody), schema: { params: ConnectionParams, body: MetadataBody } },
    async (request) => {
      const record = await updateSamlByMetadata(updates, target(request), request.body);
      return ok(request, { connection: toWireSamlConnection(record, publicUrl) });
    },
  );

  app.delete(
    '/v1/b2b/sso/saml/:organization_id/connections/:connection_id/verification_certificates/:certificate_id',
    { config: updateRule(Type.Object({})), schema: { params: Type.Object({ organization_id: Type.String(), connection_id: Type.String(), certificate_id: Type.String() }) } },
    async (request) => {
      const { certificate_id } = request.params;
      await deleteSamlCertificate(updates, target(request), certificate_id);
      return ok(request, { certificate_id });
    },
  );

  app.put('/v1/b2b/sso/oidc/:organization_id/connections/:connection_id', { config: updateRule(OidcUpdateBody), schema: { params: ConnectionParams, body: OidcUpdateBody } }, async (request) => {
    const record = await updateOidcConnection(updates, target(request), request.body ?? {});
    return ok(request, { connection: toWireOidcConnection(record, publicUrl) });
  });

  // External connections: another organization's connection signing people into this one, with this
  // organization's own role rules (Stytch's sso.external).
  app.post('/v1/b2b/sso/external/:organization_id', { config: { memberSession: MEMBER_SESSION_RULES.ssoExternalCreate }, schema: { params: OrganizationParams, body: ExternalCreateBody } }, async (request) => {
    const record = await createExternalConnection(updates, { ...target(request), organizationId: request.params.organization_id }, request.body);
    return ok(request, { connection: toWireExternalConnection(record) });
  });

  app.put('/v1/b2b/sso/external/:organization_id/connections/:connection_id', { config: updateRule(ExternalUpdateBody), schema: { params: ConnectionParams, body: ExternalUpdateBody } }, async (request) => {
    const record = await updateExternalConnection(updates, target(request), request.body ?? {});
    return ok(request, { connection: toWireExternalConnection(record) });
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
