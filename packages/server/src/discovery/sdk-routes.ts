// B2B discovery for the browser SDK (/sdk/v1/b2b/...): the same flows as routes.ts, called with the
// public token. The SDK keeps the intermediate session itself and sends it in the body; listing
// without one lists by the signed-in member's session (its Basic credentials). The CAPTCHA and
// device-fingerprint fields the SDK adds are accepted and not used.
import type { App } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import { toOrganizationInput } from '../organizations/schema.ts';
import { systemActor } from '../audit/log.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { data, requireSessionToken, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import { CreateOrganizationBody, DiscoveryAuthenticateBody, DiscoverySendBody, ExchangeBody, ListOrganizationsBody } from './schema.ts';
import type { DiscoveryService } from './service.ts';
import { toWireDiscoveredOrganization, toWireDiscoveryAuthentication, toWireDiscoveryGrant } from './wire.ts';

const B2B = `${SDK_PREFIX}/b2b`;
/** Who the audit log says created an organization or member from the browser: the person proved an address, no caller holds a secret. */
const BROWSER_DISCOVERY = systemActor('sdk.discovery');

export function registerSdkDiscoveryRoutes(
  app: App,
  deps: { hooks: SdkHooks; discovery: DiscoveryService; members: MemberService; sessions: SessionService; limiter: RateLimiter },
) {
  const { hooks, discovery, members, sessions, limiter } = deps;
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();

  app.post(`${B2B}/magic_links/email/discovery/send`, { ...caller, schema: { body: DiscoverySendBody }, preHandler: byEmail }, async (request) => {
    const { email_address, discovery_redirect_url, pkce_code_challenge, discovery_expiration_minutes } = request.body;
    await discovery.send(request.projectId, { email_address, discovery_redirect_url, pkce_code_challenge, discovery_expiration_minutes });
    return data(request, {});
  });

  app.post(`${B2B}/magic_links/discovery/authenticate`, { ...caller, schema: { body: DiscoveryAuthenticateBody }, preHandler: byIp }, async (request) => {
    const { discovery_magic_links_token, pkce_code_verifier } = request.body;
    const result = await discovery.authenticateMagicLink(request.projectId, { discovery_magic_links_token, pkce_code_verifier });
    return data(request, toWireDiscoveryAuthentication(result, members));
  });

  app.post(`${B2B}/discovery/organizations`, { ...caller, schema: { body: ListOrganizationsBody } }, async (request) => {
    const ist = request.body?.intermediate_session_token;
    const by = ist ? { intermediate_session_token: ist } : { session_token: requireSessionToken(request) };
    const result = await discovery.listOrganizations(request.projectId, request.sdk.project.environment, by);
    return data(request, {
      email_address: result.email_address,
      discovered_organizations: result.discovered.map((entry) => toWireDiscoveredOrganization(entry, members)),
      organization_id_hint: result.organization_id_hint,
    });
  });

  app.post(`${B2B}/discovery/organizations/create`, { ...caller, schema: { body: CreateOrganizationBody } }, async (request) => {
    const { intermediate_session_token, session_duration_minutes, session_custom_claims: _claims, telemetry_id: _telemetry, ...organization } = request.body;
    const result = await discovery.createOrganization(request.projectId, request.sdk.project.environment, {
      intermediate_session_token, session_duration_minutes, callerAttributes: request.sdk.attributes, organization: toOrganizationInput(organization),
    }, BROWSER_DISCOVERY);
    return data(request, toWireDiscoveryGrant(result, sessions, members));
  });

  app.post(`${B2B}/discovery/intermediate_sessions/exchange`, { ...caller, schema: { body: ExchangeBody }, preHandler: byIp }, async (request) => {
    const { intermediate_session_token, organization_id, session_duration_minutes } = request.body;
    const result = await discovery.exchange(request.projectId, request.sdk.project.environment, { intermediate_session_token, organization_id, session_duration_minutes, callerAttributes: request.sdk.attributes }, BROWSER_DISCOVERY);
    return data(request, toWireDiscoveryGrant(result, sessions, members));
  });
}
