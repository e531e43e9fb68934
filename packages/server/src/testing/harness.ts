// Test support: a real Gatehouse on a real database, listening on a loopback port. One server per
// test file; tests isolate themselves by creating their own project (data, not new instances).
// PGlite in memory by default; PostgreSQL in a schema of its own when DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_ENVELOPE_KEYS } from '@gatehouse/contracts';
import pg from 'pg';
import type { Clock } from '../shared/clock.ts';
import { loadConfig, type ServerConfig } from '../shared/config.ts';
import type { ProjectCredentials } from '../projects/service.ts';
import { createGatehouse, type Gatehouse } from '../app/server.ts';
import { openPglite, openPostgres, quoteIdentifier, type Database } from '../store/database.ts';

/**
 * The encryption key of every test server in this process: servers started on the same database
 * (a restart, a second process) must open what the first one sealed.
 */
export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');

export interface TestDatabase {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** The PostgreSQL schema the test works in. */
  schema?: string;
  /** Drops what the test made (the PostgreSQL schema) and closes. */
  dispose(): Promise<void>;
}

/** The databases a storage test should run on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testDatabaseKinds(): ('pglite' | 'postgres')[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * A database for one test file. On PostgreSQL, `url` connects some other way than DATABASE_URL
 * (through a proxy, with an application_name) and `schema` shares another test database's schema
 * (which this one then leaves in place).
 */
export async function openTestDatabase(
  kind: 'pglite' | 'postgres' = process.env.DATABASE_URL ? 'postgres' : 'pglite',
  options: { url?: string; schema?: string } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openPglite(undefined);
    return { db, kind, dispose: () => db.close() };
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const schema = options.schema ?? `gatehouse_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const db = await openPostgres({ url: options.url ?? url, schema, maxConnections: 5 });
  return {
    db,
    kind,
    schema,
    async dispose() {
      await db.close();
      if (options.schema) return;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await admin.end();
    },
  };
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestServer {
  baseUrl: string;
  gatehouse: Gatehouse;
  config: ServerConfig;
  database: TestDatabase;
  /**
   * A new project with fresh credentials: each test's own world. Its redirect URLs are what a
   * development first start registers (http://localhost:3000/authenticate, the default of every
   * type) and TEST_REDIRECT_URLS; `gatehouse.projects.createProject` makes one with none.
   */
  createProject(): Promise<ProjectCredentials>;
  /** Calls the API with a project's secret (or none). */
  api(credentials: ProjectCredentials | null, method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Sends a raw request (for malformed bodies and odd headers). */
  raw(path: string, init: RequestInit): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** What a development first start registers: the default of every redirect URL type. */
export const DEVELOPMENT_REDIRECT_URL = 'http://localhost:3000/authenticate';

/** The redirect URLs the test files pass, registered for every type (not as defaults) in each test project. */
export const TEST_REDIRECT_URLS = [
  'https://app.example.com/authenticate',
  'https://app.example.com/login',
  'https://app.example.com/signup',
  'https://app.example.com/signup?from=mail',
  'https://app.test/authenticate',
  'https://app.test/login',
  'https://app.test/login?next=%2Fdocs',
  'https://app.test/signup',
  'https://app.test/invite',
  'https://app.test/reset',
  'https://app.test/choose-password',
  'https://app.test/choose-password?from=mail',
  'http://app.example/sso',
  'http://app.example/sso/callback',
];

/**
 * Test fixtures, written in two statements rather than through the API so that they add nothing to
 * the project's audit log (tests count its entries) and cost each test project next to nothing.
 */
async function registerTestRedirectUrls(db: Database, projectId: string): Promise<void> {
  const urls = [DEVELOPMENT_REDIRECT_URL, ...TEST_REDIRECT_URLS];
  const types = ['LOGIN', 'SIGNUP', 'INVITE', 'RESET_PASSWORD', 'DISCOVERY'];
  await db.query('INSERT INTO redirect_urls (project_id, url, created_at) SELECT $1, url, now() FROM unnest($2::text[]) AS url', [projectId, urls]);
  await db.query(
    `INSERT INTO redirect_url_types (project_id, url, type, is_default)
     SELECT $1, url, type, url = $2 FROM unnest($3::text[]) AS url CROSS JOIN unnest($4::text[]) AS type`,
    [projectId, DEVELOPMENT_REDIRECT_URL, urls, types],
  );
}

export function basicAuth(projectId: string, secret: string): string {
  return `Basic ${Buffer.from(`${projectId}:${secret}`).toString('base64')}`;
}

export async function startTestServer(
  options: {
    clock?: Clock;
    database?: TestDatabase;
    env?: Record<string, string>;
    /** Receives the server's log (JSON lines, level debug: the access lines included). */
    logStream?: { write(line: string): void };
    /** Listen on this port, which the public URL then names (as `gatehouse serve` does), instead of any free one. */
    port?: number;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await openTestDatabase());
  const { config } = loadConfig({
    GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-test-')),
    GATEHOUSE_LOG_LEVEL: 'silent',
    GATEHOUSE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ...(options.port ? { PORT: String(options.port) } : {}),
    ...options.env,
  });
  // GATEHOUSE_TEST_LOG=1 shows the server's error log (500s) while a test runs.
  const logger = options.logStream ? { level: 'debug', stream: options.logStream } : process.env.GATEHOUSE_TEST_LOG ? { level: 'error' } : false;
  const gatehouse = await createGatehouse({ config, db: database.db, clock: options.clock, logger });
  const address = await gatehouse.app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const baseUrl = address.replace('localhost', '127.0.0.1');

  const raw = async (path: string, init: RequestInit): Promise<ApiResponse> => {
    const response = await fetch(`${baseUrl}${path}`, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // leave as text; tests assert JSON where they expect it
    }
    return { status: response.status, body, headers: response.headers };
  };

  return {
    baseUrl,
    gatehouse,
    config,
    database,
    async createProject() {
      const project = await gatehouse.projects.createProject({ environment: 'test' });
      await registerTestRedirectUrls(gatehouse.db, project.project_id);
      return project;
    },
    api(credentials, method, path, body) {
      const headers: Record<string, string> = {};
      if (credentials) headers.authorization = basicAuth(credentials.project_id, credentials.secret);
      if (body !== undefined) headers['content-type'] = 'application/json';
      return raw(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    },
    raw,
    async close() {
      await gatehouse.close();
      if (!options.database) await database.dispose();
    },
  };
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = start;
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Asserts the Stytch error envelope and returns the body. */
export function expectError(response: ApiResponse, status: number, errorType: string): any {
  const { body } = response;
  if (response.status !== status || body?.error_type !== errorType) {
    throw new Error(`expected ${status} ${errorType}, got ${response.status} ${JSON.stringify(body)}`);
  }
  for (const key of ERROR_ENVELOPE_KEYS) {
    if (!(key in body)) throw new Error(`error body lacks ${key}: ${JSON.stringify(body)}`);
  }
  if (body.status_code !== status) throw new Error(`status_code ${body.status_code} differs from HTTP ${status}`);
  return body;
}
