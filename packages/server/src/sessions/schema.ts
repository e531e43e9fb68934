// Request schemas of the sessions API, consumer and B2B. SessionFields is the session part of every
// authenticate-style body (passwords, magic links, SSO).
import { Type } from '@sinclair/typebox';

export const SessionFields = {
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
  session_duration_minutes: Type.Optional(Type.Integer()),
  session_custom_claims: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

/** The intermediate session a B2B sign-in completes (an earlier step's primary_required or mfa_required). */
export const IntermediateSessionField = {
  intermediate_session_token: Type.Optional(Type.String({ maxLength: 4096 })),
};

/** b2b/sessions/exchange: the session moves to another organization. */
export const SessionExchangeBody = Type.Object({
  organization_id: Type.String({ maxLength: 128 }),
  ...SessionFields,
  locale: Type.Optional(Type.String({ maxLength: 32 })),
});

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
