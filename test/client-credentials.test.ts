// Machine-to-machine connections (client credentials grant) over real HTTP and a real database:
// Spotify against its fake, Salesforce and Box against oidc-provider with the grant enabled. The
// token is asked for again when it nears expiry; refusals end in NEEDS_REAUTH, outages do not.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANIZATION_ID, startAuthorizationServer, type AuthorizationServer } from './support/authorization-server.js';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const SALESFORCE_CLIENT = { clientId: 'latchkey-cc-salesforce', clientSecret: `sf-${randomBytes(24).toString('base64url')}` };
const BOX_CLIENT = { clientId: 'latchkey-cc-box', clientSecret: `box-${randomBytes(24).toString('base64url')}` };
const RUN_AS = '005xx000004RunAsAAA';

const CONNECT = `mutation ($input: ConnectClientCredentialsInput!) {
  connectClientCredentials(input: $input) { service isLoggedIn bearerToken expiresAt foreignUserId status grantedScopes { scope } }
}`;
const secretsOf = (field: string) => `query { secrets { ${field} { isLoggedIn bearerToken expiresAt status lastError refreshFailures foreignUserId grantedScopes { scope } } } }`;

let spotify: FakeSpotify;
let server: AuthorizationServer;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const seenBodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

function connect(input: Record<string, unknown>, token = site.token) {
  return gql(CONNECT, { input }, token);
}

function row(service: string) {
  return gateway.gateway.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service } });
}

/** Makes the stored token, issued an hour ago, expire in `seconds` (negative: already expired). */
async function expireIn(service: string, seconds: number) {
  await gateway.gateway.db.connection.updateMany({
    where: { siteId: site.siteId, service },
    data: { expiresAt: new Date(Date.now() + seconds * 1000), tokenIssuedAt: new Date(Date.now() - 3600_000) },
  });
}

beforeAll(async () => {
  spotify = await startFakeSpotify();
  server = await startAuthorizationServer({
    clients: [
      { ...SALESFORCE_CLIENT, redirectUris: ['http://127.0.0.1/unused'], clientCredentials: { runAsAccountId: RUN_AS } },
      { ...BOX_CLIENT, redirectUris: ['http://127.0.0.1/unused'], clientCredentials: {} },
    ],
  });
  const token = `${server.issuer}/services/oauth2/token`;
  gateway = await startTestGateway({
    // The tests move expiry times in the database directly; no cached copy may hide that.
    LATCHKEY_CONNECTION_CACHE_MS: '0',
    ...spotify.appEnv,
    ...server.salesforceEnv(),
    LATCHKEY_SALESFORCE_CLIENT_ID: SALESFORCE_CLIENT.clientId,
    LATCHKEY_SALESFORCE_CLIENT_SECRET: SALESFORCE_CLIENT.clientSecret,
    // oidc-provider plays Box's token endpoint too; it has no /2.0/users/me, so Box connections carry no identity here.
    LATCHKEY_BOX_AUTHORIZATION_URL: `${server.issuer}/services/oauth2/authorize`,
    LATCHKEY_BOX_TOKEN_URL: token,
    LATCHKEY_BOX_API_URL: server.issuer,
    LATCHKEY_BOX_CLIENT_ID: BOX_CLIENT.clientId,
    LATCHKEY_BOX_CLIENT_SECRET: BOX_CLIENT.clientSecret,
  });
  site = await gateway.createSite('Machines');
});

afterAll(async () => {
  await gateway?.close();
  await server?.close();
  await spotify?.close();
});

describe('Spotify app tokens', () => {
  it('stores the app token as the site connection, with no user and no refresh token', async () => {
    const meRequestsBefore = spotify.state.meRequests;
    const result = await connect({ service: 'SPOTIFY' });
    expect(result.body.errors).toBeUndefined();
    const secret = result.body.data.connectClientCredentials;
    const issued = spotify.state.lastToken!;
    expect(issued.grant).toBe('client_credentials');
    expect(secret).toMatchObject({ service: 'SPOTIFY', isLoggedIn: true, status: 'ACTIVE', bearerToken: issued.accessToken, foreignUserId: null, grantedScopes: [] });
    expect(Math.abs(new Date(secret.expiresAt).getTime() - (Date.now() + 3600_000))).toBeLessThan(60_000);
    // Spotify's flow: the secret in a Basic header; its app token cannot read /v1/me, so the gateway does not try.
    expect(spotify.state.tokenRequestLog.at(-1)).toMatchObject({ grantType: 'client_credentials', clientAuth: 'basic' });
    expect(spotify.state.meRequests).toBe(meRequestsBefore);
    const stored = await row('SPOTIFY');
    expect(stored.grantType).toBe('CLIENT_CREDENTIALS');
    expect(stored.refreshToken).toBeNull();

    const read = await gql(secretsOf('spotify'));
    expect(read.body.data.secrets.spotify).toMatchObject({ isLoggedIn: true, bearerToken: issued.accessToken });
  });

  it('asks again, once for concurrent readers, when the token nears expiry', async () => {
    await connect({ service: 'SPOTIFY' });
    const previous = spotify.state.lastToken!.accessToken;
    const before = spotify.state.clientCredentialsRequests;
    await expireIn('SPOTIFY', 60);
    const results = await Promise.all(Array.from({ length: 6 }, () => gql(secretsOf('spotify'))));
    expect(spotify.state.clientCredentialsRequests).toBe(before + 1);
    // The reader that asked gets the new token; the others may get the previous one, still valid
    // for a minute, rather than wait for the request.
    const tokens = new Set(results.map((result) => result.body.data.secrets.spotify.bearerToken));
    expect(tokens.has(spotify.state.lastToken!.accessToken)).toBe(true);
    for (const token of tokens) expect([previous, spotify.state.lastToken!.accessToken]).toContain(token);
    const stored = await row('SPOTIFY');
    expect(stored.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    expect(stored.lastRefreshedAt).not.toBeNull();
    expect(stored.grantType).toBe('CLIENT_CREDENTIALS');
  });

  it('keeps a still-valid token through an outage, and reports the outage once it has expired', async () => {
    await connect({ service: 'SPOTIFY' });
    const current = spotify.state.lastToken!.accessToken;
    await expireIn('SPOTIFY', 60);
    spotify.state.failNextTokenRequest(503);
    const stillValid = await gql(secretsOf('spotify'));
    expect(stillValid.body.data.secrets.spotify).toMatchObject({ isLoggedIn: true, bearerToken: current });

    // The failure backs off: once the token has expired, readers are told to come back, and
    // Spotify is not asked again before the back-off runs out.
    const failed = await row('SPOTIFY');
    expect(failed).toMatchObject({ status: 'ACTIVE', refreshFailures: 1 });
    expect(failed.lastError).toContain('503');
    expect(failed.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now());
    await expireIn('SPOTIFY', -10);
    const requests = spotify.state.clientCredentialsRequests;
    const expired = await gql(secretsOf('spotify'));
    expect(expired.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(expired.body.errors?.[0]?.message).toMatch(/try again/i);
    expect(spotify.state.clientCredentialsRequests).toBe(requests);

    // Once the back-off has run out and Spotify answers again, the next read gets a new token.
    await gateway.gateway.db.connection.update({ where: { id: failed.id }, data: { nextRefreshAt: new Date(Date.now() - 1000) } });
    const recovered = await gql(secretsOf('spotify'));
    expect(recovered.body.data.secrets.spotify).toMatchObject({ isLoggedIn: true, bearerToken: spotify.state.lastToken!.accessToken, refreshFailures: 0 });
  });

  it('marks the connection NEEDS_REAUTH when Spotify refuses the app', async () => {
    await connect({ service: 'SPOTIFY' });
    await expireIn('SPOTIFY', -10);
    spotify.state.errorNextTokenRequest('invalid_client', 'Invalid client secret');
    const result = await gql(secretsOf('spotify'));
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.secrets.spotify).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH' });
    expect(result.body.data.secrets.spotify.lastError).toContain('invalid_client');
    expect(result.body.data.secrets.spotify.lastError).toContain('connectClientCredentials');

    // Connecting again restores it.
    const again = await connect({ service: 'SPOTIFY' });
    expect(again.body.data.connectClientCredentials).toMatchObject({ isLoggedIn: true, status: 'ACTIVE' });
  });

  it('reports a refused client secret as PROVIDER_ERROR and stores nothing', async () => {
    const other = await gateway.createSite('Wrong secret');
    const set = await gateway.gql(
      'mutation ($input: SetServiceCredentialsInput!) { setServiceCredentials(input: $input) { clientId } }',
      { input: { service: 'SPOTIFY', clientId: spotify.clientId, clientSecret: 'not-the-secret' } },
      other.token,
    );
    expect(set.body.errors).toBeUndefined();
    const result = await gateway.gql(CONNECT, { input: { service: 'SPOTIFY' } }, other.token);
    seenBodies.push(JSON.stringify(result.body));
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_client' });
    expect(await gateway.gateway.db.connection.count({ where: { siteId: other.siteId } })).toBe(0);
  });
});

describe('the service: String form', () => {
  it('connects any service by its key with connectServiceClientCredentials, refusing what connectClientCredentials refuses', async () => {
    const result = await gql(
      'mutation ($input: ConnectServiceClientCredentialsInput!) { connectServiceClientCredentials(input: $input) { __typename friendlyServiceName isLoggedIn bearerToken status } }',
      { input: { service: 'spotify' } },
    );
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.connectServiceClientCredentials).toMatchObject({
      __typename: 'ServiceSecret',
      friendlyServiceName: 'Spotify',
      isLoggedIn: true,
      status: 'ACTIVE',
      bearerToken: spotify.state.lastToken!.accessToken,
    });
    expect((await row('SPOTIFY')).grantType).toBe('CLIENT_CREDENTIALS');

    const refuse = async (service: string) =>
      (await gql('mutation ($input: ConnectServiceClientCredentialsInput!) { connectServiceClientCredentials(input: $input) { isLoggedIn } }', { input: { service } })).body
        .errors?.[0]?.extensions?.code;
    expect(await refuse('github')).toBe('BAD_USER_INPUT');
    expect(await refuse('nope')).toBe('BAD_USER_INPUT');
    expect(await refuse('custom:nope')).toBe('NOT_FOUND');
  });
});

describe('which services offer the grant', () => {
  it('refuses a service whose provider file does not support it, saying what to use', async () => {
    const result = await connect({ service: 'GITHUB' });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'service' });
    expect(result.body.errors?.[0]?.message).toContain('startAuth');
  });

  it('lists support and parameters in the catalog', async () => {
    const result = await gql('{ services { service supportsClientCredentials clientCredentialsParameters { name required allowedValues } } }');
    const byService = Object.fromEntries(result.body.data.services.map((info: { service: string }) => [info.service, info]));
    expect(byService.SPOTIFY.supportsClientCredentials).toBe(true);
    expect(byService.SALESFORCE.supportsClientCredentials).toBe(true);
    expect(byService.BOX.supportsClientCredentials).toBe(true);
    expect(byService.GITHUB.supportsClientCredentials).toBe(false);
    expect(byService.BOX.clientCredentialsParameters).toEqual([
      { name: 'box_subject_type', required: true, allowedValues: ['enterprise', 'user'] },
      { name: 'box_subject_id', required: true, allowedValues: null },
    ]);
  });
});

describe('Salesforce integration user', () => {
  it('connects as the run-as user of the connected app and asks again near expiry', async () => {
    const result = await connect({ service: 'SALESFORCE', scopes: ['api'] });
    expect(result.body.errors).toBeUndefined();
    const secret = result.body.data.connectClientCredentials;
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', foreignUserId: RUN_AS, grantedScopes: [{ scope: 'api' }] });
    expect(server.state.lastTokenRequest).toMatchObject({ grantType: 'client_credentials' });
    // The token acts for the run-as user: the identity URL answers for it.
    const identity = await fetch(`${server.issuer}/id/${ORGANIZATION_ID}/${RUN_AS}`, { headers: { authorization: `Bearer ${secret.bearerToken}` } });
    expect(identity.status).toBe(200);
    await identity.body?.cancel();
    const stored = await row('SALESFORCE');
    expect(stored.refreshToken).toBeNull();
    expect(stored.providerData).toMatchObject({ instance_url: server.issuer });

    const before = server.state.clientCredentialsRequests;
    await expireIn('SALESFORCE', -10);
    const refreshed = await gql(secretsOf('salesforce'));
    expect(server.state.clientCredentialsRequests).toBe(before + 1);
    expect(refreshed.body.data.secrets.salesforce).toMatchObject({ isLoggedIn: true, foreignUserId: RUN_AS, grantedScopes: [{ scope: 'api' }] });
    expect(refreshed.body.data.secrets.salesforce.bearerToken).not.toBe(secret.bearerToken);
    expect((await row('SALESFORCE')).providerData).toMatchObject({ instance_url: server.issuer });
  });

  it('refuses the shared login host, pointing at My Domain', async () => {
    const plain = await startTestGateway({ LATCHKEY_SALESFORCE_CLIENT_ID: 'id', LATCHKEY_SALESFORCE_CLIENT_SECRET: 'secret' });
    try {
      const own = await plain.createSite('Default hosts');
      const result = await plain.gql(CONNECT, { input: { service: 'SALESFORCE' } }, own.token);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.message).toContain('login.salesforce.com');
      expect(result.body.errors?.[0]?.message).toContain('My Domain');
    } finally {
      await plain.close();
    }
  });
});

describe('Box subjects', () => {
  it.each([
    [[], 'box_subject_type'],
    [[{ name: 'box_subject_type', value: 'enterprise' }], 'box_subject_id'],
    [[{ name: 'box_subject_type', value: 'group' }, { name: 'box_subject_id', value: '1' }], 'enterprise, user'],
    [[{ name: 'box_subject_type', value: 'user' }, { name: 'box_subject_id', value: 'me' }], 'box_subject_id'],
    [[{ name: 'box_subject_type', value: 'user' }, { name: 'box_subject_id', value: '1' }, { name: 'as_user', value: '2' }], 'as_user'],
  ])('rejects parameters %j, naming %s', async (parameters, named) => {
    const before = server.state.tokenRequests;
    const result = await connect({ service: 'BOX', parameters });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'parameters' });
    expect(result.body.errors?.[0]?.message).toContain(named);
    expect(server.state.tokenRequests).toBe(before);
  });

  it('sends the subject with the request and again with every re-request', async () => {
    const parameters = [
      { name: 'box_subject_type', value: 'enterprise' },
      { name: 'box_subject_id', value: '5556667' },
    ];
    const result = await connect({ service: 'BOX', parameters });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.connectClientCredentials).toMatchObject({ isLoggedIn: true, grantedScopes: [] });
    expect(server.state.lastTokenRequest).toEqual({
      grantType: 'client_credentials',
      hadCodeVerifier: false,
      extraParams: { box_subject_type: 'enterprise', box_subject_id: '5556667' },
    });

    await expireIn('BOX', -10);
    const before = server.state.clientCredentialsRequests;
    const refreshed = await gql(secretsOf('box'));
    expect(refreshed.body.data.secrets.box.isLoggedIn).toBe(true);
    expect(server.state.clientCredentialsRequests).toBe(before + 1);
    expect(server.state.lastTokenRequest?.extraParams).toEqual({ box_subject_type: 'enterprise', box_subject_id: '5556667' });
  });
});

describe('secrets never leak', () => {
  it('keeps app tokens and client secrets out of logs and non-token fields', async () => {
    const stored = await gateway.gateway.db.connection.findMany();
    const held = stored.map((connection) => gateway.gateway.services.store.accessTokenOf(connection)).filter((value): value is string => Boolean(value));
    const secrets = [spotify.clientSecret, SALESFORCE_CLIENT.clientSecret, BOX_CLIENT.clientSecret, ...spotify.state.issuedTokens.map((token) => token.accessToken), ...held];
    const logText = gateway.logs.join('\n');
    for (const secret of secrets) expect(logText).not.toContain(secret);
    expect(logText).not.toContain(site.token);
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of secrets) expect(withoutBearer).not.toContain(secret);
  });
});
