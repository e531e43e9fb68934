// The one cache helper: its bound and eviction order, loads shared while they run, a rejected or
// unkept load not remembered, and invalidation by change-feed events and gaps (with a real feed on PGlite).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChangeFeed } from '../store/change-feed.ts';
import { openDatabase } from '../store/database.ts';
import { SERVER_SRC, serverSourceFiles } from '../testing/source-files.ts';
import { ALL, BoundedCache } from './bounded-cache.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('never holds more than max entries; the oldest unused entry goes first, a used one gets a second chance', () => {
  const evicted: string[] = [];
  const cache = new BoundedCache<string, number>({ max: 3, onEvict: (key) => evicted.push(key) });
  cache.set('a', 1);
  cache.set('b', 2);
  cache.set('c', 3);
  assert.equal(cache.get('a'), 1); // a used: survives the next eviction
  cache.set('d', 4);
  assert.equal(cache.size, 3);
  assert.deepEqual(evicted, ['b']);
  assert.equal(cache.get('b'), undefined);
  cache.set('e', 5); // a's second chance was spent moving it back; c is now the oldest unused
  assert.deepEqual(evicted, ['b', 'c']);
  assert.deepEqual(['a', 'd', 'e'].map((key) => cache.get(key)), [1, 4, 5]);
  for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i);
  assert.equal(cache.size, 3);
});

test('concurrent loads of a key share one load; once settled the value is answered synchronously', async () => {
  const cache = new BoundedCache<string, string>({ max: 10 });
  let loads = 0;
  const pending = deferred<string>();
  const first = cache.load('k', () => (loads++, pending.promise));
  const second = cache.load('k', () => (loads++, Promise.resolve('other')));
  assert.ok(first instanceof Promise);
  assert.equal(second, first);
  assert.equal(cache.get('k'), undefined, 'a load under way is not in memory');
  pending.resolve('value');
  assert.equal(await first, 'value');
  assert.equal(cache.load('k', () => (loads++, Promise.resolve('other'))), 'value');
  assert.equal(cache.get('k'), 'value');
  assert.equal(loads, 1);
});

test('a rejected load is not cached: the next caller loads again', async () => {
  const cache = new BoundedCache<string, string>({ max: 10 });
  await assert.rejects(Promise.resolve(cache.load('k', () => Promise.reject(new Error('down')))), /down/);
  assert.equal(cache.has('k'), false);
  assert.equal(await cache.load('k', () => Promise.resolve('up')), 'up');
  assert.equal(cache.get('k'), 'up');
});

test('a value `keep` refuses (a miss) is answered but not cached', async () => {
  const cache = new BoundedCache<string, string | null>({ max: 10, keep: (value) => value !== null });
  assert.equal(await cache.load('missing', () => Promise.resolve(null)), null);
  assert.equal(cache.has('missing'), false);
  assert.equal(cache.size, 0);
});

test('a load whose key is dropped while it runs answers its callers but is not cached', async () => {
  const cache = new BoundedCache<string, string>({ max: 10 });
  const pending = deferred<string>();
  const loading = cache.load('k', () => pending.promise);
  cache.delete('k');
  pending.resolve('stale');
  assert.equal(await loading, 'stale');
  assert.equal(cache.has('k'), false);
});

test('change-feed events drop the key they name or everything; a gap drops everything', async () => {
  const db = await openDatabase({});
  try {
    const feed = new ChangeFeed(db);
    await feed.start();
    const cache = new BoundedCache<string, string>({ max: 10 });
    cache.followFeed(feed, (event) => (event.type === 'user' ? event.user_id : event.type === 'policy' ? ALL : undefined));
    cache.set('user-1', 'a');
    cache.set('user-2', 'b');
    await feed.write(async (_tx, emit) => emit({ type: 'user', project_id: 'p', user_id: 'user-1' }));
    assert.equal(cache.get('user-1'), undefined);
    assert.equal(cache.get('user-2'), 'b');
    await feed.write(async (_tx, emit) => emit({ type: 'session', project_id: 'p', session_id: 'user-2' }));
    assert.equal(cache.get('user-2'), 'b', 'an event of another kind changes nothing here');
    await feed.write(async (_tx, emit) => emit({ type: 'policy', project_id: 'p', kind: 'consumer', version: 2 }));
    assert.equal(cache.size, 0);
    cache.set('user-3', 'c');
    feed.forgetAll();
    assert.equal(cache.size, 0);
    await feed.stop();
  } finally {
    await db.close();
  }
});

// The rule this helper exists for: a service keeps database state in a BoundedCache, not in a Map of
// its own that nothing bounds. A Map held by a class or a module is allowed only below, each with
// why it cannot grow with what callers send.
const MAPS_THAT_ARE_NOT_CACHES: Record<string, string> = {
  'shared/bounded-cache.ts': 'the helper itself',
  'http/json.ts': 'JSON member-name texts of the server’s own responses, capped at 1,000',
  'sessions/store.ts': 'session id → token hash, an index that follows the BoundedCache’s evictions; and the last-access times of the next batch',
  'passwords/strength.ts': 'requests in flight to the strength worker',
  'rbac/changes-routes.ts': 'open policy-change streams',
  'claims/service.ts': 'the whole custom_claim_templates table (a row per project that has a template), loaded at start and again after a gap: minting reads it synchronously and a missing entry means "no template", so it cannot evict',
};

test('no service keeps a Map of its own as a cache: every cache of database state is a BoundedCache', () => {
  const fieldOrModuleMap = /^\s+(?:readonly\s+)?#\w+(?:\s*:[^=\n]+)?\s*=\s*new Map\b|^(?:export\s+)?(?:const|let)\s+\w+(?:\s*:[^=\n]+)?\s*=\s*new Map\b/m;
  const offenders = serverSourceFiles().filter((file) => fieldOrModuleMap.test(readFileSync(join(SERVER_SRC, file), 'utf8')) && !(file in MAPS_THAT_ARE_NOT_CACHES));
  assert.deepEqual(offenders, []);
  // The allowed list names only files that still hold such a Map.
  for (const file of Object.keys(MAPS_THAT_ARE_NOT_CACHES)) assert.match(readFileSync(join(SERVER_SRC, file), 'utf8'), /new Map\b/, file);
});
