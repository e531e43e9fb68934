// Freshness: the time from `sessions.revoke` / a role removal (the API call starting, in this
// process) to the first local refusal in a connected @gatehouse/node client in another process
// (freshness-watcher.ts, checking the JWT in a loop). A real server (PGlite, in this process) makes
// the change; the change stream carries it. p50/p99 over N trials each; issue 21's goal p99 < 1 s
// (Stytch: a revoked session's JWT lives on for up to 5 minutes).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GatehouseClient } from '@gatehouse/node';
import { signInUser, startTestServer } from '@gatehouse/server/testing';
import type { BenchReport } from './measure.ts';

const TRIALS = Number(process.env.FRESHNESS_TRIALS ?? 30);
const GOAL_MS = 1000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'update'] }],
  roles: [
    { role_id: 'stytch_user', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['update'] }] },
  ],
  scopes: [],
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(): Promise<BenchReport> {
  const server = await startTestServer({ env: { GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0' } });
  const project = await server.createProject();
  const admin = new GatehouseClient({ project_id: project.project_id, secret: project.secret, base_url: server.baseUrl });
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/freshness-watcher.ts', server.baseUrl, project.project_id, project.secret, 'strict'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (message: object) => {
    child.stdin!.write(`${JSON.stringify(message)}\n`);
    const { value, done } = await lines.next();
    if (done) throw new Error('the watcher exited');
    const answer = JSON.parse(value) as Record<string, any>;
    if (answer.error) throw new Error(answer.error);
    return answer;
  };
  const next = async () => JSON.parse((await lines.next()).value) as { refused_at: number; code: string; checks: number };
  try {
    await admin.rbac.replacePolicy({ policy: POLICY });
    await ask({ command: 'connect' });
    // Strict freshness decides locally only JWTs issued after the stream connected (iat: whole seconds).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const check = { resource_id: 'documents', action: 'update' };
    const figures: Record<'revoke' | 'role', number[]> = { revoke: [], role: [] };
    const codes = new Set<string>();
    for (let trial = 0; trial < TRIALS; trial++) {
      for (const kind of ['revoke', 'role'] as const) {
        const user = await signInUser(server, project, ['editor']);
        await ask({ command: 'watch', session_jwt: user.session_jwt, authorization_check: check });
        const started = performance.timeOrigin + performance.now();
        if (kind === 'revoke') await admin.sessions.revoke({ session_jwt: user.session_jwt });
        else await admin.users.update({ user_id: user.user_id, roles: [] });
        const refused = await next();
        codes.add(`${kind}: ${refused.code}`);
        figures[kind].push(refused.refused_at - started);
      }
    }
    const line = (name: string, values: number[]) =>
      `${name}: p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms over ${values.length} trials` +
      ` — goal p99 < ${GOAL_MS} ms: ${percentile(values, 99) < GOAL_MS ? 'met' : 'NOT met'}`;
    const all = [...figures.revoke, ...figures.role];
    return {
      title: 'freshness: change → first local refusal in a connected @gatehouse/node in another process (strict freshness)',
      // Not a rate: the table's rows are the trials per second each kind of change took end to end.
      floor: { name: 'trials (revoke + role removal), per second of latency', opsPerSecond: 1000 / (all.reduce((a, b) => a + b, 0) / all.length) },
      results: [],
      notes: [
        line('sessions.revoke → refusal', figures.revoke),
        line('role removal (users.update roles: []) → refusal', figures.role),
        `refusal codes: ${[...codes].join(', ')}; Stytch: up to 5 minutes (the JWT's lifetime).`,
        `Measured from the API call starting (this process) to the watcher seeing the refusal (system clock in both processes); ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, one server process.`,
      ],
    };
  } finally {
    child.stdin!.end();
    admin.close();
    await server.close();
  }
}
