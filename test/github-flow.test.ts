// The whole authorization-code flow against the local GitHub fake, over real HTTP and a real
// database, including every way an attacker or a broken provider can get it wrong.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, providerUrlOf, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const SECRETS = `query { secrets { github { service isLoggedIn bearerToken expiresAt foreignUserId status grantedScopes { scope scopeInfo { title } } } } }`;

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const seenBodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

async function startAuth(input: Record<string, unknown>, token = site.token) {
  const result = await gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId expiresAt } }',
    { input: { service: 'GITHUB', ...input } },
    token,
  );
  return result;
}

/** Runs the browser part: authorize at the fake, then land on the gateway callback (not followed further). */
async function browserAuthorize(authorizationUrl: string): Promise<URL> {
  const { final, cookie, visited } = await followRedirects(authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/') || url.hostname === 'app.test');
  browserCookies.set(final.searchParams.get('state') ?? '', cookie);
  providerUrls.set(final.searchParams.get('state') ?? '', providerUrlOf(visited));
  return final;
}

/** By state: the binding cookie of the browser that reached the callback, and the provider URL it was sent to. */
const browserCookies = new Map<string, string>();
const providerUrls = new Map<string, URL>();

async function callback(url: URL): Promise<Response> {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: browserCookies.get(url.searchParams.get('state') ?? '') ?? '' } });
  return response;
}

async function connect(scopes?: string[]) {
  const started = await startAuth({ returnTo: `${ORIGIN}/done?x=1`, ...(scopes ? { scopes } : {}) });
  const callbackUrl = await browserAuthorize(started.body.data.startAuth.authorizationUrl);
  const response = await callback(callbackUrl);
  return { started, callbackUrl, response };
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...github.appEnv,
  });
  site = await gateway.createSite('Primary', [ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

beforeEach(() => {
  github.state.denyAuthorization = false;
});

describe('connecting GitHub through the gateway callback', () => {
  it('stores the connection and hands the token to the site through secrets', async () => {
    const { started, callbackUrl, response } = await connect(['repo', 'read:user']);
    expect(new URL(started.body.data.startAuth.authorizationUrl).pathname).toBe(`/oauth/start/${started.body.data.startAuth.attemptId}`);
    const authorizationUrl = providerUrls.get(callbackUrl.searchParams.get('state')!)!;
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${gateway.publicUrl}/oauth/callback/github`);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('state')?.length).toBeGreaterThanOrEqual(43);
    expect(callbackUrl.pathname).toBe('/oauth/callback/github');

    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location')!);
    expect(back.origin).toBe(ORIGIN);
    expect(back.searchParams.get('x')).toBe('1');
    expect(back.searchParams.get('latchkey_status')).toBe('success');
    expect(back.searchParams.get('service')).toBe('GITHUB');
    expect(back.searchParams.get('attempt')).toBe(started.body.data.startAuth.attemptId);
    expect(back.search).not.toContain('code=');

    const secrets = await gql(SECRETS);
    const secret = secrets.body.data.secrets.github;
    expect(secret.isLoggedIn).toBe(true);
    expect(secret.status).toBe('ACTIVE');
    expect(secret.bearerToken).toBe(github.state.lastToken!.accessToken);
    // GitHub answers "repo,read:user"; the gateway stores what was granted, split correctly.
    expect(secret.grantedScopes.map((s: { scope: string }) => s.scope).sort()).toEqual(['read:user', 'repo']);
    expect(secret.grantedScopes.find((s: { scope: string }) => s.scope === 'repo').scopeInfo.title).toBeTruthy();
    expect(secret.foreignUserId).toBe(String(github.state.user.id));
    expect(new Date(secret.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const attempt = await gql('query ($id: ID!) { authAttempt(id: $id) { status error service } }', { id: started.body.data.startAuth.attemptId });
    expect(attempt.body.data.authAttempt).toEqual({ status: 'COMPLETED', error: null, service: 'GITHUB' });
  });

  it('answers the verbatim getSecrets query of @netlify/functions', async () => {
    const result = await gql(
      'query FindLoggedInServicesQuery { me { serviceMetadata { loggedInServices { friendlyServiceName service isLoggedIn bearerToken grantedScopes { scope scopeInfo { category scope display isDefault isRequired description title } } } } } }',
    );
    expect(result.status).toBe(200);
    const services = result.body.data.me.serviceMetadata.loggedInServices;
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ service: 'GITHUB', friendlyServiceName: 'GitHub', isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken });
  });

  it('refuses a replayed callback and keeps the stored connection', async () => {
    const before = (await gql(SECRETS)).body.data.secrets.github.bearerToken;
    const { callbackUrl, response } = await connect();
    expect(response.status).toBe(302);
    const exchangesBefore = github.state.codeExchanges;
    const replay = await callback(callbackUrl);
    // The attempt is known, so the browser goes back to its returnTo, with the reason.
    expect(replay.status).toBe(302);
    const back = new URL(replay.headers.get('location')!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(github.state.codeExchanges).toBe(exchangesBefore);
    const after = (await gql(SECRETS)).body.data.secrets.github;
    expect(after.isLoggedIn).toBe(true);
    expect(after.bearerToken).not.toBe(before);
    expect(after.bearerToken).toBe(github.state.lastToken!.accessToken);
  });

  it('says on its page why a replayed callback without returnTo was refused', async () => {
    const started = await startAuth({});
    const callbackUrl = await browserAuthorize(started.body.data.startAuth.authorizationUrl);
    expect((await callback(callbackUrl)).status).toBe(200);
    const replay = await callback(callbackUrl);
    expect(replay.status).toBe(400);
    const page = await replay.text();
    expect(page).toContain('already used');
    expect(page).toContain('AUTH_STATE_INVALID');
  });

  it('stores a readable connection when two first connects of a site finish at the same moment', async () => {
    const fresh = await gateway.createSite('Two tabs', [ORIGIN]);
    const first = await startAuth({ returnTo: `${ORIGIN}/a` }, fresh.token);
    const second = await startAuth({ returnTo: `${ORIGIN}/b` }, fresh.token);
    const landings = await Promise.all([first, second].map((started) => browserAuthorize(started.body.data.startAuth.authorizationUrl)));
    const responses = await Promise.all(landings.map(callback));
    for (const response of responses) {
      expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
    }
    const secret = (await gql(SECRETS, undefined, fresh.token)).body.data.secrets.github;
    expect(secret.isLoggedIn).toBe(true);
    expect(github.state.findByAccessToken(secret.bearerToken)?.active).toBe(true);
  });

  it('checks an iss against the authorization server when the provider sends one', async () => {
    // No LATCHKEY_GITHUB_ISSUER here: an issuer on the overridden authorization endpoint's origin
    // (a server mounted below a path) is GitHub's; any other is a mix-up.
    const mounted = await startAuth({ returnTo: `${ORIGIN}/done` });
    const mountedUrl = await browserAuthorize(mounted.body.data.startAuth.authorizationUrl);
    mountedUrl.searchParams.set('iss', `${github.url}/enterprise`);
    const accepted = await callback(mountedUrl);
    expect(new URL(accepted.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');

    const exchanges = github.state.codeExchanges;
    const foreign = await startAuth({ returnTo: `${ORIGIN}/done` });
    const foreignUrl = await browserAuthorize(foreign.body.data.startAuth.authorizationUrl);
    foreignUrl.searchParams.set('iss', 'https://evil.example');
    const refused = await callback(foreignUrl);
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(github.state.codeExchanges).toBe(exchanges);
  });

  it('refuses a forged state', async () => {
    const response = await fetch(`${gateway.url}/oauth/callback/github?code=abc&state=forged-state-value`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const page = await response.text();
    expect(page).toContain('Unknown authorization state');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('refuses a callback on another service path without burning the attempt', async () => {
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const callbackUrl = await browserAuthorize(started.body.data.startAuth.authorizationUrl);
    const wrong = new URL(callbackUrl);
    wrong.pathname = '/oauth/callback/spotify';
    const refused = await callback(wrong);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('belongs to GITHUB');
    const accepted = await callback(callbackUrl);
    expect(accepted.status).toBe(302);
    expect(new URL(accepted.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
  });

  it('refuses an expired attempt', async () => {
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const callbackUrl = await browserAuthorize(started.body.data.startAuth.authorizationUrl);
    await gateway.gateway.db.authAttempt.update({ where: { id: started.body.data.startAuth.attemptId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const response = await callback(callbackUrl);
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(back.searchParams.get('attempt')).toBe(started.body.data.startAuth.attemptId);
    const attempt = await gql('query ($id: ID!) { authAttempt(id: $id) { status } }', { id: started.body.data.startAuth.attemptId });
    expect(attempt.body.data.authAttempt.status).toBe('EXPIRED');
  });

  it('reports a denied consent back to returnTo and on the attempt', async () => {
    github.state.denyAuthorization = true;
    const { started, response } = await connect();
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('access_denied');
    const attempt = await gql('query ($id: ID!) { authAttempt(id: $id) { status error } }', { id: started.body.data.startAuth.attemptId });
    expect(attempt.body.data.authAttempt).toEqual({ status: 'FAILED', error: 'access_denied' });
    expect((await gql(SECRETS)).body.data.secrets.github.isLoggedIn).toBe(true);
  });

  it.each([
    ['a 500 from the token endpoint', () => github.state.failNextTokenRequest(500), 'UPSTREAM_ERROR'],
    ['a token endpoint that never answers', () => github.state.hangNextTokenRequest(), 'UPSTREAM_ERROR'],
    ['an OAuth error sent with HTTP 200', () => github.state.errorNextTokenRequest('bad_verification_code', 'The code passed is incorrect or expired.'), 'bad_verification_code'],
  ])('turns %s into a clear failure and keeps the connection', async (_label, arrange, expected) => {
    const token = (await gql(SECRETS)).body.data.secrets.github.bearerToken;
    arrange();
    const { started, response } = await connect();
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe(expected);
    const attempt = await gql('query ($id: ID!) { authAttempt(id: $id) { status } }', { id: started.body.data.startAuth.attemptId });
    expect(attempt.body.data.authAttempt.status).toBe('FAILED');
    const after = (await gql(SECRETS)).body.data.secrets.github;
    expect(after).toMatchObject({ isLoggedIn: true, bearerToken: token });
  });
});

describe('startAuth input checks', () => {
  it.each([
    [{ returnTo: 'https://evil.example/steal' }, 'returnTo'],
    [{ returnTo: 'http://app.test:3001/' }, 'returnTo'],
    [{ returnTo: 'javascript:alert(1)' }, 'returnTo'],
    [{ returnTo: '//evil.example/x' }, 'returnTo'],
    [{ redirectUri: 'https://evil.example/callback' }, 'redirectUri'],
    [{ redirectUri: `${ORIGIN}/cb#fragment` }, 'redirectUri'],
    [{ redirectUri: `${ORIGIN}/cb?provider=github` }, 'redirectUri'],
    [{ scopes: ['repo user'] }, 'scopes'],
    [{ scopes: ['repo,user'] }, 'scopes'],
  ])('rejects %j', async (input, field) => {
    const attemptsBefore = await gateway.gateway.db.authAttempt.count();
    const result = await startAuth(input);
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.body.errors?.[0]?.message).toMatch(/scope|returnTo|redirectUri/);
    expect(await gateway.gateway.db.authAttempt.count()).toBe(attemptsBefore);
  });

  it('rejects an unknown service with BAD_USER_INPUT', async () => {
    const result = await startAuth({ service: 'MYSPACE' });
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('app-handled callbacks with finishAuth', () => {
  it('completes with the code the app received, once', async () => {
    const started = await startAuth({ redirectUri: `${ORIGIN}/oauth/github` });
    const landing = await browserAuthorize(started.body.data.startAuth.authorizationUrl);
    expect(landing.origin).toBe(ORIGIN);
    const code = landing.searchParams.get('code')!;
    const state = landing.searchParams.get('state')!;
    const finished = await gql(
      'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { service isLoggedIn bearerToken foreignUserId } }',
      { input: { state, code } },
    );
    expect(finished.body.errors).toBeUndefined();
    expect(finished.body.data.finishAuth).toMatchObject({ service: 'GITHUB', isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken });

    const replay = await gql('mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }', { input: { state, code } });
    expect(replay.body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');

    // The same code under a fresh, valid state: GitHub refuses the used code (with HTTP 200).
    const second = await startAuth({ redirectUri: `${ORIGIN}/oauth/github` });
    const secondLanding = new URL(second.body.data.startAuth.authorizationUrl);
    const replayedCode = await gql('mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }', {
      input: { state: secondLanding.searchParams.get('state'), code },
    });
    // extensions.service is the service's key, as on every other error; the message names GitHub.
    expect(replayedCode.body.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'bad_verification_code', service: 'GITHUB' });
    expect(replayedCode.body.errors?.[0]?.message).toMatch(/^GitHub refused the request \(bad_verification_code/);
    expect((await gql(SECRETS)).body.data.secrets.github.isLoggedIn).toBe(true);
  });
});

describe('site isolation and caller authentication', () => {
  it('keeps each site to its own connections and attempts', async () => {
    const other = await gateway.createSite('Other', ['http://other.test']);
    const secrets = await gql(SECRETS, undefined, other.token);
    expect(secrets.body.data.secrets.github).toMatchObject({ isLoggedIn: false, bearerToken: null });

    const started = await startAuth({ redirectUri: `${ORIGIN}/oauth/github` });
    const landing = await browserAuthorize(started.body.data.startAuth.authorizationUrl);
    const foreign = await gql('mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }', {
      input: { state: landing.searchParams.get('state'), code: landing.searchParams.get('code') },
    }, other.token);
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');
    const peek = await gql('query ($id: ID!) { authAttempt(id: $id) { status } }', { id: started.body.data.startAuth.attemptId }, other.token);
    expect(peek.body.data.authAttempt).toBeNull();

    // The foreign attempt was not burnt: its own site can still finish it.
    const own = await gql('mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }', {
      input: { state: landing.searchParams.get('state'), code: landing.searchParams.get('code') },
    });
    expect(own.body.data.finishAuth.isLoggedIn).toBe(true);
  });

  it.each([
    ['no Authorization header', undefined],
    ['an unknown site token', 'lks_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a token that is not a Latchkey token', 'ghp_notatoken'],
  ])('answers 401 UNAUTHENTICATED for %s', async (_label, token) => {
    const result = await gateway.gql(SECRETS, undefined, token);
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.body.data ?? null).toBeNull();
  });

  it('answers 401 for a malformed Authorization header', async () => {
    const response = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNz' },
      body: JSON.stringify({ query: '{ secrets { github { isLoggedIn } } }' }),
    });
    expect(response.status).toBe(401);
    expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('keeps createSite for the admin token', async () => {
    const result = await gql('mutation { createSite(input: { name: "x" }) { siteToken } }');
    expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('refresh and sign-out', () => {
  async function expireStoredToken() {
    await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: 'GITHUB' }, data: { expiresAt: new Date(Date.now() - 1000) } });
  }

  it('refreshes an expired token once for concurrent readers and stores the rotated refresh token', async () => {
    await connect();
    const oldRefresh = github.state.lastToken!.refreshToken;
    await expireStoredToken();
    const refreshesBefore = github.state.refreshRequests;
    const results = await Promise.all(Array.from({ length: 10 }, () => gql(SECRETS)));
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    const tokens = new Set(results.map((result) => result.body.data.secrets.github.bearerToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toBe(github.state.lastToken!.accessToken);
    expect(github.state.lastToken!.refreshToken).not.toBe(oldRefresh);

    // The rotated refresh token is the one stored: a second refresh must succeed with it.
    await expireStoredToken();
    const again = await gql(SECRETS);
    expect(again.body.data.secrets.github.bearerToken).toBe(github.state.lastToken!.accessToken);
    expect(github.state.refreshRequests).toBe(refreshesBefore + 2);
  });

  it('marks the connection NEEDS_REAUTH when GitHub refuses the refresh token', async () => {
    await connect();
    github.state.invalidateAllRefreshTokens();
    await expireStoredToken();
    const result = await gql(SECRETS);
    expect(result.body.data.secrets.github).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH' });
    const health = await gql('{ secrets { github { lastError refreshFailures } } }');
    expect(health.body.data.secrets.github.lastError).toContain('bad_refresh_token');
    expect(health.body.data.secrets.github.refreshFailures).toBe(1);
  });

  it('revokes at GitHub on signOut and forgets the tokens', async () => {
    await connect();
    const revocationsBefore = github.state.revocationRequests;
    const result = await gql('mutation { signOut(service: GITHUB) { service isLoggedIn bearerToken status } }');
    expect(result.body.data.signOut).toEqual({ service: 'GITHUB', isLoggedIn: false, bearerToken: null, status: 'REVOKED' });
    expect(github.state.revocationRequests).toBe(revocationsBefore + 1);
    expect(github.state.lastToken!.active).toBe(false);
    const again = await gql('mutation { signOut(service: GITHUB) { isLoggedIn } }');
    expect(again.body.data.signOut.isLoggedIn).toBe(false);
  });

  it("revokes only this site's token: the same GitHub user connected on another site stays connected", async () => {
    const other = await gateway.createSite('Neighbour', [ORIGIN]);
    await connect();
    const ours = github.state.lastToken!.accessToken;
    const started = await startAuth({ returnTo: `${ORIGIN}/done` }, other.token);
    await callback(await browserAuthorize(started.body.data.startAuth.authorizationUrl));
    const theirs = (await gql(SECRETS, undefined, other.token)).body.data.secrets.github.bearerToken;
    expect(theirs).not.toBe(ours);

    await gql('mutation { signOut(service: GITHUB) { isLoggedIn } }');
    expect(github.state.findByAccessToken(ours)!.active).toBe(false);
    expect(github.state.findByAccessToken(theirs)!.active).toBe(true);
    const user = await fetch(`${github.url}/user`, { headers: { authorization: `Bearer ${theirs}` } });
    expect(user.status).toBe(200);
    expect((await gql(SECRETS, undefined, other.token)).body.data.secrets.github.isLoggedIn).toBe(true);
  });
});

describe('secrets never leak', () => {
  it('keeps every token, secret and code out of logs and non-token response fields', async () => {
    const secrets = [
      github.clientSecret,
      ...github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken].filter((value): value is string => Boolean(value))),
    ];
    expect(secrets.length).toBeGreaterThan(5);
    const logText = gateway.logs.join('\n');
    expect(gateway.logs.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(logText).not.toContain(secret);
    expect(logText).not.toContain(site.token);
    expect(logText).not.toMatch(/code=|code_verifier/);
    // Responses may carry a token only in bearerToken fields.
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of secrets) expect(withoutBearer).not.toContain(secret);
  });
});
