// First start: make the project (with the credentials the environment gives, or new ones), write
// them to a file only the owner can read, and say how to reach the server.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../config.ts';
import { ConfigError } from '../config.ts';
import type { Project, ProjectCredentials, ProjectService } from './service.ts';
import { checkCredentialShapes } from './service.ts';

export const CREDENTIALS_FILE = 'credentials.json';

export interface BootstrapResult {
  project: Project;
  /** Set when this start created the project. */
  created?: ProjectCredentials;
  credentialsFile: string;
}

export function readCredentialsFile(dataDir: string): (ProjectCredentials & { base_url?: string }) | null {
  const file = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ProjectCredentials & { base_url?: string };
}

export async function ensureProject(projects: ProjectService, config: ServerConfig): Promise<BootstrapResult> {
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
    return { project: existing, credentialsFile };
  }
  const created = await projects.createProject({
    environment: config.environment,
    projectId: given.projectId,
    secret: given.secret,
    publicToken: given.publicToken,
  });
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(credentialsFile, `${JSON.stringify({ ...created, base_url: config.publicUrl }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(credentialsFile, 0o600);
  const project = await projects.findProject(created.project_id);
  return { project: project!, created, credentialsFile };
}
