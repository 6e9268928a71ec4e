// npm run bench:sweep: how many refreshes per second the sweeper sustains, by instances and
// concurrency, on PostgreSQL against the Spotify fake (each token answer delayed by
// BENCH_PROVIDER_MS, default 50, as a distant provider would be), and whether 20,000 connections
// expiring within minutes stay fresh. Every instance is its own forked process (own event loop,
// database pool, refresher and sweeper), as separate gateway processes would be.
//   (1) throughput: BENCH_SWEEP_CONNECTIONS (default 2000) due connections, swept once by 1 or 2
//       instances at concurrency 4, 8 or 16; BENCH_ROUNDS (default 3) interleaved rounds, median.
//   (2) freshness: BENCH_FRESH_CONNECTIONS (default 20000) connections of 5-minute tokens whose
//       remaining life is spread over BENCH_FRESH_SPREAD_SECONDS (default 240) starting
//       BENCH_FRESH_LEAD_SECONDS (default 60) from the start of seeding, 90 % of them
//       one site's end users and 10 % spread over nine small sites; BENCH_FRESH_INSTANCES (default 2)
//       instances sweep every 5 s at concurrency BENCH_FRESH_CONCURRENCY (default 16) while a reader
//       reads random connections through the refresher, as `secrets` does. Reports tokens handed out
//       expired (must be 0), rows found expired or inside their refresh buffer (the sweeper behind),
//       connections refreshed more than once for one expiry, and per site how many expired unrefreshed.
//   BENCH_ONLY=throughput or freshness.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ask } from './bench-child.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { migrateDatabase, openDatabase, type Database } from '../src/db/database.js';
import { createServices, type Services } from '../src/services.js';
import { createRefreshSweeper, type RefreshSweeper } from '../src/connections/refresh-sweeper.js';
import { encryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { startFakeSpotify, type FakeSpotify } from '../test/support/fake-spotify.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SWEEP_CONNECTIONS = Number(process.env.BENCH_SWEEP_CONNECTIONS ?? 2000);
const FRESH_CONNECTIONS = Number(process.env.BENCH_FRESH_CONNECTIONS ?? 20_000);
const FRESH_SPREAD_SECONDS = Number(process.env.BENCH_FRESH_SPREAD_SECONDS ?? 240);
const FRESH_LEAD_SECONDS = Number(process.env.BENCH_FRESH_LEAD_SECONDS ?? 60);
const FRESH_INSTANCES = Number(process.env.BENCH_FRESH_INSTANCES ?? 2);
const FRESH_CONCURRENCY = Number(process.env.BENCH_FRESH_CONCURRENCY ?? 16);
const PROVIDER_MS = Number(process.env.BENCH_PROVIDER_MS ?? 50);
const ONLY = process.env.BENCH_ONLY?.split(',').map((key) => key.trim());

interface Instance {
  services: Services;
  db: Database;
}

function startInstance(url: string, env: Record<string, string>, encryptionKey: string): Instance {
  const config = loadConfig({
    ...env,
    DATABASE_URL: url,
    LATCHKEY_ENCRYPTION_KEY: encryptionKey,
    LATCHKEY_ADMIN_TOKEN: `admin-${randomBytes(16).toString('hex')}`,
    LATCHKEY_SWEEP_INTERVAL_SECONDS: '0',
    LATCHKEY_LOG_LEVEL: 'error',
  });
  const db = openDatabase(url);
  return { services: createServices(config, db, createLogger('error')), db };
}

// ---------------------------------------------------------------------------------------------
// A sweeping instance (a forked process): told what to do over IPC.

type Command =
  | { type: 'init'; url: string; env: Record<string, string>; key: string }
  | { type: 'sweep'; concurrency: number }
  | { type: 'start'; concurrency: number; intervalSeconds: number }
  | { type: 'stop' };

async function serveInstance(): Promise<void> {
  let instance: Instance | undefined;
  let running: RefreshSweeper | undefined;
  process.on('message', (command: Command) => {
    void (async () => {
      if (command.type === 'init') {
        instance = startInstance(command.url, command.env, command.key);
        process.send!({ type: 'ready' });
      } else if (command.type === 'sweep') {
        const sweeper = createRefreshSweeper(instance!.services, { intervalSeconds: 0, lookAheadSeconds: 120, concurrency: command.concurrency });
        const begin = performance.now();
        const count = await sweeper.sweep();
        process.send!({ type: 'swept', count, seconds: (performance.now() - begin) / 1000 });
      } else if (command.type === 'start') {
        running = createRefreshSweeper(instance!.services, { intervalSeconds: command.intervalSeconds, lookAheadSeconds: 120, concurrency: command.concurrency });
        running.start();
        process.send!({ type: 'started' });
      } else if (command.type === 'stop') {
        await running?.stop();
        await instance?.db.$disconnect();
        process.send!({ type: 'stopped' });
      }
    })();
  });
}

async function forkInstances(count: number, url: string, env: Record<string, string>, key: string): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () => fork(fileURLToPath(import.meta.url), ['--instance'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await Promise.all(children.map((child) => ask(child, 'init', { url, env, key }, 'ready')));
  return children;
}

async function stopInstances(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((child) => ask(child, 'stop', {}, 'stopped')));
  for (const child of children) child.kill();
}

// ---------------------------------------------------------------------------------------------
// The driver

/** Sites whose end users hold Spotify connections sharing one refresh token the fake knows; `siteOf(index)` picks each row's site. */
async function seed(instance: Instance, spotify: FakeSpotify, count: number, sites: number, siteOf: (index: number) => number, expiresAt: (index: number) => Date, issuedAt: (index: number) => Date) {
  const { db, keyring } = instance.services;
  const tag = randomBytes(4).toString('hex');
  const siteIds = Array.from({ length: sites }, (_, index) => `site_bench_${tag}_${index}`);
  await db.site.createMany({ data: siteIds.map((id) => ({ id, name: 'Bench site', allowedOrigins: [] })) });
  const refreshToken = `bench-refresh-${randomBytes(16).toString('hex')}`;
  spotify.state.issuedTokens.push({
    accessToken: `bench-access-${randomBytes(16).toString('hex')}`,
    refreshToken,
    clientId: spotify.clientId,
    publicClient: false,
    scopes: [],
    issuedAt: Date.now(),
    expiresAt: Date.now() + 3600_000,
    active: true,
    refreshActive: true,
    grant: 'authorization_code',
  });
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => {
      const index = start + offset;
      const id = `conn_bench_${tag}_${index}`;
      ids.push(id);
      return {
        id,
        siteId: siteIds[siteOf(index)]!,
        service: 'SPOTIFY',
        ownerType: 'END_USER',
        ownerId: `user-${index}`,
        accessToken: encryptSecret(keyring, `seeded-${index}`, secretContext('Connection', 'accessToken', id)),
        refreshToken: encryptSecret(keyring, refreshToken, secretContext('Connection', 'refreshToken', id)),
        tokenType: 'Bearer',
        expiresAt: expiresAt(index),
        tokenIssuedAt: issuedAt(index),
        grantedScopes: [],
      };
    });
    await db.connection.createMany({ data: rows });
  }
  return { siteIds, ids };
}

async function throughput(seeder: Instance, url: string, env: Record<string, string>, key: string, spotify: FakeSpotify, instances: number, concurrency: number): Promise<number> {
  const children = await forkInstances(instances, url, env, key);
  try {
    // Due now: a 5-minute token with 100 to 160 s left (inside a fifth of its life plus the look-ahead).
    const { siteIds } = await seed(seeder, spotify, SWEEP_CONNECTIONS, 1, () => 0, (index) => new Date(Date.now() + 100_000 + (index % 60) * 1000), () => new Date(Date.now() - 200_000));
    const begin = performance.now();
    const results = await Promise.all(children.map((child) => ask<{ count: number }>(child, 'sweep', { concurrency }, 'swept')));
    const seconds = (performance.now() - begin) / 1000;
    const total = results.reduce((sum, result) => sum + result.count, 0);
    if (total !== SWEEP_CONNECTIONS) console.warn(`  refreshed ${total} of ${SWEEP_CONNECTIONS}`);
    await seeder.db.site.deleteMany({ where: { id: { in: siteIds } } });
    return total / seconds;
  } finally {
    await stopInstances(children);
  }
}

async function freshness(seeder: Instance, url: string, env: Record<string, string>, key: string, spotify: FakeSpotify) {
  const lifetimeMs = 300_000;
  const refreshesBefore = spotify.state.refreshRequests;
  // Remaining life spread evenly over FRESH_SPREAD_SECONDS, starting FRESH_LEAD_SECONDS from now so
  // that no token expires while the rows are still being seeded and the sweepers forked (about 20 s
  // here): what is measured is the sweepers keeping up. Every token lived 5 minutes. 90 % of the
  // rows are one big site's; every tenth row belongs to one of nine small sites.
  const remaining = (index: number) => FRESH_LEAD_SECONDS * 1000 + (FRESH_SPREAD_SECONDS * 1000 * index) / FRESH_CONNECTIONS;
  const siteOf = (index: number) => (index % 10 === 9 ? 1 + (Math.floor(index / 10) % 9) : 0);
  const seededAt = Date.now();
  const { siteIds, ids } = await seed(
    seeder,
    spotify,
    FRESH_CONNECTIONS,
    10,
    siteOf,
    (index) => new Date(seededAt + remaining(index)),
    (index) => new Date(seededAt + remaining(index) - lifetimeMs),
  );
  const children = await forkInstances(FRESH_INSTANCES, url, env, key);
  await Promise.all(children.map((child) => ask(child, 'start', { concurrency: FRESH_CONCURRENCY, intervalSeconds: 5 }, 'started')));
  const begin = Date.now();
  // A reader: random connections through the refresher, as a function reading its end user's token
  // does. A row found expired or inside its refresh buffer is one the sweeper had not reached yet.
  const reader = startInstance(url, env, key);
  const { refresher } = reader.services;
  let reads = 0;
  let behind = 0;
  let handedExpired = 0;
  let readFailures = 0;
  const until = seededAt + (FRESH_LEAD_SECONDS + FRESH_SPREAD_SECONDS) * 1000 + 10_000;
  while (Date.now() < until) {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const row = await reader.db.connection.findUnique({ where: { id } });
    reads += 1;
    if (row?.expiresAt && row.expiresAt.getTime() - 60_000 <= Date.now()) behind += 1;
    try {
      const fresh = await refresher.ensureFresh(row!);
      if (!fresh.expiresAt || fresh.expiresAt.getTime() <= Date.now()) handedExpired += 1;
    } catch {
      readFailures += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stopInstances(children);
  const db = seeder.db;
  const now = Date.now();
  const expiredBySite = await Promise.all(siteIds.map((siteId) => db.connection.count({ where: { siteId, expiresAt: { lte: new Date(now) } } })));
  const rowsBySite = await Promise.all(siteIds.map((siteId) => db.connection.count({ where: { siteId } })));
  const notRefreshed = await db.connection.count({ where: { siteId: { in: siteIds }, version: 0 } });
  const refreshedTwice = await db.connection.count({ where: { siteId: { in: siteIds }, version: { gt: 1 } } });
  const refreshRequests = spotify.state.refreshRequests - refreshesBefore;
  await db.site.deleteMany({ where: { id: { in: siteIds } } });
  await reader.db.$disconnect();
  return {
    seconds: Math.round((now - begin) / 1000),
    reads,
    behind,
    handedExpired,
    readFailures,
    expired: expiredBySite.reduce((sum, count) => sum + count, 0),
    notRefreshed,
    refreshedTwice,
    refreshRequests,
    bigSite: `${expiredBySite[0]} of ${rowsBySite[0]} expired`,
    smallSites: `${expiredBySite.slice(1).reduce((sum, count) => sum + count, 0)} of ${rowsBySite.slice(1).reduce((sum, count) => sum + count, 0)} expired`,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const spotify = await startFakeSpotify();
  spotify.state.tokenResponseDelayMs = PROVIDER_MS;
  // Refreshed tokens live an hour, so each connection falls due once during the run.
  spotify.state.accessTokenLifetimeSeconds = 3600;
  let postgres: PostgresServer | undefined;
  let seeder: Instance | undefined;
  try {
    postgres = await startPostgres();
    const url = await postgres.createDatabase(`bench_sweep_${randomBytes(4).toString('hex')}`);
    await migrateDatabase(url);
    const key = randomBytes(32).toString('base64');
    const env = { ...spotify.appEnv };
    seeder = startInstance(url, env, key);
    console.log(`sweeper benchmark: PostgreSQL, Spotify fake answering after ${PROVIDER_MS} ms, each instance a forked process; load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);

    if (!ONLY || ONLY.includes('throughput')) {
      const cases = [
        { instances: 1, concurrency: 4 },
        { instances: 1, concurrency: 8 },
        { instances: 1, concurrency: 16 },
        { instances: 2, concurrency: 8 },
        { instances: 2, concurrency: 16 },
      ];
      const results = new Map(cases.map((testCase) => [testCase, [] as number[]]));
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const testCase of cases) {
          const rate = await throughput(seeder, url, env, key, spotify, testCase.instances, testCase.concurrency);
          results.get(testCase)!.push(rate);
          console.log(`round ${round + 1}: ${testCase.instances} instance(s), concurrency ${testCase.concurrency}: ${rate.toFixed(1)} refreshes/s`);
        }
      }
      console.log(`\n(1) ${SWEEP_CONNECTIONS} due connections, ${ROUNDS} interleaved rounds\n| instances | concurrency | refreshes/s (median) | rounds |\n|---|---|---|---|`);
      for (const testCase of cases) {
        const values = results.get(testCase)!;
        console.log(`| ${testCase.instances} | ${testCase.concurrency} | ${median(values).toFixed(1)} | ${values.map((value) => value.toFixed(1)).join(', ')} |`);
      }
    }

    if (!ONLY || ONLY.includes('freshness')) {
      const result = await freshness(seeder, url, env, key, spotify);
      console.log(`\n(2) ${FRESH_CONNECTIONS} connections expiring over ${FRESH_SPREAD_SECONDS} s from ${FRESH_LEAD_SECONDS} s on, ${FRESH_INSTANCES} instances, concurrency ${FRESH_CONCURRENCY}, sweep every 5 s`);
      console.log(JSON.stringify(result));
    }
    console.log(`load average after: ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  } finally {
    await seeder?.db.$disconnect();
    await spotify.close();
    await postgres?.stop();
  }
}

if (process.argv[2] === '--instance') {
  process.on('disconnect', () => process.exit(0));
  await serveInstance();
} else {
  await main();
}
