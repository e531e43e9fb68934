// First start: make the project (with the credentials the environment gives, or new ones), register
// its first redirect URLs (GATEHOUSE_REDIRECT_URL / GATEHOUSE_RESET_PASSWORD_URL; in development
// http://localhost:3000/authenticate), write the credentials to a file only the owner can read, and
// say how to reach the server.
//
// The credentials file is the database's: `credentials.json` for the embedded one, and
// `credentials.postgres.<host>-<port>-<database>-<schema>.json` for a DATABASE_URL, so that starting on
// another database in the same folder never replaces the secret another project showed once. A file
// found where a new project's would go (its database was emptied) is kept, renamed after its project.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../shared/config.ts';
import { ConfigError } from '../shared/config.ts';
import { systemActor } from '../audit/log.ts';
import { normalizeRegisteredUrl, REDIRECT_URL_TYPES, type RedirectUrl, type RedirectUrlService, type RedirectUrlType } from '../redirect-urls/service.ts';
import { isGatehouseError } from '../shared/errors.ts';
import type { Project, ProjectCredentials, ProjectService } from './service.ts';
import { checkCredentialShapes } from './service.ts';

export const CREDENTIALS_FILE = 'credentials.json';

/** Which database a credentials file belongs to: DATABASE_URL and GATEHOUSE_DATABASE_SCHEMA (unset: the embedded one). */
export interface DatabaseIdentity {
  databaseUrl?: string | undefined;
  databaseSchema?: string | undefined;
}

/** The credentials file's name for that database (see the header). */
export function credentialsFileName(database: DatabaseIdentity): string {
  if (!database.databaseUrl) return CREDENTIALS_FILE;
  let parts: string[];
  try {
    const url = new URL(database.databaseUrl);
    const name = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
    parts = [url.hostname || url.searchParams.get('host') || 'localhost', url.port || '5432', name];
  } catch {
    parts = ['database'];
  }
  parts.push(database.databaseSchema || 'public');
  return `credentials.postgres.${parts.map((part) => part.replace(/[^A-Za-z0-9._]+/g, '_')).join('-')}.json`;
}

/** The database a credentials file is for, as its `database` field says it (no password). */
function describeDatabase(database: DatabaseIdentity, dataDir: string): string {
  if (!database.databaseUrl) return `embedded (${join(dataDir, 'pglite')})`;
  try {
    const url = new URL(database.databaseUrl);
    url.password = '';
    return `${url.toString()} schema ${database.databaseSchema || 'public'}`;
  } catch {
    return `PostgreSQL schema ${database.databaseSchema || 'public'}`;
  }
}

export interface BootstrapResult {
  project: Project;
  /** Set when this start created the project. */
  created?: ProjectCredentials;
  credentialsFile: string;
  /** The redirect URLs this start registered (first start only). */
  redirectUrls: RedirectUrl[];
  /** Where the credentials file found in the new project's place was kept. */
  keptCredentialsFile?: string;
}

export function readCredentialsFile(dataDir: string, database: DatabaseIdentity = {}): (ProjectCredentials & { base_url?: string }) | null {
  const file = join(dataDir, credentialsFileName(database));
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ProjectCredentials & { base_url?: string };
}

export async function ensureProject(deps: { projects: ProjectService; redirectUrls: RedirectUrlService }, config: ServerConfig): Promise<BootstrapResult> {
  const { projects } = deps;
  const given = config.initialCredentials;
  const credentialsFile = join(config.dataDir, credentialsFileName(config));
  try {
    checkCredentialShapes({ environment: config.environment, ...given });
  } catch (error) {
    throw new ConfigError(`GATEHOUSE_PROJECT_ID / GATEHOUSE_SECRET / GATEHOUSE_PUBLIC_TOKEN: ${(error as Error).message}`);
  }
  const existing = given.projectId ? await projects.findProject(given.projectId) : await projects.findFirstProject();
  if (existing) {
    if (given.secret && !(await projects.authenticateSecret(existing.project_id, given.secret))) {
      throw new ConfigError(
        `GATEHOUSE_SECRET is not an active secret of ${existing.project_id}. Secrets are only taken on first start; ` +
          'rotate with `gatehouse secrets create` instead.',
      );
    }
    return { project: existing, credentialsFile, redirectUrls: [] };
  }
  const initialUrls = initialRedirectUrls(config);
  const created = await projects.createProject({
    environment: config.environment,
    projectId: given.projectId,
    secret: given.secret,
    publicToken: given.publicToken,
  });
  mkdirSync(config.dataDir, { recursive: true });
  const keptCredentialsFile = keepCredentialsFile(credentialsFile);
  const contents = { ...created, base_url: config.publicUrl, database: describeDatabase(config, config.dataDir) };
  // 'wx': never over another file (a second process racing this one fails here rather than replace it).
  writeFileSync(credentialsFile, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(credentialsFile, 0o600);
  const registered: RedirectUrl[] = [];
  for (const [url, types] of initialUrls) {
    registered.push(await deps.redirectUrls.create(created.project_id, config.environment, { url, valid_types: types.map((type) => ({ type, is_default: true })) }, systemActor('first_start')));
  }
  const project = await projects.findProject(created.project_id);
  return { project: project!, created, credentialsFile, redirectUrls: registered, ...(keptCredentialsFile ? { keptCredentialsFile } : {}) };
}

/** Moves an existing file out of the way, to `<name>.<its project_id>.json` (or a numbered name): never lost. */
function keepCredentialsFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let projectId = 'unknown-project';
  try {
    projectId = String((JSON.parse(readFileSync(file, 'utf8')) as { project_id?: unknown }).project_id ?? projectId).replace(/[^A-Za-z0-9-]+/g, '-');
  } catch {
    // Unreadable: kept all the same, under a name that says so.
  }
  const base = file.replace(/\.json$/, '');
  let kept = `${base}.${projectId}.json`;
  for (let n = 2; existsSync(kept); n++) kept = `${base}.${projectId}.${n}.json`;
  renameSync(file, kept);
  return kept;
}

/** The URLs the first start registers, each with the types it is the default of; checked before anything is written. */
function initialRedirectUrls(config: ServerConfig): Map<string, RedirectUrlType[]> {
  const urls = new Map<string, RedirectUrlType[]>();
  const add = (variable: string, raw: string | undefined, types: RedirectUrlType[]) => {
    if (raw === undefined) return;
    let url: string;
    try {
      url = normalizeRegisteredUrl(raw, config.environment);
    } catch (error) {
      if (!isGatehouseError(error)) throw error;
      throw new ConfigError(`${variable}: ${error.message}`);
    }
    urls.set(url, [...(urls.get(url) ?? []), ...types]);
  };
  add('GATEHOUSE_REDIRECT_URL', config.email.redirectUrl, REDIRECT_URL_TYPES.filter((type) => type !== 'RESET_PASSWORD'));
  add('GATEHOUSE_RESET_PASSWORD_URL', config.email.resetPasswordUrl, ['RESET_PASSWORD']);
  return urls;
}
