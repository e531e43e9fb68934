// What a member session needs on each B2B route that accepts one: the stytch.* resource and action
// per route and per body field, as Stytch's B2B API reference lists them ("If a Member Session is
// passed … Stytch will enforce that the Member has permission to take the <action> on the
// <resource>"). Fields Stytch names no action for are the project secret's alone. Routes not here
// declare 'refuse'. docs/security/member-sessions.md explains the classes of routes.
import type { FieldRule, MemberSessionRule } from './gate.ts';
import type { RequiredAction } from './member-authorization.ts';

const member = (action: string, self = false): RequiredAction => ({ resource_id: 'stytch.member', action, self });
const organization = (action: string): RequiredAction => ({ resource_id: 'stytch.organization', action });
const sso = (action: string): RequiredAction => ({ resource_id: 'stytch.sso', action });
const scim = (action: string): RequiredAction => ({ resource_id: 'stytch.scim', action });

const byOrganizationParam = { param: 'organization_id' } as const;

/** Organization update: each field its stytch.organization action. */
export const ORGANIZATION_UPDATE_FIELDS = {
  organization_name: organization('update.info.name'),
  organization_slug: organization('update.info.slug'),
  organization_logo_url: organization('update.info.logo-url'),
  sso_default_connection_id: organization('update.settings.default-sso-connection'),
  sso_jit_provisioning: organization('update.settings.sso-jit-provisioning'),
  sso_jit_provisioning_allowed_connections: organization('update.settings.sso-jit-provisioning'),
  email_allowed_domains: organization('update.settings.allowed-domains'),
  email_jit_provisioning: organization('update.settings.email-jit-provisioning'),
  email_invites: organization('update.settings.email-invites'),
  auth_methods: organization('update.settings.allowed-auth-methods'),
  allowed_auth_methods: organization('update.settings.allowed-auth-methods'),
  mfa_policy: organization('update.settings.mfa-policy'),
  // Its rules hand roles to members: the service also checks no escalation.
  rbac_email_implicit_role_assignments: organization('update.settings.implicit-roles'),
  mfa_methods: organization('update.settings.allowed-mfa-methods'),
  allowed_mfa_methods: organization('update.settings.allowed-mfa-methods'),
  oauth_tenant_jit_provisioning: organization('update.settings.oauth-tenant-jit-provisioning'),
  allowed_oauth_tenants: organization('update.settings.allowed-oauth-tenants'),
  trusted_metadata: 'secret',
  organization_external_id: 'secret',
  claimed_email_domains: 'secret',
  first_party_connected_apps_allowed_type: 'secret',
  allowed_first_party_connected_apps: 'secret',
  third_party_connected_apps_allowed_type: 'secret',
  allowed_third_party_connected_apps: 'secret',
} as const satisfies Record<string, FieldRule>;

/** Member update: each field its stytch.member action; `self` ones stytch.self grants on oneself. */
export const MEMBER_UPDATE_FIELDS = {
  name: member('update.info.name', true),
  untrusted_metadata: member('update.info.untrusted-metadata', true),
  is_breakglass: member('update.settings.is-breakglass'),
  mfa_phone_number: member('update.info.mfa-phone', true),
  mfa_enrolled: member('update.settings.mfa-enrolled', true),
  // No stytch.self alternative; the service also checks no escalation, under lock.
  roles: member('update.settings.roles'),
  default_mfa_method: member('update.settings.default-mfa-method', true),
  // Members cannot change their own email through stytch.self (start_email_update is for that; the
  // route refuses a member's own address here). The address is not written: a link goes to the new
  // one (members/routes.ts updateMemberAndStartEmailUpdate), and another member's address is a grant
  // the member service checks under the grant locks. Unlinking changes it as much.
  email_address: member('update.info.email'),
  unlink_email: member('update.info.email'),
  preserve_existing_sessions: 'route',
  trusted_metadata: 'secret',
  external_id: 'secret',
} as const satisfies Record<string, FieldRule>;

/** The fields of a member update the browser SDK's self.update sends (stytch.self decides them). */
export const SELF_UPDATE_FIELDS = ['name', 'untrusted_metadata', 'mfa_enrolled', 'mfa_phone_number', 'default_mfa_method'] as const;

/** Member create (and invite): stytch.member create; roles granted are checked for escalation. */
const MEMBER_CREATE_FIELDS = {
  email_address: 'route',
  name: 'route',
  untrusted_metadata: 'route',
  create_member_as_pending: 'route',
  is_breakglass: member('update.settings.is-breakglass'),
  mfa_phone_number: 'route',
  mfa_enrolled: 'route',
  roles: 'route',
  trusted_metadata: 'secret',
  external_id: 'secret',
} as const satisfies Record<string, FieldRule>;

const SSO_CREATE_FIELDS = { display_name: 'route', identity_provider: 'route' } as const satisfies Record<string, FieldRule>;

/** The member-session rule of each B2B route that accepts one (the others declare 'refuse'). */
export const MEMBER_SESSION_RULES = {
  organizationUpdate: { organization: byOrganizationParam, actions: [], fields: ORGANIZATION_UPDATE_FIELDS, handlerChecks: 'email role rules: no escalation, in the write transaction' },
  organizationDelete: { organization: byOrganizationParam, actions: [organization('delete')] },
  /** Organization custom roles: defining a role is granting it; the service checks no escalation under lock. */
  customRolesSet: {
    organization: byOrganizationParam,
    actions: [member('update.settings.roles')],
    fields: { org_policy: 'route' },
    handlerChecks: 'every role added, changed or removed within the member\'s own permissions, in the write transaction',
  },
  memberCreate: { organization: byOrganizationParam, actions: [member('create')], fields: MEMBER_CREATE_FIELDS, handlerChecks: 'roles: no escalation, in the write transaction' },
  memberUpdate: {
    organization: byOrganizationParam,
    actions: [],
    targetMember: { param: 'member_id' },
    fields: MEMBER_UPDATE_FIELDS,
    handlerChecks: 'roles added or removed (against the roles read under lock): no escalation, in the write transaction; email_address: '
      + 'not written but a link to the new address, never one\'s own here, another member\'s a grant checked under lock',
  },
  /**
   * Stytch's start_email_update: one's own address through stytch.self too (the link to the new
   * address proves it); another member's address is a grant, checked by the service.
   */
  memberStartEmailUpdate: {
    organization: byOrganizationParam,
    actions: [member('update.info.email', true)],
    targetMember: { param: 'member_id' },
    fields: { email_address: 'route', login_redirect_url: 'route', locale: 'route', login_template_id: 'route', delivery_method: 'route' },
    handlerChecks: 'another member\'s address: every permission of its roles and of the new domain\'s email-domain roles, in the write transaction',
  },
  memberDelete: { organization: byOrganizationParam, actions: [member('delete', true)], targetMember: { param: 'member_id' } },
  // Bringing a member back admits it again, as creating one does.
  memberReactivate: { organization: byOrganizationParam, actions: [member('create')], handlerChecks: 'the explicit roles it comes back with: no escalation, in the write transaction' },
  memberSearch: {
    organization: { bodyList: 'organization_ids' },
    actions: [member('search')],
    fields: { organization_ids: 'route', cursor: 'route', limit: 'route', query: 'route' },
  },
  memberPasswordDelete: {
    organization: byOrganizationParam,
    actions: [member('update.info.delete.password', true)],
    targetMember: 'handler',
    handlerChecks: 'the password\'s owner: stytch.self only for one\'s own',
  },
  /** Stytch's delete_totp: the member's TOTP registration (and its recovery codes). */
  memberTotpDelete: { organization: byOrganizationParam, actions: [member('update.info.delete.mfa-totp', true)], targetMember: { param: 'member_id' } },
  memberInvite: {
    organization: { body: 'organization_id' },
    actions: [member('create')],
    fields: {
      ...MEMBER_CREATE_FIELDS,
      organization_id: 'route',
      invite_redirect_url: 'route',
      invited_by_member_id: 'route',
      invite_template_id: 'route',
      locale: 'route',
      invite_expiration_minutes: 'route',
    },
    handlerChecks: 'roles: no escalation, in the write transaction',
  },
  /** Revoking one's own sessions needs nothing; another member's needs stytch.member delete in the same organization. */
  sessionRevoke: {
    organization: 'target',
    actions: [],
    targetMember: 'handler',
    fields: { member_session_id: 'route', session_token: 'route', session_jwt: 'route', member_id: 'route' },
    handlerChecks: 'another member\'s sessions: stytch.member delete in the member\'s organization',
  },
  ssoGet: { organization: byOrganizationParam, actions: [sso('get')] },
  ssoCreate: { organization: byOrganizationParam, actions: [sso('create')], fields: SSO_CREATE_FIELDS },
  ssoDelete: { organization: byOrganizationParam, actions: [sso('delete')] },
  /** An external connection (another organization's connection signing people into this one); its role rules are checked for escalation. */
  ssoExternalCreate: {
    organization: byOrganizationParam,
    actions: [sso('create')],
    fields: { external_organization_id: 'route', external_connection_id: 'route', display_name: 'route', connection_implicit_role_assignments: 'route', group_implicit_role_assignments: 'route' },
    handlerChecks: 'implicit role rules: no escalation, in the write transaction',
  },
  /**
   * Connection updates; role rules are checked for escalation. Fields: all need stytch.sso update,
   * but verified email domains let the connection sign existing members in by email: secret only.
   */
  ssoUpdate: (fields: readonly string[]): MemberSessionRule => ({
    organization: byOrganizationParam,
    actions: [sso('update')],
    fields: Object.fromEntries(fields.map((field) => [field, field === 'verified_email_domains' ? 'secret' : 'route'])),
    handlerChecks: 'implicit role rules: no escalation',
  }),
  /** An explicit SSO link (docs/security/sso-linking.md); unlinking only takes access away. */
  ssoLink: { organization: byOrganizationParam, actions: [sso('update')], handlerChecks: 'every role a session through the connection would give the target: no escalation, in the write transaction' },
  ssoUnlink: { organization: byOrganizationParam, actions: [sso('update')] },
  /** SCIM connections (scim/): Stytch's stytch.scim actions; group role rules are checked for escalation. */
  scimCreate: { organization: byOrganizationParam, actions: [scim('create')], fields: { display_name: 'route', identity_provider: 'route' } },
  scimGet: { organization: byOrganizationParam, actions: [scim('get')] },
  scimUpdate: {
    organization: byOrganizationParam,
    actions: [scim('update')],
    fields: { display_name: 'route', identity_provider: 'route', scim_group_implicit_role_assignments: 'route' },
    handlerChecks: 'group role rules: no escalation, in the write transaction',
  },
  scimDelete: { organization: byOrganizationParam, actions: [scim('delete')] },
  scimRotate: { organization: byOrganizationParam, actions: [scim('rotate')] },
} satisfies Record<string, MemberSessionRule | ((fields: readonly string[]) => MemberSessionRule)>;

/** For routes that refuse member sessions: `{ config: { memberSession: 'refuse' } }`. */
export const REFUSE = { memberSession: 'refuse' } as const;
