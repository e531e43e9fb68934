// One error type for everything a caller can be told, with a stable catalogue of error_type names
// (Stytch's own names wherever Stytch has one). src/http/errors.ts is the one place that turns these
// into HTTP responses.
//
// The catalogue holds every status and every message: a throw site names a key and, when the key's
// message is a template, the params it fills in. A key whose message differs by site but whose
// error_type must not (Stytch's invalid_argument, a 409 clash beside a 400 policy issue) is a variant:
// its own key, answering with the error_type it names in `as`.
import { POLICY_ISSUE_CODES, type PolicyIssue, type PolicyIssueCode } from '@gatehouse/policy';

/** Param values a template interpolates: text and numbers only, so the docs page can show placeholders. */
type TemplateParams = Record<string, string | number>;
type Template<P extends TemplateParams> = (params: P) => string;

interface ErrorSpec {
  readonly status: number;
  readonly message: string | Template<never>;
  /** The error_type on the wire when it is not the key (a variant of that catalogue key). */
  readonly as?: string;
  /** What the docs page shows for a template that cannot render placeholders. */
  readonly summary?: string;
}

function spec<const M extends string | Template<never>, const A extends string | undefined = undefined>(
  status: number,
  message: M,
  as?: A,
): { status: number; message: M; as: A } {
  return { status, message, as: as as A };
}

/** A policy validation code: its message lists every issue the validator found (also in error_details). */
function policyIssue(summary: string) {
  return {
    status: 400,
    message: (params: { issues: readonly PolicyIssue[] }) =>
      params.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; '),
    as: undefined,
    summary,
  };
}

/** The error_type a request-schema failure answers with, by the field it concerns. */
const SCHEMA_ERROR_TYPES = [
  'invalid_argument',
  'invalid_email',
  'invalid_phone_number',
  'invalid_user_id',
  'invalid_external_id',
  'metadata_invalid_format',
  'user_search_invalid_limit',
  'user_search_invalid_cursor',
] as const;
export type SchemaErrorType = (typeof SCHEMA_ERROR_TYPES)[number];

/** One variant per schema error type, `schema_<type>`, with the validator's words about the field. */
function schemaVariants() {
  const template = (params: { where: string; problem: string }) => `${params.where} ${params.problem}.`;
  return Object.fromEntries(SCHEMA_ERROR_TYPES.map((type) => [`schema_${type}`, spec(400, template, type)])) as {
    [T in SchemaErrorType as `schema_${T}`]: { status: number; message: typeof template; as: T };
  };
}

/** The catalogue key of a schema failure with this error_type. */
export function schemaErrorKey(errorType: SchemaErrorType): `schema_${SchemaErrorType}` {
  return `schema_${errorType}`;
}

/** A search's error types by the prefix of the searched thing (users, organizations, members). */
export type SearchPrefix = 'user_search' | 'organization_search' | 'member_search' | 'm2m_search';

const filterNameNotRecognized = (p: { filter_name: string; filter_names: string }) =>
  `filter_name "${p.filter_name}" is not recognized; use one of ${p.filter_names}.`;
const invalidFilterValue = (p: { filter_name: string; expected: string }) => `filter_value of ${p.filter_name} must be ${p.expected}.`;

export const ERROR_CATALOGUE = {
  // Request shape
  bad_request: spec(400, 'The request could not be read.'),
  invalid_json_body: spec(400, 'The request body is not valid JSON.', 'bad_request'),
  malformed_http_request: spec(400, 'The request is not well-formed HTTP/1.1 and could not be read.', 'bad_request'),
  invalid_argument: spec(400, 'A field of the request is invalid.'),
  ...schemaVariants(),
  invalid_project_id_value: spec(400, 'project id must look like project-test-<uuid> or project-live-<uuid>', 'invalid_argument'),
  invalid_public_token_value: spec(400, 'public token must look like public-token-test-<uuid>', 'invalid_argument'),
  invalid_secret_value: spec(400, 'secret must be 24 to 256 characters with no spaces or colons', 'invalid_argument'),
  project_environment_mismatch: spec(400, (p: { project_id: string; environment: string }) => `project id ${p.project_id} is not a ${p.environment} project id (GATEHOUSE_ENVIRONMENT)`, 'invalid_argument'),
  name_too_long: spec(400, (p: { field: string }) => `${p.field} may be at most 256 characters.`, 'invalid_argument'),
  invalid_timestamp_argument: spec(400, (p: { field: string }) => `${p.field} must be an RFC 3339 timestamp like 2026-01-31T12:00:00Z.`, 'invalid_argument'),
  invalid_choice_argument: spec(400, (p: { field: string; choices: string }) => `${p.field} must be one of ${p.choices}.`, 'invalid_argument'),
  invalid_limit_argument: spec(400, (p: { max: number }) => `limit must be a whole number from 1 to ${p.max}.`, 'invalid_argument'),
  invalid_cursor_argument: spec(400, 'cursor is not a cursor this endpoint returned.', 'invalid_argument'),
  invalid_http_url_argument: spec(400, (p: { field: string }) => `${p.field} must be an absolute http(s) URL.`, 'invalid_argument'),
  invalid_search_operator: spec(400, 'query.operator must be "AND" or "OR".', 'invalid_argument'),
  invalid_organization_logo_url: spec(400, (p: { field: string }) => `${p.field} must be an absolute http or https URL (or empty to clear it).`),
  request_too_large: spec(413, 'The request body is too large.'),
  unsupported_content_type: spec(415, 'Send the request body as application/json.'),
  route_not_found: spec(404, (p: { method: string; path: string }) => `No endpoint at ${p.method} ${p.path}.`),
  method_not_allowed: spec(405, (p: { method: string; allowed: string }) => `${p.method} is not allowed here; use ${p.allowed}.`),
  too_many_requests: spec(429, (p: { retry_after_seconds: number }) => `Too many requests; retry in ${p.retry_after_seconds} seconds.`),
  null_character_not_allowed: spec(400, 'The request carries a NUL character (U+0000); no field, path or query parameter may contain one.'),
  invalid_unicode_text: spec(400, 'A string in the request holds a lone UTF-16 surrogate (an unpaired \\uD800–\\uDFFF escape): it is not Unicode text.'),
  json_too_deep: spec(400, (p: { max_depth: number }) => `The JSON body nests objects and arrays more than ${p.max_depth} deep.`),
  invalid_url_encoding: spec(400, 'The URL path is not valid percent-encoding (each % is followed by two hex digits of UTF-8).'),
  path_parameter_too_long: spec(414, 'A path parameter is longer than any id it could name.'),
  request_headers_too_large: spec(431, 'The request line and headers exceed 16 KB.'),
  request_timeout: spec(408, 'The request was not received in time.'),
  outbound_fetch_failed: spec(400, 'The URL could not be fetched: it must be https on a public address, answer within the time limit, redirect at most 3 times and send at most the size limit.'),
  internal_server_error: spec(500, 'Something went wrong on the server. The request id identifies it in the logs.'),
  server_unavailable: spec(503, 'The server cannot reach its database right now. Retry after the seconds in Retry-After; a write answered this way may or may not have been applied.'),
  server_not_ready: spec(503, 'Not ready: see error_details.', 'server_unavailable'),

  // Callers
  unauthorized_credentials: spec(401, 'Unauthorized credentials: the project_id and secret do not match an active secret.'),
  admin_credentials_invalid: spec(401, 'The email address and password do not match an active admin.', 'unauthorized_credentials'),
  admin_session_not_found: spec(401, 'No live admin session: it expired, was ended, or never existed. Sign in again.', 'unauthorized_credentials'),
  password_credentials_invalid: spec(401, 'The email address and password do not match an account that may sign in.', 'unauthorized_credentials'),
  sdk_secret_credentials: spec(401, "The browser SDK API takes HTTP Basic public_token:session_token with the project's public token, never the project id and secret.", 'unauthorized_credentials'),

  // Registered redirect URLs (redirect-urls/): where links and sign-ins may deliver their tokens
  no_match_for_provided_magic_link_url: spec(400, (p: { field: string; type: string }) => `${p.field} is not registered as a ${p.type} redirect URL of this project (POST /v1/project/redirect_urls registers it).`),
  no_match_for_provided_sso_url: spec(400, (p: { field: string; type: string }) => `${p.field} is not registered as a ${p.type} redirect URL of this project (POST /v1/project/redirect_urls registers it).`),
  no_default_login_redirect_url_set: spec(400, 'No URL was given and the project has no default login redirect URL.'),
  no_default_signup_redirect_url_set: spec(400, 'No URL was given and the project has no default sign-up redirect URL.'),
  no_default_invite_redirect_url_set: spec(400, 'No URL was given and the project has no default invite redirect URL.'),
  no_default_discovery_redirect_url_set: spec(400, 'No URL was given and the project has no default discovery redirect URL.'),
  no_password_reset_redirect_url: spec(400, 'No URL was given and the project has no default reset-password redirect URL.'),
  invalid_url: spec(400, (p: { reason: string }) => `The redirect URL ${p.reason}.`),
  redirect_url_cannot_use_protocol: spec(400, (p: { reason: string }) => `The redirect URL ${p.reason}.`),
  redirect_url_must_use_https: spec(400, "A live project's redirect URLs use https (http only on localhost / loopback)."),
  invalid_redirect_url_type: spec(400, 'valid_types lists each of LOGIN, SIGNUP, INVITE, RESET_PASSWORD, DISCOVERY at most once, and at least one.'),
  unknown_redirect_url_type: spec(400, (p: { type: string; types: string }) => `valid_types: "${p.type}" is unknown or listed twice; the types are ${p.types}.`, 'invalid_redirect_url_type'),
  no_redirect_url_type: spec(400, 'valid_types lists no type: give at least one.', 'invalid_redirect_url_type'),
  redirect_url_query_missing: spec(400, 'Name the redirect URL in the query: ?url=https%3A%2F%2Fapp.example.com%2Fauthenticate', 'invalid_argument'),
  duplicate_redirect_url: spec(409, 'This URL is already registered; update its types instead.'),
  redirect_url_not_found: spec(404, 'This URL is not registered in the project.'),
  too_many_redirect_urls: spec(400, 'A project registers at most 100 redirect URLs.'),

  // Browser SDK API (/sdk/v1) and its allowed origins
  origin_not_allowed: spec(403, (p: { origin: string }) => `${p.origin} is not in this project's allowed origins (POST /v1/project/allowed_origins adds it).`),
  preflight_origin_missing: spec(403, 'A preflight needs an Origin header.', 'origin_not_allowed'),
  invalid_allowed_origin: spec(400, 'An allowed origin is scheme://host[:port] (http or https), with no path, query or fragment.'),
  allowed_origin_not_a_url: spec(400, (p: { input: string }) => `"${p.input}" is not a URL; an allowed origin is scheme://host[:port].`, 'invalid_allowed_origin'),
  allowed_origin_not_an_origin: spec(400, (p: { input: string }) => `"${p.input}" is not an origin: give scheme://host[:port] over http or https, with nothing after it.`, 'invalid_allowed_origin'),
  allowed_origin_missing: spec(400, 'Give the origin to remove: {"origin": "https://app.example.com"} or ?origin=.', 'invalid_argument'),
  allowed_origin_not_found: spec(404, (p: { origin: string }) => `${p.origin} is not in the project's allowed origins.`),
  cannot_update_roles: spec(403, 'Roles can only be changed with the project secret (or, in B2B, by a member allowed to change roles).'),
  sdk_roles_not_writable: spec(403, 'roles can only be changed with the project secret, never from the browser.', 'cannot_update_roles'),
  field_not_writable_from_browser: spec(403, (p: { field: string }) => `${p.field} can only be changed with the project secret, never from the browser.`),
  sdk_trusted_metadata_not_writable: spec(403, 'trusted_metadata can only be changed with the project secret, never from the browser.', 'cannot_update_trusted_metadata'),
  sdk_session_missing: spec(404, 'The request carries no session: sign in first.', 'session_not_found'),

  // Dashboard admins and their sessions (the admin cookie also works on /v1 routes, with the CSRF header)
  csrf_token_invalid: spec(403, 'A request with the admin cookie must carry the session\'s CSRF token in the X-Gatehouse-CSRF header.'),
  project_not_found: spec(404, 'No project with this id exists on this server.'),
  project_header_not_found: spec(404, 'X-Gatehouse-Project names no project on this server.', 'project_not_found'),
  no_project_yet: spec(404, 'This server has no project yet.', 'project_not_found'),
  admin_not_found: spec(404, 'No admin with this email address exists.'),
  duplicate_admin_email: spec(409, 'An admin with this email address already exists.'),
  invalid_admin_password: spec(400, 'An admin password must be 12 to 256 characters and not a known breached password.'),
  cannot_manage_admins: spec(403, "Admins are managed by a signed-in admin or with a secret of the server's first project."),
  cannot_disable_last_admin: spec(400, 'This is the only active admin; create or enable another before disabling it.'),

  // Projects and secrets
  secret_not_found: spec(404, 'No active secret with this id exists in the project.'),
  cannot_revoke_last_secret: spec(400, 'This is the project\'s only active secret; create another before revoking it.'),

  // Users
  invalid_user_id: spec(400, (p: { user_id: string }) => `"${p.user_id}" is not a user id (user-test-<uuid>).`),
  user_not_found: spec(404, (p: { user_id: string }) => `No user "${p.user_id}" in this project.`),
  invalid_email: spec(400, (p: { email: string }) => `"${p.email}" is not a valid email address.`),
  invalid_phone_number: spec(400, 'The phone number is not valid; use E.164, e.g. +12025550123.'),
  duplicate_email: spec(409, 'A user with this email address already exists.'),
  duplicate_phone_number: spec(409, 'A user with this phone number already exists.'),
  duplicate_user_external_id: spec(409, 'A user with this external_id already exists.'),
  invalid_external_id: spec(400, 'external_id may hold letters, digits and . _ - | and at most 128 characters.'),
  metadata_invalid_format: spec(400, (p: { field: string }) => `${p.field} must be a JSON object.`),
  metadata_too_many_keys: spec(400, (p: { field: string; max: number }) => `${p.field} may have at most ${p.max} top-level keys.`),
  metadata_too_large: spec(400, (p: { field: string; max: number }) => `${p.field} may be at most ${p.max} bytes of JSON.`),
  user_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  user_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  user_search_filter_name_not_recognized: spec(400, filterNameNotRecognized),
  user_search_invalid_filter_value: spec(400, invalidFilterValue),

  // Organizations and members (B2B)
  invalid_organization_id: spec(400, (p: { organization_id: string }) => `"${p.organization_id}" is not an organization id (organization-test-<uuid>).`),
  organization_not_found: spec(404, (p: { organization_id: string }) => `No organization "${p.organization_id}" in this project.`),
  invalid_organization_name: spec(400, 'organization_name must be 1 to 128 characters.'),
  organization_name_required: spec(400, 'organization_name is required.', 'invalid_organization_name'),
  invalid_organization_slug: spec(400, 'organization_slug must be 2 to 128 characters: lower-case letters, digits and - . _ ~'),
  organization_slug_already_used: spec(409, 'Another organization in the project has this slug.'),
  duplicate_organization_external_id: spec(409, 'Another organization in the project has this external id.'),
  invalid_email_domain: spec(400, (p: { domain: string }) => `"${p.domain}" is not a domain name.`),
  public_mailbox_email_domain: spec(400, (p: { domain: string }) => `"${p.domain}" is a public mailbox provider; no organization can vouch for its addresses.`, 'invalid_email_domain'),
  rbac_invalid_domain: spec(400, (p: { domain: string }) => `"${p.domain}" is not a domain name.`),
  rbac_domain_too_common: spec(400, (p: { domain: string }) => `"${p.domain}" is a public mailbox provider; a role rule on it would grant the role to anyone.`),
  invalid_discovery_redirect_url: spec(400, 'discovery_redirect_url must be an absolute http(s) URL (or a registered app scheme) without credentials, fragment or backslash.'),

  // B2B discovery (discovery/)
  intermediate_session_not_found: spec(404, 'The intermediate session token is unknown, already used or expired (intermediate sessions last 10 minutes and are used once): start the discovery flow again.'),
  invalid_discovery_organizations_arguments: spec(400, 'Give exactly one of intermediate_session_token, session_token or session_jwt.'),
  organization_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  organization_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  organization_search_filter_name_not_recognized: spec(400, filterNameNotRecognized),
  organization_search_invalid_filter_value: spec(400, invalidFilterValue),
  invalid_member_id: spec(400, (p: { member_id: string }) => `"${p.member_id}" is not a member id (member-test-<uuid>).`),
  member_not_found: spec(404, (p: { member_id: string }) => `No member "${p.member_id}" in this organization.`),
  member_email_not_found: spec(404, 'No member with this email address in this organization.', 'member_not_found'),
  member_deleted: spec(404, 'The member was deleted from the organization.', 'member_not_found'),
  invalid_member_get_fields: spec(400, 'Give member_id or email_address.'),
  duplicate_member_email: spec(409, 'A member with this email address already exists in the organization.'),
  duplicate_member_email_pending: spec(409, 'Another member of the organization is changing to this email address.', 'duplicate_member_email'),
  member_email_already_active: spec(409, 'An active member of the organization has this email address; send a login link instead.', 'duplicate_member_email'),
  invalid_default_mfa_method: spec(400, 'default_mfa_method must be "sms_otp" or "totp".', 'invalid_argument'),
  unsupported_delivery_method: spec(400, 'delivery_method must be EMAIL_MAGIC_LINK; Gatehouse does not send email one-time passcodes.', 'invalid_argument'),
  duplicate_member_external_id: spec(409, 'A member with this external_id already exists in the organization.'),
  member_already_active: spec(400, 'The member is not deleted; there is nothing to reactivate.'),
  member_password_not_found: spec(404, 'No member of the organization has a password with this id.'),
  email_jit_provisioning_not_allowed: spec(403, 'The organization does not let new members sign up by email (email_jit_provisioning is NOT_ALLOWED): invite the address instead.'),
  invalid_email_for_invites: spec(403, 'The organization only lets addresses of its email_allowed_domains be invited (email_invites is RESTRICTED).'),
  email_invites_not_allowed: spec(403, 'The organization does not allow email invites (email_invites is NOT_ALLOWED).', 'invalid_email_for_invites'),
  invalid_intermediate_session_token_for_organization: spec(400, 'The intermediate session was started for another member, organization or email address.'),
  insufficient_factors_for_session_exchange: spec(400, 'The session holds no factor that carries over to another organization (an email magic link, an email one-time passcode or an OAuth sign-in): sign in to that organization instead.'),
  exchange_email_unverified: spec(400, 'The session\'s member has no verified email address, so it cannot be exchanged into another organization.', 'insufficient_factors_for_session_exchange'),
  exchange_member_not_found: spec(404, 'The session\'s email address is not a member of that organization (a session exchange accepts an invitation but does not join by email domain: use discovery).', 'member_not_found'),
  invalid_email_for_jit_provisioning: spec(403, 'The organization does not let this address sign up: email_jit_provisioning must be RESTRICTED and the address\'s domain in email_allowed_domains.'),
  member_search_organization_ids_empty: spec(400, 'organization_ids must name at least one organization.'),
  member_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  member_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  member_search_filter_name_not_recognized: spec(400, filterNameNotRecognized),
  member_search_invalid_filter_value: spec(400, invalidFilterValue),
  session_authorization_error: spec(403, 'The Member is not authorized to perform the requested action on that resource.'),
  own_email_update_not_allowed: spec(403, 'A member cannot update its own email address here; use start_email_update, which sends a link to the new address.', 'session_authorization_error'),
  field_needs_project_secret: spec(403, (p: { field: string }) => `${p.field} can only be changed with the project secret, not with a member session.`, 'session_authorization_error'),
  sso_idp_change_needs_project_secret: spec(403, 'The identity provider of a connection that signs members in can only be changed with the project secret, not with a member session.', 'session_authorization_error'),
  grantor_not_active: spec(403, 'The Member acting is no longer an active member of the organization.', 'session_authorization_error'),
  grant_exceeds_grantor: spec(403, (p: { what: string; action: string; resource_id: string }) => `The Member cannot ${p.what}: it allows ${p.action} on ${p.resource_id}, which the Member may not do.`, 'session_authorization_error'),
  session_authorization_tenancy_error: spec(403, 'The organization in the request does not match the member session\'s organization.'),
  member_session_not_accepted: spec(403, 'This endpoint does not accept a member session (X-Stytch-Member-Session / X-Stytch-Member-SessionJWT): call it with the project secret alone.'),
  invalid_member_session_header: spec(400, 'A member-session header is empty, repeated, or names a different session than the other one.'),
  member_session_header_repeated: spec(400, (p: { header: string }) => `${p.header} was sent more than once; send one member session.`, 'invalid_member_session_header'),
  member_session_header_empty: spec(400, (p: { header: string }) => `${p.header} is empty; send a member session, or leave the header out to act with the project secret alone.`, 'invalid_member_session_header'),
  member_session_headers_disagree: spec(400, (p: { header: string; jwt_header: string }) => `${p.header} and ${p.jwt_header} name different sessions; send one.`, 'invalid_member_session_header'),
  cannot_update_trusted_metadata: spec(403, 'trusted_metadata can only be changed with the project secret, not with a member session.'),

  // RBAC
  unknown_rbac_role_ids: spec(400, (p: { role_ids: string }) => `Role ${p.role_ids} is not defined in the RBAC policy.`, 'invalid_rbac_role_id'),
  cannot_assign_default_rbac_role_id: spec(400, (p: { role_ids: string }) => `${p.role_ids} is a default role: every principal holds it, so it cannot be assigned or revoked.`),
  default_role_in_rule: spec(400, 'Every member holds stytch_member already; a rule cannot assign it.', 'cannot_assign_default_rbac_role_id'),
  too_many_roles: spec(400, (p: { holder: string; max: number }) => `A ${p.holder} may hold at most ${p.max} explicit roles.`),
  org_policy_roles_not_array: spec(400, 'org_policy.roles must be an array of roles.', 'invalid_policy_format'),
  rbac_resource_not_found: spec(404, (p: { resource_id: string }) => `No resource "${p.resource_id}" in the RBAC policy.`),
  rbac_role_not_found: spec(404, (p: { role_id: string }) => `No role "${p.role_id}" in the RBAC policy.`),
  rbac_resource_in_use: spec(409, (p: { resource_id: string; role_ids: string }) => `Resource "${p.resource_id}" is used by role ${p.role_ids}; remove those permissions first or pass cascade=true.`),
  rbac_resource_in_use_by_custom_role: spec(409, (p: { roles: string; organization_id: string }) => `Custom role ${p.roles} of organization ${p.organization_id} uses what this change removes; change that role first or pass cascade=true.`, 'rbac_resource_in_use'),
  rbac_action_in_use: spec(409, (p: { actions: string; resource_id: string; role_ids: string }) => `Action ${p.actions} of "${p.resource_id}" is used by role ${p.role_ids}; remove those permissions first or pass cascade=true.`),
  rbac_action_in_use_by_custom_role: spec(409, (p: { roles: string; organization_id: string }) => `Custom role ${p.roles} of organization ${p.organization_id} uses what this change removes; change that role first or pass cascade=true.`, 'rbac_action_in_use'),
  rbac_role_in_use: spec(409, (p: { assignments: string }) => `Role ${p.assignments} is still assigned; revoke it first or pass cascade=true.`),
  custom_role_in_use: spec(409, (p: { role_ids: string }) => `Role ${p.role_ids} is still assigned in this organization; revoke it first.`, 'rbac_role_in_use'),
  rbac_resource_already_exists: spec(409, (p: { resource_id: string }) => `Resource "${p.resource_id}" already exists.`, 'rbac_resource_duplicate'),
  rbac_role_already_exists: spec(409, (p: { role_id: string }) => `Role "${p.role_id}" already exists.`, 'rbac_role_duplicate'),
  rbac_role_is_custom_role: spec(409, (p: { role_id: string; organization_id: string }) => `Role "${p.role_id}" is a custom role of organization ${p.organization_id}; choose another id or remove that custom role first.`, 'rbac_role_duplicate'),
  built_in_resource_read_only: spec(400, (p: { resource_id: string }) => `"${p.resource_id}" is a built-in resource; it cannot be changed or removed.`, 'invalid_stytch_prefixed_resource'),
  rbac_policy_version_not_found: spec(404, (p: { policy: string; version: number }) => `The ${p.policy} policy has no version ${p.version}.`),
  invalid_policy_version_argument: spec(400, (p: { field: string }) => `${p.field} must be a policy version: a whole number from 1.`, 'invalid_argument'),
  organization_id_for_b2b_only: spec(400, 'organization_id is for the B2B policy (/v1/b2b/rbac/who_can).', 'invalid_argument'),
  undeclared_rbac_resource: spec(400, (p: { resource_id: string; policy: string }) => `Resource "${p.resource_id}" is not declared in the ${p.policy} RBAC policy.`, 'invalid_rbac_resource_id'),
  undeclared_rbac_action: spec(400, (p: { resource_id: string; action: string; actions: string }) => `Resource "${p.resource_id}" has no action "${p.action}"; its actions are ${p.actions}.`, 'invalid_rbac_action'),
  rbac_invalid_cursor: spec(400, 'The cursor is not valid for this query.'),
  audit_event_not_found: spec(404, (p: { event_id: string }) => `No audit event "${p.event_id}" in this project.`),
  invalid_audit_action_count: spec(400, 'action must name 1 to 50 actions.', 'invalid_argument'),
  invalid_audit_action: spec(400, (p: { action: string; actions: string }) => `action "${p.action}" is not a recorded action or prefix (like policy.*); the actions are ${p.actions}.`, 'invalid_argument'),
  access_at_principal_conflict: spec(400, 'Give user_id (consumer) or member_id (B2B), not both.', 'invalid_argument'),
  access_at_in_future: spec(400, 'at is in the future: the history answers only for times that have passed.', 'invalid_argument'),
  invalid_role_id_characters: spec(400, (p: { role_id: string; problem: string }) => `Role id ${p.role_id} ${p.problem}; role ids may contain only ASCII letters, digits, ".", "_", "-" and ":".`, 'invalid_rbac_id_characters'),

  // Policy validation (@gatehouse/policy's POLICY_ISSUE_CODES): each lists every issue found.
  invalid_policy_format: policyIssue('The policy is not in the RBAC policy format.'),
  empty_rbac_resource_id: policyIssue('A resource id is empty.'),
  invalid_rbac_resource_id: policyIssue('A resource id contains whitespace, or a resource_id is not declared in the RBAC policy.'),
  rbac_resource_id_too_long: policyIssue('A resource id is longer than 128 characters.'),
  empty_rbac_role_id: policyIssue('A role id is empty.'),
  invalid_rbac_role_id: policyIssue('A role id contains whitespace, or is not defined in the RBAC policy.'),
  rbac_role_id_too_long: policyIssue('A role id is longer than 128 characters.'),
  empty_rbac_scope: policyIssue('A scope is empty.'),
  invalid_rbac_scope: policyIssue('A scope contains whitespace.'),
  rbac_scope_too_long: policyIssue('A scope is longer than 128 characters.'),
  invalid_rbac_action: policyIssue('An action is empty or contains whitespace, or the resource does not declare it.'),
  rbac_action_too_long: policyIssue('An action is longer than 128 characters.'),
  invalid_rbac_id_characters: policyIssue('Role, resource and action ids may contain only ASCII letters, digits, ".", "_", "-" and ":".'),
  rbac_description_too_long: policyIssue('A description is longer than 500 characters.'),
  rbac_permission_duplicate: policyIssue('A role or scope lists a resource in more than one permission.'),
  invalid_permission_resource: policyIssue('A permission names a resource the policy does not declare.'),
  rbac_permission_missing_actions: policyIssue('A permission lists no actions.'),
  invalid_wildcard_action: policyIssue('"*" is listed with other actions in a permission, or declared as a resource action.'),
  rbac_action_duplicate: policyIssue('An action is listed more than once.'),
  invalid_permission_action: policyIssue('A permission names an action its resource does not declare.'),
  invalid_stytch_prefixed_resource: policyIssue('Built-in stytch resources cannot be changed, and custom resource ids may not start with "stytch".'),
  rbac_resource_missing_actions: policyIssue('A resource declares no actions.'),
  rbac_resource_duplicate: policyIssue('A resource id is listed more than once.'),
  rbac_role_duplicate: policyIssue('A role id is listed more than once.'),
  invalid_rbac_custom_role: policyIssue('Custom role ids may not start with "stytch_".'),
  invalid_rbac_stytch_role_edit: policyIssue('A default role cannot be removed.'),
  rbac_scope_duplicate: policyIssue('A scope is listed more than once.'),

  // Passwords. A wrong password, an unknown email and a locked account all answer
  // unauthorized_credentials (401) with one message, so the answer names no account.
  weak_password: spec(400, (p: { hint: string }) => `The password is too weak${p.hint ? `: ${p.hint}` : '.'}`),
  breached_password: spec(400, 'The password appears in a list of breached passwords; choose another.'),
  password_already_exists: spec(400, 'The user already has a password; reset it instead of migrating one.'),
  member_password_already_exists: spec(400, 'The member already has a password; reset it instead of migrating one.', 'password_already_exists'),
  session_too_old_to_reset_password: spec(400, 'Resetting a password with a session needs a password, email magic link or email OTP factor from the last 5 minutes.'),
  invalid_hash_type: spec(400, 'hash_type must be bcrypt, md_5, argon_2i, argon_2id, sha_1, sha_512, scrypt, phpass or pbkdf_2.'),
  invalid_hash: spec(400, 'The hash is not valid for its hash_type.'),
  hash_config_not_applicable: spec(400, (p: { field: string; hash_type: string }) => `${p.field} does not apply to hash_type ${p.hash_type}.`, 'invalid_argument'),
  argon_2_config_with_encoded_hash: spec(400, 'argon_2_config goes with the hex form of an argon2 hash, not with its encoded ($argon2…$) form.', 'invalid_argument'),
  scrypt_config_with_phc_hash: spec(400, 'scrypt_config goes with a base64 scrypt hash, not with its PHC ($scrypt$) form.', 'invalid_argument'),
  invalid_bcrypt_hash: spec(400, 'hash is not a bcrypt hash ($2a$, $2b$ or $2y$, cost, then 53 characters of salt and hash).'),
  invalid_bcrypt_cost: spec(400, 'The bcrypt cost must be from 4 to 31.'),
  invalid_md_5_hash: spec(400, 'An MD5 hash must be the 16-byte digest, hex or base64 encoded.'),
  invalid_sha_1_hash: spec(400, 'A SHA-1 hash must be the 20-byte digest, hex or base64 encoded.'),
  invalid_sha_512_hash: spec(400, 'A SHA-512 hash must be the 64-byte digest, hex or base64 encoded.'),
  invalid_argon_2_salt: spec(400, 'The argon2 salt must be 8 to 1024 bytes.'),
  invalid_argon_2_config: spec(400, 'The argon2 parameters are out of range.'),
  argon_2_key_length_mismatch: spec(400, (p: { key_length: number; hash_bytes: number }) => `argon_2_config.key_length is ${p.key_length} but the hash is ${p.hash_bytes} bytes.`),
  invalid_base64_scrypt_hash: spec(400, 'A scrypt hash must be base64 encoded (or a PHC $scrypt$ string).'),
  invalid_scrypt_salt_length: spec(400, 'The scrypt salt must be 1 to 1024 bytes, base64 encoded.'),
  invalid_scrypt_config: spec(400, 'The scrypt parameters are out of range.'),
  scrypt_key_length_mismatch: spec(400, (p: { key_length: number; hash_bytes: number }) => `scrypt key_length is ${p.key_length} but the hash is ${p.hash_bytes} bytes.`),
  invalid_pbkdf_2_hash: spec(400, 'A PBKDF2 hash must be base64 encoded.'),
  invalid_pbkdf_2_salt: spec(400, 'The PBKDF2 salt must be 1 to 1024 bytes, base64 encoded.'),
  invalid_pbkdf_2_iteration_amount: spec(400, 'pbkdf_2_config.iteration_amount must be from 1 to 10000000.'),
  invalid_pbkdf_2_algorithm: spec(400, 'pbkdf_2_config.algorithm must be sha256, sha512 or sha1.'),
  pbkdf_2_key_length_mismatch: spec(400, (p: { key_length: number; hash_bytes: number }) => `pbkdf_2_config.key_length is ${p.key_length} but the hash is ${p.hash_bytes} bytes.`),
  invalid_phpass_hash_prefix: spec(400, 'A phpass hash starts with $P$ or $H$.'),
  invalid_phpass_hash: spec(400, 'hash is not a phpass portable hash: 34 characters with a round count from 7 to 30.'),

  // Sessions
  session_not_found: spec(404, 'No live session matches: it expired, was revoked, or never existed.'),
  no_session_arguments: spec(400, 'Give session_token or session_jwt.'),
  too_many_session_arguments: spec(400, 'Give session_token or session_jwt, not both.'),
  no_session_revoke_arguments: spec(400, 'Give one of session_id, session_token or session_jwt.'),
  too_many_session_revoke_arguments: spec(400, 'Give only one of session_id, session_token or session_jwt.'),
  invalid_session_duration_minutes: spec(400, 'session_duration_minutes must be a whole number from 5 to 527040.'),
  invalid_session_custom_claims: spec(400, 'session_custom_claims must be a JSON object.', 'invalid_argument'),
  session_user_mismatch: spec(400, 'The session presented belongs to another user.'),
  session_member_mismatch: spec(400, 'The session presented belongs to another member.', 'session_user_mismatch'),
  no_member_session_revoke_arguments: spec(400, 'Give one of member_session_id, session_token, session_jwt or member_id.', 'no_session_revoke_arguments'),
  too_many_member_session_revoke_arguments: spec(400, 'Give only one of member_session_id, session_token, session_jwt or member_id.', 'too_many_session_revoke_arguments'),
  unable_to_parse_session_jwt: spec(400, 'session_jwt is not a JWT.'),
  jwt_invalid_signature: spec(401, "The JWT signature does not verify with any of this project's keys."),
  jwt_invalid_audience: spec(401, 'The JWT was not issued for this project.'),
  jwt_invalid_issuer: spec(401, 'The JWT was not issued by this project.'),
  jwt_invalid_claims: spec(401, 'The JWT lacks the claims of a session.'),
  reserved_claims_in_custom_claims: spec(400, (p: { claim: string }) => `"${p.claim}" is a registered JWT claim; session_custom_claims may not set it.`),
  stytch_claims_in_custom_claims: spec(400, (p: { claim: string }) => `"${p.claim}" is reserved for Stytch claims (the https://stytch.com/ prefix).`),
  custom_claims_too_large: spec(400, 'session_custom_claims may be at most 4096 bytes of JSON.'),
  invalid_custom_claims_template: spec(400, (p: { reason: string }) => `The custom claims template is invalid: ${p.reason}`),
  custom_claims_template_too_large: spec(400, 'The custom claims rendered from the template are more than 4096 bytes of JSON.'),
  custom_claims_template_not_found: spec(404, 'The project has no custom claims template.'),
  consumer_session_authorization_error: spec(403, 'The User is not authorized to perform the requested action on that resource.'),

  // Email magic links, invites and password resets by email
  email_not_found: spec(404, 'No user in this project has this email address.'),
  login_email_not_found: spec(404, 'No user in this project has this email address; use login_or_create to sign one up.', 'email_not_found'),
  user_email_already_active: spec(409, 'An active user already has this email address; send them a login link instead.', 'duplicate_email'),
  email_not_owned_by_user: spec(400, 'This address does not belong to the user named by user_id or the session; Gatehouse does not attach new addresses through magic links.', 'invalid_argument'),
  magic_link_not_found: spec(404, 'The magic link could not be authenticated, try sending another magic link to the user.'),
  unable_to_auth_magic_link: spec(401, 'The magic link could not be authenticated because it was either already used or expired. Send another magic link to this user.'),
  otp_code_not_found: spec(404, 'The passcode is not the one sent, or none was sent to this address. Check the code, or send another.'),
  totp_not_found: spec(404, 'No TOTP registration for this user or member: create one first (a pending registration lasts expiration_minutes).'),
  active_totp_exists: spec(409, 'This user or member already has an active TOTP registration.'),
  totp_code_invalid: spec(401, 'The TOTP code is wrong, or was already used in its time window.', 'otp_code_not_found'),
  recovery_code_not_found: spec(401, 'The recovery code is wrong or was already used.'),
  action_available_only_once_primary_authentication_is_met: spec(400, 'This step needs a primary authentication first: present the intermediate session token (or session) a primary sign-in of this member gave.'),
  mfa_method_not_allowed: spec(403, (p: { method: string }) => `The organization's allowed_mfa_methods do not include ${p.method}.`),
  unable_to_auth_otp_code: spec(401, 'The passcode has expired, was already used, or was tried too many times. Send another passcode.'),
  unable_to_auth_password_reset_token: spec(401, 'The password reset token could not be authenticated: it is unknown, already used or expired. Start another reset.'),
  invalid_expiration: spec(400, (p: { field: string; min: number; max: number }) => `${p.field} must be a whole number from ${p.min} to ${p.max}.`),
  invalid_login_magic_link_url: spec(400, (p: { reason: string }) => `login_magic_link_url ${p.reason}.`),
  invalid_signup_magic_link_url: spec(400, (p: { reason: string }) => `signup_magic_link_url ${p.reason}.`),
  invalid_invite_magic_link_url: spec(400, (p: { reason: string }) => `invite_magic_link_url ${p.reason}.`),
  invalid_login_redirect_url: spec(400, (p: { reason: string }) => `login_redirect_url ${p.reason}.`),
  invalid_signup_redirect_url: spec(400, (p: { reason: string }) => `signup_redirect_url ${p.reason}.`),
  invalid_invite_redirect_url: spec(400, (p: { reason: string }) => `invite_redirect_url ${p.reason}.`),
  invalid_password_reset_redirect_url: spec(400, (p: { reason: string }) => `reset_password_redirect_url ${p.reason}.`),
  invalid_pkce_code_challenge: spec(400, 'code_challenge must be base64url(SHA-256(code_verifier)): 43 characters.'),
  invalid_pkce_code_verifier: spec(400, 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~'),
  pkce_mismatch: spec(400, 'The submitted code_verifier does not match the code_challenge sent at the start of the flow.'),
  pkce_expected_code_verifier: spec(400, 'This flow was started with a code_challenge; give its code_verifier.'),
  sdk_pkce_code_challenge_required: spec(400, 'This project requires PKCE for email magic links sent from the browser SDK: give a code_challenge.'),
  pkce_did_not_expect_code_verifier: spec(400, 'This flow was started without a code_challenge; do not give a code_verifier.'),
  email_delivery_failed: spec(502, 'The email could not be handed to the mail server; nothing was sent. Try again.'),
  sms_delivery_failed: spec(502, 'The SMS could not be handed to the SMS webhook, so its passcode was voided. Try again.'),
  mfa_factor_already_enrolled: spec(403, 'The member already has a second factor: complete MFA with it (or sign in fully) before an intermediate session adds another.'),
  mfa_phone_number_already_verified: spec(400, 'The member already has a verified MFA phone number; a code goes only to that number.'),
  invalid_set_mfa_enrollment: spec(400, 'set_mfa_enrollment must be "enroll" or "unenroll".', 'invalid_argument'),
  phone_number_not_found: spec(404, 'No user in this project has this phone number; use login_or_create to sign one up.'),
  phone_number_not_owned_by_user: spec(400, 'This phone number does not belong to the user named by user_id or the session; Gatehouse does not attach new numbers through one-time passcodes.', 'invalid_argument'),
  member_phone_number_not_found: spec(400, 'The member has no MFA phone number: send one as mfa_phone_number.'),

  // SSO: connections and sign-in flows
  sso_connection_not_found: spec(404, (p: { connection_id: string }) => `No SSO connection "${p.connection_id}" in this organization.`),
  sso_connection_not_found_for_public_token: spec(404, 'No SSO connection with this id for this public token.', 'sso_connection_not_found'),
  // SCIM provisioning (scim/): the connections (/v1/b2b/scim) and the SCIM 2.0 service at their base_url,
  // whose errors also carry SCIM's shape (scim/wire.ts names each one's scimType)
  scim_connection_not_found: spec(404, (p: { connection_id: string }) => `No SCIM connection "${p.connection_id}" in this organization.`),
  scim_connection_already_exists: spec(400, 'The organization has a SCIM connection already (one per organization); update or delete it.'),
  scim_rotation_not_started: spec(400, 'No token rotation is in progress on this SCIM connection; start one first.'),
  scim_group_not_in_connection: spec(400, (p: { group_id: string }) => `scim_group_implicit_role_assignments names group "${p.group_id}", which the connection's IdP has not provisioned.`, 'invalid_argument'),
  scim_unauthorized: spec(401, 'The bearer token does not match an active SCIM connection.', 'unauthorized_credentials'),
  scim_resource_not_found: spec(404, (p: { resource: string; id: string }) => `No ${p.resource} "${p.id}" at this SCIM connection.`),
  scim_uniqueness: spec(409, 'The resource clashes with one provisioned at this connection already.'),
  scim_user_exists: spec(409, 'A user with this userName or externalId is provisioned at this connection already.', 'scim_uniqueness'),
  scim_member_email_taken: spec(409, 'Another live member of the organization has this email address.', 'scim_uniqueness'),
  scim_group_exists: spec(409, 'A group with this displayName is provisioned at this connection already.', 'scim_uniqueness'),
  scim_invalid_filter: spec(400, (p: { problem: string }) => `The filter is not one this service understands: ${p.problem}.`),
  scim_invalid_value: spec(400, (p: { problem: string }) => `A value is missing or invalid: ${p.problem}.`),
  scim_invalid_path: spec(400, (p: { path: string }) => `The PATCH path "${p.path}" names no attribute this service can change.`),
  scim_invalid_syntax: spec(400, (p: { problem: string }) => `The request is not a SCIM message this endpoint takes: ${p.problem}.`),
  scim_invalid_pagination: spec(400, 'startIndex and count must be whole numbers (startIndex from 1).', 'scim_invalid_value'),
  scim_version_mismatch: spec(412, 'The resource changed since the version given in If-Match.'),
  sso_connection_not_active: spec(400, 'The SSO connection is not fully configured yet; finish its IdP settings first.'),
  sso_verification_certificate_not_found: spec(404, (p: { certificate_id: string }) => `No certificate "${p.certificate_id}" on this connection.`),
  sso_token_not_found: spec(404, 'The SSO token is unknown, used or expired.'),
  sso_member_registration_gone: spec(404, 'The member is no longer registered with this connection.', 'sso_token_not_found'),
  sso_flow_not_found_saml: spec(400, 'This sign-in was not started here, has expired, or was finished already.', 'saml_in_response_to_mismatch'),
  sso_flow_not_found_oidc: spec(400, 'This sign-in was not started here, has expired, or was finished already.', 'oidc_state_mismatch'),
  oidc_state_missing: spec(400, 'The callback carries no state.', 'oidc_state_mismatch'),
  sso_metadata_missing: spec(400, 'Give metadata_url or metadata_xml.', 'invalid_argument'),
  sso_jit_provisioning_not_allowed: spec(403, 'The organization does not let new members join through this SSO connection; invite the member first.'),
  sso_member_link_not_allowed: spec(403, 'A member with this email address exists, but this connection may not sign it in by email: the connection did not create the member, its email domain is not verified for the connection, and nobody linked the member to it.'),
  sso_email_not_verified: spec(403, 'The identity provider does not say the email address is verified (email_verified), so it cannot sign in an existing member with that address.'),
  sso_member_link_not_found: spec(404, 'The member is not linked to this SSO connection.'),
  saml_assertion_replayed: spec(400, 'This SAML assertion was used already; sign in again.'),

  // SSO: OIDC
  oidc_discovery_failed: spec(400, 'OpenID discovery failed: the issuer did not serve a valid OpenID configuration at /.well-known/openid-configuration.'),
  oidc_issuer_not_public: spec(400, 'The issuer must be an https URL on a public address (plain http and private addresses only with the development setting).', 'oidc_discovery_failed'),
  oidc_endpoint_missing: spec(400, (p: { endpoint: string }) => `The issuer's OpenID configuration has no ${p.endpoint} endpoint.`, 'oidc_discovery_failed'),
  oidc_endpoint_not_public: spec(400, (p: { field: string }) => `The issuer's OpenID configuration gives a ${p.field} that may not be used: endpoints must be https on public addresses.`, 'oidc_discovery_failed'),
  oidc_insecure_url: spec(400, 'The OIDC issuer and endpoints must be https URLs (plain http is accepted only on loopback, for development).'),
  oidc_callback_invalid: spec(400, 'The OIDC callback carries no authorization code.'),
  oidc_state_mismatch: spec(400, 'The OIDC callback\'s state does not match the sign-in that was started; start the sign-in again.'),
  oidc_issuer_mismatch: spec(400, 'The OIDC callback comes from another issuer than the connection\'s.'),
  oidc_provider_error: spec(400, (p: { code: string }) => `The identity provider refused the sign-in (${p.code}).`),
  oidc_token_exchange_failed: spec(400, 'The identity provider refused to exchange the authorization code: it is unknown, used or expired, the PKCE verifier does not match, or the client credentials are wrong.'),
  oidc_provider_unreachable: spec(502, 'The identity provider could not be reached or did not answer in time.'),
  oidc_nonce_mismatch: spec(400, 'The ID token\'s nonce does not match the sign-in that was started.'),
  oidc_id_token_invalid: spec(400, 'The ID token is missing or invalid: its signature does not verify with the provider\'s keys, or its issuer, audience or expiry is wrong.'),
  oidc_userinfo_failed: spec(502, 'The identity provider\'s userinfo endpoint did not give the signed-in user\'s claims.'),
  oidc_email_missing: spec(400, 'The identity provider gave no email address for the user; allow the email scope or map the email claim.'),

  // OAuth sign-in (Google, Microsoft, GitHub)
  oauth_provider_unknown: spec(400, (p: { provider: string }) => `Unknown OAuth provider "${p.provider}"; Gatehouse supports google, microsoft and github.`),
  oauth_config_not_found: spec(404, (p: { provider: string }) => `The ${p.provider} OAuth provider is not configured for this project (PUT /v1/project/oauth_providers/${p.provider}).`),
  oauth_public_token_invalid: spec(401, 'The public token names no project.', 'unauthorized_credentials'),
  oauth_organization_required: spec(400, 'Give organization_id or slug (the organization to sign in to).', 'invalid_argument'),
  oauth_client_secret_required: spec(400, 'client_secret is required when a provider is first configured.', 'invalid_argument'),
  oauth_url_insecure: spec(400, 'OAuth endpoint overrides must be https URLs (plain http and private addresses only with GATEHOUSE_OUTBOUND_ALLOW_PRIVATE, for development).', 'invalid_argument'),
  oauth_state_mismatch: spec(400, 'This OAuth sign-in was not started here, has expired, or was finished already; start it again.'),
  oauth_callback_invalid: spec(400, 'The OAuth callback carries no authorization code.'),
  oauth_provider_error: spec(400, (p: { code: string }) => `The OAuth provider refused the sign-in (${p.code}).`),
  oauth_token_exchange_failed: spec(400, 'The OAuth provider refused to exchange the authorization code: it is unknown, used or expired, or the client credentials are wrong.'),
  oauth_provider_unreachable: spec(502, 'The OAuth provider could not be reached or did not answer usably.'),
  oauth_id_token_invalid: spec(400, 'The ID token is missing or invalid: its signature does not verify with the provider\'s keys, or its issuer, audience, expiry or nonce is wrong.'),
  oauth_email_missing: spec(400, 'The OAuth provider gave no email address for the user; allow the email scope.'),
  oauth_email_not_verified: spec(403, 'The OAuth provider does not say this email address is verified, so it cannot sign in to an existing account with that address, join an organization or discover organizations by it.'),
  oauth_token_not_found: spec(404, 'The OAuth token is unknown, used or expired.'),
  oauth_account_gone: spec(404, 'The account this OAuth token signs in to no longer exists.', 'oauth_token_not_found'),

  // SSO: SAML
  saml_connection_not_configured: spec(400, 'The SAML connection is not ready: it needs the IdP entity id, the IdP SSO URL and at least one verification certificate.'),
  saml_certificate_invalid: spec(400, 'The certificate is not an X.509 certificate in PEM or base64 form.'),
  saml_metadata_invalid: spec(400, (p: { problem: string }) => `The IdP metadata is not usable: ${p.problem}`),
  saml_response_malformed: spec(400, (p: { problem: string }) => `The SAMLResponse is malformed: ${p.problem}`),
  saml_post_incomplete: spec(400, 'The IdP must POST SAMLResponse and the RelayState it was sent.', 'saml_response_malformed'),
  saml_encrypted_assertion_not_supported: spec(400, 'The SAMLResponse holds an encrypted assertion; turn assertion encryption off for this application at the IdP.'),
  saml_status_not_success: spec(400, (p: { status: string }) => `The IdP did not authenticate the user: the SAMLResponse status is ${p.status}.`),
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

  // M2M clients (m2m/): management with the project secret, and the client-credentials token endpoint,
  // whose errors also carry RFC 6749's error / error_description (m2m/wire.ts).
  m2m_client_not_found: spec(404, (p: { client_id: string }) => `No M2M client "${p.client_id}" in this project.`),
  m2m_client_id_already_exists: spec(409, (p: { client_id: string }) => `An M2M client "${p.client_id}" already exists in this project.`),
  m2m_client_id_invalid: spec(400, 'client_id must be 1 to 128 characters of letters, digits, ".", "_" and "-".', 'invalid_argument'),
  m2m_client_secret_too_short: spec(400, (p: { min: number }) => `An imported client_secret must be at least ${p.min} characters: only its SHA-256 digest is kept.`, 'invalid_argument'),
  m2m_scope_invalid: spec(400, 'Each scope must be 1 to 128 characters with no whitespace, and a client holds at most 100 scopes.', 'invalid_argument'),
  m2m_secret_rotation_not_started: spec(400, 'No secret rotation is in progress for this M2M client: start one first.'),
  m2m_search_invalid_cursor: spec(400, 'The cursor is not valid for this search.'),
  m2m_search_invalid_limit: spec(400, 'limit must be between 1 and 1000.'),
  m2m_search_filter_name_not_recognized: spec(400, filterNameNotRecognized),
  m2m_search_invalid_filter_value: spec(400, invalidFilterValue),
  invalid_client: spec(401, 'Client authentication failed: the client_id and client_secret do not match an M2M client of this project.'),
  m2m_client_inactive: spec(401, 'This M2M client is inactive: it gets no access tokens until it is made active again.', 'invalid_client'),
  invalid_request: spec(400, 'The token request is malformed.'),
  oauth_client_credentials_missing: spec(400, 'Send client_id and client_secret in the body, or as HTTP Basic credentials.', 'invalid_request'),
  oauth_client_credentials_twice: spec(400, 'Send the client credentials one way only: in the body or as HTTP Basic, not both.', 'invalid_request'),
  oauth_parameter_repeated: spec(400, (p: { parameter: string }) => `The parameter ${p.parameter} is repeated.`, 'invalid_request'),
  unsupported_grant_type: spec(400, (p: { grant_type: string }) => `grant_type "${p.grant_type}" is not supported; use client_credentials.`),
  invalid_scope: spec(400, (p: { scope: string }) => `The scope "${p.scope}" is not one of this client's scopes.`),
} as const satisfies Record<string, ErrorSpec>;

export type CatalogueErrorType = keyof typeof ERROR_CATALOGUE;
type Catalogue = typeof ERROR_CATALOGUE;

/** An error_type a caller can receive: a catalogue key, or what a variant answers `as`. */
export type ErrorType = { [K in CatalogueErrorType]: Catalogue[K] extends { as: infer A extends string } ? A : K }[CatalogueErrorType];

/** The params a key's message template needs (never for a fixed message). */
export type ErrorParams<K extends CatalogueErrorType> = K extends CatalogueErrorType
  ? Catalogue[K]['message'] extends (params: infer P) => string
    ? P
    : never
  : never;

export interface GatehouseErrorOptions {
  /** Structured detail safe to show the caller (e.g. every policy validation issue). */
  details?: unknown;
  cause?: unknown;
}

/** The options of a key: `params` exactly when its message is a template. */
export type GatehouseErrorArgs<K extends CatalogueErrorType> = [ErrorParams<K>] extends [never]
  ? [options?: GatehouseErrorOptions]
  : [options: GatehouseErrorOptions & { params: ErrorParams<K> }];

export interface GatehouseErrorConstructor {
  new <K extends CatalogueErrorType>(errorType: K, ...args: GatehouseErrorArgs<K>): GatehouseErrorInstance;
  readonly prototype: GatehouseErrorInstance;
}

/** The message of a catalogue key, rendered with its params. */
export function catalogueMessage<K extends CatalogueErrorType>(errorType: K, ...args: [ErrorParams<K>] extends [never] ? [] : [params: ErrorParams<K>]): string;
export function catalogueMessage(errorType: CatalogueErrorType, params?: unknown): string {
  const { message } = ERROR_CATALOGUE[errorType] as ErrorSpec;
  return typeof message === 'function' ? (message as (params: unknown) => string)(params) : message;
}

/** A template's text with its params as placeholders: `No user "{user_id}" in this project.` */
function placeholderText(entry: ErrorSpec): string {
  if (typeof entry.message === 'string') return entry.message;
  if (entry.summary !== undefined) return entry.summary;
  const placeholders = new Proxy({}, { get: (_target, name) => `{${String(name)}}` });
  return (entry.message as (params: unknown) => string)(placeholders);
}

/** The docs page's rows: one per error_type, its statuses and every message it can carry (variants too). */
export function catalogueDocs(): { error_type: string; statuses: number[]; messages: string[] }[] {
  const rows = new Map<string, { error_type: string; statuses: number[]; messages: string[] }>();
  for (const [key, entry] of Object.entries(ERROR_CATALOGUE) as [string, ErrorSpec][]) {
    const errorType = entry.as ?? key;
    const row = rows.get(errorType) ?? { error_type: errorType, statuses: [], messages: [] };
    if (!row.statuses.includes(entry.status)) row.statuses.push(entry.status);
    row.messages.push(placeholderText(entry));
    rows.set(errorType, row);
  }
  return [...rows.values()].map((row) => ({ ...row, statuses: row.statuses.sort((a, b) => a - b) }));
}

class GatehouseErrorInstance extends Error {
  readonly errorType: ErrorType;
  readonly status: number;
  readonly details: unknown;

  constructor(errorType: CatalogueErrorType, options: GatehouseErrorOptions & { params?: unknown; message?: string } = {}) {
    const entry = ERROR_CATALOGUE[errorType] as ErrorSpec;
    super(options.message ?? (catalogueMessage as (key: CatalogueErrorType, params?: unknown) => string)(errorType, options.params), { cause: options.cause });
    this.name = 'GatehouseError';
    this.errorType = (entry.as ?? errorType) as ErrorType;
    this.status = entry.status;
    this.details = options.details;
  }
}

export type GatehouseError = GatehouseErrorInstance;
export const GatehouseError = GatehouseErrorInstance as unknown as GatehouseErrorConstructor;

export function isGatehouseError(error: unknown, errorType?: ErrorType): error is GatehouseError {
  return error instanceof GatehouseErrorInstance && (errorType === undefined || error.errorType === errorType);
}

/** Every policy validation code is a catalogue key (this fails to compile if one is missing). */
export const POLICY_ERROR_TYPES: readonly (PolicyIssueCode & CatalogueErrorType)[] = POLICY_ISSUE_CODES;

/** Whether a PolicyIssue's code (a string on the wire type) is one of the policy package's codes. */
export function isPolicyErrorType(code: string): code is PolicyIssueCode {
  return (POLICY_ERROR_TYPES as readonly string[]).includes(code);
}
