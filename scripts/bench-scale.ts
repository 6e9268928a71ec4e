// npm run bench:scale: a site with many end-user connections (BENCH_END_USERS, default 100,000),
// seeded directly into the database with tokens encrypted exactly as the connection store does.
//   (a) secrets { github { bearerToken } }                  the site's own connection
//   (b) secrets(endUser: <random>) { github { bearerToken } } a random end user's connection
// side by side against gateways started as production starts one (`node bin/latchkey.js serve`, its
// own process, so its RSS is its own): BENCH_ROUNDS (default 3) interleaved rounds of (a) then (b),
// medians and the ratio of each round; then each gateway's memory (RSS, its peak, V8's heap spaces,
// external memory; then the same after a full GC, which tells live data from heap V8 has not given
// back), then connections(first: 100) paged through every row: the first and the last pages' latency.
// A small probe (scripts/bench-probe.mjs, loaded with `node --import`) answers the benchmark's
// questions over IPC; the gateway's own code is the one `npm start` runs.
//   --postgres            a throwaway PostgreSQL 15 cluster instead of a SQLite file
//   --explain             (with --postgres) EXPLAIN (ANALYZE, BUFFERS) of the statements Prisma sends
//                         for the first and a deep connections(first: 100) page and one owner's read
//   BENCH_GATEWAY         `dist` (default: the compiled dist/, as `npm start` runs it; `npm run
//                         bench:scale` builds it first), `tsx` (the sources through tsx,
//                         LATCHKEY_FROM_SOURCE=1) or `dist,tsx` (both, in the same rounds)
//   BENCH_BASELINE="[dist|tsx] [--node-flag …] [LATCHKEY_X=… …]; …"  more gateways with these node
//                         options and settings (`;` between gateways), measured in the same interleaved
//                         rounds (e.g. LATCHKEY_CONNECTION_BATCH_SIZE=1: no batching; --max-old-space-size=128)
//   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 50), BENCH_PROFILE_DIR (a V8 CPU profile
//   of each gateway, written when it stops), BENCH_HEAP_SNAPSHOT_DIR (a heap snapshot of each
//   gateway after the runs), BENCH_ONLY=explain (seed and explain, no load), BENCH_PAGES=0 (no paging).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ask, freePort } from './bench-child.js';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, statSync } from 'node:fs';

const END_USERS = Number(process.env.BENCH_END_USERS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const ONLY = process.env.BENCH_ONLY?.split(',').map((key) => key.trim());
const POSTGRES = process.argv.includes('--postgres');
const EXPLAIN = process.argv.includes('--explain');
const BATCH = 1000;

async function seed(url: string, key: Buffer): Promise<string> {
  const { migrateDatabase, openDatabase } = await import('../src/db/database.js');
  const { createKeyring, encryptSecret, secretContext } = await import('../src/crypto/token-cipher.js');
  const { createSites } = await import('../src/sites/sites.js');
  const { generateId } = await import('../src/crypto/opaque-token.js');
  await migrateDatabase(url);
  const db = openDatabase(url);
  const keyring = createKeyring(key);
  const { site, siteToken } = await createSites(db, async () => undefined, undefined).create('Scale');
  // Spread over the last day, as rows connected one after another would be.
  const base = Date.now() - 86_400_000;
  const row = (ownerType: string, ownerId: string, account: string, index: number) => {
    const id = generateId('conn');
    const createdAt = new Date(base + index * 500);
    return {
      id,
      siteId: site.id,
      service: 'GITHUB',
      ownerType,
      ownerId,
      accountKey: account,
      accessToken: encryptSecret(keyring, `gho_${randomBytes(18).toString('hex')}`, secretContext('Connection', 'accessToken', id)),
      tokenType: 'bearer',
      grantedScopes: ['read:user'],
      foreignUserId: account,
      createdAt,
      connectedAt: createdAt,
    };
  };
  await db.connection.create({ data: row('SITE', '', '1', END_USERS) });
  const started = Date.now();
  for (let offset = 0; offset < END_USERS; offset += BATCH) {
    const rows = [];
    for (let index = offset; index < Math.min(END_USERS, offset + BATCH); index += 1) rows.push(row('END_USER', `user-${index}`, String(1000 + index), index));
    await db.connection.createMany({ data: rows });
  }
  console.log(`seeded ${END_USERS} end-user connections (+1 of the site) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await db.$disconnect();
  return siteToken;
}

/** EXPLAIN (ANALYZE, BUFFERS) of the SQL Prisma sends for the connection store's reads. */
async function explain(url: string): Promise<void> {
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { PrismaClient } = await import('../src/generated/postgresql/client.js');
  const { createConnectionStore } = await import('../src/connections/connection-store.js');
  const { createKeyring } = await import('../src/crypto/token-cipher.js');
  const pg = (await import('pg')).default;
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }), log: [{ emit: 'event', level: 'query' }] });
  const seen: Array<{ query: string; params: string }> = [];
  prisma.$on('query', (event: { query: string; params: string }) => seen.push({ query: event.query, params: event.params }));
  const store = createConnectionStore(prisma as never, createKeyring(randomBytes(32)), 'postgresql');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE "Connection"');
  const { rows: [site] } = await client.query<{ siteId: string }>('SELECT "siteId" FROM "Connection" LIMIT 1');
  const siteId = site!.siteId;
  const { rows: [middle] } = await client.query<{ createdAt: Date; id: string }>(
    'SELECT "createdAt", "id" FROM "Connection" WHERE "siteId" = $1 ORDER BY "createdAt" DESC, "id" DESC OFFSET $2 LIMIT 1',
    [siteId, Math.floor(END_USERS * 0.9)],
  );
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['connections(first: 100), the first page', () => store.listPage({ siteId }, 101)],
    [`connections(first: 100, after: <row ${Math.floor(END_USERS * 0.9)}>), a deep page`, () => store.listPage({ siteId }, 101, middle!)],
    ['secrets(endUser:), one owner\'s connections (a cache miss)', () => store.listForOwner({ siteId, ownerType: 'END_USER', ownerId: `user-${Math.floor(END_USERS / 3)}` })],
    ['secrets(endUser:), 20 concurrent misses read in one batch', () => store.listForOwners(Array.from({ length: 20 }, (_, index) => ({ siteId, ownerType: 'END_USER' as const, ownerId: `user-${index * Math.floor(END_USERS / 20)}` })))],
  ];
  for (const [label, run] of cases) {
    seen.length = 0;
    await run();
    const statement = seen.find((entry) => /^SELECT/i.test(entry.query.trim()));
    if (!statement) throw new Error(`Prisma sent no SELECT for ${label}`);
    const params = (JSON.parse(statement.params) as unknown[]).map((value) => (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) ? new Date(value) : value));
    await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement.query}`, params); // warm
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.query}`, params);
    console.log(`\n#### ${label}\n\n\`\`\`sql\n${statement.query}\n\`\`\`\n\n\`\`\`\n${rows.map((row) => row['QUERY PLAN']).join('\n')}\n\`\`\``);
  }
  await client.end();
  await prisma.$disconnect();
}

interface Measured {
  requests: number;
  /** The gateway's CPU time per answered request (µs): its cost with a core to itself. */
  cpu: number;
  /** Of which main-thread GC pauses (µs per request; scavenges and mark-compact steps). */
  gc: number;
  p50: number;
  p99: number;
  errors: number;
}

type GcTimes = { minor: number; major: number; incremental: number; weak: number };
const cpuOf = (gateway: ChildProcess) => ask<{ micros: number; gcMs: GcTimes }>(gateway, 'probe:cpu');
const gcTotal = (times: GcTimes) => times.minor + times.major + times.incremental + times.weak;

async function measure(gateway: ChildProcess, url: string, token: string, label: string, body: () => string): Promise<Measured> {
  const cpuBefore = await cpuOf(gateway);
  type Result = { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number; mismatches?: number };
  const autocannon = createRequire(import.meta.url)('autocannon') as (options: unknown) => Promise<Result>;
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, body: body() }) }],
    verifyBody: (text: string) => text.includes('"bearerToken":"gho_'),
  });
  const cpuAfter = await cpuOf(gateway);
  const cpu = cpuAfter.micros - cpuBefore.micros;
  const gc = ((gcTotal(cpuAfter.gcMs) - gcTotal(cpuBefore.gcMs)) * 1000) / Math.max(1, result.requests.total);
  const errors = result.non2xx + result.errors + result.timeouts + (result.mismatches ?? 0);
  const perRequest = cpu / Math.max(1, result.requests.total);
  console.log(`${label.padEnd(60)} ${result.requests.average.toFixed(0).padStart(6)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  CPU ${perRequest.toFixed(0)} µs/req (GC ${gc.toFixed(0)})  errors ${errors}`);
  return { requests: result.requests.average, cpu: perRequest, gc, p50: result.latency.p50, p99: result.latency.p99, errors };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

type Runner = 'dist' | 'tsx';
interface Variant {
  label: string;
  runner: Runner;
  env: Record<string, string>;
  /** Options for node itself (before bin/latchkey.js), e.g. V8 flags NODE_OPTIONS does not accept. */
  nodeOptions: string[];
}

/** "[dist|tsx] [--node-option …] [NAME=value …]" → a gateway to start. */
function parseVariant(spec: string, fallback: Runner): Variant {
  const words = spec.trim().split(/\s+/).filter(Boolean);
  const runner = words[0] === 'dist' || words[0] === 'tsx' ? (words.shift() as Runner) : fallback;
  const nodeOptions = words.filter((word) => word.startsWith('--'));
  const env = Object.fromEntries(words.filter((word) => !word.startsWith('--')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string]));
  return { label: words.length ? `${runner} ${words.join(' ')}` : runner, runner, env, nodeOptions };
}

function variantsFromEnvironment(): Variant[] {
  const runners = (process.env.BENCH_GATEWAY ?? 'dist').split(',').map((word) => word.trim());
  for (const runner of runners) if (runner !== 'dist' && runner !== 'tsx') throw new Error(`BENCH_GATEWAY: ${runner} is neither dist nor tsx`);
  const baselines = (process.env.BENCH_BASELINE ?? '').split(';').filter((spec) => spec.trim());
  return [...runners.map((runner) => parseVariant(runner, runner as Runner)), ...baselines.map((spec) => parseVariant(spec, runners[0] as Runner))];
}

/** dist/ must have been built from the current sources, or bin/latchkey.js would run tsx instead. */
function assertDistCurrent(): void {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const newest = (directory: string): number => {
    let max = 0;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }
    return max;
  };
  let built = 0;
  try {
    built = statSync(join(root, 'dist/.built')).mtimeMs;
  } catch {}
  if (built < newest(join(root, 'src'))) throw new Error('dist/ is older than src/: run `npm run build` (npm run bench:scale does) or BENCH_GATEWAY=tsx');
}

/** `node bin/latchkey.js serve`, as `npm start` runs it, with the probe loaded; resolves with its URL once /readyz answers. */
async function startGateway(variant: Variant, env: Record<string, string>, profileDir: string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      new URL('./bench-probe.mjs', import.meta.url).href,
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...variant.nodeOptions,
      join(root, 'bin/latchkey.js'),
      'serve',
    ],
    {
      cwd: root,
      env: { ...env, ...(variant.runner === 'tsx' ? { LATCHKEY_FROM_SOURCE: '1' } : {}), ...variant.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`gateway ${variant.label} exited (${code}) before it was ready`))));
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    for (;;) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) return url;
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return { child, url: await Promise.race([ready, exited]) };
}

interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, { size: number; used: number }>;
  malloced: number;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

function describeMemory(memory: Memory): string {
  const space = (name: string) => memory.spaces[name] ?? { size: 0, used: 0 };
  const spaces = ['new_space', 'old_space', 'code_space', 'large_object_space', 'trusted_space']
    .filter((name) => memory.spaces[name])
    .map((name) => `${name.replace('_space', '')} ${mb(space(name).used)}/${mb(space(name).size)}`)
    .join(', ');
  return `RSS ${mb(memory.rss)} MB; heap ${mb(memory.heapUsed)} used of ${mb(memory.heapTotal)} MB (${spaces}); external ${mb(memory.external)} MB (array buffers ${mb(memory.arrayBuffers)}); malloced ${mb(memory.malloced)} MB`;
}

/** VmHWM: the most the process ever held resident. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function main(): Promise<void> {
  let dir: string | undefined;
  let postgres: { stop(): Promise<void>; createDatabase(name: string): Promise<string> } | undefined;
  let url: string;
  const variants = variantsFromEnvironment();
  if (variants.some((variant) => variant.runner === 'dist')) assertDistCurrent();
  if (POSTGRES) {
    const { startPostgres } = await import('../test/support/postgres.js');
    postgres = await startPostgres();
    url = await postgres.createDatabase(`bench_scale_${randomBytes(4).toString('hex')}`);
  } else {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-scale-'));
    url = `file:${join(dir, 'scale.db')}`;
  }
  const key = randomBytes(32);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  const children: ChildProcess[] = [];
  let failed = false;
  try {
    console.log(`${POSTGRES ? 'PostgreSQL' : 'SQLite'}, ${END_USERS} end users; load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
    const token = await seed(url, key);
    if (EXPLAIN && POSTGRES) await explain(url);
    if (ONLY?.includes('explain')) return;
    // The gateway's environment: none of this process's own (tsx's loader is in execArgv, not here).
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: url,
      LATCHKEY_ENCRYPTION_KEY: key.toString('base64'),
      LATCHKEY_LOG_LEVEL: 'error',
      LATCHKEY_SWEEP_INTERVAL_SECONDS: process.env.LATCHKEY_SWEEP_INTERVAL_SECONDS ?? '60',
      // Rate limits high enough never to answer RATE_LIMITED: this measures the read, limiter included.
      LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
      LATCHKEY_RATE_LIMIT_SITE_PER_MINUTE: '10000000',
    };
    const urls: string[] = [];
    for (const variant of variants) {
      const started = await startGateway(variant, env, profileDir);
      children.push(started.child);
      urls.push(started.url);
      console.log(`gateway ${variant.label}: node bin/latchkey.js serve (${variant.runner === 'dist' ? 'compiled dist/' : 'sources through tsx'}), ${describeMemory((await ask<{ memory: Memory }>(started.child, 'probe:memory')).memory)} when ready`);
    }
    const own = JSON.stringify({ query: '{ secrets { github { bearerToken } } }' });
    const endUserQuery = 'query ($u: String) { secrets(endUser: $u) { github { bearerToken } } }';
    const random = () => JSON.stringify({ query: endUserQuery, variables: { u: `user-${Math.floor(Math.random() * END_USERS)}` } });
    for (const [index, gatewayUrl] of urls.entries()) {
      await measure(children[index]!, gatewayUrl, token, `warm-up ${variants[index]!.label} (a)`, () => own);
      await measure(children[index]!, gatewayUrl, token, `warm-up ${variants[index]!.label} (b)`, random);
    }
    const results = variants.map(() => ({ a: [] as Measured[], b: [] as Measured[] }));
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const [index, variant] of variants.entries()) {
        results[index]!.a.push(await measure(children[index]!, urls[index]!, token, `round ${round} ${variant.label} (a) site-own`, () => own));
        results[index]!.b.push(await measure(children[index]!, urls[index]!, token, `round ${round} ${variant.label} (b) endUser: random`, random));
      }
    }
    console.log(`\n| gateway | case | req/s (median) | p50 ms | p99 ms | CPU µs/req (median) | of which GC | rounds req/s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |`);
    for (const [index, variant] of variants.entries()) {
      for (const [label, list] of [['(a) site-own token read', results[index]!.a], ["(b) random end user's token read", results[index]!.b]] as const) {
        console.log(`| ${variant.label} | ${label} | ${median(list.map((m) => m.requests)).toFixed(0)} | ${median(list.map((m) => m.p50))} | ${median(list.map((m) => m.p99))} | ${median(list.map((m) => m.cpu)).toFixed(0)} | ${median(list.map((m) => m.gc)).toFixed(0)} | ${list.map((m) => m.requests.toFixed(0)).join(', ')} |`);
      }
    }
    for (const [index, variant] of variants.entries()) {
      const ratios = results[index]!.a.map((a, round) => (results[index]!.b[round]!.requests / a.requests) * 100);
      const byCpu = results[index]!.a.map((a, round) => (a.cpu / results[index]!.b[round]!.cpu) * 100);
      console.log(`${variant.label}: (b)/(a) throughput per round ${ratios.map((ratio) => `${ratio.toFixed(0)}%`).join(', ')}, median ${median(ratios).toFixed(0)}%; by CPU per request ${byCpu.map((ratio) => `${ratio.toFixed(0)}%`).join(', ')}, median ${median(byCpu).toFixed(0)}% (target ≥ 80%)`);
      failed ||= [...results[index]!.a, ...results[index]!.b].some((m) => m.errors > 0);
    }
    console.log('');
    for (const [index, variant] of variants.entries()) {
      const child = children[index]!;
      const { memory } = await ask<{ memory: Memory }>(child, 'probe:memory');
      console.log(`${variant.label} after the runs: ${describeMemory(memory)}; peak RSS ${mb(peakRss(child.pid!))} MB (target < 300 MB)`);
      const { memory: collected } = await ask<{ memory: Memory }>(child, 'probe:memory', { gc: true });
      console.log(`${variant.label} after a full GC: ${describeMemory(collected)}`);
      // Last: writing a snapshot itself takes memory.
      if (snapshotDir) console.log(`${variant.label} heap snapshot: ${(await ask<{ path: string }>(child, 'probe:snapshot', { path: join(snapshotDir, `scale-${index}-${variant.runner}.heapsnapshot`) })).path}`);
    }

    if (process.env.BENCH_PAGES === '0') return console.log(`load average after: ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
    const page = 'query ($after: String) { connections(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }';
    const times: number[] = [];
    let after: string | null = null;
    let rows = 0;
    do {
      const started = performance.now();
      const response = await fetch(`${urls[0]!}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: page, variables: { after } }),
      });
      const json = (await response.json()) as { data: { connections: { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
      times.push(performance.now() - started);
      rows += json.data.connections.nodes.length;
      after = json.data.connections.pageInfo.hasNextPage ? json.data.connections.pageInfo.endCursor : null;
    } while (after);
    const mean = (list: number[]) => (list.reduce((sum, value) => sum + value, 0) / list.length).toFixed(2);
    console.log(`connections(first: 100): ${rows} rows in ${times.length} pages; first 10 pages ${mean(times.slice(0, 10))} ms each, last 10 ${mean(times.slice(-10))} ms each`);
    console.log(`load average after: ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  } finally {
    for (const gateway of children) {
      if (gateway.exitCode !== null || gateway.signalCode !== null) continue;
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      if (gateway.connected) gateway.send({ type: 'probe:stop' });
      else gateway.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    await postgres?.stop();
  }
  if (failed) process.exitCode = 1;
}

await main();
