// The body fields every search endpoint shares: cursor, limit and a Stytch query.
import { Type } from '@sinclair/typebox';
import type { SearchQuery } from './query.ts';

export const SearchQueryBody = Type.Union([
  Type.Object({
    operator: Type.Optional(Type.Union([Type.Literal('AND'), Type.Literal('OR')])),
    operands: Type.Array(Type.Object({ filter_name: Type.String(), filter_value: Type.Unknown() }), { maxItems: 50 }),
  }),
  Type.Null(),
]);

// cursor and limit are checked by each search, so a bad one gets that search's own error_type.
export const SearchBodyFields = {
  cursor: Type.Optional(Type.Unknown()),
  limit: Type.Optional(Type.Unknown()),
  query: Type.Optional(SearchQueryBody),
};

/** The body's query with its operator defaulted to AND, or null for none. */
export function searchQuery(body: { query?: { operator?: 'AND' | 'OR'; operands: SearchQuery['operands'] } | null }): SearchQuery | null {
  return body.query ? { operator: body.query.operator ?? 'AND', operands: body.query.operands } : null;
}
