// Request bodies of the TOTP and recovery-code endpoints, in Stytch's field names (consumer and B2B,
// /v1 and /sdk/v1).
import { Type } from '@sinclair/typebox';
import { OrganizationId } from '../members/schema.ts';
import { IntermediateSessionField, SessionFields } from '../sessions/schema.ts';

const Unused = Type.Optional(Type.String({ maxLength: 4096 }));
const Id = Type.String({ minLength: 1, maxLength: 200 });
/** Any short string: a malformed code is a wrong code, as Stytch answers it. */
const Code = Type.String({ maxLength: 64 });
const Intermediate = IntermediateSessionField;

export const B2BTotpCreateBody = Type.Object({
  organization_id: OrganizationId,
  member_id: Id,
  expiration_minutes: Type.Optional(Type.Integer()),
  ...Intermediate,
  session_token: Unused,
  session_jwt: Unused,
  dfp_telemetry_id: Unused,
  captcha_token: Unused,
});

export const B2BTotpAuthenticateBody = Type.Object({
  organization_id: OrganizationId,
  member_id: Id,
  code: Code,
  ...SessionFields,
  ...Intermediate,
  set_mfa_enrollment: Type.Optional(Type.Union([Type.Literal('enroll'), Type.Literal('unenroll')])),
  set_default_mfa: Type.Optional(Type.Boolean()),
  telemetry_id: Unused,
  dfp_telemetry_id: Unused,
  captcha_token: Unused,
});

export const B2BRecoveryCodesRecoverBody = Type.Object({
  organization_id: OrganizationId,
  member_id: Id,
  recovery_code: Code,
  ...SessionFields,
  ...Intermediate,
  telemetry_id: Unused,
  dfp_telemetry_id: Unused,
  captcha_token: Unused,
});

export const B2BRecoveryCodesRotateBody = Type.Object({ organization_id: OrganizationId, member_id: Id });
export const B2BRecoveryCodesParams = Type.Object({ organization_id: OrganizationId, member_id: Id });

const UserId = Type.String({ minLength: 1, maxLength: 200 });

export const TotpCreateBody = Type.Object({ user_id: UserId, expiration_minutes: Type.Optional(Type.Integer()) });
export const TotpAuthenticateBody = Type.Object({ user_id: UserId, totp_code: Code, ...SessionFields, telemetry_id: Unused });
export const TotpRecoveryCodesBody = Type.Object({ user_id: UserId });
export const TotpRecoverBody = Type.Object({ user_id: UserId, recovery_code: Code, ...SessionFields, telemetry_id: Unused });

const Browser = { dfp_telemetry_id: Unused, captcha_token: Unused };
export const SdkTotpCreateBody = Type.Object({ expiration_minutes: Type.Optional(Type.Integer()), ...Browser });
export const SdkTotpAuthenticateBody = Type.Object({ totp_code: Code, session_duration_minutes: Type.Optional(Type.Integer()), ...Browser });
export const SdkRecoverBody = Type.Object({ recovery_code: Code, session_duration_minutes: Type.Optional(Type.Integer()), ...Browser });
export const SdkRotateBody = Type.Object({ ...Browser });
