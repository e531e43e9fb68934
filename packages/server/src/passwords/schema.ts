// Request schemas of the passwords API, consumer and B2B.
import { Type } from '@sinclair/typebox';
import { AuthenticateBody, Email as LinkEmail, Ignored, Minutes, Url } from '../magic-links/schema.ts';
import { EmailAddress, OrganizationId } from '../members/schema.ts';
import { IntermediateSessionField, SessionFields } from '../sessions/schema.ts';
import { CreateUserBody } from '../users/schema.ts';

// Any UTF-8 is allowed; the cap keeps hashing a bounded amount of work.
export const Password = Type.String({ maxLength: 1024 });
const Email = Type.String({ maxLength: 512 });
const { name, trusted_metadata, untrusted_metadata, roles, external_id, phone_number } = CreateUserBody.properties;
const NewSession = { session_duration_minutes: SessionFields.session_duration_minutes, session_custom_claims: SessionFields.session_custom_claims };

export const PasswordCreateBody = Type.Object({ email: Email, password: Password, ...NewSession, name, trusted_metadata, untrusted_metadata });
export const PasswordAuthenticateBody = Type.Object({ email: Email, password: Password, ...SessionFields });
export const PasswordStrengthCheckBody = Type.Object({ password: Password, email: Type.Optional(Email) });
export const ExistingPasswordResetBody = Type.Object({ email: Email, existing_password: Password, new_password: Password, ...SessionFields });
export const PasswordSessionResetBody = Type.Object({ password: Password, ...SessionFields });

const Salts = Type.Optional(Type.Object({ prepend_salt: Type.Optional(Type.String({ maxLength: 1024 })), append_salt: Type.Optional(Type.String({ maxLength: 1024 })) }));
const Salt = Type.String({ maxLength: 2048 });
/** passwords/migrate's hash and its config, consumer and B2B. */
export const MigrateHashFields = {
  hash: Type.String({ maxLength: 4096 }),
  hash_type: Type.String({ maxLength: 64 }),
  md_5_config: Salts,
  sha_1_config: Salts,
  sha_512_config: Salts,
  argon_2_config: Type.Optional(
    Type.Object({ salt: Salt, iteration_amount: Type.Integer(), memory: Type.Integer(), threads: Type.Integer(), key_length: Type.Integer() }),
  ),
  scrypt_config: Type.Optional(
    Type.Object({ salt: Salt, n_parameter: Type.Integer(), r_parameter: Type.Integer(), p_parameter: Type.Integer(), key_length: Type.Integer() }),
  ),
  pbkdf_2_config: Type.Optional(
    Type.Object({ salt: Salt, iteration_amount: Type.Integer(), key_length: Type.Integer(), algorithm: Type.Optional(Type.String({ maxLength: 16 })) }),
  ),
};
export const PasswordMigrateBody = Type.Object({
  email: Email,
  ...MigrateHashFields,
  name,
  trusted_metadata,
  untrusted_metadata,
  set_email_verified: Type.Optional(Type.Boolean()),
  phone_number,
  set_phone_number_verified: Type.Optional(Type.Boolean()),
  external_id,
  roles,
});

// B2B passwords.
const Locale = Type.Optional(Type.String({ maxLength: 32 }));

export const B2BPasswordAuthenticateBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  password: Password,
  ...SessionFields,
  ...IntermediateSessionField,
  locale: Locale,
});

/** reset/start, backend and browser (the browser adds its CAPTCHA and telemetry fields, not used). */
export const B2BPasswordResetStartBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  reset_password_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
  reset_password_expiration_minutes: Type.Optional(Type.Integer()),
  code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  login_redirect_url: Type.Optional(Type.String({ maxLength: 2048 })),
  locale: Locale,
  reset_password_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  verify_email_template_id: Type.Optional(Type.String({ maxLength: 256 })),
  captcha_token: Type.Optional(Type.String({ maxLength: 4096 })),
  dfp_telemetry_id: Type.Optional(Type.String({ maxLength: 4096 })),
});

export const B2BPasswordResetBody = Type.Object({
  password_reset_token: Type.String({ minLength: 1, maxLength: 1024 }),
  password: Password,
  code_verifier: Type.Optional(Type.String({ maxLength: 256 })),
  ...SessionFields,
  locale: Locale,
  intermediate_session_token: Type.Optional(Type.String({ maxLength: 4096 })),
  telemetry_id: Type.Optional(Type.String({ maxLength: 256 })),
  captcha_token: Type.Optional(Type.String({ maxLength: 4096 })),
  dfp_telemetry_id: Type.Optional(Type.String({ maxLength: 4096 })),
});

export const B2BPasswordMigrateBody = Type.Object({
  organization_id: OrganizationId,
  email_address: EmailAddress,
  ...MigrateHashFields,
  name: Type.Optional(Type.String()),
  trusted_metadata: Type.Optional(Type.Unknown()),
  untrusted_metadata: Type.Optional(Type.Unknown()),
  roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 })),
  // Accepted; a migrate changes no roles of an existing member, so no session is affected.
  preserve_existing_sessions: Type.Optional(Type.Boolean()),
  mfa_phone_number: Type.Optional(Type.String()),
  set_phone_number_verified: Type.Optional(Type.Boolean()),
  external_id: Type.Optional(Type.String()),
});

export const B2BPasswordStrengthCheckBody = Type.Object({ password: Password, email_address: Type.Optional(EmailAddress) });

// Password reset by email: start sends the link, reset spends its token with the new password.
export const ResetStartBody = Type.Object({
  email: LinkEmail,
  reset_password_redirect_url: Type.Optional(Url),
  reset_password_expiration_minutes: Type.Optional(Minutes),
  code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
  login_redirect_url: Type.Optional(Url),
  reset_password_template_id: Type.Optional(Type.String()),
  locale: Ignored.locale,
  attributes: Ignored.attributes,
});

export const ResetBody = Type.Object({
  ...AuthenticateBody.properties,
  // Any UTF-8; the cap bounds the hashing work.
  password: Type.String({ maxLength: 1024 }),
});
