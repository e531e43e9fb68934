import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import { sessionResponse } from '../sessions/wire.ts';
import type { UserService } from '../users/service.ts';
import type { MagicLinkService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';
import { AuthenticateBody, InviteBody, LoginOrCreateBody, RevokeInviteBody, SendBody } from './schema.ts';


export function registerMagicLinkRoutes(
  app: App,
  deps: { magicLinks: MagicLinkService; sessions: SessionService; users: UserService; limiter: RateLimiter },
) {
  const { magicLinks, sessions, users, limiter } = deps;
  // Credential endpoints are rate limited per IP and, where the body names one, per address.
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/magic_links/email/login_or_create', { config: REFUSE, schema: { body: LoginOrCreateBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await magicLinks.loginOrCreate(request.projectId, environment, request.body));
  });

  app.post('/v1/magic_links/email/send', { config: REFUSE, schema: { body: SendBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await magicLinks.send(request.projectId, environment, request.body));
  });

  app.post('/v1/magic_links/email/invite', { config: REFUSE, schema: { body: InviteBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await magicLinks.invite(request.projectId, environment, request.body));
  });

  app.post('/v1/magic_links/email/revoke_invite', { config: REFUSE, schema: { body: RevokeInviteBody } }, async (request) => {
    await magicLinks.revokeInvite(request.projectId, request.body.email);
    return ok(request, {});
  });

  app.post('/v1/magic_links/authenticate', { config: REFUSE, schema: { body: AuthenticateBody }, preHandler: byIp }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    const { grant, method_id } = await magicLinks.authenticate(request.projectId, environment, request.body);
    return ok(request, { ...sessionResponse(grant, sessions, users), method_id, reset_sessions: false });
  });
}
