// OAuth over HTTP: the project's provider settings (project secret or dashboard admin), the public
// starts the browser is sent to, the provider's callback, and the backend's authenticate endpoints.
import { environmentOfProject } from '@gatehouse/contracts';
import { REFUSE } from '../authz/actions.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { ServerConfig } from '../shared/config.ts';
import type { SessionService } from '../sessions/service.ts';
import type { UserService } from '../users/service.ts';
import { checkProviderName, type OAuthProviders } from './providers.ts';
import { ConsumerAuthenticateBody, DiscoveryAuthenticateBody, MemberAuthenticateBody, ProviderBody, ProviderParams, StartQuery } from './schema.ts';
import type { OAuthFlowKind, OAuthService } from './service.ts';
import { toWireDiscoveryAuthentication, toWireMemberAuthentication, toWireOAuthProvider, toWireUserAuthentication } from './wire.ts';

const PUBLIC = { auth: 'public' as const, memberSession: 'refuse' as const };

export function registerOAuthRoutes(
  app: App,
  deps: { oauth: OAuthService; providers: OAuthProviders; sessions: SessionService; users: UserService; members: MemberService; limiter: RateLimiter; config: ServerConfig },
) {
  const { oauth, providers, sessions, users, members, limiter, config } = deps;

  // ---- The project's providers (a member session has no business here).
  const path = '/v1/project/oauth_providers';
  app.get(path, { config: REFUSE }, async (request) => ok(request, { oauth_providers: (await providers.list(request.projectId)).map((record) => toWireOAuthProvider(record, config.publicUrl)) }));
  app.put(`${path}/:provider`, { config: REFUSE, schema: { params: ProviderParams, body: ProviderBody } }, async (request) => {
    const record = await providers.put(request.projectId, checkProviderName(request.params.provider), request.body, request.actor);
    return ok(request, { oauth_provider: toWireOAuthProvider(record, config.publicUrl) });
  });
  app.delete(`${path}/:provider`, { config: REFUSE, schema: { params: ProviderParams } }, async (request) => {
    await providers.remove(request.projectId, checkProviderName(request.params.provider), request.actor);
    return ok(request, { provider: request.params.provider });
  });

  // ---- Starts: anyone may start one, and each keeps a flow row for 10 minutes: counted per IP and per public token.
  const limitStart = limiter.requestLimit((request) => [
    { name: 'oauth_start_ip', rule: config.ssoStartLimits.perIp, subject: request.ip },
    { name: 'oauth_start_project', rule: config.ssoStartLimits.perConnection, subject: String((request.query as { public_token?: string }).public_token) },
  ]);
  const start = (url: string, kind: OAuthFlowKind) =>
    app.get(url, { config: PUBLIC, preHandler: limitStart, schema: { params: ProviderParams, querystring: StartQuery } }, async (request, reply) =>
      reply.redirect(await oauth.start(kind, request.params.provider, request.query), 302));
  start('/v1/public/oauth/:provider/start', 'consumer');
  start('/v1/b2b/public/oauth/:provider/start', 'b2b');
  start('/v1/b2b/public/oauth/:provider/discovery/start', 'discovery');

  // ---- The provider sends the browser back here (register this URL at the provider).
  app.get('/v1/oauth/callback/:provider', { config: PUBLIC, preHandler: limiter.credentialEndpoint(undefined, 'oauth_callback'), schema: { params: ProviderParams } }, async (request, reply) => {
    const params = new URL(request.url, 'http://callback.invalid').searchParams;
    return reply.redirect(await oauth.callback(request.params.provider, params), 302);
  });

  // ---- The backend spends the token.
  const byIp = limiter.credentialEndpoint();
  app.post('/v1/oauth/authenticate', { config: REFUSE, preHandler: byIp, schema: { body: ConsumerAuthenticateBody } }, async (request) => {
    const { token, code_verifier, session_token, session_jwt, session_duration_minutes, session_custom_claims } = request.body;
    const result = await oauth.authenticateUser(request.projectId, environmentOfProject(request.projectId), {
      token, code_verifier, session_token, session_jwt, session_duration_minutes, session_custom_claims,
    });
    return ok(request, await toWireUserAuthentication(result, oauth, sessions, users));
  });
  app.post('/v1/b2b/oauth/authenticate', { config: REFUSE, preHandler: byIp, schema: { body: MemberAuthenticateBody } }, async (request) => {
    const { oauth_token, pkce_code_verifier, session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token } = request.body;
    const result = await oauth.authenticateMember(request.projectId, environmentOfProject(request.projectId), {
      oauth_token, pkce_code_verifier, session_token, session_jwt, session_duration_minutes, session_custom_claims, intermediate_session_token: intermediate_session_token || undefined,
    });
    return ok(request, await toWireMemberAuthentication(result, oauth, sessions, members));
  });
  app.post('/v1/b2b/oauth/discovery/authenticate', { config: REFUSE, preHandler: byIp, schema: { body: DiscoveryAuthenticateBody } }, async (request) => {
    const { discovery_oauth_token, pkce_code_verifier } = request.body;
    const result = await oauth.authenticateDiscovery(request.projectId, { discovery_oauth_token, pkce_code_verifier });
    return ok(request, toWireDiscoveryAuthentication(result, members));
  });
}
