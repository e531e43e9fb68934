import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { SessionFields, sessionResponse } from '../sessions/routes.ts';
import type { SessionService } from '../sessions/service.ts';
import { CreateUserBody, toWireUser } from '../users/routes.ts';
import type { UserService } from '../users/service.ts';
import type { PasswordService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';

// Any UTF-8 is allowed; the cap keeps hashing a bounded amount of work.
export const Password = Type.String({ maxLength: 1024 });
const Email = Type.String({ maxLength: 512 });
const { name, trusted_metadata, untrusted_metadata, roles, external_id, phone_number } = CreateUserBody.properties;
const NewSession = { session_duration_minutes: SessionFields.session_duration_minutes, session_custom_claims: SessionFields.session_custom_claims };

const CreateBody = Type.Object({ email: Email, password: Password, ...NewSession, name, trusted_metadata, untrusted_metadata });
const AuthenticateBody = Type.Object({ email: Email, password: Password, ...SessionFields });
const StrengthCheckBody = Type.Object({ password: Password, email: Type.Optional(Email) });
const ExistingPasswordResetBody = Type.Object({ email: Email, existing_password: Password, new_password: Password, ...SessionFields });
const SessionResetBody = Type.Object({ password: Password, ...SessionFields });

const Salts = Type.Optional(Type.Object({ prepend_salt: Type.Optional(Type.String({ maxLength: 1024 })), append_salt: Type.Optional(Type.String({ maxLength: 1024 })) }));
const Salt = Type.String({ maxLength: 2048 });
/** passwords/migrate's hash and its config, consumer and B2B. */
export const MigrateHashFields = {
  hash: Type.String({ maxLength: 4096 }),
  hash_type: Type.String({ maxLength: 64 }),
  md_5_config: Salts,
  sha_1_config: Salts,
  sha_512_config: Salts,
  argon_2_config: Type.Optional(
    Type.Object({ salt: Salt, iteration_amount: Type.Integer(), memory: Type.Integer(), threads: Type.Integer(), key_length: Type.Integer() }),
  ),
  scrypt_config: Type.Optional(
    Type.Object({ salt: Salt, n_parameter: Type.Integer(), r_parameter: Type.Integer(), p_parameter: Type.Integer(), key_length: Type.Integer() }),
  ),
  pbkdf_2_config: Type.Optional(
    Type.Object({ salt: Salt, iteration_amount: Type.Integer(), key_length: Type.Integer(), algorithm: Type.Optional(Type.String({ maxLength: 16 })) }),
  ),
};
const MigrateBody = Type.Object({
  email: Email,
  ...MigrateHashFields,
  name,
  trusted_metadata,
  untrusted_metadata,
  set_email_verified: Type.Optional(Type.Boolean()),
  phone_number,
  set_phone_number_verified: Type.Optional(Type.Boolean()),
  external_id,
  roles,
});

export function registerPasswordRoutes(
  app: App,
  deps: { passwords: PasswordService; users: UserService; sessions: SessionService; limiter: RateLimiter },
) {
  const { passwords, users, sessions, limiter } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/passwords', { config: REFUSE, schema: { body: CreateBody }, preHandler: byEmail }, async (request) => {
    const { grant, email_id } = await passwords.create(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, { email_id, ...sessionResponse(grant, sessions, users) });
  });

  app.post('/v1/passwords/authenticate', { config: REFUSE, schema: { body: AuthenticateBody }, preHandler: byEmail }, async (request) => {
    const grant = await passwords.authenticate(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, sessionResponse(grant, sessions, users));
  });

  app.post('/v1/passwords/strength_check', { config: REFUSE, schema: { body: StrengthCheckBody }, preHandler: byIp }, async (request) => {
    return ok(request, await passwords.strengthCheck(request.body.password, request.body.email));
  });

  // An import tool calls this for every user it moves: secret-authenticated, and not rate limited.
  app.post('/v1/passwords/migrate', { config: REFUSE, schema: { body: MigrateBody } }, async (request) => {
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

  app.post('/v1/passwords/session/reset', { config: REFUSE, schema: { body: SessionResetBody }, preHandler: byIp }, async (request) => {
    const grant = await passwords.resetWithSession(request.projectId, environmentOfProject(request.projectId), request.body);
    return ok(request, sessionResponse(grant, sessions, users));
  });
}
