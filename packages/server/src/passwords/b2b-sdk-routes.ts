// B2B password reset by email for the browser SDK (/sdk/v1/b2b/passwords/email/reset/start and
// /reset): the same flow as b2b-routes.ts, called with the public token. The SDK sends its PKCE
// challenge and verifier when the project asks for PKCE; a browser may not set custom claims.
import type { App } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { data, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { MemberPasswordResetService } from './b2b-email-reset.ts';
import { B2BPasswordResetBody, B2BPasswordResetStartBody } from './schema.ts';
import { toWireMemberReset } from './wire.ts';

export function registerSdkB2BPasswordResetRoutes(
  app: App,
  deps: { hooks: SdkHooks; memberPasswordReset: MemberPasswordResetService; members: MemberService; sessions: SessionService; limiter: RateLimiter },
) {
  const { hooks, memberPasswordReset, members, sessions, limiter } = deps;
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  const byEmail = limiter.credentialEndpoint((body: { email_address?: unknown }) => body.email_address);
  const byIp = limiter.credentialEndpoint();

  app.post(`${SDK_PREFIX}/b2b/passwords/email/reset/start`, { ...caller, schema: { body: B2BPasswordResetStartBody }, preHandler: byEmail }, async (request) => {
    const { organization_id, email_address, reset_password_redirect_url, reset_password_expiration_minutes, code_challenge, login_redirect_url } = request.body;
    // Anyone may ask with a guessed address: a member and a stranger get the same answer, in the same time.
    await memberPasswordReset.startQuietly(request.projectId, {
      organization_id, email_address, reset_password_redirect_url, reset_password_expiration_minutes, code_challenge, login_redirect_url,
    });
    return data(request, {});
  });

  app.post(`${SDK_PREFIX}/b2b/passwords/email/reset`, { ...caller, schema: { body: B2BPasswordResetBody }, preHandler: byIp }, async (request) => {
    const { password_reset_token, password, code_verifier, session_duration_minutes, intermediate_session_token } = request.body;
    const grant = await memberPasswordReset.reset(request.projectId, request.sdk.project.environment, { password_reset_token, password, code_verifier, session_duration_minutes, intermediate_session_token, callerAttributes: request.sdk.attributes });
    return data(request, toWireMemberReset(grant, sessions, members));
  });
}
