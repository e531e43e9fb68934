// Request bodies of the B2B email OTP endpoints, in Stytch's field names (the same on /v1 and
// /sdk/v1). Template ids, locale, telemetry and CAPTCHA fields are accepted and not used.
import { Type } from '@sinclair/typebox';
import { EmailAddress, OrganizationId } from '../members/schema.ts';
import { SessionFields } from '../sessions/schema.ts';

const Unused = Type.Optional(Type.String({ maxLength: 4096 }));
const Minutes = Type.Optional(Type.Integer());
/** Any short string: a code that is not 6 digits is a wrong code (a try), as Stytch answers it. */
const Code = Type.String({ maxLength: 64 });
const Browser = { dfp_telemetry_id: Unused, captcha_token: Unused };

export const OtpLoginOrSignupBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  login_template_id: Unused,
  signup_template_id: Unused,
  locale: Unused,
  login_expiration_minutes: Minutes,
  signup_expiration_minutes: Minutes,
  ...Browser,
});

export const OtpAuthenticateBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  code: Code,
  ...SessionFields,
  intermediate_session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  locale: Unused,
  telemetry_id: Unused,
  ...Browser,
});

export const OtpDiscoverySendBody = Type.Object({
  email_address: EmailAddress,
  login_template_id: Unused,
  locale: Unused,
  discovery_expiration_minutes: Minutes,
  ...Browser,
});

export const OtpDiscoveryAuthenticateBody = Type.Object({
  email_address: EmailAddress,
  code: Code,
  ...Browser,
});

/** A phone number as given: checked as E.164 by shared/fields.ts checkPhone (invalid_phone_number). */
const PhoneNumber = Type.String({ maxLength: 64 });
const MemberIdField = Type.String({ maxLength: 128 });

export const SmsSendBody = Type.Object({
  organization_id: OrganizationId,
  member_id: MemberIdField,
  mfa_phone_number: Type.Optional(PhoneNumber),
  locale: Unused,
  intermediate_session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
  enable_autofill: Type.Optional(Type.Boolean()),
  ...Browser,
});

export const SmsAuthenticateBody = Type.Object({
  organization_id: OrganizationId,
  member_id: MemberIdField,
  code: Code,
  ...SessionFields,
  intermediate_session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  set_mfa_enrollment: Type.Optional(Type.String({ maxLength: 32 })),
  set_default_mfa: Type.Optional(Type.Boolean()),
  telemetry_id: Unused,
  ...Browser,
});

// ---- Consumer one-time passcodes (/v1/otps/...). Attributes are accepted and not used.
const Attributes = Type.Optional(Type.Object({ ip_address: Unused, user_agent: Unused }, { additionalProperties: true }));
const UserSend = {
  expiration_minutes: Minutes,
  attributes: Attributes,
  locale: Unused,
  ...Browser,
};
const UserSendTo = {
  user_id: Type.Optional(Type.String({ maxLength: 128 })),
  session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  session_jwt: Type.Optional(Type.String({ maxLength: 16384 })),
};
const Templates = { login_template_id: Unused, signup_template_id: Unused };
const CreateAsPending = { create_user_as_pending: Type.Optional(Type.Boolean()) };

export const UserSmsSendBody = Type.Object({ phone_number: PhoneNumber, ...UserSend, ...UserSendTo });
export const UserSmsLoginOrCreateBody = Type.Object({ phone_number: PhoneNumber, ...UserSend, ...CreateAsPending, enable_autofill: Type.Optional(Type.Boolean()) });
export const UserEmailSendBody = Type.Object({ email: Type.String({ maxLength: 320 }), ...UserSend, ...UserSendTo, ...Templates });
export const UserEmailLoginOrCreateBody = Type.Object({ email: Type.String({ maxLength: 320 }), ...UserSend, ...CreateAsPending, ...Templates });

export const UserOtpAuthenticateBody = Type.Object({
  method_id: Type.String({ maxLength: 128 }),
  code: Code,
  ...SessionFields,
  attributes: Attributes,
  options: Type.Optional(Type.Object({}, { additionalProperties: true })),
  telemetry_id: Unused,
  ...Browser,
});

/** The browser's authenticate: the headless client sends the code as `token`. */
export const BrowserUserOtpAuthenticateBody = Type.Object({
  method_id: Type.String({ maxLength: 128 }),
  token: Type.Optional(Code),
  code: Type.Optional(Code),
  session_duration_minutes: Type.Optional(Type.Integer()),
  ...Browser,
});
