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

export const SearchBodyFields = {
  cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  limit: Type.Optional(Type.Integer()),
  query: Type.Optional(SearchQueryBody),
};

/** The body's query with its operator defaulted to AND, or null for none. */
export function searchQuery(body: { query?: { operator?: 'AND' | 'OR'; operands: SearchQuery['operands'] } | null }): SearchQuery | null {
  return body.query ? { operator: body.query.operator ?? 'AND', operands: body.query.operands } : null;
}
