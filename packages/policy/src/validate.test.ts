import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { B2B_RULES, BUILT_IN_SELF, SDK_TEST_POLICY, validPolicyArbitrary } from './test-support.ts';
import type { Policy, PolicyIssue, PolicyRules } from './types.ts';
import { validatePolicy } from './validate.ts';

/** The SDK test policy with one change made by `edit`. */
function edited(edit: (policy: Policy) => void): Policy {
  const policy = structuredClone(SDK_TEST_POLICY);
  edit(policy);
  return policy;
}

function issuesOf(policy: Policy, rules?: PolicyRules): Pick<PolicyIssue, 'code' | 'path'>[] {
  return validatePolicy(policy, rules).issues.map(({ code, path }) => ({ code, path }));
}

/** Asserts that the policy has exactly one issue, with this code and path, naming `mentions`. */
function assertOnlyIssue(policy: Policy, code: string, path: string, mentions: string, rules?: PolicyRules): void {
  const result = validatePolicy(policy, rules);
  assert.equal(result.valid, false);
  assert.deepEqual(
    result.issues.map((issue) => ({ code: issue.code, path: issue.path })),
    [{ code, path }],
  );
  assert.match(result.issues[0]!.message, new RegExp(mentions.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
}

test('the Stytch SDK test policy is valid', () => {
  assert.deepEqual(validatePolicy(SDK_TEST_POLICY), { valid: true, issues: [] });
});

test('ids must not be empty', () => {
  assertOnlyIssue(
    edited((p) => p.resources.push({ resource_id: '', description: '', actions: ['read'] })),
    'empty_rbac_resource_id',
    'resources[2].resource_id',
    'resource id must not be empty',
  );
  assertOnlyIssue(edited((p) => (p.roles[0]!.role_id = '')), 'empty_rbac_role_id', 'roles[0].role_id', 'role id');
  assertOnlyIssue(
    edited((p) => p.scopes.push({ scope: '', description: '', permissions: [{ resource_id: 'images', actions: ['read'] }] })),
    'empty_rbac_scope',
    'scopes[0].scope',
    'scope',
  );
});

test('an id of whitespace only counts as empty, and the message says so', () => {
  assertOnlyIssue(edited((p) => (p.roles[1]!.role_id = ' \t')), 'empty_rbac_role_id', 'roles[1].role_id', 'whitespace only');
});

test('ids must not contain whitespace; the message names the id', () => {
  assertOnlyIssue(
    edited((p) => {
      p.resources[0]!.resource_id = 'my documents';
      p.resources.push({ resource_id: 'documents', description: '', actions: ['create', 'read', 'write', 'delete'] });
    }),
    'invalid_rbac_resource_id',
    'resources[0].resource_id',
    '"my documents" must not contain whitespace',
  );
  assertOnlyIssue(edited((p) => (p.roles[0]!.role_id = 'default\nrole')), 'invalid_rbac_role_id', 'roles[0].role_id', '"default\\nrole"');
  assertOnlyIssue(
    edited((p) => p.scopes.push({ scope: 'read docs', description: '', permissions: [{ resource_id: 'images', actions: ['read'] }] })),
    'invalid_rbac_scope',
    'scopes[0].scope',
    '"read docs" must not contain whitespace',
  );
  assertOnlyIssue(
    edited((p) => p.resources[1]!.actions.push('bulk delete')),
    'invalid_rbac_action',
    'resources[1].actions[3]',
    'action "bulk delete" in resource "images"',
  );
  assertOnlyIssue(edited((p) => p.resources[1]!.actions.push('')), 'invalid_rbac_action', 'resources[1].actions[3]', 'resource "images"');
});

test('ids are at most 128 characters (code points) long', () => {
  const long = 'x'.repeat(129);
  assert.deepEqual(validatePolicy(edited((p) => (p.roles[0]!.role_id = 'x'.repeat(128)))).issues, []);
  // Length counts characters (code points): 128 emoji are 256 UTF-16 units, refused for their characters only.
  assertOnlyIssue(edited((p) => (p.roles[0]!.role_id = '😀'.repeat(128))), 'invalid_rbac_id_characters', 'roles[0].role_id', 'U+1F600');
  assertOnlyIssue(edited((p) => (p.roles[0]!.role_id = long)), 'rbac_role_id_too_long', 'roles[0].role_id', '129 characters');
  assertOnlyIssue(
    edited((p) => p.resources.push({ resource_id: long, description: '', actions: ['read'] })),
    'rbac_resource_id_too_long',
    'resources[2].resource_id',
    'at most 128',
  );
  assertOnlyIssue(edited((p) => p.resources[0]!.actions.push(long)), 'rbac_action_too_long', 'resources[0].actions[4]', 'resource "documents"');
  assertOnlyIssue(
    edited((p) => p.scopes.push({ scope: long, description: '', permissions: [{ resource_id: 'images', actions: ['read'] }] })),
    'rbac_scope_too_long',
    'scopes[0].scope',
    '129 characters',
  );
});

test('descriptions are at most 500 characters long', () => {
  const long = 'd'.repeat(501);
  assert.equal(validatePolicy(edited((p) => (p.roles[0]!.description = 'é'.repeat(500)))).valid, true);
  assertOnlyIssue(edited((p) => (p.resources[0]!.description = long)), 'rbac_description_too_long', 'resources[0].description', 'resource "documents"');
  assertOnlyIssue(edited((p) => (p.roles[2]!.description = long)), 'rbac_description_too_long', 'roles[2].description', 'role "editor"');
  assertOnlyIssue(
    edited((p) => p.scopes.push({ scope: 'read', description: long, permissions: [{ resource_id: 'images', actions: ['read'] }] })),
    'rbac_description_too_long',
    'scopes[0].description',
    'scope "read"',
  );
});

test('resource, role and scope ids are unique; the second one is reported', () => {
  assertOnlyIssue(
    edited((p) => p.resources.push({ resource_id: 'images', description: 'again', actions: ['read'] })),
    'rbac_resource_duplicate',
    'resources[2].resource_id',
    '"images" is listed more than once (first at resources[1].resource_id)',
  );
  assertOnlyIssue(
    edited((p) => p.roles.push({ role_id: 'reader', description: '', permissions: [] })),
    'rbac_role_duplicate',
    'roles[4].role_id',
    '"reader"',
  );
  const scope = { scope: 'read', description: '', permissions: [{ resource_id: 'images', actions: ['read'] }] };
  assertOnlyIssue(edited((p) => p.scopes.push(scope, structuredClone(scope))), 'rbac_scope_duplicate', 'scopes[1].scope', '"read"');
});

test('actions are unique within a resource and within a permission', () => {
  assertOnlyIssue(edited((p) => p.resources[1]!.actions.push('read')), 'rbac_action_duplicate', 'resources[1].actions[3]', '"read"');
  assertOnlyIssue(
    edited((p) => p.roles[3]!.permissions[0]!.actions.push('read')),
    'rbac_action_duplicate',
    'roles[3].permissions[0].actions[1]',
    'role "reader"',
  );
});

test('a resource needs at least one action', () => {
  assertOnlyIssue(
    edited((p) => p.resources.push({ resource_id: 'empty', description: '', actions: [] })),
    'rbac_resource_missing_actions',
    'resources[2].actions',
    'resource "empty"',
  );
});

test('"*" may not be declared as an action of a resource', () => {
  assertOnlyIssue(edited((p) => p.resources[0]!.actions.push('*')), 'invalid_wildcard_action', 'resources[0].actions[4]', 'resource "documents"');
});

test('"*" may not stand with other actions in a permission', () => {
  assertOnlyIssue(
    edited((p) => p.roles[1]!.permissions[0]!.actions.push('read')),
    'invalid_wildcard_action',
    'roles[1].permissions[0].actions',
    'role "organization_admin"',
  );
});

test('custom resource ids may not start with "stytch", in any case', () => {
  for (const id of ['stytch.documents', 'STYTCH', 'StytchThings']) {
    assertOnlyIssue(
      edited((p) => p.resources.push({ resource_id: id, description: '', actions: ['read'] })),
      'invalid_stytch_prefixed_resource',
      'resources[2].resource_id',
      JSON.stringify(id),
    );
  }
  assert.equal(validatePolicy(edited((p) => p.resources.push({ resource_id: 'my-stytch', description: '', actions: ['read'] }))).valid, true);
});

test('a built-in resource may be listed only as it is', () => {
  const withSelf = (resource: typeof BUILT_IN_SELF): Policy => edited((p) => {
    p.resources.push(resource);
    p.roles.push({ role_id: 'stytch_member', description: '', permissions: [] });
  });
  const reordered = { ...BUILT_IN_SELF, description: '', actions: [...BUILT_IN_SELF.actions].reverse() };
  assert.deepEqual(validatePolicy(withSelf(reordered), B2B_RULES), { valid: true, issues: [] });
  assertOnlyIssue(
    withSelf({ ...BUILT_IN_SELF, actions: [...BUILT_IN_SELF.actions, 'impersonate'] }),
    'invalid_stytch_prefixed_resource',
    'resources[2].actions',
    'built-in resource "stytch.self" cannot be changed',
    B2B_RULES,
  );
  assertOnlyIssue(
    withSelf({ ...BUILT_IN_SELF, actions: ['delete'] }),
    'invalid_stytch_prefixed_resource',
    'resources[2].actions',
    'stytch.self',
    B2B_RULES,
  );
  // Without the rules it is just a custom resource with a reserved prefix.
  assert.deepEqual(issuesOf(withSelf(BUILT_IN_SELF)), [
    { code: 'invalid_stytch_prefixed_resource', path: 'resources[2].resource_id' },
    { code: 'invalid_rbac_custom_role', path: 'roles[4].role_id' },
  ]);
});

test('role ids starting with "stytch_" are reserved for the default roles', () => {
  assertOnlyIssue(
    edited((p) => p.roles.push({ role_id: 'stytch_superuser', description: '', permissions: [] })),
    'invalid_rbac_custom_role',
    'roles[4].role_id',
    '"stytch_superuser" is reserved',
  );
  assertOnlyIssue(
    edited((p) => p.roles.push({ role_id: 'Stytch_Admin', description: '', permissions: [] })),
    'invalid_rbac_custom_role',
    'roles[4].role_id',
    'Stytch_Admin',
  );
  const rules = { defaultRoleIds: ['stytch_user'] };
  assert.equal(validatePolicy(edited((p) => p.roles.push({ role_id: 'stytch_user', description: '', permissions: [] })), rules).valid, true);
});

test('every default role must be present', () => {
  const result = validatePolicy(SDK_TEST_POLICY, { defaultRoleIds: ['stytch_member', 'stytch_admin'] });
  assert.deepEqual(result.issues, [
    {
      code: 'invalid_rbac_stytch_role_edit',
      path: 'roles',
      message: 'the default role stytch_member cannot be removed; keep it, its permissions may be empty',
    },
    {
      code: 'invalid_rbac_stytch_role_edit',
      path: 'roles',
      message: 'the default role stytch_admin cannot be removed; keep it, its permissions may be empty',
    },
  ]);
});

test('permissions must name a declared resource', () => {
  assertOnlyIssue(
    edited((p) => p.roles[3]!.permissions.push({ resource_id: 'videos', actions: ['read'] })),
    'invalid_permission_resource',
    'roles[3].permissions[2].resource_id',
    'role "reader" has a permission on resource "videos"',
  );
  // A built-in resource the policy leaves out can still be granted.
  const grantsSelf = edited((p) => p.roles.push({ role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] }));
  assert.deepEqual(validatePolicy(grantsSelf, B2B_RULES), { valid: true, issues: [] });
  assert.deepEqual(issuesOf(grantsSelf, { defaultRoleIds: ['stytch_member'] }), [
    { code: 'invalid_permission_resource', path: 'roles[4].permissions[0].resource_id' },
  ]);
});

test('permissions must name actions the resource declares, or "*"', () => {
  assertOnlyIssue(
    edited((p) => (p.roles[2]!.permissions[1]!.actions = ['create', 'write'])),
    'invalid_permission_action',
    'roles[2].permissions[1].actions[1]',
    'action "write" is not declared on resource "images"',
  );
});

test('a permission needs at least one action', () => {
  assertOnlyIssue(
    edited((p) => (p.roles[3]!.permissions[1]!.actions = [])),
    'rbac_permission_missing_actions',
    'roles[3].permissions[1].actions',
    'role "reader" has a permission on resource "images" without actions',
  );
});

test('a role or scope names each resource in one permission only', () => {
  assertOnlyIssue(
    edited((p) => p.roles[2]!.permissions.push({ resource_id: 'documents', actions: ['delete'] })),
    'rbac_permission_duplicate',
    'roles[2].permissions[2]',
    'role "editor": resource "documents" is listed more than once (first at roles[2].permissions[0])',
  );
  assertOnlyIssue(
    edited((p) =>
      p.scopes.push({
        scope: 'read',
        description: '',
        permissions: [
          { resource_id: 'images', actions: ['read'] },
          { resource_id: 'images', actions: ['create'] },
        ],
      }),
    ),
    'rbac_permission_duplicate',
    'scopes[0].permissions[1]',
    'scope "read"',
  );
});

test('roles and scopes may have no permissions (a cascade delete can leave them empty)', () => {
  assert.equal(validatePolicy(edited((p) => (p.roles[2]!.permissions = []))).valid, true);
  assert.equal(validatePolicy(edited((p) => p.scopes.push({ scope: 'nothing', description: '', permissions: [] }))).valid, true);
});

test('scope permissions follow the role permission rules', () => {
  const policy = edited((p) =>
    p.scopes.push({
      scope: 'write:images',
      description: '',
      permissions: [
        { resource_id: 'images', actions: ['*', 'read', 'paint'] },
        { resource_id: 'sounds', actions: ['play'] },
      ],
    }),
  );
  assert.deepEqual(issuesOf(policy), [
    { code: 'invalid_wildcard_action', path: 'scopes[0].permissions[0].actions' },
    { code: 'invalid_permission_action', path: 'scopes[0].permissions[0].actions[2]' },
    { code: 'invalid_permission_resource', path: 'scopes[0].permissions[1].resource_id' },
  ]);
});

test('every issue is reported, in policy order', () => {
  const policy: Policy = {
    resources: [
      { resource_id: '', description: '', actions: [] },
      { resource_id: 'docs', description: '', actions: ['read', 'read', '*'] },
      { resource_id: 'docs', description: '', actions: ['read'] },
    ],
    roles: [
      { role_id: 'stytch_root', description: '', permissions: [{ resource_id: 'docs', actions: [] }] },
      {
        role_id: 'reader',
        description: '',
        permissions: [
          { resource_id: 'docs', actions: ['read', 'list'] },
          { resource_id: 'docs', actions: ['*'] },
        ],
      },
    ],
    scopes: [{ scope: 'a b', description: '', permissions: [] }],
  };
  assert.deepEqual(issuesOf(policy, { defaultRoleIds: ['stytch_user'] }), [
    { code: 'empty_rbac_resource_id', path: 'resources[0].resource_id' },
    { code: 'rbac_resource_missing_actions', path: 'resources[0].actions' },
    { code: 'rbac_action_duplicate', path: 'resources[1].actions[1]' },
    { code: 'invalid_wildcard_action', path: 'resources[1].actions[2]' },
    { code: 'rbac_resource_duplicate', path: 'resources[2].resource_id' },
    { code: 'invalid_rbac_custom_role', path: 'roles[0].role_id' },
    { code: 'rbac_permission_missing_actions', path: 'roles[0].permissions[0].actions' },
    { code: 'invalid_permission_action', path: 'roles[1].permissions[0].actions[1]' },
    { code: 'rbac_permission_duplicate', path: 'roles[1].permissions[1]' },
    { code: 'invalid_rbac_stytch_role_edit', path: 'roles' },
    { code: 'invalid_rbac_scope', path: 'scopes[0].scope' },
  ]);
});

test('generated valid policies pass, with and without B2B rules', () => {
  fc.assert(fc.property(validPolicyArbitrary(), (policy) => assert.deepEqual(validatePolicy(policy).issues, [])));
  fc.assert(
    fc.property(validPolicyArbitrary(B2B_RULES), (policy) => assert.deepEqual(validatePolicy(policy, B2B_RULES).issues, [])),
  );
});

test('an undeclared action slipped into any permission of a generated policy is reported there', () => {
  const withPermission = validPolicyArbitrary().filter((policy) => policy.roles.some((role) => role.permissions.length > 0));
  fc.assert(
    fc.property(withPermission, fc.nat(), fc.nat(), (policy, roleSeed, permissionSeed) => {
      const withPermissions = policy.roles.flatMap((role, r) => (role.permissions.length > 0 ? [r] : []));
      const r = withPermissions[roleSeed % withPermissions.length]!;
      const p = permissionSeed % policy.roles[r]!.permissions.length;
      const broken = structuredClone(policy);
      const actions = broken.roles[r]!.permissions[p]!.actions;
      if (actions[0] === '*') actions[0] = 'undeclared';
      else actions.push('undeclared');
      const index = actions.indexOf('undeclared');
      assert.deepEqual(issuesOf(broken), [
        { code: 'invalid_permission_action', path: `roles[${r}].permissions[${p}].actions[${index}]` },
      ]);
    }),
  );
});

test('ids are ASCII letters, digits, ".", "_", "-" and ":" only; a look-alike or a symbol is refused with the character named', () => {
  // A Cyrillic ѕ (U+0455) makes a role that reads as stytch_admin and slips past the reserved prefix.
  assertOnlyIssue(edited((p) => p.roles.push({ role_id: 'ѕtytch_admin', description: '', permissions: [] })), 'invalid_rbac_id_characters', 'roles[4].role_id', 'U+0455');
  const withMarkup = edited((p) => p.resources.push({ resource_id: 'files<script>', description: '', actions: ['read'] }));
  assertOnlyIssue(withMarkup, 'invalid_rbac_id_characters', 'resources[2].resource_id', '"<" (U+003C)');
  assertOnlyIssue(edited((p) => p.resources[1]!.actions.push('read\u200b')), 'invalid_rbac_id_characters', 'resources[1].actions[3]', 'U+200B');
  assertOnlyIssue(
    edited((p) => p.scopes.push({ scope: 'read/docs', description: '', permissions: [{ resource_id: 'images', actions: ['read'] }] })),
    'invalid_rbac_id_characters',
    'scopes[0].scope',
    '"/"',
  );
  // Every separator, the stytch. prefix of built-in resources and the wildcard keep working.
  const policy = edited((p) => {
    p.resources.push({ resource_id: 'reports.v2:eu-west_1', description: '', actions: ['export.pdf', 'read:all', 'bulk-delete', 'x_1'] });
    p.roles.push({ role_id: 'org.billing-admin:eu_1', description: '', permissions: [{ resource_id: 'reports.v2:eu-west_1', actions: ['*'] }, { resource_id: 'stytch.self', actions: ['*'] }] });
  });
  assert.deepEqual(validatePolicy(policy, { builtInResources: [BUILT_IN_SELF] }), { valid: true, issues: [] });
});
