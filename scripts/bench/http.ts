// sessions/authenticate with an authorization check over HTTP, at 50 connections, next to a minimal
// Fastify JSON route measured the same way in the same run. Server and floor each run in a child
// process; autocannon loads them from this one. DATABASE_URL set: the server runs on PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { BenchReport, Measurement } from './measure.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONNECTIONS = 50;
const ROUND_SECONDS = 5;
const ROUNDS = 2;

const PROJECT_ID = 'project-test-b3c4d5e6-0000-4000-8000-00000000be4c';
const SECRET = 'bench-secret-0123456789abcdef0123';
const AUTH = `Basic ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString('base64')}`;

function start(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
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

async function api(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, body: string, headers: Record<string, string>): Promise<LoadResult> {
  const result = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: ROUND_SECONDS });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

export async function run(): Promise<BenchReport> {
  const floor = await start(['--import', 'tsx', 'scripts/bench/floor-server.ts'], {}, /listening (\d+)/);
  const gatehouse = await start(
    ['packages/server/bin/gatehouse.mjs', 'serve'],
    {
      PORT: '0',
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-bench-')),
      GATEHOUSE_LOG_LEVEL: 'silent',
      GATEHOUSE_PROJECT_ID: PROJECT_ID,
      GATEHOUSE_SECRET: SECRET,
      GATEHOUSE_DATABASE_SCHEMA: `gatehouse_bench_${process.pid}`,
    },
    /listening on (http:\/\/[^\s]+)/,
  );
  try {
    const floorUrl = `http://127.0.0.1:${floor.match[1]}/floor`;
    // PORT=0: the server prints its public URL with :0; find the real port from the process.
    const base = await realBase(gatehouse.child);
    await api(base, 'PUT', '/v1/rbac/policy', {
      policy: {
        resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
        roles: [
          { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
          { role_id: 'writer', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
        ],
        scopes: [],
      },
    });
    const signUp = await api(base, 'POST', '/v1/passwords', { email: 'bench@example.com', password: 'a sturdy bench passphrase 42', session_duration_minutes: 600 });
    await api(base, 'PUT', `/v1/users/${signUp.user_id}`, { roles: ['writer'] });
    const check = { resource_id: 'documents', action: 'write' };
    const tokenBody = JSON.stringify({ session_token: signUp.session_token, authorization_check: check });
    const jwtBody = JSON.stringify({ session_jwt: (await api(base, 'POST', '/v1/sessions/authenticate', { session_token: signUp.session_token })).session_jwt, authorization_check: check });

    const runs: Record<string, LoadResult[]> = { floor: [], token: [], jwt: [] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.floor!.push(await load(floorUrl, '{}', {}));
      runs.token!.push(await load(`${base}/v1/sessions/authenticate`, tokenBody, { authorization: AUTH }));
      runs.jwt!.push(await load(`${base}/v1/sessions/authenticate`, jwtBody, { authorization: AUTH }));
    }
    const summary = (name: string, results: LoadResult[]) => {
      const rps = results.reduce((sum, r) => sum + r.requestsPerSecond, 0) / results.length;
      const p50 = Math.max(...results.map((r) => r.p50));
      const p99 = Math.max(...results.map((r) => r.p99));
      const errors = results.reduce((sum, r) => sum + r.errors, 0);
      if (errors > 0) throw new Error(`${name}: ${errors} failed requests`);
      return { measurement: { name, opsPerSecond: rps } as Measurement, p50, p99 };
    };
    const f = summary('minimal Fastify JSON route (floor)', runs.floor!);
    const t = summary('sessions/authenticate + check, session_token', runs.token!);
    const j = summary('sessions/authenticate + check, session_jwt', runs.jwt!);
    return {
      title: `HTTP at ${CONNECTIONS} connections (${ROUNDS} × ${ROUND_SECONDS} s each, alternating; ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`,
      floor: f.measurement,
      results: [t.measurement, j.measurement],
      notes: [
        ...[f, t, j].map((s) => `${s.measurement.name}: p50 ${s.p50} ms, p99 ${s.p99} ms`),
        `target: session_token ≥ 0.5 × floor — measured ${(t.measurement.opsPerSecond / f.measurement.opsPerSecond).toFixed(2)}`,
      ],
    };
  } finally {
    floor.child.kill();
    gatehouse.child.kill();
  }
}

/** The port a child listens on, from /proc (the server was started with PORT=0). */
async function realBase(child: ChildProcess): Promise<string> {
  const { readFileSync, readdirSync, readlinkSync } = await import('node:fs');
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
