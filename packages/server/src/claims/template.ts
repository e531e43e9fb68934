// Stytch's custom claim template markup: a JSON object whose values may be `{{ variable }}`, a dot
// path into the user (consumer) or the member and its organization (B2B). A variable stands for a
// whole JSON value — never a key, never part of a string — and evaluates to any JSON value; one that
// is null or names nothing leaves its claim out. The rendered claims obey session_custom_claims'
// rules: no registered claim, nothing under https://stytch.com/, at most 4096 bytes of JSON.
import { STYTCH_CLAIM_PREFIX } from '@gatehouse/contracts';
import { GatehouseError } from '../shared/errors.ts';

export const MAX_CLAIMS_BYTES = 4096;
/** The registered JWT claims (RFC 7519) a template may not set. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/** What each root of a variable may name (the first segment after it). */
const FIELDS: Record<string, ReadonlySet<string>> = {
  user: new Set(['user_id', 'name', 'emails', 'phone_numbers', 'trusted_metadata', 'untrusted_metadata', 'external_id', 'rbac']),
  member: new Set(['member_id', 'organization_id', 'name', 'email_address', 'trusted_metadata', 'untrusted_metadata', 'external_id', 'rbac']),
  organization: new Set(['organization_id', 'organization_name', 'organization_slug', 'trusted_metadata']),
};

/** The marker a variable becomes while the template is parsed as JSON (a key no JSON text can make from `{{`). */
const VARIABLE = '\u0000gatehouse-variable';
const VARIABLE_PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** A parsed template: its JSON with variables as `{ [VARIABLE]: path }` nodes. */
export interface CompiledTemplate {
  readonly content: string;
  readonly root: Record<string, unknown>;
  /** Each variable's path. */
  readonly variables: readonly string[][];
}

/** The values a template reads: `user` for a consumer session, `member` and `organization` for a B2B one. */
export type TemplateContext = Record<string, unknown>;

function invalid(reason: string): GatehouseError {
  return new GatehouseError('invalid_custom_claims_template', { params: { reason } });
}

export function checkClaimKeys(claims: Record<string, unknown>): void {
  for (const key of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(key)) throw new GatehouseError('reserved_claims_in_custom_claims', { params: { claim: key } });
    if (key.startsWith(STYTCH_CLAIM_PREFIX)) throw new GatehouseError('stytch_claims_in_custom_claims', { params: { claim: key } });
  }
}

/** Parses and checks a template; the error says what is wrong with it. */
export function compileTemplate(content: string): CompiledTemplate {
  const variables: string[][] = [];
  const json = content.replace(VARIABLE_PATTERN, (_whole, expression: string) => {
    const path = expression.split('.');
    const [root, field] = path;
    if (!/^[A-Za-z0-9_$.-]+$/.test(expression) || path.some((part) => part === '')) throw invalid(`"{{ ${expression} }}" is not a variable.`);
    const fields = FIELDS[root!];
    if (!fields) throw invalid(`"{{ ${expression} }}": a variable starts with user., member. or organization.`);
    if (field === undefined || !fields.has(field)) throw invalid(`"{{ ${expression} }}": ${root} has no field "${field ?? ''}".`);
    variables.push(path);
    return JSON.stringify({ [VARIABLE]: expression });
  });
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch {
    throw invalid('it is not JSON once each {{ variable }} stands for a value (variables may not be keys or parts of strings).');
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw invalid('it must be a JSON object.');
  checkClaimKeys(root as Record<string, unknown>);
  if (Buffer.byteLength(content) > MAX_CLAIMS_BYTES * 4) throw invalid('it is longer than 16384 bytes.');
  return { content, root: root as Record<string, unknown>, variables };
}

function lookup(context: TemplateContext, expression: string): unknown {
  let value: unknown = context;
  for (const part of expression.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A node with variables replaced; undefined: left out (a variable that is null or names nothing). */
function renderNode(node: unknown, context: TemplateContext): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) return node.map((item) => renderNode(item, context) ?? null);
  const object = node as Record<string, unknown>;
  if (Object.hasOwn(object, VARIABLE)) {
    const value = lookup(context, object[VARIABLE] as string);
    return value === null ? undefined : value;
  }
  const rendered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const out = renderNode(value, context);
    if (out !== undefined) rendered[key] = out;
  }
  return rendered;
}

/** The claims a template gives for this user or member; custom_claims_template_too_large past 4096 bytes. */
export function renderTemplate(template: CompiledTemplate, context: TemplateContext): Record<string, unknown> {
  const claims = renderNode(template.root, context) as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) throw new GatehouseError('custom_claims_template_too_large');
  return claims;
}

/**
 * A session's claims: the template's, then the session's own (session_custom_claims) over them —
 * Stytch's order: template claims are the initial set that a session's claims update.
 */
export function mergeClaims(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const below = merged[key];
    if (value === null) delete merged[key];
    else if (isObject(value) && isObject(below)) merged[key] = mergeClaims(below, value);
    else merged[key] = value;
  }
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A consumer session's variables: `user.…` (its rbac.roles: the session's roles). */
export function userContext(
  user: { user_id: string; name: unknown; emails: unknown; phone_numbers: unknown; trusted_metadata: unknown; untrusted_metadata: unknown; external_id: string | null },
  roles: readonly string[],
): TemplateContext {
  const { user_id, name, emails, phone_numbers, trusted_metadata, untrusted_metadata, external_id } = user;
  return { user: { user_id, name, emails, phone_numbers, trusted_metadata, untrusted_metadata, external_id, rbac: { roles } } };
}

/** A member session's variables: `member.…` and `organization.…`. */
export function memberContext(
  member: { member_id: string; organization_id: string; name: string; email_address: string; trusted_metadata: unknown; untrusted_metadata: unknown; external_id: string | null },
  organization: { organization_id: string; organization_name: string; organization_slug: string; trusted_metadata?: unknown },
  roles: readonly string[],
): TemplateContext {
  const { member_id, organization_id, name, email_address, trusted_metadata, untrusted_metadata, external_id } = member;
  return {
    member: { member_id, organization_id, name, email_address, trusted_metadata, untrusted_metadata, external_id, rbac: { roles } },
    organization: {
      organization_id: organization.organization_id,
      organization_name: organization.organization_name,
      organization_slug: organization.organization_slug,
      trusted_metadata: organization.trusted_metadata,
    },
  };
}
