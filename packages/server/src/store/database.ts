// The one storage interface: parameterized SQL over PGlite (embedded) or node-postgres. Both drivers
// already share the `query(text, params)` shape; this file only evens out results, transactions and
// LISTEN/NOTIFY.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { isConnectionFailure, isReadOnlyStatement } from './connection-failure.ts';
import { lockDataFolder } from './data-dir-lock.ts';

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
   * Subscribes to NOTIFY on `channel`. `onGap` is called when notifications may have been missed:
   * when the listening connection drops, and again once it listens anew (from then on every
   * notification arrives), so caches can drop everything. The subscription reconnects by itself
   * for as long as it takes.
   */
  listen(channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<Subscription>;
  close(): Promise<void>;
}

export interface Subscription {
  /** False from a drop of the listening connection until it listens again. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * Embedded PostgreSQL in `dataDir`, or in memory when `dataDir` is undefined (tests). PGlite runs in
 * a worker thread (pglite-worker.mjs): its queries, and the parsing of their results, would otherwise
 * take turns with every request on the server's event loop, so one slow search stalled all of them.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // One process at a time on a folder (store/data-dir-lock.ts): taken before PGlite touches it.
  const lock = dataDir ? lockDataFolder(dataDir) : undefined;
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
    lock?.release();
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
      // In the process: no connection to lose, so never a gap.
      let channelSubscribers = subscribers.get(channel);
      if (!channelSubscribers) {
        subscribers.set(channel, (channelSubscribers = new Set()));
        await call('listen', { channel });
      }
      channelSubscribers.add(onMessage);
      return {
        listening: true,
        async close() {
          channelSubscribers.delete(onMessage);
          if (channelSubscribers.size > 0 || subscribers.get(channel) !== channelSubscribers) return;
          subscribers.delete(channel);
          await call('unlisten', { channel }).catch(() => {});
        },
      };
    },
    async close() {
      await call('close').catch(() => {});
      await worker.terminate();
      lock?.release();
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

/** How long to wait for a connection (a new one, or a free one from a busy pool) before answering 503. */
const CONNECT_TIMEOUT_MS = 5000;
/** The listening connection's reconnect delays: doubling from the first up to the cap. */
export const LISTEN_RECONNECT = { firstDelayMs: 100, maxDelayMs: 2000 } as const;
/** The least time between two reconnect attempts of a listener woken early by a query that succeeded. */
const EARLY_ATTEMPT_GAP_MS = 100;
/** Settings of the connections that run prepared statements outside transactions (see QueryOptions.prepare). */
const PREPARED_SETTINGS = '-c plan_cache_mode=force_generic_plan';

/**
 * The wait before reconnect attempt `attempt` (from 0): exponential and capped, drawn from the upper
 * half of that bound so that processes which lost the database together do not return in step.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const bound = Math.min(LISTEN_RECONNECT.maxDelayMs, LISTEN_RECONNECT.firstDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(bound / 2 + (random() * bound) / 2);
}

const ignore = () => {};

/** A transaction whose BEGIN failed: nothing of it ran, so it may run again elsewhere. */
class NotBegun extends Error {
  constructor(readonly reason: unknown) {
    super('BEGIN failed', { cause: reason });
  }
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const searchPath = options.schema ? `-c search_path=${quoteIdentifier(options.schema)}` : '';
  const connection = { connectionString: options.url, types: pgTypes, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true };
  const withSettings = (settings: string) => ({ ...connection, options: `${searchPath} ${settings}`.trim() || undefined });
  if (options.schema) {
    const setup = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    setup.on('error', ignore);
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
    } finally {
      await setup.end();
    }
  }
  const newPool = (settings: string) => {
    const created = new pg.Pool({ ...withSettings(settings), max: options.maxConnections ?? 10 });
    // A connection can die idle in the pool or checked out between two statements of a
    // transaction; pg reports either as an 'error' event, which with no listener ends the process.
    // The pool discards dead idle connections itself, and a checked-out one when it is released.
    created.on('error', ignore);
    created.on('connect', (client) => client.on('error', ignore));
    return created;
  };
  const pool = newPool('');
  await pool.query('SELECT 1');
  // Opened at the first prepared statement; its idle connections close as the pool's do.
  let preparedPool: pg.Pool | undefined;
  const statementNames = new Map<string, string>();

  /** Runs `use` on a connection of its own, closed afterwards: a retry must not meet another dead connection from the pool. */
  const onFreshConnection = async <T>(settings: string, use: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client(withSettings(settings));
    client.on('error', ignore);
    try {
      await client.connect();
      return await use(client);
    } finally {
      client.end().catch(ignore);
    }
  };

  const run = (on: pg.Pool | pg.ClientBase, sql: string, values: unknown[] | undefined, prepare: boolean | undefined): Promise<pg.QueryResult> => {
    if (!prepare) return on.query(sql, values);
    let name = statementNames.get(sql);
    if (name === undefined) statementNames.set(sql, (name = `q_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`));
    return on.query({ name, text: sql, values });
  };

  const subscriptions = new Set<Subscription>();
  /**
   * Listeners waiting out a reconnect delay. A query that succeeds proves the database is back, so
   * they try at once instead of at the end of a delay of up to LISTEN_RECONNECT.maxDelayMs: the
   * process is ready again (the change feed listening) as soon as it can serve.
   */
  const waitingListeners = new Set<() => void>();
  const databaseAnswered = () => {
    if (waitingListeners.size === 0) return;
    const waiting = [...waitingListeners];
    waitingListeners.clear();
    for (const tryNow of waiting) tryNow();
  };
  const executor = (target: pg.Pool | pg.ClientBase): SqlExecutor => ({
    async query<Row>(sql: string, params?: readonly unknown[], options?: QueryOptions) {
      const values = params as unknown[] | undefined;
      const prepare = options?.prepare;
      let result: pg.QueryResult;
      try {
        result = await run(prepare && target === pool ? (preparedPool ??= newPool(PREPARED_SETTINGS)) : target, sql, values, prepare);
      } catch (error) {
        // A read outside a transaction whose connection failed runs once more, on a fresh
        // connection; a write never does (it may have committed before the answer was lost).
        if (target !== pool || !isConnectionFailure(error) || !isReadOnlyStatement(sql)) throw error;
        result = await onFreshConnection(prepare ? PREPARED_SETTINGS : '', (client) => run(client, sql, values, prepare));
      }
      databaseAnswered();
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql) {
      await target.query(sql);
    },
  });

  const runTransaction = async <T>(client: pg.ClientBase, work: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    try {
      await client.query('BEGIN');
    } catch (error) {
      throw new NotBegun(error);
    }
    try {
      const result = await work(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(ignore);
      throw error;
    }
  };

  return {
    kind: 'postgres',
    ...executor(pool),
    async transaction(work) {
      try {
        const client = await pool.connect();
        try {
          return await runTransaction(client, work);
        } finally {
          // A connection that failed is no longer queryable, and the pool then closes it.
          client.release();
        }
      } catch (error) {
        if (!(error instanceof NotBegun)) throw error;
        // Nothing ran: a connection that died idle in the pool gets one retry on a fresh one.
        if (!isConnectionFailure(error.reason)) throw error.reason;
        return onFreshConnection('', (client) => runTransaction(client, work)).catch((again: unknown) => {
          throw again instanceof NotBegun ? again.reason : again;
        });
      }
    },
    async listen(channel, onMessage, onGap) {
      let closed = false;
      let current: pg.Client | undefined;
      let retryTimer: NodeJS.Timeout | undefined;
      let attempt = 0;

      const subscribe = async (): Promise<pg.Client> => {
        const client = new pg.Client(withSettings(''));
        client.on('notification', (message) => {
          if (message.channel === channel) onMessage(message.payload ?? '');
        });
        // Whatever fails, the connection ends and 'end' below takes over.
        client.on('error', () => void client.end().catch(ignore));
        client.once('end', () => {
          if (current !== client) return;
          current = undefined;
          if (closed) return;
          // Notifications sent from now until we listen again are lost.
          onGap();
          resubscribeLater();
        });
        try {
          await client.connect();
          await client.query(`LISTEN ${quoteIdentifier(channel)}`);
        } catch (error) {
          client.end().catch(ignore);
          throw error;
        }
        current = client;
        return client;
      };
      let lastAttemptAt = 0;
      const attemptNow = () => {
        clearTimeout(retryTimer);
        retryTimer = undefined;
        waitingListeners.delete(tryEarly);
        if (closed) return;
        lastAttemptAt = performance.now();
        subscribe().then(
          (client) => {
            if (closed) return void client.end().catch(ignore);
            attempt = 0;
            // Listening again: caches start over, and every change from here on reaches them.
            onGap();
          },
          () => {
            attempt++;
            if (!closed) resubscribeLater();
          },
        );
      };
      /** Woken by a query that succeeded; at most one early attempt per EARLY_ATTEMPT_GAP_MS, should LISTEN itself keep failing. */
      const tryEarly = () => {
        if (performance.now() - lastAttemptAt >= EARLY_ATTEMPT_GAP_MS) attemptNow();
        else if (retryTimer !== undefined) waitingListeners.add(tryEarly);
      };
      const resubscribeLater = () => {
        retryTimer = setTimeout(attemptNow, reconnectDelayMs(attempt));
        retryTimer.unref();
        // The first reconnect is soon anyway; after a failed one, the next may wait up to the cap.
        if (attempt > 0) waitingListeners.add(tryEarly);
      };

      await subscribe();
      const subscription: Subscription = {
        get listening() {
          return current !== undefined;
        },
        async close() {
          closed = true;
          subscriptions.delete(subscription);
          waitingListeners.delete(tryEarly);
          clearTimeout(retryTimer);
          const client = current;
          current = undefined;
          await client?.end().catch(ignore);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },
    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
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
