import { describePolicyChange, type PolicyChange, type PolicyKind } from '@gatehouse/policy';
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { Actor } from '../projects/service.ts';
import type { PolicyWriteOptions, PolicyWriteResult, RbacService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';
import { bodyDocumentedAs } from '../http/openapi.ts';

const Permission = Type.Object({
  resource_id: Type.String(),
  actions: Type.Array(Type.String(), { maxItems: 1000 }),
});
const Description = Type.String({ maxLength: 500 });

export const CreateResourceBody = Type.Object({
  resource_id: Type.String(),
  description: Type.Optional(Description),
  actions: Type.Array(Type.String(), { maxItems: 1000 }),
});
export const UpdateResourceBody = Type.Object({
  description: Type.Optional(Description),
  actions: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
});
export const CreateRoleBody = Type.Object({
  role_id: Type.String(),
  description: Type.Optional(Description),
  permissions: Type.Optional(Type.Array(Permission, { maxItems: 1000 })),
});
export const UpdateRoleBody = Type.Object({
  description: Type.Optional(Description),
  permissions: Type.Optional(Type.Array(Permission, { maxItems: 1000 })),
});
// The policy document as PUT …/policy and the impact preview take it, for the OpenAPI document only:
// the policy engine validates it and lists every issue in error_details.
const PolicyGrantHolder = { description: Type.Optional(Description), permissions: Type.Array(Permission) };
const PolicyDocument = Type.Object({
  resources: Type.Array(Type.Object({ resource_id: Type.String(), description: Type.Optional(Description), actions: Type.Array(Type.String()) })),
  roles: Type.Array(Type.Object({ role_id: Type.String(), ...PolicyGrantHolder })),
  scopes: Type.Optional(Type.Array(Type.Object({ scope: Type.String(), ...PolicyGrantHolder }))),
});
export const PolicyBody = Type.Object(
  { policy: PolicyDocument },
  { description: 'The policy as GET …/policy returns it (the bare policy object is accepted too), checked by the policy engine: every issue is listed in error_details.' },
);

export const WriteOptionsQuery = Type.Object({
  cascade: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  dry_run: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});

export function writeOptions(request: { actor: Actor; query: { cascade?: string; dry_run?: string } }): PolicyWriteOptions {
  return { cascade: request.query.cascade === 'true', dryRun: request.query.dry_run === 'true', actor: request.actor };
}

export function describeChanges(changes: PolicyChange[]) {
  return changes.map((change) => ({ ...change, summary: describePolicyChange(change) }));
}

/** The answer of every policy write (history-routes.ts's rollback too). */
export function writtenResponse(request: Parameters<typeof ok>[0], result: PolicyWriteResult) {
  return ok(request, {
    policy: result.policy,
    policy_version: result.version,
    written: result.written,
    changes: describeChanges(result.changes),
    revoked_assignments: result.revoked_assignments,
  });
}

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
