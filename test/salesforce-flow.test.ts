// The whole authorization-code flow for SALESFORCE against oidc-provider (a certified authorization
// server, in-process), over real HTTP and a real database: PKCE, RFC 9207 `iss`, single-use codes
// and states, token endpoint failures, refresh without rotation, revoked grants, RFC 7009 sign-out,
// and the CLI long-poll.
//
// The auth server needs the redirect URI before it starts and the gateway needs the server's URL,
// so LATCHKEY_PUBLIC_URL names a front of the gateway (as behind a reverse proxy) on a port chosen
// up front; the test's "browser" maps that front's origin onto the gateway's real address.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'openid-client';
import { decryptSecret, encryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import {
  DEFAULT_ACCOUNT_ID,
  ORGANIZATION_ID,
  startAuthorizationServer,
  type AuthorizationServer,
} from './support/authorization-server.js';
import { browserCookie, providerUrlOfAttempt, freePort, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const APP_REDIRECT_URI = `${ORIGIN}/oauth/salesforce`;
const CLIENT_ID = 'latchkey-salesforce-test-client';
const CLIENT_SECRET = `sf-secret-${randomBytes(24).toString('base64url')}`;
const SECRETS = `query { secrets { salesforce {
  service isLoggedIn bearerToken expiresAt foreignUserId foreignUserName status lastError refreshFailures
  grantedScopes { scope scopeInfo { title } }
} } }`;
const ATTEMPT = 'query ($id: ID!) { authAttempt(id: $id) { id status error service } }';
const FINISH = 'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { service isLoggedIn bearerToken foreignUserId } }';

let server: AuthorizationServer;
let gateway: TestGateway;
let publicUrl: string;
let site: { siteId: string; token: string };

/** Every response body (and callback Location) the test saw, for the final leak check. */
const seenBodies: string[] = [];
/** Every authorization code the browser carried, and every token and verifier the gateway held. */
const seenCodes = new Set<string>();
const heldSecrets = new Set<string>();

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

async function startAuth(input: Record<string, unknown>) {
  const result = await gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId expiresAt } }',
    { input: { service: 'SALESFORCE', ...input } },
  );
  expect(result.body.errors).toBeUndefined();
  return result.body.data.startAuth as { authorizationUrl: string; attemptId: string; expiresAt: string };
}

/** The user logs in and consents (or denies) at the server; returns where it redirects the browser. */
async function browserAuthorize(authorizationUrl: string, options: { deny?: boolean } = {}): Promise<URL> {
  // The gateway's /oauth/start launch is on its public URL, which this test does not serve: reach it directly.
  const launch = new URL(authorizationUrl);
  const reachable = launch.origin === new URL(publicUrl).origin ? new URL(`${launch.pathname}${launch.search}`, gateway.url).href : authorizationUrl;
  const landing = await server.authorize(reachable, options);
  const code = landing.searchParams.get('code');
  if (code) seenCodes.add(code);
  return landing;
}

/** The browser follows the redirect to the gateway's public callback URL (not followed further). */
async function callback(landing: URL): Promise<Response> {
  expect(landing.origin).toBe(new URL(publicUrl).origin);
  const url = new URL(`${landing.pathname}${landing.search}`, gateway.url);
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: browserCookie(url) } });
  const body = await response.text();
  seenBodies.push(body, response.headers.get('location') ?? '');
  return new Response(body, { status: response.status, headers: response.headers });
}

async function connect(input: Record<string, unknown> = {}) {
  const started = await startAuth({ returnTo: `${ORIGIN}/done?x=1`, ...input });
  const landing = await browserAuthorize(started.authorizationUrl);
  const response = await callback(landing);
  await harvest();
  return { started, landing, response };
}

function backTo(response: Response): URL {
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

function storedConnection() {
  return gateway.gateway.db.connection.findFirst({ where: { siteId: site.siteId, service: 'SALESFORCE' } });
}

function keyring() {
  return gateway.gateway.services.keyring;
}

function verifierOf(attempt: { id: string; codeVerifier: string | null }): string {
  return decryptSecret(keyring(), attempt.codeVerifier!, secretContext('AuthAttempt', 'codeVerifier', attempt.id));
}

/** Collects every token and PKCE verifier the gateway holds right now (decrypted), for the leak check. */
async function harvest() {
  const { store } = gateway.gateway.services;
  for (const row of await gateway.gateway.db.connection.findMany()) {
    for (const value of [store.accessTokenOf(row), store.refreshTokenOf(row)]) if (value) heldSecrets.add(value);
  }
  for (const attempt of await gateway.gateway.db.authAttempt.findMany({ where: { codeVerifier: { not: null } } })) {
    heldSecrets.add(verifierOf(attempt));
  }
}

/** Status of the server's identity URL for a token: 200 only for an access token it issued and still honours. */
async function identityStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${server.issuer}/id/${ORGANIZATION_ID}/${DEFAULT_ACCOUNT_ID}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** A token request made directly by the test (as the client), bypassing the gateway. */
async function directRefresh(refreshToken: string) {
  const response = await fetch(server.salesforceEnv().LATCHKEY_SALESFORCE_TOKEN_URL!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.access_token === 'string') heldSecrets.add(body.access_token);
  return { status: response.status, body };
}

beforeAll(async () => {
  publicUrl = `http://127.0.0.1:${await freePort()}`;
  server = await startAuthorizationServer({
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${publicUrl}/oauth/callback/salesforce`, APP_REDIRECT_URI] }],
  });
  gateway = await startTestGateway({
    ...server.salesforceEnv(),
    LATCHKEY_SALESFORCE_CLIENT_ID: CLIENT_ID,
    LATCHKEY_SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
    LATCHKEY_PUBLIC_URL: publicUrl,
    // Tests move a token's expiry by writing the row directly, as another instance would; the
    // gateway's in-memory read cache (if any) would hide that write for its TTL, so it is off here.
    LATCHKEY_CONNECTION_CACHE_MS: '0',
  });
  expect(gateway.publicUrl).toBe(publicUrl);
  site = await gateway.createSite('Salesforce site', [ORIGIN]);
});

afterEach(async () => {
  if (gateway) await harvest();
});

afterAll(async () => {
  await gateway?.close();
  await server?.close();
});

describe('connecting Salesforce through the gateway callback', () => {
  it('runs the code flow with PKCE and iss, and hands the issued token to the site', async () => {
    const tokenRequestsBefore = server.state.tokenRequests;
    // chatter_api is in the gateway's catalog but unknown to this server, which drops it from the grant.
    const { started, landing, response } = await connect({ scopes: ['api', 'chatter_api'] });

    const authorizationUrl = await providerUrlOfAttempt(gateway, started.attemptId);
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${server.issuer}/services/oauth2/authorize`);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${publicUrl}/oauth/callback/salesforce`);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorizationUrl.searchParams.get('scope')!.split(' ').sort()).toEqual(['api', 'chatter_api', 'id', 'refresh_token']);
    expect(authorizationUrl.searchParams.has('code_verifier')).toBe(false);
    expect(authorizationUrl.searchParams.has('client_secret')).toBe(false);

    // The challenge sent is S256 of the verifier the gateway stored for this attempt.
    const attemptRow = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: started.attemptId } });
    expect(authorizationUrl.searchParams.get('code_challenge')).toBe(await oauth.calculatePKCECodeChallenge(verifierOf(attemptRow)));

    // RFC 9207: the server names itself in the callback, and the gateway accepts its own issuer.
    expect(landing.pathname).toBe('/oauth/callback/salesforce');
    expect(landing.searchParams.get('iss')).toBe(server.issuer);
    const back = backTo(response);
    expect(back.origin).toBe(ORIGIN);
    expect(back.searchParams.get('x')).toBe('1');
    expect(back.searchParams.get('latchkey_status')).toBe('success');
    expect(back.searchParams.get('service')).toBe('SALESFORCE');
    expect(back.searchParams.get('attempt')).toBe(started.attemptId);
    expect(back.search).not.toContain('code=');

    // One code exchange, with the PKCE verifier.
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });

    const secret = (await gql(SECRETS)).body.data.secrets.salesforce;
    expect(secret).toMatchObject({ service: 'SALESFORCE', isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    // The token is the one the server issued: its identity URL answers for it.
    expect(await identityStatus(secret.bearerToken)).toBe(200);
    const row = (await storedConnection())!;
    expect(secret.bearerToken).toBe(gateway.gateway.services.store.accessTokenOf(row));
    expect(gateway.gateway.services.store.refreshTokenOf(row)).toEqual(expect.any(String));
    // Granted scopes are what the server reported, not what was asked for.
    expect(secret.grantedScopes.map((scope: { scope: string }) => scope.scope).sort()).toEqual(['api', 'id', 'refresh_token']);
    expect(secret.grantedScopes.find((scope: { scope: string }) => scope.scope === 'api').scopeInfo.title).toBeTruthy();
    // The identity URL from the token response names the user.
    expect(secret.foreignUserId).toBe(DEFAULT_ACCOUNT_ID);
    expect(secret.foreignUserName).toBe(`${DEFAULT_ACCOUNT_ID.toLowerCase()}@example.com`);
    // The server's expires_in (3600 s) is used, not the 900 s assumed when Salesforce sends none.
    const expiresIn = new Date(secret.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3000 * 1000);
    expect(expiresIn).toBeLessThanOrEqual(3600 * 1000);

    const me = await gql('{ me { serviceMetadata { loggedInServices { service friendlyServiceName isLoggedIn bearerToken foreignUserId grantedScopes { scope } } } } }');
    expect(me.body.data.me.serviceMetadata.loggedInServices).toEqual([
      expect.objectContaining({ service: 'SALESFORCE', friendlyServiceName: 'Salesforce', isLoggedIn: true, bearerToken: secret.bearerToken, foreignUserId: DEFAULT_ACCOUNT_ID }),
    ]);

    const attempt = await gql(ATTEMPT, { id: started.attemptId });
    expect(attempt.body.data.authAttempt).toEqual({ id: started.attemptId, status: 'COMPLETED', error: null, service: 'SALESFORCE' });
  });

  it('reports access_denied back to returnTo and on the attempt, keeping the connection', async () => {
    const before = await storedConnection();
    const tokenRequestsBefore = server.state.tokenRequests;
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl, { deny: true });
    expect(landing.searchParams.get('error')).toBe('access_denied');
    expect(landing.searchParams.get('code')).toBeNull();
    const back = backTo(await callback(landing));
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    const attempt = await gql(ATTEMPT, { id: started.attemptId });
    expect(attempt.body.data.authAttempt).toMatchObject({ status: 'FAILED', error: 'access_denied' });
    expect(await storedConnection()).toEqual(before);
    expect((await gql(SECRETS)).body.data.secrets.salesforce.isLoggedIn).toBe(true);
  });

  it('refuses a forged state without contacting the server', async () => {
    const tokenRequestsBefore = server.state.tokenRequests;
    const attemptsBefore = await gateway.gateway.db.authAttempt.count();
    const forged = new URL(`${publicUrl}/oauth/callback/salesforce`);
    forged.search = new URLSearchParams({ code: 'forged-code', state: randomBytes(32).toString('base64url'), iss: server.issuer }).toString();
    const response = await callback(forged);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const page = await response.text();
    expect(page).toContain('Unknown authorization state');
    expect(page).toContain('AUTH_STATE_INVALID');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect(await gateway.gateway.db.authAttempt.count()).toBe(attemptsBefore);
  });

  it('refuses a reused state: the second callback never reaches the server', async () => {
    const { landing, response } = await connect();
    expect(backTo(response).searchParams.get('latchkey_status')).toBe('success');
    const stored = await storedConnection();
    const tokenRequestsBefore = server.state.tokenRequests;
    const replay = await callback(landing);
    // The attempt is known, so the browser goes back to its returnTo, with the reason.
    expect(backTo(replay).searchParams.get('latchkey_status')).toBe('error');
    expect(backTo(replay).searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect(await storedConnection()).toEqual(stored);
  });

  it('refuses an expired state', async () => {
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl);
    await gateway.gateway.db.authAttempt.update({ where: { id: started.attemptId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const stored = await storedConnection();
    const tokenRequestsBefore = server.state.tokenRequests;
    const response = await callback(landing);
    expect(backTo(response).searchParams.get('latchkey_status')).toBe('error');
    expect(backTo(response).searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(backTo(response).searchParams.get('attempt')).toBe(started.attemptId);
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt.status).toBe('EXPIRED');
    expect(await storedConnection()).toEqual(stored);
  });

  it('holds a configured issuer exactly: another issuer on the same origin is refused too', async () => {
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl);
    const sameOrigin = new URL(landing);
    sameOrigin.searchParams.set('iss', `${new URL(server.issuer).origin}/realms/other`);
    const response = await callback(sameOrigin);
    expect(backTo(response).searchParams.get('error')).toBe('AUTH_STATE_INVALID');
  });

  it('refuses a callback whose iss names another issuer (mix-up), before the code is sent anywhere', async () => {
    const stored = await storedConnection();
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl);
    const tampered = new URL(landing);
    tampered.searchParams.set('iss', 'https://attacker.example');
    const tokenRequestsBefore = server.state.tokenRequests;
    const response = await callback(tampered);
    const back = backTo(response);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    const attempt = (await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt;
    expect(attempt.status).toBe('FAILED');
    expect(await storedConnection()).toEqual(stored);

    // The attempt is burnt: the genuine callback afterwards is refused too.
    const genuine = await callback(landing);
    expect(backTo(genuine).searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
  });

  it.each([
    ['a 500 from the token endpoint', () => server.failNextTokenRequests(1, 500)],
    ['a 503 maintenance page from the token endpoint', () => server.failNextTokenRequests(1, 503)],
    ['a token endpoint that never answers', () => server.hangNextTokenRequest()],
  ])('turns %s into UPSTREAM_ERROR and keeps the connection', async (_label, arrange) => {
    const stored = await storedConnection();
    const token = (await gql(SECRETS)).body.data.secrets.salesforce.bearerToken;
    arrange();
    const tokenRequestsBefore = server.state.tokenRequests;
    const started = await startAuth({ redirectUri: APP_REDIRECT_URI });
    const landing = await browserAuthorize(started.authorizationUrl);
    const finished = await gql(FINISH, {
      input: { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: landing.searchParams.get('iss') },
    });
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(finished.body.data).toBeNull();
    expect(finished.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(finished.body.errors?.[0]?.message).toMatch(/again/);
    const attempt = (await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt;
    expect(attempt.status).toBe('FAILED');
    expect(await storedConnection()).toEqual(stored);
    expect((await gql(SECRETS)).body.data.secrets.salesforce).toMatchObject({ isLoggedIn: true, bearerToken: token });
  });

  it('reports a failed exchange through the callback as UPSTREAM_ERROR', async () => {
    server.failNextTokenRequests(1, 500);
    const { started, response } = await connect();
    const back = backTo(response);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('UPSTREAM_ERROR');
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt.status).toBe('FAILED');
  });
});

describe('app-handled callbacks with finishAuth', () => {
  it('completes once; a replayed code is refused by the server as invalid_grant', async () => {
    const started = await startAuth({ redirectUri: APP_REDIRECT_URI });
    const landing = await browserAuthorize(started.authorizationUrl);
    expect(`${landing.origin}${landing.pathname}`).toBe(APP_REDIRECT_URI);
    expect(landing.searchParams.get('iss')).toBe(server.issuer);
    const code = landing.searchParams.get('code')!;
    const finished = await gql(FINISH, { input: { state: landing.searchParams.get('state'), code, iss: landing.searchParams.get('iss') } });
    expect(finished.body.errors).toBeUndefined();
    expect(finished.body.data.finishAuth).toMatchObject({ service: 'SALESFORCE', isLoggedIn: true, foreignUserId: DEFAULT_ACCOUNT_ID });
    await harvest();
    const stored = await storedConnection();
    expect(finished.body.data.finishAuth.bearerToken).toBe(gateway.gateway.services.store.accessTokenOf(stored!));

    // The same code under a fresh, valid state. So that the server's refusal is about the used code
    // and not about PKCE, the fresh attempt is given the first attempt's verifier.
    const first = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: started.attemptId } });
    const second = await startAuth({ redirectUri: APP_REDIRECT_URI });
    await gateway.gateway.db.authAttempt.update({
      where: { id: second.attemptId },
      data: { codeVerifier: encryptSecret(keyring(), verifierOf(first), secretContext('AuthAttempt', 'codeVerifier', second.attemptId)) },
    });
    const tokenRequestsBefore = server.state.tokenRequests;
    const replayed = await gql(FINISH, {
      input: { state: new URL(second.authorizationUrl).searchParams.get('state'), code, iss: server.issuer },
    });
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });
    expect(replayed.body.data).toBeNull();
    expect(replayed.body.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_grant' });
    expect((await gql(ATTEMPT, { id: second.attemptId })).body.data.authAttempt).toMatchObject({ status: 'FAILED', error: 'invalid_grant' });
    // It was refused as a reused code (not for PKCE): the server ended the grant the code had
    // produced (RFC 6749 §4.1.2), so the first token stopped working there.
    expect(await identityStatus(finished.body.data.finishAuth.bearerToken)).toBe(401);
    // The stored connection is untouched.
    expect(await storedConnection()).toEqual(stored);
    const secret = (await gql(SECRETS)).body.data.secrets.salesforce;
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', bearerToken: finished.body.data.finishAuth.bearerToken });
  });

  it('sends the stored verifier: a different (validly encrypted) verifier is refused as invalid_grant', async () => {
    const stored = await storedConnection();
    const started = await startAuth({ redirectUri: APP_REDIRECT_URI });
    const landing = await browserAuthorize(started.authorizationUrl);
    const attempt = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: started.attemptId } });
    const genuine = verifierOf(attempt);
    const other = oauth.randomPKCECodeVerifier();
    expect(other).not.toBe(genuine);
    heldSecrets.add(other);
    await gateway.gateway.db.authAttempt.update({
      where: { id: attempt.id },
      data: { codeVerifier: encryptSecret(keyring(), other, secretContext('AuthAttempt', 'codeVerifier', attempt.id)) },
    });
    const tokenRequestsBefore = server.state.tokenRequests;
    const finished = await gql(FINISH, {
      input: { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: landing.searchParams.get('iss') },
    });
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });
    expect(finished.body.data).toBeNull();
    expect(finished.body.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_grant' });
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt).toMatchObject({ status: 'FAILED', error: 'invalid_grant' });
    expect(await storedConnection()).toEqual(stored);
  });

  it('refuses finishAuth with an iss of another issuer without contacting the server', async () => {
    const stored = await storedConnection();
    const started = await startAuth({ redirectUri: APP_REDIRECT_URI });
    const landing = await browserAuthorize(started.authorizationUrl);
    const tokenRequestsBefore = server.state.tokenRequests;
    const finished = await gql(FINISH, {
      input: { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: 'https://attacker.example' },
    });
    expect(finished.body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt.status).toBe('FAILED');
    expect(await storedConnection()).toEqual(stored);
  });
});

describe('waiting for an attempt (CLI long-poll)', () => {
  it('wakes a waiting authAttempt as soon as the callback completes', async () => {
    const started = await startAuth({});
    let settledAt: number | undefined;
    const pollStartedAt = Date.now();
    const poll = gql('query ($id: ID!) { authAttempt(id: $id, waitSeconds: 5) { id status error } }', { id: started.attemptId }).then((result) => {
      settledAt = Date.now();
      return result;
    });
    // The poll is waiting, not answered with PENDING straight away.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settledAt).toBeUndefined();

    const landing = await browserAuthorize(started.authorizationUrl);
    const response = await callback(landing);
    expect(response.status).toBe(200); // no returnTo: the gateway's own page
    expect(await response.text()).toContain('Connected to Salesforce');
    const result = await poll;
    expect(result.body.data.authAttempt).toEqual({ id: started.attemptId, status: 'COMPLETED', error: null });
    // Woken by the callback, well before its 5 s wait ran out.
    expect(settledAt! - pollStartedAt).toBeLessThan(4000);
  });

  it('answers a wait on an already settled attempt at once, and refuses waits over 30 s', async () => {
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl, { deny: true });
    await callback(landing);
    const before = Date.now();
    const settled = await gql('query ($id: ID!) { authAttempt(id: $id, waitSeconds: 30) { status error } }', { id: started.attemptId });
    expect(settled.body.data.authAttempt).toEqual({ status: 'FAILED', error: 'access_denied' });
    expect(Date.now() - before).toBeLessThan(4000);

    const tooLong = await gql('query ($id: ID!) { authAttempt(id: $id, waitSeconds: 31) { status } }', { id: started.attemptId });
    expect(tooLong.body.data?.authAttempt ?? null).toBeNull();
    expect(tooLong.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooLong.body.errors?.[0]?.message).toContain('waitSeconds');
  });
});

describe('refresh and sign-out', () => {
  async function expireStoredToken() {
    await gateway.gateway.db.connection.updateMany({
      where: { siteId: site.siteId, service: 'SALESFORCE' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
  }

  it('refreshes an expired token once, keeps the refresh token the answer left out, and refreshes again', async () => {
    await connect();
    const connected = (await storedConnection())!;
    const { store } = gateway.gateway.services;
    const oldAccess = store.accessTokenOf(connected)!;
    const refreshToken = store.refreshTokenOf(connected)!;
    expect(refreshToken).toEqual(expect.any(String));

    await expireStoredToken();
    const refreshesBefore = server.state.refreshRequests;
    const results = await Promise.all(Array.from({ length: 5 }, () => gql(SECRETS)));
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'refresh_token', hadCodeVerifier: false });
    const tokens = new Set(results.map((result) => result.body.data.secrets.salesforce.bearerToken));
    expect(tokens.size).toBe(1);
    const refreshed = [...tokens][0] as string;
    expect(refreshed).not.toBe(oldAccess);
    expect(await identityStatus(refreshed)).toBe(200);
    const secret = results[0]!.body.data.secrets.salesforce;
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', foreignUserId: DEFAULT_ACCOUNT_ID });
    expect(new Date(secret.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3000 * 1000);

    // The answer carried no refresh_token: the stored one is unchanged and still works.
    const afterFirst = (await storedConnection())!;
    expect(afterFirst.refreshToken).toBe(connected.refreshToken);
    expect(store.refreshTokenOf(afterFirst)).toBe(refreshToken);
    expect(afterFirst.lastRefreshedAt).not.toBeNull();
    await harvest();

    await expireStoredToken();
    const again = (await gql(SECRETS)).body.data.secrets.salesforce;
    expect(server.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(again).toMatchObject({ isLoggedIn: true, status: 'ACTIVE' });
    expect(again.bearerToken).not.toBe(refreshed);
    expect(await identityStatus(again.bearerToken)).toBe(200);
    expect(store.refreshTokenOf((await storedConnection())!)).toBe(refreshToken);
  });

  it('marks the connection NEEDS_REAUTH when the server refuses the refresh token', async () => {
    await connect();
    await server.revokeAllGrants();
    await expireStoredToken();
    const refreshesBefore = server.state.refreshRequests;
    const result = await gql(SECRETS);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.secrets.salesforce).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH', refreshFailures: 1 });
    expect(result.body.data.secrets.salesforce.lastError).toContain('invalid_grant');
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    // Settled: later reads do not keep asking the server.
    expect((await gql(SECRETS)).body.data.secrets.salesforce.status).toBe('NEEDS_REAUTH');
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    const me = await gql('{ me { serviceMetadata { loggedInServices { service } } } }');
    expect(me.body.data.me.serviceMetadata.loggedInServices).toEqual([]);
  });

  it('revokes at the server (RFC 7009) on signOut and forgets the tokens', async () => {
    await connect();
    const connected = (await storedConnection())!;
    const { store } = gateway.gateway.services;
    const accessToken = store.accessTokenOf(connected)!;
    const refreshToken = store.refreshTokenOf(connected)!;
    expect(await identityStatus(accessToken)).toBe(200);
    const revocationsBefore = server.state.revocations;

    const result = await gql('mutation { signOut(service: SALESFORCE) { service isLoggedIn bearerToken status } }');
    expect(result.body.data.signOut).toEqual({ service: 'SALESFORCE', isLoggedIn: false, bearerToken: null, status: 'REVOKED' });
    expect(server.state.revocations).toBe(revocationsBefore + 1);
    // The grant is really over at the server: its refresh token and its access token no longer work.
    expect((await directRefresh(refreshToken)).body.error).toBe('invalid_grant');
    expect(await identityStatus(accessToken)).toBe(401);
    const row = (await storedConnection())!;
    expect(row).toMatchObject({ status: 'REVOKED', accessToken: null, refreshToken: null });
    expect((await gql(SECRETS)).body.data.secrets.salesforce).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'REVOKED' });

    // Signing out again is harmless and does not call the server.
    const again = await gql('mutation { signOut(service: SALESFORCE) { isLoggedIn } }');
    expect(again.body.data.signOut.isLoggedIn).toBe(false);
    expect(server.state.revocations).toBe(revocationsBefore + 1);
  });
});

describe('secrets never leak', () => {
  it('keeps every token, client secret, code and verifier out of logs and non-token response fields', async () => {
    await harvest();
    for (const body of seenBodies) {
      for (const match of body.matchAll(/"bearerToken":"([^"]+)"/g)) heldSecrets.add(match[1]!);
    }
    const secrets = [CLIENT_SECRET, ...heldSecrets, ...seenCodes];
    expect(heldSecrets.size).toBeGreaterThan(10);
    expect(seenCodes.size).toBeGreaterThan(5);
    const logText = gateway.logs.join('\n');
    expect(gateway.logs.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(logText).not.toContain(secret);
    expect(logText).not.toContain(site.token);
    expect(logText).not.toMatch(/code=|code_verifier|client_secret/);
    // Every failure above was an expected one: nothing reached the gateway's error log.
    expect(gateway.logs.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
    // Responses may carry a token only in bearerToken fields.
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of secrets) expect(withoutBearer).not.toContain(secret);
  });
});
