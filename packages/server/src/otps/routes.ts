// B2B one-time passcodes over HTTP: by email (/v1/b2b/otps/email/...: organization login_or_signup
// and authenticate, discovery send and authenticate) and by SMS, the MFA factor (/v1/b2b/otps/sms/send
// and /authenticate). Every route takes the project secret alone. Sends and authenticates are rate
// limited per caller IP and per address — the email address, or for SMS the member (whose one
// mfa_phone_number the codes go to) and, on send, the number given — as a code is guessed per address.
import { environmentOfProject } from '@gatehouse/contracts';
import { REFUSE } from '../authz/actions.ts';
import { toWireDiscoveryAuthentication } from '../discovery/wire.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import { OtpAuthenticateBody, OtpDiscoveryAuthenticateBody, OtpDiscoverySendBody, OtpLoginOrSignupBody, SmsAuthenticateBody, SmsSendBody } from './schema.ts';
import type { OtpService } from './service.ts';
import type { MemberSmsOtps } from './sms-service.ts';
import { toWireOtpAuthenticate, toWireOtpLoginOrSignup } from './wire.ts';
import { memberResponse } from '../members/wire.ts';

export function registerOtpRoutes(app: App, deps: { otps: OtpService; sms: MemberSmsOtps; members: MemberService; sessions: SessionService; limiter: RateLimiter }) {
  const { otps, sms, members, sessions, limiter } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byMember = limiter.credentialEndpoint((body: { member_id?: unknown }) => body.member_id);
  const byMemberAndPhone = limiter.credentialEndpoint((body: { member_id?: unknown; mfa_phone_number?: unknown }) => [body.member_id, body.mfa_phone_number]);

  app.post('/v1/b2b/otps/sms/send', { config: REFUSE, schema: { body: SmsSendBody }, preHandler: byMemberAndPhone }, async (request) => {
    const { member, organization } = await sms.send(request.projectId, request.body, { requirePrimary: false });
    return ok(request, memberResponse(member, organization, members));
  });

  app.post('/v1/b2b/otps/sms/authenticate', { config: REFUSE, schema: { body: SmsAuthenticateBody }, preHandler: byMember }, async (request) => {
    const result = await sms.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, toWireOtpAuthenticate(result, sessions, members));
  });

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
