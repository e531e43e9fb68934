// SCIM for the browser SDK (/sdk/v1/b2b/scim…), the admin portal's calls (@stytch/vanilla-js
// stytch.scim): the signed-in member's organization's connection — get, create, update, delete, its
// groups, token rotation — each checked with the /v1 route's member-session rule (stytch.scim
// actions; group role rules for escalation by the connection service, under lock).
import { Type } from '@sinclair/typebox';
import { MEMBER_SESSION_RULES } from '../authz/actions.ts';
import type { MemberSessionRule } from '../authz/gate.ts';
import { requestActor, type MemberAuthorization } from '../authz/member-authorization.ts';
import type { App } from '../http/app.ts';
import { browserMembers, data, PUBLIC, SDK_PREFIX, type SdkHooks } from '../sdk/browser-api.ts';
import type { SessionService } from '../sessions/service.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { ScimConnectionService } from './connections.ts';
import { CreateBody, UpdateBody } from './schema.ts';
import { toWireScimConnection, toWireScimConnectionWithNextToken, toWireScimConnectionWithToken, toWireScimGroupSummary } from './wire.ts';

const SCIM = `${SDK_PREFIX}/b2b/scim`;
const ConnectionIdParams = Type.Object({ connection_id: Type.String({ maxLength: 256 }) });
/** The SDK sends the connection id in the body of an update too. */
const SdkUpdateBody = Type.Object({ ...UpdateBody.properties, connection_id: Type.Optional(Type.String({ maxLength: 256 })) });
const RotateBody = Type.Object({ connection_id: Type.String({ maxLength: 256 }) });
const GroupsBody = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), cursor: Type.Optional(Type.String({ maxLength: 1024 })) });

/** A /v1 rule whose fields also take the ones the browser SDK adds to the body. */
function withFields(rule: MemberSessionRule, fields: readonly string[]): MemberSessionRule {
  return { ...rule, fields: { ...rule.fields, ...Object.fromEntries(fields.map((field) => [field, 'route' as const])) } };
}

export function registerSdkScimRoutes(
  app: App,
  deps: { hooks: SdkHooks; connections: ScimConnectionService; sessions: SessionService; memberAuthorization: MemberAuthorization; config: ServerConfig },
) {
  const { hooks, connections, sessions, memberAuthorization, config } = deps;
  const publicUrl = config.publicUrl;
  const caller = { config: PUBLIC, onRequest: hooks.caller };
  const { authorizedMember } = browserMembers({ sessions, memberAuthorization });

  app.get(SCIM, caller, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.scimGet);
    const record = await connections.forOrganization(request.projectId, actor.organization.organization_id);
    return data(request, record ? { connection: toWireScimConnection(record, publicUrl) } : {});
  });

  app.post(SCIM, { ...caller, schema: { body: CreateBody } }, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.scimCreate);
    const { record, bearer_token } = await connections.create(request.projectId, request.sdk.project.environment, actor.organization.organization_id, request.body ?? {}, requestActor(request));
    return data(request, { connection: toWireScimConnectionWithToken(record, publicUrl, bearer_token) });
  });

  app.post(`${SCIM}/groups`, { ...caller, schema: { body: GroupsBody } }, async (request) => {
    const actor = await authorizedMember(request, withFields(MEMBER_SESSION_RULES.scimGet, ['limit', 'cursor']));
    const record = await connections.forOrganization(request.projectId, actor.organization.organization_id);
    if (!record) return data(request, { scim_groups: [] });
    const page = await connections.groups(request.projectId, record.organization_id, record.connection_id, request.body?.cursor || undefined, request.body?.limit ?? 100);
    return data(request, { scim_groups: page.groups.map(toWireScimGroupSummary), ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}) });
  });

  app.put(`${SCIM}/:connection_id`, { ...caller, schema: { params: ConnectionIdParams, body: SdkUpdateBody } }, async (request) => {
    const actor = await authorizedMember(request, withFields(MEMBER_SESSION_RULES.scimUpdate, ['connection_id']));
    const body = request.body ?? {};
    if (body.connection_id !== undefined && body.connection_id !== request.params.connection_id) {
      throw new GatehouseError('scim_connection_not_found', { params: { connection_id: body.connection_id } });
    }
    const record = await connections.update(request.projectId, actor.organization.organization_id, request.params.connection_id, {
      display_name: body.display_name,
      identity_provider: body.identity_provider,
      group_role_rules: body.scim_group_implicit_role_assignments?.map(({ role_id, group_id }) => ({ role_id, group_id })),
    }, requestActor(request), actor);
    return data(request, { connection: toWireScimConnection(record, publicUrl) });
  });

  app.delete(`${SCIM}/:connection_id`, { ...caller, schema: { params: ConnectionIdParams } }, async (request) => {
    const actor = await authorizedMember(request, MEMBER_SESSION_RULES.scimDelete);
    await connections.delete(request.projectId, actor.organization.organization_id, request.params.connection_id, requestActor(request));
    return data(request, { connection_id: request.params.connection_id });
  });

  const rotate = withFields(MEMBER_SESSION_RULES.scimRotate, ['connection_id']);
  app.post(`${SCIM}/rotate/start`, { ...caller, schema: { body: RotateBody } }, async (request) => {
    const actor = await authorizedMember(request, rotate);
    const { record, next_bearer_token } = await connections.rotateStart(request.projectId, actor.organization.organization_id, request.body.connection_id, requestActor(request));
    return data(request, { connection: toWireScimConnectionWithNextToken(record, publicUrl, next_bearer_token) });
  });
  app.post(`${SCIM}/rotate/complete`, { ...caller, schema: { body: RotateBody } }, async (request) => {
    const actor = await authorizedMember(request, rotate);
    return data(request, { connection: toWireScimConnection(await connections.rotateComplete(request.projectId, actor.organization.organization_id, request.body.connection_id, requestActor(request)), publicUrl) });
  });
  app.post(`${SCIM}/rotate/cancel`, { ...caller, schema: { body: RotateBody } }, async (request) => {
    const actor = await authorizedMember(request, rotate);
    return data(request, { connection: toWireScimConnection(await connections.rotateCancel(request.projectId, actor.organization.organization_id, request.body.connection_id, requestActor(request)), publicUrl) });
  });
}
