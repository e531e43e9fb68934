import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { sessionResponse } from '../sessions/wire.ts';
import type { SessionService } from '../sessions/service.ts';
import type { UserService } from '../users/service.ts';
import { toWireUser } from '../users/wire.ts';
import { ExistingPasswordResetBody, PasswordAuthenticateBody, ResetBody, ResetStartBody, PasswordCreateBody, PasswordMigrateBody, PasswordSessionResetBody, PasswordStrengthCheckBody } from './schema.ts';
import type { PasswordResetService } from './email-reset.ts';
import type { PasswordService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';

export function registerPasswordRoutes(
  app: App,
  deps: { passwords: PasswordService; passwordReset: PasswordResetService; users: UserService; sessions: SessionService; limiter: RateLimiter },
) {
  const { passwords, passwordReset, users, sessions, limiter } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/passwords', { config: REFUSE, schema: { body: PasswordCreateBody }, preHandler: byEmail }, async (request) => {
    const { grant, email_id } = await passwords.create(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, { email_id, ...sessionResponse(grant, sessions, users) });
  });

  app.post('/v1/passwords/authenticate', { config: REFUSE, schema: { body: PasswordAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const grant = await passwords.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, sessionResponse(grant, sessions, users));
  });

  app.post('/v1/passwords/strength_check', { config: REFUSE, schema: { body: PasswordStrengthCheckBody }, preHandler: byIp }, async (request) => {
    return ok(request, await passwords.strengthCheck(request.body.password, request.body.email));
  });

  // An import tool calls this for every user it moves: secret-authenticated, and not rate limited.
  app.post('/v1/passwords/migrate', { config: REFUSE, schema: { body: PasswordMigrateBody } }, async (request) => {
    const result = await passwords.migrate(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, {
      user_id: result.user.user_id,
      email_id: result.email_id,
      user_created: result.user_created,
      user: toWireUser(result.user, users),
    });
  });

  app.post('/v1/passwords/existing_password/reset', { config: REFUSE, schema: { body: ExistingPasswordResetBody }, preHandler: byEmail }, async (request) => {
    const grant = await passwords.resetWithExistingPassword(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, sessionResponse(grant, sessions, users));
  });

  app.post('/v1/passwords/session/reset', { config: REFUSE, schema: { body: PasswordSessionResetBody }, preHandler: byIp }, async (request) => {
    const grant = await passwords.resetWithSession(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, sessionResponse(grant, sessions, users));
  });

  app.post('/v1/passwords/email/reset/start', { config: REFUSE, schema: { body: ResetStartBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await passwordReset.start(request.projectId, environment, request.body));
  });

  app.post('/v1/passwords/email/reset', { config: REFUSE, schema: { body: ResetBody }, preHandler: byIp }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    const grant = await passwordReset.reset(request.projectId, environment, request.body);
    return ok(request, sessionResponse(grant, sessions, users));
  });
}
