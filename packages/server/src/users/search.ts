// Turns a Stytch user-search query ({operator, operands: [{filter_name, filter_value}]}) into a SQL
// condition over `users u`, with every value passed as a parameter.
import { IMPLICIT_ROLE_IDS } from '@gatehouse/policy';
import { compileSearchQuery, FilterValues, type CompiledCondition, type FilterCompiler, type SearchQuery } from '../search/query.ts';

export type UserSearchQuery = SearchQuery;

const values = new FilterValues('user_search');
const stringList = (name: string, value: unknown) => values.stringList(name, value);
const bool = (name: string, value: unknown) => values.bool(name, value);
const fuzzy = (name: string, value: unknown) => values.fuzzy(name, value);
const invalid = (name: string, expected: string) => values.invalid(name, expected);

// RFC 3339 date-time: a full date, a full time and an offset. Date.parse alone would take "12"
// (December 2001), "2026-02-30" (rolled into March) and times without an offset (read in the
// server's own time zone).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

function timestamp(name: string, value: unknown): string {
  const match = typeof value === 'string' ? RFC3339.exec(value.toUpperCase()) : null;
  if (match) {
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const [offsetHour, offsetMinute] = [Number(match[9] ?? 0), Number(match[10] ?? 0)];
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    const realDate = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
    const realTime = hour <= 23 && minute <= 59 && second <= 59 && offsetHour <= 23 && offsetMinute <= 59;
    const parsed = Date.parse(match[0]);
    if (realDate && realTime && !Number.isNaN(parsed)) return new Date(parsed).toISOString();
  }
  throw invalid(name, 'an RFC 3339 timestamp such as 2026-01-31T12:00:00Z');
}

const exists = (table: string, condition: string) => `EXISTS (SELECT 1 FROM ${table} x WHERE x.user_id = u.user_id AND ${condition})`;

const FILTERS: Record<string, FilterCompiler> = {
  created_at_greater_than: (v, p) => `u.created_at > ${p(timestamp('created_at_greater_than', v))}::timestamptz`,
  created_at_less_than: (v, p) => `u.created_at < ${p(timestamp('created_at_less_than', v))}::timestamptz`,
  created_at_between: (v, p) => {
    const range = v as { greater_than?: unknown; less_than?: unknown } | null;
    if (typeof range !== 'object' || range === null) throw invalid('created_at_between', 'an object with greater_than and less_than');
    return `(u.created_at > ${p(timestamp('created_at_between.greater_than', range.greater_than))}::timestamptz
             AND u.created_at < ${p(timestamp('created_at_between.less_than', range.less_than))}::timestamptz)`;
  },
  status: (v, p) => {
    if (v !== 'active' && v !== 'pending') throw invalid('status', '"active" or "pending"');
    return `u.status = ${p(v)}`;
  },
  user_id: (v, p) => `u.user_id = ANY(${p(stringList('user_id', v))}::text[])`,
  full_name_fuzzy: (v, p) =>
    `concat_ws(' ', NULLIF(u.first_name, ''), NULLIF(u.middle_name, ''), NULLIF(u.last_name, '')) ILIKE ${p(fuzzy('full_name_fuzzy', v))}`,
  email_address: (v, p) =>
    exists('user_emails', `x.email_normalized = ANY(${p(stringList('email_address', v).map((e) => e.trim().toLowerCase()))}::text[])`),
  email_address_fuzzy: (v, p) => exists('user_emails', `x.email_normalized ILIKE ${p(fuzzy('email_address_fuzzy', v))}`),
  email_id: (v, p) => exists('user_emails', `x.email_id = ANY(${p(stringList('email_id', v))}::text[])`),
  email_verified: (v, p) => exists('user_emails', `x.verified = ${p(bool('email_verified', v))}`),
  phone_number: (v, p) => exists('user_phone_numbers', `x.phone_number = ANY(${p(stringList('phone_number', v))}::text[])`),
  phone_number_fuzzy: (v, p) => exists('user_phone_numbers', `x.phone_number ILIKE ${p(fuzzy('phone_number_fuzzy', v))}`),
  phone_id: (v, p) => exists('user_phone_numbers', `x.phone_id = ANY(${p(stringList('phone_id', v))}::text[])`),
  phone_verified: (v, p) => exists('user_phone_numbers', `x.verified = ${p(bool('phone_verified', v))}`),
  password_exists: (v) => `${bool('password_exists', v) ? '' : 'NOT '}${exists('user_passwords', 'TRUE')}`,
  // Gatehouse addition: users holding any of these roles. Every user holds the default role.
  roles: (v, p) => {
    const roles = stringList('roles', v);
    if (roles.some((role) => IMPLICIT_ROLE_IDS.consumer.includes(role))) return 'TRUE';
    return exists('user_roles', `x.role_id = ANY(${p(roles)}::text[])`);
  },
};

export const USER_SEARCH_FILTERS = Object.keys(FILTERS);

export function compileUserSearch(query: UserSearchQuery | null, firstParam: number): CompiledCondition {
  return compileSearchQuery(query, FILTERS, 'user_search', firstParam);
}
