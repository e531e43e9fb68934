// First start: make the project (with the credentials the environment gives, or new ones), register
// its first redirect URLs (GATEHOUSE_REDIRECT_URL / GATEHOUSE_RESET_PASSWORD_URL; in development
// http://localhost:3000/authenticate), write the credentials to a file only the owner can read, and
// say how to reach the server.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../shared/config.ts';
import { ConfigError } from '../shared/config.ts';
import { systemActor } from '../audit/log.ts';
import { normalizeRegisteredUrl, REDIRECT_URL_TYPES, type RedirectUrl, type RedirectUrlService, type RedirectUrlType } from '../redirect-urls/service.ts';
import { isGatehouseError } from '../shared/errors.ts';
import type { Project, ProjectCredentials, ProjectService } from './service.ts';
import { checkCredentialShapes } from './service.ts';

export const CREDENTIALS_FILE = 'credentials.json';

export interface BootstrapResult {
  project: Project;
  /** Set when this start created the project. */
  created?: ProjectCredentials;
  credentialsFile: string;
  /** The redirect URLs this start registered (first start only). */
  redirectUrls: RedirectUrl[];
}

export function readCredentialsFile(dataDir: string): (ProjectCredentials & { base_url?: string }) | null {
  const file = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ProjectCredentials & { base_url?: string };
}

export async function ensureProject(deps: { projects: ProjectService; redirectUrls: RedirectUrlService }, config: ServerConfig): Promise<BootstrapResult> {
  const { projects } = deps;
  const given = config.initialCredentials;
  const credentialsFile = join(config.dataDir, CREDENTIALS_FILE);
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
  writeFileSync(credentialsFile, `${JSON.stringify({ ...created, base_url: config.publicUrl }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(credentialsFile, 0o600);
  const registered: RedirectUrl[] = [];
  for (const [url, types] of initialUrls) {
    registered.push(await deps.redirectUrls.create(created.project_id, config.environment, { url, valid_types: types.map((type) => ({ type, is_default: true })) }, systemActor('first_start')));
  }
  const project = await projects.findProject(created.project_id);
  return { project: project!, created, credentialsFile, redirectUrls: registered };
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
