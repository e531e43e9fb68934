// Shared by the tests only (not exported by the package): fixtures, a naive reference check and
// fast-check generators of valid policies.
import fc from 'fast-check';
import {
  WILDCARD_ACTION,
  type AuthorizationVerdict,
  type Permission,
  type Policy,
  type PolicyRules,
  type Resource,
  type Role,
  type Scope,
} from './types.ts';

/** The policy of the Stytch SDK's local-authorization tests (`test/b2b/rbac_policy.ts`). */
export const SDK_TEST_POLICY: Policy = {
  resources: [
    { resource_id: 'documents', description: '', actions: ['create', 'read', 'write', 'delete'] },
    { resource_id: 'images', description: '', actions: ['create', 'read', 'delete'] },
  ],
  roles: [
    { role_id: 'default', description: 'Default role', permissions: [] },
    {
      role_id: 'organization_admin',
      description: 'All powerful',
      permissions: [
        { resource_id: 'documents', actions: ['*'] },
        { resource_id: 'images', actions: ['*'] },
      ],
    },
    {
      role_id: 'editor',
      description: 'Can edit documents and images',
      permissions: [
        { resource_id: 'documents', actions: ['read', 'write'] },
        { resource_id: 'images', actions: ['create', 'read', 'delete'] },
      ],
    },
    {
      role_id: 'reader',
      description: 'Can read',
      permissions: [
        { resource_id: 'documents', actions: ['read'] },
        { resource_id: 'images', actions: ['read'] },
      ],
    },
  ],
  scopes: [],
};

export const BUILT_IN_SELF: Resource = {
  resource_id: 'stytch.self',
  description: 'The member themself',
  actions: ['update.info.name', 'update.info.untrusted-metadata', 'delete'],
};

/** B2B-like rules, reduced to one built-in resource and one default role. */
export const B2B_RULES: PolicyRules = { defaultRoleIds: ['stytch_member'], builtInResources: [BUILT_IN_SELF] };

/** Naive reference for isAuthorized: scans the policy for every question. */
export function naiveIsAuthorized(
  policy: Policy,
  rules: PolicyRules,
  roles: readonly string[],
  resourceId: string,
  action: string,
): AuthorizationVerdict {
  const resource =
    rules.builtInResources?.find((candidate) => candidate.resource_id === resourceId) ??
    policy.resources.find((candidate) => candidate.resource_id === resourceId);
  const granting: string[] = [];
  if (resource !== undefined && resource.actions.includes(action)) {
    for (const roleId of roles) {
      const role = policy.roles.find((candidate) => candidate.role_id === roleId);
      const grants = role?.permissions.some(
        (permission) =>
          permission.resource_id === resourceId &&
          (permission.actions.includes(action) || permission.actions.includes(WILDCARD_ACTION)),
      );
      if (grants === true && !granting.includes(roleId)) granting.push(roleId);
    }
  }
  return { authorized: granting.length > 0, granting_roles: granting };
}

/** Naive reference for listPermissions: every declared resource (built-in ones last) and action. */
export function naiveListPermissions(
  policy: Policy,
  rules: PolicyRules,
  roles: readonly string[],
): Record<string, Record<string, boolean>> {
  const resources = [...policy.resources];
  for (const builtIn of rules.builtInResources ?? []) {
    const listed = resources.findIndex((resource) => resource.resource_id === builtIn.resource_id);
    if (listed === -1) resources.push(builtIn);
    else resources[listed] = builtIn;
  }
  // fromEntries, so that "__proto__" is an own key here too.
  return Object.fromEntries(
    resources.map((resource) => [
      resource.resource_id,
      Object.fromEntries(
        resource.actions.map((action) => [action, naiveIsAuthorized(policy, rules, roles, resource.resource_id, action).authorized]),
      ),
    ]),
  );
}

// Small pools make two generated policies share ids, so diffs have edits and not only additions.
// "__proto__" and "constructor" catch code that keeps ids as keys of plain objects.
const RESOURCE_IDS = ['documents', 'images', 'reports', 'invoices', '__proto__', 'reports.v2:eu-west_1'];
const ACTIONS = ['create', 'read', 'write', 'delete', 'share', 'export.pdf', 'constructor'];
const ROLE_IDS = ['admin', 'editor', 'reader', 'viewer', 'billing', 'toString'];
const SCOPE_IDS = ['read:documents', 'write:documents', 'admin', 'reports'];

const description = fc.string({ unit: 'binary', maxLength: 12 });

// Records with Object.prototype, as JSON.parse gives them.
const PLAIN = { noNullPrototype: true };

const resourceArbitrary: fc.Arbitrary<Resource> = fc.record(
  { resource_id: fc.constantFrom(...RESOURCE_IDS), description, actions: fc.shuffledSubarray(ACTIONS, { minLength: 1 }) },
  PLAIN,
);

/** A fresh empty array each time, so a test may change what it is given. */
const emptyList = <T>(): fc.Arbitrary<T[]> => fc.constant(null).map((): T[] => []);

function permissionFor(resource: Resource): fc.Arbitrary<Permission> {
  return fc
    .oneof(
      { weight: 1, arbitrary: fc.constant(WILDCARD_ACTION).map((action) => [action]) },
      { weight: 3, arbitrary: fc.shuffledSubarray(resource.actions, { minLength: 1 }) },
    )
    .map((actions) => ({ resource_id: resource.resource_id, actions }));
}

function permissionsOn(grantable: readonly Resource[], maxLength?: number): fc.Arbitrary<Permission[]> {
  if (grantable.length === 0) return emptyList();
  return fc
    .shuffledSubarray([...grantable], maxLength === undefined ? {} : { maxLength: Math.min(maxLength, grantable.length) })
    .chain((resources) => fc.tuple(...resources.map(permissionFor)));
}

/** Random valid policies (under `rules`: their default roles, their built-in resources). */
export function validPolicyArbitrary(rules: PolicyRules = {}): fc.Arbitrary<Policy> {
  const builtIns = rules.builtInResources ?? [];
  const resources = fc
    .tuple(
      fc.uniqueArray(resourceArbitrary, { selector: (resource) => resource.resource_id, maxLength: 5 }),
      fc.subarray([...builtIns]),
    )
    .map(([custom, listedBuiltIns]) => [...custom, ...listedBuiltIns.map((builtIn) => ({ ...builtIn, description: '' }))]);
  return resources.chain((declared) => {
    const grantable = [...declared, ...builtIns.filter((builtIn) => !declared.some((r) => r.resource_id === builtIn.resource_id))];
    const role = (roleId: fc.Arbitrary<string>): fc.Arbitrary<Role> =>
      fc.record({ role_id: roleId, description, permissions: permissionsOn(grantable) }, PLAIN);
    const defaultRoles = fc.tuple(...(rules.defaultRoleIds ?? []).map((id) => role(fc.constant(id))));
    const customRoles = fc.uniqueArray(role(fc.constantFrom(...ROLE_IDS)), { selector: (r) => r.role_id, maxLength: 5 });
    const scope: fc.Arbitrary<Scope> = fc.record(
      { scope: fc.constantFrom(...SCOPE_IDS), description, permissions: permissionsOn(grantable) },
      PLAIN,
    );
    const scopes = fc.uniqueArray(scope, { selector: (s) => s.scope, maxLength: 3 });
    const roles = fc
      .tuple(defaultRoles, customRoles)
      .chain(([defaults, custom]) => fc.shuffledSubarray([...defaults, ...custom], { minLength: defaults.length + custom.length }));
    return fc.record({ resources: fc.constant(declared), roles, scopes }, PLAIN);
  });
}

/**
 * Random valid policies with 33 to 100 roles, so that role bitsets span several 32-bit words and
 * roles sit on every bit position (including bit 31, the sign bit of a word).
 */
export function manyRolesPolicyArbitrary(): fc.Arbitrary<Policy> {
  return fc
    .uniqueArray(resourceArbitrary, { selector: (resource) => resource.resource_id, minLength: 1, maxLength: 4 })
    .chain((resources) =>
      fc.record(
        {
          resources: fc.constant(resources),
          roles: fc.integer({ min: 33, max: 100 }).chain((count) =>
            fc.tuple(
              ...Array.from({ length: count }, (_, i) =>
                // Sparse (up to 3 permissions a role), so that a few roles of a hundred still get denied.
                fc.record({ role_id: fc.constant(`role-${i}`), description: fc.constant(''), permissions: permissionsOn(resources, 3) }, PLAIN),
              ),
            ),
          ),
          scopes: emptyList<Scope>(),
        },
        PLAIN,
      ),
    );
}

/** Role lists a caller might hold: ids from the policy, unknown ids, repeats. */
export function roleListArbitrary(policy: Policy, maxLength = 6): fc.Arbitrary<string[]> {
  return fc.array(fc.constantFrom(...policy.roles.map((role) => role.role_id), 'ghost', ''), { maxLength });
}

/** Questions worth asking of a policy: declared pairs, `*`, undeclared actions, unknown resources. */
export function questionArbitrary(policy: Policy, rules: PolicyRules = {}): fc.Arbitrary<[resourceId: string, action: string]> {
  const resourceIds = [...policy.resources, ...(rules.builtInResources ?? [])].map((resource) => resource.resource_id);
  return fc.tuple(
    fc.constantFrom(...resourceIds, 'unknown-resource'),
    fc.constantFrom(...ACTIONS, ...(rules.builtInResources ?? []).flatMap((resource) => resource.actions), WILDCARD_ACTION),
  );
}
