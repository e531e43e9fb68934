import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compilePolicy } from './compile.ts';
import { groupPolicyChanges, diffPolicies } from './diff.ts';
import { isEmptyDelta, permissionDelta, rolePermissionChanges } from './impact.ts';
import { naiveIsAuthorized, roleListArbitrary, SDK_TEST_POLICY, validPolicyArbitrary } from './test-support.ts';
import type { Policy } from './types.ts';

function edited(edit: (policy: Policy) => void): Policy {
  const policy = structuredClone(SDK_TEST_POLICY);
  edit(policy);
  return policy;
}

const AFTER = edited((p) => {
  p.resources[0]!.actions.push('publish'); // organization_admin's documents:* now covers it
  p.roles[2]!.permissions[1]!.actions = ['create', 'read']; // editor: images:delete goes
  p.roles[2]!.description = 'Edits';
  p.roles.splice(3, 1); // reader
  p.roles.push({ role_id: 'viewer', description: '', permissions: [{ resource_id: 'images', actions: ['read'] }] });
});

test('effective changes per role: a wildcard covering a new action, a lost action, removed and added roles', () => {
  const changes = rolePermissionChanges(compilePolicy(SDK_TEST_POLICY), compilePolicy(AFTER));
  assert.deepEqual(changes, [
    { role_id: 'organization_admin', gained: [{ resource_id: 'documents', actions: ['publish'] }], lost: [] },
    { role_id: 'editor', gained: [], lost: [{ resource_id: 'images', actions: ['delete'] }] },
    { role_id: 'reader', gained: [], lost: [{ resource_id: 'documents', actions: ['read'] }, { resource_id: 'images', actions: ['read'] }] },
    { role_id: 'viewer', gained: [{ resource_id: 'images', actions: ['read'] }], lost: [] },
  ]);
});

test('a subject holding several roles loses only what no other role still grants', () => {
  const before = compilePolicy(SDK_TEST_POLICY);
  const after = compilePolicy(AFTER);
  // reader goes, but editor still reads documents and images.
  assert.deepEqual(permissionDelta(before, after, ['reader', 'editor']), { gained: [], lost: [{ resource_id: 'images', actions: ['delete'] }] });
  assert.ok(isEmptyDelta(permissionDelta(before, after, ['default', 'ghost'])));
  assert.ok(isEmptyDelta(permissionDelta(before, before, ['organization_admin'])));
});

test('the declared diff, grouped: the same changes by resource and role', () => {
  const diff = groupPolicyChanges(diffPolicies(SDK_TEST_POLICY, AFTER));
  assert.deepEqual(diff.resources, { added: [], removed: [], changed: [{ resource_id: 'documents', actions_added: ['publish'], actions_removed: [] }] });
  assert.deepEqual(diff.roles.added, [AFTER.roles[3]]);
  assert.deepEqual(diff.roles.removed, [SDK_TEST_POLICY.roles[3]]);
  assert.deepEqual(diff.roles.changed, [
    { role_id: 'editor', description: { before: 'Can edit documents and images', after: 'Edits' }, gained: [], lost: [{ resource_id: 'images', actions: ['delete'] }] },
  ]);
  assert.deepEqual(diff.scopes, { added: [], removed: [], changed: [] });
  // A wildcard is a permission like any other in the declared diff.
  const wildcard = groupPolicyChanges(diffPolicies(SDK_TEST_POLICY, edited((p) => (p.roles[3]!.permissions = [{ resource_id: 'documents', actions: ['*', 'read'] }]))));
  assert.deepEqual(wildcard.roles.changed, [
    { role_id: 'reader', gained: [{ resource_id: 'documents', actions: ['*'] }], lost: [{ resource_id: 'images', actions: ['read'] }] },
  ]);
});

test('permissionDelta agrees with a naive check before and after, on random policies and role lists', () => {
  fc.assert(
    fc.property(
      validPolicyArbitrary().chain((before) =>
        fc.tuple(fc.constant(before), validPolicyArbitrary(), roleListArbitrary(before)),
      ),
      ([before, after, roles]) => {
        const delta = permissionDelta(compilePolicy(before), compilePolicy(after), roles);
        const has = (list: typeof delta.gained, resourceId: string, action: string) =>
          list.some((p) => p.resource_id === resourceId && p.actions.includes(action));
        for (const resource of [...before.resources, ...after.resources]) {
          for (const action of resource.actions) {
            const was = naiveIsAuthorized(before, {}, roles, resource.resource_id, action).authorized;
            const is = naiveIsAuthorized(after, {}, roles, resource.resource_id, action).authorized;
            assert.equal(has(delta.gained, resource.resource_id, action), !was && is, `gained ${resource.resource_id}:${action}`);
            assert.equal(has(delta.lost, resource.resource_id, action), was && !is, `lost ${resource.resource_id}:${action}`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
