// Request schemas of the users API: the bodies and params the routes validate.
import { Type } from '@sinclair/typebox';

const Name = Type.Object({
  first_name: Type.Optional(Type.String()),
  middle_name: Type.Optional(Type.String()),
  last_name: Type.Optional(Type.String()),
});
// Metadata is checked in the service (object, key count, size) for Stytch's specific error types.
const Metadata = Type.Unknown();
const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 });

export const CreateUserBody = Type.Object({
  email: Type.Optional(Type.String()),
  phone_number: Type.Optional(Type.String()),
  name: Type.Optional(Name),
  create_user_as_pending: Type.Optional(Type.Boolean()),
  trusted_metadata: Type.Optional(Metadata),
  untrusted_metadata: Type.Optional(Metadata),
  external_id: Type.Optional(Type.String()),
  roles: Type.Optional(Roles),
});

export const UpdateUserBody = Type.Object({
  name: Type.Optional(Name),
  trusted_metadata: Type.Optional(Metadata),
  untrusted_metadata: Type.Optional(Metadata),
  external_id: Type.Optional(Type.String()),
  roles: Type.Optional(Roles),
});

export const SearchUsersBody = Type.Object({
  cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  limit: Type.Optional(Type.Integer()),
  query: Type.Optional(
    Type.Union([
      Type.Object({
        operator: Type.Optional(Type.Union([Type.Literal('AND'), Type.Literal('OR')])),
        operands: Type.Array(Type.Object({ filter_name: Type.String(), filter_value: Type.Unknown() }), { maxItems: 50 }),
      }),
      Type.Null(),
    ]),
  ),
});

export const AuthorizeUserBody = Type.Object({
  user_id: Type.String(),
  authorization_check: Type.Object({ resource_id: Type.String(), action: Type.String() }),
});

export const UserIdParams = Type.Object({ user_id: Type.String() });
