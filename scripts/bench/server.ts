// Child processes for the HTTP benchmarks: a Gatehouse server with known credentials, the minimal
// Fastify floor (floor-server.ts), and a JSON client for the set-up calls.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const PROJECT_ID = 'project-test-b3c4d5e6-0000-4000-8000-00000000be4c';
const SECRET = 'bench-secret-0123456789abcdef0123';
export const AUTH = `Basic ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString('base64')}`;

export function start(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

/** The minimal Fastify JSON route, in a process of its own; resolves to its URL. */
export async function startFloor(): Promise<{ child: ChildProcess; url: string }> {
  const floor = await start(['--import', 'tsx', 'scripts/bench/floor-server.ts'], {}, /listening (\d+)/);
  return { child: floor.child, url: `http://127.0.0.1:${floor.match[1]}/floor` };
}

/** `gatehouse serve` on a free port with the bench project's credentials; on PostgreSQL when DATABASE_URL is set, in `schema`. */
export async function startGatehouse(schema: string): Promise<{ child: ChildProcess; base: string }> {
  const gatehouse = await start(
    ['packages/server/bin/gatehouse.mjs', 'serve'],
    {
      PORT: '0',
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-bench-')),
      GATEHOUSE_LOG_LEVEL: 'silent',
      GATEHOUSE_PROJECT_ID: PROJECT_ID,
      GATEHOUSE_SECRET: SECRET,
      GATEHOUSE_DATABASE_SCHEMA: schema,
    },
    /listening on (http:\/\/[^\s]+)/,
  );
  // PORT=0: the server prints its public URL with :0; find the real port from the process.
  return { child: gatehouse.child, base: realBase(gatehouse.child) };
}

export async function api(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** The port a child listens on, from /proc (the server was started with PORT=0). */
function realBase(child: ChildProcess): string {
  const inodes = new Set(
    readdirSync(`/proc/${child.pid}/fd`)
      .map((fd) => {
        try {
          return readlinkSync(`/proc/${child.pid}/fd/${fd}`).match(/socket:\[(\d+)\]/)?.[1];
        } catch {
          return undefined;
        }
      })
      .filter(Boolean),
  );
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const parts = line.trim().split(/\s+/);
    if (parts[3] === '0A' && inodes.has(parts[9])) return `http://127.0.0.1:${parseInt(parts[1]!.split(':')[1]!, 16)}`;
  }
  throw new Error('could not find the server port');
}
