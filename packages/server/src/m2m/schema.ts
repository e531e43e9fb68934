// Request schemas of the M2M client API and the token endpoint.
import { Type } from '@sinclair/typebox';
import { SearchBodyFields } from '../search/schema.ts';

const Scopes = Type.Array(Type.String({ maxLength: 256 }), { maxItems: 200 });
const Metadata = Type.Record(Type.String(), Type.Unknown());

export const ClientParams = Type.Object({ client_id: Type.String({ maxLength: 256 }) });

export const CreateClientBody = Type.Object(
  {
    scopes: Scopes,
    client_id: Type.Optional(Type.String({ maxLength: 256 })),
    client_secret: Type.Optional(Type.String({ maxLength: 512 })),
    client_name: Type.Optional(Type.String({ maxLength: 2048 })),
    client_description: Type.Optional(Type.String({ maxLength: 2048 })),
    trusted_metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const UpdateClientBody = Type.Object(
  {
    client_name: Type.Optional(Type.String({ maxLength: 2048 })),
    client_description: Type.Optional(Type.String({ maxLength: 2048 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
    scopes: Type.Optional(Scopes),
    trusted_metadata: Type.Optional(Type.Union([Metadata, Type.Null()])),
  },
  { additionalProperties: false },
);

export const SearchClientsBody = Type.Object(SearchBodyFields, { additionalProperties: false });

/**
 * The token request (RFC 6749 §4.4.2), form-encoded or JSON. Client credentials in the body or as
 * HTTP Basic; parameters the grant does not use are ignored, as RFC 6749 §3.2 says.
 */
export const TokenBody = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 128 })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 512 })),
  scope: Type.Optional(Type.String({ maxLength: 30_000 })),
});
