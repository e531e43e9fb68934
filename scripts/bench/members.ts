// Member search by role over HTTP on PostgreSQL, with 1,000,000 members in 10,000 organizations:
// per-request latency (p50/p95/p99) next to the minimal Fastify JSON route measured the same way in
// the same run. Needs DATABASE_URL. The target (issue 5: p95 under 20 ms) is a per-request figure and
// is judged at 1 connection; the 10-connection run is printed beside it as load figures.
//
// The data set lives in the schema gatehouse_bench_members and is reused by the next run when its
// counts and fingerprint (the migrations of its tables and the loading SQL) still match; otherwise
// the schema is dropped and loaded again (about a minute). To drop it:
//   psql "$DATABASE_URL" -c 'DROP SCHEMA gatehouse_bench_members CASCADE'
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import pg from 'pg';
import { seededRandom, type BenchReport, type Measurement } from './measure.ts';
import { api, AUTH, PROJECT_ID, startFloor, startGatehouse } from './server.ts';

const SCHEMA = 'gatehouse_bench_members';
const ORGANIZATIONS = 10_000;
const MEMBERS = 1_000_000;
const ROUND_MS = 3_000;
const ROUNDS = 2;
const CONCURRENCIES = [1, 10];
const TARGET_P95_MS = 20;
/** The connection count the target is judged at; the others are load figures. */
const TARGET_CONCURRENCY = 1;
/** The tables the loading SQL fills and the search reads: a migration naming none of them leaves the data set as it was. */
const DATASET_TABLES = /\b(organizations|organization_email_role_rules|members|member_roles|member_passwords|member_lockouts|sso_connections|sso_registrations)\b/;

const orgId = (o: string) => `'organization-test-' || md5('bench-org-' || ${o})::uuid`;

// Members are spread over the organizations by a hash and created in turn, so an organization's
// members are scattered over the table as they would be after years of sign-ups. Email domains per
// member of organization o: 70 % org<o>.example.com, 20 % org<o>-labs.example.com, 10 % gmail.com.
// Statuses: 1 % deleted, 2 % invited. Explicit roles: 5 % editor, 2 % viewer, 1 % stytch_admin.
// Rules: 30 % of organizations give viewer to org<o>.example.com; 10 % also billing to the -labs domain.
const LOAD_SQL = [
  `INSERT INTO organizations (organization_id, project_id, organization_name, organization_slug, email_allowed_domains, created_at, updated_at)
   SELECT ${orgId('o')}, $1, 'Bench Org ' || o, 'bench-org-' || o,
          ARRAY['org' || o || '.example.com', 'org' || o || '-labs.example.com'],
          timestamptz '2020-01-01' + o * interval '1 minute', timestamptz '2020-01-01' + o * interval '1 minute'
     FROM generate_series(0, ${ORGANIZATIONS - 1}) o`,
  `INSERT INTO organization_email_role_rules (organization_id, project_id, position, domain, role_id)
   SELECT ${orgId('o')}, $1, 0, 'org' || o || '.example.com', 'viewer' FROM generate_series(0, ${ORGANIZATIONS - 1}) o WHERE o % 10 < 3
   UNION ALL
   SELECT ${orgId('o')}, $1, 1, 'org' || o || '-labs.example.com', 'billing' FROM generate_series(0, ${ORGANIZATIONS - 1}) o WHERE o % 10 = 0`,
  `INSERT INTO members (member_id, organization_id, project_id, status, email_address, email_normalized, email_domain,
                        email_address_verified, name, created_at, updated_at)
   SELECT 'member-test-' || md5('bench-member-' || n)::uuid, ${orgId('o')}, $1,
          CASE WHEN s < 10 THEN 'deleted' WHEN s < 30 THEN 'invited' ELSE 'active' END,
          'user' || n || '@' || d, 'user' || n || '@' || d, d, s >= 30, 'Member ' || n, t, t
     FROM (SELECT n, abs(hashint4extended(n, 1)) % ${ORGANIZATIONS} AS o, abs(hashint4extended(n, 2)) % 100 AS pick,
                  abs(hashint4extended(n, 3)) % 1000 AS s, timestamptz '2021-01-01' + n * interval '10 seconds' AS t
             FROM generate_series(0, ${MEMBERS - 1}) n) g,
          LATERAL (SELECT CASE WHEN pick < 70 THEN 'org' || o || '.example.com'
                               WHEN pick < 90 THEN 'org' || o || '-labs.example.com' ELSE 'gmail.com' END AS d) domain`,
  `INSERT INTO member_roles (member_id, organization_id, project_id, role_id, created_at)
   SELECT m.member_id, m.organization_id, m.project_id, r.role_id, m.created_at
     FROM members m, (VALUES ('editor', 50, 4), ('viewer', 20, 5), ('stytch_admin', 10, 6)) r (role_id, per_mille, seed)
    WHERE m.project_id = $1 AND abs(hashtextextended(m.member_id, r.seed)) % 1000 < r.per_mille`,
];

const POLICY = {
  resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write'] }],
  roles: [
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'stytch_admin', description: '', permissions: [{ resource_id: 'stytch.member', actions: ['*'] }] },
    { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
    { role_id: 'viewer', description: '', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
    { role_id: 'billing', description: '', permissions: [] },
  ],
  scopes: [],
};

/**
 * Changes when the loading SQL or a migration of the data set's tables does: a data set built
 * otherwise is loaded again. Migrations of other tables (comments aside) leave it as it is.
 */
function fingerprint(): string {
  const dir = new URL('store/migrations/', import.meta.resolve('@gatehouse/server'));
  const hash = createHash('sha256').update(JSON.stringify(LOAD_SQL));
  for (const name of readdirSync(dir).sort()) {
    const sql = readFileSync(new URL(name, dir), 'utf8');
    if (DATASET_TABLES.test(sql.replace(/--.*$/gm, ''))) hash.update(name).update(sql);
  }
  return hash.digest('hex').slice(0, 16);
}

async function datasetReady(db: pg.Client, expected: string): Promise<boolean> {
  const { rows } = await db.query<{ found: string | null }>(`SELECT to_regclass('bench_members_dataset')::text AS found`);
  if (!rows[0]?.found) return false;
  const marker = await db.query<{ fingerprint: string; organizations: number; members: number }>(
    `SELECT fingerprint, (SELECT count(*)::int FROM organizations WHERE project_id = $1) AS organizations,
            (SELECT count(*)::int FROM members WHERE project_id = $1) AS members
       FROM bench_members_dataset`,
    [PROJECT_ID],
  );
  const row = marker.rows[0];
  return row?.fingerprint === expected && row.organizations === ORGANIZATIONS && row.members === MEMBERS;
}

/**
 * Loads the data set into the fresh schema. The members' indexes (but their primary key) are dropped
 * for the insert and built again after it, which is several times faster than keeping them up to
 * date row by row. VACUUM then marks the pages all-visible, as autovacuum would have long since.
 */
async function load(db: pg.Client, print: string): Promise<void> {
  await db.query(`SET synchronous_commit = off; SET maintenance_work_mem = '256MB'`);
  const { rows: indexes } = await db.query<{ name: string; definition: string }>(
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename IN ('members', 'member_roles')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = current_schema()::text::regnamespace)`,
  );
  for (const index of indexes) await db.query(`DROP INDEX "${index.name}"`);
  for (const sql of LOAD_SQL) await db.query(sql, [PROJECT_ID]);
  for (const index of indexes) await db.query(index.definition);
  await db.query('VACUUM ANALYZE organizations, organization_email_role_rules, members, member_roles');
  await db.query('CREATE TABLE bench_members_dataset (fingerprint text NOT NULL)');
  await db.query('INSERT INTO bench_members_dataset VALUES ($1)', [print]);
}

interface Sample {
  latencies: number[];
  requests: number;
  elapsedMs: number;
}

/** `concurrency` loops, each sending one request after the other for `ms`; every latency kept. */
async function drive(concurrency: number, ms: number, send: () => Promise<void>): Promise<Sample> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await send();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, requests: latencies.length, elapsedMs: performance.now() - started };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Record<string, any>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const json = (await response.json()) as Record<string, any>;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(...CONCURRENCIES) });

/**
 * A timed request, through node:http on kept-alive connections: the whole body is received, not
 * decoded or parsed (verify() checks the answers). The load generator shares the cores with the
 * server and PostgreSQL; fetch took about 1.5 ms of CPU per 100-member answer, node:http about 0.6.
 */
function send(url: string, body: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => response.statusCode !== 200 && chunks.push(chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`${url}: ${response.statusCode} ${Buffer.concat(chunks)}`))));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

interface SearchCase {
  name: string;
  short: string;
  /** A request body for a fresh random choice of organizations. */
  body: () => { organization_ids: string[]; limit?: number; query: unknown };
  role: string;
}

const byRole = (role: string) => ({ operator: 'AND', operands: [{ filter_name: 'member_roles', filter_value: [role] }] });

/** The server's answer agrees with a count done here another way, and every member holds the role. */
async function verify(db: pg.Client, base: string, search: SearchCase): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const body = search.body();
    const page = await post(`${base}/v1/b2b/organizations/members/search`, JSON.stringify(body), { authorization: AUTH });
    const { rows } = await db.query<{ total: number }>(
      `SELECT count(DISTINCT m.member_id)::int AS total
         FROM members m
         LEFT JOIN member_roles r ON r.member_id = m.member_id AND r.role_id = $2
         LEFT JOIN organization_email_role_rules e ON e.organization_id = m.organization_id AND e.domain = m.email_domain AND e.role_id = $2
        WHERE m.organization_id = ANY($1) AND m.status <> 'deleted' AND ($2 = 'stytch_member' OR r.role_id IS NOT NULL OR e.role_id IS NOT NULL)`,
      [body.organization_ids, search.role],
    );
    const total = page.results_metadata.total as number;
    if (total !== rows[0]!.total) throw new Error(`${search.name}: server says ${total} members, SQL ${rows[0]!.total}`);
    if (page.members.length !== Math.min(total, body.limit ?? 100)) throw new Error(`${search.name}: ${page.members.length} members on the page of ${total}`);
    for (const member of page.members as { roles: { role_id: string }[] }[]) {
      if (!member.roles.some((r) => r.role_id === search.role)) throw new Error(`${search.name}: a member without ${search.role}`);
    }
  }
}

export async function run(): Promise<BenchReport> {
  if (!process.env.DATABASE_URL) throw new Error('the members bench needs PostgreSQL: set DATABASE_URL=postgres://…');
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL, options: `-c search_path=${SCHEMA}` });
  await db.connect();
  const print = fingerprint();
  const reuse = await datasetReady(db, print);
  if (!reuse) await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  const floor = await startFloor();
  const gatehouse = await startGatehouse(SCHEMA);
  try {
    const { base } = gatehouse;
    await api(base, 'PUT', '/v1/b2b/rbac/policy', { policy: POLICY });
    const loadStarted = performance.now();
    if (!reuse) await load(db, print);
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const organizations = (await db.query<{ id: string; ruled: boolean }>(
      `SELECT o.organization_id AS id, EXISTS (SELECT 1 FROM organization_email_role_rules r WHERE r.organization_id = o.organization_id AND r.role_id = 'viewer') AS ruled
         FROM organizations o WHERE o.project_id = $1 ORDER BY o.organization_id`,
      [PROJECT_ID],
    )).rows;
    const all = organizations.map((o) => o.id);
    const ruled = organizations.filter((o) => o.ruled).map((o) => o.id);
    const random = seededRandom(5);
    const pick = (ids: string[]) => ids[Math.floor(random() * ids.length)]!;
    const cases: SearchCase[] = [
      { name: '(a) 1 org, explicit role (editor)', short: 'a', role: 'editor', body: () => ({ organization_ids: [pick(all)], query: byRole('editor') }) },
      { name: '(b) 1 org, implicit role (viewer by email domain)', short: 'b', role: 'viewer', body: () => ({ organization_ids: [pick(ruled)], query: byRole('viewer') }) },
      { name: '(c) 1 org, stytch_member (all), limit 100', short: 'c', role: 'stytch_member', body: () => ({ organization_ids: [pick(all)], limit: 100, query: byRole('stytch_member') }) },
      { name: '(d) 10 orgs, explicit role (editor)', short: 'd', role: 'editor', body: () => ({ organization_ids: Array.from({ length: 10 }, () => pick(all)), query: byRole('editor') }) },
    ];
    for (const search of cases) await verify(db, base, search);

    const searchUrl = `${base}/v1/b2b/organizations/members/search`;
    const senders: [string, () => Promise<void>][] = [
      ['minimal Fastify JSON route (floor)', () => send(floor.url, '{}', {})],
      ...cases.map((search): [string, () => Promise<void>] => [search.name, () => send(searchUrl, JSON.stringify(search.body()), { authorization: AUTH })]),
    ];
    const { rows: [memory] } = await db.query<{ buffers: string; size: string }>(
      `SELECT current_setting('shared_buffers') AS buffers, pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
         FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'`);
    const loadBefore = loadavg()[0]!;
    const samples = new Map<string, Sample[]>();
    for (const concurrency of CONCURRENCIES) {
      for (const [, send] of senders) await drive(concurrency, 500, send); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, send] of senders) {
          const key = `${name}, ${concurrency} conn`;
          samples.set(key, [...(samples.get(key) ?? []), await drive(concurrency, ROUND_MS, send)]);
        }
      }
    }

    const summaries = [...samples].map(([name, runs]) => {
      const sorted = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const rate = runs.reduce((sum, r) => sum + (r.requests / r.elapsedMs) * 1000, 0) / runs.length;
      return { name, measurement: { name, opsPerSecond: rate } as Measurement, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
    });
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    const p95Of = (concurrency: number) => cases.map((search) => summaries.find((s) => s.name === `${search.name}, ${concurrency} conn`)!.p95);
    const p95s = (concurrency: number) => p95Of(concurrency).map((p95, i) => `(${cases[i]!.short}) ${ms(p95)}`).join(', ');
    const worst = Math.max(...p95Of(TARGET_CONCURRENCY));
    const [floorSummary, ...rest] = summaries;
    return {
      title: `Member search by role over HTTP, PostgreSQL, ${ORGANIZATIONS.toLocaleString('en-US')} organizations / ${MEMBERS.toLocaleString('en-US')} members (${ROUNDS} × ${ROUND_MS / 1000} s each, alternating)`,
      floor: floorSummary!.measurement,
      results: rest.map((s) => s.measurement),
      notes: [
        reuse ? `data set reused from schema ${SCHEMA}` : `data set loaded into schema ${SCHEMA} in ${loadSeconds.toFixed(1)} s (reused by the next run)`,
        `PostgreSQL shared_buffers ${memory!.buffers} for a data set of ${memory!.size} with its indexes: pages it does not hold come from the OS page cache`,
        `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${availableParallelism()} cores (latency is CPU-bound: other load shows in it)`,
        'latency per request (node:http, keep-alive, body received but not parsed; each search also counts its total), random organizations per request:',
        ...summaries.map((s) => `  ${s.name}: p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}`),
        `target (issue 5): p95 < ${TARGET_P95_MS} ms per request, at ${TARGET_CONCURRENCY} conn — measured ${p95s(TARGET_CONCURRENCY)}`,
        `target ${worst < TARGET_P95_MS ? 'met' : 'missed'}: worst p95 ${ms(worst)} at ${TARGET_CONCURRENCY} conn`,
        ...CONCURRENCIES.filter((c) => c !== TARGET_CONCURRENCY).map((c) =>
          `load figures, not the target: p95 at ${c} conn — ${p95s(c)} (server, PostgreSQL and this load generator share ${availableParallelism()} cores; the floor's p95 there is ${ms(summaries.find((s) => s.name === `minimal Fastify JSON route (floor), ${c} conn`)!.p95)})`),
      ],
    };
  } finally {
    agent.destroy();
    floor.child.kill();
    gatehouse.child.kill();
    await db.end();
  }
}
