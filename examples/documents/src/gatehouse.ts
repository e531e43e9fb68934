// Starts a Gatehouse server for the example (the real CLI, `gatehouse serve`, on PGlite) and talks
// to its backend API with the project secret: the policy, the demo users, the allowed origin.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_PASSWORD, DEMO_USERS, DOCUMENTS_POLICY } from './policy.ts';

const GATEHOUSE_BIN = fileURLToPath(new URL('../../../packages/server/bin/gatehouse.mjs', import.meta.url));

export interface ProjectCredentials {
  project_id: string;
  secret: string;
  public_token: string;
}

export interface RunningGatehouse {
  url: string;
  credentials: ProjectCredentials;
  /** Calls the backend API with the project secret; throws on an error answer. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  stop(): Promise<void>;
}

/** Vite's build sets NODE_ENV=production in this process; the example's Gatehouse is a development server. */
function withoutNodeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_ENV: _nodeEnv, ...rest } = env;
  return { ...rest, GATEHOUSE_MODE: 'development' };
}

/** Credentials kept in the data folder, so later starts reuse the project. */
function exampleCredentials(dataDir: string): ProjectCredentials {
  const file = join(dataDir, 'example-credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ProjectCredentials;
  const credentials = {
    project_id: `project-test-${randomUUID()}`,
    secret: `secret-test-${randomBytes(30).toString('base64url')}`,
    public_token: `public-token-test-${randomUUID()}`,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startGatehouse(options: { dataDir: string; port?: number; log?: (line: string) => void }): Promise<RunningGatehouse> {
  const credentials = exampleCredentials(options.dataDir);
  const port = options.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [GATEHOUSE_BIN, 'serve'], {
    env: {
      ...withoutNodeEnv(process.env),
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEHOUSE_DATA_DIR: options.dataDir,
      GATEHOUSE_PROJECT_ID: credentials.project_id,
      GATEHOUSE_SECRET: credentials.secret,
      GATEHOUSE_PUBLIC_TOKEN: credentials.public_token,
      GATEHOUSE_LOG_LEVEL: 'warn',
      // The example signs in again and again while you try it; keep the limits out of the way.
      GATEHOUSE_RATE_LIMIT_IP: '0',
      GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line.trim()) options.log?.(line);
      if (output.includes('Gatehouse is listening')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gatehouse serve exited with ${code}:\n${output}`)));
  });

  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return connectGatehouse(url, credentials, stop);
}

/** A Gatehouse already listening at `url` (for instance one a test started in-process). */
export function connectGatehouse(url: string, credentials: ProjectCredentials, stop: () => Promise<void> = async () => undefined): RunningGatehouse {
  const authorization = `Basic ${Buffer.from(`${credentials.project_id}:${credentials.secret}`).toString('base64')}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    if (!response.ok) throw Object.assign(new Error(`${method} ${path}: ${response.status} ${json.error_type}: ${json.error_message}`), { body: json });
    return json;
  };
  return { url, credentials, api, stop };
}

/** The policy, the demo users (created once, roles reset at every start) and the app's origin. */
export async function provisionExample(gatehouse: RunningGatehouse, appOrigin: string): Promise<Record<string, string>> {
  await gatehouse.api('PUT', '/v1/rbac/policy', DOCUMENTS_POLICY);
  const userIds: Record<string, string> = {};
  for (const demo of DEMO_USERS) {
    const found = await gatehouse.api('POST', '/v1/users/search', {
      limit: 1,
      query: { operator: 'AND', operands: [{ filter_name: 'email_address', filter_value: [demo.email] }] },
    });
    let userId: string | undefined = found.results[0]?.user_id;
    if (!userId) {
      const created = await gatehouse.api('POST', '/v1/passwords', { email: demo.email, password: DEMO_PASSWORD, name: { first_name: demo.name } });
      userId = created.user_id as string;
    }
    await gatehouse.api('PUT', `/v1/users/${userId}`, { roles: [...demo.roles] });
    userIds[demo.email] = userId;
  }
  // The page may be opened as 127.0.0.1 or as localhost: two origins to the browser.
  await allowOrigin(gatehouse, appOrigin);
  await allowOrigin(gatehouse, appOrigin.replace('//127.0.0.1:', '//localhost:'));
  return userIds;
}

async function allowOrigin(gatehouse: RunningGatehouse, origin: string): Promise<void> {
  try {
    await gatehouse.api('POST', '/v1/project/allowed_origins', { origin, vertical: 'CONSUMER' });
  } catch (error) {
    // Already allowed (a later start of the same data folder).
    const type = (error as { body?: { error_type?: string } }).body?.error_type ?? '';
    if (!/duplicate|already/.test(type)) throw error;
  }
}
