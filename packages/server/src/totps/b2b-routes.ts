// B2B TOTP and recovery codes over HTTP (/v1/b2b/totp..., /v1/b2b/recovery_codes...): the project
// secret alone. Authenticate and recover are rate limited per caller IP and per member.
import { environmentOfProject } from '@gatehouse/contracts';
import { MEMBER_SESSION_RULES, REFUSE } from '../authz/actions.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MemberService } from '../members/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import type { B2BTotpService } from './b2b-service.ts';
import { B2BRecoveryCodesParams, B2BRecoveryCodesRecoverBody, B2BRecoveryCodesRotateBody, B2BTotpAuthenticateBody, B2BTotpCreateBody } from './schema.ts';
import { memberResponse } from '../members/wire.ts';
import { toWireB2BRecover, toWireB2BRecoveryCodes, toWireB2BTotpAuthenticate, toWireB2BTotpCreate } from './wire.ts';

export function registerB2BTotpRoutes(app: App, deps: { totps: B2BTotpService; members: MemberService; sessions: SessionService; limiter: RateLimiter }) {
  const { totps, members, sessions, limiter } = deps;
  const byMember = limiter.credentialEndpoint((body: { member_id?: unknown }) => body.member_id);

  app.post('/v1/b2b/totp', { config: REFUSE, schema: { body: B2BTotpCreateBody } }, async (request) => {
    const result = await totps.create(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, toWireB2BTotpCreate(result, members));
  });

  app.post('/v1/b2b/totp/authenticate', { config: REFUSE, schema: { body: B2BTotpAuthenticateBody }, preHandler: byMember }, async (request) => {
    const grant = await totps.authenticate(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, toWireB2BTotpAuthenticate(grant, sessions, members));
  });

  app.post('/v1/b2b/recovery_codes/recover', { config: REFUSE, schema: { body: B2BRecoveryCodesRecoverBody }, preHandler: byMember }, async (request) => {
    const result = await totps.recover(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, toWireB2BRecover(result, sessions, members));
  });

  app.get('/v1/b2b/recovery_codes/:organization_id/:member_id', { config: REFUSE, schema: { params: B2BRecoveryCodesParams } }, async (request) => {
    return ok(request, toWireB2BRecoveryCodes(await totps.recoveryCodes(request.projectId, request.params), members));
  });

  app.post('/v1/b2b/recovery_codes/rotate', { config: REFUSE, schema: { body: B2BRecoveryCodesRotateBody } }, async (request) => {
    return ok(request, toWireB2BRecoveryCodes(await totps.rotate(request.projectId, request.body), members));
  });

  // The gate checked the member session (if any) against stytch.member update.info.delete.mfa-totp (stytch.self for oneself).
  app.delete('/v1/b2b/organizations/:organization_id/members/:member_id/totp', { config: { memberSession: MEMBER_SESSION_RULES.memberTotpDelete }, schema: { params: B2BRecoveryCodesParams } }, async (request) => {
    const { member, organization } = await totps.remove(request.projectId, request.params);
    return ok(request, memberResponse(member, organization, members));
  });
}
