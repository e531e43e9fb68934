// sessions/authenticate with an authorization check over HTTP, at 50 connections, next to a minimal
// Fastify JSON route measured the same way in the same run. Server and floor each run in a child
// process; autocannon loads them from this one. DATABASE_URL set: the server runs on PostgreSQL.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { BenchReport, Measurement } from './measure.ts';
import { api, AUTH, startFloor, startGatehouse } from './server.ts';

const CONNECTIONS = 50;
const ROUND_SECONDS = 5;
const ROUNDS = 2;

interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time (user + system, all threads) the server process spent per request. */
  cpuMicrosPerRequest: number;
  /** The part of it spent in the kernel (system time): mostly the loopback socket writes. */
  systemMicrosPerRequest: number;
}

/** CPU time a process has used, user and system, in µs, from /proc (clock ticks of 10 ms). */
function cpuMicros(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
}

async function load(pid: number, url: string, body: string, headers: Record<string, string>): Promise<LoadResult> {
  const before = cpuMicros(pid);
  const result = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, connections: CONNECTIONS, duration: ROUND_SECONDS });
  const after = cpuMicros(pid);
  const system = (after.system - before.system) / result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMicrosPerRequest: (after.user - before.user) / result.requests.total + system,
    systemMicrosPerRequest: system,
  };
}

export async function run(): Promise<BenchReport> {
  const floor = await startFloor();
  const gatehouse = await startGatehouse(`gatehouse_bench_${process.pid}`);
  try {
    const { base } = gatehouse;
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
      runs.floor!.push(await load(floor.child.pid!, floor.url, '{}', {}));
      runs.token!.push(await load(gatehouse.child.pid!, `${base}/v1/sessions/authenticate`, tokenBody, { authorization: AUTH }));
      runs.jwt!.push(await load(gatehouse.child.pid!, `${base}/v1/sessions/authenticate`, jwtBody, { authorization: AUTH }));
    }
    const summary = (name: string, results: LoadResult[]) => {
      const rps = results.reduce((sum, r) => sum + r.requestsPerSecond, 0) / results.length;
      const p50 = Math.max(...results.map((r) => r.p50));
      const p99 = Math.max(...results.map((r) => r.p99));
      const errors = results.reduce((sum, r) => sum + r.errors, 0);
      if (errors > 0) throw new Error(`${name}: ${errors} failed requests`);
      const leanest = results.reduce((best, r) => (r.cpuMicrosPerRequest < best.cpuMicrosPerRequest ? r : best));
      return { measurement: { name, opsPerSecond: rps } as Measurement, p50, p99, cpu: leanest.cpuMicrosPerRequest, system: leanest.systemMicrosPerRequest };
    };
    const f = summary('minimal Fastify JSON route (floor)', runs.floor!);
    const t = summary('sessions/authenticate + check, session_token', runs.token!);
    const j = summary('sessions/authenticate + check, session_jwt', runs.jwt!);
    return {
      title: `HTTP at ${CONNECTIONS} connections (${ROUNDS} × ${ROUND_SECONDS} s each, alternating; ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`,
      floor: f.measurement,
      results: [t.measurement, j.measurement],
      notes: [
        ...[f, t, j].map((s) => `${s.measurement.name}: p50 ${s.p50} ms, p99 ${s.p99} ms, server CPU ${s.cpu.toFixed(0)} µs/request (${s.system.toFixed(0)} of it in the kernel)`),
        `target: session_token ≥ 0.5 × floor — measured ${(t.measurement.opsPerSecond / f.measurement.opsPerSecond).toFixed(2)}`,
        // Autocannon shares the machine's cores with the server: on a loaded machine req/s swing with
        // the other work, the CPU each request costs the server process much less so.
        `by server CPU per request (less sensitive to other load): session_token ${(f.cpu / t.cpu).toFixed(2)} × floor, session_jwt ${(f.cpu / j.cpu).toFixed(2)} × floor`,
      ],
    };
  } finally {
    floor.child.kill();
    gatehouse.child.kill();
  }
}
