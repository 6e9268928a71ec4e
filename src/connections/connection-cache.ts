// A short-lived, in-process copy of each owner's connection rows, so the hot path (`secrets`,
// pass-through) does not read the database on every request. Every write through this process's
// connection store drops the site's entry at once; writes by other instances are seen within
// `ttlMs`. Entries are keyed by site and owner and never shared across sites.
import { LRUCache } from 'lru-cache';
import type { ConnectionOwner, ConnectionRow, ConnectionStore } from './connection-store.js';
import { expiresWithinBuffer, isUsable } from './token-refresh.js';

const MAX_CACHED_SITES = 10_000;

type Owner = Omit<ConnectionOwner, 'accountKey'>;

interface Entry {
  rows: Promise<ConnectionRow[]>;
  expiresAt: number;
}

export interface ConnectionCacheOptions {
  ttlMs: number;
  maxSites?: number;
  now?: () => number;
}

export function createConnectionCache(store: Pick<ConnectionStore, 'listForOwner' | 'onWrite'>, options: ConnectionCacheOptions) {
  const { ttlMs } = options;
  const now = options.now ?? Date.now;
  // One map of owners per site, so a write drops every owner of the site in one step.
  const sites = new LRUCache<string, Map<string, Entry>>({ max: options.maxSites ?? MAX_CACHED_SITES });

  store.onWrite((siteId) => {
    sites.delete(siteId);
  });

  const ownerKey = (owner: Owner) => `${owner.ownerType}\u0000${owner.ownerId}`;

  function load(owner: Owner): Promise<ConnectionRow[]> {
    const rows = store.listForOwner(owner);
    let owners = sites.get(owner.siteId);
    if (!owners) {
      owners = new Map();
      sites.set(owner.siteId, owners);
    }
    const entry: Entry = { rows, expiresAt: now() + ttlMs };
    owners.set(ownerKey(owner), entry);
    // A failed read is not remembered.
    rows.catch(() => {
      if (sites.get(owner.siteId)?.get(ownerKey(owner)) === entry) sites.get(owner.siteId)!.delete(ownerKey(owner));
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
    const entry = sites.get(owner.siteId)?.get(ownerKey(owner));
    if (entry && entry.expiresAt > now()) {
      const rows = await entry.rows;
      const at = now();
      if (!rows.some((row) => isUsable(row) && expiresWithinBuffer(row, at))) return rows;
    }
    return load(owner);
  }

  function invalidate(siteId: string): void {
    sites.delete(siteId);
  }

  return { listForOwner, invalidate };
}

export type ConnectionCache = ReturnType<typeof createConnectionCache>;
