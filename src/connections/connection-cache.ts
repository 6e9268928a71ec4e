// A short-lived, in-process copy of each owner's connection rows, so the hot path (`secrets`,
// pass-through) does not read the database on every request. Entries are per owner (the site, or
// one end user), in one LRU bounded by `maxOwners`, so a site with many end users neither loads all
// their rows to answer one of them nor grows the cache without bound. Every write through this
// process's connection store drops that owner's entry at once; writes by other instances are seen
// within `ttlMs`. Misses that arrive together (concurrent requests for different end users) are
// read in one query: a DataLoader gathers the owners asked for in one turn of the event loop.
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { ConnectionRow, ConnectionStore } from './connection-store.js';
import { ownerKey, type Owner } from './owners.js';
import { expiresWithinBuffer, isUsable } from './token-refresh.js';

const MAX_CACHED_OWNERS = 50_000;
const MAX_BATCH = 200;

interface Entry {
  rows: Promise<ConnectionRow[]>;
  expiresAt: number;
}

export interface ConnectionCacheOptions {
  ttlMs: number;
  /** How many owners' rows are kept at most (least recently used go first). */
  maxOwners?: number;
  /** Most owners read in one query (bounds the statement's IN list); 1 reads each miss on its own. */
  maxBatch?: number;
  now?: () => number;
}

export function createConnectionCache(store: Pick<ConnectionStore, 'listForOwner' | 'listForOwners' | 'onWrite'>, options: ConnectionCacheOptions) {
  const { ttlMs } = options;
  const now = options.now ?? Date.now;
  // lru-cache allocates its arrays for `max` entries up front (~1.4 MB each at 50,000), so both are
  // made on their first write: a gateway that serves no token reads (or has caching off) never
  // holds them, and its start does not pay for them.
  let owners: LRUCache<string, Entry> | undefined;
  const ownersForWrite = () => (owners ??= new LRUCache<string, Entry>({ max: options.maxOwners ?? MAX_CACHED_OWNERS }));
  // A site-wide write (a custom service removed) drops every entry written before it: entries
  // remember the site's generation they were read in.
  let siteGenerations: LRUCache<string, number> | undefined;
  const generationOf = (siteId: string) => siteGenerations?.get(siteId) ?? 0;
  const nextGeneration = (siteId: string) => {
    siteGenerations ??= new LRUCache<string, number>({ max: options.maxOwners ?? MAX_CACHED_OWNERS });
    siteGenerations.set(siteId, generationOf(siteId) + 1);
  };
  const generations = new WeakMap<Entry, number>();

  store.onWrite((change) => {
    if (change.ownerKey) owners?.delete(change.ownerKey);
    else nextGeneration(change.siteId);
  });

  // No memo of its own (the LRU above is the cache); setImmediate lets every request whose body
  // arrived in this turn of the event loop join the batch, not only those of the same tick.
  const misses = new DataLoader<Owner, ConnectionRow[], string>((batch) => store.listForOwners(batch), {
    cache: false,
    maxBatchSize: options.maxBatch ?? MAX_BATCH,
    batchScheduleFn: (callback) => setImmediate(callback),
  });

  const batching = (options.maxBatch ?? MAX_BATCH) > 1;

  // Expired entries are never served, only kept until the LRU evicts them: with many owners read
  // once each (random end users), that is up to maxOwners rows held for nothing. Drop them every
  // few TTLs (a scan of the LRU, at most once per interval, on the read path: no timer).
  let lastPurge = now();
  function purgeExpired(at: number): void {
    if (at - lastPurge < Math.max(ttlMs * 5, 1000) || !owners) return;
    lastPurge = at;
    const expired: string[] = [];
    for (const [key, entry] of owners.entries()) if (entry.expiresAt <= at) expired.push(key);
    for (const key of expired) owners.delete(key);
  }

  function load(owner: Owner): Promise<ConnectionRow[]> {
    const key = ownerKey(owner);
    purgeExpired(now());
    const rows = batching ? misses.load(owner) : store.listForOwner(owner);
    const entry: Entry = { rows, expiresAt: now() + ttlMs };
    generations.set(entry, generationOf(owner.siteId));
    const cache = ownersForWrite();
    cache.set(key, entry);
    // A failed read is not remembered.
    rows.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return rows;
  }

  /**
   * The owner's connections, from memory when read less than `ttlMs` ago. A cached token inside its
   * refresh buffer is never handed out: the rows are read again, since another instance may already
   * have refreshed it.
   */
  async function listForOwner(owner: Owner): Promise<ConnectionRow[]> {
    if (ttlMs <= 0) return store.listForOwner(owner);
    const entry = owners?.get(ownerKey(owner));
    if (entry && entry.expiresAt > now() && generations.get(entry) === generationOf(owner.siteId)) {
      const rows = await entry.rows;
      const at = now();
      if (!rows.some((row) => isUsable(row) && expiresWithinBuffer(row, at))) return rows;
    }
    return load(owner);
  }

  /** Drops one owner's entry, or (without `owner`) every entry of the site. */
  function invalidate(siteId: string, owner?: Owner): void {
    if (owner) owners?.delete(ownerKey(owner));
    else nextGeneration(siteId);
  }

  /** How many owners are cached (for tests and metrics). */
  const size = () => owners?.size ?? 0;

  return { listForOwner, invalidate, size };
}

export type ConnectionCache = ReturnType<typeof createConnectionCache>;
