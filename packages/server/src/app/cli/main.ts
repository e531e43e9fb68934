// `gatehouse <command>`: serve, migrate, policy export/apply, secrets list/create/revoke, admin ….
// The only code that reads the environment (besides tests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describePolicyChange } from '@gatehouse/policy';
import { ConfigError, loadConfig, type ServerConfig } from '../../shared/config.ts';
import { keyringFromConfig } from '../../encryption/config-keyring.ts';
import { EncryptionKey } from '../../encryption/keyring.ts';
import { prepareSecretsAtRest, reencryptSecrets } from '../../encryption/stored-secrets.ts';
import { credentialsFileName, ensureProject, readCredentialsFile } from '../../projects/bootstrap.ts';
import { createGatehouse } from '../server.ts';
import { makeDataDirPrivate } from '../../store/data-dir.ts';
import { assertDataFolderFree, DataFolderInUseError } from '../../store/data-dir-lock.ts';
import { openDatabase, type Database } from '../../store/database.ts';
import { migrate } from '../../store/migrate.ts';

const USAGE = `Usage: gatehouse <command>

  serve                          start the server (PORT, DATABASE_URL, GATEHOUSE_* — see README)
  credentials                    print the project's credentials as shell variables, for
                                 eval "$(npx gatehouse credentials)": PROJECT_ID, SECRET, PUBLIC_TOKEN, GATEHOUSE_URL
  migrate                        apply database migrations and exit
  policy export                  print the RBAC policy as JSON
  policy apply <file> [--dry-run] [--cascade]
                                 replace the RBAC policy with the file's and print what changed
  secrets list | create | revoke <secret_id>
                                 manage the project's API secrets
  redirect-urls list | add <url> [--types login,signup,…] [--default] | update <url> --types … [--default]
        | remove <url>           manage where links and SSO sign-ins may send their tokens (types: login, signup,
                                 invite, reset_password, discovery; all when --types is left out)
  oauth-providers list | set <google|microsoft|github> --client-id <id> [--client-secret-stdin]
        [--scopes "<extra scopes>"] [--authorization-url …] [--token-url …] [--userinfo-url …] [--jwks-url …] [--issuer …]
        | remove <provider>      configure OAuth sign-in (the secret is read from stdin, required the first time;
                                 endpoint options override the provider's preset; prints the redirect URI to register)
  claims-template get | set <file> | remove
                                 the project's custom claim template for session JWTs (Stytch's markup)
  keys rotate                    sign session JWTs with a new key (the old one stays in the JWKS
                                 until the tokens it signed have expired)
  encryption generate-key        print a new random key for GATEHOUSE_ENCRYPTION_KEY
  encryption reencrypt           seal every stored secret with GATEHOUSE_ENCRYPTION_KEY after a rotation
                                 (GATEHOUSE_ENCRYPTION_KEYS_PREVIOUS holding the old key); works on the
                                 database directly: stop the server first when it uses the embedded one
  admin list | create --email <email> [--password-stdin]
        | reset-password --email <email> [--password-stdin] | disable --email <email> | enable --email <email>
                                 manage dashboard admins (a generated password is printed once)

migrate and encryption reencrypt open the database the configuration names. policy, secrets, redirect-urls, oauth-providers, claims-template, keys and admin talk to a running server: GATEHOUSE_URL, GATEHOUSE_PROJECT_ID and GATEHOUSE_SECRET,
or the credentials file in GATEHOUSE_DATA_DIR (default .gatehouse) written on first start.`;

function warn(message: string): void {
  console.warn(`\x1b[33mWARNING\x1b[0m ${message}`);
}

/** Makes the data folder private, saying so when it was not. */
function secureDataDir(config: ServerConfig): void {
  const loosened = makeDataDirPrivate(config.dataDir);
  if (loosened.length > 0) {
    warn(`${loosened.length} path(s) in ${config.dataDir} were readable by others (group or other permissions), e.g. ${loosened[0]}: made private (folders 700, files 600).`);
  }
}

/** The keyring the configuration names; says so when a development key was generated. */
function configuredKeyring(config: ServerConfig) {
  const { keyring, generatedKeyFile } = keyringFromConfig(config);
  if (generatedKeyFile) console.log(`Generated a development encryption key in ${generatedKeyFile} (mode 600): keep it with the database, which it opens.`);
  return keyring;
}

/** The embedded database's folder, when the configuration names no DATABASE_URL. */
const embeddedFolder = (config: ServerConfig) => (config.databaseUrl ? undefined : `${config.dataDir}/pglite`);

async function serve(): Promise<void> {
  const { config, warnings } = loadConfig(process.env);
  // In use: say only that (openPglite takes the lock itself, see store/data-dir-lock.ts).
  const folder = embeddedFolder(config);
  if (folder) assertDataFolderFree(folder);
  for (const warning of warnings) warn(warning);
  secureDataDir(config);
  const gatehouse = await createGatehouse({ config, keyring: configuredKeyring(config) });
  // PGlite has just written its files with mode 0666: take that back (quietly, it is expected).
  makeDataDirPrivate(config.dataDir);
  const { sealed, underPreviousKeys } = gatehouse.secretsAtRest;
  if (sealed > 0) {
    warn(`Encrypted ${sealed} secret(s) an earlier version stored in the clear. Backups taken before hold them in the clear: rotate the signing keys (\`gatehouse keys rotate\`) and the OIDC client secrets.`);
  }
  if (underPreviousKeys > 0) warn(`${underPreviousKeys} stored secret(s) are still encrypted with a previous key: run \`gatehouse encryption reencrypt\`.`);
  const { project, created, credentialsFile, redirectUrls, keptCredentialsFile } = await ensureProject(gatehouse, config);
  const firstAdmin = await gatehouse.admins.ensureFirstAdmin();
  await gatehouse.app.listen({ port: config.port, host: config.host });

  const lines = [`Gatehouse is listening on ${config.publicUrl}`, `  project_id:   ${project.project_id}`, `  public_token: ${project.public_token}`];
  if (created && !config.production && !config.initialCredentials.secret) lines.push(`  secret:       ${created.secret}   (shown once here)`);
  lines.push(`  dashboard:    ${config.publicUrl}/dashboard/`);
  for (const registered of redirectUrls) {
    lines.push(`  redirect URL: ${registered.url} registered as the default for ${registered.valid_types.map((t) => t.type.toLowerCase()).join(', ')}`);
  }
  if (created && redirectUrls.length === 0) lines.push('  redirect URLs: none registered; magic links, invites, resets and SSO need one (`gatehouse redirect-urls add <url>`)');
  if (firstAdmin) lines.push(`  admin:        ${firstAdmin.admin.email}`);
  if (firstAdmin?.password) lines.push(`  password:     ${firstAdmin.password}   (shown once here; \`gatehouse admin reset-password\` sets a new one)`);
  if (!firstAdmin && !(await gatehouse.admins.hasAdmin())) lines.push('  no admin yet: set GATEHOUSE_ADMIN_PASSWORD, or run `gatehouse admin create --email <email>`');
  if (keptCredentialsFile) lines.push(`  earlier credentials found there (another project) kept in ${keptCredentialsFile}`);
  lines.push(created ? `  credentials written to ${credentialsFile} (mode 600)` : `  credentials: ${credentialsFile}`);
  console.log(lines.join('\n'));

  const stop = async () => {
    await gatehouse.close();
    makeDataDirPrivate(config.dataDir);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Runs `work` on the configured database, migrated, with the data folder kept private. */
async function withDatabase<T>(work: (db: Database, config: ServerConfig) => Promise<T>): Promise<T> {
  const { config } = loadConfig(process.env);
  secureDataDir(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, dataDir: embeddedFolder(config) });
  try {
    return await work(db, config);
  } finally {
    await db.close();
    makeDataDirPrivate(config.dataDir);
  }
}

async function runMigrations(): Promise<void> {
  const applied = await withDatabase((db) => migrate(db));
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
}

async function encryption(args: string[]): Promise<void> {
  if (args[0] === 'generate-key' && args.length === 1) {
    console.log(EncryptionKey.generate().text);
  } else if (args[0] === 'reencrypt' && args.length === 1) {
    await withDatabase(async (db, config) => {
      const keyring = configuredKeyring(config);
      await migrate(db);
      const { sealed } = await prepareSecretsAtRest(db, keyring);
      const count = sealed + (await reencryptSecrets(db, keyring));
      console.log(`${count} secret(s) encrypted anew with ${keyring.current.id}; every stored secret now opens with GATEHOUSE_ENCRYPTION_KEY alone.`);
    });
  } else {
    throw new CliError(USAGE);
  }
}

/** The credentials the CLI uses: GATEHOUSE_URL / _PROJECT_ID / _SECRET, else the file of the database the environment names. */
function cliCredentials() {
  const dataDir = process.env.GATEHOUSE_DATA_DIR || '.gatehouse';
  const database = { databaseUrl: process.env.DATABASE_URL || undefined, databaseSchema: process.env.GATEHOUSE_DATABASE_SCHEMA || undefined };
  const file = readCredentialsFile(dataDir, database);
  const baseUrl = (process.env.GATEHOUSE_URL || file?.base_url || 'http://127.0.0.1:4000').replace(/\/+$/, '');
  const projectId = process.env.GATEHOUSE_PROJECT_ID || file?.project_id;
  const secret = process.env.GATEHOUSE_SECRET || file?.secret;
  if (!projectId || !secret) {
    throw new ConfigError(`No credentials: set GATEHOUSE_PROJECT_ID and GATEHOUSE_SECRET, or start the server once in ${dataDir} (no ${join(dataDir, credentialsFileName(database))}).`);
  }
  return { baseUrl, projectId, secret, publicToken: process.env.GATEHOUSE_PUBLIC_TOKEN || file?.public_token };
}

/** `gatehouse credentials`: lines a shell can eval, each value single-quoted. */
function printCredentials(args: string[]): void {
  if (positionalsOnly(args).length > 0) throw new CliError(USAGE);
  const { baseUrl, projectId, secret, publicToken } = cliCredentials();
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  const variables = { PROJECT_ID: projectId, SECRET: secret, ...(publicToken ? { PUBLIC_TOKEN: publicToken } : {}), GATEHOUSE_URL: baseUrl };
  for (const [name, value] of Object.entries(variables)) console.log(`export ${name}=${quote(value)}`);
}

function apiClient() {
  const { baseUrl, projectId, secret } = cliCredentials();
  const authorization = `Basic ${Buffer.from(`${projectId}:${secret}`).toString('base64')}`;
  return async (method: string, path: string, body?: unknown): Promise<Record<string, any>> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(`cannot reach the server at ${baseUrl}: ${networkReason(error)}`);
    }
    let json: Record<string, any>;
    try {
      json = (await response.json()) as Record<string, any>;
    } catch {
      throw new CliError(`${baseUrl} is not a Gatehouse API: ${method} ${path} answered ${response.status} without JSON (check GATEHOUSE_URL)`);
    }
    if (!response.ok) {
      // The API names its query parameter (cascade=true); this command names its flag.
      const message = String(json.error_message ?? `status ${response.status}`).replaceAll('pass cascade=true', 'apply again with --cascade');
      const details = json.error_details?.issues?.map((i: { path: string; message: string }) => `  ${i.path}: ${i.message}`).join('\n');
      throw new CliError(`${json.error_type ?? 'error'}: ${message}${details ? `\n${details}` : ''}`);
    }
    return json;
  };
}

/** Why a fetch failed, in a few words: "connection refused", "host not found", …. */
function networkReason(error: unknown): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host not found',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'timed out',
    UND_ERR_CONNECT_TIMEOUT: 'timed out',
    UND_ERR_SOCKET: 'connection closed',
    EHOSTUNREACH: 'host unreachable',
  };
  if (typeof code === 'string') return reasons[code] ?? code;
  return cause instanceof Error ? cause.message : String(cause);
}

class CliError extends Error {}

async function policy(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean' }, cascade: { type: 'boolean' }, b2b: { type: 'boolean' } },
  });
  const prefix = values.b2b ? '/v1/b2b/rbac' : '/v1/rbac';
  const api = apiClient();
  const [sub, file] = positionals;
  if (sub === 'export') {
    const { policy } = await api('GET', `${prefix}/policy`);
    process.stdout.write(`${JSON.stringify({ policy }, null, 2)}\n`);
    return;
  }
  if (sub === 'apply' && file) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const query = new URLSearchParams();
    if (values['dry-run']) query.set('dry_run', 'true');
    if (values.cascade) query.set('cascade', 'true');
    const result = await api('PUT', `${prefix}/policy${query.size ? `?${query}` : ''}`, document);
    const changes = result.changes as Parameters<typeof describePolicyChange>[0][];
    if (changes.length === 0) console.log('No changes: the policy is already as in the file.');
    for (const change of changes) console.log(describePolicyChange(change));
    const holders = values.b2b ? 'member' : 'user';
    for (const revoked of result.revoked_assignments as { role_id: string; count: number }[]) {
      const who = `${revoked.count} ${holders}${revoked.count === 1 ? '' : 's'}`;
      console.log(`- role ${revoked.role_id} ${result.written ? 'revoked from' : 'would be revoked from'} ${who}`);
    }
    if (changes.length > 0) {
      console.log(result.written ? `Policy version ${result.policy_version} written.` : 'Dry run: nothing written.');
    }
    return;
  }
  throw new CliError(USAGE);
}

/** The positional arguments; an option the command does not take is an error. */
function positionalsOnly(args: string[]): string[] {
  return parseArgs({ args, allowPositionals: true, options: {} }).positionals;
}

async function secrets(args: string[]): Promise<void> {
  const [sub, secretId] = positionalsOnly(args);
  const api = apiClient();
  if (sub === 'list') {
    const { secrets } = await api('GET', '/v1/project/secrets');
    for (const s of secrets) console.log(`${s.secret_id}  …${s.last_four}  created ${s.created_at}`);
  } else if (sub === 'create') {
    const { secret } = await api('POST', '/v1/project/secrets');
    console.log(`${secret.secret_id}\n${secret.secret}\n(the secret is shown once; store it now)`);
  } else if (sub === 'revoke' && secretId) {
    await api('DELETE', `/v1/project/secrets/${encodeURIComponent(secretId)}`);
    console.log(`revoked ${secretId}`);
  } else {
    throw new CliError(USAGE);
  }
}

async function redirectUrls(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { types: { type: 'string' }, default: { type: 'boolean' } } });
  const [sub, url] = positionals;
  const api = apiClient();
  const path = '/v1/project/redirect_urls';
  const show = (entry: { url: string; valid_types: { type: string; is_default: boolean }[] }) =>
    `${entry.url}  ${entry.valid_types.map((t) => `${t.type.toLowerCase()}${t.is_default ? ' (default)' : ''}`).join(', ')}`;
  // The API's valid_types from --types (every type when left out) and --default.
  const validTypes = () => values.types?.split(',').map((type) => ({ type: type.trim().toUpperCase(), is_default: values.default === true }));
  if (sub === 'list' && positionals.length === 1) {
    const { redirect_urls } = await api('GET', path);
    if (redirect_urls.length === 0) console.log('No redirect URLs: magic links, invites, password resets and SSO sign-ins are refused until one is added.');
    for (const entry of redirect_urls) console.log(show(entry));
  } else if (sub === 'add' && url && positionals.length === 2) {
    const types = validTypes() ?? (values.default ? ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'].map((type) => ({ type, is_default: true })) : undefined);
    const { redirect_url } = await api('POST', path, { url, valid_types: types });
    console.log(`added ${show(redirect_url)}`);
  } else if (sub === 'update' && url && positionals.length === 2 && values.types) {
    const { redirect_url } = await api('PUT', `${path}?url=${encodeURIComponent(url)}`, { valid_types: validTypes() });
    console.log(`updated ${show(redirect_url)}`);
  } else if (sub === 'remove' && url && positionals.length === 2) {
    const removed = await api('DELETE', `${path}?url=${encodeURIComponent(url)}`);
    console.log(`removed ${removed.url}`);
  } else {
    throw new CliError(USAGE);
  }
}

async function claimsTemplate(args: string[]): Promise<void> {
  const [sub, file] = args;
  const api = apiClient();
  const path = '/v1/project/jwt_templates/session';
  if (sub === 'get' && args.length === 1) {
    console.log((await api('GET', path)).jwt_template.template_content);
  } else if (sub === 'set' && file && args.length === 2) {
    const { jwt_template } = await api('PUT', path, { template_content: readFileSync(file, 'utf8') });
    console.log(`custom claim template set (${jwt_template.updated_at})`);
  } else if (sub === 'remove' && args.length === 1) {
    await api('DELETE', path);
    console.log('custom claim template removed');
  } else {
    throw new CliError(USAGE);
  }
}

async function oauthProviders(args: string[]): Promise<void> {
  const endpointOptions = ['authorization-url', 'token-url', 'userinfo-url', 'jwks-url', 'issuer'] as const;
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'client-id': { type: 'string' }, 'client-secret-stdin': { type: 'boolean' }, scopes: { type: 'string' },
      ...Object.fromEntries(endpointOptions.map((option) => [option, { type: 'string' as const }])),
    },
  });
  const [sub, provider] = positionals;
  const api = apiClient();
  const path = '/v1/project/oauth_providers';
  const show = (entry: { provider: string; client_id: string; redirect_uri: string; overridden: string[] }) =>
    `${entry.provider}  client ${entry.client_id}  redirect URI ${entry.redirect_uri}${entry.overridden.length ? `  overrides: ${entry.overridden.join(', ')}` : ''}`;
  if (sub === 'list' && positionals.length === 1) {
    const { oauth_providers } = await api('GET', path);
    if (oauth_providers.length === 0) console.log('No OAuth providers: OAuth sign-ins are refused until one is set.');
    for (const entry of oauth_providers) console.log(show(entry));
  } else if (sub === 'set' && provider && positionals.length === 2 && values['client-id']) {
    const body: Record<string, unknown> = { client_id: values['client-id'] };
    // From stdin (a pipe or a prompt-less paste), never the command line: it would show in the process list.
    if (values['client-secret-stdin']) body.client_secret = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    if (values.scopes !== undefined) body.custom_scopes = values.scopes;
    for (const option of endpointOptions) {
      const value = (values as Record<string, unknown>)[option];
      if (typeof value === 'string') body[option.replace('-', '_')] = value;
    }
    const { oauth_provider } = await api('PUT', `${path}/${encodeURIComponent(provider)}`, body);
    console.log(`set ${show(oauth_provider)}`);
  } else if (sub === 'remove' && provider && positionals.length === 2) {
    await api('DELETE', `${path}/${encodeURIComponent(provider)}`);
    console.log(`removed ${provider}`);
  } else {
    throw new CliError(USAGE);
  }
}

async function keys(args: string[]): Promise<void> {
  if (positionalsOnly(args).join(' ') !== 'rotate') throw new CliError(USAGE);
  const { kid, retired_kids } = await apiClient()('POST', '/v1/project/signing_keys/rotate');
  console.log(`signing with ${kid}`);
  for (const retired of retired_kids as string[]) console.log(`retired ${retired} (published until its tokens expire)`);
}

async function admin(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { email: { type: 'string' }, 'password-stdin': { type: 'boolean' } } });
  const [sub] = positionals;
  const api = apiClient();
  if (sub === 'list' && positionals.length === 1) {
    const { admins } = await api('GET', '/v1/admins');
    for (const a of admins) console.log(`${a.admin_id}  ${a.email}  created ${a.created_at}${a.disabled_at ? `  disabled ${a.disabled_at}` : ''}`);
    return;
  }
  const email = values.email;
  if (!email || positionals.length !== 1) throw new CliError(USAGE);
  if (sub === 'create' || sub === 'reset-password') {
    // The password from stdin (a pipe or a prompt-less paste), without its final line break.
    const password = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : undefined;
    const result = await api('POST', sub === 'create' ? '/v1/admins' : '/v1/admins/reset_password', { email, password });
    console.log(`${sub === 'create' ? 'created' : 'new password for'} ${result.admin.admin_id}  ${result.admin.email}`);
    if (result.password) console.log(`password: ${result.password}\n(the password is shown once; store it now)`);
  } else if (sub === 'disable' || sub === 'enable') {
    const { admin } = await api('POST', `/v1/admins/${sub}`, { email });
    console.log(`${sub}d ${admin.admin_id}  ${admin.email}`);
  } else {
    throw new CliError(USAGE);
  }
}

async function main(argv: string[]): Promise<void> {
  // Whatever this process writes (database files, credentials, keys) is the owner's alone.
  process.umask(0o077);
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'migrate':
      return runMigrations();
    case 'credentials':
      return printCredentials(rest);
    case 'policy':
      return policy(rest);
    case 'secrets':
      return secrets(rest);
    case 'redirect-urls':
      return redirectUrls(rest);
    case 'oauth-providers':
      return oauthProviders(rest);
    case 'claims-template':
      return claimsTemplate(rest);
    case 'keys':
      return keys(rest);
    case 'admin':
      return admin(rest);
    case 'encryption':
      return encryption(rest);
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      // No command, or one this version does not know: the usage, as an error.
      throw new CliError(command ? `unknown command '${command}'\n\n${USAGE}` : USAGE);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(errorLine(error));
  process.exit(1);
});

/** What the user reads: the message, on one line (`GATEHOUSE_DEBUG=1` adds the stack). */
function errorLine(error: unknown): string {
  if (error instanceof ConfigError || error instanceof CliError || error instanceof DataFolderInUseError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  // parseArgs: "Unknown option '--x'. To specify a positional argument starting with a '-', …".
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    const first = (error as Error).message.split(/\. /)[0]!;
    return `${first.charAt(0).toLowerCase()}${first.slice(1)} (gatehouse help lists the options)`;
  }
  if (process.env.GATEHOUSE_DEBUG) return error instanceof Error ? (error.stack ?? error.message) : String(error);
  const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error);
  return `error: ${message.split('\n')[0]} (GATEHOUSE_DEBUG=1 shows where)`;
}
