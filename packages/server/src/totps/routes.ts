// Consumer TOTP and recovery codes over HTTP (/v1/totps...): the project secret alone. Authenticate
// and recover are rate limited per caller IP and per user.
import { environmentOfProject } from '@gatehouse/contracts';
import { REFUSE } from '../authz/actions.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { SessionService } from '../sessions/service.ts';
import type { UserService } from '../users/service.ts';
import { TotpAuthenticateBody, TotpCreateBody, TotpRecoverBody, TotpRecoveryCodesBody } from './schema.ts';
import type { TotpService } from './service.ts';
import { toWireTotpCreate, toWireTotpRecoveryCodes, toWireTotpSession } from './wire.ts';

export function registerTotpRoutes(app: App, deps: { totps: TotpService; users: UserService; sessions: SessionService; limiter: RateLimiter }) {
  const { totps, users, sessions, limiter } = deps;
  const byUser = limiter.credentialEndpoint((body: { user_id?: unknown }) => body.user_id);

  app.post('/v1/totps', { config: REFUSE, schema: { body: TotpCreateBody } }, async (request) => {
    return ok(request, toWireTotpCreate(await totps.create(request.projectId, environmentOfProject(request.projectId), request.body), users));
  });

  app.post('/v1/totps/authenticate', { config: REFUSE, schema: { body: TotpAuthenticateBody }, preHandler: byUser }, async (request) => {
    return ok(request, toWireTotpSession(await totps.authenticate(request.projectId, environmentOfProject(request.projectId), request.body), sessions, users));
  });

  app.post('/v1/totps/recovery_codes', { config: REFUSE, schema: { body: TotpRecoveryCodesBody } }, async (request) => {
    return ok(request, toWireTotpRecoveryCodes(await totps.recoveryCodes(request.projectId, request.body)));
  });

  app.post('/v1/totps/recover', { config: REFUSE, schema: { body: TotpRecoverBody }, preHandler: byUser }, async (request) => {
    return ok(request, toWireTotpSession(await totps.recover(request.projectId, environmentOfProject(request.projectId), request.body), sessions, users));
  });
}
