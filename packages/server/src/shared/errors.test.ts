import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parsePolicy, POLICY_ISSUE_CODES, validatePolicy } from '@gatehouse/policy';
import { catalogueDocs, catalogueMessage, ERROR_CATALOGUE, GatehouseError, isGatehouseError, type CatalogueErrorType } from './errors.ts';

type Entry = { status: number; message: string | ((params: never) => string); as?: string; summary?: string };
const entries = Object.entries(ERROR_CATALOGUE) as [CatalogueErrorType, Entry][];

/** Renders a template with a value for every param it reads, so each one shows in the text. */
function renderWithSamples(entry: Entry): { text: string; read: string[] } {
  if (typeof entry.message === 'string') return { text: entry.message, read: [] };
  const read: string[] = [];
  const params = new Proxy({}, {
    get: (_target, name) => {
      if (name === 'issues') return [{ code: 'invalid_policy_format', path: 'roles', message: 'roles must be an array' }];
      read.push(String(name));
      return `<${String(name)}>`;
    },
  });
  return { text: (entry.message as (params: unknown) => string)(params), read };
}

test('every catalogue entry has a 4xx or 5xx status and a message', () => {
  for (const [key, entry] of entries) {
    assert.ok(Number.isInteger(entry.status) && entry.status >= 400 && entry.status <= 599, `${key}: status ${entry.status}`);
    const { text, read } = renderWithSamples(entry);
    assert.ok(text.trim().length > 0, `${key}: empty message`);
    for (const name of read) assert.ok(text.includes(`<${name}>`), `${key}: the template reads ${name} but does not show it`);
  }
});

test('a variant answers with an error_type that is itself in the catalogue', () => {
  for (const [key, entry] of entries) {
    if (entry.as === undefined) continue;
    assert.ok(entry.as in ERROR_CATALOGUE, `${key} answers as ${entry.as}, which the catalogue lacks`);
    assert.equal((ERROR_CATALOGUE as Record<string, Entry>)[entry.as]!.as, undefined, `${key}: a variant of a variant`);
  }
});

test('templates render their params into the message, and the error carries the catalogue status', () => {
  const notFound = new GatehouseError('user_not_found', { params: { user_id: 'user-test-42' } });
  assert.equal(notFound.message, 'No user "user-test-42" in this project.');
  assert.equal(notFound.status, 404);
  assert.equal(notFound.errorType, 'user_not_found');
  assert.equal(catalogueMessage('too_many_roles', { holder: 'member', max: 5 }), 'A member may hold at most 5 explicit roles.');
  assert.equal(catalogueMessage('request_too_large'), 'The request body is too large.');

  const clash = new GatehouseError('rbac_role_already_exists', { params: { role_id: 'editor' } });
  assert.equal(clash.errorType, 'rbac_role_duplicate', 'a variant answers with the error_type it names');
  assert.equal(clash.status, 409);
  assert.ok(isGatehouseError(clash, 'rbac_role_duplicate'));

  const issues = [
    { code: 'rbac_role_duplicate' as const, path: 'roles[2].role_id', message: 'role id "editor" is listed more than once (first at roles[1].role_id)' },
    { code: 'invalid_permission_action' as const, path: 'roles[0].permissions[0].actions[0]', message: 'action "x" is not declared' },
  ];
  const invalid = new GatehouseError('rbac_role_duplicate', { params: { issues }, details: { issues } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.message, `roles[2].role_id: ${issues[0]!.message}; roles[0].permissions[0].actions[0]: ${issues[1]!.message}`);
});

test('the constructor takes catalogue keys only, and exactly the params of each', () => {
  // Compiled by `npm run typecheck` (never run): each construction below must fail to type-check.
  const refusedByTheCompiler = () => {
    // @ts-expect-error not a catalogue key
    assert.throws(() => new GatehouseError('no_such_error_type'));
    // @ts-expect-error user_not_found's message is a template: params are required
    assert.ok(new GatehouseError('user_not_found') instanceof Error);
    // @ts-expect-error the params of another key
    assert.ok(new GatehouseError('user_not_found', { params: { member_id: 'member-test-1' } }) instanceof Error);
    // @ts-expect-error a fixed message takes no params
    assert.ok(new GatehouseError('request_too_large', { params: { size: 1 } }) instanceof Error);
    // @ts-expect-error statuses come from the catalogue
    assert.ok(new GatehouseError('bad_request', { status: 422 }) instanceof Error);
    // @ts-expect-error messages come from the catalogue
    assert.ok(new GatehouseError('user_not_found', { message: 'Gone.' }) instanceof Error);
  };
  assert.equal(typeof refusedByTheCompiler, 'function');
  // What does compile: a fixed message with nothing, a template with its params, details and a cause.
  const cause = new Error('socket hang up');
  assert.equal(new GatehouseError('server_unavailable', { cause }).cause, cause);
  assert.deepEqual(new GatehouseError('server_not_ready', { details: { ready: false } }).details, { ready: false });
});

test('every code the policy package can produce is a catalogue entry with a 4xx status', () => {
  for (const code of POLICY_ISSUE_CODES) {
    const entry = (ERROR_CATALOGUE as Record<string, Entry>)[code];
    assert.ok(entry, `${code} is not in the error catalogue`);
    assert.equal(entry.as, undefined, `${code} must answer as itself`);
    assert.ok(entry.status >= 400 && entry.status < 500, `${code}: status ${entry.status}`);
  }
  // And the list is what the validator really says: a policy breaking many rules at once.
  const broken = parsePolicy({ resources: 'documents', roles: [], scopes: [] });
  const validated = validatePolicy({
    resources: [
      { resource_id: 'docs', description: 'x'.repeat(600), actions: ['read', 'read', '*'] },
      { resource_id: 'docs', description: '', actions: [] },
      { resource_id: 'stytch.thing', description: '', actions: ['x'] },
      { resource_id: '', description: '', actions: ['a b', 'ѕ'] },
    ],
    roles: [
      { role_id: 'stytch_fake', description: '', permissions: [{ resource_id: 'docs', actions: ['write', 'read', '*'] }, { resource_id: 'docs', actions: [] }] },
      { role_id: 'stytch_fake', description: '', permissions: [{ resource_id: 'nope', actions: ['read'] }] },
      { role_id: 'r'.repeat(200), description: '', permissions: [] },
    ],
    scopes: [{ scope: ' ', description: '', permissions: [] }, { scope: 'a b', description: '', permissions: [] }, { scope: 'a b', description: '', permissions: [] }],
  }, { defaultRoleIds: ['stytch_member'] });
  const produced = [...(broken.ok ? [] : broken.issues), ...validated.issues].map((issue) => issue.code);
  assert.ok(produced.length > 10);
  for (const code of produced) assert.ok((POLICY_ISSUE_CODES as readonly string[]).includes(code), `${code} is missing from POLICY_ISSUE_CODES`);
});

test('the docs page lists each error_type once, with every message it can carry', () => {
  const rows = catalogueDocs();
  const types = rows.map((row) => row.error_type);
  assert.equal(new Set(types).size, types.length);
  const userNotFound = rows.find((row) => row.error_type === 'user_not_found')!;
  assert.deepEqual(userNotFound.messages, ['No user "{user_id}" in this project.']);
  const duplicate = rows.find((row) => row.error_type === 'rbac_role_duplicate')!;
  assert.deepEqual(duplicate.statuses, [400, 409]);
});

test('no throw site writes its own message', () => {
  const src = fileURLToPath(new URL('.', import.meta.url));
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/new GatehouseError\(([^;]*?)\)[;\n]/gs)) {
          if (/\bmessage\s*:/.test(match[1]!)) offenders.push(relative(src, path));
        }
      }
    }
  };
  walk(src);
  assert.deepEqual(offenders, []);
});
