// npm run bench: how fast the gateway answers, on loopback, against the local GitHub fake.
//   (a) secrets { github { bearerToken } }       the token read functions do
//   (b) github { viewer { login } }              pass-through, revalidated upstream with its ETag
//   (c) GET /user on the fake, directly          the same upstream call without the gateway
//   (d) a bare graphql-yoga answering { __typename }, the ceiling for any yoga server
//   (e) proxy(service: "github", path: "/user")  the authenticated proxy, revalidated with its ETag
// Each server runs in its own process (forked from this file); autocannon drives them from this
// one. Prints requests per second and p50/p99 latency under load (50 connections) and unloaded
// (1 connection), then the ratios with their targets as met/missed. Exits non-zero only on errors.
//   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 50), BENCH_LATENCY_SECONDS (default 3),
//   BENCH_ROUNDS (default 1): run all four cases this many times, interleaved, and keep each case's
//   best round (on a shared machine the least disturbed one)
//   BENCH_PROFILE_DIR: write a V8 CPU profile of each server process there (open in Chrome DevTools)
//   BENCH_ONLY=a,b: measure only these cases (the ratios then need the cases they compare)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { completeInBrowser } from './bench-browser.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 3);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const ONLY = process.env.BENCH_ONLY?.split(',').map((key) => key.trim());
const VIEWER_LOGIN = 'octokit-fixture-user-a';

// ---------------------------------------------------------------------------------------------
// The server processes

interface Ready {
  type: 'ready';
  url: string;
  [field: string]: unknown;
}

function send(message: unknown): void {
  process.send!(message);
}

async function serveUpstream(): Promise<void> {
  const { startFakeGitHub } = await import('../test/support/fake-github.js');
  const fake = await startFakeGitHub();
  process.on('message', (message: { type: string; token?: string }) => {
    if (message.type === 'stats') {
      send({
        type: 'stats',
        apiRequests: fake.state.apiRequests,
        notModified: fake.state.notModifiedResponses,
        quotaUsed: message.token ? fake.state.quotaUsed(message.token) : 0,
      });
    }
  });
  send({ type: 'ready', url: fake.url, env: fake.env, clientId: fake.clientId, clientSecret: fake.clientSecret });
}

async function serveGateway(): Promise<void> {
  // The same V8 settings as `latchkey serve` (LATCHKEY_WASM_TIER_UP=1 measures V8's defaults).
  (await import('../src/runtime-flags.js')).applyGatewayV8Flags(process.env);
  const { loadConfig } = await import('../src/config.js');
  const { createLogger } = await import('../src/logger.js');
  const { startGateway } = await import('../src/server.js');
  const config = loadConfig(process.env);
  const gateway = await startGateway(config, createLogger(config.logLevel));
  send({ type: 'ready', url: gateway.url, tokenCacheMs: config.tokenCacheMs, connectionCacheMs: config.connectionCacheMs });
}

async function serveBareYoga(): Promise<void> {
  const { createSchema, createYoga } = await import('graphql-yoga');
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello: String }' }),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    logging: false,
  });
  const server = createServer(yoga);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

// ---------------------------------------------------------------------------------------------
// The driver

interface AutocannonOptions {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  warmup?: { connections: number; duration: number };
  verifyBody?: (body: string) => boolean;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  warmup?: AutocannonResult;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
}

type AutocannonInstance = PromiseLike<AutocannonResult> & {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
};

// Loaded by the driver only (the server processes run this file too).
const autocannon = (options: AutocannonOptions) =>
  (createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => AutocannonInstance)(options);

interface Case {
  key: 'a' | 'b' | 'c' | 'd' | 'e';
  label: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  verify: (body: string) => boolean;
  /** The process answering (c)'s calls is the upstream's; (a) and (b)'s the gateway's. */
  server: ChildProcess;
}

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  unloadedP50: number;
  unloadedP99: number;
  requests: number;
  /** CPU time the answering server spent per request under load (µs): its cost with a core to itself. */
  cpuPerRequest: number;
  problems: string[];
}

function start(role: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; ready: Ready }> {
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const child = fork(fileURLToPath(import.meta.url), [role], {
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready`)));
    child.on('message', (message: Ready) => {
      if (message.type === 'ready') resolve({ child, ready: message });
    });
  });
}

function ask<T>(child: ChildProcess, message: { type: string; [field: string]: unknown }): Promise<T> {
  return new Promise((resolve) => {
    const listener = (answer: { type: string }) => {
      if (answer.type !== message.type) return;
      child.off('message', listener);
      resolve(answer as T);
    };
    child.on('message', listener);
    child.send(message);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function graphql(url: string, token: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: Array<{ message: string }>; extensions?: any };
  if (body.errors) throw new Error(`GraphQL error: ${body.errors.map((error) => error.message).join('; ')}`);
  return body;
}

/** Creates a site and connects GitHub through the gateway's own callback, as a browser would. */
async function connectSite(gatewayUrl: string, adminToken: string): Promise<string> {
  const origin = 'http://bench.test';
  const created = await graphql(gatewayUrl, adminToken, 'mutation ($input: CreateSiteInput!) { createSite(input: $input) { siteToken } }', {
    input: { name: 'bench', allowedOrigins: [origin] },
  });
  const siteToken: string = created.data.createSite.siteToken;
  const started = await graphql(gatewayUrl, siteToken, 'mutation { startAuth(input: { service: GITHUB, scopes: ["read:user"], returnTo: "http://bench.test/done" }) { authorizationUrl } }');
  await completeInBrowser(started.data.startAuth.authorizationUrl as string);
  return siteToken;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

async function run(testCase: Case, connections: number, duration: number, warmup: boolean) {
  const samples: number[] = [];
  const instance = autocannon({
    url: testCase.url,
    method: testCase.method,
    headers: testCase.headers,
    ...(testCase.body ? { body: testCase.body } : {}),
    connections,
    duration,
    ...(warmup ? { warmup: { connections, duration: 1 } } : {}),
    verifyBody: testCase.verify,
  });
  // autocannon's own percentiles are whole milliseconds; these keep the fractions.
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => samples.push(responseTimeMs));
  const result = await instance;
  const sorted = Float64Array.from(samples).sort();
  const problems: string[] = [];
  if (result.non2xx) problems.push(`${result.non2xx} non-2xx answers`);
  if (result.errors) problems.push(`${result.errors} errors`);
  if (result.timeouts) problems.push(`${result.timeouts} timeouts`);
  if (result.mismatches) problems.push(`${result.mismatches} wrong bodies`);
  return { result, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), problems };
}

async function measure(testCase: Case): Promise<Measurement> {
  const probe = await fetch(testCase.url, { method: testCase.method, headers: testCase.headers, body: testCase.body });
  const text = await probe.text();
  if (!probe.ok || !testCase.verify(text)) throw new Error(`(${testCase.key}) answered ${probe.status} unexpectedly: ${text.slice(0, 300)}`);
  const cpuBefore = await ask<{ micros: number }>(testCase.server, { type: 'cpu' });
  const loaded = await run(testCase, CONNECTIONS, SECONDS, true);
  const cpuAfter = await ask<{ micros: number }>(testCase.server, { type: 'cpu' });
  const unloaded = await run(testCase, 1, LATENCY_SECONDS, false);
  const loadedRequests = (loaded.result.warmup?.requests.total ?? 0) + loaded.result.requests.total;
  return {
    cpuPerRequest: (cpuAfter.micros - cpuBefore.micros) / Math.max(1, loadedRequests),
    rps: loaded.result.requests.average,
    p50: loaded.p50,
    p99: loaded.p99,
    unloadedP50: unloaded.p50,
    unloadedP99: unloaded.p99,
    requests: (loaded.result.warmup?.requests.total ?? 0) + loaded.result.requests.total + unloaded.result.requests.total,
    problems: [...loaded.problems, ...unloaded.problems],
  };
}

interface UpstreamStats {
  apiRequests: number;
  notModified: number;
  quotaUsed: number;
}

/** The least disturbed round: the highest throughput, and the lowest unloaded latency. */
function best(measured: Measurement[]): Measurement {
  const fastest = measured.reduce((a, b) => (b.rps > a.rps ? b : a));
  const quickest = measured.reduce((a, b) => (b.unloadedP50 < a.unloadedP50 ? b : a));
  return {
    ...fastest,
    unloadedP50: quickest.unloadedP50,
    unloadedP99: quickest.unloadedP99,
    cpuPerRequest: Math.min(...measured.map((measurement) => measurement.cpuPerRequest)),
    problems: measured.flatMap((measurement) => measurement.problems),
  };
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-bench-'));
  let failed = false;
  try {
    const upstream = await start('--serve-upstream');
    children.push(upstream.child);
    const port = await freePort();
    const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
    const gateway = await start('--serve-gateway', {
      DATABASE_URL: `file:${join(dir, 'bench.db')}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LATCHKEY_ADMIN_TOKEN: adminToken,
      LATCHKEY_LOG_LEVEL: 'warn',
      // Cases (a) to (e) measure the read path, limiter included, not RATE_LIMITED answers.
      LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
      LATCHKEY_RATE_LIMIT_SITE_PER_MINUTE: '10000000',
      ...(upstream.ready.env as Record<string, string>),
      LATCHKEY_GITHUB_CLIENT_ID: String(upstream.ready.clientId),
      LATCHKEY_GITHUB_CLIENT_SECRET: String(upstream.ready.clientSecret),
    });
    children.push(gateway.child);
    const bare = await start('--serve-bare');
    children.push(bare.child);

    const siteToken = await connectSite(gateway.ready.url, adminToken);
    const bearer: string = (await graphql(gateway.ready.url, siteToken, '{ secrets { github { bearerToken } } }')).data.secrets.github.bearerToken;
    const post = (url: string, query: string, token?: string): Pick<Case, 'url' | 'method' | 'headers' | 'body'> => ({
      url: `${url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const cases: Case[] = [
      { key: 'd', label: 'bare graphql-yoga { __typename }', ...post(bare.ready.url, '{ __typename }'), verify: (body) => body === '{"data":{"__typename":"Query"}}', server: bare.child },
      { key: 'a', label: 'secrets { github { bearerToken } }', ...post(gateway.ready.url, '{ secrets { github { bearerToken } } }', siteToken), verify: (body) => body.includes(bearer), server: gateway.child },
      { key: 'b', label: 'github { viewer { login } } (pass-through)', ...post(gateway.ready.url, '{ github { viewer { login } } }', siteToken), verify: (body) => body.includes(`"login":"${VIEWER_LOGIN}"`), server: gateway.child },
      {
        key: 'e',
        label: 'proxy(service: "github", path: "/user")',
        ...post(gateway.ready.url, '{ proxy(service: "github", path: "/user") { status json } }', siteToken),
        verify: (body) => body.includes(`"login":"${VIEWER_LOGIN}"`) && body.includes('"status":200'),
        server: gateway.child,
      },
      {
        key: 'c',
        label: 'GET /user on the upstream, direct',
        url: `${upstream.ready.url}/user`,
        method: 'GET',
        headers: { authorization: `Bearer ${bearer}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'bench' },
        verify: (body) => body.includes(`"login":"${VIEWER_LOGIN}"`),
        server: upstream.child,
      },
    ];

    console.log(`Latchkey benchmark: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`);
    console.log(`${CONNECTIONS} connections for ${SECONDS} s (after 1 s warm-up), then 1 connection for ${LATENCY_SECONDS} s; loopback, one process per server; best of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}.`);
    console.log(`load average before: ${loadAverage()}`);
    console.log(`gateway: SQLite, site-token cache ${gateway.ready.tokenCacheMs ?? 'absent'} ms, connection cache ${gateway.ready.connectionCacheMs} ms\n`);

    const rounds = new Map<Case['key'], Measurement[]>(cases.map((testCase) => [testCase.key, []]));
    let quota = { queries: 0, upstreamCalls: 0, notModified: 0, quotaUsed: 0 };
    // The probe fills the ETag cache; from then on the upstream answer of (b) never changes.
    await fetch(cases[2]!.url, { method: 'POST', headers: cases[2]!.headers, body: cases[2]!.body }).then((response) => response.text());
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const testCase of cases.filter((candidate) => !ONLY || ONLY.includes(candidate.key))) {
        process.stdout.write(`round ${round}/${ROUNDS}: (${testCase.key}) ${testCase.label} …\n`);
        const before = testCase.key === 'b' ? await ask<UpstreamStats>(upstream.child, { type: 'stats', token: bearer }) : undefined;
        const measurement = await measure(testCase);
        rounds.get(testCase.key)!.push(measurement);
        if (before) {
          const after = await ask<UpstreamStats>(upstream.child, { type: 'stats', token: bearer });
          quota = {
            queries: quota.queries + measurement.requests + 1,
            upstreamCalls: quota.upstreamCalls + after.apiRequests - before.apiRequests,
            notModified: quota.notModified + after.notModified - before.notModified,
            quotaUsed: quota.quotaUsed + after.quotaUsed - before.quotaUsed,
          };
        }
      }
    }
    const results = new Map<Case['key'], Measurement>(
      [...rounds].filter(([, measured]) => measured.length > 0).map(([key, measured]) => [key, best(measured)]),
    );
    const measured = cases.filter((testCase) => results.has(testCase.key));

    const rows = measured.map((testCase) => {
      const m = results.get(testCase.key)!;
      return [`(${testCase.key}) ${testCase.label}`, fixed(m.rps, 0), fixed(m.p50), fixed(m.p99), fixed(m.unloadedP50, 3), fixed(m.unloadedP99, 3), fixed(m.cpuPerRequest, 0)];
    });
    const header = ['case', 'req/s', `p50 ms @${CONNECTIONS}`, `p99 ms @${CONNECTIONS}`, 'p50 ms @1', 'p99 ms @1', 'server CPU µs/req'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
    console.log(`\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`);
    for (const row of rows) console.log(line(row));
    console.log(`load average after: ${loadAverage()}`);

    const { a, b, c, d, e } = Object.fromEntries(results) as Partial<Record<Case['key'], Measurement>>;
    console.log('\nratios');
    if (a && d) {
      const ratio = a.rps / d.rps;
      console.log(`  (a)/(d) throughput          ${fixed(ratio * 100, 1)} %   target ≥ 70 %: ${verdict(ratio >= 0.7)}`);
      console.log(`  (a)/(d) by server CPU/req   ${fixed((d.cpuPerRequest / a.cpuPerRequest) * 100, 1)} %   (the throughput ratio with a core per server, less sensitive to a busy machine)`);
    }
    if (b && c) {
      const overhead = b.unloadedP50 - c.unloadedP50;
      const signed = (value: number, digits: number) => `${value >= 0 ? '+' : ''}${fixed(value, digits)}`;
      console.log(`  (b)/(c) throughput          ${fixed((b.rps / c.rps) * 100, 1)} %`);
      console.log(`  (b) − (c) p50, 1 connection ${signed(overhead, 3)} ms   target < 1 ms: ${verdict(overhead < 1)}`);
      console.log(`  (b) − (c) p50, ${CONNECTIONS} connections ${signed(b.p50 - c.p50, 2)} ms (queueing at saturation: the gateway's lower throughput shows here)`);
    }
    if (e && c) {
      const overhead = e.unloadedP50 - c.unloadedP50;
      console.log(`  (e) − (c) p50, 1 connection ${overhead >= 0 ? '+' : ''}${fixed(overhead, 3)} ms   target < 1 ms: ${verdict(overhead < 1)}`);
    }
    if (b) {
      console.log(
        `  (b) repeated, upstream unchanged: ${quota.upstreamCalls} upstream calls (one per query; ~${quota.queries} counted by autocannon, which misses those in flight when it stops), ${quota.notModified} answered 304 Not Modified; quota used +${quota.quotaUsed}   target 0: ${verdict(quota.quotaUsed === 0 && quota.upstreamCalls > 0 && quota.notModified === quota.upstreamCalls)}`,
      );
    }

    for (const testCase of measured) {
      const problems = results.get(testCase.key)!.problems;
      if (problems.length > 0) {
        failed = true;
        console.error(`(${testCase.key}) had errors: ${problems.join(', ')}`);
      }
    }
  } catch (error) {
    failed = true;
    console.error(error instanceof Error ? error.message : error);
  } finally {
    for (const child of children) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

const role = process.argv[2];
// A server process ends with its driver, and tells it the CPU time it has used.
if (role?.startsWith('--serve-')) {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'cpu') return;
    const usage = process.cpuUsage();
    send({ type: 'cpu', micros: usage.user + usage.system });
  });
}
if (role === '--serve-upstream') await serveUpstream();
else if (role === '--serve-gateway') await serveGateway();
else if (role === '--serve-bare') await serveBareYoga();
else await main();
