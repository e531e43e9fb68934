// Consumer one-time passcodes over HTTP, for the backend (/v1/otps/...: sms and email send and
// login_or_create, authenticate) and the browser SDK (/sdk/v1/otps/...: login_or_create,
// send/primary, authenticate — the headless client's calls). Sends are rate limited per caller IP
// and per phone number or email address; authenticate per IP and per method id (a code is guessed
// per number or address). A browser sends only to existing or new numbers (no user_id or session:
// send/secondary, attaching a number to a signed-in user, is not supported) and sets no custom claims.
import { environmentOfProject } from '@gatehouse/contracts';
import { REFUSE } from '../authz/actions.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { data, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { SessionService } from '../sessions/service.ts';
import type { UserService } from '../users/service.ts';
import {
  BrowserUserOtpAuthenticateBody, UserEmailLoginOrCreateBody, UserEmailSendBody, UserOtpAuthenticateBody, UserSmsLoginOrCreateBody, UserSmsSendBody,
} from './schema.ts';
import type { UserOtpService } from './user-service.ts';
import { toWireBrowserOtpSend, toWireUserOtpAuthenticate, toWireUserOtpSend } from './wire.ts';

export function registerUserOtpRoutes(app: App, deps: { userOtps: UserOtpService; sessions: SessionService; users: UserService; limiter: RateLimiter; hooks: SdkHooks }) {
  const { userOtps, sessions, users, limiter, hooks } = deps;
  const byPhone = limiter.credentialEndpoint((body: { phone_number?: unknown }) => body.phone_number);
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byMethod = limiter.credentialEndpoint((body: { method_id?: unknown }) => body.method_id);
  const env = (projectId: string) => environmentOfProject(projectId);

  app.post('/v1/otps/sms/send', { config: REFUSE, schema: { body: UserSmsSendBody }, preHandler: byPhone }, async (request) => {
    const owner = await userOtps.send(request.projectId, env(request.projectId), 'sms', { ...request.body, address: request.body.phone_number });
    return ok(request, toWireUserOtpSend('sms', owner));
  });
  app.post('/v1/otps/sms/login_or_create', { config: REFUSE, schema: { body: UserSmsLoginOrCreateBody }, preHandler: byPhone }, async (request) => {
    const { owner, user_created } = await userOtps.loginOrCreate(request.projectId, env(request.projectId), 'sms', { ...request.body, address: request.body.phone_number });
    return ok(request, toWireUserOtpSend('sms', owner, user_created));
  });
  app.post('/v1/otps/email/send', { config: REFUSE, schema: { body: UserEmailSendBody }, preHandler: byEmail }, async (request) => {
    const owner = await userOtps.send(request.projectId, env(request.projectId), 'email', { ...request.body, address: request.body.email });
    return ok(request, toWireUserOtpSend('email', owner));
  });
  app.post('/v1/otps/email/login_or_create', { config: REFUSE, schema: { body: UserEmailLoginOrCreateBody }, preHandler: byEmail }, async (request) => {
    const { owner, user_created } = await userOtps.loginOrCreate(request.projectId, env(request.projectId), 'email', { ...request.body, address: request.body.email });
    return ok(request, toWireUserOtpSend('email', owner, user_created));
  });
  app.post('/v1/otps/authenticate', { config: REFUSE, schema: { body: UserOtpAuthenticateBody }, preHandler: byMethod }, async (request) => {
    const result = await userOtps.authenticate(request.projectId, env(request.projectId), request.body);
    return ok(request, toWireUserOtpAuthenticate(result, sessions, users));
  });

  // ---- Browser
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  for (const [path, create] of [['login_or_create', true], ['send/primary', false]] as const) {
    app.post(`${SDK_PREFIX}/otps/sms/${path}`, { ...caller, schema: { body: UserSmsLoginOrCreateBody }, preHandler: byPhone }, async (request) => {
      const { phone_number, expiration_minutes, create_user_as_pending } = request.body;
      const input = { address: phone_number, expiration_minutes, create_user_as_pending };
      const environment = request.sdk.project.environment;
      const owner = create ? (await userOtps.loginOrCreate(request.projectId, environment, 'sms', input)).owner : await userOtps.send(request.projectId, environment, 'sms', input);
      return data(request, toWireBrowserOtpSend(owner));
    });
    app.post(`${SDK_PREFIX}/otps/email/${path}`, { ...caller, schema: { body: UserEmailLoginOrCreateBody }, preHandler: byEmail }, async (request) => {
      const { email, expiration_minutes, create_user_as_pending } = request.body;
      const input = { address: email, expiration_minutes, create_user_as_pending };
      const environment = request.sdk.project.environment;
      const owner = create ? (await userOtps.loginOrCreate(request.projectId, environment, 'email', input)).owner : await userOtps.send(request.projectId, environment, 'email', input);
      return data(request, toWireBrowserOtpSend(owner));
    });
  }
  app.post(`${SDK_PREFIX}/otps/authenticate`, { ...caller, schema: { body: BrowserUserOtpAuthenticateBody }, preHandler: byMethod }, async (request) => {
    const { method_id, token, code, session_duration_minutes } = request.body;
    const given = code ?? token;
    if (given === undefined) throw new GatehouseError('otp_code_not_found');
    const result = await userOtps.authenticate(request.projectId, request.sdk.project.environment, { method_id, code: given, session_duration_minutes, callerAttributes: request.sdk.attributes });
    return data(request, toWireUserOtpAuthenticate(result, sessions, users));
  });
}
