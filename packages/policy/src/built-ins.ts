// Stytch's built-in B2B resources: part of every B2B policy, not changeable. Here, in the shared
// engine, so the server, the SDKs and the shared authorization cases read one list.
import type { Resource } from './types.ts';

/** The built-in B2B resources, with the action names of Stytch's current API. They cannot be changed. */
export const B2B_BUILT_IN_RESOURCES: readonly Resource[] = [
  {
    resource_id: 'stytch.organization',
    description: 'The member\'s own organization.',
    actions: [
      'update.info.name',
      'update.info.slug',
      'update.info.logo-url',
      'update.settings.default-sso-connection',
      'update.settings.sso-jit-provisioning',
      'update.settings.allowed-domains',
      'update.settings.email-jit-provisioning',
      'update.settings.email-invites',
      'update.settings.allowed-auth-methods',
      'update.settings.mfa-policy',
      'update.settings.implicit-roles',
      'update.settings.allowed-mfa-methods',
      'update.settings.oauth-tenant-jit-provisioning',
      'update.settings.allowed-oauth-tenants',
      'delete',
    ],
  },
  {
    resource_id: 'stytch.member',
    description: 'Every member of the member\'s organization.',
    actions: [
      'create',
      'update.info.name',
      'update.info.untrusted-metadata',
      'update.info.mfa-phone',
      'update.info.email',
      'update.info.delete.mfa-phone',
      'update.info.delete.mfa-totp',
      'update.info.delete.password',
      'update.settings.is-breakglass',
      'update.settings.mfa-enrolled',
      'update.settings.roles',
      'update.settings.default-mfa-method',
      'search',
      'delete',
    ],
  },
  {
    resource_id: 'stytch.sso',
    description: 'The organization\'s SSO connections.',
    actions: ['create', 'get', 'update', 'delete'],
  },
  {
    resource_id: 'stytch.scim',
    description: 'The organization\'s SCIM connections.',
    actions: ['create', 'get', 'update', 'delete', 'rotate'],
  },
  {
    resource_id: 'stytch.self',
    description: 'The member\'s own member record.',
    actions: [
      'update.info.name',
      'update.info.untrusted-metadata',
      'update.info.mfa-phone',
      // Stytch's start_email_update: a member may ask to change its own address (the link to the new one proves it).
      'update.info.email',
      'update.info.delete.mfa-phone',
      'update.info.delete.mfa-totp',
      'update.info.delete.password',
      'update.settings.mfa-enrolled',
      'update.settings.default-mfa-method',
      'delete',
    ],
  },
];
