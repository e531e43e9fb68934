// The HTTP application: Stytch's wire conventions (request ids, JSON everywhere, the error
// envelope for every failure) and the authentication of callers. Features add their routes.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServerConfig } from '../config.ts';
import { ERROR_CATALOGUE, GatehouseError } from '../errors.ts';
import type { Actor, Caller, ProjectService } from '../projects/service.ts';
import { toErrorBody, toGatehouseError } from './errors.ts';

export type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered: method and URL pattern (for 405s, and for tests that walk them all). */
    routeTable: { method: string; url: string; pattern: RegExp }[];
  }
  interface FastifyRequest {
    /** The project whose secret authenticated this request. */
    projectId: string;
    /** Who authenticated this request (a member session acting through headers is found later). */
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** `public` routes need no credentials (JWKS, health). Default: the project secret. */
    auth?: 'secret' | 'public';
    /** What a member session needs on this route, or 'refuse' (the authz gate reads it). */
    memberSession?: 'refuse' | object;
  }
}

export interface AppOptions {
  config: ServerConfig;
  projects: ProjectService;
  /** Backend requests with the dashboard's admin cookie (and CSRF header) instead of Authorization. */
  admins?: { authenticateCaller(headers: FastifyRequest['headers']): Promise<Caller> };
  logger?: boolean | object;
}

/** Successful responses carry request_id and status_code, like every Stytch response. */
export function ok<T extends object>(request: FastifyRequest, body: T, statusCode = 200): T & { request_id: string; status_code: number } {
  return { request_id: request.id, status_code: statusCode, ...body };
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const app = Fastify({
    // Silent: no logger at all, rather than a child logger per request that writes nothing.
    logger: options.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel }),
    bodyLimit: config.bodyLimitBytes,
    // A hop count trusts that many proxies in front of us (Fastify's own meaning of a number).
    trustProxy: typeof config.trustProxy === 'number' ? ((hops) => (_address: string, hop: number) => hop < hops)(config.trustProxy) : config.trustProxy,
    genReqId: () => `request-id-${config.environment}-${randomUUID()}`,
    // Bodies are validated as sent: no type coercion, no silent removal of fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The official client sends `Content-Type: application/json` with an empty body on DELETE; treat
  // an empty body as no body. Everything else goes through Fastify's parser, which refuses
  // prototype-poisoning keys.
  // Only JSON is accepted: any other body type gets 415.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    parseJson(request, body as string, done);
  });

  // The project secret, checked first on every route that is not public. A callback hook, so that a
  // caller whose credentials were verified before goes on without waiting. Only a request with no
  // Authorization header at all and a cookie may be the dashboard's (admin cookie + CSRF header).
  const authenticateCaller = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    const known = options.projects.knownCaller(request.headers.authorization);
    if (known !== undefined) {
      request.projectId = known.projectId;
      request.actor = known.actor;
      return done();
    }
    const admins = request.headers.authorization === undefined && request.headers.cookie !== undefined ? options.admins : undefined;
    const caller = admins ? admins.authenticateCaller(request.headers) : options.projects.authenticateHeader(request.headers.authorization);
    caller.then((caller) => {
      if (caller === null) return done(new GatehouseError('unauthorized_credentials'));
      request.projectId = caller.projectId;
      request.actor = caller.actor;
      done();
    }, done);
  };

  // Every route pattern, to answer 405 rather than 404 when only the method is wrong. Each route that
  // needs credentials gets the check as its own hook, so no request looks up its route's options
  // (request.routeOptions builds a new object on every read).
  const routes: { method: string; url: string; pattern: RegExp }[] = [];
  app.decorate('routeTable', routes);
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}/?$`);
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, pattern });
    const hooks = [route.onRequest ?? []].flat();
    if (route.config?.auth !== 'public' && !hooks.includes(authenticateCaller)) route.onRequest = [authenticateCaller, ...hooks];
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path) && r.method !== 'HEAD').map((r) => r.method))];
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendError(request, reply, new GatehouseError('method_not_allowed', { message: `${request.method} is not allowed here; use ${allowed.join(' or ')}.` }));
    }
    return sendError(request, reply, new GatehouseError('route_not_found', { message: `No endpoint at ${request.method} ${path}.` }));
  });

  app.setErrorHandler((error, request, reply) => {
    const gatehouseError = toGatehouseError(error);
    if (gatehouseError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(request, reply, gatehouseError);
  });

  function sendError(request: FastifyRequest, reply: FastifyReply, error: GatehouseError) {
    return reply.status(error.status).type('application/json').send(toErrorBody(error, request.id, config.publicUrl));
  }

  // The request schemas that validate bodies also describe the API: GET /openapi.json.
  await app.register(swagger, {
    openapi: {
      info: { title: 'Gatehouse API', version: '0.1.0', description: "Stytch-compatible authentication and RBAC API" },
      servers: [{ url: config.publicUrl }],
      components: { securitySchemes: { projectSecret: { type: 'http', scheme: 'basic' } } },
      security: [{ projectSecret: [] }],
    },
  });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // The error catalogue, where every error_url points.
  app.get('/docs/errors', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const rows = Object.entries(ERROR_CATALOGUE)
      .map(([type, spec]) => `<tr id="${type}"><td><code>${type}</code></td><td>${spec.status}</td><td>${escapeHtml(spec.message)}</td></tr>`)
      .join('\n');
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><title>Gatehouse errors</title><h1>Gatehouse error types</h1>
<p>Policy validation errors use the codes listed in the policy engine's README.</p>
<table><tr><th>error_type</th><th>HTTP</th><th>meaning</th></tr>${rows}</table>`);
  });

  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async (request) => ok(request, { ok: true }));

  return app;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
