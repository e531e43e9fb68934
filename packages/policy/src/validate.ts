// Structural rules of a policy. Every problem is collected, each with a Stytch-style error_type.
import { declaredActions, sameMembers } from './catalog.ts';
import {
  WILDCARD_ACTION,
  type Permission,
  type Policy,
  type PolicyIssue,
  type PolicyRules,
  type PolicyValidation,
  type Resource,
} from './types.ts';

export const MAX_ID_LENGTH = 128;

/**
 * Every code a PolicyIssue can carry (parsePolicy's invalid_policy_format and validatePolicy's own):
 * the server's error catalogue has an entry for each.
 */
export const POLICY_ISSUE_CODES = [
  'invalid_policy_format',
  'empty_rbac_resource_id',
  'invalid_rbac_resource_id',
  'rbac_resource_id_too_long',
  'empty_rbac_role_id',
  'invalid_rbac_role_id',
  'rbac_role_id_too_long',
  'empty_rbac_scope',
  'invalid_rbac_scope',
  'rbac_scope_too_long',
  'invalid_rbac_action',
  'rbac_action_too_long',
  'invalid_rbac_id_characters',
  'rbac_description_too_long',
  'rbac_permission_duplicate',
  'invalid_permission_resource',
  'rbac_permission_missing_actions',
  'invalid_wildcard_action',
  'rbac_action_duplicate',
  'invalid_permission_action',
  'invalid_stytch_prefixed_resource',
  'rbac_resource_missing_actions',
  'rbac_resource_duplicate',
  'rbac_role_duplicate',
  'invalid_rbac_custom_role',
  'invalid_rbac_stytch_role_edit',
  'rbac_scope_duplicate',
] as const;

export type PolicyIssueCode = (typeof POLICY_ISSUE_CODES)[number];

/**
 * The characters of resource ids, role ids, actions and scopes: ASCII letters and digits and the
 * separators `.` `_` `-` `:` (Stytch's own ids use them: `stytch.organization`, `stytch_admin`,
 * `update.info.name`, `read:documents`). Nothing else, so that no id can look like another one
 * (`ѕtytch_admin` with a Cyrillic ѕ) or carry markup or control characters into a page or a log.
 * `*` is the wildcard action in permissions, never an id.
 */
export const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** Whether `value` is made only of ID_PATTERN's characters (and is not empty). */
export function hasIdCharacters(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** The first character of `value` outside ID_PATTERN, for messages (`"ѕ" (U+0455)`), or undefined. */
export function describeNonIdCharacter(value: string): string | undefined {
  const offending = [...value].find((character) => !ID_PATTERN.test(character));
  if (offending === undefined) return undefined;
  return `${JSON.stringify(offending)} (U+${offending.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}
export const MAX_DESCRIPTION_LENGTH = 500;

/** Custom resource ids may not start with this (any case); built-in resources do. */
const RESERVED_RESOURCE_PREFIX = 'stytch';
/** Custom role ids may not start with this (any case); default roles do. */
const RESERVED_ROLE_PREFIX = 'stytch_';

interface IdCodes {
  /** What the id is, for messages: "resource id", "role id", "scope", "action". */
  label: string;
  empty: PolicyIssueCode;
  whitespace: PolicyIssueCode;
  tooLong: PolicyIssueCode;
}

const RESOURCE_ID: IdCodes = {
  label: 'resource id',
  empty: 'empty_rbac_resource_id',
  whitespace: 'invalid_rbac_resource_id',
  tooLong: 'rbac_resource_id_too_long',
};
const ROLE_ID: IdCodes = {
  label: 'role id',
  empty: 'empty_rbac_role_id',
  whitespace: 'invalid_rbac_role_id',
  tooLong: 'rbac_role_id_too_long',
};
const SCOPE: IdCodes = {
  label: 'scope',
  empty: 'empty_rbac_scope',
  whitespace: 'invalid_rbac_scope',
  tooLong: 'rbac_scope_too_long',
};
const ACTION: IdCodes = {
  label: 'action',
  empty: 'invalid_rbac_action',
  whitespace: 'invalid_rbac_action',
  tooLong: 'rbac_action_too_long',
};

const quote = (value: string): string => JSON.stringify(value);

/** Length in characters (code points), not UTF-16 units. */
function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

class IssueList {
  readonly issues: PolicyIssue[] = [];

  add(code: PolicyIssueCode, path: string, message: string): void {
    this.issues.push({ code, message, path });
  }

  /** Non-empty, no whitespace, at most MAX_ID_LENGTH characters. */
  id(value: string, path: string, codes: IdCodes, owner = ''): void {
    const where = owner === '' ? '' : ` in ${owner}`;
    if (value.trim() === '') {
      const detail = value === '' ? 'must not be empty' : `${quote(value)} must not be empty or whitespace only`;
      this.add(codes.empty, path, `${codes.label}${where} ${detail}`);
      return;
    }
    if (/\s/.test(value)) {
      this.add(codes.whitespace, path, `${codes.label} ${quote(value)}${where} must not contain whitespace`);
    } else if (!hasIdCharacters(value)) {
      this.add(
        'invalid_rbac_id_characters',
        path,
        `${codes.label} ${quote(value.slice(0, 64))}${where} contains ${describeNonIdCharacter(value)}; ids may contain only ASCII letters, digits, ".", "_", "-" and ":"`,
      );
    }
    const length = characterCount(value);
    if (length > MAX_ID_LENGTH) {
      this.add(
        codes.tooLong,
        path,
        `${codes.label} ${quote(value.slice(0, 32))}…${where} is ${length} characters long; at most ${MAX_ID_LENGTH} are allowed`,
      );
    }
  }

  description(value: string, path: string, owner: string): void {
    const length = characterCount(value);
    if (length > MAX_DESCRIPTION_LENGTH) {
      this.add(
        'rbac_description_too_long',
        path,
        `the description of ${owner} is ${length} characters long; at most ${MAX_DESCRIPTION_LENGTH} are allowed`,
      );
    }
  }

  /**
   * Reports a repeated id at its second (third, …) occurrence. `seen` maps ids to the path of their
   * first occurrence.
   */
  unique(seen: Map<string, string>, value: string, path: string, code: PolicyIssueCode, what: string): boolean {
    const first = seen.get(value);
    if (first === undefined) {
      seen.set(value, path);
      return true;
    }
    this.add(code, path, `${what} ${quote(value)} is listed more than once (first at ${first})`);
    return false;
  }

  /** Permissions of a role or a scope, against the resources and actions the policy declares. */
  permissions(
    permissions: readonly Permission[],
    path: string,
    owner: string,
    catalog: ReadonlyMap<string, ReadonlySet<string>>,
  ): void {
    const seenResources = new Map<string, string>();
    permissions.forEach((permission, p) => {
      const permissionPath = `${path}[${p}]`;
      const resourceId = permission.resource_id;
      this.unique(seenResources, resourceId, permissionPath, 'rbac_permission_duplicate', `${owner}: resource`);
      const declared = catalog.get(resourceId);
      if (declared === undefined) {
        this.add(
          'invalid_permission_resource',
          `${permissionPath}.resource_id`,
          `${owner} has a permission on resource ${quote(resourceId)}, which the policy does not declare`,
        );
      }
      if (permission.actions.length === 0) {
        this.add(
          'rbac_permission_missing_actions',
          `${permissionPath}.actions`,
          `${owner} has a permission on resource ${quote(resourceId)} without actions`,
        );
        return;
      }
      if (permission.actions.includes(WILDCARD_ACTION) && permission.actions.length > 1) {
        this.add(
          'invalid_wildcard_action',
          `${permissionPath}.actions`,
          `${owner}: the permission on resource ${quote(resourceId)} lists "*" together with other actions; "*" already grants them all`,
        );
      }
      const seenActions = new Map<string, string>();
      permission.actions.forEach((action, a) => {
        const actionPath = `${permissionPath}.actions[${a}]`;
        if (!this.unique(seenActions, action, actionPath, 'rbac_action_duplicate', `${owner}: resource ${quote(resourceId)}, action`)) {
          return;
        }
        if (declared !== undefined && action !== WILDCARD_ACTION && !declared.has(action)) {
          this.add(
            'invalid_permission_action',
            actionPath,
            `${owner}: action ${quote(action)} is not declared on resource ${quote(resourceId)}`,
          );
        }
      });
    });
  }
}

function validateResource(
  resource: Resource,
  path: string,
  builtIns: ReadonlyMap<string, Resource>,
  issues: IssueList,
): void {
  const id = resource.resource_id;
  const owner = `resource ${quote(id)}`;
  issues.id(id, `${path}.resource_id`, RESOURCE_ID);
  issues.description(resource.description, `${path}.description`, owner);

  const builtIn = builtIns.get(id);
  if (builtIn !== undefined) {
    if (!sameMembers(resource.actions, builtIn.actions)) {
      issues.add(
        'invalid_stytch_prefixed_resource',
        `${path}.actions`,
        `built-in resource ${quote(id)} cannot be changed; list it with exactly its actions (${builtIn.actions.join(', ')}) or leave it out`,
      );
    }
  } else if (id.toLowerCase().startsWith(RESERVED_RESOURCE_PREFIX)) {
    issues.add(
      'invalid_stytch_prefixed_resource',
      `${path}.resource_id`,
      `resource id ${quote(id)} is reserved: custom resource ids may not start with "${RESERVED_RESOURCE_PREFIX}"`,
    );
  }

  if (resource.actions.length === 0) {
    issues.add('rbac_resource_missing_actions', `${path}.actions`, `${owner} needs at least one action`);
  }
  const seenActions = new Map<string, string>();
  resource.actions.forEach((action, a) => {
    const actionPath = `${path}.actions[${a}]`;
    if (action === WILDCARD_ACTION) {
      issues.add(
        'invalid_wildcard_action',
        actionPath,
        `${owner} declares the action "*", which is reserved: in a permission it means every action of the resource`,
      );
      return;
    }
    issues.id(action, actionPath, ACTION, owner);
    issues.unique(seenActions, action, actionPath, 'rbac_action_duplicate', `${owner}: action`);
  });
}

/**
 * Checks a policy against every rule and returns all problems found, in policy order. The policy
 * must have the right shape (see parsePolicy for untrusted input).
 */
export function validatePolicy(policy: Policy, rules: PolicyRules = {}): PolicyValidation {
  const issues = new IssueList();
  const builtIns = new Map((rules.builtInResources ?? []).map((resource) => [resource.resource_id, resource]));
  const defaultRoleIds = new Set(rules.defaultRoleIds ?? []);
  const catalog = declaredActions(policy, rules);

  const seenResources = new Map<string, string>();
  policy.resources.forEach((resource, r) => {
    const path = `resources[${r}]`;
    issues.unique(seenResources, resource.resource_id, `${path}.resource_id`, 'rbac_resource_duplicate', 'resource id');
    validateResource(resource, path, builtIns, issues);
  });

  const seenRoles = new Map<string, string>();
  policy.roles.forEach((role, r) => {
    const path = `roles[${r}]`;
    const id = role.role_id;
    const owner = `role ${quote(id)}`;
    issues.id(id, `${path}.role_id`, ROLE_ID);
    issues.unique(seenRoles, id, `${path}.role_id`, 'rbac_role_duplicate', 'role id');
    if (id.toLowerCase().startsWith(RESERVED_ROLE_PREFIX) && !defaultRoleIds.has(id)) {
      issues.add(
        'invalid_rbac_custom_role',
        `${path}.role_id`,
        `role id ${quote(id)} is reserved: custom role ids may not start with "${RESERVED_ROLE_PREFIX}"`,
      );
    }
    issues.description(role.description, `${path}.description`, owner);
    issues.permissions(role.permissions, `${path}.permissions`, owner, catalog);
  });
  for (const id of defaultRoleIds) {
    if (!seenRoles.has(id)) {
      issues.add(
        'invalid_rbac_stytch_role_edit',
        'roles',
        `the default role ${id} cannot be removed; keep it, its permissions may be empty`,
      );
    }
  }

  const seenScopes = new Map<string, string>();
  policy.scopes.forEach((scope, s) => {
    const path = `scopes[${s}]`;
    const owner = `scope ${quote(scope.scope)}`;
    issues.id(scope.scope, `${path}.scope`, SCOPE);
    issues.unique(seenScopes, scope.scope, `${path}.scope`, 'rbac_scope_duplicate', 'scope');
    issues.description(scope.description, `${path}.description`, owner);
    issues.permissions(scope.permissions, `${path}.permissions`, owner, catalog);
  });

  return issues.issues.length === 0 ? { valid: true, issues: [] } : { valid: false, issues: issues.issues };
}
