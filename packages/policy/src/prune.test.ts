import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { describePolicyChange, diffPolicies } from './diff.ts';
import { pruneDanglingPermissions } from './prune.ts';
import { B2B_RULES, SDK_TEST_POLICY, validPolicyArbitrary } from './test-support.ts';
import type { Policy } from './types.ts';
import { validatePolicy } from './validate.ts';

test('deleting a resource takes its permissions with it', () => {
  const before = structuredClone(SDK_TEST_POLICY);
  before.scopes.push({
    scope: 'media',
    description: '',
    permissions: [
      { resource_id: 'documents', actions: ['read'] },
      { resource_id: 'images', actions: ['read'] },
    ],
  });
  const input = structuredClone(before);
  input.resources.splice(1, 1); // images
  const snapshot = structuredClone(input);
  const { policy, removed } = pruneDanglingPermissions(input);

  assert.deepEqual(input, snapshot, 'the input is left alone');
  assert.deepEqual(removed.map(describePolicyChange), [
    '- images:* from role organization_admin',
    '- images:create from role editor',
    '- images:read from role editor',
    '- images:delete from role editor',
    '- images:read from role reader',
    '~ scope media (documents:read images:read → documents:read)',
  ]);
  assert.deepEqual(policy.roles.map((role) => role.permissions.map((p) => p.resource_id)), [
    [],
    ['documents'],
    ['documents'],
    ['documents'],
  ]);
  assert.deepEqual(validatePolicy(policy), { valid: true, issues: [] });
});

test('deleting an action takes it out of permissions; "*" stays', () => {
  const input = structuredClone(SDK_TEST_POLICY);
  input.resources[0]!.actions = ['create', 'read', 'delete']; // documents without write
  input.roles.push({ role_id: 'writer', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] });
  const { policy, removed } = pruneDanglingPermissions(input);
  assert.deepEqual(removed, [
    { type: 'permission_revoked', role_id: 'editor', resource_id: 'documents', action: 'write' },
    { type: 'permission_revoked', role_id: 'writer', resource_id: 'documents', action: 'write' },
  ]);
  assert.deepEqual(policy.roles[1]!.permissions[0], { resource_id: 'documents', actions: ['*'] });
  assert.deepEqual(policy.roles[2]!.permissions[0], { resource_id: 'documents', actions: ['read'] });
  assert.deepEqual(policy.roles[4]!.permissions, []);
});

test('built-in resources count as declared', () => {
  const input: Policy = {
    resources: [],
    roles: [
      {
        role_id: 'stytch_member',
        description: '',
        permissions: [{ resource_id: 'stytch.self', actions: ['delete', 'update.info.email'] }],
      },
    ],
    scopes: [],
  };
  assert.deepEqual(pruneDanglingPermissions(input, B2B_RULES).policy.roles[0]!.permissions, [
    { resource_id: 'stytch.self', actions: ['delete'] },
  ]);
  assert.deepEqual(pruneDanglingPermissions(input).policy.roles[0]!.permissions, []);
});

test('a valid policy is returned unchanged, as a copy', () => {
  fc.assert(
    fc.property(validPolicyArbitrary(B2B_RULES), (policy) => {
      const result = pruneDanglingPermissions(policy, B2B_RULES);
      assert.deepEqual(result, { policy, removed: [] });
      assert.notEqual(result.policy.roles, policy.roles);
    }),
  );
});

/** A valid policy with one resource, or one action of a resource, deleted. */
const brokenPolicy = validPolicyArbitrary()
  .filter((policy) => policy.resources.length > 0)
  .chain((policy) =>
    fc.tuple(fc.constant(policy), fc.nat(policy.resources.length - 1), fc.nat(), fc.boolean()).map(([p, r, a, wholeResource]) => {
      const broken = structuredClone(p);
      const resource = broken.resources[r]!;
      if (wholeResource || resource.actions.length === 1) broken.resources.splice(r, 1);
      else resource.actions.splice(a % resource.actions.length, 1);
      return broken;
    }),
  );

test('after a deletion, pruning gives a valid policy and reports what the diff reports', () => {
  let pruned = 0;
  fc.assert(
    fc.property(brokenPolicy, (broken) => {
      const { policy, removed } = pruneDanglingPermissions(broken);
      assert.deepEqual(validatePolicy(policy).issues, []);
      const diff = diffPolicies(broken, policy);
      assert.deepEqual(removed, diff);
      assert.ok(removed.every((change) => change.type === 'permission_revoked' || change.type === 'scope_changed'));
      if (removed.length > 0) pruned++;
    }),
    { numRuns: 300 },
  );
  assert.ok(pruned > 50, `only ${pruned} policies needed pruning`);
});
