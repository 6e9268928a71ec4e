// npm run bench:sweep: how many refreshes per second the sweeper sustains, by instances and
// concurrency, on PostgreSQL against the Spotify fake (each token answer delayed by
// BENCH_PROVIDER_MS, default 50, as a distant provider would be), and whether 20,000 connections
// expiring within minutes stay fresh.
//   (1) throughput: BENCH_SWEEP_CONNECTIONS (default 2000) due connections, swept by 1 or 2
//       instances with concurrency 2 or 8; BENCH_ROUNDS (default 3) interleaved rounds, median.
//   (2) freshness: BENCH_FRESH_CONNECTIONS (default 20000) connections of 5-minute tokens whose
//       remaining life is spread over the next BENCH_FRESH_SPREAD_SECONDS (default 240); two
//       instances sweep every 5 s with concurrency 16 while a reader checks random connections.
//       Reports connections that expired before they were refreshed (a reader would have had to
//       wait or been refused) and refreshes beyond one per connection (refreshed twice for one expiry).
// Instances are separate service graphs in this process (each its own database pool, refresher and
// sweeper); the provider is the bottleneck, so the figures measure how the work is shared.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { migrateDatabase, openDatabase, type Database } from '../src/db/database.js';
import { createServices, type Services } from '../src/services.js';
import { createRefreshSweeper } from '../src/connections/refresh-sweeper.js';
import { encryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { startFakeSpotify, type FakeSpotify } from '../test/support/fake-spotify.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SWEEP_CONNECTIONS = Number(process.env.BENCH_SWEEP_CONNECTIONS ?? 2000);
const FRESH_CONNECTIONS = Number(process.env.BENCH_FRESH_CONNECTIONS ?? 20_000);
const FRESH_SPREAD_SECONDS = Number(process.env.BENCH_FRESH_SPREAD_SECONDS ?? 240);
const PROVIDER_MS = Number(process.env.BENCH_PROVIDER_MS ?? 50);
const ONLY = process.env.BENCH_ONLY?.split(',').map((key) => key.trim());

interface Instance {
  services: Services;
  db: Database;
}

async function startInstance(url: string, env: Record<string, string>, encryptionKey: string): Promise<Instance> {
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

/** One site whose end users hold `count` Spotify connections sharing one refresh token the fake knows. */
async function seed(instance: Instance, spotify: FakeSpotify, count: number, expiresAt: (index: number) => Date, issuedAt: (index: number) => Date) {
  const { db, keyring } = instance.services;
  const site = await db.site.create({ data: { id: `site_bench_${randomBytes(6).toString('hex')}`, name: 'Bench site', allowedOrigins: [] } });
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
      const id = `conn_bench_${site.id.slice(-12)}_${index}`;
      ids.push(id);
      return {
        id,
        siteId: site.id,
        service: 'SPOTIFY',
        ownerType: 'VISITOR',
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
  return { siteId: site.id, ids };
}

async function throughput(url: string, env: Record<string, string>, key: string, spotify: FakeSpotify, instances: number, concurrency: number): Promise<number> {
  const started = await Promise.all(Array.from({ length: instances }, () => startInstance(url, env, key)));
  try {
    // Due now: a 5-minute token with 100 to 160 s left (inside a fifth of its life plus the look-ahead).
    const { siteId } = await seed(started[0]!, spotify, SWEEP_CONNECTIONS, (index) => new Date(Date.now() + 100_000 + (index % 60) * 1000), () => new Date(Date.now() - 200_000));
    const sweepers = started.map((instance) => createRefreshSweeper(instance.services, { intervalSeconds: 0, lookAheadSeconds: 120, concurrency }));
    const begin = performance.now();
    const counts = await Promise.all(sweepers.map((sweeper) => sweeper.sweep()));
    const seconds = (performance.now() - begin) / 1000;
    const total = counts.reduce((sum, count) => sum + count, 0);
    if (total !== SWEEP_CONNECTIONS) console.warn(`  refreshed ${total} of ${SWEEP_CONNECTIONS}`);
    await started[0]!.db.site.delete({ where: { id: siteId } });
    return total / seconds;
  } finally {
    await Promise.all(started.map((instance) => instance.db.$disconnect()));
  }
}

async function freshness(url: string, env: Record<string, string>, key: string, spotify: FakeSpotify) {
  const instances = await Promise.all([startInstance(url, env, key), startInstance(url, env, key)]);
  const lifetimeMs = 300_000;
  const refreshesBefore = spotify.state.refreshRequests;
  // Remaining life spread evenly over the next FRESH_SPREAD_SECONDS; every token lived 5 minutes.
  const remaining = (index: number) => 20_000 + ((FRESH_SPREAD_SECONDS * 1000 - 20_000) * index) / FRESH_CONNECTIONS;
  const seededAt = Date.now();
  const { siteId, ids } = await seed(
    instances[0]!,
    spotify,
    FRESH_CONNECTIONS,
    (index) => new Date(seededAt + remaining(index)),
    (index) => new Date(seededAt + remaining(index) - lifetimeMs),
  );
  const sweepers = instances.map((instance) => createRefreshSweeper(instance.services, { intervalSeconds: 5, lookAheadSeconds: 120, concurrency: 16 }));
  const begin = Date.now();
  for (const sweeper of sweepers) sweeper.start();
  // A reader: random connections, as a function reading its end user's token would; a connection
  // whose token it finds expired is one a reader would have had to wait for.
  let reads = 0;
  let expiredReads = 0;
  const until = seededAt + FRESH_SPREAD_SECONDS * 1000 + 10_000;
  while (Date.now() < until) {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const row = await instances[1]!.db.connection.findUnique({ where: { id } });
    reads += 1;
    if (row?.expiresAt && row.expiresAt.getTime() <= Date.now()) expiredReads += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
  const db = instances[0]!.db;
  const now = Date.now();
  const expired = await db.connection.count({ where: { siteId, expiresAt: { lte: new Date(now) } } });
  const notRefreshed = await db.connection.count({ where: { siteId, version: 0 } });
  const refreshedTwice = await db.connection.count({ where: { siteId, version: { gt: 1 } } });
  const refreshRequests = spotify.state.refreshRequests - refreshesBefore;
  await db.site.delete({ where: { id: siteId } });
  await Promise.all(instances.map((instance) => instance.db.$disconnect()));
  return { seconds: Math.round((now - begin) / 1000), reads, expiredReads, expired, notRefreshed, refreshedTwice, refreshRequests };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const spotify = await startFakeSpotify();
  spotify.state.tokenResponseDelayMs = PROVIDER_MS;
  // Refreshed tokens live an hour, so each connection falls due once during the run.
  spotify.state.accessTokenLifetimeSeconds = 3600;
  let postgres: PostgresServer | undefined;
  try {
    postgres = await startPostgres();
    const url = await postgres.createDatabase(`bench_sweep_${randomBytes(4).toString('hex')}`);
    await migrateDatabase(url);
    const key = randomBytes(32).toString('base64');
    const env = { ...spotify.appEnv };
    console.log(`sweeper benchmark: PostgreSQL, Spotify fake answering after ${PROVIDER_MS} ms, ${ROUNDS} interleaved rounds (median)`);

    if (!ONLY || ONLY.includes('throughput')) {
      const cases = [
        { instances: 1, concurrency: 2 },
        { instances: 1, concurrency: 8 },
        { instances: 2, concurrency: 8 },
      ];
      const results = new Map(cases.map((testCase) => [testCase, [] as number[]]));
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const testCase of cases) results.get(testCase)!.push(await throughput(url, env, key, spotify, testCase.instances, testCase.concurrency));
      }
      console.log(`\n(1) ${SWEEP_CONNECTIONS} due connections\n| instances | concurrency | refreshes/s (median) | rounds |\n|---|---|---|---|`);
      for (const testCase of cases) {
        const values = results.get(testCase)!;
        console.log(`| ${testCase.instances} | ${testCase.concurrency} | ${median(values).toFixed(1)} | ${values.map((value) => value.toFixed(1)).join(', ')} |`);
      }
    }

    if (!ONLY || ONLY.includes('freshness')) {
      const result = await freshness(url, env, key, spotify);
      console.log(`\n(2) ${FRESH_CONNECTIONS} connections expiring over ${FRESH_SPREAD_SECONDS} s, 2 instances, concurrency 16, sweep every 5 s`);
      console.log(JSON.stringify(result));
    }
  } finally {
    await spotify.close();
    await postgres?.stop();
  }
}

await main();
