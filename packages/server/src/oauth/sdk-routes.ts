// OAuth for the browser SDKs (/sdk/v1): the headless clients' oauth.authenticate (consumer and B2B)
// and oauth.discovery.authenticate, called with the public token after the provider's redirect.
// A session made here is a new one (the signed-in browser's session is not extended).
import type { App } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { data, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { UserService } from '../users/service.ts';
import { ConsumerAuthenticateBody, DiscoveryAuthenticateBody, MemberAuthenticateBody } from './schema.ts';
import type { OAuthService } from './service.ts';
import { toWireDiscoveryAuthentication, toWireMemberAuthentication, toWireUserAuthentication } from './wire.ts';

export function registerSdkOAuthRoutes(
  app: App,
  deps: { hooks: SdkHooks; oauth: OAuthService; sessions: SessionService; users: UserService; members: MemberService; limiter: RateLimiter },
) {
  const { hooks, oauth, sessions, users, members, limiter } = deps;
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  const byIp = limiter.credentialEndpoint();

  app.post(`${SDK_PREFIX}/oauth/authenticate`, { ...caller, preHandler: byIp, schema: { body: ConsumerAuthenticateBody } }, async (request) => {
    const { token, code_verifier, session_duration_minutes } = request.body;
    const result = await oauth.authenticateUser(request.projectId, request.sdk.project.environment, { token, code_verifier, session_duration_minutes, callerAttributes: request.sdk.attributes });
    return data(request, await toWireUserAuthentication(result, oauth, sessions, users));
  });

  app.post(`${SDK_PREFIX}/b2b/oauth/authenticate`, { ...caller, preHandler: byIp, schema: { body: MemberAuthenticateBody } }, async (request) => {
    const { oauth_token, pkce_code_verifier, session_duration_minutes, intermediate_session_token } = request.body;
    const result = await oauth.authenticateMember(request.projectId, request.sdk.project.environment, {
      oauth_token, pkce_code_verifier, session_duration_minutes, intermediate_session_token: intermediate_session_token || undefined, callerAttributes: request.sdk.attributes,
    });
    return data(request, await toWireMemberAuthentication(result, oauth, sessions, members));
  });

  app.post(`${SDK_PREFIX}/b2b/oauth/discovery/authenticate`, { ...caller, preHandler: byIp, schema: { body: DiscoveryAuthenticateBody } }, async (request) => {
    const { discovery_oauth_token, pkce_code_verifier } = request.body;
    const result = await oauth.authenticateDiscovery(request.projectId, { discovery_oauth_token, pkce_code_verifier });
    return data(request, toWireDiscoveryAuthentication(result, members));
  });
}
