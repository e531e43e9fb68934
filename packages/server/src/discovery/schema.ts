// Request bodies of the discovery endpoints, in Stytch's field names. Template ids, locale and
// telemetry ids are accepted and not used.
import { Type } from '@sinclair/typebox';
import { OrganizationBody } from '../organizations/schema.ts';

const Unused = Type.Optional(Type.String({ maxLength: 256 }));
const IntermediateSessionToken = Type.String({ minLength: 1, maxLength: 4096 });
const SessionLifetime = {
  session_duration_minutes: Type.Optional(Type.Integer()),
  session_custom_claims: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

export const DiscoverySendBody = Type.Object({
  email_address: Type.String({ maxLength: 320 }),
  discovery_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
  pkce_code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  login_template_id: Unused,
  locale: Unused,
  discovery_expiration_minutes: Type.Optional(Type.Integer()),
});

export const DiscoveryAuthenticateBody = Type.Object({
  discovery_magic_links_token: Type.String({ minLength: 1, maxLength: 1024 }),
  pkce_code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
});

export const ListOrganizationsBody = Type.Object({
  intermediate_session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
});

// Stytch's Organization fields a discovery creation takes (claimed_email_domains and the SSO
// connection fields are set later, on the organization).
const { claimed_email_domains: _claimed, sso_jit_provisioning_allowed_connections: _connections, sso_default_connection_id: _default, ...organizationFields } = OrganizationBody.properties;

export const CreateOrganizationBody = Type.Object({
  intermediate_session_token: IntermediateSessionToken,
  ...SessionLifetime,
  ...organizationFields,
  telemetry_id: Unused,
});

export const ExchangeBody = Type.Object({
  intermediate_session_token: IntermediateSessionToken,
  organization_id: Type.String({ maxLength: 128 }),
  ...SessionLifetime,
  locale: Unused,
  telemetry_id: Unused,
});
