// SCIM filters (RFC 7644 §3.4.2.2) and attribute paths, for the filters identity providers send:
// `userName eq "x"`, `externalId eq "x"`, `emails[type eq "work"].value eq "x"`, `displayName eq "x"`,
// Entra's `id eq "g" and members eq "u"`, joined by and/or, grouped, negated, and `pr`. A filter is
// parsed once into a tree and judged against a resource's JSON representation; `indexHint` finds an
// `eq` on an attribute the store can look up directly, so a lookup reads one row, not the connection.
// Attribute names and string comparisons are case-insensitive, as RFC 7643 §2.1 and the core
// schema's caseExact: false attributes (userName, emails…) have them; ids and externalId are caseExact.
import { GatehouseError } from '../shared/errors.ts';

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; path: AttributePath; op: CompareOp; value: string | number | boolean | null }
  | { kind: 'present'; path: AttributePath }
  | { kind: 'valuePath'; attribute: string; filter: Filter; sub: string | null; op: CompareOp | 'pr' | null; value: string | number | boolean | null };

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

/** An attribute path: `name.givenName` is ['name', 'givenName']; a schema URN prefix is kept whole. */
export type AttributePath = string[];

/** Attributes compared exactly (ids); every other string compares case-insensitively. */
const CASE_EXACT = new Set(['id', 'externalid', 'members', 'value']);

function invalid(problem: string): GatehouseError {
  return new GatehouseError('scim_invalid_filter', { params: { problem } });
}

type Token = { type: 'word' | 'string' | 'number' | 'punct'; text: string; value?: unknown };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if ('()[]'.includes(c)) { tokens.push({ type: 'punct', text: c }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      let raw = '"';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) { raw += text[j]! + text[j + 1]!; j += 2; continue; }
        raw += text[j++];
      }
      if (j >= text.length) throw invalid('a string is not closed');
      raw += '"';
      let value: unknown;
      try { value = JSON.parse(raw); } catch { throw invalid('a string holds a bad escape'); }
      tokens.push({ type: 'string', text: raw, value });
      i = j + 1;
      continue;
    }
    const match = /^[A-Za-z0-9_:.$\-]+/.exec(text.slice(i));
    if (!match) throw invalid(`unexpected "${c}"`);
    const word = match[0];
    if (/^-?\d+(\.\d+)?$/.test(word)) tokens.push({ type: 'number', text: word, value: Number(word) });
    else tokens.push({ type: 'word', text: word });
    i += word.length;
  }
  return tokens;
}

/** `urn:…:User:department` keeps its URN; `name.givenName` splits on the dot. */
export function parsePath(text: string): AttributePath {
  const urn = /^(urn:[^ ]+):([^:.]+(?:\.[^:.]+)?)$/i.exec(text);
  if (urn && text.toLowerCase().startsWith('urn:')) return [urn[1]!, ...urn[2]!.split('.')];
  return text.split('.');
}

export function parseFilter(text: string): Filter {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => {
    const token = tokens[at++];
    if (!token) throw invalid('it ends too soon');
    return token;
  };
  const isWord = (token: Token | undefined, word: string) => token?.type === 'word' && token.text.toLowerCase() === word;
  const literal = (): string | number | boolean | null => {
    const token = next();
    if (token.type === 'string' || token.type === 'number') return token.value as string | number;
    if (isWord(token, 'true')) return true;
    if (isWord(token, 'false')) return false;
    if (isWord(token, 'null')) return null;
    throw invalid(`"${token.text}" is not a value`);
  };
  const operator = (): CompareOp | 'pr' => {
    const token = next();
    const op = token.text.toLowerCase();
    if (token.type !== 'word' || (op !== 'pr' && !OPS.has(op))) throw invalid(`"${token.text}" is not an operator`);
    return op as CompareOp | 'pr';
  };
  function or(): Filter {
    let left = and();
    while (isWord(peek(), 'or')) { next(); left = { kind: 'or', left, right: and() }; }
    return left;
  }
  function and(): Filter {
    let left = atom();
    while (isWord(peek(), 'and')) { next(); left = { kind: 'and', left, right: atom() }; }
    return left;
  }
  function atom(): Filter {
    const token = next();
    if (token.type === 'punct' && token.text === '(') {
      const inner = or();
      if (next().text !== ')') throw invalid('a "(" is not closed');
      return inner;
    }
    if (isWord(token, 'not')) {
      if (next().text !== '(') throw invalid('"not" takes a filter in parentheses');
      const inner = or();
      if (next().text !== ')') throw invalid('a "(" is not closed');
      return { kind: 'not', filter: inner };
    }
    if (token.type !== 'word') throw invalid(`"${token.text}" is not an attribute`);
    if (peek()?.text === '[') {
      next();
      const inner = or();
      if (next().text !== ']') throw invalid('a "[" is not closed');
      let sub: string | null = null;
      let op: CompareOp | 'pr' | null = null;
      let value: string | number | boolean | null = null;
      const following = peek();
      if (following?.type === 'word' && following.text.startsWith('.')) {
        next();
        sub = following.text.slice(1);
        op = operator();
        if (op !== 'pr') value = literal();
      }
      return { kind: 'valuePath', attribute: token.text, filter: inner, sub, op, value };
    }
    const op = operator();
    if (op === 'pr') return { kind: 'present', path: parsePath(token.text) };
    return { kind: 'compare', path: parsePath(token.text), op, value: literal() };
  }
  const filter = or();
  if (at !== tokens.length) throw invalid(`"${tokens[at]!.text}" was not expected`);
  return filter;
}

/** The value of a key of `object` named case-insensitively. */
export function getKey(object: unknown, key: string): unknown {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(object)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/** The values a path reaches in a resource (multi-valued attributes fan out; `members` of `[{value}]` to the values). */
function valuesAt(resource: unknown, path: AttributePath): unknown[] {
  let current: unknown[] = [resource];
  for (const part of path) {
    current = current.flatMap((item) => {
      const value = getKey(item, part);
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    });
  }
  // A complex multi-valued attribute compares by its `value` (RFC 7644 §3.4.2.2: "members eq").
  return current.map((value) => (typeof value === 'object' && value !== null ? getKey(value, 'value') : value));
}

function compare(actual: unknown, op: CompareOp, expected: unknown, exact: boolean): boolean {
  if (actual === undefined || actual === null) return op === 'ne' ? expected !== null : false;
  if (typeof expected === 'string' && typeof actual === 'string') {
    const a = exact ? actual : actual.toLowerCase();
    const e = exact ? expected : expected.toLowerCase();
    switch (op) {
      case 'eq': return a === e;
      case 'ne': return a !== e;
      case 'co': return a.includes(e);
      case 'sw': return a.startsWith(e);
      case 'ew': return a.endsWith(e);
      case 'gt': return a > e;
      case 'ge': return a >= e;
      case 'lt': return a < e;
      case 'le': return a <= e;
    }
  }
  // Booleans as Entra sends them sometimes: "True"/"False".
  const normal = (v: unknown) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v);
  const a = normal(actual);
  const e = normal(expected);
  switch (op) {
    case 'eq': return a === e;
    case 'ne': return a !== e;
    case 'gt': return (a as number) > (e as number);
    case 'ge': return (a as number) >= (e as number);
    case 'lt': return (a as number) < (e as number);
    case 'le': return (a as number) <= (e as number);
    default: return false;
  }
}

/** Whether the resource's JSON representation matches the filter. */
export function matches(resource: unknown, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and': return matches(resource, filter.left) && matches(resource, filter.right);
    case 'or': return matches(resource, filter.left) || matches(resource, filter.right);
    case 'not': return !matches(resource, filter.filter);
    case 'present': return valuesAt(resource, filter.path).some((v) => v !== null && v !== '' && v !== undefined);
    case 'compare': {
      const exact = CASE_EXACT.has(filter.path[filter.path.length - 1]!.toLowerCase());
      const values = valuesAt(resource, filter.path);
      if (filter.op === 'ne') return values.every((v) => compare(v, 'ne', filter.value, exact));
      return values.some((v) => compare(v, filter.op, filter.value, exact));
    }
    case 'valuePath': {
      const items = getKey(resource, filter.attribute);
      const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
      return list.some((item) => {
        if (!matches(item, filter.filter)) return false;
        if (filter.sub === null) return true;
        if (filter.op === 'pr') return valuesAt(item, [filter.sub]).some((v) => v !== null && v !== '');
        return valuesAt(item, [filter.sub]).some((v) => compare(v, filter.op as CompareOp, filter.value, false));
      });
    }
  }
}

/**
 * An `eq` on one of `attributes` that the whole filter requires (at its top, or under `and`): the
 * store looks it up, and `matches` judges the rest. Null when there is none.
 */
export function indexHint(filter: Filter, attributes: readonly string[]): { attribute: string; value: string } | null {
  if (filter.kind === 'and') return indexHint(filter.left, attributes) ?? indexHint(filter.right, attributes);
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.length === 1 && typeof filter.value === 'string') {
    const attribute = attributes.find((a) => a.toLowerCase() === filter.path[0]!.toLowerCase());
    if (attribute) return { attribute, value: filter.value };
  }
  if (filter.kind === 'valuePath' && filter.attribute.toLowerCase() === 'emails' && filter.sub?.toLowerCase() === 'value' && filter.op === 'eq' && typeof filter.value === 'string') {
    if (attributes.includes('emails.value')) return { attribute: 'emails.value', value: filter.value };
  }
  if (filter.kind === 'compare' && filter.op === 'eq' && typeof filter.value === 'string' && filter.path.join('.').toLowerCase() === 'emails.value' && attributes.includes('emails.value')) {
    return { attribute: 'emails.value', value: filter.value };
  }
  return null;
}
