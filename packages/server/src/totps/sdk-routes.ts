// TOTP and recovery codes for the browser SDKs (/sdk/v1/totps..., /sdk/v1/b2b/totp...,
// /sdk/v1/b2b/recovery_codes...), called with the public token. Consumer: the signed-in user (its
// session in the Basic credentials) enrols, and a code or recovery code adds its factor to that
// session. B2B: a member enrols and completes MFA with the intermediate session of its primary
// sign-in (or its session); listing and rotating recovery codes is for the signed-in member itself.
// A browser sets no custom claims. Codes are rate limited per IP and per user or member.
import { systemActor } from '../audit/log.ts';
import type { MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { browserMembers, data, requireSessionToken, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { UserService } from '../users/service.ts';
import { toWireUser } from '../users/wire.ts';
import type { B2BTotpService } from './b2b-service.ts';
import { B2BRecoveryCodesRecoverBody, B2BTotpAuthenticateBody, B2BTotpCreateBody, SdkRecoverBody, SdkRotateBody, SdkTotpAuthenticateBody, SdkTotpCreateBody } from './schema.ts';
import type { TotpService } from './service.ts';
import { toWireB2BRecover, toWireB2BRecoveryCodes, toWireB2BTotpAuthenticate, toWireB2BTotpCreate, toWireTotpCreate, toWireTotpRecoveryCodes, toWireTotpSession } from './wire.ts';

const BROWSER_TOTP = systemActor('sdk.totps');

export interface SdkTotpDeps {
  hooks: SdkHooks;
  totps: TotpService;
  b2bTotps: B2BTotpService;
  users: UserService;
  members: MemberService;
  sessions: SessionService;
  memberAuthorization: MemberAuthorization;
  limiter: RateLimiter;
}

export function registerSdkTotpRoutes(app: App, deps: SdkTotpDeps) {
  const { hooks, totps, b2bTotps, users, members, sessions, memberAuthorization, limiter } = deps;
  const caller = { config: { auth: 'public' as const, memberSession: 'refuse' as const }, onRequest: hooks.caller };
  const byMember = limiter.credentialEndpoint((body: { member_id?: unknown }) => body.member_id);
  const { actorOf } = browserMembers({ sessions, memberAuthorization });

  // ---- Consumer: the signed-in user.
  const signedIn = async (request: Parameters<typeof requireSessionToken>[0]) => {
    const session_token = requireSessionToken(request);
    const grant = await sessions.authenticate(request.projectId, request.sdk.project.environment, { session_token });
    return { user_id: grant.user.user_id, session_token };
  };
  const bySessionUser = limiter.credentialEndpoint((_body: unknown, request) => request.sdk?.sessionToken);

  app.post(`${SDK_PREFIX}/totps`, { ...caller, schema: { body: SdkTotpCreateBody } }, async (request) => {
    const { user_id } = await signedIn(request);
    const result = await totps.create(request.projectId, request.sdk.project.environment, { user_id, expiration_minutes: request.body.expiration_minutes });
    return data(request, { ...toWireTotpCreate(result, users), __user: toWireUser(result.user, users) });
  });

  app.post(`${SDK_PREFIX}/totps/authenticate`, { ...caller, schema: { body: SdkTotpAuthenticateBody }, preHandler: bySessionUser }, async (request) => {
    const { user_id, session_token } = await signedIn(request);
    const { totp_code, session_duration_minutes } = request.body;
    return data(request, toWireTotpSession(await totps.authenticate(request.projectId, request.sdk.project.environment, { user_id, totp_code, session_token, session_duration_minutes, callerAttributes: request.sdk.attributes }), sessions, users));
  });

  app.post(`${SDK_PREFIX}/totps/recover`, { ...caller, schema: { body: SdkRecoverBody }, preHandler: bySessionUser }, async (request) => {
    const { user_id, session_token } = await signedIn(request);
    const { recovery_code, session_duration_minutes } = request.body;
    return data(request, toWireTotpSession(await totps.recover(request.projectId, request.sdk.project.environment, { user_id, recovery_code, session_token, session_duration_minutes, callerAttributes: request.sdk.attributes }), sessions, users));
  });

  app.post(`${SDK_PREFIX}/totps/recovery_codes`, { ...caller, schema: TAKES_NO_BODY }, async (request) => {
    const { user_id } = await signedIn(request);
    return data(request, toWireTotpRecoveryCodes(await totps.recoveryCodes(request.projectId, { user_id })));
  });

  // ---- B2B: the member the intermediate session (or the session) proves.
  app.post(`${SDK_PREFIX}/b2b/totp`, { ...caller, schema: { body: B2BTotpCreateBody }, preHandler: byMember }, async (request) => {
    const { organization_id, member_id, expiration_minutes, intermediate_session_token } = request.body;
    const proof = { intermediate_session_token, session_token: intermediate_session_token ? undefined : request.sdk.sessionToken };
    const result = await b2bTotps.create(request.projectId, request.sdk.project.environment, { organization_id, member_id, expiration_minutes }, proof);
    return data(request, toWireB2BTotpCreate(result, members));
  });

  app.post(`${SDK_PREFIX}/b2b/totp/authenticate`, { ...caller, schema: { body: B2BTotpAuthenticateBody }, preHandler: byMember }, async (request) => {
    const { organization_id, member_id, code, intermediate_session_token, session_duration_minutes, set_mfa_enrollment, set_default_mfa } = request.body;
    const session_token = intermediate_session_token ? undefined : request.sdk.sessionToken;
    const grant = await b2bTotps.authenticate(request.projectId, request.sdk.project.environment, {
      organization_id, member_id, code, intermediate_session_token, session_token, session_duration_minutes, set_mfa_enrollment, set_default_mfa, callerAttributes: request.sdk.attributes,
    }, BROWSER_TOTP);
    return data(request, toWireB2BTotpAuthenticate(grant, sessions, members));
  });

  app.post(`${SDK_PREFIX}/b2b/recovery_codes/recover`, { ...caller, schema: { body: B2BRecoveryCodesRecoverBody }, preHandler: byMember }, async (request) => {
    const { organization_id, member_id, recovery_code, intermediate_session_token, session_duration_minutes } = request.body;
    const session_token = intermediate_session_token ? undefined : request.sdk.sessionToken;
    const result = await b2bTotps.recover(request.projectId, request.sdk.project.environment, { organization_id, member_id, recovery_code, intermediate_session_token, session_token, session_duration_minutes, callerAttributes: request.sdk.attributes });
    return data(request, toWireB2BRecover(result, sessions, members));
  });

  app.get(`${SDK_PREFIX}/b2b/recovery_codes`, caller, async (request) => {
    const actor = await actorOf(request);
    return data(request, toWireB2BRecoveryCodes(await b2bTotps.recoveryCodes(request.projectId, { organization_id: actor.organization.organization_id, member_id: actor.member.member_id }), members));
  });

  app.post(`${SDK_PREFIX}/b2b/recovery_codes/rotate`, { ...caller, schema: { body: SdkRotateBody } }, async (request) => {
    const actor = await actorOf(request);
    return data(request, toWireB2BRecoveryCodes(await b2bTotps.rotate(request.projectId, { organization_id: actor.organization.organization_id, member_id: actor.member.member_id }), members));
  });
}
