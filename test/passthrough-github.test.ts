// Pass-through to GitHub: `github { … }` answered from the local GitHub fake with the site's stored
// token, over real HTTP and a real database; conditional requests, deduplication, refresh on 401,
// rate limits, cancellation, and that the token never leaks or leaves GitHub's API origin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, rateLimitsOf, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
// A connection read stays cached far longer than any test: only the store's write hook can make a
// change visible, so the tests below prove it works.
const CONNECTION_CACHE_MS = '60000';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let host: string;
const seenBodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}


/** Connects GitHub for a site through the gateway's own callback; returns the token GitHub issued. */
async function connect(token: string, scopes: string[]): Promise<string> {
  const started = await gql('mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }', { input: { service: 'GITHUB', scopes, returnTo: `${ORIGIN}/done` } }, token);
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
  return github.state.lastToken!.accessToken;
}

async function newSite(name: string, scopes: string[] | null) {
  const created = await gateway.createSite(name, [ORIGIN]);
  const accessToken = scopes ? await connect(created.token, scopes) : null;
  return { ...created, accessToken };
}

function requestsTo(path: string, from = 0) {
  return github.state.apiLog.slice(from).filter((entry) => entry.path.split('?')[0] === path);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...github.appEnv,
    LATCHKEY_CONNECTION_CACHE_MS: CONNECTION_CACHE_MS,
    LATCHKEY_RATE_LIMIT_MAX_WAIT_SECONDS: '2',
    LATCHKEY_PROVIDER_TIMEOUT_SECONDS: '2',
  });
  host = new URL(github.url).host;
  const created = await gateway.createSite('GitHub pass-through', [ORIGIN]);
  site = created;
  await connect(site.token, ['read:user', 'repo']);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

describe('typed GitHub data', () => {
  it('answers the viewer from GET /user', async () => {
    const result = await gql('{ github { viewer { login name avatarUrl(size: 40) bio company location email databaseId isOrganization createdAt } } }');
    expect(result.body.errors).toBeUndefined();
    const viewer = result.body.data.github.viewer;
    expect(viewer).toMatchObject({
      login: 'octokit-fixture-user-a',
      name: 'Octokit Fixture User A',
      bio: null,
      company: null,
      location: null,
      email: 'octokit-fixture-user-a@example.com',
      databaseId: github.state.user.id,
      isOrganization: false,
      createdAt: '2017-10-10T16:00:00.000Z',
    });
    const avatar = new URL(viewer.avatarUrl);
    expect(avatar.searchParams.get('s')).toBe('40');
    expect(avatar.origin).toBe('https://avatars.githubusercontent.com');
  });

  it('answers a repository with its issues, one issue and its pull requests', async () => {
    const result = await gql(`{
      github {
        repository(owner: "octokit-fixture-org", name: "hello-world") {
          name nameWithOwner description url stargazerCount forkCount isPrivate defaultBranch viewerPermission topics
          owner { login }
          issues(first: 10, state: ALL) { nodes { number title state isPullRequest } pageInfo { page hasNextPage lastPage } }
          issue(number: 2) { title state labels { name color } author { login } }
          pullRequests(state: ALL) { nodes { number title state headRefName baseRefName } }
        }
      }
    }`);
    expect(result.body.errors).toBeUndefined();
    const repository = result.body.data.github.repository;
    expect(repository).toMatchObject({
      name: 'hello-world',
      nameWithOwner: 'octokit-fixture-org/hello-world',
      description: null,
      url: 'https://github.com/octokit-fixture-org/hello-world',
      stargazerCount: 42,
      forkCount: 42,
      isPrivate: false,
      defaultBranch: 'master',
      viewerPermission: 'ADMIN',
      topics: ['fixtures', 'hello', 'hello-world'],
      owner: { login: 'octokit-fixture-org' },
    });
    expect(repository.issues.nodes.map((issue: { number: number }) => issue.number)).toEqual([4, 3, 2, 1]);
    expect(repository.issues.nodes.filter((issue: { isPullRequest: boolean }) => issue.isPullRequest).map((issue: { number: number }) => issue.number)).toEqual([4, 3]);
    expect(repository.issues.pageInfo).toEqual({ page: 1, hasNextPage: false, lastPage: 1 });
    expect(repository.issue).toEqual({ title: 'Say hello in more languages', state: 'OPEN', labels: [{ name: 'enhancement', color: 'a2eeef' }], author: { login: 'octokit-fixture-user-a' } });
    expect(repository.pullRequests.nodes).toEqual([
      { number: 4, title: 'Fix the typo in the README', state: 'MERGED', headRefName: 'typo', baseRefName: 'master' },
      { number: 3, title: 'Add a French greeting', state: 'OPEN', headRefName: 'french', baseRefName: 'master' },
    ]);
  });

  it('pages through issues by page number, reading the Link header without following it', async () => {
    const query = 'query ($page: Int!) { github { repository(owner: "octokit-fixture-org", name: "paginate-issues") { issues(first: 5, page: $page) { nodes { number } pageInfo { page perPage hasNextPage hasPreviousPage lastPage } } } } }';
    const first = await gql(query, { page: 1 });
    expect(first.body.data.github.repository.issues).toEqual({
      nodes: [13, 12, 11, 10, 9].map((number) => ({ number })),
      pageInfo: { page: 1, perPage: 5, hasNextPage: true, hasPreviousPage: false, lastPage: 3 },
    });
    const last = await gql(query, { page: 3 });
    expect(last.body.data.github.repository.issues).toEqual({
      nodes: [3, 2, 1].map((number) => ({ number })),
      pageInfo: { page: 3, perPage: 5, hasNextPage: false, hasPreviousPage: true, lastPage: 3 },
    });
    // GitHub's links point at /repositories/{id}/issues; the gateway only ever calls the fixed paths.
    expect(github.state.apiLog.some((entry) => entry.path.startsWith('/repositories/'))).toBe(false);
  });

  it('answers null for what does not exist', async () => {
    const result = await gql('{ github { repository(owner: "octokit-fixture-org", name: "no-such-repo") { name } user(login: "no-such-user") { login } org: user(login: "octokit-fixture-org") { login isOrganization } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.github).toEqual({ repository: null, user: null, org: { login: 'octokit-fixture-org', isOrganization: true } });
  });

  it('refuses invalid arguments before calling GitHub', async () => {
    const before = github.state.apiRequests;
    const cases = [
      ['{ github { repository(owner: "../user", name: "x") { name } } }', 'owner'],
      ['{ github { repository(owner: "octokit-fixture-org", name: "..") { name } } }', 'name'],
      ['{ github { user(login: "a/b") { login } } }', 'login'],
      ['{ github { repository(owner: "octokit-fixture-org", name: "hello-world") { issues(first: 101) { nodes { number } } } } }', 'first'],
      ['{ github { repository(owner: "octokit-fixture-org", name: "hello-world") { issue(number: 0) { title } } } }', ''],
      ['{ github { viewer { avatarUrl(size: 5000) } } }', ''],
    ] as const;
    for (const [query, field] of cases) {
      const result = await gql(query);
      expect(result.body.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
      if (field) expect(result.body.errors?.[0]?.extensions?.field, query).toBe(field);
    }
    // Only the repository lookups of the last cases reached GitHub, never a malformed path.
    expect(github.state.apiLog.slice(-10).every((entry) => !entry.path.includes('..') && !entry.path.includes('a%2Fb'))).toBe(true);
    expect(github.state.apiRequests - before).toBeLessThanOrEqual(3);
  });
});

describe('kind to GitHub: one call per distinct GET, and revalidation that costs no quota', () => {
  it('makes identical calls of one query once', async () => {
    const from = github.state.apiLog.length;
    const result = await gql(`{
      github {
        a: viewer { login }
        b: viewer { name }
        c: repository(owner: "octokit-fixture-org", name: "hello-world") { name }
        d: repository(owner: "octokit-fixture-org", name: "hello-world") { stargazerCount }
      }
    }`);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.github.a.login).toBe('octokit-fixture-user-a');
    expect(requestsTo('/user', from)).toHaveLength(1);
    expect(requestsTo('/repos/octokit-fixture-org/hello-world', from)).toHaveLength(1);
  });

  it('revalidates a repeated query with If-None-Match: the 304 costs no quota and is reported', async () => {
    const query = '{ github { viewer { login } } }';
    await gql(query);
    const token = (await gql('{ secrets { github { bearerToken } } }')).body.data.secrets.github.bearerToken;
    const usedBefore = github.state.quotaUsed(token);
    const from = github.state.apiLog.length;

    const again = await gql(query);
    expect(again.body.data.github.viewer.login).toBe('octokit-fixture-user-a');
    expect(requestsTo('/user', from)).toEqual([{ method: 'GET', path: '/user', status: 304, conditional: true }]);
    expect(github.state.quotaUsed(token)).toBe(usedBefore);
    expect(rateLimitsOf(again)[host]).toMatchObject({
      service: 'GITHUB',
      requests: 1,
      notModified: 1,
      limit: 5000,
      remaining: 5000 - usedBefore,
      used: usedBefore,
      resource: 'core',
    });
    expect(Date.parse(rateLimitsOf(again)[host].resetAt)).toBeGreaterThan(Date.now());
  });

  it('sees a changed upstream answer at once', async () => {
    const query = '{ github { viewer { bio } } }';
    await gql(query);
    github.state.user.bio = 'Writes fixtures.';
    try {
      const changed = await gql(query);
      expect(changed.body.data.github.viewer.bio).toBe('Writes fixtures.');
    } finally {
      github.state.user.bio = null;
    }
  });
});

describe('picking and refreshing the connection', () => {
  it('answers NOT_LOGGED_IN with the service when the site has no GitHub connection', async () => {
    const other = await newSite('Not connected', null);
    const before = github.state.apiRequests;
    const result = await gql('{ github { viewer { login } } }', undefined, other.token);
    expect(result.body.data.github.viewer).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_LOGGED_IN', service: 'GITHUB' });
    expect(result.body.errors?.[0]?.message).toContain('startAuth');
    expect(github.state.apiRequests).toBe(before);
  });

  it('refuses a function token limited to other services', async () => {
    const created = await gql('mutation { createFunctionToken(input: { services: [SPOTIFY] }) { token } }');
    const functionToken = created.body.data.createFunctionToken.token;
    const result = await gql('{ github { viewer { login } } }', undefined, functionToken);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.body.errors?.[0]?.message).toContain('GITHUB');
  });

  it('refreshes once and retries once when GitHub answers 401', async () => {
    const current = (await gql('{ secrets { github { bearerToken } } }')).body.data.secrets.github.bearerToken;
    github.state.expireAccessToken(current);
    const refreshesBefore = github.state.refreshRequests;
    const from = github.state.apiLog.length;

    const result = await gql('{ github { viewer { login } repository(owner: "octokit-fixture-org", name: "hello-world") { name } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.github).toEqual({ viewer: { login: 'octokit-fixture-user-a' }, repository: { name: 'hello-world' } });
    // Both calls were refused with the old token, yet the token was refreshed once.
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    // Refused, then accepted with the new token (a 304 when the answer is cached with its ETag).
    const statuses = requestsTo('/user', from).map((entry) => entry.status);
    expect(statuses).toHaveLength(2);
    expect(statuses[0]).toBe(401);
    expect([200, 304]).toContain(statuses[1]);
    // The new token is the stored one, visible at once despite the connection cache.
    const after = (await gql('{ secrets { github { bearerToken } } }')).body.data.secrets.github.bearerToken;
    expect(after).toBe(github.state.lastToken!.accessToken);
    expect(after).not.toBe(current);
  });

  it('does not refresh in a loop when GitHub keeps refusing a token just refreshed', async () => {
    const current = (await gql('{ secrets { github { bearerToken } } }')).body.data.secrets.github.bearerToken;
    github.state.expireAccessToken(current);
    const refreshesBefore = github.state.refreshRequests;
    try {
      const result = await gql('{ github { viewer { login } } }');
      expect(result.body.data.github.viewer).toBeNull();
      expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB', upstreamStatus: 401 });
      expect(result.body.errors?.[0]?.message).toContain('rejected a freshly refreshed token');
      expect(github.state.refreshRequests).toBe(refreshesBefore);
    } finally {
      github.state.findByAccessToken(current)!.expiresAt = Date.now() + 3600_000;
    }
  });

  it('answers NEEDS_REAUTH when the token is refused and cannot be refreshed', async () => {
    const doomed = await newSite('Doomed', ['read:user']);
    github.state.invalidateRefreshToken(github.state.findByAccessToken(doomed.accessToken!)!.refreshToken!);
    github.state.invalidateAccessToken(doomed.accessToken!);
    const result = await gql('{ github { viewer { login } } }', undefined, doomed.token);
    expect(result.body.data.github.viewer).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'NEEDS_REAUTH', service: 'GITHUB' });
    const again = await gql('{ github { viewer { login } } secrets { github { status isLoggedIn } } }', undefined, doomed.token);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('NEEDS_REAUTH');
    expect(again.body.data.secrets.github).toEqual({ status: 'NEEDS_REAUTH', isLoggedIn: false });
  });

  it('sees a sign-out at once, though connection reads are cached', async () => {
    const leaving = await newSite('Leaving', ['read:user']);
    expect((await gql('{ github { viewer { login } } }', undefined, leaving.token)).body.data.github.viewer.login).toBe('octokit-fixture-user-a');
    await gql('mutation { signOut(service: GITHUB) { isLoggedIn } }', undefined, leaving.token);
    const before = github.state.apiRequests;
    const result = await gql('{ github { viewer { login } } }', undefined, leaving.token);
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_LOGGED_IN', service: 'GITHUB' });
    expect(github.state.apiRequests).toBe(before);
    // Revoking the grant at GitHub ends every token of the app for that user: connect the main site again.
    await connect(site.token, ['read:user', 'repo']);
  });
});

describe('writes', () => {
  it('creates an issue, comments on it, and stars and unstars the repository', async () => {
    const created = await gql(
      'mutation ($input: GitHubCreateIssueInput!) { github { createIssue(input: $input) { number title body state labels { name } url } } }',
      { input: { owner: 'octokit-fixture-org', name: 'hello-world', title: 'Pass-through works', body: 'Sent through Latchkey.', labels: ['bug'] } },
    );
    expect(created.body.errors).toBeUndefined();
    const issue = created.body.data.github.createIssue;
    expect(issue).toMatchObject({ title: 'Pass-through works', body: 'Sent through Latchkey.', state: 'OPEN', labels: [{ name: 'bug' }] });
    expect(issue.url).toBe(`https://github.com/octokit-fixture-org/hello-world/issues/${issue.number}`);

    const comment = await gql(
      'mutation ($input: GitHubAddCommentInput!) { github { addComment(input: $input) { body author { login } url } } }',
      { input: { owner: 'octokit-fixture-org', name: 'hello-world', number: issue.number, body: 'And so do comments.' } },
    );
    expect(comment.body.data.github.addComment).toMatchObject({ body: 'And so do comments.', author: { login: 'octokit-fixture-user-a' } });
    const read = await gql('query ($n: Int!) { github { repository(owner: "octokit-fixture-org", name: "hello-world") { issue(number: $n) { commentCount } } } }', { n: issue.number });
    expect(read.body.data.github.repository.issue.commentCount).toBe(1);

    const starred = await gql('mutation { github { addStar(input: { owner: "octokit-fixture-org", name: "hello-world" }) { owner name starred } } }');
    expect(starred.body.data.github.addStar).toEqual({ owner: 'octokit-fixture-org', name: 'hello-world', starred: true });
    expect(github.state.starred.has('octokit-fixture-org/hello-world')).toBe(true);
    const unstarred = await gql('mutation { github { removeStar(input: { owner: "octokit-fixture-org", name: "hello-world" }) { starred } } }');
    expect(unstarred.body.data.github.removeStar).toEqual({ starred: false });
    expect(github.state.starred.has('octokit-fixture-org/hello-world')).toBe(false);
  });

  it('names the missing scope and does not call GitHub', async () => {
    const reader = await newSite('Read only', ['read:user']);
    const before = github.state.apiRequests;
    const result = await gql('mutation { github { createIssue(input: { owner: "octokit-fixture-org", name: "hello-world", title: "x" }) { number } } }', undefined, reader.token);
    expect(result.body.data.github.createIssue).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', service: 'GITHUB', missingScopes: ['public_repo'] });
    expect(result.body.errors?.[0]?.message).toContain('public_repo');
    expect(github.state.apiRequests).toBe(before);
  });

  it('reports GitHub refusing the input as UPSTREAM_ERROR with its status and message', async () => {
    const result = await gql('mutation { github { addComment(input: { owner: "octokit-fixture-org", name: "hello-world", number: 9999, body: "x" }) { body } } }');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB', upstreamStatus: 404 });
  });
});

describe('rate limits', () => {
  it('waits out a short secondary limit and retries once', async () => {
    const patient = await newSite('Patient', ['read:user']);
    const from = github.state.apiLog.length;
    github.state.secondaryRateLimitNext(1);
    const result = await gql('{ github { viewer { login } } }', undefined, patient.token);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.github.viewer.login).toBe('octokit-fixture-user-a');
    expect(requestsTo('/user', from).map((entry) => entry.status)).toEqual([403, 200]);
  });

  it('answers RATE_LIMITED with the reset time when the wait would be too long, and stops calling GitHub', async () => {
    const busy = await newSite('Busy', ['read:user']);
    github.state.exhaustRateLimitNext(3600);
    const result = await gql('{ github { viewer { login } } }', undefined, busy.token);
    expect(result.body.data.github.viewer).toBeNull();
    const error = result.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'RATE_LIMITED', service: 'GITHUB' });
    const resetAt = Date.parse(error?.extensions?.resetAt);
    expect(resetAt).toBeGreaterThan(Date.now() + 3000 * 1000);
    expect(error?.extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    expect(error?.message).toContain(error?.extensions?.resetAt);
    expect(rateLimitsOf(result)[host].rateLimitedUntil).toBe(error?.extensions?.resetAt);

    // The gateway remembers: the next query is refused without spending GitHub's patience.
    const before = github.state.apiRequests;
    const again = await gql('{ github { viewer { login } } }', undefined, busy.token);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(github.state.apiRequests).toBe(before);
    // Other connections are not affected.
    expect((await gql('{ github { viewer { login } } }')).body.data.github.viewer.login).toBe('octokit-fixture-user-a');
  });

  it('treats a secondary limit without retry-after as a wait of at least a minute', async () => {
    const hasty = await newSite('Hasty', ['read:user']);
    github.state.secondaryRateLimitNext();
    const result = await gql('{ github { viewer { login } } }', undefined, hasty.token);
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', service: 'GITHUB' });
    expect(result.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(59);
  });
});

describe('failures, timeouts and cancellation', () => {
  it('maps a 5xx to UPSTREAM_ERROR with the upstream status', async () => {
    github.state.failNextApiRequest(502);
    const result = await gql('{ github { repository(owner: "octokit-fixture-org", name: "paginate-issues") { name } } }');
    expect(result.body.data.github.repository).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB', upstreamStatus: 502 });
    expect(result.body.errors?.[0]?.message).toContain('try again');
  });

  it('gives up on an upstream that does not answer in time', async () => {
    github.state.hangNextApiRequest();
    const result = await gql('{ github { user(login: "octokit-fixture-org") { login } } }');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB' });
    expect(result.body.errors?.[0]?.message).toContain('did not answer in time');
  });

  it('cancels the upstream call when the client goes away', async () => {
    github.state.hangNextApiRequest();
    const requestsBefore = github.state.apiRequests;
    const abortedBefore = github.state.abortedApiRequests;
    const controller = new AbortController();
    const pending = fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${site.token}` },
      body: JSON.stringify({ query: '{ github { user(login: "octokit-fixture-user-a") { login } } }' }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await until(() => github.state.apiRequests > requestsBefore, 'the upstream call');
    controller.abort();
    await pending;
    // Well before the 2 s upstream timeout, the gateway has dropped the upstream request.
    await until(() => github.state.abortedApiRequests > abortedBefore, 'the upstream call to be cancelled');
  });
});

describe('the token stays with GitHub', () => {
  let elsewhere: Server;
  let elsewhereRequests: Array<{ url: string; authorization: string | undefined }>;

  beforeAll(async () => {
    elsewhereRequests = [];
    elsewhere = createServer((req, res) => {
      elsewhereRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
  });

  it('does not follow a redirect to another host', async () => {
    const port = (elsewhere.address() as AddressInfo).port;
    github.state.redirectNextApiRequest(`http://127.0.0.1:${port}/users/octokit-fixture-user-a`);
    const result = await gql('{ github { user(login: "octokit-fixture-user-a") { login } } }');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB', upstreamStatus: 301 });
    expect(result.body.errors?.[0]?.message).toContain('another host');
    expect(elsewhereRequests).toEqual([]);
  });

  it('follows a redirect within the API (a renamed repository)', async () => {
    github.state.redirectNextApiRequest(`${github.url}/repos/octokit-fixture-org/hello-world`);
    const result = await gql('{ github { repository(owner: "octokit-fixture-org", name: "old-name") { name } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.github.repository.name).toBe('hello-world');
  });

  it('keeps every token out of logs, errors and non-token response fields', () => {
    const secrets = [
      github.clientSecret,
      ...github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken].filter((value): value is string => Boolean(value))),
    ];
    expect(secrets.length).toBeGreaterThan(8);
    const logText = gateway.logs.join('\n');
    expect(logText).toContain('upstream call');
    for (const secret of secrets) expect(logText).not.toContain(secret);
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of secrets) expect(withoutBearer).not.toContain(secret);
  });
});

describe('upstream calls per request', () => {
  it('are bounded by LATCHKEY_MAX_UPSTREAM_CALLS_PER_REQUEST, with a clear error beyond it', async () => {
    const bounded = await startTestGateway({ ...github.appEnv, LATCHKEY_MAX_UPSTREAM_CALLS_PER_REQUEST: '2' });
    try {
      const site = await bounded.createSite('Bounded', [ORIGIN]);
      const started = await bounded.gql('mutation { startAuth(input: { service: GITHUB, returnTo: "http://app.test:3000/done" }) { authorizationUrl } }', undefined, site.token);
      const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
      await (await fetch(final, { redirect: 'manual', headers: { cookie } })).body?.cancel();
      const from = github.state.apiLog.length;
      const result = await bounded.gql(
        `{ github {
          a: viewer { login }
          b: repository(owner: "octokit-fixture-org", name: "hello-world") { name }
          c: repository(owner: "octokit-fixture-org", name: "hello-world") { issue(number: 2) { title } }
        } }`,
        undefined,
        site.token,
      );
      expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.message).toMatch(/more than 2 calls.*LATCHKEY_MAX_UPSTREAM_CALLS_PER_REQUEST/);
      expect(github.state.apiLog.length - from).toBe(2);
      expect(result.body.data?.github?.a?.login).toBe('octokit-fixture-user-a');
    } finally {
      await bounded.close();
    }
  });
});
