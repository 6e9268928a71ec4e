// Attacks on the authorization flow over real HTTP: repeated callback parameters, token types the
// gateway cannot use. Each is refused and stores nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback } from './support/connect.js';

const ORIGIN = 'http://app.test:3000';
const START = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }';
const SECRETS = '{ secrets { spotify { isLoggedIn bearerToken status } } }';

let spotify: FakeSpotify;
let gateway: TestGateway;
let site: { siteId: string; token: string };

beforeAll(async () => {
  spotify = await startFakeSpotify();
  gateway = await startTestGateway({ ...spotify.appEnv, LATCHKEY_SWEEP_INTERVAL_SECONDS: '0' });
  site = await gateway.createSite('Flow attacks', [ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
  await spotify?.close();
});

beforeEach(async () => {
  spotify.state.tokenType = 'Bearer';
  await gateway.gateway.db.connection.deleteMany({ where: { siteId: site.siteId } });
});

/** startAuth, then the fake consents; returns the callback URL the provider sent the browser to. */
async function approvedCallback(): Promise<{ callback: URL; cookie: string; attemptId: string; returnTo: string }> {
  const returnTo = `${ORIGIN}/back`;
  const started = await gateway.gql(START, { input: { service: 'SPOTIFY', returnTo } }, site.token);
  const { authorizationUrl, attemptId } = started.body.data.startAuth;
  const { final, cookie } = await followRedirects(authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  return { callback: final, cookie, attemptId, returnTo };
}

async function attemptRow(id: string) {
  return gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id } });
}

describe('a callback repeating an OAuth parameter', () => {
  it.each([
    ['state', (url: URL) => url.searchParams.append('state', url.searchParams.get('state')!)],
    ['code', (url: URL) => url.searchParams.append('code', 'another-code')],
    ['iss', (url: URL) => (url.searchParams.append('iss', 'https://right.example'), url.searchParams.append('iss', 'https://wrong.example'))],
    ['error', (url: URL) => (url.searchParams.append('error', 'access_denied'), url.searchParams.append('error', 'access_denied'))],
  ])('is refused when %s is repeated, storing nothing and leaving the attempt unused', async (_name, repeat) => {
    const { callback, cookie, attemptId } = await approvedCallback();
    const tokenRequests = spotify.state.tokenRequests;
    repeat(callback);
    const response = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('repeats the parameter');
    expect(html).not.toContain(callback.searchParams.get('code')!);
    expect(spotify.state.tokenRequests).toBe(tokenRequests);
    expect((await attemptRow(attemptId)).usedAt).toBeNull();
    expect((await gateway.gql(SECRETS, undefined, site.token)).body.data.secrets.spotify.isLoggedIn).toBe(false);
  });

  it('while the same callback without the repetition still completes', async () => {
    const { callback, cookie } = await approvedCallback();
    const response = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
    expect((await gateway.gql(SECRETS, undefined, site.token)).body.data.secrets.spotify.isLoggedIn).toBe(true);
  });
});

describe('a token_type other than Bearer', () => {
  it.each(['DPoP', 'mac', 'N_A'])('fails the attempt with PROVIDER_ERROR and stores nothing (%s)', async (tokenType) => {
    spotify.state.tokenType = tokenType;
    const { callback, cookie, attemptId } = await approvedCallback();
    const response = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('unsupported_token_type');
    const attempt = await gateway.gql('query ($id: ID!) { authAttempt(id: $id) { status error } }', { id: attemptId }, site.token);
    expect(attempt.body.data.authAttempt).toMatchObject({ status: 'FAILED' });
    expect(await gateway.gateway.db.connection.count({ where: { siteId: site.siteId } })).toBe(0);
  });

  it('accepts bearer in any case', async () => {
    spotify.state.tokenType = 'BEARER';
    await connectViaCallback(gateway, site.token, 'SPOTIFY', `${ORIGIN}/back`);
    expect((await gateway.gql(SECRETS, undefined, site.token)).body.data.secrets.spotify.isLoggedIn).toBe(true);
  });

  it('fails a refresh with PROVIDER_ERROR and keeps the stored token as it was', async () => {
    await connectViaCallback(gateway, site.token, 'SPOTIFY', `${ORIGIN}/back`);
    const before = await gateway.gateway.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service: 'SPOTIFY' } });
    await gateway.gateway.db.connection.updateMany({ where: { id: before.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    spotify.state.tokenType = 'DPoP';
    const refreshes = spotify.state.refreshRequests;
    const result = await gateway.gql(SECRETS, undefined, site.token);
    expect(spotify.state.refreshRequests).toBe(refreshes + 1);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');
    expect(result.body.errors?.[0]?.extensions?.providerError).toBe('unsupported_token_type');
    const after = await gateway.gateway.db.connection.findUniqueOrThrow({ where: { id: before.id } });
    expect(after.accessToken).toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);
  });
});

describe('finishAuth', () => {
  it('refuses an attempt started for the gateway callback, leaving it unused for its browser', async () => {
    const { callback, cookie, attemptId } = await approvedCallback();
    const tokenRequests = spotify.state.tokenRequests;
    const finished = await gateway.gql(
      'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }',
      { input: { code: callback.searchParams.get('code'), state: callback.searchParams.get('state') } },
      site.token,
    );
    expect(finished.body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');
    expect(spotify.state.tokenRequests).toBe(tokenRequests);
    expect((await attemptRow(attemptId)).usedAt).toBeNull();
    // The browser's own callback still completes it.
    const response = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
  });
});
