import assert from 'node:assert/strict';
import { test } from 'node:test';
import { B2B_BUILT_IN_RESOURCES, compilePolicy, compileScopes, isAuthorized, parseScopeClaim, POLICY_RULES, validatePolicy, type Policy } from './index.ts';

const POLICY: Policy = {
  resources: [
    { resource_id: 'documents', description: '', actions: ['read', 'write', 'delete'] },
    { resource_id: 'reports', description: '', actions: ['read', 'export'] },
  ],
  roles: [{ role_id: 'read:documents', description: 'a role named like a scope grants nothing to a token', permissions: [{ resource_id: 'documents', actions: ['*'] }] }],
  scopes: [
    { scope: 'read:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { scope: 'write:documents', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { scope: 'reports', description: '', permissions: [{ resource_id: 'reports', actions: ['*'] }] },
  ],
};

test('a token\'s scopes allow exactly what the policy\'s scopes grant', () => {
  assert.equal(validatePolicy(POLICY).valid, true);
  const compiled = compileScopes(POLICY);
  assert.deepEqual(isAuthorized(compiled, ['read:documents'], 'documents', 'read'), { authorized: true, granting_roles: ['read:documents'] });
  assert.equal(isAuthorized(compiled, ['read:documents'], 'documents', 'write').authorized, false);
  assert.deepEqual(isAuthorized(compiled, ['read:documents', 'write:documents'], 'documents', 'read').granting_roles, ['read:documents', 'write:documents']);
  assert.equal(isAuthorized(compiled, ['reports'], 'reports', 'export').authorized, true, '* covers the declared actions');
  assert.equal(isAuthorized(compiled, ['reports'], 'reports', 'print').authorized, false, 'not an undeclared one');
  assert.equal(isAuthorized(compiled, ['unknown:scope', 'delete:documents'], 'documents', 'delete').authorized, false, 'scopes the policy does not list grant nothing');
  assert.equal(isAuthorized(compiled, [], 'documents', 'read').authorized, false);
  // The roles table is another table: a role's permissions are not a scope's.
  assert.equal(isAuthorized(compilePolicy(POLICY), ['read:documents'], 'documents', 'delete').authorized, true);
  assert.equal(isAuthorized(compiled, ['read:documents'], 'documents', 'delete').authorized, false);
});

test('B2B rules: scopes may grant built-in resources', () => {
  const member = B2B_BUILT_IN_RESOURCES.find((r) => r.resource_id === 'stytch.member')!;
  const policy: Policy = { resources: [], roles: [], scopes: [{ scope: 'manage:members', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] }] };
  const compiled = compileScopes(policy, POLICY_RULES.b2b);
  assert.equal(isAuthorized(compiled, ['manage:members'], 'stytch.member', member.actions[0]!).authorized, true);
});

test('the scope claim: space-separated, empties dropped, anything else no scopes', () => {
  assert.deepEqual(parseScopeClaim('a  b c'), ['a', 'b', 'c']);
  assert.deepEqual(parseScopeClaim(''), []);
  assert.deepEqual(parseScopeClaim(['a']), []);
  assert.deepEqual(parseScopeClaim(undefined), []);
});
