// Reads a policy from untrusted JSON (an HTTP body, a file), then validates it.
import type { Permission, Policy, PolicyIssue, PolicyRules, Resource, Role, Scope } from './types.ts';
import { validatePolicy, type PolicyIssueCode } from './validate.ts';

export type PolicyParseResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

const FORMAT: PolicyIssueCode = 'invalid_policy_format';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Collects shape problems while copying only the known fields. */
class Reader {
  readonly issues: PolicyIssue[] = [];

  fail(path: string, expected: string, value: unknown): undefined {
    const where = path === '' ? 'the policy' : path;
    const message = value === undefined ? `${where} is missing; it must be ${expected}` : `${where} must be ${expected}, not ${describe(value)}`;
    this.issues.push({ code: FORMAT, path, message });
    return undefined;
  }

  object(value: unknown, path: string): Json | undefined {
    return isObject(value) ? value : this.fail(path, 'an object', value);
  }

  /** A string field; `fallback` makes it optional (missing or null). */
  string(parent: Json, key: string, path: string, fallback?: string): string | undefined {
    const value = parent[key];
    if (typeof value === 'string') return value;
    if (value == null && fallback !== undefined) return fallback;
    return this.fail(`${path}.${key}`, 'a string', value);
  }

  /** An array field read item by item; `optional` accepts missing or null as []. */
  array<T>(
    parent: Json,
    key: string,
    path: string,
    item: (value: unknown, path: string) => T | undefined,
    optional = false,
  ): T[] | undefined {
    const fieldPath = path === '' ? key : `${path}.${key}`;
    const value = parent[key];
    if (value == null && optional) return [];
    if (!Array.isArray(value)) return this.fail(fieldPath, 'an array', value);
    const items: T[] = [];
    value.forEach((element, index) => {
      const read = item(element, `${fieldPath}[${index}]`);
      if (read !== undefined) items.push(read);
    });
    return items;
  }

  actionList(parent: Json, path: string): string[] | undefined {
    return this.array(parent, 'actions', path, (value, itemPath) =>
      typeof value === 'string' ? value : this.fail(itemPath, 'a string', value),
    );
  }

  permission = (value: unknown, path: string): Permission | undefined => {
    const json = this.object(value, path);
    if (json === undefined) return undefined;
    const resourceId = this.string(json, 'resource_id', path);
    const actions = this.actionList(json, path);
    if (resourceId === undefined || actions === undefined) return undefined;
    return { resource_id: resourceId, actions };
  };

  resource = (value: unknown, path: string): Resource | undefined => {
    const json = this.object(value, path);
    if (json === undefined) return undefined;
    const resourceId = this.string(json, 'resource_id', path);
    const description = this.string(json, 'description', path, '');
    const actions = this.actionList(json, path);
    if (resourceId === undefined || description === undefined || actions === undefined) return undefined;
    return { resource_id: resourceId, description, actions };
  };

  /** The fields roles and scopes share; `idKey` names the id field. */
  grantHolder(value: unknown, path: string, idKey: 'role_id' | 'scope') {
    const json = this.object(value, path);
    if (json === undefined) return undefined;
    const id = this.string(json, idKey, path);
    const description = this.string(json, 'description', path, '');
    const permissions = this.array(json, 'permissions', path, this.permission);
    if (id === undefined || description === undefined || permissions === undefined) return undefined;
    return { id, description, permissions };
  }

  role = (value: unknown, path: string): Role | undefined => {
    const role = this.grantHolder(value, path, 'role_id');
    return role && { role_id: role.id, description: role.description, permissions: role.permissions };
  };

  scope = (value: unknown, path: string): Scope | undefined => {
    const scope = this.grantHolder(value, path, 'scope');
    return scope && { scope: scope.id, description: scope.description, permissions: scope.permissions };
  };
}

/**
 * Reads a policy from parsed JSON: either `{resources, roles, scopes}` or the body of
 * `GET /v1/rbac/policy`, `{policy: {...}, request_id?, status_code?}`. A missing (or null)
 * `description` becomes "" and missing `scopes` become []; unknown fields are dropped. Shape
 * problems are reported as `invalid_policy_format` issues (paths relative to the policy object);
 * a well-formed policy is then checked with validatePolicy.
 */
export function parsePolicy(input: unknown, rules?: PolicyRules): PolicyParseResult {
  const reader = new Reader();
  const wrapped = isObject(input) && 'policy' in input && !('resources' in input) && !('roles' in input);
  const json = reader.object(wrapped ? input.policy : input, '');
  if (json === undefined) return { ok: false, issues: reader.issues };

  const resources = reader.array(json, 'resources', '', reader.resource);
  const roles = reader.array(json, 'roles', '', reader.role);
  const scopes = reader.array(json, 'scopes', '', reader.scope, true);
  if (reader.issues.length > 0 || resources === undefined || roles === undefined || scopes === undefined) {
    return { ok: false, issues: reader.issues };
  }
  const policy: Policy = { resources, roles, scopes };
  const validation = validatePolicy(policy, rules);
  return validation.valid ? { ok: true, policy } : { ok: false, issues: validation.issues };
}
