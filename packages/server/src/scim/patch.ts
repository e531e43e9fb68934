// SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON representation, in the shapes identity
// providers send: Okta's path-less `{"op":"replace","value":{"active":false}}`; Entra's capitalized
// ops ("Replace", "Add"), paths like `name.givenName`, `emails[type eq "work"].value` and an
// enterprise-extension URN, booleans as the strings "True"/"False", and `members[value eq "id"]`
// removals. The result is a whole resource, which the caller then stores as a replace would.
import { GatehouseError } from '../shared/errors.ts';
import { matches, parseFilter, parsePath, type Filter } from './filter.ts';

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

type Json = Record<string, unknown>;

/** Attributes whose value is a boolean (Entra sends "True"/"False"). */
const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

export function patchOp(op: string): 'add' | 'replace' | 'remove' {
  const lower = op.toLowerCase();
  if (lower === 'add' || lower === 'replace' || lower === 'remove') return lower;
  throw new GatehouseError('scim_invalid_syntax', { params: { problem: `op "${op}" is not add, replace or remove` } });
}

/** The key of `object` named case-insensitively by `name`, or `name` itself when it has none. */
function keyOf(object: Json, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower) ?? name;
}

function coerce(name: string, value: unknown): unknown {
  if (BOOLEAN_ATTRIBUTES.has(name.toLowerCase()) && typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

interface ParsedPath {
  /** The attribute, a URN-qualified one as [urn, attribute]. */
  attribute: string[];
  filter: Filter | null;
  sub: string | null;
}

/** Names that would reach an object's prototype rather than an attribute. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function parsePatchPath(path: string): ParsedPath {
  const parsed = parsePathParts(path);
  if ([...parsed.attribute, parsed.sub ?? ''].some((part) => FORBIDDEN.has(part.toLowerCase()))) throw new GatehouseError('scim_invalid_path', { params: { path: path.slice(0, 256) } });
  return parsed;
}

function parsePathParts(path: string): ParsedPath {
  const bracket = /^([^[]+)\[(.+)\](?:\.(.+))?$/.exec(path.trim());
  if (bracket) {
    let filter: Filter;
    try {
      filter = parseFilter(bracket[2]!);
    } catch {
      throw new GatehouseError('scim_invalid_path', { params: { path: path.slice(0, 256) } });
    }
    return { attribute: parsePath(bracket[1]!), filter, sub: bracket[3] ?? null };
  }
  const parts = parsePath(path.trim());
  if (parts.some((part) => part === '')) throw new GatehouseError('scim_invalid_path', { params: { path: path.slice(0, 256) } });
  return { attribute: parts, filter: null, sub: null };
}

/** The object holding the last attribute of `parts` (made when missing, for add/replace). */
function container(resource: Json, parts: string[], create: boolean): Json | null {
  let current = resource;
  for (const part of parts.slice(0, -1)) {
    const key = keyOf(current, part);
    const next = current[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      if (!create) return null;
      current[key] = {};
    }
    current = current[key] as Json;
  }
  return current;
}

/** Literal values of a filter like `type eq "work"`: what a new element made for the path carries. */
function filterDefaults(filter: Filter): Json {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.length === 1) return { [filter.path[0]!]: filter.value };
  if (filter.kind === 'and') return { ...filterDefaults(filter.left), ...filterDefaults(filter.right) };
  return {};
}

function applyOne(resource: Json, operation: PatchOperation): void {
  const op = patchOp(operation.op);
  if (operation.path === undefined || operation.path === '') {
    if (op === 'remove') throw new GatehouseError('scim_invalid_syntax', { params: { problem: 'remove needs a path' } });
    if (typeof operation.value !== 'object' || operation.value === null || Array.isArray(operation.value)) {
      throw new GatehouseError('scim_invalid_syntax', { params: { problem: `${op} without a path takes an object of attributes` } });
    }
    // Each attribute as if named by a path (Entra sends "name.givenName" keys here too).
    for (const [name, value] of Object.entries(operation.value)) {
      if (FORBIDDEN.has(name.toLowerCase())) throw new GatehouseError('scim_invalid_path', { params: { path: name.slice(0, 256) } });
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && !name.toLowerCase().startsWith('urn:') && op === 'add') {
        for (const [sub, subValue] of Object.entries(value)) applyOne(resource, { op, path: `${name}.${sub}`, value: subValue });
      } else {
        applyOne(resource, { op, path: name, value });
      }
    }
    return;
  }
  const path = parsePatchPath(operation.path);
  const last = path.attribute[path.attribute.length - 1]!;
  const holder = container(resource, path.attribute, op !== 'remove');
  if (!holder) return;
  const key = keyOf(holder, last);
  if (path.filter) {
    const filter = path.filter;
    const list = Array.isArray(holder[key]) ? (holder[key] as unknown[]) : [];
    if (op === 'remove') {
      if (path.sub === null) holder[key] = list.filter((item) => !matches(item, filter));
      else for (const item of list) if (matches(item, filter) && typeof item === 'object' && item !== null) delete (item as Json)[keyOf(item as Json, path.sub)];
      return;
    }
    const found = list.filter((item) => matches(item, filter)) as Json[];
    if (found.length === 0) {
      // add/replace of a sub-attribute of an element that is not there: the element is made (Entra's
      // `emails[type eq "work"].value` on a user without a work address).
      const made: Json = { ...filterDefaults(filter) };
      if (path.sub !== null) made[path.sub] = coerce(path.sub, operation.value);
      else if (typeof operation.value === 'object' && operation.value !== null) Object.assign(made, operation.value);
      holder[key] = [...list, made];
      return;
    }
    for (const item of found) {
      if (path.sub !== null) item[keyOf(item, path.sub)] = coerce(path.sub, operation.value);
      else if (typeof operation.value === 'object' && operation.value !== null) Object.assign(item, operation.value);
    }
    return;
  }
  if (op === 'remove') {
    if (Array.isArray(holder[key]) && Array.isArray(operation.value)) {
      // Entra removes members by value: `{"op":"Remove","path":"members","value":[{"value":"id"}]}`.
      const gone = new Set(operation.value.map((item) => (typeof item === 'object' && item !== null ? (item as Json).value : item)));
      holder[key] = (holder[key] as unknown[]).filter((item) => !gone.has(typeof item === 'object' && item !== null ? (item as Json).value : item));
    } else {
      delete holder[key];
    }
    return;
  }
  const value = coerce(last, operation.value);
  if (op === 'add' && Array.isArray(holder[key])) {
    const added = Array.isArray(value) ? value : [value];
    const existing = holder[key] as unknown[];
    const seen = new Set(existing.map((item) => JSON.stringify(item)));
    holder[key] = [...existing, ...added.filter((item) => !seen.has(JSON.stringify(item)))];
    return;
  }
  if (op === 'add' && typeof value === 'object' && value !== null && !Array.isArray(value) && typeof holder[key] === 'object' && holder[key] !== null && !Array.isArray(holder[key])) {
    Object.assign(holder[key] as Json, value);
    return;
  }
  holder[key] = value;
}

/** The resource after the operations, in order (the input is not changed). */
export function applyPatch(resource: Json, operations: readonly PatchOperation[]): Json {
  const copy = structuredClone(resource);
  for (const operation of operations) applyOne(copy, operation);
  return copy;
}
