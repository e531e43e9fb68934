// The one storage interface: parameterized SQL over PGlite (embedded) or node-postgres. Both drivers
// already share the `query(text, params)` shape; this file only evens out results, transactions and
// LISTEN/NOTIFY.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import pg from 'pg';

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Keep the statement prepared on each PostgreSQL connection, so later runs skip parsing and
   * planning. For hot queries of a few fixed shapes only: every distinct text stays prepared.
   * Outside a transaction such statements run on connections of their own that plan them once, for
   * any parameters (plan_cache_mode=force_generic_plan): by default PostgreSQL plans a statement
   * with array parameters anew on every run, since a plan for the values at hand always looks
   * cheaper, and that planning cost more than running the member search it planned.
   */
  prepare?: boolean;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction; rolls back if it throws. Never call the outer database inside. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Subscribes to NOTIFY on `channel`. `onReset` is called when notifications may have been missed
   * (the listening connection dropped and came back), so caches can drop everything.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReset?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Embedded PostgreSQL in `dataDir`, or in memory when `dataDir` is undefined (tests). PGlite runs in
 * a worker thread (pglite-worker.mjs): its queries, and the parsing of their results, would otherwise
 * take turns with every request on the server's event loop, so one slow search stalled all of them.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url));
  const pending = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();
  const subscribers = new Map<string, Set<(payload: string) => void>>();
  let nextId = 1;
  let stopped: Error | undefined;

  worker.on('message', (message: { id?: number; result?: unknown; error?: Record<string, unknown>; notify?: string; payload?: string }) => {
    if (message.notify !== undefined) {
      for (const onMessage of subscribers.get(message.notify) ?? []) onMessage(message.payload ?? '');
      return;
    }
    const waiter = pending.get(message.id!);
    pending.delete(message.id!);
    if (!waiter) return;
    if (message.error) waiter.reject(Object.assign(new Error(String(message.error.message)), message.error));
    else waiter.resolve(message.result);
  });
  const stop = (error: Error) => {
    stopped ??= error;
    for (const waiter of pending.values()) waiter.reject(stopped);
    pending.clear();
  };
  // SQLSTATE 08006 (connection failure): callers treat a stopped worker as a database gone away.
  worker.on('error', (error) => stop(Object.assign(new Error('The embedded database stopped.'), { code: '08006', cause: error })));
  worker.on('exit', () => stop(Object.assign(new Error('The embedded database is closed.'), { code: '08006' })));

  const call = <T>(op: string, fields: Record<string, unknown> = {}): Promise<T> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, ...fields });
    });
  };
  const executor = (tx?: number): SqlExecutor => ({
    query: <Row>(sql: string, params?: readonly unknown[]) => call<QueryResult<Row>>('query', { sql, params, tx }),
    exec: (sql) => call<void>('exec', { sql, tx }),
  });

  try {
    await call('open', { dataDir });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    kind: 'pglite',
    ...executor(),
    async transaction(work) {
      const tx = await call<number>('begin');
      let result;
      try {
        result = await work(executor(tx));
      } catch (error) {
        await call('end', { tx, commit: false }).catch(() => {});
        throw error;
      }
      await call('end', { tx, commit: true });
      return result;
    },
    async listen(channel, onMessage) {
      let channelSubscribers = subscribers.get(channel);
      if (!channelSubscribers) {
        subscribers.set(channel, (channelSubscribers = new Set()));
        await call('listen', { channel });
      }
      channelSubscribers.add(onMessage);
      return async () => {
        channelSubscribers.delete(onMessage);
        if (channelSubscribers.size > 0 || subscribers.get(channel) !== channelSubscribers) return;
        subscribers.delete(channel);
        await call('unlisten', { channel }).catch(() => {});
      };
    },
    async close() {
      await call('close').catch(() => {});
      await worker.terminate();
    },
  };
}

export interface PostgresOptions {
  url: string;
  /** Schema to work in (created if missing); tests use one schema per run. */
  schema?: string;
  maxConnections?: number;
}

const TIMESTAMPTZ = 1184;

/**
 * PostgreSQL's ISO text of a timestamptz ("2021-01-01 09:49:10.123456+00", any offset ±HH or
 * ±HH:MM) as a Date, read by character codes; null for anything else (BC, infinity, years before
 * 1000, offsets with seconds), which pg's own parser then reads. That parser runs several regular
 * expressions per value, and a member search page reads two timestamps per member.
 */
export function readTimestamptz(text: string): Date | null {
  const n = text.length;
  if (n < 22 || text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') return null;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  let i = 19;
  let ms = 0;
  if (text[i] === '.') {
    // Microseconds at most; the Date keeps whole milliseconds, truncated as pg's parser does.
    for (let scale = 100, d = 0; ++i < n && (d = text.charCodeAt(i) - 48) >= 0 && d <= 9; scale /= 10) ms += d * scale;
    ms = Math.floor(ms);
  }
  const sign = text[i] === '+' ? 1 : text[i] === '-' ? -1 : 0;
  const offsetHours = twoDigits(text, i + 1);
  const offsetMinutes = n === i + 3 ? 0 : n === i + 6 && text[i + 3] === ':' ? twoDigits(text, i + 4) : -1;
  if (sign === 0 || offsetHours < 0 || offsetMinutes < 0) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

/** The number written by the two characters at `at`, or -1 if they are not both digits. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

const pgTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text');
const parseTimestamptz = (text: string) => readTimestamptz(text) ?? pgTimestamptz(text);
/** pg's type parsers, but timestamptz read by readTimestamptz first. */
const pgTypes = {
  getTypeParser: (oid: number, format?: string) =>
    oid === TIMESTAMPTZ && format !== 'binary' ? parseTimestamptz : pg.types.getTypeParser(oid, format as 'text'),
};

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const searchPath = options.schema ? `-c search_path=${quoteIdentifier(options.schema)}` : '';
  const connection = { connectionString: options.url, types: pgTypes, ...(searchPath ? { options: searchPath } : {}) };
  if (options.schema) {
    const setup = new pg.Client({ connectionString: options.url });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
    } finally {
      await setup.end();
    }
  }
  const newPool = (settings: string) => {
    const created = new pg.Pool({ ...connection, options: `${searchPath} ${settings}`.trim(), max: options.maxConnections ?? 10 });
    // An idle client that loses its connection emits 'error' on the pool; without a handler it would
    // crash the process. The pool replaces the client on next use.
    created.on('error', () => {});
    return created;
  };
  const pool = newPool('');
  await pool.query('SELECT 1');
  // Opened at the first prepared statement; its idle connections close as the pool's do.
  let preparedPool: pg.Pool | undefined;
  const statementNames = new Map<string, string>();

  const listeners = new Set<pg.Client>();
  const executor = (target: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<Row>(sql: string, params?: readonly unknown[], options?: QueryOptions) {
      const values = params as unknown[] | undefined;
      let result: pg.QueryResult;
      if (options?.prepare) {
        let name = statementNames.get(sql);
        if (name === undefined) statementNames.set(sql, (name = `q_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`));
        const on = target === pool ? (preparedPool ??= newPool('-c plan_cache_mode=force_generic_plan')) : target;
        result = await on.query({ name, text: sql, values });
      } else {
        result = await target.query(sql, values);
      }
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql) {
      await target.query(sql);
    },
  });

  return {
    kind: 'postgres',
    ...executor(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onMessage, onReset) {
      let closed = false;
      let client: pg.Client | undefined;
      const connect = async (): Promise<void> => {
        const next = new pg.Client(connection);
        next.on('notification', (message) => {
          if (message.channel === channel) onMessage(message.payload ?? '');
        });
        next.on('error', () => {
          listeners.delete(next);
          next.end().catch(() => {});
          if (closed) return;
          // Notifications sent while we were away are lost: let the caches start over.
          onReset?.();
          setTimeout(() => void connect().catch(() => setTimeout(() => void connect(), 1000)), 100);
        });
        await next.connect();
        await next.query(`LISTEN ${quoteIdentifier(channel)}`);
        client = next;
        listeners.add(next);
      };
      await connect();
      return async () => {
        closed = true;
        if (client) {
          listeners.delete(client);
          await client.end().catch(() => {});
        }
      };
    },
    async close() {
      await Promise.all([...listeners].map((client) => client.end().catch(() => {})));
      await Promise.all([pool.end(), preparedPool?.end()]);
    },
  };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function openDatabase(options: { databaseUrl?: string; dataDir?: string; schema?: string }): Promise<Database> {
  return options.databaseUrl
    ? openPostgres({ url: options.databaseUrl, schema: options.schema })
    : openPglite(options.dataDir);
}
