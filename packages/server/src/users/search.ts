// Turns a Stytch user-search query ({operator, operands: [{filter_name, filter_value}]}) into a SQL
// condition over `users u`, with every value passed as a parameter.
import { GatehouseError } from '../errors.ts';
import { IMPLICIT_ROLES } from '../rbac/defaults.ts';

export interface UserSearchQuery {
  operator: 'AND' | 'OR';
  operands: { filter_name: string; filter_value: unknown }[];
}

interface Compiled {
  sql: string;
  params: unknown[];
}

type FilterCompiler = (value: unknown, param: (value: unknown) => string) => string;

function invalid(name: string, expected: string): GatehouseError {
  return new GatehouseError('user_search_invalid_filter_value', { message: `filter_value of ${name} must be ${expected}.` });
}

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 1000 || !value.every((v) => typeof v === 'string')) {
    throw invalid(name, 'a non-empty array of strings');
  }
  return value as string[];
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(name, 'true or false');
  return value;
}

function fuzzy(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 3) throw invalid(name, 'a string of at least 3 characters');
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

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
    if (roles.some((role) => IMPLICIT_ROLES.consumer.includes(role))) return 'TRUE';
    return exists('user_roles', `x.role_id = ANY(${p(roles)}::text[])`);
  },
};

export const USER_SEARCH_FILTERS = Object.keys(FILTERS);

export function compileUserSearch(query: UserSearchQuery | null, firstParam: number): Compiled {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  if (!query || query.operands.length === 0) return { sql: 'TRUE', params };
  const operator = query.operator ?? 'AND';
  if (operator !== 'AND' && operator !== 'OR') {
    throw new GatehouseError('invalid_argument', { message: 'query.operator must be "AND" or "OR".' });
  }
  const parts = query.operands.map(({ filter_name, filter_value }) => {
    const compile = Object.hasOwn(FILTERS, filter_name) ? FILTERS[filter_name] : undefined;
    if (!compile) {
      throw new GatehouseError('user_search_filter_name_not_recognized', {
        message: `filter_name "${filter_name}" is not recognized; use one of ${USER_SEARCH_FILTERS.join(', ')}.`,
      });
    }
    return `(${compile(filter_value, param)})`;
  });
  return { sql: parts.join(` ${operator} `), params };
}
