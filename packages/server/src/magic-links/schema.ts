// The magic-link endpoints' request bodies, as Stytch names their fields.
import { Type } from '@sinclair/typebox';
import { EmailAddress, OrganizationId } from '../members/schema.ts';
import { SessionFields } from '../sessions/schema.ts';

// Stytch's request fields. Template ids, locale and attributes are accepted and not used (Gatehouse
// has one built-in message per kind); unknown fields are ignored, as Stytch does.
export const Email = Type.String({ maxLength: 320 });
export const Url = Type.String({ maxLength: 2048 });
export const Minutes = Type.Integer();
export const Ignored = {
  login_template_id: Type.Optional(Type.String()),
  signup_template_id: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  attributes: Type.Optional(Type.Object({ ip_address: Type.Optional(Type.String()), user_agent: Type.Optional(Type.String()) })),
};

const SendFields = {
  email: Email,
  login_magic_link_url: Type.Optional(Url),
  signup_magic_link_url: Type.Optional(Url),
  login_expiration_minutes: Type.Optional(Minutes),
  signup_expiration_minutes: Type.Optional(Minutes),
  code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  ...Ignored,
};

export const LoginOrCreateBody = Type.Object({ ...SendFields, create_user_as_pending: Type.Optional(Type.Boolean()) });

export const SendBody = Type.Object({
  ...SendFields,
  // Attaching a new address to a signed-in user is not supported yet: these must name the address's owner.
  user_id: Type.Optional(Type.String()),
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
});

export const InviteBody = Type.Object({
  email: Email,
  invite_magic_link_url: Type.Optional(Url),
  invite_expiration_minutes: Type.Optional(Minutes),
  name: Type.Optional(Type.Object({
    first_name: Type.Optional(Type.String()),
    middle_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
  })),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  invite_template_id: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  attributes: Ignored.attributes,
});

export const RevokeInviteBody = Type.Object({ email: Email });

export const AuthenticateBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 1024 }),
  code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionFields,
  attributes: Ignored.attributes,
  options: Type.Optional(Type.Object({ ip_match_required: Type.Optional(Type.Boolean()), user_agent_match_required: Type.Optional(Type.Boolean()) })),
  telemetry_id: Type.Optional(Type.String()),
});

/** The B2B invite's fields (/v1/b2b/magic_links/email/invite); the browser's has no organization_id (the signed-in member's). */
const MemberInviteFields = {
  email_address: EmailAddress,
  invite_redirect_url: Type.Optional(Url),
  invited_by_member_id: Type.Optional(Type.String({ maxLength: 256 })),
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  invite_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  locale: Type.Optional(Type.String({ maxLength: 256 })),
  roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 })),
  invite_expiration_minutes: Type.Optional(Minutes),
};
export const MemberInviteBody = Type.Object({ organization_id: OrganizationId, ...MemberInviteFields });
export const BrowserMemberInviteBody = Type.Object(MemberInviteFields);

/** B2B login_or_signup (/v1 and /sdk/v1); template ids and locale are accepted and not used. */
export const MemberLoginOrSignupBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  login_redirect_url: Type.Optional(Url),
  signup_redirect_url: Type.Optional(Url),
  pkce_code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  login_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  signup_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  locale: Type.Optional(Type.String({ maxLength: 256 })),
  login_expiration_minutes: Type.Optional(Minutes),
  signup_expiration_minutes: Type.Optional(Minutes),
});
