// B2B email one-time passcodes over HTTP (/v1/b2b/otps/email/...): organization login_or_signup and
// authenticate, discovery send and authenticate. Every route takes the project secret alone. Sends
// and authenticates are rate limited per caller IP and per address (a code is guessed per address).
import { environmentOfProject } from '@gatehouse/contracts';
import { REFUSE } from '../authz/actions.ts';
import { toWireDiscoveryAuthentication } from '../discovery/wire.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import { OtpAuthenticateBody, OtpDiscoveryAuthenticateBody, OtpDiscoverySendBody, OtpLoginOrSignupBody } from './schema.ts';
import type { OtpService } from './service.ts';
import { toWireOtpAuthenticate, toWireOtpLoginOrSignup } from './wire.ts';

export function registerOtpRoutes(app: App, deps: { otps: OtpService; members: MemberService; sessions: SessionService; limiter: RateLimiter }) {
  const { otps, members, sessions, limiter } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);

  app.post('/v1/b2b/otps/email/login_or_signup', { config: REFUSE, schema: { body: OtpLoginOrSignupBody }, preHandler: byEmail }, async (request) => {
    const result = await otps.loginOrSignup(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, toWireOtpLoginOrSignup(result, members));
  });

  app.post('/v1/b2b/otps/email/authenticate', { config: REFUSE, schema: { body: OtpAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const result = await otps.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, toWireOtpAuthenticate(result, sessions, members));
  });

  app.post('/v1/b2b/otps/email/discovery/send', { config: REFUSE, schema: { body: OtpDiscoverySendBody }, preHandler: byEmail }, async (request) => {
    await otps.discoverySend(request.projectId, request.body);
    return ok(request, {});
  });

  app.post('/v1/b2b/otps/email/discovery/authenticate', { config: REFUSE, schema: { body: OtpDiscoveryAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const result = await otps.discoveryAuthenticate(request.projectId, request.body);
    return ok(request, toWireDiscoveryAuthentication(result, members));
  });
}
