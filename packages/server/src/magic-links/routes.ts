import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { SessionFields } from '../sessions/schema.ts';
import type { SessionService } from '../sessions/service.ts';
import { sessionResponse } from '../sessions/wire.ts';
import type { UserService } from '../users/service.ts';
import type { PasswordResetService } from './password-reset.ts';
import type { MagicLinkService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';

// Stytch's request fields. Template ids, locale and attributes are accepted and not used (Gatehouse
// has one built-in message per kind); unknown fields are ignored, as Stytch does.
const Email = Type.String({ maxLength: 320 });
const Url = Type.String({ maxLength: 2048 });
const Minutes = Type.Integer();
const Ignored = {
  login_template_id: Type.Optional(Type.String()),
  signup_template_id: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  attributes: Type.Optional(Type.Object({ ip_address: Type.Optional(Type.String()), user_agent: Type.Optional(Type.String()) })),
};

const SendFields = {
  email: Email,
  login_magic_link_url: Type.Optional(Url),
  signup_magic_link_url: Type.Optional(Url),
  login_expiration_minutes: Type.Optional(Minutes),
  signup_expiration_minutes: Type.Optional(Minutes),
  code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  ...Ignored,
};

export const LoginOrCreateBody = Type.Object({ ...SendFields, create_user_as_pending: Type.Optional(Type.Boolean()) });

export const SendBody = Type.Object({
  ...SendFields,
  // Attaching a new address to a signed-in user is not supported yet: these must name the address's owner.
  user_id: Type.Optional(Type.String()),
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
});

export const InviteBody = Type.Object({
  email: Email,
  invite_magic_link_url: Type.Optional(Url),
  invite_expiration_minutes: Type.Optional(Minutes),
  name: Type.Optional(Type.Object({
    first_name: Type.Optional(Type.String()),
    middle_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
  })),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  invite_template_id: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  attributes: Ignored.attributes,
});

export const RevokeInviteBody = Type.Object({ email: Email });

export const AuthenticateBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 1024 }),
  code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionFields,
  attributes: Ignored.attributes,
  options: Type.Optional(Type.Object({ ip_match_required: Type.Optional(Type.Boolean()), user_agent_match_required: Type.Optional(Type.Boolean()) })),
  telemetry_id: Type.Optional(Type.String()),
});

export const ResetStartBody = Type.Object({
  email: Email,
  reset_password_redirect_url: Type.Optional(Url),
  reset_password_expiration_minutes: Type.Optional(Minutes),
  code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  login_redirect_url: Type.Optional(Url),
  reset_password_template_id: Type.Optional(Type.String()),
  locale: Ignored.locale,
  attributes: Ignored.attributes,
});

export const ResetBody = Type.Object({
  ...AuthenticateBody.properties,
  // Any UTF-8; the cap bounds the hashing work.
  password: Type.String({ maxLength: 1024 }),
});

export function registerMagicLinkRoutes(
  app: App,
  deps: { magicLinks: MagicLinkService; passwordReset: PasswordResetService; sessions: SessionService; users: UserService; limiter: RateLimiter },
) {
  const { magicLinks, passwordReset, sessions, users, limiter } = deps;
  // Credential endpoints are rate limited per IP and, where the body names one, per address.
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byIp = limiter.credentialEndpoint();

  app.post('/v1/magic_links/email/login_or_create', { config: REFUSE, schema: { body: LoginOrCreateBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await magicLinks.loginOrCreate(request.projectId, environment, request.body));
  });

  app.post('/v1/magic_links/email/send', { config: REFUSE, schema: { body: SendBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await magicLinks.send(request.projectId, environment, request.body));
  });

  app.post('/v1/magic_links/email/invite', { config: REFUSE, schema: { body: InviteBody }, preHandler: byEmail }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    return ok(request, await magicLinks.invite(request.projectId, environment, request.body));
  });

  app.post('/v1/magic_links/email/revoke_invite', { config: REFUSE, schema: { body: RevokeInviteBody } }, async (request) => {
    await magicLinks.revokeInvite(request.projectId, request.body.email);
    return ok(request, {});
  });

  app.post('/v1/magic_links/authenticate', { config: REFUSE, schema: { body: AuthenticateBody }, preHandler: byIp }, async (request) => {
    const environment = environmentOfProject(request.projectId);
    const { grant, method_id } = await magicLinks.authenticate(request.projectId, environment, request.body);
    return ok(request, { ...sessionResponse(grant, sessions, users), method_id, reset_sessions: false });
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
