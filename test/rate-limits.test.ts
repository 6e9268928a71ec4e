// Rate limits over real HTTP with the default settings (and a small address limit on a second
// gateway behind a trusted proxy): failed authentications, startAuth floods, long-poll hoarding,
// and unauthenticated routes. A person's normal use never trips them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { MAX_WAIT_SECONDS } from '../src/connections/authorization-flow.js';
import { testDatabaseProvider } from './support/database.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const START = 'mutation { startAuth(input: { service: GITHUB, returnTo: "http://app.test:3000/back" }) { attemptId } }';
const APP = { LATCHKEY_GITHUB_CLIENT_ID: 'limits-client', LATCHKEY_GITHUB_CLIENT_SECRET: 'limits-secret' };

let gateway: TestGateway;
let proxied: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway(APP);
  proxied = await startTestGateway({ ...APP, LATCHKEY_TRUST_PROXY: 'true', LATCHKEY_RATE_LIMIT_ADDRESS_PER_MINUTE: '5' });
});

afterAll(async () => {
  await gateway?.close();
  await proxied?.close();
});

const guess = () => `lks_${randomBytes(32).toString('base64url')}`;

async function post(on: TestGateway, query: string, token: string, headers: Record<string, string> = {}) {
  const response = await fetch(on.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

describe('failed authentications', () => {
  it('300 token guesses from one address trip the limit; then even a valid token from there waits', async () => {
    const site = await proxied.createSite('Guessed', [ORIGIN]);
    const statuses: number[] = [];
    for (let batch = 0; batch < 15; batch += 1) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(proxied, '{ secrets { github { isLoggedIn } } }', guess(), { 'x-forwarded-for': '203.0.113.7' })));
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThan(0);
    const limited = statuses.filter((status) => status === 429).length;
    expect(limited).toBeGreaterThan(200);

    const blocked = await post(proxied, '{ secrets { github { isLoggedIn } } }', site.token, { 'x-forwarded-for': '203.0.113.7' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
    expect(blocked.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(blocked.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);

    // Another address behind the trusted proxy is not affected.
    const other = await post(proxied, '{ secrets { github { isLoggedIn } } }', site.token, { 'x-forwarded-for': '198.51.100.9' });
    expect(other.status).toBe(200);
  }, 120_000);

  it('ignore X-Forwarded-For unless LATCHKEY_TRUST_PROXY is set: a spoofed header does not escape the limit', async () => {
    const statuses: number[] = [];
    for (let batch = 0; batch < 5; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => post(gateway, '{ secrets { github { isLoggedIn } } }', guess(), { 'x-forwarded-for': `192.0.2.${batch * 20 + index}` })),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    // The socket's address (127.0.0.1) is what counted: it stays limited whatever header it sends.
    expect((await post(gateway, '{ secrets { github { isLoggedIn } } }', guess(), { 'x-forwarded-for': '192.0.2.250' })).status).toBe(429);
  });
});

describe('startAuth', () => {
  it('300 calls with one token within a minute are refused with RATE_LIMITED and retryAfterSeconds', async () => {
    // The previous test limited 127.0.0.1's failed authentications; this gateway is behind the proxy.
    const site = await proxied.createSite('Flooder', [ORIGIN]);
    const calm = await proxied.createSite('Calm', [ORIGIN]);
    const results: Array<Awaited<ReturnType<typeof post>>> = [];
    for (let batch = 0; batch < 15; batch += 1) {
      results.push(...(await Promise.all(Array.from({ length: 20 }, () => post(proxied, START, site.token, { 'x-forwarded-for': '198.51.100.20' })))));
    }
    const ok = results.filter((result) => result.body.data?.startAuth?.attemptId).length;
    const limited = results.filter((result) => result.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(300);
    expect(limited.length).toBe(300 - ok);
    expect(limited[0]!.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited[0]!.body.errors[0].message).toMatch(/startAuth/);
    // Another site's token is not affected.
    const other = await post(proxied, START, calm.token, { 'x-forwarded-for': '198.51.100.21' });
    expect(other.body.data.startAuth.attemptId).toMatch(/^att_/);
  }, 120_000);
});

describe('long-polls', () => {
  it('at most 20 concurrent per token: the 21st is refused at once, and one is accepted again once they end', async () => {
    const site = await proxied.createSite('Poller', [ORIGIN]);
    const from = { 'x-forwarded-for': '198.51.100.30' };
    const started = await post(proxied, START, site.token, from);
    const id = started.body.data.startAuth.attemptId;
    const poll = `{ authAttempt(id: "${id}", waitSeconds: 3) { status } }`;
    let pollsSettled = false;
    const polls = Promise.all(Array.from({ length: 20 }, () => post(proxied, poll, site.token, from))).finally(() => (pollsSettled = true));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const extra = await post(proxied, poll, site.token, from);
    expect(extra.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // A slot frees when a running poll ends, within the longest wait: not after the limit's crash bound (90 s).
    expect(extra.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(extra.body.errors[0].extensions.retryAfterSeconds).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
    if (extra.retryAfter !== null) expect(Number(extra.retryAfter)).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
    // Refused at once, not queued behind the others, which are all still waiting.
    expect(pollsSettled).toBe(false);
    const answers = await polls;
    expect(answers.every((answer) => answer.body.data?.authAttempt?.status === 'PENDING')).toBe(true);
    // A plain read with the same token was never refused meanwhile, and a new poll works now.
    const again = await post(proxied, `{ authAttempt(id: "${id}", waitSeconds: 1) { status } }`, site.token, from);
    expect(again.body.data.authAttempt.status).toBe('PENDING');
  });
});

describe('routes without a token', () => {
  it('tens of callbacks a minute from one address pass with the defaults', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => fetch(`${gateway.url}/oauth/callback/github?state=${randomBytes(8).toString('hex')}&code=x`).then(async (response) => (await response.text(), response.status))),
    );
    expect(statuses.every((status) => status === 400)).toBe(true);
  });

  it('beyond the address limit, callbacks and the connect page answer 429 with Retry-After', async () => {
    const from = { 'x-forwarded-for': '198.51.100.40' };
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let index = 0; index < 8; index += 1) {
      const path = index % 2 === 0 ? '/oauth/callback/github?state=nope&code=x' : '/connect';
      const response = await fetch(`${proxied.url}${path}`, { headers: from });
      await response.text();
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.slice(0, 5).every((status) => status !== 429)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const elsewhere = await fetch(`${proxied.url}/connect`, { headers: { 'x-forwarded-for': '198.51.100.41' } });
    expect(elsewhere.status).toBe(200);
  });
});

describe.runIf(testDatabaseProvider() === 'postgresql')('when PostgreSQL drops the connections', () => {
  it('keeps serving: the limiters reconnect, and the lost idle connections are logged, not fatal', async () => {
    const own = await startTestGateway(APP);
    try {
      const site = await own.createSite('Restarted', [ORIGIN]);
      expect((await post(own, '{ secrets { github { isLoggedIn } } }', site.token)).status).toBe(200);
      // What a server restart or failover does to every open connection, idle pooled ones included.
      const admin = new pg.Client({ connectionString: own.databaseUrl });
      await admin.connect();
      const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      await admin.end();
      expect(rowCount).toBeGreaterThan(0);
      await expect.poll(() => own.logs.some((line) => line.includes('rate-limit database connection lost'))).toBe(true);
      let status = 0;
      for (let attempt = 0; attempt < 5 && status !== 200; attempt += 1) {
        status = (await post(own, '{ secrets { github { isLoggedIn } } }', site.token)).status;
      }
      expect(status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('the MCP server', () => {
  // /mcp runs its tools outside GraphQL execution: the same token, site and startAuth limits apply.
  let limited: TestGateway;
  beforeAll(async () => {
    limited = await startTestGateway({ ...APP, LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE: '8', LATCHKEY_RATE_LIMIT_START_AUTH_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await limited?.close();
  });

  const callTool = async (token: string, name: string, args: Record<string, unknown> = {}) => {
    const response = await fetch(`${limited.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
  };

  it("counts each request against the token's limit: beyond it, 429 with Retry-After", async () => {
    const site = await limited.createSite('Agent flood', [ORIGIN]);
    const answers = [];
    for (let index = 0; index < 12; index += 1) answers.push(await callTool(site.token, 'list_connections'));
    expect(answers.slice(0, 8).every((answer) => answer.status === 200 && !answer.body.result.isError)).toBe(true);
    const refused = answers.slice(8);
    expect(refused.every((answer) => answer.status === 429)).toBe(true);
    expect(Number(refused[0]!.retryAfter)).toBeGreaterThan(0);
    expect(refused[0]!.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'token' });
    // GraphQL with the same token shares the spent limit.
    expect((await post(limited, '{ secrets { github { isLoggedIn } } }', site.token)).status).toBe(429);
  });

  it('connect_service starts attempts within the startAuth limit, then answers a RATE_LIMITED tool error', async () => {
    const site = await limited.createSite('Connect flood', [ORIGIN]);
    const results = [];
    for (let index = 0; index < 5; index += 1) results.push((await callTool(site.token, 'connect_service', { service: 'github' })).body.result);
    expect(results.slice(0, 3).every((result) => !result.isError && result.structuredContent.url)).toBe(true);
    expect(results[3]).toMatchObject({ isError: true, structuredContent: { error: { code: 'RATE_LIMITED' } } });
    expect(results[3].structuredContent.error.retryAfterSeconds).toBeGreaterThan(0);
    expect(await limited.gateway.db.authAttempt.count({ where: { siteId: site.siteId } })).toBe(3);
  });
});
