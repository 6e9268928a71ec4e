// npm run bench:scale: a site with many end-user connections (BENCH_END_USERS, default 100,000),
// seeded directly into the database with tokens encrypted exactly as the connection store does.
//   (a) secrets { github { bearerToken } }                  the site's own connection
//   (b) secrets(endUser: <random>) { github { bearerToken } } a random end user's connection
// side by side in one run against one gateway process (forked, so its RSS is its own), then the
// gateway's RSS, then connections(first: 100) paged through every row: the first and the last
// pages' latency. BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 50).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const END_USERS = Number(process.env.BENCH_END_USERS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BATCH = 1000;

async function serveGateway(): Promise<void> {
  const { loadConfig } = await import('../src/config.js');
  const { createLogger } = await import('../src/logger.js');
  const { startGateway } = await import('../src/server.js');
  const config = loadConfig(process.env);
  const gateway = await startGateway(config, createLogger('error'));
  process.on('message', (message: { type: string }) => {
    if (message.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss });
  });
  process.send!({ type: 'ready', url: gateway.url });
}

async function seed(url: string, key: Buffer): Promise<string> {
  const { migrateDatabase, openDatabase } = await import('../src/db/database.js');
  const { createKeyring, encryptSecret, secretContext } = await import('../src/crypto/token-cipher.js');
  const { createSites } = await import('../src/sites/sites.js');
  const { generateId } = await import('../src/crypto/opaque-token.js');
  await migrateDatabase(url);
  const db = openDatabase(url);
  const keyring = createKeyring(key);
  const { site, siteToken } = await createSites(db, async () => undefined, undefined).create('Scale');
  const row = (ownerType: string, ownerId: string, account: string) => {
    const id = generateId('conn');
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
    };
  };
  await db.connection.create({ data: row('SITE', '', '1') });
  const started = Date.now();
  for (let offset = 0; offset < END_USERS; offset += BATCH) {
    const rows = [];
    for (let index = offset; index < Math.min(END_USERS, offset + BATCH); index += 1) rows.push(row('END_USER', `user-${index}`, String(1000 + index)));
    await db.connection.createMany({ data: rows });
  }
  console.log(`seeded ${END_USERS} end-user connections (+1 of the site) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await db.$disconnect();
  return siteToken;
}

async function measure(url: string, token: string, label: string, body: () => string) {
  type Result = { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; mismatches?: number };
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
  const errors = result.non2xx + result.errors + (result.mismatches ?? 0);
  console.log(`${label.padEnd(48)} ${result.requests.average.toFixed(0).padStart(7)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  errors ${errors}`);
  return result.requests.average;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-scale-'));
  const url = `file:${join(dir, 'scale.db')}`;
  const key = randomBytes(32);
  const child = fork(fileURLToPath(import.meta.url), ['--serve-gateway'], {
    env: { ...process.env, DATABASE_URL: url, LATCHKEY_ENCRYPTION_KEY: key.toString('base64'), PORT: '0', LATCHKEY_LOG_LEVEL: 'error' },
    execArgv: process.execArgv,
    stdio: 'inherit',
  });
  try {
    const token = await seed(url, key);
    child.send({ type: 'start' });
    const ready = await new Promise<{ url: string }>((resolve) => child.once('message', (message: { url: string }) => resolve(message)));
    const own = JSON.stringify({ query: '{ secrets { github { bearerToken } } }' });
    const endUserQuery = 'query ($u: String) { secrets(endUser: $u) { github { bearerToken } } }';
    const random = () => JSON.stringify({ query: endUserQuery, variables: { u: `user-${Math.floor(Math.random() * END_USERS)}` } });
    await measure(ready.url, token, 'warm-up', () => own);
    const siteOwn = await measure(ready.url, token, '(a) site-own secrets { github { bearerToken } }', () => own);
    const endUser = await measure(ready.url, token, '(b) secrets(endUser: random) { github { … } }', random);
    console.log(`ratio (b)/(a): ${((endUser / siteOwn) * 100).toFixed(0)}% (target ≥ 80%)`);
    const rss = await new Promise<number>((resolve) => {
      child.once('message', (message: { rss: number }) => resolve(message.rss));
      child.send({ type: 'rss' });
    });
    console.log(`gateway RSS after the runs: ${(rss / 1024 / 1024).toFixed(0)} MB (target < 300 MB)`);

    const page = 'query ($after: String) { connections(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }';
    const times: number[] = [];
    let after: string | null = null;
    let rows = 0;
    do {
      const started = performance.now();
      const response = await fetch(`${ready.url}/graphql`, {
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
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve-gateway') {
  process.once('message', () => void serveGateway());
} else {
  await main();
}
