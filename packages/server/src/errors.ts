// One error type for everything a caller can be told, with a stable catalogue of error_type names
// (Stytch's own names wherever Stytch has one). src/http/errors.ts is the one place that turns these
// into HTTP responses.

interface ErrorSpec {
  status: number;
  message: string;
}

function spec(status: number, message: string): ErrorSpec {
  return { status, message };
}

export const ERROR_CATALOGUE = {
  // Request shape
  bad_request: spec(400, 'The request could not be read.'),
  invalid_argument: spec(400, 'A field of the request is invalid.'),
  invalid_organization_logo_url: spec(400, 'organization_logo_url must be an absolute http or https URL, or empty.'),
  request_too_large: spec(413, 'The request body is too large.'),
  unsupported_content_type: spec(415, 'Send the request body as application/json.'),
  route_not_found: spec(404, 'There is no endpoint at this path.'),
  method_not_allowed: spec(405, 'This endpoint does not accept this HTTP method.'),
  too_many_requests: spec(429, 'Too many requests; slow down and retry later.'),
  null_character_not_allowed: spec(400, 'The request carries a NUL character (U+0000); no field, path or query parameter may contain one.'),
  invalid_unicode_text: spec(400, 'A string in the request holds a lone UTF-16 surrogate (an unpaired \\uD800–\\uDFFF escape): it is not Unicode text.'),
  json_too_deep: spec(400, 'The JSON body nests objects and arrays deeper than the server reads.'),
  invalid_url_encoding: spec(400, 'The URL path is not valid percent-encoding (each % is followed by two hex digits of UTF-8).'),
  path_parameter_too_long: spec(414, 'A path parameter is longer than any id it could name.'),
  request_headers_too_large: spec(431, 'The request line and headers exceed 16 KB.'),
  request_timeout: spec(408, 'The request was not received in time.'),
  outbound_fetch_failed: spec(400, 'The URL could not be fetched: it must be https on a public address, answer within the time limit, redirect at most 3 times and send at most the size limit.'),
  internal_server_error: spec(500, 'Something went wrong on the server. The request id identifies it in the logs.'),
  server_unavailable: spec(503, 'The server cannot reach its database right now. Retry after the seconds in Retry-After; a write answered this way may or may not have been applied.'),

  // Callers
  unauthorized_credentials: spec(401, 'Unauthorized credentials: the project_id and secret do not match an active secret.'),

  // Registered redirect URLs (redirect-urls/): where links and sign-ins may deliver their tokens
  no_match_for_provided_magic_link_url: spec(400, "The URL is not registered for this link's type in the project's redirect URLs (POST /v1/project/redirect_urls registers it)."),
  no_match_for_provided_sso_url: spec(400, "The URL is not registered for this type in the project's redirect URLs (POST /v1/project/redirect_urls registers it)."),
  no_default_login_redirect_url_set: spec(400, 'No URL was given and the project has no default login redirect URL.'),
  no_default_signup_redirect_url_set: spec(400, 'No URL was given and the project has no default sign-up redirect URL.'),
  no_default_invite_redirect_url_set: spec(400, 'No URL was given and the project has no default invite redirect URL.'),
  no_default_discovery_redirect_url_set: spec(400, 'No URL was given and the project has no default discovery redirect URL.'),
  no_password_reset_redirect_url: spec(400, 'No URL was given and the project has no default reset-password redirect URL.'),
  invalid_url: spec(400, 'A redirect URL is an absolute URL (scheme://host/path) without credentials, fragment, wildcard, whitespace or backslash, at most 2048 characters.'),
  redirect_url_cannot_use_protocol: spec(400, 'This scheme cannot be a redirect URL (javascript:, data:, file:, intent: and the like run code or leave the app).'),
  redirect_url_must_use_https: spec(400, "A live project's redirect URLs use https (http only on localhost / loopback)."),
  invalid_redirect_url_type: spec(400, 'valid_types lists each of LOGIN, SIGNUP, INVITE, RESET_PASSWORD, DISCOVERY at most once, and at least one.'),
  duplicate_redirect_url: spec(409, 'This URL is already registered; update its types instead.'),
  redirect_url_not_found: spec(404, 'This URL is not registered in the project.'),
  too_many_redirect_urls: spec(400, 'A project registers at most 100 redirect URLs.'),

  // Browser SDK API (/sdk/v1) and its allowed origins
  origin_not_allowed: spec(403, "The request's Origin is not in the project's allowed origins for the browser SDK API."),
  invalid_allowed_origin: spec(400, 'An allowed origin is scheme://host[:port] (http or https), with no path, query or fragment.'),
  allowed_origin_not_found: spec(404, 'The origin is not in the project\'s allowed origins.'),
  cannot_update_roles: spec(403, 'Roles can only be changed with the project secret (or, in B2B, by a member allowed to change roles).'),
  field_not_writable_from_browser: spec(403, 'This field can only be changed with the project secret, not from the browser SDK.'),

  // Dashboard admins and their sessions (the admin cookie also works on /v1 routes, with the CSRF header)
  csrf_token_invalid: spec(403, 'A request with the admin cookie must carry the session\'s CSRF token in the X-Gatehouse-CSRF header.'),
  project_not_found: spec(404, 'No project with this id exists on this server.'),
  admin_not_found: spec(404, 'No admin with this email address exists.'),
  duplicate_admin_email: spec(409, 'An admin with this email address already exists.'),
  invalid_admin_password: spec(400, 'An admin password must be 12 to 256 characters and not a known breached password.'),
  cannot_manage_admins: spec(403, "Admins are managed by a signed-in admin or with a secret of the server's first project."),
  cannot_disable_last_admin: spec(400, 'This is the only active admin; create or enable another before disabling it.'),

  // Projects and secrets
  secret_not_found: spec(404, 'No active secret with this id exists in the project.'),
  cannot_revoke_last_secret: spec(400, 'This is the project\'s only active secret; create another before revoking it.'),

  // Users
  invalid_user_id: spec(400, 'The user_id is not a valid user id.'),
  user_not_found: spec(404, 'No user with this id exists in the project.'),
  invalid_email: spec(400, 'The email address is not valid.'),
  invalid_phone_number: spec(400, 'The phone number is not valid; use E.164, e.g. +12025550123.'),
  duplicate_email: spec(409, 'A user with this email address already exists.'),
  duplicate_phone_number: spec(409, 'A user with this phone number already exists.'),
  duplicate_user_external_id: spec(409, 'A user with this external_id already exists.'),
  invalid_external_id: spec(400, 'external_id may hold letters, digits and . _ - | and at most 128 characters.'),
  metadata_invalid_format: spec(400, 'Metadata must be a JSON object.'),
  metadata_too_many_keys: spec(400, 'Metadata has too many top-level keys.'),
  metadata_too_large: spec(400, 'Metadata is too large.'),
  user_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  user_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  user_search_filter_name_not_recognized: spec(400, 'The filter_name is not recognized.'),
  user_search_invalid_filter_value: spec(400, 'The filter_value does not fit the filter.'),

  // Organizations and members (B2B)
  invalid_organization_id: spec(400, 'The organization_id is not a valid organization id.'),
  organization_not_found: spec(404, 'No organization with this id exists in the project.'),
  invalid_organization_name: spec(400, 'organization_name must be 1 to 128 characters.'),
  invalid_organization_slug: spec(400, 'organization_slug must be 2 to 128 characters: lower-case letters, digits and - . _ ~'),
  organization_slug_already_used: spec(409, 'Another organization in the project has this slug.'),
  duplicate_organization_external_id: spec(409, 'Another organization in the project has this external id.'),
  invalid_email_domain: spec(400, 'An email domain is not a valid domain name.'),
  rbac_invalid_domain: spec(400, 'The domain of an implicit role rule is not a valid domain name.'),
  invalid_discovery_redirect_url: spec(400, 'discovery_redirect_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),

  // B2B discovery (discovery/)
  intermediate_session_not_found: spec(404, 'The intermediate session token is unknown, already used or expired (intermediate sessions last 10 minutes and are used once): start the discovery flow again.'),
  invalid_discovery_organizations_arguments: spec(400, 'Give exactly one of intermediate_session_token, session_token or session_jwt.'),
  rbac_domain_too_common: spec(400, 'The domain is a public mailbox provider; a role rule on it would grant the role to anyone.'),
  organization_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  organization_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  organization_search_filter_name_not_recognized: spec(400, 'The filter_name is not recognized.'),
  organization_search_invalid_filter_value: spec(400, 'The filter_value does not fit the filter.'),
  invalid_member_id: spec(400, 'The member_id is not a valid member id.'),
  member_not_found: spec(404, 'No member with this id exists in the organization.'),
  invalid_member_get_fields: spec(400, 'Give member_id or email_address.'),
  duplicate_member_email: spec(409, 'A member with this email address already exists in the organization.'),
  duplicate_member_external_id: spec(409, 'A member with this external_id already exists in the organization.'),
  member_already_active: spec(400, 'The member is not deleted; there is nothing to reactivate.'),
  member_password_not_found: spec(404, 'No member of the organization has a password with this id.'),
  invalid_email_for_jit_provisioning: spec(403, 'The organization does not let this address sign up: email_jit_provisioning must be RESTRICTED and the address\'s domain in email_allowed_domains.'),
  member_search_organization_ids_empty: spec(400, 'organization_ids must name at least one organization.'),
  member_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  member_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  member_search_filter_name_not_recognized: spec(400, 'The filter_name is not recognized.'),
  member_search_invalid_filter_value: spec(400, 'The filter_value does not fit the filter.'),
  session_authorization_error: spec(403, 'The Member is not authorized to perform the requested action on that resource.'),
  session_authorization_tenancy_error: spec(403, 'The organization in the request does not match the member session\'s organization.'),
  member_session_not_accepted: spec(403, 'This endpoint does not accept a member session (X-Stytch-Member-Session / X-Stytch-Member-SessionJWT): call it with the project secret alone.'),
  invalid_member_session_header: spec(400, 'A member-session header is empty, repeated, or names a different session than the other one.'),
  cannot_update_trusted_metadata: spec(403, 'trusted_metadata can only be changed with the project secret, not with a member session.'),

  // RBAC
  invalid_rbac_role_id: spec(400, 'A role id is not defined in the RBAC policy.'),
  cannot_assign_default_rbac_role_id: spec(400, 'Default roles are held by everyone and cannot be assigned.'),
  too_many_roles: spec(400, 'Too many roles.'),
  invalid_policy_format: spec(400, 'The policy is not in the RBAC policy format.'),
  rbac_resource_not_found: spec(404, 'No resource with this id exists in the RBAC policy.'),
  rbac_role_not_found: spec(404, 'No role with this id exists in the RBAC policy.'),
  rbac_resource_in_use: spec(409, 'The resource is still used by roles; remove those permissions first or pass cascade=true.'),
  rbac_action_in_use: spec(409, 'The action is still used by roles; remove those permissions first or pass cascade=true.'),
  rbac_role_in_use: spec(409, 'The role is still held by users; revoke it first or pass cascade=true.'),
  rbac_policy_version_not_found: spec(404, 'The policy has no version with this number.'),
  invalid_rbac_resource_id: spec(400, 'The resource_id is not declared in the RBAC policy.'),
  invalid_rbac_action: spec(400, 'The resource does not declare this action.'),
  rbac_invalid_cursor: spec(400, 'The cursor is not valid for this query.'),
  audit_event_not_found: spec(404, 'No audit event with this id exists in the project.'),
  // Policy validation codes come from @gatehouse/policy; they are all 400s. This one is also raised
  // where a role id is given outside a policy (roles, email-domain and SSO role rules).
  invalid_rbac_id_characters: spec(400, 'Role, resource and action ids may contain only ASCII letters, digits, ".", "_", "-" and ":".'),

  // Passwords. A wrong password, an unknown email and a locked account all answer
  // unauthorized_credentials (401) with one message, so the answer names no account.
  weak_password: spec(400, 'The password is too weak; see error_details.feedback for how to strengthen it.'),
  breached_password: spec(400, 'The password appears in a list of breached passwords; choose another.'),
  password_already_exists: spec(400, 'The user already has a password; reset it instead of migrating one.'),
  session_too_old_to_reset_password: spec(400, 'Resetting a password with a session needs a password, email magic link or email OTP factor from the last 5 minutes.'),
  invalid_hash_type: spec(400, 'hash_type must be bcrypt, md_5, argon_2i, argon_2id, sha_1, sha_512, scrypt, phpass or pbkdf_2.'),
  invalid_hash: spec(400, 'The hash is not valid for its hash_type.'),
  invalid_bcrypt_hash: spec(400, 'The hash is not a bcrypt hash.'),
  invalid_bcrypt_cost: spec(400, 'The bcrypt cost must be from 4 to 31.'),
  invalid_md_5_hash: spec(400, 'An MD5 hash must be the 16-byte digest, hex or base64 encoded.'),
  invalid_sha_1_hash: spec(400, 'A SHA-1 hash must be the 20-byte digest, hex or base64 encoded.'),
  invalid_sha_512_hash: spec(400, 'A SHA-512 hash must be the 64-byte digest, hex or base64 encoded.'),
  invalid_argon_2_salt: spec(400, 'The argon2 salt must be 8 to 1024 bytes.'),
  invalid_argon_2_config: spec(400, 'The argon2 parameters are out of range.'),
  argon_2_key_length_mismatch: spec(400, 'argon_2_config.key_length differs from the length of the hash.'),
  invalid_base64_scrypt_hash: spec(400, 'A scrypt hash must be base64 encoded (or a PHC $scrypt$ string).'),
  invalid_scrypt_salt_length: spec(400, 'The scrypt salt must be 1 to 1024 bytes, base64 encoded.'),
  invalid_scrypt_config: spec(400, 'The scrypt parameters are out of range.'),
  scrypt_key_length_mismatch: spec(400, 'scrypt_config.key_length differs from the length of the hash.'),
  invalid_pbkdf_2_hash: spec(400, 'A PBKDF2 hash must be base64 encoded.'),
  invalid_pbkdf_2_salt: spec(400, 'The PBKDF2 salt must be 1 to 1024 bytes, base64 encoded.'),
  invalid_pbkdf_2_iteration_amount: spec(400, 'pbkdf_2_config.iteration_amount must be from 1 to 10000000.'),
  invalid_pbkdf_2_algorithm: spec(400, 'pbkdf_2_config.algorithm must be sha256, sha512 or sha1.'),
  pbkdf_2_key_length_mismatch: spec(400, 'pbkdf_2_config.key_length differs from the length of the hash.'),
  invalid_phpass_hash_prefix: spec(400, 'A phpass hash starts with $P$ or $H$.'),
  invalid_phpass_hash: spec(400, 'The hash is not a phpass portable hash.'),

  // Sessions
  session_not_found: spec(404, 'No live session matches: it expired, was revoked, or never existed.'),
  no_session_arguments: spec(400, 'Give session_token or session_jwt.'),
  too_many_session_arguments: spec(400, 'Give session_token or session_jwt, not both.'),
  no_session_revoke_arguments: spec(400, 'Give one of session_id, session_token or session_jwt.'),
  too_many_session_revoke_arguments: spec(400, 'Give only one of session_id, session_token or session_jwt.'),
  invalid_session_duration_minutes: spec(400, 'session_duration_minutes must be from 5 to 527040.'),
  session_user_mismatch: spec(400, 'The session presented belongs to another user.'),
  unable_to_parse_session_jwt: spec(400, 'session_jwt is not a JWT.'),
  jwt_invalid_signature: spec(401, "The JWT signature does not verify with any of this project's keys."),
  jwt_invalid_audience: spec(401, 'The JWT was not issued for this project.'),
  jwt_invalid_issuer: spec(401, 'The JWT was not issued by this project.'),
  jwt_invalid_claims: spec(401, 'The JWT lacks the claims of a session.'),
  reserved_claims_in_custom_claims: spec(400, 'session_custom_claims may not set registered JWT claims.'),
  stytch_claims_in_custom_claims: spec(400, 'session_custom_claims may not use the https://stytch.com/ prefix.'),
  custom_claims_too_large: spec(400, 'session_custom_claims may be at most 4096 bytes of JSON.'),
  consumer_session_authorization_error: spec(403, 'The User is not authorized to perform the requested action on that resource.'),

  // Email magic links, invites and password resets by email
  email_not_found: spec(404, 'No user in this project has this email address.'),
  magic_link_not_found: spec(404, 'The magic link could not be authenticated, try sending another magic link to the user.'),
  unable_to_auth_magic_link: spec(401, 'The magic link could not be authenticated because it was either already used or expired. Send another magic link to this user.'),
  unable_to_auth_password_reset_token: spec(401, 'The password reset token could not be authenticated: it is unknown, already used or expired. Start another reset.'),
  invalid_expiration: spec(400, 'Expiration minutes must be a whole number from 5 to 10080 (one week).'),
  invalid_login_magic_link_url: spec(400, 'login_magic_link_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_signup_magic_link_url: spec(400, 'signup_magic_link_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_invite_magic_link_url: spec(400, 'invite_magic_link_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_login_redirect_url: spec(400, 'login_redirect_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_signup_redirect_url: spec(400, 'signup_redirect_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_invite_redirect_url: spec(400, 'invite_redirect_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_password_reset_redirect_url: spec(400, 'reset_password_redirect_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),
  invalid_pkce_code_challenge: spec(400, 'code_challenge must be base64url(SHA-256(code_verifier)): 43 characters.'),
  invalid_pkce_code_verifier: spec(400, 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~'),
  pkce_mismatch: spec(400, 'The submitted code_verifier does not match the code_challenge sent at the start of the flow.'),
  pkce_expected_code_verifier: spec(400, 'This flow was started with a code_challenge; give its code_verifier.'),
  pkce_did_not_expect_code_verifier: spec(400, 'This flow was started without a code_challenge; do not give a code_verifier.'),
  email_delivery_failed: spec(502, 'The email could not be handed to the mail server; nothing was sent. Try again.'),

  // SSO: connections and sign-in flows
  sso_connection_not_found: spec(404, 'No SSO connection with this id exists in the organization.'),
  sso_connection_not_active: spec(400, 'The SSO connection is not fully configured yet; finish its IdP settings first.'),
  sso_verification_certificate_not_found: spec(404, 'No verification certificate with this id exists on the connection.'),
  sso_token_not_found: spec(404, 'The SSO token is unknown, used or expired.'),
  sso_jit_provisioning_not_allowed: spec(403, 'The organization does not let new members join through this SSO connection.'),
  sso_member_link_not_allowed: spec(403, 'A member with this email address exists, but this connection may not sign it in by email: the connection did not create the member, its email domain is not verified for the connection, and nobody linked the member to it.'),
  sso_email_not_verified: spec(403, 'The identity provider does not say the email address is verified (email_verified), so it cannot sign in an existing member with that address.'),
  sso_member_link_not_found: spec(404, 'The member is not linked to this SSO connection.'),
  saml_assertion_replayed: spec(400, 'This SAML assertion was used already; sign in again.'),

  // SSO: OIDC
  oidc_discovery_failed: spec(400, 'OpenID discovery failed: the issuer did not serve a valid OpenID configuration at /.well-known/openid-configuration.'),
  oidc_insecure_url: spec(400, 'The OIDC issuer and endpoints must be https URLs (plain http is accepted only on loopback, for development).'),
  oidc_callback_invalid: spec(400, 'The OIDC callback carries no authorization code.'),
  oidc_state_mismatch: spec(400, 'The OIDC callback\'s state does not match the sign-in that was started; start the sign-in again.'),
  oidc_issuer_mismatch: spec(400, 'The OIDC callback comes from another issuer than the connection\'s.'),
  oidc_provider_error: spec(400, 'The identity provider refused the sign-in.'),
  oidc_token_exchange_failed: spec(400, 'The identity provider refused to exchange the authorization code: it is unknown, used or expired, the PKCE verifier does not match, or the client credentials are wrong.'),
  oidc_provider_unreachable: spec(502, 'The identity provider could not be reached or did not answer in time.'),
  oidc_nonce_mismatch: spec(400, 'The ID token\'s nonce does not match the sign-in that was started.'),
  oidc_id_token_invalid: spec(400, 'The ID token is missing or invalid: its signature does not verify with the provider\'s keys, or its issuer, audience or expiry is wrong.'),
  oidc_userinfo_failed: spec(502, 'The identity provider\'s userinfo endpoint did not give the signed-in user\'s claims.'),
  oidc_email_missing: spec(400, 'The identity provider gave no email address for the user; allow the email scope or map the email claim.'),

  // SSO: SAML
  saml_connection_not_configured: spec(400, 'The SAML connection is not ready: it needs the IdP entity id, the IdP SSO URL and at least one verification certificate.'),
  saml_certificate_invalid: spec(400, 'The certificate is not an X.509 certificate in PEM or base64 form.'),
  saml_metadata_invalid: spec(400, 'The IdP metadata is not SAML metadata naming an IdP entity id, an HTTP-Redirect SingleSignOnService and a signing certificate.'),
  saml_response_malformed: spec(400, 'The SAMLResponse is not a well-formed SAML 2.0 Response with one assertion.'),
  saml_encrypted_assertion_not_supported: spec(400, 'The SAMLResponse holds an encrypted assertion; turn assertion encryption off for this application at the IdP.'),
  saml_status_not_success: spec(400, 'The IdP did not authenticate the user: the SAMLResponse status is not Success.'),
  saml_response_unsigned: spec(400, 'The SAMLResponse carries no signature; the IdP must sign the response or the assertion.'),
  saml_signature_invalid: spec(400, "The SAMLResponse signature does not verify with any of the connection's verification certificates, or does not cover the assertion."),
  saml_issuer_mismatch: spec(400, "The assertion was issued by another IdP than the connection's idp_entity_id."),
  saml_audience_mismatch: spec(400, "The assertion's audience is not this connection's audience_uri (or alternative_audience_uri)."),
  saml_recipient_mismatch: spec(400, "The assertion's SubjectConfirmationData Recipient is not this connection's acs_url."),
  saml_destination_mismatch: spec(400, "The SAMLResponse Destination is not this connection's acs_url."),
  saml_assertion_not_yet_valid: spec(400, 'The assertion is not valid yet (NotBefore is in the future); check the clocks of the IdP and the server.'),
  saml_assertion_expired: spec(400, 'The assertion has expired (NotOnOrAfter has passed); sign in again.'),
  saml_in_response_to_mismatch: spec(400, 'The SAMLResponse does not answer the sign-in request this flow started (InResponseTo).'),
  saml_email_missing: spec(400, "The assertion carries no email address: neither the attribute mapped as email nor an email NameID."),
} as const satisfies Record<string, ErrorSpec>;

export type CatalogueErrorType = keyof typeof ERROR_CATALOGUE;

export interface GatehouseErrorOptions {
  message?: string;
  /** Structured detail safe to show the caller (e.g. every policy validation issue). */
  details?: unknown;
  /** For error types outside the catalogue (policy validation codes). */
  status?: number;
  cause?: unknown;
}

export class GatehouseError extends Error {
  readonly errorType: string;
  readonly status: number;
  readonly details: unknown;

  constructor(errorType: CatalogueErrorType | (string & {}), options: GatehouseErrorOptions = {}) {
    const known = (ERROR_CATALOGUE as Record<string, ErrorSpec>)[errorType];
    super(options.message ?? known?.message ?? errorType, { cause: options.cause });
    this.name = 'GatehouseError';
    this.errorType = errorType;
    this.status = options.status ?? known?.status ?? 400;
    this.details = options.details;
  }
}

export function isGatehouseError(error: unknown, errorType?: string): error is GatehouseError {
  return error instanceof GatehouseError && (errorType === undefined || error.errorType === errorType);
}
