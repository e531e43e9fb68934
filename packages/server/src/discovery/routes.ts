// B2B discovery over HTTP (/v1/b2b/...): discovery magic links, the organizations an intermediate
// session or a member session discovers, creating an organization and exchanging an intermediate
// session for a member session. Every route takes the project secret alone: a member session is
// an argument here (list), never the caller.
import { environmentOfProject } from '@gatehouse/contracts';
import { REFUSE } from '../authz/actions.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import { toOrganizationInput } from '../organizations/schema.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import { CreateOrganizationBody, DiscoveryAuthenticateBody, DiscoverySendBody, ExchangeBody, ListOrganizationsBody } from './schema.ts';
import type { DiscoveryService } from './service.ts';
import { toWireDiscoveredOrganization, toWireDiscoveryAuthentication, toWireDiscoveryGrant } from './wire.ts';

export function registerDiscoveryRoutes(
  app: App,
  deps: { discovery: DiscoveryService; members: MemberService; sessions: SessionService; limiter: RateLimiter },
) {
  const { discovery, members, sessions, limiter } = deps;
  // As the other magic-link sends: per caller IP and per address; authenticate per IP.
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/b2b/magic_links/email/discovery/send', { config: REFUSE, schema: { body: DiscoverySendBody }, preHandler: byEmail }, async (request) => {
    await discovery.send(request.projectId, request.body);
    return ok(request, {});
  });

  app.post('/v1/b2b/magic_links/discovery/authenticate', { config: REFUSE, schema: { body: DiscoveryAuthenticateBody }, preHandler: byIp }, async (request) => {
    const result = await discovery.authenticateMagicLink(request.projectId, request.body);
    return ok(request, toWireDiscoveryAuthentication(result, members));
  });

  app.post('/v1/b2b/discovery/organizations', { config: REFUSE, schema: { body: ListOrganizationsBody } }, async (request) => {
    const result = await discovery.listOrganizations(request.projectId, environmentOfProject(request.projectId), request.body ?? {});
    return ok(request, {
      email_address: result.email_address,
      discovered_organizations: result.discovered.map((entry) => toWireDiscoveredOrganization(entry, members)),
      organization_id_hint: result.organization_id_hint,
    });
  });

  app.post('/v1/b2b/discovery/organizations/create', { config: REFUSE, schema: { body: CreateOrganizationBody } }, async (request) => {
    const { intermediate_session_token, session_duration_minutes, session_custom_claims, ...organization } = request.body;
    const result = await discovery.createOrganization(request.projectId, environmentOfProject(request.projectId), {
      intermediate_session_token, session_duration_minutes, session_custom_claims, organization: toOrganizationInput(organization),
    }, request.actor);
    return ok(request, toWireDiscoveryGrant(result, sessions, members));
  });

  app.post('/v1/b2b/discovery/intermediate_sessions/exchange', { config: REFUSE, schema: { body: ExchangeBody } }, async (request) => {
    const { intermediate_session_token, organization_id, session_duration_minutes, session_custom_claims } = request.body;
    const result = await discovery.exchange(request.projectId, environmentOfProject(request.projectId), {
      intermediate_session_token, organization_id, session_duration_minutes, session_custom_claims,
    }, request.actor);
    return ok(request, toWireDiscoveryGrant(result, sessions, members));
  });
}
