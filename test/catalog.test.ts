// Every OAuth provider of the catalog, driven through the gateway against one configurable fake
// (test/support/fake-provider.ts) that behaves as the provider's file says: connect (startAuth, the
// fake's consent, the gateway's callback), read (`secrets`), refresh (with rotation where the file
// declares it), a refresh the provider refuses, and sign-out with revocation in the provider's
// style. One gateway and one fake serve all providers, in parallel, each under its own path and
// with its endpoints overridden by LATCHKEY_<SERVICE>_*_URL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, defaultScopes, endpointEnvName, providerList } from '../src/providers/index.js';
import type { CatalogProvider } from '../src/providers/types.js';
import { specFromProvider, startFakeProviderServer, type FakeProviderHandle, type FakeProviderServer } from './support/fake-provider.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';

const oauthProviders = providerList.filter((provider) => provider.endpoints.authorization);
const keyedServices = catalog.filter((file) => file.authModes.includes('API_KEY') || file.authModes.includes('BASIC'));

let fake: FakeProviderServer;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const hosted = new Map<string, FakeProviderHandle>();

beforeAll(async () => {
  fake = await startFakeProviderServer();
  const env: Record<string, string> = {};
  for (const provider of oauthProviders) {
    const key = provider.graphQLField;
    const app = { clientId: `client-${key}`, clientSecret: `secret-${key}-${randomBytes(12).toString('hex')}` };
    const base = `${fake.url}/p/${key}`;
    const handle = fake.add(key, specFromProvider(provider, app, base));
    hosted.set(provider.service, handle);
    env[`LATCHKEY_${provider.service}_CLIENT_ID`] = app.clientId;
    env[`LATCHKEY_${provider.service}_CLIENT_SECRET`] = app.clientSecret;
    env[endpointEnvName(provider.service, 'authorization')] = handle.authorizationUrl;
    env[endpointEnvName(provider.service, 'token')] = handle.tokenUrl;
    env[endpointEnvName(provider.service, 'api')] = handle.apiUrl;
    if (provider.revocation) env[endpointEnvName(provider.service, 'revocation')] = handle.revocationUrl;
    if (provider.endpoints.refresh) env[endpointEnvName(provider.service, 'refresh')] = handle.refreshUrl;
  }
  for (const file of keyedServices) {
    const apiKey = file.credentials?.apiKey;
    const handle = fake.add(file.key, {
      clientId: 'unused',
      clientAuthMethod: 'none',
      pkce: false,
      issuesRefreshToken: false,
      apiKeyHeader: apiKey?.in === 'header' ? apiKey.name : undefined,
      apiKeyQuery: apiKey?.in === 'query' ? apiKey.name : undefined,
    });
    hosted.set(file.name, handle);
    env[`LATCHKEY_${file.name}_API_URL`] = handle.apiUrl;
  }
  // Every provider connects through one site token within seconds: this file is about providers, not limits.
  gateway = await startTestGateway({ ...env, LATCHKEY_RATE_LIMIT_START_AUTH_PER_MINUTE: '0' });
  site = await gateway.createSite('Catalog', [ORIGIN]);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await fake?.close();
});

const secretsQuery = (field: string) => `query { secrets { ${field} {
  isLoggedIn bearerToken expiresAt foreignUserId status lastError grantedScopes { scope }
} } }`;

async function readSecret(provider: CatalogProvider) {
  const result = await gateway.gql(secretsQuery(provider.graphQLField), {}, site.token);
  expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
  return result.body.data.secrets[provider.graphQLField];
}

/** startAuth, the fake consents at once, then the gateway's callback; returns the callback's outcome. */
async function connect(provider: CatalogProvider, beforeCallback?: () => void): Promise<URLSearchParams> {
  const started = await gateway.gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
    { input: { service: provider.service, returnTo: `${ORIGIN}/done` } },
    site.token,
  );
  expect(started.body.errors, JSON.stringify(started.body.errors)).toBeUndefined();
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  beforeCallback?.();
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  await response.body?.cancel();
  return new URL(response.headers.get('location') ?? 'about:blank').searchParams;
}

async function expireStoredToken(provider: CatalogProvider): Promise<void> {
  await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: provider.service }, data: { expiresAt: new Date(Date.now() - 1000) } });
}

describe.concurrent('every catalog provider against the fake', () => {
  it.each(oauthProviders.map((provider) => [provider.friendlyServiceName, provider] as const))('%s: connect, read, refresh, refused refresh, revoke', async (_name, provider) => {
    const handle = hosted.get(provider.service)!;
    const why = () => handle.rejections.join('; ');

    // Connect.
    const outcome = await connect(provider);
    expect(outcome.get('latchkey_status'), `${outcome.get('error')}: ${why()}`).toBe('success');
    const authorize = handle.lastAuthorizeQuery!;
    expect(authorize.has('code_challenge')).toBe(provider.pkce);
    for (const [name, value] of Object.entries(provider.authorizationParams ?? {})) expect(authorize.get(name)).toBe(value);
    const requested = defaultScopes(provider);
    expect(authorize.get('scope') ?? '').toBe(requested.join(provider.scopeSeparator));
    const exchange = handle.tokenRequestLog.at(-1)!;
    expect(exchange.grantType).toBe('authorization_code');
    expect(exchange.clientAuth).toBe(provider.clientAuthMethod === 'client_secret_basic' ? 'basic' : provider.clientAuthMethod === 'client_secret_post' ? 'body' : 'none');
    expect(exchange.hasCodeVerifier).toBe(provider.pkce);
    expect(exchange.contentType ?? '').toContain(provider.quirks.jsonTokenRequests ? 'json' : 'x-www-form-urlencoded');

    // Read.
    const first = handle.lastToken!;
    const secret = await readSecret(provider);
    expect(secret).toMatchObject({ isLoggedIn: true, bearerToken: first.accessToken, status: 'ACTIVE' });
    expect(secret.grantedScopes.map((scope: { scope: string }) => scope.scope).sort()).toEqual([...requested].sort());
    if (provider.identity.from !== 'none') expect(secret.foreignUserId).toBe(`acct-${provider.graphQLField}`);
    if (provider.quirks.expiryFromJwtExp) {
      // The access token's own exp (the fake's JWTs last two hours), not the assumed lifetime.
      expect(first.expiresAt).toBeGreaterThan(Date.now() + 7000 * 1000);
      expect(Date.parse(secret.expiresAt)).toBe(first.expiresAt);
    } else if (provider.quirks.assumedLifetimeSeconds) {
      expect(Date.parse(secret.expiresAt)).toBeGreaterThan(Date.now() + (provider.quirks.assumedLifetimeSeconds - 120) * 1000);
    }

    if (provider.supportsRefresh) {
      // Refresh twice: the second proves the gateway kept the refresh token the first answer left it.
      for (let round = 0; round < 2; round += 1) {
        const before = handle.lastToken!;
        await expireStoredToken(provider);
        const refreshed = await readSecret(provider);
        expect(refreshed.lastError, why()).toBeNull();
        expect(refreshed.bearerToken).toBe(handle.lastToken!.accessToken);
        expect(handle.lastToken!.accessToken).not.toBe(before.accessToken);
        expect(handle.tokenRequestLog.at(-1)!.grantType).toBe('refresh_token');
        expect(handle.tokenRequestLog.at(-1)!.contentType ?? '').toContain(provider.quirks.jsonTokenRequests ? 'json' : 'x-www-form-urlencoded');
        if (handle.spec.refreshTokenRotates) {
          expect(handle.lastToken!.refreshToken).not.toBe(before.refreshToken);
          expect(before.refreshActive).toBe(false);
        } else {
          expect(handle.lastToken!.refreshToken).toBe(first.refreshToken);
        }
      }

      // A refused refresh (in the provider's own error style and code) asks for reconnecting.
      handle.invalidateAllRefreshTokens();
      await expireStoredToken(provider);
      const refused = await readSecret(provider);
      expect(refused).toMatchObject({ isLoggedIn: false, status: 'NEEDS_REAUTH' });

      const again = await connect(provider);
      expect(again.get('latchkey_status'), why()).toBe('success');
    }

    // Revoke.
    const live = handle.lastToken!;
    const signedOut = await gateway.gql('mutation ($service: Service!) { signOut(service: $service) { isLoggedIn } }', { service: provider.service }, site.token);
    expect(signedOut.body.errors).toBeUndefined();
    if (provider.revocation) {
      expect(handle.revokedTokens.length, why()).toBeGreaterThan(0);
      expect(live.active).toBe(false);
    } else {
      expect(handle.revokedTokens).toEqual([]);
    }
    expect(await readSecret(provider)).toMatchObject({ isLoggedIn: false, bearerToken: null });
  });
});

describe('documented quirks beyond the happy path', () => {
  const webflow = oauthProviders.find((provider) => provider.service === 'WEBFLOW')!;
  const twitch = oauthProviders.find((provider) => provider.service === 'TWITCH')!;

  it('Webflow: a code past its 15 minutes is refused with invalid_grant, the connect reports it, and a fresh code connects', async () => {
    const handle = hosted.get('WEBFLOW')!;
    const expired = await connect(webflow, () => handle.expireCodes());
    expect(expired.get('latchkey_status')).toBe('error');
    const attempt = await gateway.gql('query ($id: ID!) { authAttempt(id: $id) { status error } }', { id: expired.get('attempt') }, site.token);
    expect(attempt.body.data.authAttempt.error).toMatch(/invalid_grant/);
    expect(handle.rejections.at(-1)).toBe('token: code expired');
    expect((await readSecret(webflow)).isLoggedIn).toBe(false);

    const fresh = await connect(webflow);
    expect(fresh.get('latchkey_status')).toBe('success');
    // The gateway never sends a code twice: each exchange used its own single-use code.
    const exchanges = handle.tokenRequestLog.filter((request) => request.grantType === 'authorization_code');
    expect(exchanges.length).toBe(handle.codes.size);
  });

  it('Twitch: granted scopes answered as a JSON array are read as the granted scopes', async () => {
    const handle = hosted.get('TWITCH')!;
    handle.spec = { ...handle.spec, grantedScopes: 'array' };
    const outcome = await connect(twitch);
    expect(outcome.get('latchkey_status')).toBe('success');
    const secret = await readSecret(twitch);
    expect(secret.grantedScopes.map((scope: { scope: string }) => scope.scope)).toEqual(defaultScopes(twitch));
  });
});

describe.concurrent('every API-key and Basic service of the catalog', () => {
  const CONNECT = 'mutation ($input: ConnectCredentialsInput!) { connectCredentials(input: $input) { credentialType status } }';

  it.each(keyedServices.map((file) => [file.displayName, file] as const))('%s: a refused credential stores nothing; a valid one is checked, read and forgotten', async (_name, file) => {
    const handle = hosted.get(file.name)!;
    const basic = file.authModes.includes('BASIC');
    const good = basic ? { username: `user-${file.key}`, password: `pw-${randomBytes(8).toString('hex')}` } : { apiKey: `key-${randomBytes(12).toString('hex')}` };
    handle.validApiKeys.add(basic ? `${good.username}:${good.password}` : good.apiKey!);
    const read = `query { secrets { ${file.key} { isLoggedIn bearerToken ${basic ? 'basicAuth { username password }' : ''} } } }`;

    if (file.credentials?.check) {
      const refused = await gateway.gql(CONNECT, { input: { service: file.key, ...(basic ? { username: good.username, password: 'wrong' } : { apiKey: 'wrong' }) } }, site.token);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');
      expect((await gateway.gql(read, {}, site.token)).body.data.secrets[file.key].isLoggedIn).toBe(false);
    }

    const connected = await gateway.gql(CONNECT, { input: { service: file.key, ...good } }, site.token);
    expect(connected.body.errors, JSON.stringify(connected.body.errors)).toBeUndefined();
    expect(connected.body.data.connectCredentials.credentialType).toBe(basic ? 'BASIC' : 'API_KEY');
    // The check went to the path the file names, with the credential where the file says.
    if (file.credentials?.check) expect(handle.apiRequests.at(-1)).toMatch(new RegExp(`^${file.credentials.check.method} `));
    else expect(handle.apiRequests).toEqual([]);

    const secret = (await gateway.gql(read, {}, site.token)).body.data.secrets[file.key];
    if (basic) expect(secret.basicAuth).toEqual(good);
    else expect(secret).toMatchObject({ isLoggedIn: true, bearerToken: good.apiKey });

    const signedOut = await gateway.gql('mutation ($service: Service!) { signOut(service: $service) { isLoggedIn } }', { service: file.name }, site.token);
    expect(signedOut.body.errors).toBeUndefined();
    expect((await gateway.gql(read, {}, site.token)).body.data.secrets[file.key].isLoggedIn).toBe(false);
  });
});
