import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parsePolicy } from './parse.ts';
import { B2B_RULES, SDK_TEST_POLICY, validPolicyArbitrary } from './test-support.ts';

test('reads a bare policy', () => {
  assert.deepEqual(parsePolicy(JSON.parse(JSON.stringify(SDK_TEST_POLICY))), { ok: true, policy: SDK_TEST_POLICY });
});

test('reads the body of GET /v1/rbac/policy', () => {
  const body = { request_id: 'request-id-test-1', status_code: 200, policy: SDK_TEST_POLICY };
  assert.deepEqual(parsePolicy(body), { ok: true, policy: SDK_TEST_POLICY });
});

test('a missing or null description becomes "", missing scopes become []', () => {
  const result = parsePolicy({
    resources: [{ resource_id: 'documents', actions: ['read'] }],
    roles: [{ role_id: 'reader', description: null, permissions: [{ resource_id: 'documents', actions: ['read'] }] }],
  });
  assert.deepEqual(result, {
    ok: true,
    policy: {
      resources: [{ resource_id: 'documents', description: '', actions: ['read'] }],
      roles: [{ role_id: 'reader', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] }],
      scopes: [],
    },
  });
});

test('unknown fields are dropped and the input is not shared', () => {
  const input = {
    resources: [{ resource_id: 'documents', description: 'Docs', actions: ['read'], created_at: 1 }],
    roles: [{ role_id: 'reader', description: '', permissions: [{ resource_id: 'documents', actions: ['read'], extra: true }], colour: 'red' }],
    scopes: [],
    version: 7,
  };
  const result = parsePolicy(input);
  assert.ok(result.ok);
  assert.deepEqual(result.policy, {
    resources: [{ resource_id: 'documents', description: 'Docs', actions: ['read'] }],
    roles: [{ role_id: 'reader', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] }],
    scopes: [],
  });
  result.policy.roles[0]!.permissions[0]!.actions.push('write');
  assert.deepEqual(input.roles[0]!.permissions[0]!.actions, ['read']);
});

test('wrong types are invalid_policy_format issues with their path, all of them', () => {
  const result = parsePolicy({
    resources: [{ resource_id: 7, actions: 'read' }, 'documents'],
    roles: [
      { role_id: 'reader', description: 3, permissions: [{ resource_id: 'documents', actions: ['read', 2] }] },
      { role_id: 'writer' },
    ],
    scopes: {},
  });
  assert.equal(result.ok, false);
  assert.deepEqual(
    !result.ok && result.issues,
    [
      { code: 'invalid_policy_format', path: 'resources[0].resource_id', message: 'resources[0].resource_id must be a string, not a number' },
      { code: 'invalid_policy_format', path: 'resources[0].actions', message: 'resources[0].actions must be an array, not a string' },
      { code: 'invalid_policy_format', path: 'resources[1]', message: 'resources[1] must be an object, not a string' },
      { code: 'invalid_policy_format', path: 'roles[0].description', message: 'roles[0].description must be a string, not a number' },
      {
        code: 'invalid_policy_format',
        path: 'roles[0].permissions[0].actions[1]',
        message: 'roles[0].permissions[0].actions[1] must be a string, not a number',
      },
      { code: 'invalid_policy_format', path: 'roles[1].permissions', message: 'roles[1].permissions is missing; it must be an array' },
      { code: 'invalid_policy_format', path: 'scopes', message: 'scopes must be an array, not an object' },
    ],
  );
});

test('resources and roles are required; the input must be an object', () => {
  const issues = (input: unknown) => {
    const result = parsePolicy(input);
    return result.ok ? [] : result.issues.map(({ code, path }) => `${code} ${path}`);
  };
  assert.deepEqual(issues({ roles: [] }), ['invalid_policy_format resources']);
  assert.deepEqual(issues({ policy: { resources: [], roles: null } }), ['invalid_policy_format roles']);
  assert.deepEqual(issues([]), ['invalid_policy_format ']);
  assert.deepEqual(issues('{"resources":[]}'), ['invalid_policy_format ']);
  assert.deepEqual(issues({ request_id: 'request-id-test-1', status_code: 200, policy: null }), ['invalid_policy_format ']);
  assert.deepEqual(parsePolicy(null), {
    ok: false,
    issues: [{ code: 'invalid_policy_format', path: '', message: 'the policy must be an object, not null' }],
  });
});

test('a well-formed policy is then validated, with the rules', () => {
  const body = { policy: { resources: [], roles: [{ role_id: 'stytch_user', description: '', permissions: [] }] } };
  assert.deepEqual(parsePolicy(body, { defaultRoleIds: ['stytch_user'] }), {
    ok: true,
    policy: { resources: [], roles: [{ role_id: 'stytch_user', description: '', permissions: [] }], scopes: [] },
  });
  const result = parsePolicy(body);
  assert.deepEqual(!result.ok && result.issues.map((issue) => issue.code), ['invalid_rbac_custom_role']);
});

test('generated valid policies survive a trip through JSON', () => {
  for (const rules of [{}, B2B_RULES]) {
    fc.assert(
      fc.property(validPolicyArbitrary(rules), fc.boolean(), (policy, wrapped) => {
        const json = JSON.parse(JSON.stringify(wrapped ? { request_id: 'r', status_code: 200, policy } : policy));
        assert.deepEqual(parsePolicy(json, rules), { ok: true, policy });
      }),
    );
  }
});
