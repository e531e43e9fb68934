// Stytch's M2M API: client management with the project secret (/v1/m2m/clients…; a member session is
// refused: these credentials act for the whole project), and the client-credentials token endpoint
// (POST /v1/public/{project_id}/oauth2/token), authenticated by the client's own credentials.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { nulError } from '../http/edge.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { searchQuery } from '../search/schema.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import { ClientParams, CreateClientBody, SearchClientsBody, TokenBody, UpdateClientBody } from './schema.ts';
import type { M2MService } from './service.ts';
import { toWireM2MClient, withOAuthErrorFields } from './wire.ts';

const config = { memberSession: 'refuse' as const };

export function registerM2MRoutes(app: App, deps: { m2m: M2MService; limiter: RateLimiter; config: Pick<ServerConfig, 'rateLimits'> }) {
  const { m2m } = deps;
  const base = '/v1/m2m/clients';

  app.post(base, { config, schema: { body: CreateClientBody } }, async (request) => {
    const { record, client_secret } = await m2m.create(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, { m2m_client: { ...toWireM2MClient(record), client_secret } });
  });

  app.post(`${base}/search`, { config, schema: { body: SearchClientsBody } }, async (request) => {
    const found = await m2m.search(request.projectId, { cursor: request.body.cursor, limit: request.body.limit, query: searchQuery(request.body) });
    return ok(request, { m2m_clients: found.results.map(toWireM2MClient), results_metadata: { total: found.total, next_cursor: found.next_cursor } });
  });

  app.get(`${base}/:client_id`, { config, schema: { params: ClientParams } }, async (request) => {
    return ok(request, { m2m_client: toWireM2MClient(await m2m.get(request.projectId, request.params.client_id)) });
  });

  app.put(`${base}/:client_id`, { config, schema: { params: ClientParams, body: UpdateClientBody } }, async (request) => {
    const { trusted_metadata, ...rest } = request.body;
    const updated = await m2m.update(request.projectId, request.params.client_id, { ...rest, trusted_metadata: trusted_metadata ?? undefined }, request.actor);
    return ok(request, { m2m_client: toWireM2MClient(updated) });
  });

  app.delete(`${base}/:client_id`, { config, schema: { params: ClientParams } }, async (request) => {
    await m2m.remove(request.projectId, request.params.client_id, request.actor);
    return ok(request, { client_id: request.params.client_id });
  });

  const rotation = { config, schema: { params: ClientParams, ...TAKES_NO_BODY } };
  app.post(`${base}/:client_id/secrets/rotate/start`, rotation, async (request) => {
    const { record, next_client_secret } = await m2m.rotateStart(request.projectId, request.params.client_id, request.actor);
    return ok(request, { m2m_client: { ...toWireM2MClient(record), next_client_secret } });
  });
  app.post(`${base}/:client_id/secrets/rotate`, rotation, async (request) => {
    return ok(request, { m2m_client: toWireM2MClient(await m2m.rotateComplete(request.projectId, request.params.client_id, request.actor)) });
  });
  app.post(`${base}/:client_id/secrets/rotate/cancel`, rotation, async (request) => {
    return ok(request, { m2m_client: toWireM2MClient(await m2m.rotateCancel(request.projectId, request.params.client_id, request.actor)) });
  });

  // The token endpoint takes form-encoded bodies (what the official client and RFC 6749 send) as
  // well as JSON: its own parser, in a plugin of its own so that no other route accepts them.
  void app.register(async (scope: FastifyInstance) => registerTokenRoute(scope.withTypeProvider<TypeBoxTypeProvider>(), deps));
}

type TokenFields = { grant_type?: string; client_id?: string; client_secret?: string; scope?: string };

function registerTokenRoute(scope: App, deps: { m2m: M2MService; limiter: RateLimiter; config: Pick<ServerConfig, 'rateLimits'> }) {
  const { m2m, limiter } = deps;
  const { perIp, perIdentifier } = deps.config.rateLimits;

  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const fields: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(body as string)) {
      if (name.includes('\u0000') || value.includes('\u0000')) return done(nulError(), undefined);
      if (Object.hasOwn(fields, name)) return done(new GatehouseError('oauth_parameter_repeated', { params: { parameter: name.slice(0, 64) } }), undefined);
      fields[name] = value;
    }
    done(null, fields);
  });

  // Counted per project and caller IP (with every credential endpoint), and per client.
  const rateLimit = limiter.requestLimit((request) => {
    const { project_id } = request.params as { project_id: string };
    const hits = [{ name: 'ip', rule: perIp, subject: `${project_id}\n${request.ip}` }];
    let clientId: string | undefined;
    try {
      clientId = clientCredentials(request.headers.authorization, request.body as TokenFields | undefined)?.client_id;
    } catch {
      // malformed credentials: the handler answers; the IP is counted
    }
    if (clientId) hits.push({ name: 'm2m_client', rule: perIdentifier, subject: `${project_id}\n${clientId}` });
    return hits;
  });

  scope.post(
    '/v1/public/:project_id/oauth2/token',
    {
      config: { auth: 'public', memberSession: 'refuse' },
      schema: { params: Type.Object({ project_id: Type.String({ maxLength: 128 }) }), body: TokenBody, consumes: ['application/x-www-form-urlencoded', 'application/json'] },
      preHandler: rateLimit,
      onSend: oauthErrorFields,
    },
    async (request, reply) => {
      const grantType = request.body?.grant_type;
      if (grantType === undefined) throw new GatehouseError('invalid_request');
      if (grantType !== 'client_credentials') throw new GatehouseError('unsupported_grant_type', { params: { grant_type: grantType.slice(0, 64) } });
      const credentials = clientCredentials(request.headers.authorization, request.body);
      if (!credentials) throw new GatehouseError('oauth_client_credentials_missing');
      const issued = await m2m.issueToken(request.params.project_id, credentials, request.body?.scope);
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return ok(request, { access_token: issued.access_token, token_type: 'bearer', expires_in: issued.expires_in });
    },
  );
}

/** The client's credentials: HTTP Basic (each part form-encoded, RFC 6749 §2.3.1) or the body's; never both. */
function clientCredentials(header: string | undefined, fields: TokenFields | undefined): { client_id: string; client_secret: string } | undefined {
  const body = fields ?? {};
  if (header === undefined) {
    return typeof body.client_id === 'string' && typeof body.client_secret === 'string' ? { client_id: body.client_id, client_secret: body.client_secret } : undefined;
  }
  if (body.client_secret !== undefined) throw new GatehouseError('oauth_client_credentials_twice');
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new GatehouseError('invalid_client');
  try {
    const formDecode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    const credentials = { client_id: formDecode(decoded.slice(0, colon)), client_secret: formDecode(decoded.slice(colon + 1)) };
    if (/\u0000/.test(credentials.client_id + credentials.client_secret)) throw new Error('NUL');
    return credentials;
  } catch {
    throw new GatehouseError('invalid_client');
  }
}

/** Adds RFC 6749's error fields to the envelope of every error this endpoint answers. */
async function oauthErrorFields(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
  try {
    const envelope = JSON.parse(payload);
    if (envelope?.error_type === 'invalid_client' && request.headers.authorization !== undefined) void reply.header('www-authenticate', 'Basic realm="oauth2/token"');
    return JSON.stringify(withOAuthErrorFields(envelope));
  } catch {
    return payload;
  }
}
