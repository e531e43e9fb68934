// Request schemas of the RBAC policy API, and the write options its query strings make.
import { Type } from '@sinclair/typebox';
import type { Actor } from '../projects/service.ts';
import type { PolicyWriteOptions } from './service.ts';

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
