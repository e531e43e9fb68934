import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isAuthorized, listPermissions } from './check.ts';
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import { resolveRoles } from './resolve.ts';
import {
  B2B_RULES,
  BUILT_IN_SELF,
  manyRolesPolicyArbitrary,
  naiveIsAuthorized,
  naiveListPermissions,
  questionArbitrary,
  roleListArbitrary,
  SDK_TEST_POLICY,
  validPolicyArbitrary,
} from './test-support.ts';
import type { AuthorizationVerdict, Policy, PolicyRules } from './types.ts';

const sdk = compilePolicy(SDK_TEST_POLICY);

/** isAuthorized with role ids, after checking that a ResolvedRoles of them gives the same verdict. */
function check(compiled: CompiledPolicy, roles: readonly string[], resourceId: string, action: string): AuthorizationVerdict {
  const verdict = isAuthorized(compiled, roles, resourceId, action);
  assert.deepEqual(isAuthorized(compiled, resolveRoles(compiled, roles), resourceId, action), verdict);
  return verdict;
}
const allowed = (roles: string[], resourceId: string, action: string): boolean => check(sdk, roles, resourceId, action).authorized;

test('Stytch SDK fixture: editor may read and write documents, not delete them', () => {
  assert.deepEqual(isAuthorized(sdk, ['editor'], 'documents', 'read'), { authorized: true, granting_roles: ['editor'] });
  assert.equal(allowed(['editor'], 'documents', 'write'), true);
  assert.equal(allowed(['editor'], 'documents', 'delete'), false);
  assert.equal(allowed(['editor'], 'documents', 'create'), false);
});

test('Stytch SDK fixture: editor may create, read and delete images, not write them', () => {
  for (const action of ['create', 'read', 'delete']) assert.equal(allowed(['editor'], 'images', action), true, action);
  assert.equal(allowed(['editor'], 'images', 'write'), false);
});

test('Stytch SDK fixture: reader reads only; default has nothing; organization_admin has every declared action', () => {
  assert.equal(allowed(['reader'], 'documents', 'read'), true);
  assert.equal(allowed(['reader'], 'images', 'read'), true);
  assert.equal(allowed(['reader'], 'documents', 'write'), false);
  assert.equal(allowed(['reader'], 'images', 'create'), false);
  for (const resource of SDK_TEST_POLICY.resources) {
    for (const action of resource.actions) {
      assert.equal(allowed(['default'], resource.resource_id, action), false);
      assert.equal(allowed(['organization_admin'], resource.resource_id, action), true);
    }
  }
});

test('deny by default: no roles, unknown roles, unknown resources, undeclared actions', () => {
  assert.equal(allowed([], 'documents', 'read'), false);
  assert.equal(allowed(['ghost', 'Editor'], 'documents', 'read'), false);
  assert.equal(allowed(['editor', 'organization_admin'], 'videos', 'read'), false);
  assert.equal(allowed(['editor'], 'documents', 'READ'), false);
});

test('"*" covers the declared actions only, unlike the Stytch SDK local check', () => {
  assert.equal(allowed(['organization_admin'], 'documents', 'publish'), false);
  assert.equal(allowed(['organization_admin'], 'documents', '*'), false);
  // The naive Stytch algorithm (§e.4) would allow "publish": it never looks at the resources.
});

test('"*" covers actions added to the resource, once the policy is compiled again', () => {
  const policy = structuredClone(SDK_TEST_POLICY);
  policy.resources[0]!.actions.push('publish');
  const compiled = compilePolicy(policy);
  assert.deepEqual(isAuthorized(compiled, ['editor', 'organization_admin'], 'documents', 'publish'), {
    authorized: true,
    granting_roles: ['organization_admin'],
  });
  assert.equal(isAuthorized(sdk, ['organization_admin'], 'documents', 'publish').authorized, false);
});

test('granting_roles: every granting role once, in the caller order', () => {
  assert.deepEqual(check(sdk, ['reader', 'default', 'ghost', 'organization_admin', 'editor'], 'images', 'read'), {
    authorized: true,
    granting_roles: ['reader', 'organization_admin', 'editor'],
  });
  assert.deepEqual(check(sdk, ['editor', 'reader', 'editor', 'reader'], 'documents', 'read').granting_roles, ['editor', 'reader']);
  assert.deepEqual(check(sdk, ['default', 'editor', 'editor'], 'documents', 'write').granting_roles, ['editor']);
  assert.deepEqual(check(sdk, ['organization_admin', 'editor', 'organization_admin'], 'documents', 'write').granting_roles, [
    'organization_admin',
    'editor',
  ]);
});

test('verdicts are frozen; every denial is the same object', () => {
  const denied = isAuthorized(sdk, ['reader'], 'documents', 'delete');
  assert.equal(isAuthorized(sdk, ['ghost'], 'videos', 'play'), denied);
  assert.equal(isAuthorized(sdk, ['reader'], 'documents', 'publish'), denied);
  assert.deepEqual(denied, { authorized: false, granting_roles: [] });
  assert.equal(isAuthorized(sdk, resolveRoles(sdk, ['reader']), 'documents', 'delete'), denied);
  assert.equal(isAuthorized(sdk, resolveRoles(sdk, []), 'images', 'read'), denied);
  for (const verdict of [
    denied,
    isAuthorized(sdk, ['reader'], 'images', 'read'),
    isAuthorized(sdk, ['reader', 'editor'], 'images', 'read'),
    isAuthorized(sdk, resolveRoles(sdk, ['reader']), 'images', 'read'),
    isAuthorized(sdk, resolveRoles(sdk, ['reader', 'editor']), 'images', 'read'),
  ]) {
    assert.ok(Object.isFrozen(verdict) && Object.isFrozen(verdict.granting_roles));
    assert.throws(() => verdict.granting_roles.push('admin'), TypeError);
  }
});

test('an allow by one role is that role\'s one shared verdict, in both forms', () => {
  const verdict = isAuthorized(sdk, ['editor'], 'documents', 'read');
  assert.equal(isAuthorized(sdk, ['ghost', 'editor', 'default'], 'documents', 'write'), verdict);
  assert.equal(isAuthorized(sdk, resolveRoles(sdk, ['editor']), 'images', 'create'), verdict);
  assert.equal(isAuthorized(sdk, resolveRoles(sdk, ['default', 'editor', 'editor']), 'documents', 'read'), verdict);
  // Two granting roles: from role ids, a new verdict each time; from a ResolvedRoles, the subject's
  // one verdict for that action, worked out once.
  assert.notEqual(isAuthorized(sdk, ['editor', 'reader'], 'images', 'read'), isAuthorized(sdk, ['editor', 'reader'], 'images', 'read'));
  const both = resolveRoles(sdk, ['editor', 'reader']);
  const first = isAuthorized(sdk, both, 'images', 'read');
  assert.equal(isAuthorized(sdk, both, 'images', 'read'), first);
  assert.deepEqual(first, { authorized: true, granting_roles: ['editor', 'reader'] });
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.granting_roles));
  // Another subject with the same roles works its own verdicts out: nothing leaks between subjects.
  assert.notEqual(isAuthorized(sdk, resolveRoles(sdk, ['editor', 'reader']), 'images', 'read'), first);
});

test('resolveRoles: repeats dropped in the caller order, unknown ids kept without a role number, frozen', () => {
  const resolved = resolveRoles(sdk, ['reader', 'ghost', 'editor', 'reader', '', 'ghost']);
  assert.equal(resolved.policy, sdk);
  assert.deepEqual(resolved.roles, ['reader', 'ghost', 'editor', '']);
  assert.deepEqual(resolved.roleNumbers, [3, -1, 2, -1]);
  assert.ok(Object.isFrozen(resolved) && Object.isFrozen(resolved.roles) && Object.isFrozen(resolved.roleNumbers));
  // The role bitset is private: nothing to read or change from outside.
  assert.deepEqual(Reflect.ownKeys(resolved), ['policy', 'roles', 'roleNumbers']);
  assert.throws(() => {
    (resolved as { roles: readonly string[] }).roles = ['organization_admin'];
  }, TypeError);
  assert.throws(() => (resolved.roles as string[]).push('organization_admin'), TypeError);
  assert.deepEqual(check(sdk, ['ghost', ''], 'documents', 'read'), { authorized: false, granting_roles: [] });
});

test('a ResolvedRoles keeps the roles it was made from; changing the array afterwards changes nothing', () => {
  const roles = ['reader'];
  const resolved = resolveRoles(sdk, roles);
  roles[0] = 'organization_admin';
  roles.push('editor');
  assert.deepEqual(resolved.roles, ['reader']);
  assert.equal(isAuthorized(sdk, resolved, 'documents', 'delete').authorized, false);
  assert.deepEqual(listPermissions(sdk, resolved).documents, { create: false, read: true, write: false, delete: false });
});

test('a ResolvedRoles of another compiled policy is resolved again from its ids, never misread', () => {
  // Same role ids, other role numbers (order reversed), other grants, and a role sdk lacks.
  const policy = structuredClone(SDK_TEST_POLICY);
  policy.roles.reverse();
  policy.roles.find((role) => role.role_id === 'reader')!.permissions[0]!.actions.push('delete');
  policy.roles.push({ role_id: 'publisher', description: '', permissions: [{ resource_id: 'images', actions: ['create'] }] });
  const other = compilePolicy(policy);
  const ids = ['publisher', 'reader', 'ghost'];
  const resolved = resolveRoles(sdk, ids);
  assert.deepEqual(isAuthorized(other, resolved, 'documents', 'delete'), { authorized: true, granting_roles: ['reader'] });
  assert.deepEqual(isAuthorized(other, resolved, 'images', 'create'), { authorized: true, granting_roles: ['publisher'] });
  assert.equal(isAuthorized(sdk, resolved, 'documents', 'delete').authorized, false);
  assert.equal(isAuthorized(sdk, resolved, 'images', 'create').authorized, false);
  for (const resource of policy.resources) {
    for (const action of resource.actions) {
      assert.deepEqual(isAuthorized(other, resolved, resource.resource_id, action), naiveIsAuthorized(policy, {}, ids, resource.resource_id, action));
    }
  }
  assert.deepEqual(listPermissions(other, resolved), naiveListPermissions(policy, {}, ids));
  assert.equal(resolved.policy, sdk); // itself unchanged
  assert.deepEqual(resolved.roleNumbers, [-1, 3, -1]);
});

test('checks write nothing: the compiled policy is frozen and its tables stay as compiled', () => {
  const compiled = compilePolicy(SDK_TEST_POLICY);
  const tables = (c: CompiledPolicy) =>
    JSON.stringify([
      [...c.resources].map(([id, resource]) => [id, resource.actions, [...resource.grants], resource.actionIndex && [...resource.actionIndex]]),
      [...c.roleNumbers],
      c.words,
      c.singleRoleVerdicts,
    ]);
  const before = tables(compiled);
  assert.ok(Object.isFrozen(compiled));
  for (const resource of compiled.resources.values()) assert.ok(Object.isFrozen(resource));
  const lists = [[], ['reader'], ['editor', 'reader'], ['organization_admin', 'ghost', 'editor']];
  for (const roles of lists) {
    for (const form of [roles, resolveRoles(compiled, roles)]) {
      for (const resource of SDK_TEST_POLICY.resources) {
        for (const action of [...resource.actions, '*', 'publish']) isAuthorized(compiled, form, resource.resource_id, action);
      }
      listPermissions(compiled, form);
    }
  }
  assert.equal(tables(compiled), before);
});

test('nothing is remembered between checks: a roles array changed in place is read again', () => {
  const compiled = compilePolicy(SDK_TEST_POLICY);
  const roles = ['reader'];
  assert.equal(isAuthorized(compiled, roles, 'documents', 'write').authorized, false);
  roles[0] = 'editor';
  assert.deepEqual(isAuthorized(compiled, roles, 'documents', 'write').granting_roles, ['editor']);
  roles.push('organization_admin');
  assert.deepEqual(isAuthorized(compiled, roles, 'documents', 'write').granting_roles, ['editor', 'organization_admin']);
  roles.shift();
  assert.deepEqual(isAuthorized(compiled, roles, 'documents', 'write').granting_roles, ['organization_admin']);
  roles.length = 0;
  assert.equal(isAuthorized(compiled, roles, 'documents', 'write').authorized, false);
  assert.deepEqual(listPermissions(compiled, roles).documents, { create: false, read: false, write: false, delete: false });
});

test('checks for different role lists, interleaved, do not mix', () => {
  const compiled = compilePolicy(SDK_TEST_POLICY);
  const reader = ['reader'];
  const admin = ['organization_admin'];
  for (let round = 0; round < 3; round++) {
    assert.equal(isAuthorized(compiled, reader, 'images', 'delete').authorized, false);
    assert.equal(isAuthorized(compiled, admin, 'images', 'delete').authorized, true);
    assert.equal(isAuthorized(compiled, ['reader'], 'images', 'delete').authorized, false);
    assert.equal(isAuthorized(sdk, admin, 'images', 'delete').authorized, true);
  }
});

test('built-in resources are merged in: granted without being listed, with their own actions', () => {
  const policy: Policy = {
    ...structuredClone(SDK_TEST_POLICY),
    roles: [
      ...structuredClone(SDK_TEST_POLICY.roles),
      { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    ],
  };
  const compiled = compilePolicy(policy, B2B_RULES);
  for (const action of BUILT_IN_SELF.actions) {
    assert.deepEqual(isAuthorized(compiled, ['reader', 'stytch_member'], 'stytch.self', action).granting_roles, ['stytch_member']);
  }
  assert.equal(isAuthorized(compiled, ['stytch_member'], 'stytch.self', 'update.info.email').authorized, false);
  // Without the rules, stytch.self is unknown and grants nothing.
  assert.equal(isAuthorized(compilePolicy(policy), ['stytch_member'], 'stytch.self', 'delete').authorized, false);
  assert.deepEqual(listPermissions(compiled, ['stytch_member'])['stytch.self'], {
    'update.info.name': true,
    'update.info.untrusted-metadata': true,
    delete: true,
  });
});

test('listPermissions: every declared action of every resource, like rbac.allPermissions()', () => {
  assert.deepEqual(listPermissions(sdk, ['editor']), {
    documents: { create: false, read: true, write: true, delete: false },
    images: { create: true, read: true, delete: true },
  });
  assert.deepEqual(listPermissions(sdk, ['reader', 'ghost']), {
    documents: { create: false, read: true, write: false, delete: false },
    images: { create: false, read: true, delete: false },
  });
  assert.deepEqual(listPermissions(sdk, []), {
    documents: { create: false, read: false, write: false, delete: false },
    images: { create: false, read: false, delete: false },
  });
});

test('ids such as "__proto__" are ordinary keys in listPermissions', () => {
  const policy: Policy = {
    resources: [{ resource_id: '__proto__', description: '', actions: ['constructor', 'read'] }],
    roles: [{ role_id: 'toString', description: '', permissions: [{ resource_id: '__proto__', actions: ['constructor'] }] }],
    scopes: [],
  };
  const permissions = listPermissions(compilePolicy(policy), ['toString']);
  assert.deepEqual(Object.keys(permissions), ['__proto__']);
  assert.equal(Object.getPrototypeOf(permissions), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(permissions)), JSON.parse('{"__proto__":{"constructor":true,"read":false}}'));
  assert.equal(isAuthorized(compilePolicy(policy), ['valueOf', 'toString'], '__proto__', 'constructor').authorized, true);
  assert.equal(isAuthorized(compilePolicy(policy), ['toString'], 'toString', 'constructor').authorized, false);
});

test('sequences of checks on role arrays that are reused and changed in place agree with a naive scan', () => {
  type Step = { kind: 'check'; list: number; question: [string, string] } | { kind: 'set'; list: number; index: number; role: string } | { kind: 'pop'; list: number };
  const scenarioWithSteps = validPolicyArbitrary().chain((policy) => {
    const roleId = fc.constantFrom(...policy.roles.map((role) => role.role_id), 'ghost');
    const list = fc.nat(2);
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('check' as const), list, question: questionArbitrary(policy) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), list, index: fc.nat(3), role: roleId }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('pop' as const), list }) },
    );
    return fc.record({
      policy: fc.constant(policy),
      lists: fc.tuple(roleListArbitrary(policy), roleListArbitrary(policy), roleListArbitrary(policy)),
      steps: fc.array(step, { maxLength: 40 }),
    });
  });
  fc.assert(
    fc.property(scenarioWithSteps, ({ policy, lists, steps }) => {
      const compiled = compilePolicy(policy);
      // Made before any change: each must keep answering for the roles it was made from.
      const snapshots = lists.map((roles) => ({ roles: [...roles], resolved: resolveRoles(compiled, roles) }));
      for (const step of steps) {
        const roles = lists[step.list]!;
        if (step.kind === 'set') {
          if (step.index < roles.length) roles[step.index] = step.role;
          else roles.push(step.role);
        } else if (step.kind === 'pop') roles.pop();
        else {
          const [resourceId, action] = step.question;
          const expected = naiveIsAuthorized(policy, {}, roles, resourceId, action);
          assert.deepEqual(isAuthorized(compiled, roles, resourceId, action), expected);
          assert.deepEqual(isAuthorized(compiled, resolveRoles(compiled, roles), resourceId, action), expected);
          const snapshot = snapshots[step.list]!;
          assert.deepEqual(
            isAuthorized(compiled, snapshot.resolved, resourceId, action),
            naiveIsAuthorized(policy, {}, snapshot.roles, resourceId, action),
          );
          const listed = listPermissions(compiled, roles);
          const row = Object.hasOwn(listed, resourceId) ? listed[resourceId]! : {};
          assert.equal(Object.hasOwn(row, action) && row[action], expected.authorized);
        }
      }
    }),
    { numRuns: 200 },
  );
});

/** Generated valid policy with role lists and questions to ask of it. */
function scenario(rules: PolicyRules) {
  return validPolicyArbitrary(rules).chain((policy) =>
    fc.record({
      policy: fc.constant(policy),
      roles: roleListArbitrary(policy),
      questions: fc.array(questionArbitrary(policy, rules), { minLength: 1, maxLength: 20 }),
    }),
  );
}

for (const [name, rules] of [['no rules', {}], ['B2B rules', B2B_RULES]] as const) {
  test(`isAuthorized, with role ids and with resolveRoles, agrees with a naive scan of the policy (${name})`, () => {
    let allows = 0;
    let denials = 0;
    fc.assert(
      fc.property(scenario(rules), ({ policy, roles, questions }) => {
        const compiled = compilePolicy(policy, rules);
        const resolved = resolveRoles(compiled, roles);
        for (const [resourceId, action] of questions) {
          const expected = naiveIsAuthorized(policy, rules, roles, resourceId, action);
          assert.deepEqual(isAuthorized(compiled, roles, resourceId, action), expected);
          assert.deepEqual(isAuthorized(compiled, resolved, resourceId, action), expected);
          if (expected.authorized) allows++;
          else denials++;
        }
      }),
      // A fixed seed by default, so the count of each answer below is the same on every run;
      // FC_SEED=<n> explores other seeds.
      { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20261122) },
    );
    // The generators must exercise both answers, or the comparison says little.
    assert.ok(allows > 100 && denials > 100, `allows ${allows}, denials ${denials}`);
  });

  test(`listPermissions, with role ids and with resolveRoles, agrees with a naive scan of the policy (${name})`, () => {
    fc.assert(
      fc.property(scenario(rules), ({ policy, roles }) => {
        const expected = naiveListPermissions(policy, rules, roles);
        const compiled = compilePolicy(policy, rules);
        for (const form of [roles, resolveRoles(compiled, roles)]) {
          const actual = listPermissions(compiled, form);
          assert.deepEqual(actual, expected);
          assert.deepEqual(Object.keys(actual), Object.keys(expected));
        }
      }),
      { numRuns: 300 },
    );
  });
}

test('policies of 33 to 100 roles (bitsets of several words): both forms agree with a naive scan', () => {
  const counts = { allows: 0, denials: 0, severalRoles: 0, highWords: 0 };
  const manyRoles = manyRolesPolicyArbitrary().chain((policy) =>
    fc.record({
      policy: fc.constant(policy),
      roles: roleListArbitrary(policy, 12),
      questions: fc.array(questionArbitrary(policy), { minLength: 1, maxLength: 20 }),
    }),
  );
  fc.assert(
    fc.property(manyRoles, ({ policy, roles, questions }) => {
      const compiled = compilePolicy(policy);
      const resolved = resolveRoles(compiled, roles);
      for (const [resourceId, action] of questions) {
        const expected = naiveIsAuthorized(policy, {}, roles, resourceId, action);
        assert.deepEqual(isAuthorized(compiled, roles, resourceId, action), expected);
        assert.deepEqual(isAuthorized(compiled, resolved, resourceId, action), expected);
        if (!expected.authorized) counts.denials++;
        else counts.allows++;
        if (expected.granting_roles.length > 1) counts.severalRoles++;
        if (expected.granting_roles.some((roleId) => Number(roleId.slice('role-'.length)) >= 32)) counts.highWords++;
      }
      assert.deepEqual(listPermissions(compiled, resolved), naiveListPermissions(policy, {}, roles));
      assert.deepEqual(listPermissions(compiled, roles), naiveListPermissions(policy, {}, roles));
    }),
    { numRuns: 200 },
  );
  assert.ok(Object.values(counts).every((count) => count > 50), JSON.stringify(counts));
});

test('permissions on undeclared resources or actions grant nothing, even in an unvalidated policy', () => {
  const policy = structuredClone(SDK_TEST_POLICY);
  policy.roles[3]!.permissions.push({ resource_id: 'videos', actions: ['play'] });
  policy.roles[3]!.permissions[0]!.actions.push('archive');
  const compiled = compilePolicy(policy);
  assert.equal(isAuthorized(compiled, ['reader'], 'videos', 'play').authorized, false);
  assert.equal(isAuthorized(compiled, ['reader'], 'documents', 'archive').authorized, false);
  assert.deepEqual(Object.keys(listPermissions(compiled, ['reader'])), ['documents', 'images']);
  assert.deepEqual(Object.keys(listPermissions(compiled, ['reader']).documents!), ['create', 'read', 'write', 'delete']);
});
