import assert from 'node:assert/strict';
import { test } from 'node:test';
import { B2B_BUILT_IN_RESOURCES } from './built-ins.ts';
import { isAuthorized } from './check.ts';
import { compileWithCustomRoles, DEFAULT_ROLE_IDS, IMPLICIT_ROLE_IDS, POLICY_KINDS, POLICY_RULES } from './kinds.ts';
import { validatePolicy } from './validate.ts';
import type { Policy } from './types.ts';

const B2B_POLICY: Policy = {
  resources: [...B2B_BUILT_IN_RESOURCES.map((r) => ({ ...r, actions: [...r.actions] })), { resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
    { role_id: 'reader', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  ],
  scopes: [],
};

test('each kind: its implicit roles are among its default roles, and its rules name the defaults', () => {
  assert.deepEqual([...POLICY_KINDS], ['consumer', 'b2b']);
  assert.deepEqual(DEFAULT_ROLE_IDS, { consumer: ['stytch_user'], b2b: ['stytch_member', 'stytch_admin'] });
  assert.deepEqual(IMPLICIT_ROLE_IDS, { consumer: ['stytch_user'], b2b: ['stytch_member'] });
  for (const kind of POLICY_KINDS) {
    for (const role of IMPLICIT_ROLE_IDS[kind]) assert.ok(DEFAULT_ROLE_IDS[kind].includes(role));
    assert.deepEqual(POLICY_RULES[kind].defaultRoleIds, DEFAULT_ROLE_IDS[kind]);
  }
  assert.equal(POLICY_RULES.consumer.builtInResources, undefined);
  assert.equal(POLICY_RULES.b2b.builtInResources, B2B_BUILT_IN_RESOURCES);
  // A B2B policy without stytch_admin is refused; a consumer one does not need it.
  const withoutAdmin = { ...B2B_POLICY, roles: B2B_POLICY.roles.filter((r) => r.role_id !== 'stytch_admin') };
  assert.equal(validatePolicy(withoutAdmin, POLICY_RULES.b2b).valid, false);
  assert.equal(validatePolicy({ resources: [], roles: [{ role_id: 'stytch_user', description: '', permissions: [] }], scopes: [] }, POLICY_RULES.consumer).valid, true);
});

test("an organization's custom roles are compiled with the policy; without any, the policy alone", () => {
  const custom = [{ role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] }];
  const alone = compileWithCustomRoles(B2B_POLICY);
  const withCustom = compileWithCustomRoles(B2B_POLICY, custom, POLICY_RULES.b2b);
  assert.equal(isAuthorized(alone, ['editor'], 'documents', 'write').authorized, false);
  assert.deepEqual(isAuthorized(withCustom, ['reader', 'editor'], 'documents', 'write'), { authorized: true, granting_roles: ['editor'] });
  assert.deepEqual(isAuthorized(withCustom, ['reader', 'editor'], 'documents', 'read'), { authorized: true, granting_roles: ['reader'] });
  assert.deepEqual([...withCustom.roleNumbers.keys()], ['stytch_member', 'stytch_admin', 'reader', 'editor']);
  // Rules given apply: the built-in resources are there even when the policy leaves them out.
  const bare = { ...B2B_POLICY, resources: B2B_POLICY.resources.filter((r) => !r.resource_id.startsWith('stytch.')) };
  assert.equal(isAuthorized(compileWithCustomRoles(bare, custom, POLICY_RULES.b2b), ['stytch_admin'], 'stytch.member', 'delete').authorized, true);
  assert.equal(isAuthorized(compileWithCustomRoles(bare, custom), ['stytch_admin'], 'stytch.member', 'delete').authorized, false);
  // Custom roles do not change the policy they are compiled with.
  assert.equal(B2B_POLICY.roles.length, 3);
});
