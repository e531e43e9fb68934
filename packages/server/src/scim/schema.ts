// The SCIM API's request schemas: connection management (/v1/b2b/scim/{organization_id}/connection,
// Stytch's shapes) and the SCIM 2.0 service's bodies, which are SCIM resources and PatchOp messages
// (RFC 7643/7644) read by scim/users.ts, scim/groups.ts and scim/patch.ts.
import { Type } from '@sinclair/typebox';

export const OrganizationParams = Type.Object({ organization_id: Type.String() });
export const ConnectionParams = Type.Object({ organization_id: Type.String(), connection_id: Type.String() });
export const CreateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  identity_provider: Type.Optional(Type.String({ maxLength: 64 })),
});
export const UpdateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  identity_provider: Type.Optional(Type.String({ maxLength: 64 })),
  scim_group_implicit_role_assignments: Type.Optional(Type.Array(Type.Object({
    role_id: Type.String({ minLength: 1, maxLength: 128 }),
    group_id: Type.String({ minLength: 1, maxLength: 256 }),
    // Stytch's objects carry the group's name; the id decides.
    group_name: Type.Optional(Type.String({ maxLength: 1024 })),
  }), { maxItems: 1000 })),
});
export const GroupsQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
});

// ---- the SCIM 2.0 service ------------------------------------------------------------------------

export const ServiceParams = Type.Object({ connection_id: Type.String() });
export const ResourceParams = Type.Object({ connection_id: Type.String(), id: Type.String() });
export const ListQuery = Type.Object({
  filter: Type.Optional(Type.String({ maxLength: 2048 })),
  startIndex: Type.Optional(Type.String({ maxLength: 12 })),
  count: Type.Optional(Type.String({ maxLength: 12 })),
  attributes: Type.Optional(Type.String({ maxLength: 2048 })),
  excludedAttributes: Type.Optional(Type.String({ maxLength: 2048 })),
});
/** A SCIM resource (User or Group) as the IdP sends it: any attributes, read by the service. */
export const ResourceBody = Type.Object({ schemas: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 10 })) }, { additionalProperties: true });
/** A PatchOp message (RFC 7644 §3.5.2). */
export const PatchBody = Type.Object({
  schemas: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 10 })),
  Operations: Type.Array(Type.Object({
    op: Type.String({ maxLength: 16 }),
    path: Type.Optional(Type.String({ maxLength: 1024 })),
    value: Type.Optional(Type.Unknown()),
  }, { additionalProperties: true }), { maxItems: 1000 }),
}, { additionalProperties: true });
