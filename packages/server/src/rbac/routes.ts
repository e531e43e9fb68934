import { Type } from '@sinclair/typebox';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { PolicyKind } from '@gatehouse/policy';
import { CreateResourceBody, CreateRoleBody, PolicyBody, UpdateResourceBody, UpdateRoleBody, writeOptions, WriteOptionsQuery } from './schema.ts';
import type { RbacService } from './service.ts';
import { writtenResponse } from './wire.ts';
import { REFUSE } from '../authz/actions.ts';
import { bodyDocumentedAs } from '../http/openapi.ts';

/** Policy endpoints for one kind of policy, under `prefix` (`/v1/rbac` or `/v1/b2b/rbac`). */
export function registerPolicyRoutes(app: App, deps: { rbac: RbacService }, kind: PolicyKind, prefix: string) {
  const { rbac } = deps;
  const written = writtenResponse;

  app.get(`${prefix}/policy`, { config: REFUSE }, async (request) => {
    const snapshot = await rbac.getPolicy(request.projectId, kind);
    return ok(request, { policy: snapshot.policy, policy_version: snapshot.version });
  });

  // The body is the shape GET returns (or the bare policy); the policy engine validates it.
  app.put(`${prefix}/policy`, { schema: { querystring: WriteOptionsQuery }, config: { ...REFUSE, ...bodyDocumentedAs(PolicyBody) } }, async (request) =>
    written(request, await rbac.replacePolicy(request.projectId, kind, request.body, writeOptions(request))),
  );

  app.post(`${prefix}/policy/resources`, { config: REFUSE, schema: { body: CreateResourceBody, querystring: WriteOptionsQuery } }, async (request) => {
    const { resource_id, description = '', actions } = request.body;
    return written(request, await rbac.createResource(request.projectId, kind, { resource_id, description, actions }, writeOptions(request)));
  });

  app.put(
    `${prefix}/policy/resources/:resource_id`,
    { config: REFUSE, schema: { params: Type.Object({ resource_id: Type.String() }), body: UpdateResourceBody, querystring: WriteOptionsQuery } },
    async (request) =>
      written(request, await rbac.updateResource(request.projectId, kind, request.params.resource_id, request.body ?? {}, writeOptions(request))),
  );

  app.delete(
    `${prefix}/policy/resources/:resource_id`,
    { config: REFUSE, schema: { params: Type.Object({ resource_id: Type.String() }), querystring: WriteOptionsQuery } },
    async (request) => written(request, await rbac.deleteResource(request.projectId, kind, request.params.resource_id, writeOptions(request))),
  );

  app.post(`${prefix}/policy/roles`, { config: REFUSE, schema: { body: CreateRoleBody, querystring: WriteOptionsQuery } }, async (request) => {
    const { role_id, description = '', permissions = [] } = request.body;
    return written(request, await rbac.createRole(request.projectId, kind, { role_id, description, permissions }, writeOptions(request)));
  });

  app.put(
    `${prefix}/policy/roles/:role_id`,
    { config: REFUSE, schema: { params: Type.Object({ role_id: Type.String() }), body: UpdateRoleBody, querystring: WriteOptionsQuery } },
    async (request) =>
      written(request, await rbac.updateRole(request.projectId, kind, request.params.role_id, request.body ?? {}, writeOptions(request))),
  );

  app.delete(
    `${prefix}/policy/roles/:role_id`,
    { config: REFUSE, schema: { params: Type.Object({ role_id: Type.String() }), querystring: WriteOptionsQuery } },
    async (request) => written(request, await rbac.deleteRole(request.projectId, kind, request.params.role_id, writeOptions(request))),
  );
}
