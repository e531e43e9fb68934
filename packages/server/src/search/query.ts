// Stytch's search queries ({operator, operands: [{filter_name, filter_value}]}) turned into a SQL
// condition, with every value passed as a parameter. Each searchable thing (users, members,
// organizations) names its filters and the error_type prefix of its errors.
import { LIMITS } from '../shared/config.ts';
import { GatehouseError, type SearchPrefix } from '../shared/errors.ts';

export interface SearchQuery {
  operator: 'AND' | 'OR';
  operands: { filter_name: string; filter_value: unknown }[];
}

export interface CompiledCondition {
  sql: string;
  params: unknown[];
}

/** Adds a parameter and returns its placeholder. */
export type Param = (value: unknown) => string;

export type FilterCompiler = (value: unknown, param: Param) => string;

/** How a search reports a bad filter value: `<prefix>_invalid_filter_value`. */
export class FilterValues {
  readonly #prefix: SearchPrefix;

  constructor(prefix: SearchPrefix) {
    this.#prefix = prefix;
  }

  invalid(name: string, expected: string): GatehouseError {
    return new GatehouseError(`${this.#prefix}_invalid_filter_value`, { params: { filter_name: name, expected } });
  }

  stringList(name: string, value: unknown): string[] {
    if (!Array.isArray(value) || value.length === 0 || value.length > 1000 || !value.every((v) => typeof v === 'string')) {
      throw this.invalid(name, 'a non-empty array of strings');
    }
    return value as string[];
  }

  bool(name: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw this.invalid(name, 'true or false');
    return value;
  }

  /** An ILIKE pattern for "contains", at least 3 characters as Stytch requires. */
  fuzzy(name: string, value: unknown): string {
    if (typeof value !== 'string' || value.length < 3) throw this.invalid(name, 'a string of at least 3 characters');
    return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
}

export function compileSearchQuery(
  query: SearchQuery | null,
  filters: Record<string, FilterCompiler>,
  errorPrefix: SearchPrefix,
  firstParam: number,
): CompiledCondition {
  const params: unknown[] = [];
  const param: Param = (value) => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  if (!query || !Array.isArray(query.operands) || query.operands.length === 0) return { sql: 'TRUE', params };
  const operator = query.operator ?? 'AND';
  if (operator !== 'AND' && operator !== 'OR') {
    throw new GatehouseError('invalid_search_operator');
  }
  const parts = query.operands.map(({ filter_name, filter_value }) => {
    const compile = Object.hasOwn(filters, filter_name) ? filters[filter_name] : undefined;
    if (!compile) {
      throw new GatehouseError(`${errorPrefix}_filter_name_not_recognized`, { params: { filter_name, filter_names: Object.keys(filters).join(', ') } });
    }
    return `(${compile(filter_value, param)})`;
  });
  return { sql: parts.join(` ${operator} `), params };
}

/**
 * A keyset cursor: the last row of a page (created_at, id) and a key of the query it belongs to, so
 * it cannot be replayed against another query.
 */
export class SearchCursors {
  readonly #invalid: `${SearchPrefix}_invalid_cursor` | 'rbac_invalid_cursor';
  readonly #isId: (value: string) => boolean;

  constructor(invalidErrorType: `${SearchPrefix}_invalid_cursor` | 'rbac_invalid_cursor', isId: (value: string) => boolean) {
    this.#invalid = invalidErrorType;
    this.#isId = isId;
  }

  encode(last: { created_at: Date }, id: string, queryKey: string): string {
    return Buffer.from(JSON.stringify({ t: last.created_at.toISOString(), u: id, q: queryKey })).toString('base64url');
  }

  decode(cursor: unknown, queryKey: string): { created_at: string; id: string } {
    try {
      if (typeof cursor !== 'string') throw new TypeError('not a string');
      const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; u?: unknown; q?: unknown };
      if (typeof value.t === 'string' && !Number.isNaN(Date.parse(value.t)) && typeof value.u === 'string' && this.#isId(value.u) && value.q === queryKey) {
        return { created_at: value.t, id: value.u };
      }
    } catch {
      // fall through
    }
    throw new GatehouseError(this.#invalid);
  }
}

/** The page size a search asked for: a whole number from 1 to the maximum, the default when absent. */
export function searchLimit(limit: unknown, errorType: `${SearchPrefix}_invalid_limit`): number {
  const value = limit ?? LIMITS.searchDefaultLimit;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIMITS.searchMaxLimit) throw new GatehouseError(errorType);
  return value;
}
