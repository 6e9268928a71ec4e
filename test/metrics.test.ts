// GET /metrics after real traffic through a real gateway: GraphQL requests by operation and
// outcome, token reads, refreshes by result, connections by status, upstream calls and quota,
// rate-limit rejections, webhook deliveries, sweeper lag; and who may read it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { startReceiver, type Receiver } from './support/webhook-receiver.js';
import { APP_ORIGIN, connectViaFinishAuth } from './support/connect.js';
import { createRefreshSweeper } from '../src/connections/refresh-sweeper.js';

let github: FakeGitHub;
let receiver: Receiver;
let gateway: TestGateway;

beforeAll(async () => {
  [github, receiver] = await Promise.all([startFakeGitHub(), startReceiver()]);
  gateway = await startTestGateway({
    ...github.appEnv,
    LATCHKEY_WEBHOOK_RETRY_BASE_MS: '1',
    LATCHKEY_WEBHOOK_POLL_MS: '100',
    LATCHKEY_WEBHOOK_ALLOW_LOOPBACK: 'true',
    LATCHKEY_WEBHOOK_ALLOW_HTTP: 'true',
    LATCHKEY_RATE_LIMIT_MAX_WAIT_SECONDS: '0',
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([github?.close(), receiver?.close()]);
});

async function scrape(token: string | null = gateway.adminToken, url = `${gateway.url}/metrics`) {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** The value of one sample, e.g. sample(text, 'latchkey_token_refreshes_total', { service: 'github', result: 'ok' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let site: { siteId: string; token: string };
  const expire = () =>
    gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: 'GITHUB' }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const read = () => gateway.gql('query ReadToken { secrets { github { bearerToken status } } }', undefined, site.token);

  beforeAll(async () => {
    site = await gateway.createSite('metrics', [APP_ORIGIN]);
    const hook = await gateway.gql(
      'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
      { input: { url: `${receiver.url}/hooks` } },
      site.token,
    );
    expect(hook.body.errors).toBeUndefined();
    await connectViaFinishAuth(gateway.gql, site.token, 'GITHUB');

    expect((await read()).body.data.secrets.github.bearerToken).toMatch(/^ghu_/);
    const viewer = await gateway.gql('query Viewer { github { viewer { login } } }', undefined, site.token);
    expect(viewer.body.errors).toBeUndefined();
    github.state.secondaryRateLimitNext(600);
    const limited = await gateway.gql('query Viewer { github { viewer { login } } }', undefined, site.token);
    expect(limited.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await gateway.gql('query Nope { secrets { github { isLoggedIn } } }', undefined, 'lks_not-a-token');

    await expire();
    expect((await read()).body.data.secrets.github.status).toBe('ACTIVE');
    await expire();
    github.state.failNextTokenRequest(503);
    expect((await read()).body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: 'GITHUB' }, data: { nextRefreshAt: null } });
    github.state.errorNextTokenRequest('invalid_grant', 'The refresh token is no longer valid.');
    expect((await read()).body.data.secrets.github).toEqual({ bearerToken: null, status: 'NEEDS_REAUTH' });
    await vi.waitFor(() => expect(receiver.at('/hooks').length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
  });

  it('refuses a scrape without the admin token, and a site token', async () => {
    const anonymous = await scrape(null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toContain('LATCHKEY_ADMIN_TOKEN');
    expect((await scrape(site.token)).status).toBe(401);
    expect(anonymous.text).not.toContain('latchkey_');
  });

  it('counts GraphQL requests by operation name and outcome, with latency', async () => {
    const { status, type, text } = await scrape();
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    expect(sample(text, 'latchkey_graphql_requests_total', { operation: 'ReadToken', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'latchkey_graphql_requests_total', { operation: 'ReadToken', outcome: 'UPSTREAM_ERROR' })).toBe(1);
    expect(sample(text, 'latchkey_graphql_requests_total', { operation: 'Viewer', outcome: 'RATE_LIMITED' })).toBe(1);
    expect(sample(text, 'latchkey_graphql_requests_total', { operation: 'Nope', outcome: 'UNAUTHENTICATED' })).toBe(1);
    expect(sample(text, 'latchkey_graphql_request_duration_seconds_count', { operation: 'ReadToken' })).toBe(4);
  });

  it('counts token reads, refreshes by result and connections by status', async () => {
    const { text } = await scrape();
    expect(sample(text, 'latchkey_token_reads_total', { service: 'github', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'latchkey_token_reads_total', { service: 'github', outcome: 'not_logged_in' })).toBe(1);
    expect(sample(text, 'latchkey_token_refreshes_total', { service: 'github', result: 'ok' })).toBe(1);
    expect(sample(text, 'latchkey_token_refreshes_total', { service: 'github', result: 'transient' })).toBe(1);
    expect(sample(text, 'latchkey_token_refreshes_total', { service: 'github', result: 'invalid_grant' })).toBe(1);
    expect(sample(text, 'latchkey_connections', { status: 'NEEDS_REAUTH' })).toBe(1);
    expect(sample(text, 'latchkey_connections', { status: 'ACTIVE' })).toBe(0);
  });

  it('counts upstream calls, the quota left, 429s and rate-limit rejections', async () => {
    const { text } = await scrape();
    expect(sample(text, 'latchkey_upstream_calls_total', { service: 'github', status: '2xx' })).toBe(1);
    expect(sample(text, 'latchkey_upstream_calls_total', { service: 'github', status: '4xx' })).toBe(1);
    const remaining = sample(text, 'latchkey_upstream_quota_remaining', { service: 'github' });
    expect(remaining).toBeGreaterThan(0);
    expect(sample(text, 'latchkey_upstream_rate_limited_total', { service: 'github' })).toBe(1);
    expect(sample(text, 'latchkey_rate_limit_rejections_total', { scope: 'upstream:github' })).toBe(1);
  });

  it('counts webhook deliveries with their age', async () => {
    await vi.waitFor(async () => expect(sample((await scrape()).text, 'latchkey_webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2));
    const { text } = await scrape();
    expect(sample(text, 'latchkey_webhook_delivery_age_seconds_count', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'latchkey_webhook_oldest_pending_seconds')).toBeDefined();
  });

  it('reports how far behind expiry the sweeper runs', async () => {
    const other = await gateway.createSite('sweeper lag', [APP_ORIGIN]);
    await connectViaFinishAuth(gateway.gql, other.token, 'GITHUB');
    await gateway.gateway.db.connection.updateMany({ where: { siteId: other.siteId }, data: { expiresAt: new Date(Date.now() - 90_000) } });
    const sweeper = createRefreshSweeper(gateway.gateway.services, { intervalSeconds: 0, lookAheadSeconds: 0 });
    expect(await sweeper.sweep()).toBe(1);
    const { text } = await scrape();
    expect(sample(text, 'latchkey_sweeper_lag_seconds')).toBeGreaterThanOrEqual(90);
    expect(sample(text, 'latchkey_sweeper_refreshed_total')).toBe(1);
  });
});

describe('LATCHKEY_METRICS_PORT', () => {
  it('serves metrics on their own listener without a token, and not on the main port', async () => {
    const separate = await startTestGateway({ LATCHKEY_METRICS_PORT: '0' });
    try {
      await separate.gql('query Ping { __typename }');
      expect(separate.gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const own = await scrape(null, separate.gateway.metricsUrl!);
      expect(own.status).toBe(200);
      expect(sample(own.text, 'latchkey_graphql_requests_total', { operation: 'Ping', outcome: 'ok' })).toBe(1);
      expect((await scrape(separate.adminToken, `${separate.url}/metrics`)).status).toBe(404);
    } finally {
      await separate.close();
    }
  });
});
