// The in-process cache of a site's connection rows, with the real connection store on a real
// database and a clock the test moves: reads are reused within the TTL, every write through the
// store drops them at once, a token inside its refresh buffer is never handed out from memory, and
// sites never share entries.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectionCache } from '../src/connections/connection-cache.js';
import { createConnectionStore, siteOwner, type ConnectionStore } from '../src/connections/connection-store.js';
import { endUserOwner } from '../src/connections/owners.js';
import { createKeyring } from '../src/crypto/token-cipher.js';
import type { TokenSet } from '../src/oauth/token-set.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const HOUR = 3600_000;
const TTL = 10 * 60_000;

let database: TestDatabase;
let store: ConnectionStore;
let siteCounter = 0;

function tokens(accessToken: string, expiresAt: Date): TokenSet {
  return { accessToken, refreshToken: `r-${accessToken}`, tokenType: 'bearer', expiresAt, grantedScopes: ['read:user'], providerData: {}, response: {} };
}

async function newSite(): Promise<string> {
  siteCounter += 1;
  const id = `site_cache_${siteCounter}_${randomBytes(4).toString('hex')}`;
  await database.db.site.create({ data: { id, name: id, allowedOrigins: [] } });
  return id;
}

function clock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

beforeAll(async () => {
  database = await createTestDatabase();
  store = createConnectionStore(database.db, createKeyring(randomBytes(32)));
});

afterAll(async () => {
  await database?.cleanup();
});

describe('the connection cache', () => {
  it('reuses a read within its TTL and reads again after it', async () => {
    const siteId = await newSite();
    const time = clock();
    const cache = createConnectionCache(store, { ttlMs: TTL, now: time.now });
    await store.saveAuthorized(siteOwner(siteId), 'GITHUB', tokens('first', new Date(Date.now() + 8 * HOUR)), null);
    const [cached] = await cache.listForOwner(siteOwner(siteId));
    // Another instance changes the row: this process does not see it until the TTL passes.
    await database.db.connection.updateMany({ where: { siteId }, data: { foreignUserName: 'changed elsewhere' } });
    expect((await cache.listForOwner(siteOwner(siteId)))[0]).toBe(cached);
    time.advance(TTL + 1);
    expect((await cache.listForOwner(siteOwner(siteId)))[0]!.foreignUserName).toBe('changed elsewhere');
  });

  it('drops a site at once on every write through the store', async () => {
    const siteId = await newSite();
    const time = clock();
    const cache = createConnectionCache(store, { ttlMs: TTL, now: time.now });
    const saved = await store.saveAuthorized(siteOwner(siteId), 'GITHUB', tokens('first', new Date(Date.now() + 8 * HOUR)), null);
    await cache.listForOwner(siteOwner(siteId));

    const refreshed = await store.saveRefreshed(saved, tokens('second', new Date(Date.now() + 8 * HOUR)));
    let [row] = await cache.listForOwner(siteOwner(siteId));
    expect(store.accessTokenOf(row!)).toBe('second');

    await store.markRefreshFailed(refreshed!, 'NEEDS_REAUTH', 'refused');
    [row] = await cache.listForOwner(siteOwner(siteId));
    expect(row!.status).toBe('NEEDS_REAUTH');

    await store.saveAuthorized(siteOwner(siteId), 'GITHUB', tokens('third', new Date(Date.now() + 8 * HOUR)), null);
    [row] = await cache.listForOwner(siteOwner(siteId));
    expect(store.accessTokenOf(row!)).toBe('third');

    await store.forget(row!);
    [row] = await cache.listForOwner(siteOwner(siteId));
    expect(row!.status).toBe('REVOKED');
    expect(row!.accessToken).toBeNull();
  });

  it('never hands out a cached token that has entered its refresh buffer', async () => {
    const siteId = await newSite();
    const time = clock();
    const cache = createConnectionCache(store, { ttlMs: 2 * HOUR, now: time.now });
    const expiresAt = new Date(time.now() + HOUR);
    await store.saveAuthorized(siteOwner(siteId), 'GITHUB', tokens('soon-stale', expiresAt), null);
    await cache.listForOwner(siteOwner(siteId));
    // Another instance refreshed it; this process only learns by reading again.
    const refreshedExpiry = new Date(time.now() + 9 * HOUR);
    await database.db.connection.updateMany({ where: { siteId }, data: { expiresAt: refreshedExpiry } });
    time.advance(30 * 60_000);
    expect((await cache.listForOwner(siteOwner(siteId)))[0]!.expiresAt!.getTime()).toBe(expiresAt.getTime());
    // A minute before expiry, well within the TTL but inside GitHub's 5-minute refresh buffer.
    time.advance(29 * 60_000);
    const [row] = await cache.listForOwner(siteOwner(siteId));
    expect(row!.expiresAt!.getTime()).toBe(refreshedExpiry.getTime());
  });

  it('keeps sites apart', async () => {
    const [one, two] = [await newSite(), await newSite()];
    const cache = createConnectionCache(store, { ttlMs: TTL });
    await store.saveAuthorized(siteOwner(one), 'GITHUB', tokens('one', new Date(Date.now() + HOUR)), null);
    await store.saveAuthorized(siteOwner(two), 'SPOTIFY', tokens('two', new Date(Date.now() + HOUR)), null);
    const first = await cache.listForOwner(siteOwner(one));
    const second = await cache.listForOwner(siteOwner(two));
    expect(first.map((row) => row.service)).toEqual(['GITHUB']);
    expect(second.map((row) => row.service)).toEqual(['SPOTIFY']);
    // A write to one site leaves the other's entry alone.
    await store.forget(first[0]!);
    expect(await cache.listForOwner(siteOwner(two))).toBe(second);
    expect((await cache.listForOwner(siteOwner(one)))[0]!.status).toBe('REVOKED');
  });

  it('reads through when disabled', async () => {
    const siteId = await newSite();
    const cache = createConnectionCache(store, { ttlMs: 0 });
    await store.saveAuthorized(siteOwner(siteId), 'GITHUB', tokens('x', new Date(Date.now() + HOUR)), null);
    const first = await cache.listForOwner(siteOwner(siteId));
    await database.db.connection.updateMany({ where: { siteId }, data: { foreignUserName: 'direct' } });
    expect((await cache.listForOwner(siteOwner(siteId)))[0]!.foreignUserName).toBe('direct');
    expect(first[0]!.foreignUserName).toBeNull();
  });
});

describe('the connection cache per owner', () => {
  it("keeps each end user's entry apart: a write for one leaves the others cached", async () => {
    const siteId = await newSite();
    const cache = createConnectionCache(store, { ttlMs: TTL });
    const alice = endUserOwner(siteId, 'alice');
    const bob = endUserOwner(siteId, 'bob');
    await store.saveAuthorized(alice, 'GITHUB', tokens('alice', new Date(Date.now() + 8 * HOUR)), { id: '1', name: null });
    await store.saveAuthorized(bob, 'GITHUB', tokens('bob', new Date(Date.now() + 8 * HOUR)), { id: '2', name: null });
    const bobs = await cache.listForOwner(bob);
    const alices = await cache.listForOwner(alice);
    expect(alices.map((row) => store.accessTokenOf(row))).toEqual(['alice']);
    expect(bobs.map((row) => store.accessTokenOf(row))).toEqual(['bob']);
    expect(await cache.listForOwner(siteOwner(siteId))).toEqual([]);

    await store.saveAuthorized(alice, 'GITHUB', tokens('alice-2', new Date(Date.now() + 8 * HOUR)), { id: '3', name: null });
    expect(await cache.listForOwner(bob)).toBe(bobs);
    expect((await cache.listForOwner(alice)).map((row) => store.accessTokenOf(row)).sort()).toEqual(['alice', 'alice-2']);
  });

  it('holds at most maxOwners entries, least recently used going first', async () => {
    const siteId = await newSite();
    const cache = createConnectionCache(store, { ttlMs: TTL, maxOwners: 3 });
    for (const name of ['u1', 'u2', 'u3', 'u4', 'u5']) await cache.listForOwner(endUserOwner(siteId, name));
    expect(cache.size()).toBe(3);
  });

  it('drops every owner of a site when a custom service of it is removed', async () => {
    const siteId = await newSite();
    const cache = createConnectionCache(store, { ttlMs: TTL });
    const carol = endUserOwner(siteId, 'carol');
    await store.saveAuthorized(carol, 'custom:acme', tokens('carol', new Date(Date.now() + 8 * HOUR)), null);
    expect(await cache.listForOwner(carol)).toHaveLength(1);
    await store.removeAll(siteId, 'custom:acme');
    expect(await cache.listForOwner(carol)).toEqual([]);
  });
});

describe('the connection cache under concurrent misses', () => {
  /** The real store, counting the queries the cache makes. */
  function countingStore() {
    const batches: number[] = [];
    let single = 0;
    const counted: ConnectionStore = {
      ...store,
      listForOwners: (owners) => {
        batches.push(owners.length);
        return store.listForOwners(owners);
      },
      listForOwner: (owner) => {
        single += 1;
        return store.listForOwner(owner);
      },
    };
    return { counted, batches, single: () => single };
  }

  it("reads many owners' misses in one query, each owner getting only its own rows, newest first", async () => {
    const [siteId, otherSiteId] = [await newSite(), await newSite()];
    const names = Array.from({ length: 30 }, (_, index) => `batch-${index}`);
    for (const [index, name] of names.entries()) {
      await store.saveAuthorized(endUserOwner(siteId, name), 'GITHUB', tokens(`gh-${name}`, new Date(Date.now() + 8 * HOUR)), { id: String(index), name: null });
    }
    // One owner with two accounts of one service and one of another: all three, newest first.
    await store.saveAuthorized(endUserOwner(siteId, 'batch-0'), 'GITHUB', tokens('gh-batch-0-second', new Date(Date.now() + 8 * HOUR)), { id: 'second', name: null });
    await store.saveAuthorized(endUserOwner(siteId, 'batch-0'), 'SPOTIFY', tokens('sp-batch-0', new Date(Date.now() + 8 * HOUR)), null);
    await store.saveAuthorized(siteOwner(siteId), 'GITHUB', tokens('site-own', new Date(Date.now() + 8 * HOUR)), null);
    // The same end-user name on another site is another owner.
    await store.saveAuthorized(endUserOwner(otherSiteId, 'batch-1'), 'GITHUB', tokens('other-site', new Date(Date.now() + 8 * HOUR)), null);

    const { counted, batches, single } = countingStore();
    const cache = createConnectionCache(counted, { ttlMs: TTL });
    const owners = [...names.map((name) => endUserOwner(siteId, name)), siteOwner(siteId), endUserOwner(otherSiteId, 'batch-1'), endUserOwner(siteId, 'nobody')];
    const results = await Promise.all(owners.map((owner) => cache.listForOwner(owner)));

    expect(batches).toEqual([owners.length]);
    expect(single()).toBe(0);
    const tokensOf = (rows: readonly Parameters<typeof store.accessTokenOf>[0][]) => rows.map((row) => store.accessTokenOf(row));
    expect(tokensOf(results[0]!).sort()).toEqual(['gh-batch-0', 'gh-batch-0-second', 'sp-batch-0']);
    // The same order as one owner's own query (createdAt, then id, descending).
    expect(results[0]!.map((row) => row.id)).toEqual((await store.listForOwner(owners[0]!)).map((row) => row.id));
    for (const [index, name] of names.entries()) if (index > 0) expect(tokensOf(results[index]!)).toEqual([`gh-${name}`]);
    expect(tokensOf(results[names.length]!)).toEqual(['site-own']);
    expect(tokensOf(results[names.length + 1]!)).toEqual(['other-site']);
    expect(results[names.length + 2]).toEqual([]);

    // All of them are cached now: no query at all.
    await Promise.all(owners.map((owner) => cache.listForOwner(owner)));
    expect(batches).toHaveLength(1);
  });

  it('splits a batch at maxBatch, and with maxBatch 1 reads each owner on its own', async () => {
    const siteId = await newSite();
    const owners = Array.from({ length: 7 }, (_, index) => endUserOwner(siteId, `split-${index}`));
    for (const owner of owners) await store.saveAuthorized(owner, 'GITHUB', tokens(owner.ownerId, new Date(Date.now() + 8 * HOUR)), null);

    const split = countingStore();
    const results = await Promise.all(owners.map((owner) => createConnectionCache(split.counted, { ttlMs: TTL, maxBatch: 3 }).listForOwner(owner)));
    expect(results.map((rows) => store.accessTokenOf(rows[0]!))).toEqual(owners.map((owner) => owner.ownerId));
    // Seven caches, one owner each: seven batches of one. One cache with seven owners: 3 + 3 + 1.
    expect(split.batches).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const shared = countingStore();
    const cache = createConnectionCache(shared.counted, { ttlMs: TTL, maxBatch: 3 });
    await Promise.all(owners.map((owner) => cache.listForOwner(owner)));
    expect(shared.batches).toEqual([3, 3, 1]);

    const unbatched = countingStore();
    const each = createConnectionCache(unbatched.counted, { ttlMs: TTL, maxBatch: 1 });
    const direct = await Promise.all(owners.map((owner) => each.listForOwner(owner)));
    expect(unbatched.batches).toEqual([]);
    expect(unbatched.single()).toBe(owners.length);
    expect(direct.map((rows) => store.accessTokenOf(rows[0]!))).toEqual(owners.map((owner) => owner.ownerId));
  });

  it('does not remember a failed batch: the next read asks again', async () => {
    const siteId = await newSite();
    const owner = endUserOwner(siteId, 'flaky');
    await store.saveAuthorized(owner, 'GITHUB', tokens('flaky', new Date(Date.now() + 8 * HOUR)), null);
    let fail = true;
    const flaky: ConnectionStore = {
      ...store,
      listForOwners: (owners) => (fail ? Promise.reject(new Error('database unavailable')) : store.listForOwners(owners)),
    };
    const cache = createConnectionCache(flaky, { ttlMs: TTL });
    await expect(Promise.all([cache.listForOwner(owner), cache.listForOwner(endUserOwner(siteId, 'other'))])).rejects.toThrow('database unavailable');
    fail = false;
    expect((await cache.listForOwner(owner)).map((row) => store.accessTokenOf(row))).toEqual(['flaky']);
  });
});

describe('the connection cache over time', () => {
  it('drops expired owners instead of holding them until the LRU is full', async () => {
    const siteId = await newSite();
    const time = clock();
    const cache = createConnectionCache(store, { ttlMs: 1000, now: time.now });
    for (let index = 0; index < 20; index += 1) await cache.listForOwner(endUserOwner(siteId, `once-${index}`));
    expect(cache.size()).toBe(20);
    // Several TTLs later, the next miss purges every expired entry and keeps only its own.
    time.advance(5001);
    await cache.listForOwner(endUserOwner(siteId, 'later'));
    expect(cache.size()).toBe(1);
  });
});
