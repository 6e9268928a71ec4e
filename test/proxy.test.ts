// The authenticated proxy: `proxy(service:, path:, …)` against the local GitHub fake over real HTTP
// and a real database. The credential is added by the gateway, never reaches the caller (even when
// the API echoes it), and can only ever go to the API's own host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, rateLimitsOf, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const GET = `query ($service: String!, $path: String!, $query: JSON, $headers: JSON, $endUser: String, $account: String) {
  proxy(service: $service, path: $path, query: $query, headers: $headers, endUser: $endUser, account: $account) { status headers json text }
}`;
const SEND = `mutation ($service: String!, $method: HttpMethod!, $path: String!, $body: JSON, $bodyText: String, $headers: JSON) {
  proxy(service: $service, method: $method, path: $path, body: $body, bodyText: $bodyText, headers: $headers) { status headers json text }
}`;

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const seenBodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

const get = (path: string, extra: Record<string, unknown> = {}, token?: string) => gql(GET, { service: 'github', path, ...extra }, token);

async function connect(token: string, scopes: string[]): Promise<void> {
  const started = await gql('mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }', { input: { service: 'GITHUB', scopes, returnTo: `${ORIGIN}/done` } }, token);
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
}

const currentToken = async () => (await gql('{ secrets { github { bearerToken } } }')).body.data.secrets.github.bearerToken as string;

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({ ...github.appEnv, LATCHKEY_RATE_LIMIT_MAX_WAIT_SECONDS: '2' });
  site = await gateway.createSite('Proxy', [ORIGIN]);
  await connect(site.token, ['read:user', 'repo']);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

describe('proxy', () => {
  it('GETs a path of the API with the stored token and reports the quota', async () => {
    const result = await get('/users/octokit-fixture-user-a');
    expect(result.body.errors).toBeUndefined();
    const proxied = result.body.data.proxy;
    expect(proxied.status).toBe(200);
    expect(proxied.json.login).toBe('octokit-fixture-user-a');
    expect(proxied.text).toBeNull();
    expect(proxied.headers['x-ratelimit-limit']).toBe('5000');
    expect(proxied.headers['content-type']).toContain('application/json');
    const usage = rateLimitsOf(result)[new URL(github.url).host];
    expect(usage).toMatchObject({ service: 'GITHUB', requests: 1, limit: 5000 });
  });

  it('accepts a path without the leading slash and merges query with the path\'s own', async () => {
    const from = github.state.apiLog.length;
    const result = await get('repos/octokit-fixture-org/paginate-issues/issues?state=all', { query: { per_page: 2, page: 1 } });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.proxy.status).toBe(200);
    expect(result.body.data.proxy.json).toHaveLength(2);
    expect(result.body.data.proxy.headers.link).toContain('rel="next"');
    expect(github.state.apiLog.slice(from).map((entry) => entry.path)).toEqual(['/repos/octokit-fixture-org/paginate-issues/issues?state=all&per_page=2&page=1']);
  });

  it('revalidates a repeated GET with its ETag, so an unchanged answer costs no quota', async () => {
    await get('/repos/octokit-fixture-org/hello-world');
    const token = await currentToken();
    const quota = github.state.quotaUsed(token);
    const notModified = github.state.notModifiedResponses;
    const again = await get('/repos/octokit-fixture-org/hello-world');
    expect(again.body.data.proxy.status).toBe(200);
    expect(again.body.data.proxy.json.full_name).toBe('octokit-fixture-org/hello-world');
    expect(github.state.notModifiedResponses).toBe(notModified + 1);
    expect(github.state.quotaUsed(token)).toBe(quota);
    expect(rateLimitsOf(again)[new URL(github.url).host]).toMatchObject({ requests: 1, notModified: 1 });
  });

  it('answers the API\'s own error statuses as data', async () => {
    const missing = await get('/repos/octokit-fixture-org/does-not-exist');
    expect(missing.body.errors).toBeUndefined();
    expect(missing.body.data.proxy.status).toBe(404);
    expect(missing.body.data.proxy.json.message).toBe('Not Found');
  });

  it('sends writes with a JSON body under Mutation', async () => {
    const created = await gql(SEND, { service: 'github', method: 'POST', path: '/repos/octokit-fixture-org/hello-world/issues', body: { title: 'From the proxy' } });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.proxy.status).toBe(201);
    expect(created.body.data.proxy.json.title).toBe('From the proxy');
    const invalid = await gql(SEND, { service: 'github', method: 'POST', path: '/repos/octokit-fixture-org/hello-world/issues', body: {} });
    expect(invalid.body.data.proxy.status).toBe(422);
    const starred = await gql(SEND, { service: 'github', method: 'PUT', path: '/user/starred/octokit-fixture-org/hello-world' });
    expect(starred.body.data.proxy).toMatchObject({ status: 204, json: null, text: null });
    expect(github.state.starred.has('octokit-fixture-org/hello-world')).toBe(true);
  });

  it('refuses paths that could leave the API host, before calling anything', async () => {
    const before = github.state.apiLog.length;
    const attempts = [
      'https://evil.test/user',
      'http:evil.test',
      '//evil.test/user',
      '@evil.test/user',
      '/@evil.test',
      '\\\\evil.test\\user',
      '/repos/%2fevil',
      '/repos/%2E%2E/x',
      '/repos/%5cevil',
      '/..',
      '/repos/../../user',
      '../user',
      '/user#fragment',
      '/user name',
      '/bad%zz',
      '',
    ];
    for (const path of attempts) {
      const result = await get(path);
      expect(result.body.errors?.[0]?.extensions?.code, path).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.message, path).toContain('path');
    }
    expect(github.state.apiLog.length).toBe(before);
  });

  it('normalises dot segments that stay below the base', async () => {
    const from = github.state.apiLog.length;
    const result = await get('/repos/./octokit-fixture-org/x/../hello-world');
    expect(result.body.data.proxy.status).toBe(200);
    expect(github.state.apiLog[from]!.path).toBe('/repos/octokit-fixture-org/hello-world');
  });

  it('never lets caller headers set the credential, cookies, host or connection handling', async () => {
    let received: Record<string, unknown> = {};
    github.state.respondNextApiRequest((request) => {
      received = { ...request.headers };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
    });
    const result = await get('/users/octokit-fixture-user-a', {
      headers: { Authorization: 'Bearer stolen', Cookie: 'session=1', Host: 'evil.test', Connection: 'close', 'Proxy-Authorization': 'x', 'X-Trace': 'abc', Accept: 'application/vnd.github.raw+json' },
    });
    expect(result.body.data.proxy.json).toEqual({ ok: true });
    expect(received.authorization).toBe(`Bearer ${await currentToken()}`);
    expect(received.cookie).toBeUndefined();
    expect(received['proxy-authorization']).toBeUndefined();
    expect(received.host).toBe(new URL(github.url).host);
    expect(received['x-trace']).toBe('abc');
    // The API's own headers win over the caller's.
    expect(received.accept).toBe('application/vnd.github+json');
    const bad = await get('/user', { headers: { 'X-Evil': 'a\r\nInjected: 1' } });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('redacts the credential when the API echoes it, drops cookies and hop-by-hop headers, and returns text as text', async () => {
    github.state.respondNextApiRequest((request) => ({
      status: 200,
      headers: {
        'content-type': 'text/plain',
        'x-echo': String(request.headers.authorization),
        'set-cookie': ['a=1', 'b=2'],
        connection: 'keep-alive, x-hop',
        'x-hop': 'drop me',
        'keep-alive': 'timeout=5',
      },
      body: `you sent ${String(request.headers.authorization)}`,
    }));
    const result = await get('/users/octokit-fixture-user-a');
    const token = await currentToken();
    const proxied = result.body.data.proxy;
    expect(proxied.json).toBeNull();
    expect(proxied.text).toBe('you sent Bearer [redacted]');
    expect(proxied.headers['x-echo']).toBe('Bearer [redacted]');
    expect(proxied.headers['set-cookie']).toBeUndefined();
    expect(proxied.headers['x-hop']).toBeUndefined();
    expect(proxied.headers['keep-alive']).toBeUndefined();
    expect(proxied.headers.connection).toBeUndefined();
    expect(JSON.stringify(result.body)).not.toContain(token);
  });

  it('refuses an answer larger than the cap', async () => {
    github.state.respondNextApiRequest(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(6 * 1024 * 1024, 97) }));
    const result = await get('/users/octokit-fixture-user-a');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB' });
    expect(result.body.errors?.[0]?.message).toContain('larger than');
  });

  it('refreshes once and retries when the API answers 401', async () => {
    const token = await currentToken();
    github.state.expireAccessToken(token);
    const refreshes = github.state.refreshRequests;
    const result = await get('/users/octokit-fixture-user-a');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.proxy.status).toBe(200);
    expect(github.state.refreshRequests).toBe(refreshes + 1);
    expect(await currentToken()).not.toBe(token);
  });

  it('refuses browser-facing tokens and function tokens limited to other services', async () => {
    const connectToken = (await gql('mutation { createFunctionToken(input: { services: [GITHUB], canConnect: true }) { token } }')).body.data.createFunctionToken.token;
    expect((await get('/user', {}, connectToken)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const spotifyOnly = (await gql('mutation { createFunctionToken(input: { services: [SPOTIFY] }) { token } }')).body.data.createFunctionToken.token;
    expect((await get('/user', {}, spotifyOnly)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const githubToken = (await gql('mutation { createFunctionToken(input: { services: [GITHUB] }) { token } }')).body.data.createFunctionToken.token;
    expect((await get('/users/octokit-fixture-user-a', {}, githubToken)).body.data.proxy.status).toBe(200);
    const anonymous = await gateway.gql(GET, { service: 'github', path: '/user' });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('checks service, endUser, account, query and body arguments', async () => {
    const code = async (promise: ReturnType<typeof gql>) => (await promise).body.errors?.[0]?.extensions?.code;
    expect(await code(gql(GET, { service: 'myspace', path: '/user' }))).toBe('BAD_USER_INPUT');
    expect(await code(get('/user', { endUser: 'not valid!' }))).toBe('BAD_USER_INPUT');
    expect(await code(get('/user', { endUser: 'x'.repeat(129) }))).toBe('BAD_USER_INPUT');
    expect(await code(get('/user', { query: ['a'] }))).toBe('BAD_USER_INPUT');
    expect(await code(get('/user', { query: { a: { nested: true } } }))).toBe('BAD_USER_INPUT');
    expect(await code(gql(SEND, { service: 'github', method: 'GET', path: '/user', body: { a: 1 } }))).toBe('BAD_USER_INPUT');
    expect(await code(gql(SEND, { service: 'github', method: 'POST', path: '/user', body: { a: 1 }, bodyText: 'x' }))).toBe('BAD_USER_INPUT');
    expect(await code(get('/user', { account: 'someone-else' }))).toBe('NOT_LOGGED_IN');
    const foreignUserId = (await gql('{ secrets { github { foreignUserId } } }')).body.data.secrets.github.foreignUserId;
    expect((await get('/users/octokit-fixture-user-a', { account: foreignUserId })).body.data.proxy.status).toBe(200);
  });

  it('answers NOT_LOGGED_IN for a service the site has not connected', async () => {
    const other = await gateway.createSite('Unconnected', [ORIGIN]);
    const result = await get('/user', {}, other.token);
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_LOGGED_IN', service: 'GITHUB' });
  });

  it('waits out a short rate limit, and answers RATE_LIMITED for a long one (last: it blocks the connection)', async () => {
    github.state.secondaryRateLimitNext(1);
    const waited = await get('/users/octokit-fixture-user-a');
    expect(waited.body.data.proxy.status).toBe(200);
    github.state.exhaustRateLimitNext(3600);
    const limited = await get('/users/octokit-fixture-user-a', { query: { fresh: 1 } });
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', service: 'GITHUB' });
    expect(limited.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    expect(rateLimitsOf(limited)[new URL(github.url).host].rateLimitedUntil).toBeDefined();
  });

  it('never shows a token in a response or a log line', async () => {
    const tokens = github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken].filter((value): value is string => Boolean(value)));
    expect(tokens.length).toBeGreaterThan(0);
    const seen = seenBodies.filter((body) => !body.includes('bearerToken')).join('\n') + gateway.logs.join('\n');
    for (const token of tokens) expect(seen).not.toContain(token);
  });
});
