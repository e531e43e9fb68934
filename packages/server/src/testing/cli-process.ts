// Test support: the `gatehouse` command run as a user runs it, in a child process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/gatehouse.mjs', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `gatehouse serve` with exactly `env` and resolves with what it printed once it listens. */
export async function serveCli(env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 3 minutes:\n${output}`)), 180_000);
    const check = () => {
      // The banner's last line (a warning before it may mention credentials too).
      if (/credentials( written to|:) /.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return { child, output };
}

export async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Runs a `gatehouse` command to its end. */
export function runCli(env: NodeJS.ProcessEnv, input: string | undefined, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { env, input, encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The environment of a `gatehouse` run in a test: a data folder and a port of its own, and on
 * PostgreSQL (DATABASE_URL set) a schema of its own, which `dropSchema` removes at the end.
 */
export function cliTestEnvironment(options: { port: number; dataDir: string; schema: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(options.port),
    GATEHOUSE_DATA_DIR: options.dataDir,
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, GATEHOUSE_DATABASE_SCHEMA: options.schema } : {}),
  };
}

/** Drops a test's PostgreSQL schema (nothing to do on PGlite). */
export async function dropSchema(schema: string, databaseUrl = process.env.DATABASE_URL): Promise<void> {
  if (!databaseUrl) return;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
