// Each table is written by its own feature: INSERT, UPDATE and DELETE statements naming a table
// appear only in the folder that owns it. Another feature changes the table by calling the owner's
// repository function with its own transaction `tx`, so the write still happens under the locks
// and checks of that transaction (grants are decided inside write transactions on locked rows).
// The tables come from the migrations; every one must have an owner below.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVER_SRC as SRC, serverSourceFiles } from '../testing/source-files.ts';

const MIGRATIONS = join(SRC, 'store', 'migrations');

/** The folder under src that owns each table (the only one whose source may write it). */
const OWNER: Record<string, string> = {
  schema_migrations: 'store',
  projects: 'projects',
  project_secrets: 'projects',
  users: 'users',
  user_emails: 'users',
  user_phone_numbers: 'users',
  user_roles: 'users',
  sessions: 'sessions',
  signing_keys: 'sessions',
  user_passwords: 'passwords',
  member_passwords: 'passwords',
  user_lockouts: 'passwords',
  member_lockouts: 'passwords',
  admin_lockouts: 'passwords',
  unknown_identifier_lockouts: 'passwords',
  email_tokens: 'magic-links',
  email_outbox: 'email',
  organizations: 'organizations',
  organization_email_role_rules: 'organizations',
  members: 'members',
  member_roles: 'members',
  rbac_policy_heads: 'rbac',
  rbac_policy_versions: 'rbac',
  sso_connections: 'sso',
  sso_flows: 'sso',
  sso_registrations: 'sso',
  sso_tokens: 'sso',
  sso_member_links: 'sso',
  saml_assertions_seen: 'sso',
  sdk_allowed_origins: 'sdk',
  audit_events: 'audit',
  admins: 'admins',
  admin_sessions: 'admins',
  rate_limit_counters: 'rate-limit',
  redirect_urls: 'redirect-urls',
  redirect_url_types: 'redirect-urls',
  oauth_providers: 'oauth',
  oauth_flows: 'oauth',
  oauth_registrations: 'oauth',
  oauth_tokens: 'oauth',
  discovery_tokens: 'discovery',
  email_otps: 'otps',
  totp_registrations: 'totps',
  totp_recovery_codes: 'totps',
  m2m_clients: 'm2m',
  scim_connections: 'scim',
  scim_users: 'scim',
  scim_groups: 'scim',
  scim_group_members: 'scim',
  custom_claim_templates: 'claims',
};

/**
 * `file → table` writes allowed outside the owner. Each entry must be used.
 * - Key rotation re-seals the encrypted columns of whichever table holds a secret (the list is
 *   SEALED_COLUMNS in that file), under one advisory lock, from the operator's CLI: the one
 *   cross-cutting writer, which changes how a value is stored and never what it is.
 */
const ALLOWED = new Set<string>([
  'encryption/stored-secrets.ts → signing_keys',
  'encryption/stored-secrets.ts → sso_connections',
  'encryption/stored-secrets.ts → oauth_providers',
  'encryption/stored-secrets.ts → totp_registrations',
  'encryption/stored-secrets.ts → totp_recovery_codes',
]);

/**
 * Files whose write statements take the table name from a variable (`UPDATE ${table} …`), with every
 * table they may name: each is quoted in the file, and the file names no other table in quotes.
 * - passwords/: one module for users', members' and admins' credentials and lockouts, whose tables
 *   have the same shape.
 * - encryption/: the re-seal above, over the tables its SEALED list names.
 */
const NAMED_BY_VARIABLE: Record<string, string[]> = {
  'passwords/credentials.ts': ['user_passwords', 'member_passwords'],
  'passwords/lockout.ts': ['user_lockouts', 'member_lockouts', 'admin_lockouts', 'unknown_identifier_lockouts'],
  'encryption/stored-secrets.ts': ['signing_keys', 'sso_connections', 'oauth_providers', 'totp_registrations', 'totp_recovery_codes'],
};

/**
 * Folders whose source is not part of the running server: testing/ holds test fixtures (it writes
 * test projects' redirect URLs directly so that they add nothing to the audit log the tests count).
 */
const NOT_SERVER_SOURCE = ['testing/'];

function migrationTables(): string[] {
  const tables = new Set<string>();
  for (const name of readdirSync(MIGRATIONS).filter((file) => file.endsWith('.sql'))) {
    for (const match of readFileSync(join(MIGRATIONS, name), 'utf8').matchAll(/\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)/gi)) {
      tables.add(match[1]!.toLowerCase());
    }
  }
  for (const match of readFileSync(join(SRC, 'store', 'migrate.ts'), 'utf8').matchAll(/\bCREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([a-z_][a-z0-9_]*)/gi)) {
    tables.add(match[1]!.toLowerCase());
  }
  return [...tables].sort();
}

/** The tables a file's SQL writes, as `file → table` (statements with a literal table name). */
function tableWrites(file: string, text: string, tables: ReadonlySet<string>): string[] {
  const writes = new Set<string>();
  for (const match of text.matchAll(/\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)\b/g)) {
    const table = match[1]!;
    if (tables.has(table)) writes.add(`${file} → ${table}`);
  }
  return [...writes];
}

const TABLES = migrationTables();
const FILES = serverSourceFiles().filter((file) => !NOT_SERVER_SOURCE.some((folder) => file.startsWith(folder)));

test('every table the migrations create has an owning folder, and every owner is a folder under src', () => {
  assert.ok(TABLES.length >= 30 && TABLES.includes('members') && TABLES.includes('schema_migrations'), `tables found: ${TABLES.join(', ')}`);
  assert.deepEqual(TABLES.filter((table) => !(table in OWNER)), [], 'tables without an owner in OWNER');
  assert.deepEqual(Object.keys(OWNER).filter((table) => !TABLES.includes(table)), [], 'OWNER names tables no migration creates');
  const folders = new Set(readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name));
  assert.deepEqual(Object.values(OWNER).filter((folder) => !folders.has(folder)), [], 'owners that are not folders under src');
});

test('the scan finds writes (the rule below has something to hold)', () => {
  const tables = new Set(TABLES);
  assert.deepEqual(tableWrites('x.ts', "await tx.query(`UPDATE members SET status = 'active'`); 'DELETE FROM sessions'", tables), ['x.ts → members', 'x.ts → sessions']);
  assert.deepEqual(tableWrites('x.ts', 'INSERT INTO email_tokens (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET a = 1', tables), ['x.ts → email_tokens']);
  const all = FILES.flatMap((file) => tableWrites(file, readFileSync(join(SRC, file), 'utf8'), tables));
  assert.ok(all.includes('members/repository.ts → members') && all.includes('users/service.ts → users'), 'the owners\' own writes are found');
});

test("no file writes a table another feature owns (the owner's repository functions do it, in the caller's transaction)", () => {
  const tables = new Set(TABLES);
  const offending: string[] = [];
  const allowedSeen = new Set<string>();
  for (const file of FILES) {
    for (const write of tableWrites(file, readFileSync(join(SRC, file), 'utf8'), tables)) {
      const table = write.slice(write.indexOf('→ ') + 2);
      if (file.startsWith(`${OWNER[table]}/`)) continue;
      if (ALLOWED.has(write)) allowedSeen.add(write);
      else offending.push(`${write} (owner: ${OWNER[table]}/)`);
    }
  }
  assert.deepEqual(offending, [], 'writes outside the owning feature');
  // An entry is used by a write naming the table, or by the file's NAMED_BY_VARIABLE list (the re-seal's tables).
  const byVariable = (write: string) => { const [file, table] = write.split(' → '); return NAMED_BY_VARIABLE[file!]?.includes(table!) ?? false; };
  assert.deepEqual([...ALLOWED].filter((write) => !allowedSeen.has(write) && !byVariable(write)), [], 'allow-list entries no longer used (remove them)');
});

test('a write naming its table by a variable is in a file that says which tables, all of them its own feature\'s (or allowed)', () => {
  const tables = new Set(TABLES);
  const offending: string[] = [];
  for (const file of FILES) {
    const text = readFileSync(join(SRC, file), 'utf8');
    if (!/\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\$\{/.test(text)) continue;
    const declared = NAMED_BY_VARIABLE[file];
    if (!declared) {
      offending.push(`${file}: a write with a table name from a variable; list the tables it may name in NAMED_BY_VARIABLE`);
      continue;
    }
    const quoted = [...text.matchAll(/['"`]([a-z_][a-z0-9_]*)['"`]/g)].map((match) => match[1]!).filter((name) => tables.has(name));
    for (const table of new Set(quoted)) if (!declared.includes(table)) offending.push(`${file} names ${table}, not in its NAMED_BY_VARIABLE entry`);
    for (const table of declared) {
      if (!quoted.includes(table)) offending.push(`${file}: NAMED_BY_VARIABLE lists ${table}, which the file does not name`);
      if (!file.startsWith(`${OWNER[table]}/`) && !ALLOWED.has(`${file} → ${table}`)) offending.push(`${file} → ${table} (owner: ${OWNER[table]}/)`);
    }
  }
  assert.deepEqual(offending, []);
  for (const file of Object.keys(NAMED_BY_VARIABLE)) assert.ok(FILES.includes(file), `${file} (in NAMED_BY_VARIABLE) exists`);
});
