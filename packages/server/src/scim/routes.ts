// SCIM connections over HTTP in Stytch's shapes (the official client's scim.connection): create, get,
// update, delete, rotate start/complete/cancel, and the groups the IdP provisioned. The project
// secret, or a member session with the stytch.scim action each names (authz/actions.ts).
import { environmentOfProject } from '@gatehouse/contracts';
import { MEMBER_SESSION_RULES } from '../authz/actions.ts';
import { requestActor } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { TAKES_NO_BODY } from '../http/openapi.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { ScimConnectionService } from './connections.ts';
import { ConnectionParams, CreateBody, GroupsQuery, OrganizationParams, UpdateBody } from './schema.ts';
import { toWireScimConnection, toWireScimConnectionWithNextToken, toWireScimConnectionWithToken, toWireScimGroupSummary } from './wire.ts';

export function registerScimRoutes(app: App, deps: { connections: ScimConnectionService; config: ServerConfig }) {
  const { connections, config } = deps;
  const publicUrl = config.publicUrl;
  const base = '/v1/b2b/scim/:organization_id/connection';

  app.post(base, { config: { memberSession: MEMBER_SESSION_RULES.scimCreate }, schema: { params: OrganizationParams, body: CreateBody } }, async (request) => {
    const { organization_id } = request.params;
    const { record, bearer_token } = await connections.create(request.projectId, environmentOfProject(request.projectId), organization_id, request.body ?? {}, requestActor(request));
    return ok(request, { connection: toWireScimConnectionWithToken(record, publicUrl, bearer_token) });
  });

  app.get(base, { config: { memberSession: MEMBER_SESSION_RULES.scimGet }, schema: { params: OrganizationParams } }, async (request) => {
    const record = await connections.forOrganization(request.projectId, request.params.organization_id);
    return ok(request, record ? { connection: toWireScimConnection(record, publicUrl) } : {});
  });

  app.put(`${base}/:connection_id`, { config: { memberSession: MEMBER_SESSION_RULES.scimUpdate }, schema: { params: ConnectionParams, body: UpdateBody } }, async (request) => {
    const { organization_id, connection_id } = request.params;
    const body = request.body ?? {};
    const record = await connections.update(request.projectId, organization_id, connection_id, {
      display_name: body.display_name,
      identity_provider: body.identity_provider,
      group_role_rules: body.scim_group_implicit_role_assignments?.map(({ role_id, group_id }) => ({ role_id, group_id })),
    }, requestActor(request), request.member ?? null);
    return ok(request, { connection: toWireScimConnection(record, publicUrl) });
  });

  app.delete(`${base}/:connection_id`, { config: { memberSession: MEMBER_SESSION_RULES.scimDelete }, schema: { params: ConnectionParams, ...TAKES_NO_BODY } }, async (request) => {
    const { organization_id, connection_id } = request.params;
    await connections.delete(request.projectId, organization_id, connection_id, requestActor(request));
    return ok(request, { connection_id });
  });

  // The official client's getGroups: GET on the connection itself.
  app.get(`${base}/:connection_id`, { config: { memberSession: MEMBER_SESSION_RULES.scimGet }, schema: { params: ConnectionParams, querystring: GroupsQuery } }, async (request) => {
    const { organization_id, connection_id } = request.params;
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (limit < 1 || limit > 1000) throw new GatehouseError('invalid_limit_argument', { params: { max: 1000 } });
    const page = await connections.groups(request.projectId, organization_id, connection_id, request.query.cursor || undefined, limit);
    return ok(request, { scim_groups: page.groups.map(toWireScimGroupSummary), ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}) });
  });

  const rotate = { config: { memberSession: MEMBER_SESSION_RULES.scimRotate }, schema: { params: ConnectionParams, ...TAKES_NO_BODY } };
  app.post(`${base}/:connection_id/rotate/start`, rotate, async (request) => {
    const { organization_id, connection_id } = request.params;
    const { record, next_bearer_token } = await connections.rotateStart(request.projectId, organization_id, connection_id, requestActor(request));
    return ok(request, { connection: toWireScimConnectionWithNextToken(record, publicUrl, next_bearer_token) });
  });
  app.post(`${base}/:connection_id/rotate/complete`, rotate, async (request) => {
    const { organization_id, connection_id } = request.params;
    return ok(request, { connection: toWireScimConnection(await connections.rotateComplete(request.projectId, organization_id, connection_id, requestActor(request)), publicUrl) });
  });
  app.post(`${base}/:connection_id/rotate/cancel`, rotate, async (request) => {
    const { organization_id, connection_id } = request.params;
    return ok(request, { connection: toWireScimConnection(await connections.rotateCancel(request.projectId, organization_id, connection_id, requestActor(request)), publicUrl) });
  });
}
