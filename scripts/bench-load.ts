// npm run bench:load: 200 concurrent clients against one gateway for BENCH_LOAD_SECONDS (default 30),
// mixing well-behaved traffic with abuse, and whether the well-behaved clients still get every answer
// on time. The gateway runs with its default rate limits, as `npm start` does.
//   well-behaved (this process, from 127.0.0.1):
//     100 readers: `secrets { github { bearerToken } }` with their own function token, one request
//                  every BENCH_READ_INTERVAL_MS (default 1000) each; every answer must carry the token
//      20 long-pollers: authAttempt(id, waitSeconds: 5) on a pending attempt, again and again; every
//                  answer must be PENDING after the wait
//   abusive (a forked process, as fast as each connection goes):
//      30 token guessers (from 127.0.0.2): random lks_ tokens
//      25 startAuth flooders (127.0.0.3): a valid site token of their own site, startAuth again and again
//      25 huge-query senders (127.0.0.4), the same site token: a 2 MB body, a 200 KB query, a query
//         nested 200 deep, 2,000 aliases of one field
// First the same readers' query runs alone from one client for BENCH_UNLOADED_SECONDS (default 10),
// one read every 5 ms at most: the unloaded p99. The target: readers' p99 under load within 3× the unloaded p99, nothing lost.
// Between the two, what one refusal costs: the token guessers, then the startAuth flooders, each kind
// alone (other addresses, another site) for BENCH_COST_SECONDS (default 5) once refused, and the
// gateway's CPU time over the requests they sent. BENCH_LOAD_NO_EDGE=1 turns the refusals before yoga
// off (the baseline); LATCHKEY_RATE_LIMIT_TARPIT_MS=0 the tarpit; BENCH_LOAD_ABUSE=guess,startAuth picks
// the kinds of abuser in the loaded phase; BENCH_LOAD_CPU_PROF=<dir> writes a CPU profile of the
// gateway over the loaded phase (the unloaded one with BENCH_LOAD_CPU_PROF_UNLOADED=1);
// BENCH_LOAD_TIMELINE=1 what the gateway did in the abuse's first 2 s, per 100 ms. Each phase also
// reports the gateway's event-loop delay, GC pauses and the readers' time inside it (docs/benchmark.md).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completeInBrowser } from './bench-browser.js';
import { ask, freePort } from './bench-child.js';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const UNLOADED_SECONDS = Number(process.env.BENCH_UNLOADED_SECONDS ?? 10);
const READ_INTERVAL_MS = Number(process.env.BENCH_READ_INTERVAL_MS ?? 1000);
const COST_SECONDS = Number(process.env.BENCH_COST_SECONDS ?? 5);
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 3);
const READERS = 100;
const LONG_POLLERS = 20;
const ABUSERS = { guess: 30, startAuth: 25, huge: 25 };

interface Answer {
  status: number;
  body: string;
  ms: number;
  /** Whether the request opened a new connection, and when it was connected (ms after the start). */
  newSocket?: boolean;
  connectedMs?: number;
  /** For the readers: ms from sending to the gateway's HTTP server handing the request over (its clock stamp). */
  beforeHandlerMs?: number;
  /** On a new connection, ms from sending to the gateway accepting the connection. */
  acceptedMs?: number;
}

/** One POST over a keep-alive agent; never rejects (a failed request is status 0). */
function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const started = performance.now();
  let newSocket = false;
  let connectedMs = 0;
  return new Promise((resolve) => {
    const request = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const received = Number(response.headers['x-bench-received']);
      const beforeHandlerMs = Number.isFinite(received) ? received - (performance.timeOrigin + started) : undefined;
      const accepted = Number(response.headers['x-bench-accepted']);
      const acceptedMs = newSocket && Number.isFinite(accepted) ? accepted - (performance.timeOrigin + started) : undefined;
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started, newSocket, connectedMs, beforeHandlerMs, acceptedMs }));
      response.on('error', () => resolve({ status: 0, body: '', ms: performance.now() - started }));
    });
    request.on('error', (error) => resolve({ status: 0, body: String(error), ms: performance.now() - started }));
    request.once('socket', (socket) => {
      if (!socket.connecting) return;
      newSocket = true;
      socket.once('connect', () => (connectedMs = performance.now() - started));
    });
    request.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Probes: what held an event loop over a phase

interface LoopFigures {
  loopP50: number;
  loopP99: number;
  loopMax: number;
}

function loopFigures(histogram: import('node:perf_hooks').IntervalHistogram): LoopFigures {
  // Nanoseconds, of the delay beyond the 5 ms resolution timer.
  return { loopP50: histogram.percentile(50) / 1e6, loopP99: histogram.percentile(99) / 1e6, loopMax: histogram.max / 1e6 };
}

function gcFigures(pauses: number[]) {
  const sorted = Float64Array.from(pauses).sort();
  return {
    count: sorted.length,
    totalMs: sorted.reduce((sum, value) => sum + value, 0),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
    over10: sorted.filter((value) => value > 10).length,
  };
}

type Probe = LoopFigures & { gc: ReturnType<typeof gcFigures> & { majors: number; majorMaxMs: number }; inside: { p50: number; p99: number; max: number }; connections: number };

const describeProbe = (probe: Probe) =>
  `${probe.connections} connections accepted; reads inside the gateway p50 ${probe.inside.p50.toFixed(1)} / p99 ${probe.inside.p99.toFixed(1)} / max ${probe.inside.max.toFixed(0)} ms; event-loop delay p50 ${probe.loopP50.toFixed(1)} / p99 ${probe.loopP99.toFixed(1)} / max ${probe.loopMax.toFixed(0)} ms; GC ${probe.gc.count} pauses, ${probe.gc.totalMs.toFixed(0)} ms in all, longest ${probe.gc.maxMs.toFixed(1)} ms, ${probe.gc.over10} over 10 ms, ${probe.gc.majors} of them full (mark-compact, longest ${probe.gc.majorMaxMs.toFixed(1)} ms)`;

// ---------------------------------------------------------------------------------------------
// The server processes

async function serveUpstream(): Promise<void> {
  const { startFakeGitHub } = await import('../test/support/fake-github.js');
  const fake = await startFakeGitHub();
  process.send!({ type: 'ready', url: fake.url, env: fake.env, clientId: fake.clientId, clientSecret: fake.clientSecret });
}

async function serveGateway(): Promise<void> {
  // The same V8 settings as `latchkey serve` (LATCHKEY_WASM_TIER_UP=1 measures V8's defaults).
  (await import('../src/runtime-flags.js')).applyGatewayV8Flags(process.env);
  const { loadConfig } = await import('../src/config.js');
  const { createLogger } = await import('../src/logger.js');
  const { startGateway } = await import('../src/server.js');
  const config = loadConfig(process.env);
  const gateway = await startGateway(config, createLogger('error'));
  // BENCH_LOAD_NO_EDGE=1: every refusal through yoga, as before the edge refusals (the baseline).
  if (process.env.BENCH_LOAD_NO_EDGE === '1') gateway.edge.handle = () => false;
  // BENCH_LOAD_CPU_PROF=<dir>: a CPU profile of the gateway over the loaded phase only.
  const { Session } = await import('node:inspector/promises');
  const session = process.env.BENCH_LOAD_CPU_PROF ? new Session() : undefined;
  session?.connect();
  // What holds the event loop over a phase: its delay (monitorEventLoopDelay) and the GC pauses.
  const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
  let loop = monitorEventLoopDelay({ resolution: 5 });
  let pauses: number[] = [];
  let majors: number[] = [];
  // The readers' requests (function tokens) from the moment the HTTP server hands them over to the
  // moment their answer is written: the time spent inside the gateway, as against the clients' view.
  let inside: number[] = [];
  gateway.server.prependListener('request', (request, response) => {
    if (!request.headers.authorization?.startsWith('Bearer lkf_')) return;
    const began = performance.now();
    // The absolute moment the request was handed over, so that the client can tell its wait before
    // the handler (accept, the socket's turn, parsing) from the time inside.
    response.setHeader('x-bench-received', String(performance.timeOrigin + began));
    // A connection's first request also says when the connection was accepted.
    const socket = request.socket as { benchAccepted?: number };
    if (socket.benchAccepted !== undefined) response.setHeader('x-bench-accepted', String(socket.benchAccepted));
    socket.benchAccepted = undefined;
    response.once('finish', () => inside.push(performance.now() - began));
  });
  let connections = 0;
  gateway.server.on('connection', (socket) => {
    connections += 1;
    (socket as { benchAccepted?: number }).benchAccepted = performance.timeOrigin + performance.now();
  });
  // BENCH_LOAD_TIMELINE=1: the first 2 s of the loaded phase, where the abuse arrives: each GC pause,
  // each stall of the event loop over 4 ms (a 1 ms timer's lateness) and each answered request, by
  // kind, with the moment (ms into the phase) it was handed over.
  const timelineOn = process.env.BENCH_LOAD_TIMELINE === '1';
  let timelineStart = 0;
  const timeline = { gc: [] as Array<[number, number]>, stalls: [] as Array<[number, number]>, requests: [] as Array<[number, string]> };
  const inTimeline = () => timelineStart > 0 && performance.now() - timelineStart < 2000;
  if (timelineOn) {
    gateway.server.prependListener('request', (request, response) => {
      if (!inTimeline()) return;
      const at = performance.now() - timelineStart;
      response.once('finish', () => {
        const status = response.statusCode;
        const kind = request.headers.authorization?.startsWith('Bearer lkf_') ? 'read'
          : status === 401 ? 'failed-auth'
          : status === 429 ? 'refused'
          : Number(request.headers['content-length']) > 100_000 ? 'large-document'
          : 'site-token';
        timeline.requests.push([at, kind]);
      });
    });
  }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (inTimeline()) timeline.gc.push([entry.startTime - timelineStart, entry.duration]);
      pauses.push(entry.duration);
      // NODE_PERFORMANCE_GC_MAJOR (mark-compact) is 4; minor (scavenge) 1, incremental marking 8.
      if ((entry as { detail?: { kind?: number } }).detail?.kind === 4) majors.push(entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'timeline-start' && timelineOn) {
      timelineStart = performance.now();
      let last = timelineStart;
      const stalls = setInterval(() => {
        const now = performance.now();
        if (now - last > 4) timeline.stalls.push([last - timelineStart, now - last]);
        last = now;
        if (!inTimeline()) clearInterval(stalls);
      }, 1);
    }
    if (message.type === 'timeline') process.send!({ type: 'timeline', ...timeline });
    if (message.type === 'probe-start') {
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      pauses = [];
      majors = [];
      inside = [];
      connections = 0;
    }
    if (message.type === 'probe-stop') {
      loop.disable();
      process.send!({ type: 'probe-stop', ...loopFigures(loop), gc: { ...gcFigures(pauses), majors: majors.length, majorMaxMs: Math.max(0, ...majors) }, inside: { p50: percentile(inside, 0.5), p99: percentile(inside, 0.99), max: percentile(inside, 1) }, connections });
    }
    if (message.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss });
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!({ type: 'cpu', micros: user + system });
    }
    if (message.type === 'profile-start' && session) {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    if (message.type === 'profile-stop' && session) {
      const { profile } = await session.post('Profiler.stop');
      const { writeFile, mkdir } = await import('node:fs/promises');
      await mkdir(process.env.BENCH_LOAD_CPU_PROF!, { recursive: true });
      const file = join(process.env.BENCH_LOAD_CPU_PROF!, `gateway-${Date.now()}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      process.send!({ type: 'profile', file });
    }
  });
  process.send!({ type: 'ready', url: gateway.url });
}

/** The abusers, from 127.0.0.2: runs until told to stop, then reports what each kind got back. */
async function abuse(): Promise<void> {
  const { url, siteToken, counts = ABUSERS, addressOffset = 0, warmUntilRefused = false } = await new Promise<{ url: string; siteToken: string; counts?: typeof ABUSERS; addressOffset?: number; warmUntilRefused?: boolean }>((resolve) => process.once('message', resolve));
  // Each kind from its own address, so that one defence (the failed-authentication lockout of an
  // address) does not hide the others; huge bodies on fresh connections (a refused body is not read).
  const agents = {
    guess: new Agent({ keepAlive: true, localAddress: `127.0.0.${2 + addressOffset}`, maxSockets: 1000 }),
    startAuth: new Agent({ keepAlive: true, localAddress: `127.0.0.${3 + addressOffset}`, maxSockets: 1000 }),
    huge: new Agent({ keepAlive: false, localAddress: `127.0.0.${4 + addressOffset}`, maxSockets: 1000 }),
  };
  let outcomes: Record<string, Record<string, number>> = { guess: {}, startAuth: {}, huge: {} };
  // warmUntilRefused: the counting starts at the first 429 (the driver is told), so that only refusals count.
  let warming = warmUntilRefused;
  const record = (kind: string, answer: Answer) => {
    if (warming) {
      if (answer.status !== 429) return;
      warming = false;
      outcomes = { guess: {}, startAuth: {}, huge: {} };
      process.send!({ type: 'warm' });
      return;
    }
    const code = /"code":"([A-Z_]+)"/.exec(answer.body)?.[1];
    const key = `${answer.status}${code ? ` ${code}` : ''}`;
    outcomes[kind]![key] = (outcomes[kind]![key] ?? 0) + 1;
  };
  let running = true;
  process.once('message', () => (running = false));
  const graphqlUrl = `${url}/graphql`;
  const huge = [
    JSON.stringify({ query: `{ secrets { github { bearerToken } } } # ${'x'.repeat(2 * 1024 * 1024)}` }),
    JSON.stringify({ query: `{ secrets { github { isLoggedIn } } } # ${'x'.repeat(200 * 1024)}` }),
    JSON.stringify({ query: `{ ${'secrets { github { grantedScopes { scope } } } a: '.repeat(1)}${'{ __typename '.repeat(200)}${'}'.repeat(200)} }` }),
    JSON.stringify({ query: `{ ${Array.from({ length: 2000 }, (_, index) => `a${index}: secrets { github { isLoggedIn } }`).join(' ')} }` }),
  ];
  const loops: Array<Promise<void>> = [];
  for (let index = 0; index < counts.guess; index += 1) {
    loops.push((async () => {
      while (running) record('guess', await post(agents.guess, graphqlUrl, { authorization: `Bearer lks_${randomBytes(32).toString('base64url')}` }, '{"query":"{ secrets { github { bearerToken } } }"}'));
    })());
  }
  for (let index = 0; index < counts.startAuth; index += 1) {
    loops.push((async () => {
      while (running) {
        record('startAuth', await post(agents.startAuth, graphqlUrl, { authorization: `Bearer ${siteToken}` }, JSON.stringify({ query: 'mutation { startAuth(input: { service: GITHUB }) { attemptId } }' })));
      }
    })());
  }
  for (let index = 0; index < counts.huge; index += 1) {
    loops.push((async () => {
      for (let round = index; running; round += 1) record('huge', await post(agents.huge, graphqlUrl, { authorization: `Bearer ${siteToken}` }, huge[round % huge.length]!));
    })());
  }
  await Promise.all(loops);
  process.send!({ type: 'done', outcomes });
  for (const agent of Object.values(agents)) agent.destroy();
}

// ---------------------------------------------------------------------------------------------
// The driver

function start(role: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const child = fork(fileURLToPath(import.meta.url), [role], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready`)));
    child.on('message', (message: { type: string }) => {
      if (message.type === 'ready') resolve({ child, ready: message as Record<string, unknown> });
    });
  });
}

async function graphql(url: string, token: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: Array<{ message: string }> };
  if (body.errors) throw new Error(`GraphQL error: ${body.errors.map((error) => error.message).join('; ')}`);
  return body.data;
}

async function createSite(url: string, adminToken: string, name: string): Promise<string> {
  const data = await graphql(url, adminToken, 'mutation ($input: CreateSiteInput!) { createSite(input: $input) { siteToken } }', { input: { name, allowedOrigins: ['http://bench.test'] } });
  return data.createSite.siteToken;
}

/** Connects the site's GitHub through the gateway's own callback, as a browser would. */
async function connectGitHub(url: string, siteToken: string): Promise<void> {
  const started = await graphql(url, siteToken, 'mutation { startAuth(input: { service: GITHUB, scopes: ["read:user"], returnTo: "http://bench.test/done" }) { authorizationUrl } }');
  await completeInBrowser(started.startAuth.authorizationUrl as string);
}

/** Runs one kind of abuser alone until it is refused, then for `seconds`: the gateway's CPU per refusal. */
async function refusalCost(gateway: ChildProcess, url: string, siteToken: string, kind: keyof typeof ABUSERS, addressOffset: number, seconds: number) {
  const abuser = fork(fileURLToPath(import.meta.url), ['--abuse'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const warm = new Promise((resolve) => abuser.once('message', resolve));
  abuser.send({ url, siteToken, counts: { guess: 0, startAuth: 0, huge: 0, [kind]: ABUSERS[kind] }, addressOffset, warmUntilRefused: true });
  await warm;
  const before = (await ask<{ micros: number }>(gateway, 'cpu')).micros;
  await sleep(seconds * 1000);
  const done = new Promise<{ outcomes: Record<string, Record<string, number>> }>((resolve) => abuser.once('message', resolve));
  abuser.send({ type: 'stop' });
  const { outcomes } = await done;
  const after = (await ask<{ micros: number }>(gateway, 'cpu')).micros;
  const counts = outcomes[kind]!;
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return { kind, total, counts, microsPerRequest: (after - before) / Math.max(1, total) };
}

interface Timeline {
  gc: Array<[number, number]>;
  stalls: Array<[number, number]>;
  requests: Array<[number, string]>;
}

/** BENCH_LOAD_TIMELINE=1: per 100 ms of the abuse's first 2 s, the slow reads sent then and what the gateway was doing. */
function printTimeline(timeline: Timeline, reads: Array<[sentMs: number, slow: boolean]>): void {
  console.log('first 2 s of the loaded phase, per 100 ms: slow reads sent; gateway GC pauses, event-loop stalls over 4 ms (ms each), requests answered by kind');
  for (let from = 0; from < 2000; from += 100) {
    const within = ([at]: [number, ...unknown[]]) => at >= from && at < from + 100;
    const kinds = new Map<string, number>();
    for (const [, kind] of timeline.requests.filter(within)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const slowReads = reads.filter(([sent, slow]) => slow && sent >= from && sent < from + 100).length;
    const list = (entries: Array<[number, number]>) => entries.filter(within).map(([, ms]) => ms.toFixed(0)).join(' ') || '-';
    console.log(`  ${String(from).padStart(4)} ms: slow ${slowReads}; gc ${list(timeline.gc)}; stalls ${list(timeline.stalls)}; ${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  }
}

function percentile(values: number[], fraction: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]! : Number.NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-load-'));
  const children: ChildProcess[] = [];
  let failed = false;
  try {
    const upstream = await start('--serve-upstream');
    children.push(upstream.child);
    const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
    const port = await freePort();
    const gateway = await start('--serve-gateway', {
      DATABASE_URL: `file:${join(dir, 'load.db')}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LATCHKEY_ADMIN_TOKEN: adminToken,
      LATCHKEY_LOG_LEVEL: 'error',
      ...(upstream.ready.env as Record<string, string>),
      LATCHKEY_GITHUB_CLIENT_ID: String(upstream.ready.clientId),
      LATCHKEY_GITHUB_CLIENT_SECRET: String(upstream.ready.clientSecret),
    });
    children.push(gateway.child);
    const url = String(gateway.ready.url);

    // Well-behaved: one site whose functions read its GitHub token, each with its own token.
    const siteToken = await createSite(url, adminToken, 'well-behaved');
    await connectGitHub(url, siteToken);
    const bearer: string = (await graphql(url, siteToken, '{ secrets { github { bearerToken } } }')).secrets.github.bearerToken;
    const readerTokens: string[] = [];
    // The unloaded client's own tokens, taken in turn, so that reading back to back stays under the
    // per-token limit (3,000 a minute by default) like every well-behaved client.
    const UNLOADED_TOKENS = 20;
    for (let index = 0; index < READERS + UNLOADED_TOKENS; index += 1) {
      readerTokens.push((await graphql(url, siteToken, 'mutation { createFunctionToken(input: { services: [GITHUB], label: "reader" }) { token } }')).createFunctionToken.token);
    }
    // Long-pollers: each its own site (the CLI flow) and a pending attempt nobody completes.
    const pollers: Array<{ token: string; attemptId: string }> = [];
    for (let index = 0; index < LONG_POLLERS; index += 1) {
      const token = await createSite(url, adminToken, `poller-${index}`);
      const started = await graphql(url, token, 'mutation { startAuth(input: { service: GITHUB }) { attemptId } }');
      pollers.push({ token, attemptId: started.startAuth.attemptId });
    }
    const abuserSite = await createSite(url, adminToken, 'abuser');

    const agent = new Agent({ keepAlive: true, maxSockets: 1000 });
    const graphqlUrl = `${url}/graphql`;
    const readBody = '{"query":"{ secrets { github { bearerToken } } }"}';
    const read = (token: string) => post(agent, graphqlUrl, { authorization: `Bearer ${token}` }, readBody);
    const correct = (answer: Answer) => answer.status === 200 && answer.body.includes(`"bearerToken":"${bearer}"`);

    const variant = ['BENCH_LOAD_ABUSE', 'BENCH_LOAD_NO_EDGE', 'LATCHKEY_RATE_LIMIT_TARPIT_MS', 'LATCHKEY_MAX_QUERY_BYTES'].filter((name) => process.env[name] !== undefined).map((name) => `${name}=${process.env[name]}`).join(' ');
    console.log(`load test: node ${process.version}${variant ? `; ${variant}` : ''}; load average before ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
    const unloadedTokens = readerTokens.splice(READERS);
    // Unloaded: one client, one read every 5 ms at most (the tokens in turn).
    for (let warm = 0; warm < 200; warm += 1) await read(unloadedTokens[warm % UNLOADED_TOKENS]!);
    const cpuBeforeUnloaded = (await ask<{ micros: number }>(gateway.child, 'cpu')).micros;
    gateway.child.send({ type: 'probe-start' });
    // BENCH_LOAD_CPU_PROF_UNLOADED=1: the profile covers the unloaded reads instead (what one read costs).
    const profileUnloaded = process.env.BENCH_LOAD_CPU_PROF && process.env.BENCH_LOAD_CPU_PROF_UNLOADED === '1';
    if (profileUnloaded) gateway.child.send({ type: 'profile-start' });
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    let driverLoop = monitorEventLoopDelay({ resolution: 5 });
    driverLoop.enable();
    const unloaded: number[] = [];
    let unloadedWrong = 0;
    for (let turn = 0, until = performance.now() + UNLOADED_SECONDS * 1000; performance.now() < until; turn += 1) {
      const began = performance.now();
      const answer = await read(unloadedTokens[turn % UNLOADED_TOKENS]!);
      await sleep(Math.max(0, 5 - (performance.now() - began)));
      unloaded.push(answer.ms);
      if (!correct(answer)) unloadedWrong += 1;
    }

    const unloadedProbe = await ask<Probe>(gateway.child, 'probe-stop');
    const unloadedProfile = profileUnloaded ? (await ask<{ file: string }>(gateway.child, 'profile-stop', {}, 'profile')).file : undefined;
    driverLoop.disable();
    const unloadedDriver = loopFigures(driverLoop);
    // What one refusal costs the gateway: each abuse kind alone for BENCH_COST_SECONDS, from its own
    // addresses and (startAuth) its own site, so that the loaded phase starts from fresh limits.
    const cpuAfterUnloaded = (await ask<{ micros: number }>(gateway.child, 'cpu')).micros;
    const costs = [];
    const costSite = await createSite(url, adminToken, 'cost');
    // The gateway's own CPU with no request at all (timers, the sweeper, the workers, GC), per second:
    // the refusal costs below are given with it subtracted too.
    const idleBefore = (await ask<{ micros: number }>(gateway.child, 'cpu')).micros;
    await sleep(COST_SECONDS * 1000);
    const idleMicrosPerSecond = ((await ask<{ micros: number }>(gateway.child, 'cpu')).micros - idleBefore) / COST_SECONDS;
    for (const kind of ['guess', 'startAuth'] as const) costs.push(await refusalCost(gateway.child, url, costSite, kind, 10, COST_SECONDS));
    // The abusers' process starts now and waits for its orders. The well-behaved clients run for
    // BENCH_WARM_SECONDS first, unmeasured: each reader's first read with its new token on a new
    // connection, each poller's first document. The unloaded figure is a warm client's, so the loaded
    // one is too; the warm-up's own figures are printed beside it. Then the abuse begins, all of it
    // at once, and the measured phase with it.
    const abuser = fork(fileURLToPath(import.meta.url), ['--abuse'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(abuser);
    // BENCH_LOAD_ABUSE=guess,huge: only those kinds of abuser in the loaded phase (default all three).
    const kinds = (process.env.BENCH_LOAD_ABUSE ?? 'guess,startAuth,huge').split(',');
    const started = performance.now();
    let until = Number.POSITIVE_INFINITY;
    let measuring = false;
    let measureStart = Number.POSITIVE_INFINITY;
    let cpuBeforeLoaded = 0;
    const warmReads: number[] = [];
    const conductor = (async () => {
      // The profiler starts with the warm-up: starting it stalls the gateway for ~0.2 s, which would
      // otherwise fall in the abuse's first second, the one the profile is wanted for.
      if (process.env.BENCH_LOAD_CPU_PROF && !profileUnloaded) gateway.child.send({ type: 'profile-start' });
      await sleep(WARM_SECONDS * 1000);
      cpuBeforeLoaded = (await ask<{ micros: number }>(gateway.child, 'cpu')).micros;
      gateway.child.send({ type: 'probe-start' });
      gateway.child.send({ type: 'timeline-start' });
      driverLoop = monitorEventLoopDelay({ resolution: 5 });
      driverLoop.enable();
      abuser.send({ url, siteToken: abuserSite, counts: Object.fromEntries(Object.entries(ABUSERS).map(([kind, count]) => [kind, kinds.includes(kind) ? count : 0])) });
      measureStart = performance.now();
      until = measureStart + SECONDS * 1000;
      measuring = true;
    })();
    const loaded: number[] = [];
    const sentAt: number[] = [];
    const slow: Answer[] = [];
    let loadedNew = 0;
    const unloadedP99Early = percentile(unloaded, 0.99);
    // When each read was sent, in 100 ms slots of the second: whether the readers stay spread out.
    const slots = new Array<number>(Math.max(1, Math.round(READ_INTERVAL_MS / 100))).fill(0);
    const wrong: string[] = [];
    let sent = 0;
    // Each reader keeps its own slot of the second (index / READERS of it): after a slow answer it
    // waits for its next slot rather than sending at once, so that one stall does not bunch them up.
    const readers = readerTokens.map(async (token, index) => {
      const offset = (READ_INTERVAL_MS * index) / READERS;
      // Until the start of this reader's next slot. A timer can fire early by as long as the loop's
      // cached clock was stale when it was set (a busy moment): it sleeps again rather than read
      // twice in one slot.
      const nextSlot = async () => {
        const slot = started + offset + (Math.floor((performance.now() - started - offset) / READ_INTERVAL_MS) + 1) * READ_INTERVAL_MS;
        while (performance.now() < slot) await sleep(slot - performance.now());
      };
      await sleep(offset);
      while (performance.now() < until) {
        const began = performance.now();
        const measured = measuring;
        if (!measured) {
          const answer = await read(token);
          warmReads.push(answer.ms);
          if (!correct(answer)) wrong.push(`warm-up: ${answer.status} ${answer.body.slice(0, 160)}`);
          await nextSlot();
          continue;
        }
        sent += 1;
        slots[Math.floor(((began - started) % READ_INTERVAL_MS) / 100) % slots.length]! += 1;
        const answer = await read(token);
        if (answer.newSocket) loadedNew += 1;
        loaded.push(answer.ms);
        sentAt.push(began - measureStart);
        if (answer.ms > 3 * unloadedP99Early) slow.push(answer);
        if (!correct(answer)) wrong.push(`${answer.status} ${answer.body.slice(0, 160)}`);
        await nextSlot();
      }
    });
    const polls = { sent: 0, pending: 0, other: [] as string[], ms: [] as number[] };
    const pollersDone = pollers.map(async ({ token, attemptId }) => {
      while (performance.now() < until) {
        polls.sent += 1;
        const answer = await post(agent, graphqlUrl, { authorization: `Bearer ${token}` }, JSON.stringify({ query: `{ authAttempt(id: "${attemptId}", waitSeconds: 5) { status } }` }));
        polls.ms.push(answer.ms);
        if (answer.status === 200 && answer.body.includes('"status":"PENDING"')) polls.pending += 1;
        else polls.other.push(`${answer.status} ${answer.body.slice(0, 160)}`);
      }
    });
    await Promise.all([conductor, ...readers, ...pollersDone]);
    const loadedProbe = await ask<Probe>(gateway.child, 'probe-stop');
    const timeline = process.env.BENCH_LOAD_TIMELINE === '1' ? await ask<Timeline>(gateway.child, 'timeline') : undefined;
    driverLoop.disable();
    const loadedDriver = loopFigures(driverLoop);
    const cpuAfterLoaded = (await ask<{ micros: number }>(gateway.child, 'cpu')).micros;
    const profile = profileUnloaded ? unloadedProfile : process.env.BENCH_LOAD_CPU_PROF ? (await ask<{ file: string }>(gateway.child, 'profile-stop', {}, 'profile')).file : undefined;
    const abused = new Promise<{ outcomes: Record<string, Record<string, number>> }>((resolve) => abuser.once('message', resolve));
    abuser.send({ type: 'stop' });
    const { outcomes } = await abused;
    const { rss } = await ask<{ rss: number }>(gateway.child, 'rss');

    const unloadedP99 = percentile(unloaded, 0.99);
    const loadedP99 = percentile(loaded, 0.99);
    console.log(`\nwell-behaved secrets reads, 1 client alone for ${UNLOADED_SECONDS} s: ${unloaded.length} requests, p50 ${percentile(unloaded, 0.5).toFixed(2)} ms, p99 ${unloadedP99.toFixed(2)} ms, wrong ${unloadedWrong}`);
    console.log(`well-behaved secrets reads, ${READERS} readers among ${READERS + LONG_POLLERS + ABUSERS.guess + ABUSERS.startAuth + ABUSERS.huge} clients for ${SECONDS} s: ${sent} sent, ${loaded.length} answered, ${loaded.length - wrong.length} correct; p50 ${percentile(loaded, 0.5).toFixed(2)} ms, p99 ${loadedP99.toFixed(2)} ms`);
    console.log(`  before it, unmeasured: ${WARM_SECONDS} s of the well-behaved clients alone (each reader's first reads, new connections): ${warmReads.length} reads, p50 ${percentile(warmReads, 0.5).toFixed(2)} ms, p99 ${percentile(warmReads, 0.99).toFixed(2)} ms, max ${Math.max(0, ...warmReads).toFixed(0)} ms`);
    console.log(`  p99 under load / unloaded p99: ${(loadedP99 / unloadedP99).toFixed(2)}× (target ≤ 3×): ${loadedP99 <= 3 * unloadedP99 ? 'met' : 'MISSED'}`);
    console.log(`long-polls (waitSeconds: 5): ${polls.sent} sent, ${polls.pending} answered PENDING, others ${polls.other.length}; p50 ${percentile(polls.ms, 0.5).toFixed(0)} ms, max ${Math.max(...polls.ms).toFixed(0)} ms`);
    for (const [kind, counts] of Object.entries(outcomes)) {
      const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
      console.log(`abuse ${kind.padEnd(9)} ${String(total).padStart(7)} requests (${(total / SECONDS).toFixed(0)}/s): ${Object.entries(counts).map(([key, count]) => `${key} × ${count}`).join(', ')}`);
    }
    for (const cost of costs) {
      console.log(`refusal cost, ${ABUSERS[cost.kind]} ${cost.kind} abusers alone for ${COST_SECONDS} s once refused: ${cost.total} requests (${(cost.total / COST_SECONDS).toFixed(0)}/s: ${Object.entries(cost.counts).map(([key, count]) => `${key} × ${count}`).join(', ')}), gateway CPU ${cost.microsPerRequest.toFixed(0)} µs per request, ${(cost.microsPerRequest - (idleMicrosPerSecond * COST_SECONDS) / Math.max(1, cost.total)).toFixed(0)} µs less the idle gateway's`);
    }
    console.log(`gateway CPU when idle: ${(idleMicrosPerSecond / 1000).toFixed(1)} ms a second`);
    const perRead = (cpuAfterUnloaded - cpuBeforeUnloaded) / unloaded.length;
    const loadedCpu = cpuAfterLoaded - cpuBeforeLoaded;
    console.log(`gateway CPU: ${perRead.toFixed(0)} µs per unloaded read; ${(loadedCpu / 1e6).toFixed(1)} s over the loaded phase (${((loadedCpu / 1e6 / SECONDS) * 100).toFixed(0)}% of a core)`);
    console.log(`gateway, unloaded: ${describeProbe(unloadedProbe)}`);
    console.log(`gateway, under load: ${describeProbe(loadedProbe)}`);
    console.log(`this process (the clients), event-loop delay p99 unloaded ${unloadedDriver.loopP99.toFixed(1)} ms, under load ${loadedDriver.loopP99.toFixed(1)} ms (max ${loadedDriver.loopMax.toFixed(0)} ms)`);
    console.log(`reads sent per 100 ms slot of each second (readers spread): min ${Math.min(...slots)}, max ${Math.max(...slots)}`);
    const slowest = [...loaded].sort((a, b) => b - a).slice(0, 5).map((ms) => ms.toFixed(0));
    console.log(`slowest reads under load: ${slowest.join(', ')} ms; unloaded: ${[...unloaded].sort((a, b) => b - a).slice(0, 5).map((ms) => ms.toFixed(1)).join(', ')} ms`);
    const fresh = slow.filter((answer) => answer.newSocket);
    const before = slow.map((answer) => answer.beforeHandlerMs ?? Number.NaN).filter(Number.isFinite);
    console.log(`slow reads' wait before the gateway's handler: p50 ${percentile(before, 0.5).toFixed(0)} / max ${Math.max(0, ...before).toFixed(0)} ms; after it (inside and back): p50 ${percentile(slow.map((answer) => answer.ms - (answer.beforeHandlerMs ?? 0)), 0.5).toFixed(0)} ms`);
    console.log(`slow reads (over 3× the unloaded p99): ${slow.length}, ${fresh.length} of them on a new connection (connected after p50 ${percentile(fresh.map((answer) => answer.connectedMs!), 0.5).toFixed(0)} / max ${Math.max(0, ...fresh.map((answer) => answer.connectedMs!)).toFixed(0)} ms, accepted by the gateway after p50 ${percentile(fresh.map((answer) => answer.acceptedMs ?? Number.NaN).filter(Number.isFinite), 0.5).toFixed(0)} ms); new connections among all reads: ${loadedNew}`);
    // Which seconds of the loaded phase the slow reads (over 3× the unloaded p99) were sent in.
    const slowBySecond = new Map<number, number>();
    loaded.forEach((ms, index) => {
      if (ms > 3 * unloadedP99) slowBySecond.set(Math.floor(sentAt[index]! / 1000), (slowBySecond.get(Math.floor(sentAt[index]! / 1000)) ?? 0) + 1);
    });
    console.log(`reads over 3× the unloaded p99, by second of the loaded phase: ${[...slowBySecond].map(([second, count]) => `${second}s:${count}`).join(' ') || 'none'}`);
    if (timeline) printTimeline(timeline, loaded.map((ms, index) => [sentAt[index]!, ms > 3 * unloadedP99]));
    if (profile) console.log(`gateway CPU profile of the ${profileUnloaded ? 'unloaded' : 'loaded'} phase: ${profile}`);
    console.log(`gateway RSS after the run: ${(rss / 1024 / 1024).toFixed(0)} MB; load average after ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
    const lost = sent - (loaded.length - wrong.length) + unloadedWrong + polls.other.length;
    console.log(`lost or wrong well-behaved answers: ${lost}${lost ? `: ${[...wrong, ...polls.other].slice(0, 5).join(' | ')}` : ''}`);
    failed = lost > 0;
  } catch (error) {
    failed = true;
    console.error(error instanceof Error ? error.stack : error);
  } finally {
    for (const child of children) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

const role = process.argv[2];
if (role?.startsWith('--')) {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
if (role === '--serve-upstream') await serveUpstream();
else if (role === '--serve-gateway') await serveGateway();
else if (role === '--abuse') await abuse();
else await main();
