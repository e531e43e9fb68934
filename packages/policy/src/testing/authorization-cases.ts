// The shared authorization cases: one table, four runners that must agree — packages/policy
// (isAuthorized), the server's authorization_check (sessions/authenticate over HTTP, consumer and
// B2B), the backend SDK's local check (packages/node) and the browser SDK. Import it as
// `@gatehouse/policy/testing/authorization-cases`.
//
// Every case can be set up on a real server: the subject holds the default roles (`stytch_user`, or
// `stytch_member` for B2B) plus `roles`, all defined in the policy (or, B2B, in the organization's
// custom roles), so a runner assigns `roles` explicitly to a user or member and checks.
import type { Policy, PolicyRules, Resource, Role } from '../types.ts';
import { B2B_BUILT_IN_RESOURCES } from '../built-ins.ts';

export interface AuthorizationCase {
  name: string;
  /** Roles assigned explicitly; the subject also holds the default role. */
  roles: string[];
  resource_id: string;
  action: string;
  expected: boolean;
  /** When allowed: every granting role, sorted (the default role included when it grants). */
  granting_roles?: string[];
}

export interface B2BAuthorizationCase extends AuthorizationCase {
  /**
   * `other`: the check names another organization than the member's (a tenancy failure, whatever
   * the roles). Default `own`.
   */
  organization?: 'own' | 'other';
}

/** The consumer policy every consumer case runs against. */
export const CONSUMER_CASE_POLICY: Policy = {
  resources: [
    { resource_id: 'documents', description: 'Documents', actions: ['create', 'read', 'update', 'delete', 'download'] },
    { resource_id: 'images', description: 'Images', actions: ['read', 'upload'] },
    { resource_id: 'billing', description: 'Billing', actions: ['read'] },
  ],
  roles: [
    { role_id: 'stytch_user', description: 'Every user', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['create', 'read', 'update'] }] },
    {
      role_id: 'admin',
      description: 'Everything',
      permissions: [
        { resource_id: 'documents', actions: ['*'] },
        { resource_id: 'images', actions: ['*'] },
      ],
    },
    { role_id: 'uploader', description: 'Uploads images', permissions: [{ resource_id: 'images', actions: ['upload'] }] },
    { role_id: 'empty', description: 'No permissions', permissions: [] },
  ],
  scopes: [],
};

export const CONSUMER_CASES: readonly AuthorizationCase[] = [
  { name: 'default role grants read', roles: [], resource_id: 'documents', action: 'read', expected: true, granting_roles: ['stytch_user'] },
  { name: 'default role alone cannot update', roles: [], resource_id: 'documents', action: 'update', expected: false },
  { name: 'explicit role grants its action', roles: ['editor'], resource_id: 'documents', action: 'update', expected: true, granting_roles: ['editor'] },
  {
    name: 'every granting role is named',
    roles: ['editor', 'admin'],
    resource_id: 'documents',
    action: 'read',
    expected: true,
    granting_roles: ['admin', 'editor', 'stytch_user'],
  },
  { name: 'explicit role lacks the action', roles: ['editor'], resource_id: 'documents', action: 'delete', expected: false },
  { name: 'wildcard grants a declared action', roles: ['admin'], resource_id: 'documents', action: 'delete', expected: true, granting_roles: ['admin'] },
  { name: 'wildcard on another resource', roles: ['admin'], resource_id: 'images', action: 'upload', expected: true, granting_roles: ['admin'] },
  { name: 'wildcard never grants an undeclared action', roles: ['admin'], resource_id: 'documents', action: 'publish', expected: false },
  { name: 'unknown resource', roles: ['admin'], resource_id: 'spreadsheets', action: 'read', expected: false },
  { name: 'resource no role grants', roles: ['admin', 'editor'], resource_id: 'billing', action: 'read', expected: false },
  { name: 'action is case-sensitive', roles: ['admin'], resource_id: 'documents', action: 'READ', expected: false },
  { name: '"*" as the checked action is not a wildcard', roles: ['editor'], resource_id: 'documents', action: '*', expected: false },
  { name: 'role without permissions', roles: ['empty'], resource_id: 'images', action: 'read', expected: false },
  { name: 'several roles, one grants', roles: ['empty', 'uploader'], resource_id: 'images', action: 'upload', expected: true, granting_roles: ['uploader'] },
  { name: 'resource ids are exact, no prefix match', roles: ['admin'], resource_id: 'document', action: 'read', expected: false },
];

/** The B2B policy every B2B case runs against (the `stytch.*` resources are built in). */
export const B2B_CASE_POLICY: Policy = {
  resources: [{ resource_id: 'documents', description: 'Documents', actions: ['create', 'read', 'update', 'delete'] }],
  roles: [
    { role_id: 'stytch_member', description: 'Every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: 'Administers', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
    { role_id: 'editor', description: 'Edits', permissions: [{ resource_id: 'documents', actions: ['read', 'update'] }] },
    { role_id: 'owner', description: 'Owns documents', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
    { role_id: 'member-searcher', description: 'Searches members', permissions: [{ resource_id: 'stytch.member', actions: ['search'] }] },
  ],
  scopes: [],
};

/** The built-in resources the B2B cases name, for runners that compile the policy themselves. */
export const B2B_CASE_BUILT_IN_RESOURCES: readonly Resource[] = B2B_BUILT_IN_RESOURCES.filter((r) => r.resource_id === 'stytch.member' || r.resource_id === 'stytch.self');

/** Rules to compile B2B_CASE_POLICY with when not taking the policy from a server. */
export const B2B_CASE_RULES: PolicyRules = { defaultRoleIds: ['stytch_member', 'stytch_admin'], builtInResources: B2B_CASE_BUILT_IN_RESOURCES };

/** The custom roles of the member's organization (GET /v1/b2b/rbac/organizations/{id}). */
export const B2B_CASE_ORGANIZATION_ROLES: Role[] = [
  { role_id: 'org-deleter', description: 'Deletes documents in this organization', permissions: [{ resource_id: 'documents', actions: ['delete'] }] },
];

export const B2B_CASES: readonly B2BAuthorizationCase[] = [
  {
    name: 'default member role on stytch.self',
    roles: [],
    resource_id: 'stytch.self',
    action: 'update.info.name',
    expected: true,
    granting_roles: ['stytch_member'],
  },
  { name: 'default member role cannot search members', roles: [], resource_id: 'stytch.member', action: 'search', expected: false },
  { name: 'admin wildcard on a built-in resource', roles: ['stytch_admin'], resource_id: 'stytch.member', action: 'search', expected: true, granting_roles: ['stytch_admin'] },
  {
    name: 'admin and a narrow role both grant',
    roles: ['stytch_admin', 'member-searcher'],
    resource_id: 'stytch.member',
    action: 'search',
    expected: true,
    granting_roles: ['member-searcher', 'stytch_admin'],
  },
  { name: 'built-in wildcard never grants an undeclared action', roles: ['stytch_admin'], resource_id: 'stytch.member', action: 'explode', expected: false },
  { name: 'custom role on a custom resource', roles: ['editor'], resource_id: 'documents', action: 'update', expected: true, granting_roles: ['editor'] },
  { name: 'custom role lacks the action', roles: ['editor'], resource_id: 'documents', action: 'delete', expected: false },
  { name: 'custom wildcard', roles: ['owner'], resource_id: 'documents', action: 'delete', expected: true, granting_roles: ['owner'] },
  { name: 'unknown resource', roles: ['owner'], resource_id: 'spreadsheets', action: 'read', expected: false },
  { name: 'unknown action', roles: ['owner'], resource_id: 'documents', action: 'publish', expected: false },
  { name: 'organization custom role', roles: ['org-deleter'], resource_id: 'documents', action: 'delete', expected: true, granting_roles: ['org-deleter'] },
  { name: 'organization custom role lacks the action', roles: ['org-deleter'], resource_id: 'documents', action: 'read', expected: false },
  { name: 'tenancy: another organization, even when the roles grant', roles: ['owner'], resource_id: 'documents', action: 'read', expected: false, organization: 'other' },
  { name: 'tenancy: default role, another organization', roles: [], resource_id: 'stytch.self', action: 'delete', expected: false, organization: 'other' },
];

/** The roles a case's subject holds: the default role, then the assigned ones. */
export function heldRoles(kind: 'consumer' | 'b2b', testCase: AuthorizationCase): string[] {
  return [kind === 'consumer' ? 'stytch_user' : 'stytch_member', ...testCase.roles];
}
