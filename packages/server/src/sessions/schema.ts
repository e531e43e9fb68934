// Request schemas of the sessions API, consumer and B2B. SessionFields is the session part of every
// authenticate-style body (passwords, magic links, SSO).
import { Type } from '@sinclair/typebox';

export const SessionFields = {
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
  session_duration_minutes: Type.Optional(Type.Integer()),
  session_custom_claims: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

export const SessionAuthenticateBody = Type.Object({
  ...SessionFields,
  authorization_check: Type.Optional(Type.Object({ resource_id: Type.String(), action: Type.String() })),
});

export const SessionRevokeBody = Type.Object({
  session_id: Type.Optional(Type.String()),
  session_token: Type.Optional(Type.String()),
  session_jwt: Type.Optional(Type.String()),
});

export const MemberSessionAuthenticateBody = Type.Object({
  ...SessionFields,
  authorization_check: Type.Optional(
    Type.Object({ organization_id: Type.String(), resource_id: Type.String(), action: Type.String() }),
  ),
});

export const MemberSessionRevokeBody = Type.Object({
  member_session_id: Type.Optional(Type.String()),
  session_token: Type.Optional(Type.String()),
  session_jwt: Type.Optional(Type.String()),
  member_id: Type.Optional(Type.String()),
});
