// B2B one-time passcodes for the browser SDK (/sdk/v1/b2b/otps/email/... and /sms/...): the same
// flows as routes.ts, called with the public token. An SMS code is sent only for the member the
// browser's intermediate session or session names, once the primary rule is met. Members a browser signs up are created by the system
// actor (the person proved nothing yet; no caller holds a secret). Rate limited per IP and address.
import { systemActor } from '../audit/log.ts';
import { toWireDiscoveryAuthentication } from '../discovery/wire.ts';
import type { App } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { data, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import { OtpAuthenticateBody, OtpDiscoveryAuthenticateBody, OtpDiscoverySendBody, OtpLoginOrSignupBody, SmsAuthenticateBody, SmsSendBody } from './schema.ts';
import type { OtpService } from './service.ts';
import type { MemberSmsOtps } from './sms-service.ts';
import { toWireOtpAuthenticate } from './wire.ts';

const OTPS = `${SDK_PREFIX}/b2b/otps/email`;
const BROWSER_OTP = systemActor('sdk.otps');

export function registerSdkOtpRoutes(app: App, deps: { hooks: SdkHooks; otps: OtpService; sms: MemberSmsOtps; members: MemberService; sessions: SessionService; limiter: RateLimiter }) {
  const { hooks, otps, sms, members, sessions, limiter } = deps;
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);

  app.post(`${OTPS}/login_or_signup`, { ...caller, schema: { body: OtpLoginOrSignupBody }, preHandler: byEmail }, async (request) => {
    const { organization_id, email_address, login_expiration_minutes, signup_expiration_minutes } = request.body;
    await otps.loginOrSignup(request.projectId, request.sdk.project.environment, {
      organization_id, email_address, login_expiration_minutes, signup_expiration_minutes,
    }, BROWSER_OTP);
    // Anyone may ask with a guessed address: the answer says nothing of the member (Stytch's browser answer).
    return data(request, {});
  });

  app.post(`${OTPS}/authenticate`, { ...caller, schema: { body: OtpAuthenticateBody }, preHandler: byEmail }, async (request) => {
    // A browser may not set custom claims (only a backend holding the secret may).
    const { organization_id, email_address, code, session_duration_minutes, intermediate_session_token } = request.body;
    const result = await otps.authenticate(request.projectId, request.sdk.project.environment, { organization_id, email_address, code, session_duration_minutes, intermediate_session_token, callerAttributes: request.sdk.attributes });
    return data(request, toWireOtpAuthenticate(result, sessions, members));
  });

  app.post(`${OTPS}/discovery/send`, { ...caller, schema: { body: OtpDiscoverySendBody }, preHandler: byEmail }, async (request) => {
    const { email_address, discovery_expiration_minutes } = request.body;
    await otps.discoverySend(request.projectId, { email_address, discovery_expiration_minutes });
    return data(request, {});
  });

  app.post(`${OTPS}/discovery/authenticate`, { ...caller, schema: { body: OtpDiscoveryAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const { email_address, code } = request.body;
    return data(request, toWireDiscoveryAuthentication(await otps.discoveryAuthenticate(request.projectId, { email_address, code }), members));
  });

  const byMember = limiter.credentialEndpoint((body: { member_id?: unknown }) => body.member_id);
  const byMemberAndPhone = limiter.credentialEndpoint((body: { member_id?: unknown; mfa_phone_number?: unknown }) => [body.member_id, body.mfa_phone_number]);

  app.post(`${SDK_PREFIX}/b2b/otps/sms/send`, { ...caller, schema: { body: SmsSendBody }, preHandler: byMemberAndPhone }, async (request) => {
    const { organization_id, member_id, mfa_phone_number, intermediate_session_token } = request.body;
    const session_token = intermediate_session_token ? undefined : request.sdk.sessionToken;
    await sms.send(request.projectId, { organization_id, member_id, mfa_phone_number, intermediate_session_token, session_token }, { requirePrimary: true });
    // Before the second factor, the member's record is not the caller's to read (Stytch's browser answer).
    return data(request, {});
  });

  app.post(`${SDK_PREFIX}/b2b/otps/sms/authenticate`, { ...caller, schema: { body: SmsAuthenticateBody }, preHandler: byMember }, async (request) => {
    // A browser may not set custom claims (only a backend holding the secret may).
    const { organization_id, member_id, code, session_duration_minutes, intermediate_session_token, set_mfa_enrollment, set_default_mfa } = request.body;
    const session_token = intermediate_session_token ? undefined : request.sdk.sessionToken;
    const result = await sms.authenticate(request.projectId, request.sdk.project.environment, {
      organization_id, member_id, code, session_duration_minutes, intermediate_session_token, session_token, set_mfa_enrollment, set_default_mfa, callerAttributes: request.sdk.attributes,
    });
    return data(request, toWireOtpAuthenticate(result, sessions, members));
  });
}
