// Request shapes of the OAuth endpoints, in Stytch's field names (the official clients send these).
// Telemetry, CAPTCHA and locale fields are accepted and not used.
import { Type } from '@sinclair/typebox';

const Url = Type.Optional(Type.String({ maxLength: 2048 }));
const Challenge = Type.Optional(Type.String({ maxLength: 128 }));
const Verifier = Type.Optional(Type.String({ maxLength: 256 }));
const Unused = Type.Optional(Type.String({ maxLength: 4096 }));
const Token = Type.String({ minLength: 1, maxLength: 256 });
const SessionFields = {
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
  session_duration_minutes: Type.Optional(Type.Integer()),
  session_custom_claims: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};
const BrowserExtras = { telemetry_id: Unused, dfp_telemetry_id: Unused, captcha_token: Unused, locale: Unused };

export const ProviderParams = Type.Object({ provider: Type.String({ maxLength: 40 }) });

/** The query of every start: the browser SDKs add custom_scopes and provider_* (passed on by no one yet). */
export const StartQuery = Type.Object({
  public_token: Type.String({ maxLength: 256 }),
  login_redirect_url: Url,
  signup_redirect_url: Url,
  discovery_redirect_url: Url,
  code_challenge: Challenge,
  pkce_code_challenge: Challenge,
  organization_id: Type.Optional(Type.String({ maxLength: 128 })),
  slug: Type.Optional(Type.String({ maxLength: 128 })),
  custom_scopes: Type.Optional(Type.String({ maxLength: 1024 })),
});

export const ProviderBody = Type.Object({
  client_id: Type.String({ minLength: 1, maxLength: 512 }),
  client_secret: Type.Optional(Type.String({ maxLength: 1024 })),
  custom_scopes: Type.Optional(Type.String({ maxLength: 1024 })),
  authorization_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  token_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  userinfo_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  jwks_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  issuer: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
}, { additionalProperties: false });

export const ConsumerAuthenticateBody = Type.Object({ token: Token, code_verifier: Verifier, ...SessionFields, ...BrowserExtras });
export const MemberAuthenticateBody = Type.Object({ oauth_token: Token, pkce_code_verifier: Verifier, intermediate_session_token: Unused, ...SessionFields, ...BrowserExtras });
export const DiscoveryAuthenticateBody = Type.Object({ discovery_oauth_token: Token, pkce_code_verifier: Verifier, ...SessionFields, ...BrowserExtras });
