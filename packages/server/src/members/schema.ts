// Request schemas of the members API.
import { Type, type Static } from '@sinclair/typebox';

// A member's email address and an organization id, as every B2B body takes them.
export const EmailAddress = Type.String({ maxLength: 320 });
export const OrganizationId = Type.String({ maxLength: 128 });

const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 });

export const CreateMemberBody = Type.Object({
  email_address: Type.String(),
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  create_member_as_pending: Type.Optional(Type.Boolean()),
  is_breakglass: Type.Optional(Type.Boolean()),
  mfa_phone_number: Type.Optional(Type.String()),
  mfa_enrolled: Type.Optional(Type.Boolean()),
  roles: Type.Optional(Roles),
  external_id: Type.Optional(Type.String()),
});

export const UpdateMemberBody = Type.Object({
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  is_breakglass: Type.Optional(Type.Boolean()),
  mfa_phone_number: Type.Optional(Type.String()),
  mfa_enrolled: Type.Optional(Type.Boolean()),
  roles: Type.Optional(Roles),
  preserve_existing_sessions: Type.Optional(Type.Boolean()),
  default_mfa_method: Type.Optional(Type.String()),
  email_address: Type.Optional(Type.String()),
  external_id: Type.Optional(Type.String()),
  unlink_email: Type.Optional(Type.Boolean()),
});
export type UpdateMemberBodyType = Static<typeof UpdateMemberBody>;

/** Stytch's start_email_update body; locale and template are accepted and not used. */
export const StartEmailUpdateBody = Type.Object({
  email_address: Type.String({ maxLength: 320 }),
  login_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
  locale: Type.Optional(Type.String({ maxLength: 32 })),
  login_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  delivery_method: Type.Optional(Type.String({ maxLength: 32 })),
});
export type StartEmailUpdateBodyType = Static<typeof StartEmailUpdateBody>;

export const OrganizationParams = Type.Object({ organization_id: Type.String() });
export const MemberParams = Type.Object({ organization_id: Type.String(), member_id: Type.String() });
