import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { describePolicyChange, diffPolicies, type PolicyChange } from './diff.ts';
import { naiveIsAuthorized, SDK_TEST_POLICY, validPolicyArbitrary } from './test-support.ts';
import type { Permission, Policy } from './types.ts';
import { validatePolicy } from './validate.ts';

function edited(edit: (policy: Policy) => void): Policy {
  const policy = structuredClone(SDK_TEST_POLICY);
  edit(policy);
  return policy;
}

test('resource, action and role changes, in a fixed order', () => {
  const after = edited((p) => {
    p.resources[0]!.description = 'Text files';
    p.resources[0]!.actions = ['create', 'read', 'write', 'publish'];
    p.resources.splice(1, 1);
    p.resources.push({ resource_id: 'videos', description: '', actions: ['play'] });
    p.roles.splice(0, 1); // default
    p.roles[0]!.permissions.pop(); // organization_admin: images
    p.roles[1]!.description = 'Edits documents'; // editor
    p.roles[1]!.permissions = [{ resource_id: 'documents', actions: ['write', 'read', 'publish'] }];
    p.roles[2]!.permissions = [{ resource_id: 'documents', actions: ['*'] }, { resource_id: 'videos', actions: ['play'] }]; // reader
    p.roles.push({ role_id: 'viewer', description: '', permissions: [{ resource_id: 'videos', actions: ['play'] }] });
  });
  assert.equal(validatePolicy(after).valid, true);
  const changes = diffPolicies(SDK_TEST_POLICY, after);
  assert.deepEqual(changes.map(describePolicyChange), [
    '~ resource documents description: "" → "Text files"',
    '- action documents:delete',
    '+ action documents:publish',
    '- resource images',
    '+ resource videos (play)',
    '- role default',
    '- images:* from role organization_admin',
    '~ role editor description: "Can edit documents and images" → "Edits documents"',
    '- images:create from role editor',
    '- images:read from role editor',
    '- images:delete from role editor',
    '+ documents:publish to role editor',
    '- documents:read from role reader',
    '- images:read from role reader',
    '+ documents:* to role reader',
    '+ videos:play to role reader',
    '+ role viewer (videos:play)',
  ]);
  assert.deepEqual(changes[6], { type: 'permission_revoked', role_id: 'organization_admin', resource_id: 'images', action: '*' });
  assert.deepEqual(changes[16], { type: 'role_added', role: after.roles[3] });
});

test('scope changes', () => {
  const read = { scope: 'read', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] };
  const write = { scope: 'write', description: '', permissions: [{ resource_id: 'documents', actions: ['write'] }] };
  const before = edited((p) => p.scopes.push(read, write));
  const after = edited((p) =>
    p.scopes.push(
      { ...write, permissions: [{ resource_id: 'documents', actions: ['write', 'create'] }] },
      { scope: 'images', description: 'Images', permissions: [{ resource_id: 'images', actions: ['*'] }] },
    ),
  );
  const changes = diffPolicies(before, after);
  assert.deepEqual(changes, [
    { type: 'scope_removed', scope: read },
    { type: 'scope_changed', before: write, after: after.scopes[0] },
    { type: 'scope_added', scope: after.scopes[1] },
  ]);
  assert.deepEqual(changes.map(describePolicyChange), [
    '- scope read',
    '~ scope write (documents:write → documents:write,create)',
    '+ scope images (images:*)',
  ]);
  const described = edited((p) => p.scopes.push({ ...read, description: 'Read documents' }));
  assert.deepEqual(diffPolicies(edited((p) => p.scopes.push(read)), described).map((change) => change.type), ['scope_changed']);
});

test('describePolicyChange covers the remaining kinds', () => {
  const lines = (
    [
      { type: 'resource_added', resource: { resource_id: 'videos', description: '', actions: ['play', 'pause'] } },
      { type: 'action_removed', resource_id: 'videos', action: 'pause' },
      { type: 'role_description_changed', role_id: 'viewer', before: 'a', after: 'b "quoted"' },
      { type: 'role_added', role: { role_id: 'nobody', description: '', permissions: [] } },
      { type: 'permission_granted', role_id: 'editor', resource_id: 'documents', action: 'delete' },
      { type: 'permission_revoked', role_id: 'viewer', resource_id: 'documents', action: 'delete' },
    ] satisfies PolicyChange[]
  ).map(describePolicyChange);
  assert.deepEqual(lines, [
    '+ resource videos (play, pause)',
    '- action videos:pause',
    '~ role viewer description: "a" → "b \\"quoted\\""',
    '+ role nobody (no permissions)',
    '+ documents:delete to role editor',
    '- documents:delete from role viewer',
  ]);
});

/** The same policy with every list shuffled: the same policy as far as a diff goes. */
function reordered(policy: Policy): fc.Arbitrary<Policy> {
  const shuffle = <T>(items: T[]): fc.Arbitrary<T[]> => fc.shuffledSubarray(items, { minLength: items.length });
  const permissions = (list: Permission[]) =>
    shuffle(list).chain((shuffled) =>
      fc.tuple(...shuffled.map((p) => shuffle(p.actions).map((actions) => ({ resource_id: p.resource_id, actions })))),
    );
  return fc.record({
    resources: shuffle(policy.resources).chain((resources) =>
      fc.tuple(...resources.map((r) => shuffle(r.actions).map((actions) => ({ ...r, actions })))),
    ),
    roles: shuffle(policy.roles).chain((roles) =>
      fc.tuple(...roles.map((r) => permissions(r.permissions).map((list) => ({ ...r, permissions: list })))),
    ),
    scopes: shuffle(policy.scopes).chain((scopes) =>
      fc.tuple(...scopes.map((s) => permissions(s.permissions).map((list) => ({ ...s, permissions: list })))),
    ),
  });
}

test('a policy does not differ from itself, however its lists are ordered', () => {
  fc.assert(
    fc.property(
      validPolicyArbitrary().chain((policy) => fc.tuple(fc.constant(policy), reordered(policy))),
      ([policy, shuffled]) => {
        assert.deepEqual(diffPolicies(policy, policy), []);
        assert.deepEqual(diffPolicies(policy, shuffled), []);
      },
    ),
  );
});

type PermissionChange = Extract<PolicyChange, { type: 'permission_granted' | 'permission_revoked' }>;

test('a declared action flips for a kept role exactly when a permission on it (or "*") changes', () => {
  let flips = 0;
  fc.assert(
    fc.property(validPolicyArbitrary(), validPolicyArbitrary(), (before, after) => {
      const permissionChanges = diffPolicies(before, after).filter(
        (change): change is PermissionChange => change.type === 'permission_granted' || change.type === 'permission_revoked',
      );
      const has = (type: PermissionChange['type'], roleId: string, resourceId: string, actions: string[]) =>
        permissionChanges.some(
          (c) => c.type === type && c.role_id === roleId && c.resource_id === resourceId && actions.includes(c.action),
        );
      for (const { role_id: roleId } of before.roles.filter((r) => after.roles.some((a) => a.role_id === r.role_id))) {
        for (const resource of before.resources) {
          const kept = after.resources.find((r) => r.resource_id === resource.resource_id);
          for (const action of resource.actions.filter((a) => kept?.actions.includes(a))) {
            const was = naiveIsAuthorized(before, {}, [roleId], resource.resource_id, action).authorized;
            const is = naiveIsAuthorized(after, {}, [roleId], resource.resource_id, action).authorized;
            const granted = has('permission_granted', roleId, resource.resource_id, [action, '*']);
            const revoked = has('permission_revoked', roleId, resource.resource_id, [action, '*']);
            if (!was && is) flips++;
            if (!was && is) assert.ok(granted, `${roleId} ${resource.resource_id}:${action} allowed without a grant`);
            if (was && !is) assert.ok(revoked, `${roleId} ${resource.resource_id}:${action} denied without a revocation`);
            if (!granted && !revoked) assert.equal(is, was);
            if (has('permission_granted', roleId, resource.resource_id, [action])) assert.equal(is, true);
          }
        }
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(flips > 50, `only ${flips} flips generated`);
});

/** A policy as sets: what a diff is about. */
function normalized(policy: Policy) {
  const grants = (permissions: Permission[]) =>
    permissions.flatMap((p) => p.actions.map((action) => `${p.resource_id}:${action}`)).sort();
  const byId = <T>(items: T[], id: (item: T) => string) => [...items].sort((a, b) => (id(a) < id(b) ? -1 : 1));
  return {
    resources: byId(policy.resources, (r) => r.resource_id).map((r) => ({ ...r, actions: [...r.actions].sort() })),
    roles: byId(policy.roles, (r) => r.role_id).map((r) => ({ id: r.role_id, description: r.description, grants: grants(r.permissions) })),
    scopes: byId(policy.scopes, (s) => s.scope).map((s) => ({ id: s.scope, description: s.description, grants: grants(s.permissions) })),
  };
}

/** Replays changes on a policy, naively. */
function applied(policy: Policy, changes: PolicyChange[]): Policy {
  const result = structuredClone(policy);
  const resource = (id: string) => result.resources.find((r) => r.resource_id === id)!;
  const role = (id: string) => result.roles.find((r) => r.role_id === id)!;
  for (const change of changes) {
    switch (change.type) {
      case 'resource_added':
        result.resources.push(change.resource);
        break;
      case 'resource_removed':
        result.resources = result.resources.filter((r) => r.resource_id !== change.resource.resource_id);
        break;
      case 'resource_description_changed':
        resource(change.resource_id).description = change.after;
        break;
      case 'action_added':
        resource(change.resource_id).actions.push(change.action);
        break;
      case 'action_removed':
        resource(change.resource_id).actions = resource(change.resource_id).actions.filter((a) => a !== change.action);
        break;
      case 'role_added':
        result.roles.push(change.role);
        break;
      case 'role_removed':
        result.roles = result.roles.filter((r) => r.role_id !== change.role.role_id);
        break;
      case 'role_description_changed':
        role(change.role_id).description = change.after;
        break;
      case 'permission_granted':
        role(change.role_id).permissions.push({ resource_id: change.resource_id, actions: [change.action] });
        break;
      case 'permission_revoked':
        for (const p of role(change.role_id).permissions) {
          if (p.resource_id === change.resource_id) p.actions = p.actions.filter((a) => a !== change.action);
        }
        break;
      case 'scope_added':
        result.scopes.push(change.scope);
        break;
      case 'scope_removed':
        result.scopes = result.scopes.filter((s) => s.scope !== change.scope.scope);
        break;
      case 'scope_changed':
        result.scopes = result.scopes.map((s) => (s.scope === change.before.scope ? change.after : s));
        break;
    }
  }
  return result;
}

test('replaying the diff of two policies on the first gives the second', () => {
  fc.assert(
    fc.property(validPolicyArbitrary(), validPolicyArbitrary(), (before, after) => {
      assert.deepEqual(normalized(applied(before, diffPolicies(before, after))), normalized(after));
    }),
    { numRuns: 300 },
  );
});
