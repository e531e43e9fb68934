// The one cache of database state: at most `max` entries, concurrent loads of a key shared, a
// rejected load never kept, and entries dropped by the change feed (see followFeed). Eviction is
// "second chance" (CLOCK): a hit only sets a flag, so the hot read path never reorders the map; the
// oldest entry not used since it was last passed over goes when room is needed.
import type { ChangeEvent, ChangeFeed } from '../store/change-feed.ts';

interface Entry<V> {
  /** Set once the load finished (or at `set`); `settled` tells a loaded `undefined` from none yet. */
  value: V | undefined;
  settled: boolean;
  loading: Promise<V> | undefined;
  used: boolean;
}

export interface BoundedCacheOptions<K, V> {
  max: number;
  /** Whether a loaded value is kept; `false` for a miss (null) keeps a caller from filling memory with ids that name nothing. */
  keep?: (value: V) => boolean;
  /** Told of every entry that leaves by eviction (not by delete/clear), so an index beside the cache can follow. */
  onEvict?: (key: K, value: V | undefined) => void;
}

/** What a change event means for a cache: the key to drop, ALL of it, or nothing. */
export const ALL = Symbol('all');

export class BoundedCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #max: number;
  readonly #keep: ((value: V) => boolean) | undefined;
  readonly #onEvict: ((key: K, value: V | undefined) => void) | undefined;

  constructor(options: BoundedCacheOptions<K, V>) {
    if (!(options.max >= 1)) throw new RangeError('max must be at least 1');
    this.#max = options.max;
    this.#keep = options.keep;
    this.#onEvict = options.onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value when it is in memory, else undefined (a load under way counts as not in memory). */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || !entry.settled) return undefined;
    entry.used = true;
    return entry.value;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /**
   * The value, synchronously when in memory; otherwise a promise of `load()`, shared by every caller
   * asking for the key until it settles. A rejected load is not kept; a load whose key was deleted
   * or cleared while it ran answers its callers but is not kept (it may have read the old state).
   */
  load(key: K, load: () => Promise<V>): V | Promise<V> {
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      existing.used = true;
      return existing.settled ? existing.value! : existing.loading!;
    }
    const entry: Entry<V> = { value: undefined, settled: false, loading: undefined, used: false };
    const loading = load().then(
      (value) => {
        if (this.#entries.get(key) === entry) {
          if (this.#keep === undefined || this.#keep(value)) {
            entry.value = value;
            entry.settled = true;
            entry.loading = undefined;
          } else {
            this.#entries.delete(key);
          }
        }
        return value;
      },
      (error: unknown) => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    entry.loading = loading;
    this.#insert(key, entry);
    return loading;
  }

  /** Keeps `value` for `key` (replacing what was there, a load under way included). */
  set(key: K, value: V): void {
    const existing = this.#entries.get(key);
    if (existing !== undefined) this.#entries.delete(key);
    this.#insert(key, { value, settled: true, loading: undefined, used: false });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * Keeps the cache current with the change feed: `keyOf` names what an event changed (a key, ALL,
   * or undefined for nothing here); a gap (changes from other processes lost) clears everything.
   */
  followFeed(feed: ChangeFeed, keyOf: (event: ChangeEvent) => K | typeof ALL | undefined): void {
    feed.on(
      (event) => {
        const key = keyOf(event);
        if (key === ALL) this.clear();
        else if (key !== undefined) this.delete(key);
      },
      () => this.clear(),
    );
  }

  #insert(key: K, entry: Entry<V>): void {
    if (this.#entries.size >= this.#max) this.#evictOne();
    this.#entries.set(key, entry);
  }

  /** Drops the oldest entry not used since it was last passed over; a used one gets a second chance at the back. */
  #evictOne(): void {
    for (;;) {
      const oldest = this.#entries.entries().next();
      if (oldest.done) return;
      const [key, entry] = oldest.value;
      this.#entries.delete(key);
      if (entry.used && entry.settled) {
        entry.used = false;
        this.#entries.set(key, entry);
        continue;
      }
      this.#onEvict?.(key, entry.value);
      return;
    }
  }
}
