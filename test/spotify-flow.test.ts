// The flow for SPOTIFY against the local Spotify fake, over real HTTP and a real database: PKCE with
// Basic client authentication, refresh answers without refresh_token, a refused refresh, sign-out
// without a revocation endpoint, secrets at rest (a raw dump of the SQLite files), and a site's own
// OAuth app set through setServiceCredentials.
//
// Every request the gateway sends to Spotify goes through a counting proxy, so "no request" is
// checked for every path, not only the ones the fake counts.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'openid-client';
import { decryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { testDatabaseProvider } from './support/database.js';
import { followRedirects, providerUrlOf, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const SECRETS = `query { secrets { spotify {
  service isLoggedIn bearerToken expiresAt foreignUserId foreignUserName status lastError refreshFailures
  grantedScopes { scope scopeInfo { title } }
} } }`;
const ATTEMPT = 'query ($id: ID!) { authAttempt(id: $id) { status error } }';

interface CountingProxy {
  url: string;
  /** "METHOD /path" of every request that passed, in order (no query strings, no bodies). */
  requests: string[];
  close(): Promise<void>;
}

/** Forwards everything to `target` unchanged and records that it did. */
async function startCountingProxy(target: string): Promise<CountingProxy> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    requests.push(`${req.method} ${url.pathname}`);
    const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function spotifyEnv(proxy: CountingProxy): Record<string, string> {
  return {
    LATCHKEY_SPOTIFY_AUTHORIZATION_URL: `${proxy.url}/authorize`,
    LATCHKEY_SPOTIFY_TOKEN_URL: `${proxy.url}/api/token`,
    LATCHKEY_SPOTIFY_API_URL: proxy.url,
    // Tests move a token's expiry by writing the row directly, as another instance would; the
    // gateway's in-memory read cache (if any) would hide that write for its TTL, so it is off here.
    LATCHKEY_CONNECTION_CACHE_MS: '0',
  };
}

let spotify: FakeSpotify;
let proxy: CountingProxy;
let gateway: TestGateway;
let site: { siteId: string; token: string };

/** A second gateway without a gateway-wide Spotify app, and a Spotify app of a site's own. */
let ownSpotify: FakeSpotify;
let ownProxy: CountingProxy;
let bare: TestGateway;
const OWN_CLIENT_ID = 'site0own0spotify0client0id000000';
// Spotify client secrets are 32 hex characters. (The fake compares the Basic credentials without
// form-decoding them, which RFC 6749 §2.3.1 asks of the client: openid-client encodes "-" as %2D.)
const OWN_CLIENT_SECRET = randomBytes(16).toString('hex');

const seenBodies: string[] = [];
const seenCodes = new Set<string>();
const seenSiteTokens: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token, on: TestGateway = gateway) {
  const result = await on.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

async function startAuth(input: Record<string, unknown>, token = site.token, on: TestGateway = gateway) {
  return gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId expiresAt } }',
    { input: { service: 'SPOTIFY', ...input } },
    token,
    on,
  );
}

/** The browser: authorize at Spotify, then land on the gateway callback (returnTo not followed). */
async function authorizeAndCallback(authorizationUrl: string) {
  const { final, cookie, visited } = await followRedirects(authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const code = final.searchParams.get('code');
  if (code) seenCodes.add(code);
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  const body = await response.text();
  seenBodies.push(body, response.headers.get('location') ?? '');
  return { callbackUrl: final, providerUrl: providerUrlOf(visited), response: new Response(body, { status: response.status, headers: response.headers }) };
}

async function connect(token = site.token, on: TestGateway = gateway) {
  const started = await startAuth({ returnTo: `${ORIGIN}/done` }, token, on);
  expect(started.body.errors).toBeUndefined();
  const { callbackUrl, providerUrl, response } = await authorizeAndCallback(started.body.data.startAuth.authorizationUrl);
  expect(response.status).toBe(302);
  const back = new URL(response.headers.get('location')!);
  expect(back.searchParams.get('latchkey_status')).toBe('success');
  return { started: started.body.data.startAuth as { authorizationUrl: string; attemptId: string }, callbackUrl, providerUrl, back };
}

function storedConnection(on: TestGateway = gateway, siteId = site.siteId) {
  return on.gateway.db.connection.findFirst({ where: { siteId, service: 'SPOTIFY' } });
}

async function expireStoredToken() {
  await gateway.gateway.db.connection.updateMany({
    where: { siteId: site.siteId, service: 'SPOTIFY' },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
}

/** Every PKCE verifier a gateway stored, decrypted. */
async function verifiersOf(on: TestGateway): Promise<string[]> {
  const attempts = await on.gateway.db.authAttempt.findMany({ where: { codeVerifier: { not: null } } });
  return attempts.map((attempt) =>
    decryptSecret(on.gateway.services.keyring, attempt.codeVerifier!, secretContext('AuthAttempt', 'codeVerifier', attempt.id)),
  );
}

function issuedTokens(fake: FakeSpotify): string[] {
  return fake.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken]);
}

/** The SQLite database file and its -wal/-shm companions, as raw bytes (absent files are skipped). */
async function rawDatabaseBytes(databaseUrl: string): Promise<{ files: string[]; bytes: Buffer }> {
  const path = databaseUrl.startsWith('file://') ? fileURLToPath(databaseUrl) : databaseUrl.slice('file:'.length);
  const files: string[] = [];
  const parts: Buffer[] = [];
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      parts.push(await readFile(file));
      files.push(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { files, bytes: Buffer.concat(parts) };
}

beforeAll(async () => {
  spotify = await startFakeSpotify();
  proxy = await startCountingProxy(spotify.url);
  gateway = await startTestGateway({
    ...spotifyEnv(proxy),
    LATCHKEY_SPOTIFY_CLIENT_ID: spotify.clientId,
    LATCHKEY_SPOTIFY_CLIENT_SECRET: spotify.clientSecret,
  });
  site = await gateway.createSite('Spotify site', [ORIGIN]);
  seenSiteTokens.push(site.token);

  ownSpotify = await startFakeSpotify({ clientId: OWN_CLIENT_ID, clientSecret: OWN_CLIENT_SECRET });
  ownProxy = await startCountingProxy(ownSpotify.url);
  bare = await startTestGateway(spotifyEnv(ownProxy));
});

afterEach(() => {
  spotify.state.denyAuthorization = false;
});

afterAll(async () => {
  await gateway?.close();
  await bare?.close();
  await proxy?.close();
  await ownProxy?.close();
  await spotify?.close();
  await ownSpotify?.close();
});

describe('connecting Spotify', () => {
  it('runs the code flow with PKCE and Basic client authentication', async () => {
    const { started, callbackUrl, providerUrl: authorizationUrl, back } = await connect();
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${proxy.url}/authorize`);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(spotify.clientId);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${gateway.publicUrl}/oauth/callback/spotify`);
    expect(authorizationUrl.searchParams.get('scope')!.split(' ').sort()).toEqual(['user-read-email', 'user-read-private']);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    const attempt = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: started.attemptId } });
    const verifier = decryptSecret(gateway.gateway.services.keyring, attempt.codeVerifier!, secretContext('AuthAttempt', 'codeVerifier', attempt.id));
    expect(authorizationUrl.searchParams.get('code_challenge')).toBe(await oauth.calculatePKCECodeChallenge(verifier));
    expect(authorizationUrl.searchParams.has('client_secret')).toBe(false);
    expect(callbackUrl.pathname).toBe('/oauth/callback/spotify');
    expect(back.searchParams.get('service')).toBe('SPOTIFY');

    // The code exchange: form-encoded, secret in the Basic header (Spotify's way), with the verifier.
    const exchanges = spotify.state.tokenRequestLog.filter((request) => request.grantType === 'authorization_code');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({ clientAuth: 'basic', hasCodeVerifier: true, hasRedirectUri: true });
    expect(exchanges[0]!.contentType).toContain('application/x-www-form-urlencoded');

    const secret = (await gql(SECRETS)).body.data.secrets.spotify;
    expect(secret).toMatchObject({
      service: 'SPOTIFY',
      isLoggedIn: true,
      status: 'ACTIVE',
      bearerToken: spotify.state.lastToken!.accessToken,
      foreignUserId: 'latchkeyfakeuser',
      foreignUserName: 'Latchkey Fake User',
    });
    expect(secret.grantedScopes.map((scope: { scope: string }) => scope.scope).sort()).toEqual(['user-read-email', 'user-read-private']);
    const expiresIn = new Date(secret.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3000 * 1000);
    expect(expiresIn).toBeLessThanOrEqual(3600 * 1000);
    expect(spotify.state.meRequests).toBe(1);
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.authAttempt).toEqual({ status: 'COMPLETED', error: null });
  });

  it('reports a cancelled authorization', async () => {
    spotify.state.denyAuthorization = true;
    const started = await startAuth({ returnTo: `${ORIGIN}/done` });
    const { response } = await authorizeAndCallback(started.body.data.startAuth.authorizationUrl);
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect((await gql(ATTEMPT, { id: started.body.data.startAuth.attemptId })).body.data.authAttempt).toEqual({ status: 'FAILED', error: 'access_denied' });
    expect((await gql(SECRETS)).body.data.secrets.spotify.isLoggedIn).toBe(true);
  });
});

describe('refresh', () => {
  it('keeps the refresh token Spotify leaves out of its answer, so a second refresh works too', async () => {
    await connect();
    const { store } = gateway.gateway.services;
    const connected = (await storedConnection())!;
    const firstAccess = spotify.state.lastToken!.accessToken;
    const refreshToken = spotify.state.lastToken!.refreshToken;
    expect(store.refreshTokenOf(connected)).toBe(refreshToken);
    expect(spotify.state.omitRefreshTokenOnRefresh).toBe(true);

    await expireStoredToken();
    const refreshesBefore = spotify.state.refreshRequests;
    const results = await Promise.all(Array.from({ length: 5 }, () => gql(SECRETS)));
    expect(spotify.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(spotify.state.tokenRequestLog.at(-1)).toMatchObject({ grantType: 'refresh_token', clientAuth: 'basic', hasCodeVerifier: false });
    const tokens = new Set(results.map((result) => result.body.data.secrets.spotify.bearerToken));
    expect(tokens.size).toBe(1);
    const refreshed = [...tokens][0];
    expect(refreshed).toBe(spotify.state.lastToken!.accessToken);
    expect(refreshed).not.toBe(firstAccess);
    expect(results[0]!.body.data.secrets.spotify).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', foreignUserId: 'latchkeyfakeuser' });

    const afterFirst = (await storedConnection())!;
    expect(afterFirst.refreshToken).toBe(connected.refreshToken);
    expect(store.refreshTokenOf(afterFirst)).toBe(refreshToken);

    await expireStoredToken();
    const again = (await gql(SECRETS)).body.data.secrets.spotify;
    expect(spotify.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(again).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', bearerToken: spotify.state.lastToken!.accessToken });
    expect(again.bearerToken).not.toBe(refreshed);
    expect(store.refreshTokenOf((await storedConnection())!)).toBe(refreshToken);
  });

  it('marks the connection NEEDS_REAUTH when Spotify answers invalid_grant', async () => {
    await connect();
    spotify.state.invalidateAllRefreshTokens();
    await expireStoredToken();
    const refreshesBefore = spotify.state.refreshRequests;
    const result = await gql(SECRETS);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.secrets.spotify).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH', refreshFailures: 1 });
    expect(result.body.data.secrets.spotify.lastError).toContain('invalid_grant');
    expect(spotify.state.refreshRequests).toBe(refreshesBefore + 1);
    // Settled: the next read does not ask Spotify again.
    expect((await gql(SECRETS)).body.data.secrets.spotify.status).toBe('NEEDS_REAUTH');
    expect(spotify.state.refreshRequests).toBe(refreshesBefore + 1);
  });
});

describe('signing out of Spotify', () => {
  it('forgets the tokens locally without any request to Spotify, which has no revocation endpoint', async () => {
    await connect();
    const services = await gql('{ services { service supportsRevocation } }');
    expect(services.body.data.services.find((info: { service: string }) => info.service === 'SPOTIFY').supportsRevocation).toBe(false);
    const requestsBefore = [...proxy.requests];

    const result = await gql('mutation { signOut(service: SPOTIFY) { service isLoggedIn bearerToken status } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.signOut).toEqual({ service: 'SPOTIFY', isLoggedIn: false, bearerToken: null, status: 'REVOKED' });
    expect(proxy.requests).toEqual(requestsBefore);
    expect((await gql(SECRETS)).body.data.secrets.spotify).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'REVOKED' });
    expect(await storedConnection()).toMatchObject({ status: 'REVOKED', accessToken: null, refreshToken: null });
    const me = await gql('{ me { serviceMetadata { loggedInServices { service } } } }');
    expect(me.body.data.me.serviceMetadata.loggedInServices).toEqual([]);
    expect(proxy.requests).toEqual(requestsBefore);
  });
});

describe('secrets at rest', () => {
  // PostgreSQL keeps its files elsewhere; the dump check is for the embedded SQLite database.
  it.skipIf(testDatabaseProvider() !== 'sqlite')(
    'stores no token, client secret, code or verifier in plain text in the SQLite files',
    async () => {
      expect(gateway.databaseUrl).toMatch(/^file:/);
      await connect();
      // Refresh once more, so the file has seen a rotation of the access token too.
      await expireStoredToken();
      expect((await gql(SECRETS)).body.data.secrets.spotify.isLoggedIn).toBe(true);

      const row = (await storedConnection())!;
      expect(row).toMatchObject({ status: 'ACTIVE', foreignUserId: 'latchkeyfakeuser' });
      expect(row.accessToken).toMatch(/^v1\./);
      expect(row.refreshToken).toMatch(/^v1\./);

      const { files, bytes } = await rawDatabaseBytes(gateway.databaseUrl);
      expect(files.length).toBeGreaterThan(0);
      // The dump holds the row as stored: its id and its ciphertexts are found, so a plaintext would be too.
      expect(bytes.includes(Buffer.from(row.id))).toBe(true);
      expect(bytes.includes(Buffer.from(row.accessToken!))).toBe(true);
      expect(bytes.includes(Buffer.from(row.refreshToken!))).toBe(true);

      const secrets = [spotify.clientSecret, ...issuedTokens(spotify), ...seenCodes, ...(await verifiersOf(gateway)), site.token];
      expect(spotify.state.issuedTokens.length).toBeGreaterThanOrEqual(2);
      expect(seenCodes.size).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(bytes.includes(Buffer.from(secret, 'utf8')), `a secret of ${secret.length} characters is in the database files`).toBe(false);
      }
    },
  );
});

describe("a site's own Spotify app (setServiceCredentials)", () => {
  const SET = `mutation ($input: SetServiceCredentialsInput!) {
    setServiceCredentials(input: $input) { service clientId hasClientSecret updatedAt }
  }`;

  it('makes startAuth work for that site only, never shows the secret, and stores it encrypted', async () => {
    const own = await bare.createSite('Own app', [ORIGIN]);
    const other = await bare.createSite('No app', [ORIGIN]);
    seenSiteTokens.push(own.token, other.token);

    const catalog = await gql('{ services { service gatewayAppConfigured } }', undefined, own.token, bare);
    expect(catalog.body.data.services.find((info: { service: string }) => info.service === 'SPOTIFY').gatewayAppConfigured).toBe(false);
    const refused = await startAuth({ returnTo: `${ORIGIN}/done` }, own.token, bare);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('setServiceCredentials');

    const set = await gql(SET, { input: { service: 'SPOTIFY', clientId: OWN_CLIENT_ID, clientSecret: OWN_CLIENT_SECRET } }, own.token, bare);
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data.setServiceCredentials).toMatchObject({ service: 'SPOTIFY', clientId: OWN_CLIENT_ID, hasClientSecret: true });

    // The secret is write-only: no field returns it.
    const listed = await gql('{ serviceCredentials { service clientId hasClientSecret updatedAt } }', undefined, own.token, bare);
    expect(listed.body.data.serviceCredentials).toEqual([
      { service: 'SPOTIFY', clientId: OWN_CLIENT_ID, hasClientSecret: true, updatedAt: expect.any(String) },
    ]);
    const type = await gql('{ __type(name: "ServiceCredential") { fields { name } } }', undefined, own.token, bare);
    expect(type.body.data.__type.fields.map((field: { name: string }) => field.name)).not.toContain('clientSecret');

    // The whole flow, with the site's app: the fake accepts only its own client id and secret.
    const { providerUrl } = await connect(own.token, bare);
    expect(providerUrl.searchParams.get('client_id')).toBe(OWN_CLIENT_ID);
    expect(ownSpotify.state.tokenRequestLog.at(-1)).toMatchObject({ grantType: 'authorization_code', clientAuth: 'basic', hasCodeVerifier: true });
    const secret = (await gql(SECRETS, undefined, own.token, bare)).body.data.secrets.spotify;
    expect(secret).toMatchObject({ isLoggedIn: true, bearerToken: ownSpotify.state.lastToken!.accessToken, foreignUserId: 'latchkeyfakeuser' });

    // Another site of the same gateway still has no Spotify app.
    const otherStart = await startAuth({ returnTo: `${ORIGIN}/done` }, other.token, bare);
    expect(otherStart.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(SECRETS, undefined, other.token, bare)).body.data.secrets.spotify.isLoggedIn).toBe(false);

    // At rest the secret is ciphertext bound to its row.
    const stored = await bare.gateway.db.serviceCredential.findFirstOrThrow({ where: { siteId: own.siteId, service: 'SPOTIFY' } });
    expect(stored.clientSecret).toMatch(/^v1\./);
    expect(stored.clientSecret).not.toContain(OWN_CLIENT_SECRET);
    expect(decryptSecret(bare.gateway.services.keyring, stored.clientSecret!, secretContext('ServiceCredential', 'clientSecret', stored.id))).toBe(OWN_CLIENT_SECRET);
    if (bare.databaseUrl.startsWith('file:')) {
      const { bytes } = await rawDatabaseBytes(bare.databaseUrl);
      expect(bytes.includes(Buffer.from(stored.clientSecret!))).toBe(true);
      expect(bytes.includes(Buffer.from(OWN_CLIENT_SECRET))).toBe(false);
    }

    // A refresh uses the site's app too.
    await bare.gateway.db.connection.updateMany({ where: { siteId: own.siteId, service: 'SPOTIFY' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const refreshed = (await gql(SECRETS, undefined, own.token, bare)).body.data.secrets.spotify;
    expect(ownSpotify.state.refreshRequests).toBe(1);
    expect(refreshed).toMatchObject({ isLoggedIn: true, bearerToken: ownSpotify.state.lastToken!.accessToken });
  });
});

describe("a site's own public (PKCE-only) Spotify app", () => {
  it('connects without a client secret and stores the refresh token Spotify rotates for such clients', async () => {
    const own = await bare.createSite('Public app', [ORIGIN]);
    seenSiteTokens.push(own.token);
    const set = await gql(
      'mutation ($input: SetServiceCredentialsInput!) { setServiceCredentials(input: $input) { service clientId hasClientSecret } }',
      { input: { service: 'SPOTIFY', clientId: OWN_CLIENT_ID } },
      own.token,
      bare,
    );
    expect(set.body.data.setServiceCredentials).toEqual({ service: 'SPOTIFY', clientId: OWN_CLIENT_ID, hasClientSecret: false });
    await connect(own.token, bare);
    expect(ownSpotify.state.tokenRequestLog.at(-1)).toMatchObject({ grantType: 'authorization_code', clientAuth: 'none', hasCodeVerifier: true });
    const issued = ownSpotify.state.lastToken!;
    expect(issued.publicClient).toBe(true);

    const expire = () =>
      bare.gateway.db.connection.updateMany({ where: { siteId: own.siteId, service: 'SPOTIFY' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const refreshesBefore = ownSpotify.state.refreshRequests;
    await expire();
    const first = (await gql(SECRETS, undefined, own.token, bare)).body.data.secrets.spotify;
    expect(first).toMatchObject({ isLoggedIn: true, bearerToken: ownSpotify.state.lastToken!.accessToken });
    // The old refresh token is dead now; only the rotated one, if stored, refreshes again.
    expect(ownSpotify.state.lastToken!.refreshToken).not.toBe(issued.refreshToken);
    expect(issued.refreshActive).toBe(false);
    await expire();
    const second = (await gql(SECRETS, undefined, own.token, bare)).body.data.secrets.spotify;
    expect(ownSpotify.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(second).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', bearerToken: ownSpotify.state.lastToken!.accessToken });
  });
});

describe('secrets never leak', () => {
  it('keeps every token, client secret, code and verifier out of logs and non-token response fields', async () => {
    const secrets = [
      spotify.clientSecret,
      OWN_CLIENT_SECRET,
      ...issuedTokens(spotify),
      ...issuedTokens(ownSpotify),
      ...seenCodes,
      ...(await verifiersOf(gateway)),
      ...(await verifiersOf(bare)),
    ];
    expect(secrets.length).toBeGreaterThan(15);
    for (const instance of [gateway, bare]) {
      const logText = instance.logs.join('\n');
      expect(instance.logs.length).toBeGreaterThan(5);
      for (const secret of secrets) expect(logText).not.toContain(secret);
      for (const siteToken of seenSiteTokens) expect(logText).not.toContain(siteToken);
      expect(logText).not.toMatch(/code=|code_verifier|client_secret/);
      expect(instance.logs.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
    }
    // Responses may carry a token only in bearerToken fields.
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of secrets) expect(withoutBearer).not.toContain(secret);
  });
});
