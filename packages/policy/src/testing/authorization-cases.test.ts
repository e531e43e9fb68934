// Runner 1 of the shared authorization cases: the engine itself. (Tenancy is not the engine's: a
// check naming another organization never reaches isAuthorized, so those cases are the other runners'.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../compile.ts';
import { isAuthorized } from '../check.ts';
import { validatePolicy } from '../validate.ts';
import {
  B2B_CASE_ORGANIZATION_ROLES,
  B2B_CASE_POLICY,
  B2B_CASE_RULES,
  B2B_CASES,
  CONSUMER_CASE_POLICY,
  CONSUMER_CASES,
  heldRoles,
} from './authorization-cases.ts';

test('the case policies are valid', () => {
  assert.deepEqual(validatePolicy(CONSUMER_CASE_POLICY, { defaultRoleIds: ['stytch_user'] }).issues, []);
  assert.deepEqual(validatePolicy(B2B_CASE_POLICY, B2B_CASE_RULES).issues, []);
});

test('consumer cases: isAuthorized', () => {
  const compiled = compilePolicy(CONSUMER_CASE_POLICY, { defaultRoleIds: ['stytch_user'] });
  for (const c of CONSUMER_CASES) {
    const verdict = isAuthorized(compiled, heldRoles('consumer', c), c.resource_id, c.action);
    assert.equal(verdict.authorized, c.expected, c.name);
    assert.deepEqual([...verdict.granting_roles].sort(), c.granting_roles ?? [], c.name);
  }
});

test('B2B cases: isAuthorized over the project roles and the organization custom roles', () => {
  const policy = { ...B2B_CASE_POLICY, roles: [...B2B_CASE_POLICY.roles, ...B2B_CASE_ORGANIZATION_ROLES] };
  const compiled = compilePolicy(policy, B2B_CASE_RULES);
  for (const c of B2B_CASES.filter((c) => c.organization !== 'other')) {
    const verdict = isAuthorized(compiled, heldRoles('b2b', c), c.resource_id, c.action);
    assert.equal(verdict.authorized, c.expected, c.name);
    assert.deepEqual([...verdict.granting_roles].sort(), c.granting_roles ?? [], c.name);
  }
});
