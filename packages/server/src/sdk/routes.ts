// The browser SDK API, /sdk/v1/*, as Stytch's official browser SDKs (@stytch/vanilla-js, @stytch/react)
// call it: HTTP Basic `public_token:session_token` (the project's public token, never its secret),
// CORS for the project's allowed origins only, every success wrapped as `{data: …}`, errors in the
// usual flat envelope. What a browser may change is limited: never trusted_metadata or roles of a
// user; a member's calls are checked against its permissions on the built-in stytch.* resources.
import { systemActor } from '../audit/log.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../shared/errors.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { MagicLinkService } from '../magic-links/service.ts';
import type { PasswordService } from '../passwords/service.ts';
import { parseBasicAuth, type Project } from '../projects/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { RbacService } from '../rbac/service.ts';
import type { SessionService } from '../sessions/service.ts';
import { sessionResponse } from '../sessions/wire.ts';
import type { UserService } from '../users/service.ts';
import { toWireUser } from '../users/wire.ts';
import type { SdkService } from './service.ts';
import type { ServerConfig } from '../shared/config.ts';
import { ALLOWED_HEADERS, ALLOWED_METHODS, data, originOf, PUBLIC, refuseBrowserWrites, requireSessionToken, SDK_PREFIX, type SdkHooks } from './browser-api.ts';
import { toWireOrigin } from './wire.ts';
import { REFUSE } from '../authz/actions.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';

const SessionDuration = { session_duration_minutes: Type.Optional(Type.Integer()) };
// The SDK adds CAPTCHA and device-fingerprint fields; they are accepted and not used.
const Ignored = { captcha_token: Type.Optional(Type.String()), dfp_telemetry_id: Type.Optional(Type.String()) };

const PasswordAuthenticateBody = Type.Object({
  email: Type.String({ maxLength: 512 }),
  password: Type.String({ maxLength: 1024 }),
  ...SessionDuration,
  ...Ignored,
});
const MagicLinkAuthenticateBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 1024 }),
  code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionDuration,
  ...Ignored,
});
const SessionAuthenticateBody = Type.Object(SessionDuration);
const UpdateSelfBody = Type.Object({
  name: Type.Optional(Type.Object({ first_name: Type.Optional(Type.String()), middle_name: Type.Optional(Type.String()), last_name: Type.Optional(Type.String()) })),
  untrusted_metadata: Type.Optional(Type.Unknown()),
});

export interface SdkDeps {
  sdk: SdkService;
  hooks: SdkHooks;
  rbac: RbacService;
  users: UserService;
  sessions: SessionService;
  passwords: PasswordService;
  magicLinks: MagicLinkService;
  limiter: RateLimiter;
  /** What the bootstrap tells the SDK to use PKCE for (shared/config.ts `sdk`). */
  pkce: ServerConfig['sdk'];
}

/** The SDK's own calls (bootstrap, telemetry), CORS preflight, unknown paths, and the consumer API. */
export function registerSdkRoutes(app: App, deps: SdkDeps) {
  const { sdk, hooks, rbac, users, sessions, passwords, magicLinks, limiter, pkce } = deps;
  const byEmail = limiter.credentialEndpoint((body: { email?: unknown }) => body.email);
  const byIp = limiter.credentialEndpoint();
  const caller = { config: PUBLIC, onRequest: hooks.caller };

  // Preflight: it carries no credentials, so an origin some project allows gets its answer; the
  // request that follows is checked against the project its public token names.
  app.options(`${SDK_PREFIX}/*`, { config: PUBLIC, onRequest: hooks.anyProjectCors, schema: { hide: true } }, async (request, reply) => {
    if (originOf(request) === undefined) throw new GatehouseError('preflight_origin_missing');
    return reply
      .status(204)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', '600')
      .send();
  });

  // Unknown paths and wrong methods under /sdk/v1, with CORS so that the page can read the error.
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: `${SDK_PREFIX}/*`,
    config: PUBLIC,
    onRequest: hooks.anyProjectCors,
    schema: { hide: true },
    handler: async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      const allowed = [...new Set(app.routeTable.filter((r) => r.pattern.test(path) && r.method !== 'HEAD' && r.method !== 'OPTIONS').map((r) => r.method))];
      if (allowed.length > 0) {
        void reply.header('allow', allowed.join(', '));
        throw new GatehouseError('method_not_allowed', { params: { method: request.method, allowed: allowed.join(' or ') } });
      }
      throw new GatehouseError('route_not_found', { params: { method: request.method, path } });
    },
  });

  // Telemetry batches (sent without credentials): accepted and dropped.
  app.post(`${SDK_PREFIX}/events`, { config: PUBLIC, onRequest: hooks.anyProjectCors, schema: { hide: true } }, async (request) => data(request, {}));

  app.get(
    `${SDK_PREFIX}/projects/bootstrap/:public_token`,
    {
      config: PUBLIC,
      onRequest: hooks.bootstrapCaller,
      schema: {
        params: Type.Object({ public_token: Type.String({ maxLength: 256 }) }),
        querystring: Type.Object({ vertical: Type.Optional(Type.Union([Type.Literal('CONSUMER'), Type.Literal('B2B')])) }),
      },
    },
    async (request) => {
      // The origin's registered vertical decides; without an Origin (not a browser), ?vertical= or CONSUMER.
      const vertical = request.sdk.vertical ?? request.query.vertical ?? 'CONSUMER';
      const { policy } = await rbac.getPolicy(request.projectId, vertical === 'B2B' ? 'b2b' : 'consumer');
      return data(request, {
        project_name: request.projectId,
        vertical,
        disable_sdk_watermark: true,
        cname_domain: null,
        email_domains: [],
        captcha_settings: { enabled: false },
        pkce_required_for_email_magic_links: pkce.pkceRequiredForEmailMagicLinks,
        pkce_required_for_password_resets: false,
        // Gatehouse's OAuth takes PKCE from the browser: the SDK then always sends a challenge and its verifier.
        pkce_required_for_oauth: true,
        pkce_required_for_sso: false,
        slug_pattern: null,
        create_organization_enabled: false,
        // Must be present (the SDK fails to read a bootstrap without it): null is zxcvbn, not LUDS.
        password_config: null,
        dfp_protected_auth_enabled: false,
        dfp_protected_auth_mode: 'OBSERVATION',
        siwe_required_for_crypto_wallets: false,
        rbac_policy: {
          resources: policy.resources.map((resource) => ({ resource_id: resource.resource_id, description: resource.description ?? '', actions: [...resource.actions] })),
          roles: policy.roles.map((role) => ({
            role_id: role.role_id,
            description: role.description ?? '',
            permissions: role.permissions.map((permission) => ({ resource_id: permission.resource_id, actions: [...permission.actions] })),
          })),
          scopes: (policy.scopes ?? []).map((scope) => ({
            scope: scope.scope,
            description: scope.description ?? '',
            permissions: scope.permissions.map((permission) => ({ resource_id: permission.resource_id, actions: [...permission.actions] })),
          })),
        },
      });
    },
  );

  // ---- Consumer

  app.post(`${SDK_PREFIX}/passwords/authenticate`, { ...caller, schema: { body: PasswordAuthenticateBody }, preHandler: byEmail }, async (request) => {
    const { email, password, session_duration_minutes } = request.body;
    const grant = await passwords.authenticate(request.projectId, request.sdk.project.environment, { email, password, session_duration_minutes, callerAttributes: request.sdk.attributes });
    return data(request, sessionResponse(grant, sessions, users));
  });

  app.post(`${SDK_PREFIX}/magic_links/authenticate`, { ...caller, schema: { body: MagicLinkAuthenticateBody }, preHandler: byIp }, async (request) => {
    const { token, code_verifier, session_duration_minutes } = request.body;
    const { grant, method_id } = await magicLinks.authenticate(request.projectId, request.sdk.project.environment, { token, code_verifier, session_duration_minutes, callerAttributes: request.sdk.attributes });
    return data(request, { ...sessionResponse(grant, sessions, users), method_id, reset_sessions: false });
  });

  app.post(`${SDK_PREFIX}/sessions/authenticate`, { ...caller, schema: { body: SessionAuthenticateBody } }, async (request) => {
    const grant = await sessions.authenticate(request.projectId, request.sdk.project.environment, {
      session_token: requireSessionToken(request),
      session_duration_minutes: request.body?.session_duration_minutes,
    });
    return data(request, sessionResponse(grant, sessions, users));
  });

  app.post(`${SDK_PREFIX}/sessions/revoke`, { ...caller, schema: TAKES_NO_BODY }, async (request) => {
    await sessions.revoke(request.projectId, { session_token: requireSessionToken(request) });
    return data(request, {});
  });

  const signedInUser = async (request: FastifyRequest) => {
    const grant = await sessions.authenticate(request.projectId, request.sdk.project.environment, { session_token: requireSessionToken(request) });
    return grant.user;
  };

  app.get(`${SDK_PREFIX}/users/me`, caller, async (request) => data(request, toWireUser(await signedInUser(request), users)));

  app.put(`${SDK_PREFIX}/users/me`, { ...caller, schema: { body: UpdateSelfBody } }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown> & typeof request.body;
    refuseBrowserWrites(body, ['external_id']);
    const user = await signedInUser(request);
    const updated = await users.updateUser(request.projectId, user.user_id, { name: body.name, untrusted_metadata: body.untrusted_metadata }, systemActor('sdk.users.me'));
    const wire = toWireUser(updated, users);
    // The SDK reads the user from `__user` and returns the rest.
    return data(request, { user_id: wire.user_id, emails: wire.emails, phone_numbers: wire.phone_numbers, crypto_wallets: wire.crypto_wallets, __user: wire });
  });
}

const Vertical = Type.Union([Type.Literal('CONSUMER'), Type.Literal('B2B')]);

/**
 * Gatehouse addition, with the project secret: the origins allowed to call /sdk/v1 (CORS), each with
 * the SDK vertical its pages run (which policy the bootstrap carries).
 */
export function registerAllowedOriginRoutes(app: App, deps: { sdk: SdkService }) {
  const { sdk } = deps;
  const path = '/v1/project/allowed_origins';

  app.get(path, { config: REFUSE }, async (request) => ok(request, { allowed_origins: (await sdk.listOrigins(request.projectId)).map(toWireOrigin) }));

  app.post(path, { config: REFUSE, schema: { body: Type.Object({ origin: Type.String({ maxLength: 2048 }), vertical: Type.Optional(Vertical) }) } }, async (request) => {
    const added = await sdk.addOrigin(request.projectId, request.body);
    return ok(request, { allowed_origin: toWireOrigin(added), allowed_origins: (await sdk.listOrigins(request.projectId)).map(toWireOrigin) });
  });

  app.delete(
    path,
    // The origin in the body ({"origin": …}) or the query (?origin=…); a DELETE may have no body.
    { config: REFUSE, schema: { querystring: Type.Object({ origin: Type.Optional(Type.String({ maxLength: 2048 })) }) } },
    async (request) => {
      const body = request.body as { origin?: unknown } | undefined;
      const origin = typeof body?.origin === 'string' ? body.origin : request.query.origin;
      if (origin === undefined) throw new GatehouseError('allowed_origin_missing');
      const removed = await sdk.removeOrigin(request.projectId, origin);
      return ok(request, { origin: removed, allowed_origins: (await sdk.listOrigins(request.projectId)).map(toWireOrigin) });
    },
  );
}
