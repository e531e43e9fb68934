// The SCIM 2.0 service (RFC 7644) at each connection's base_url, /v1/b2b/scim/{connection_id}: Users,
// Groups, ServiceProviderConfig, ResourceTypes, Schemas. The identity provider authenticates with
// the connection's bearer token (Authorization: Bearer …; hashed and looked up, scim/connections.ts),
// counted per caller IP before the look-up. Bodies are application/scim+json (or JSON); answers are
// application/scim+json, and errors SCIM's shape — schemas, status as a string, scimType, detail —
// which, on these routes only, also carries the envelope's fields (scim/wire.ts toWireScimError).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REFUSE } from '../authz/actions.ts';
import type { App } from '../http/app.ts';
import { toErrorBody, toGatehouseError, RETRY_AFTER_SECONDS } from '../http/errors.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { ScimConnectionRecord, ScimConnectionService } from './connections.ts';
import { MAX_PAGE_SIZE, resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import type { ScimGroups } from './groups.ts';
import { ListQuery, PatchBody, ResourceBody, ResourceParams, ServiceParams } from './schema.ts';
import type { ScimUsers } from './users.ts';
import { toWireScimError } from './wire.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** On SCIM service routes: the connection whose bearer token authenticated the request. */
    scimConnection?: ScimConnectionRecord;
  }
}

const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
/** The SCIM service takes this many times the per-IP credential limit (1200 a minute by default): an IdP's bulk push fits. */
const SCIM_LIMIT_FACTOR = 2;

function pagination(query: { startIndex?: string; count?: string }) {
  const read = (value: string | undefined, fallback: number, min: number) => {
    if (value === undefined || value === '') return fallback;
    if (!/^-?\d{1,9}$/.test(value)) throw new GatehouseError('scim_invalid_pagination');
    return Math.max(Number(value), min);
  };
  // RFC 7644 §3.4.2.4: a startIndex below 1 is 1, a negative count is 0.
  return { startIndex: read(query.startIndex, 1, 1), count: Math.min(read(query.count, 100, 0), MAX_PAGE_SIZE) };
}

export function registerScimServiceRoutes(
  app: App,
  deps: { connections: ScimConnectionService; users: ScimUsers; groups: ScimGroups; limiter: RateLimiter; config: ServerConfig },
) {
  const { connections, users, groups, limiter, config } = deps;
  const rule = { max: config.rateLimits.perIp.max * SCIM_LIMIT_FACTOR, windowSeconds: config.rateLimits.perIp.windowSeconds };
  const rateLimit = limiter.requestLimit((request) => [{ name: 'scim', rule, subject: `scim\n${request.ip}` }]);
  const authenticate = async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? '';
    const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
    const connection = await connections.authenticate((request.params as { connection_id: string }).connection_id, token);
    request.scimConnection = connection;
    request.projectId = connection.project_id;
    request.actor = { type: 'system', id: `scim.${connection.connection_id}` };
  };
  const options = { config: { ...REFUSE, auth: 'public' as const, scim: true }, onRequest: [rateLimit, authenticate] };
  const connectionOf = (request: FastifyRequest) => request.scimConnection!;
  const baseUrl = (request: FastifyRequest) => `${config.publicUrl}/v1/b2b/scim/${connectionOf(request).connection_id}`;
  const send = (reply: FastifyReply, body: unknown, status = 200) => {
    const version = (body as { meta?: { version?: string } }).meta?.version;
    if (version) void reply.header('etag', version);
    return reply.status(status).type(SCIM_CONTENT_TYPE).send(body);
  };

  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.setErrorHandler((error, request, reply) => {
      const gatehouseError = toGatehouseError(error);
      if (gatehouseError.status >= 500) request.log.error({ route: request.routeOptions.url ?? null, error_type: gatehouseError.errorType, err: error }, 'request failed');
      if (gatehouseError.status === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return reply.status(gatehouseError.status).type(SCIM_CONTENT_TYPE).send(toWireScimError(toErrorBody(gatehouseError, request.id, config.publicUrl)));
    });
    const prefix = '/v1/b2b/scim/:connection_id';

    scope.get(`${prefix}/ServiceProviderConfig`, { ...options, schema: { params: ServiceParams } }, (request, reply) => send(reply, serviceProviderConfig(baseUrl(request))));
    scope.get(`${prefix}/ResourceTypes`, { ...options, schema: { params: ServiceParams } }, (request, reply) => {
      const list = resourceTypes(baseUrl(request));
      return send(reply, { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: list.length, startIndex: 1, itemsPerPage: list.length, Resources: list });
    });
    scope.get(`${prefix}/ResourceTypes/:id`, { ...options, schema: { params: ResourceParams } }, (request, reply) => {
      const found = resourceTypes(baseUrl(request)).find((type) => type.id === request.params.id);
      if (!found) throw new GatehouseError('scim_resource_not_found', { params: { resource: 'ResourceType', id: request.params.id.slice(0, 128) } });
      return send(reply, found);
    });
    scope.get(`${prefix}/Schemas`, { ...options, schema: { params: ServiceParams } }, (request, reply) => {
      const list = schemas(baseUrl(request));
      return send(reply, { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: list.length, startIndex: 1, itemsPerPage: list.length, Resources: list });
    });
    scope.get(`${prefix}/Schemas/:id`, { ...options, schema: { params: ResourceParams } }, (request, reply) => {
      const found = schemas(baseUrl(request)).find((schema) => schema.id === request.params.id);
      if (!found) throw new GatehouseError('scim_resource_not_found', { params: { resource: 'Schema', id: request.params.id.slice(0, 128) } });
      return send(reply, found);
    });

    // ---- Users
    scope.get(`${prefix}/Users`, { ...options, schema: { params: ServiceParams, querystring: ListQuery } }, async (request, reply) =>
      send(reply, await users.list(connectionOf(request), { filter: request.query.filter, ...pagination(request.query) })));
    scope.post(`${prefix}/Users`, { ...options, schema: { params: ServiceParams, body: ResourceBody } }, async (request, reply) => {
      const user = await users.create(connectionOf(request), request.body as Record<string, unknown>);
      void reply.header('location', user.meta.location);
      return send(reply, user, 201);
    });
    scope.get(`${prefix}/Users/:id`, { ...options, schema: { params: ResourceParams } }, async (request, reply) => send(reply, await users.get(connectionOf(request), request.params.id)));
    scope.put(`${prefix}/Users/:id`, { ...options, schema: { params: ResourceParams, body: ResourceBody } }, async (request, reply) =>
      send(reply, await users.replace(connectionOf(request), request.params.id, request.body as Record<string, unknown>, request.headers['if-match'])));
    scope.patch(`${prefix}/Users/:id`, { ...options, schema: { params: ResourceParams, body: PatchBody } }, async (request, reply) =>
      send(reply, await users.patch(connectionOf(request), request.params.id, request.body.Operations, request.headers['if-match'])));
    scope.delete(`${prefix}/Users/:id`, { ...options, schema: { params: ResourceParams } }, async (request, reply) => {
      await users.delete(connectionOf(request), request.params.id);
      return reply.status(204).send();
    });

    // ---- Groups
    const withMembers = (query: { attributes?: string; excludedAttributes?: string }) =>
      !(query.excludedAttributes ?? '').split(',').some((name) => name.trim().toLowerCase() === 'members')
      && (query.attributes === undefined || query.attributes.split(',').some((name) => name.trim().toLowerCase() === 'members'));
    scope.get(`${prefix}/Groups`, { ...options, schema: { params: ServiceParams, querystring: ListQuery } }, async (request, reply) =>
      send(reply, await groups.list(connectionOf(request), { filter: request.query.filter, ...pagination(request.query), withMembers: withMembers(request.query) })));
    scope.post(`${prefix}/Groups`, { ...options, schema: { params: ServiceParams, body: ResourceBody } }, async (request, reply) => {
      const group = await groups.create(connectionOf(request), request.body as Record<string, unknown>);
      void reply.header('location', group.meta.location);
      return send(reply, group, 201);
    });
    scope.get(`${prefix}/Groups/:id`, { ...options, schema: { params: ResourceParams, querystring: ListQuery } }, async (request, reply) =>
      send(reply, await groups.get(connectionOf(request), request.params.id, withMembers(request.query))));
    scope.put(`${prefix}/Groups/:id`, { ...options, schema: { params: ResourceParams, body: ResourceBody } }, async (request, reply) =>
      send(reply, await groups.replace(connectionOf(request), request.params.id, request.body as Record<string, unknown>)));
    scope.patch(`${prefix}/Groups/:id`, { ...options, schema: { params: ResourceParams, body: PatchBody } }, async (request, reply) =>
      send(reply, await groups.patch(connectionOf(request), request.params.id, request.body.Operations)));
    scope.delete(`${prefix}/Groups/:id`, { ...options, schema: { params: ResourceParams } }, async (request, reply) => {
      await groups.delete(connectionOf(request), request.params.id);
      return reply.status(204).send();
    });
  });
}
