// The HTTP application: Stytch's wire conventions (request ids, JSON everywhere, the error
// envelope for every failure) and the authentication of callers. Features add their routes.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkDeclaration, memberSessionGate, refusal, refuseMemberSession, type MemberSessionDeclaration } from '../authz/gate.ts';
import type { MemberActor, MemberAuthorization } from '../authz/member-authorization.ts';
import type { ServerConfig } from '../shared/config.ts';
import { catalogueDocs, GatehouseError } from '../shared/errors.ts';
import type { Actor, Caller, ProjectService } from '../projects/service.ts';
import { clientErrorHandler, jsonHasLoneSurrogate, jsonTextHasNul, jsonTooDeep, loneSurrogateError, MAX_PATH_PARAMETER_LENGTH, nulError, tooDeepError, urlHasNul } from './edge.ts';
import { RETRY_AFTER_SECONDS, toErrorBody, toGatehouseError } from './errors.ts';
import { loggerOptions } from './log.ts';
import { dropNullFields, nullMeansNotGiven } from './null-fields.ts';

export type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

export interface RouteEntry {
  method: string;
  url: string;
  pattern: RegExp;
  memberSession: MemberSessionDeclaration;
  /** A SCIM 2.0 service route (scim/service-routes.ts): SCIM's content type, and errors in SCIM's shape as well as the envelope. */
  scim: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered: method, URL pattern and member-session declaration (for 405s, and for tests that walk them all). */
    routeTable: RouteEntry[];
  }
  interface FastifyRequest {
    /** The project whose secret authenticated this request. */
    projectId: string;
    /** Who authenticated this request (a member session acting through headers is `member`). */
    actor: Actor;
    /** On routes that accept a member session: the member whose session headers the request carries, or null. */
    member?: MemberActor | null;
  }
  interface FastifyContextConfig {
    /** `public` routes need no credentials (JWKS, health). Default: the project secret. */
    auth?: 'secret' | 'public';
    /** What a member session needs here, or 'refuse'. Required on every route (src/authz/gate.ts). */
    memberSession?: MemberSessionDeclaration;
    /**
     * A SCIM 2.0 service route: authenticated by a SCIM connection's bearer token, takes and returns
     * application/scim+json, and its errors carry SCIM's error shape besides the envelope's fields.
     */
    scim?: boolean;
  }
}

export interface AppOptions {
  config: ServerConfig;
  projects: ProjectService;
  /** Backend requests with the dashboard's admin cookie (and CSRF header) instead of Authorization. */
  admins?: { authenticateCaller(headers: FastifyRequest['headers']): Promise<Caller> };
  /** Authenticates and authorizes member sessions on the routes that accept them. */
  memberAuthorization?: MemberAuthorization;
  /** Whether this process can serve now (GET /readyz); without it, ready whenever it runs. */
  readiness?: () => Promise<{ ready: boolean }>;
  logger?: boolean | { level?: string; stream?: { write(line: string): unknown } };
}

/** Successful responses carry request_id and status_code, like every Stytch response. */
export function ok<T extends object>(request: FastifyRequest, body: T, statusCode = 200): T & { request_id: string; status_code: number } {
  return { request_id: request.id, status_code: statusCode, ...body };
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const newRequestId = () => `request-id-${config.environment}-${randomUUID()}`;
  const app = Fastify({
    // Silent: no logger at all, rather than a child logger per request that writes nothing.
    logger: ((logger) => (logger === false ? false : loggerOptions(logger === true ? {} : logger, config.logFormat)))(
      options.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel }),
    ),
    // Named as in the error envelope, so a caller's request_id finds the log lines.
    // Fastify's access lines off: ours are at debug (below), so the default log is the banner, warnings and errors.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // A hop count trusts that many proxies in front of us (Fastify's own meaning of a number).
    trustProxy: typeof config.trustProxy === 'number' ? ((hops) => (_address: string, hop: number) => hop < hops)(config.trustProxy) : config.trustProxy,
    genReqId: newRequestId,
    // Bodies are validated as sent: no type coercion, no silent removal of fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    // What never reaches a route still gets the envelope: a URL that is not valid percent-encoding or
    // a path parameter over the limit (Fastify's router), and HTTP Node could not parse (edge.ts).
    frameworkErrors: (error, request, reply) => sendError(request, reply, toGatehouseError(error)),
    clientErrorHandler: clientErrorHandler({ newRequestId, publicUrl: config.publicUrl }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The official client sends `Content-Type: application/json` with an empty body on DELETE; treat
  // an empty body as no body. Everything else goes through Fastify's parser, which refuses
  // prototype-poisoning keys.
  // Only JSON is accepted: any other body type gets 415.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  // NUL characters and over-deep nesting are refused here, for every route at once (edge.ts).
  // application/scim+json (RFC 7644 §3.1) is JSON too, taken on the SCIM service's routes only.
  app.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string' }, (request, body, done) => {
    if (/^application\/scim\+json/i.test(request.headers['content-type'] ?? '') && request.routeOptions.config?.scim !== true) {
      return done(new GatehouseError('unsupported_content_type'), undefined);
    }
    const text = body as string;
    if (text === '' || text.trim() === '') return done(null, undefined);
    if (jsonTextHasNul(text)) return done(nulError(), undefined);
    parseJson(request, text, (error, parsed) => {
      if (error) return done(error, undefined);
      if (jsonTooDeep(parsed)) return done(tooDeepError(), undefined);
      if (jsonHasLoneSurrogate(text, parsed)) return done(loneSurrogateError(), undefined);
      done(null, parsed);
    });
  });
  // A NUL in a path or query parameter, before any hook reads them (some look up a token in the path).
  // One line as a request comes in and one as it is answered, at debug (GATEHOUSE_LOG_LEVEL=debug).
  app.addHook('onRequest', (request, _reply, done) => {
    request.log.debug({ req: request }, 'incoming request');
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
  app.addHook('onRequest', (request, _reply, done) => done(urlHasNul(request.url) ? nulError() : undefined));

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

  // Routes that refuse member sessions check for the headers inside the caller's authentication: two
  // header reads, no hook of their own.
  const authenticateCallerRefusingMemberSession = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    const refused = refusal(request.headers);
    if (refused) return done(refused);
    authenticateCaller(request, reply, done);
  };
  const callerHooks: unknown[] = [authenticateCaller, authenticateCallerRefusingMemberSession, refuseMemberSession];

  // Every route pattern, to answer 405 rather than 404 when only the method is wrong. Each route that
  // needs credentials gets the check as its own hook, so no request looks up its route's options
  // (request.routeOptions builds a new object on every read).
  const routes: RouteEntry[] = [];
  app.decorate('routeTable', routes);
  app.addHook('onRoute', (route) => {
    // Every route says what a member session needs there; a route that does not cannot be registered.
    const declaration = route.config?.memberSession;
    checkDeclaration([route.method].flat().join(','), route.url, declaration, route.schema?.body);
    const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}/?$`);
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, pattern, memberSession: declaration!, scim: route.config?.scim === true });
    // null for an optional field means "not given" (null-fields.ts): dropped before anything reads the
    // body, the member-session gate included, so it runs first of the preValidation hooks.
    const dropNulls = dropNullFields(nullMeansNotGiven(route.schema?.body));
    const dropNullsFirst = () => {
      if (dropNulls) route.preValidation = [dropNulls, ...[route.preValidation ?? []].flat()];
    };
    const hooks = [route.onRequest ?? []].flat();
    if (hooks.some((hook) => callerHooks.includes(hook))) return dropNullsFirst();
    const refuse = declaration === 'refuse';
    const first = route.config?.auth === 'public' ? (refuse ? [refuseMemberSession] : []) : [refuse ? authenticateCallerRefusingMemberSession : authenticateCaller];
    route.onRequest = [...first, ...hooks];
    if (!refuse) {
      if (!options.memberAuthorization) throw new Error(`${route.url} accepts member sessions, but the app has no memberAuthorization`);
      route.preValidation = [memberSessionGate(declaration!, options.memberAuthorization), ...[route.preValidation ?? []].flat()];
    }
    dropNullsFirst();
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path) && r.method !== 'HEAD').map((r) => r.method))];
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendError(request, reply, new GatehouseError('method_not_allowed', { params: { method: request.method, allowed: allowed.join(' or ') } }));
    }
    return sendError(request, reply, new GatehouseError('route_not_found', { params: { method: request.method, path } }));
  });

  app.setErrorHandler((error, request, reply) => {
    const gatehouseError = toGatehouseError(error);
    if (gatehouseError.status >= 500) {
      // With the request id (the logger's), never the body: `err` is logged redacted (see log.ts).
      const entry = { route: request.routeOptions.url ?? null, error_type: gatehouseError.errorType, status_code: gatehouseError.status, err: error };
      if (gatehouseError.errorType === 'server_unavailable') request.log.warn(entry, 'request failed: database unavailable');
      else request.log.error(entry, 'request failed');
    }
    return sendError(request, reply, gatehouseError);
  });

  function sendError(request: FastifyRequest, reply: FastifyReply, error: GatehouseError) {
    if (error.status === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
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
  app.get('/openapi.json', { config: { auth: 'public', memberSession: 'refuse' }, schema: { hide: true } }, async () => app.swagger());

  // The error catalogue, where every error_url points.
  app.get('/docs/errors', { config: { auth: 'public', memberSession: 'refuse' }, schema: { hide: true } }, async (_request, reply) => {
    const rows = catalogueDocs()
      .map((row) => `<tr id="${row.error_type}"><td><code>${row.error_type}</code></td><td>${row.statuses.join(', ')}</td><td>${row.messages.map(escapeHtml).join('<br>')}</td></tr>`)
      .join('\n');
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><title>Gatehouse errors</title><h1>Gatehouse error types</h1>
<p>Policy validation errors use the codes listed in the policy engine's README.</p>
<table><tr><th>error_type</th><th>HTTP</th><th>meaning</th></tr>${rows}</table>`);
  });

  // For load balancers and orchestrators, logged only when they fail. /healthz: the process runs
  // (restart it if not). /readyz: it can serve (send it traffic only then): see store/readiness.ts.
  const probe = { config: { auth: 'public', memberSession: 'refuse' }, schema: { hide: true }, logLevel: 'warn' } as const;
  app.get('/healthz', probe, async (request) => ok(request, { ok: true }));
  app.get('/readyz', probe, async (request, reply) => {
    const readiness = options.readiness ? await options.readiness() : { ready: true };
    if (readiness.ready) return ok(request, readiness);
    return sendError(request, reply, new GatehouseError('server_not_ready', { details: readiness }));
  });

  return app;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
