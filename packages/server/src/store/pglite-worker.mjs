// PGlite off the request loop: the embedded database runs in this worker thread, so a slow query
// (a search over many rows) takes this thread's time, not the time of the thread that answers
// session checks. Plain JavaScript so that it loads in a worker without the TypeScript loader.
//
// Messages in: {id, op, ...}; every one is answered {id, result} or {id, error}.
//   open {dataDir}            create the database (dataDir undefined: in memory)
//   query {sql, params, tx?}  one statement, on transaction `tx` when given
//   exec {sql, tx?}           a script without parameters
//   begin                     opens a transaction; answers its id
//   end {tx, commit}          commits (or rolls back) it
//   listen {channel}          notifications then arrive as {notify: channel, payload}
//   unlisten {channel}
//   close
import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @type {PGlite} */
let db;
/** Open transactions: id → {tx, commit, rollback, completion}. */
const transactions = new Map();
const unlisteners = new Map();
let nextTransaction = 1;

/** The error as plain data, keeping PostgreSQL's fields (code, constraint, detail…) callers read. */
function serializeError(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === undefined || typeof value === 'function' || key === 'query' || key === 'params') continue;
    fields[key] = value;
  }
  return { ...fields, name: error.name, message: error.message };
}

const ROLLBACK = Symbol('rollback');

/** Opens a transaction that stays open until `end`; answers its id. */
function begin() {
  const id = nextTransaction++;
  return new Promise((opened, failed) => {
    let started = false;
    let completion;
    completion = db.transaction(
      (tx) =>
        new Promise((commit, rollback) => {
          started = true;
          transactions.set(id, { tx, commit, rollback, completion: () => completion });
          opened(id);
        }),
    );
    // BEGIN itself failed: the callback never ran.
    completion.catch((error) => {
      if (!started) failed(error);
    });
  });
}

async function end(id, commit) {
  const open = transactions.get(id);
  if (!open) throw new Error('The transaction is no longer open.');
  transactions.delete(id);
  if (commit) open.commit();
  else open.rollback(ROLLBACK);
  try {
    await open.completion();
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
}

function target(tx) {
  if (tx === undefined) return db;
  const open = transactions.get(tx);
  if (!open) throw new Error('The transaction is no longer open.');
  return open.tx;
}

const operations = {
  async open({ dataDir }) {
    db = await PGlite.create(dataDir);
  },
  async query({ sql, params, tx }) {
    const result = await target(tx).query(sql, params);
    // PGlite counts only written rows in affectedRows (0 for a SELECT); node-postgres counts both.
    return { rows: result.rows, rowCount: Math.max(result.rows.length, result.affectedRows ?? 0) };
  },
  async exec({ sql, tx }) {
    await target(tx).exec(sql);
  },
  begin,
  end: ({ tx, commit }) => end(tx, commit),
  async listen({ channel }) {
    if (unlisteners.has(channel)) return;
    unlisteners.set(channel, await db.listen(channel, (payload) => parentPort.postMessage({ notify: channel, payload })));
  },
  async unlisten({ channel }) {
    const unlisten = unlisteners.get(channel);
    unlisteners.delete(channel);
    await unlisten?.();
  },
  async close() {
    await db?.close();
  },
};

parentPort.on('message', (message) => {
  const operation = operations[message.op];
  Promise.resolve()
    .then(() => (operation ? operation(message) : Promise.reject(new Error(`unknown operation ${message.op}`))))
    .then(
      (result) => parentPort.postMessage({ id: message.id, result }),
      (error) => parentPort.postMessage({ id: message.id, error: serializeError(error) }),
    );
});

