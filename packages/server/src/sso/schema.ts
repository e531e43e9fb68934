// The SSO API's request schemas: connection create and update (SAML, SAML by metadata, OIDC), shared
// by the /v1 routes (routes.ts) and the browser's (sdk-routes.ts).
import { Type, type Static } from '@sinclair/typebox';
import { IntermediateSessionField } from '../sessions/schema.ts';

export const OrganizationParams = Type.Object({ organization_id: Type.String() });
export const ConnectionParams = Type.Object({ organization_id: Type.String(), connection_id: Type.String() });
export const CreateBody = Type.Object({ display_name: Type.Optional(Type.String({ maxLength: 256 })), identity_provider: Type.Optional(Type.String({ maxLength: 64 })) });
const RoleRules = Type.Array(Type.Object({ role_id: Type.String({ minLength: 1, maxLength: 128 }) }), { maxItems: 100 });
const GroupRules = Type.Array(Type.Object({ role_id: Type.String({ minLength: 1, maxLength: 128 }), group: Type.String({ minLength: 1, maxLength: 256 }) }), { maxItems: 1000 });
const Mapping = Type.Record(Type.String(), Type.String({ maxLength: 256 }));
// Gatehouse addition: email domains the organization vouches for at this connection (project secret only).
const VerifiedDomains = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 });

/** External connections (Stytch's sso.external): the other organization's connection, and this organization's own role rules. */
export const ExternalCreateBody = Type.Object({
  external_organization_id: Type.String({ minLength: 1, maxLength: 256 }),
  external_connection_id: Type.String({ minLength: 1, maxLength: 256 }),
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  connection_implicit_role_assignments: Type.Optional(RoleRules),
  group_implicit_role_assignments: Type.Optional(GroupRules),
});
export const ExternalUpdateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  external_connection_implicit_role_assignments: Type.Optional(RoleRules),
  external_group_implicit_role_assignments: Type.Optional(GroupRules),
});
export type ExternalCreateBodyType = Static<typeof ExternalCreateBody>;
export type ExternalUpdateBodyType = Static<typeof ExternalUpdateBody>;

export const SamlUpdateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  identity_provider: Type.Optional(Type.String({ maxLength: 64 })),
  idp_entity_id: Type.Optional(Type.String({ maxLength: 2048 })),
  idp_sso_url: Type.Optional(Type.String({ maxLength: 2048 })),
  x509_certificate: Type.Optional(Type.String({ maxLength: 20_000 })),
  attribute_mapping: Type.Optional(Mapping),
  nameid_format: Type.Optional(Type.String({ maxLength: 256 })),
  alternative_audience_uri: Type.Optional(Type.String({ maxLength: 2048 })),
  idp_initiated_auth_disabled: Type.Optional(Type.Boolean()),
  saml_connection_implicit_role_assignments: Type.Optional(RoleRules),
  saml_group_implicit_role_assignments: Type.Optional(GroupRules),
  verified_email_domains: Type.Optional(VerifiedDomains),
});
export type SamlUpdateBodyType = Static<typeof SamlUpdateBody>;

export const MetadataBody = Type.Object({ metadata_url: Type.Optional(Type.String({ maxLength: 2048 })), metadata_xml: Type.Optional(Type.String({ maxLength: 500_000 })) });
export type MetadataBodyType = Static<typeof MetadataBody>;

export const OidcUpdateBody = Type.Object({
  display_name: Type.Optional(Type.String({ maxLength: 256 })),
  identity_provider: Type.Optional(Type.String({ maxLength: 64 })),
  client_id: Type.Optional(Type.String({ maxLength: 1024 })),
  client_secret: Type.Optional(Type.String({ maxLength: 4096 })),
  issuer: Type.Optional(Type.String({ maxLength: 2048 })),
  authorization_url: Type.Optional(Type.String({ maxLength: 2048 })),
  token_url: Type.Optional(Type.String({ maxLength: 2048 })),
  userinfo_url: Type.Optional(Type.String({ maxLength: 2048 })),
  jwks_url: Type.Optional(Type.String({ maxLength: 2048 })),
  custom_scopes: Type.Optional(Type.String({ maxLength: 1024 })),
  attribute_mapping: Type.Optional(Mapping),
  // Gatehouse addition: implicit roles for OIDC connections too (Stytch has them for SAML only).
  oidc_connection_implicit_role_assignments: Type.Optional(RoleRules),
  oidc_group_implicit_role_assignments: Type.Optional(GroupRules),
  verified_email_domains: Type.Optional(VerifiedDomains),
});
export type OidcUpdateBodyType = Static<typeof OidcUpdateBody>;

/** sso.authenticate from the browser SDK (its captcha and telemetry fields are accepted and not used). */
export const SdkAuthenticateBody = Type.Object({
  sso_token: Type.String({ maxLength: 256 }),
  pkce_code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  session_duration_minutes: Type.Optional(Type.Integer()),
  ...IntermediateSessionField,
  dfp_telemetry_id: Type.Optional(Type.String({ maxLength: 1024 })),
  captcha_token: Type.Optional(Type.String({ maxLength: 4096 })),
});
