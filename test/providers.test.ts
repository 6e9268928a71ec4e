import { createHash, randomBytes } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import {
  InvalidScopeError,
  defaultScopes,
  findProviderByGraphQLField,
  getProvider,
  isLoopbackHost,
  isServiceName,
  normalizeRequestedScopes,
  parseGrantedScopes,
  providerList,
  providers,
  resolveEndpoints,
  serviceNames,
  withResolvedEndpoints,
  type ProviderDefinition,
} from '../src/providers/index.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './support/fake-github.js';
import { startFakeSpotify, type FakeSpotify, type FakeSpotifyOptions } from './support/fake-spotify.js';

const github = getProvider('GITHUB');
const spotify = getProvider('SPOTIFY');
const salesforce = getProvider('SALESFORCE');

function allEndpointUrls(provider: ProviderDefinition): string[] {
  const { authorization, token, revocation, api } = provider.endpoints;
  return [authorization, token, api, ...(revocation ? [revocation] : [])];
}

function catching(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

// ---------------------------------------------------------------------------------------------
// Catalog

describe('provider catalog', () => {
  it('lists every service once, in the contract order', () => {
    expect(providerList.map((provider) => provider.service).slice(0, 6)).toEqual([
      'GITHUB',
      'SPOTIFY',
      'SALESFORCE',
      'STRIPE',
      'BOX',
      'CONTENTFUL',
    ]);
    expect([...providers.keys()]).toEqual(serviceNames.filter((name) => providers.has(name)));
    expect(serviceNames).toEqual(expect.arrayContaining(['OPENAI', 'TWILIO']));
    expect(new Set(serviceNames).size).toBe(serviceNames.length);
    expect(serviceNames.length).toBeGreaterThanOrEqual(50);
    for (const service of providers.keys()) {
      expect(getProvider(service).service).toBe(service);
    }
  });

  it('names each service and its GraphQL field', () => {
    expect(providerList.map((provider) => provider.friendlyServiceName).slice(0, 6)).toEqual([
      'GitHub',
      'Spotify',
      'Salesforce',
      'Stripe',
      'Box',
      'Contentful',
    ]);
    for (const provider of providerList) {
      expect(provider.graphQLField).toBe(provider.service.toLowerCase());
      expect(findProviderByGraphQLField(provider.graphQLField)).toBe(provider);
    }
    expect(findProviderByGraphQLField('myspace')).toBeUndefined();
    expect(isServiceName('GITHUB')).toBe(true);
    expect(isServiceName('github')).toBe(false);
  });

  it.each(providerList.map((provider) => [provider.service, provider] as const))(
    '%s: endpoints, issuer and registration page are https URLs',
    (_service, provider) => {
      for (const url of [...allEndpointUrls(provider), provider.issuer, provider.appRegistrationUrl]) {
        expect(new URL(url).protocol).toBe('https:');
      }
      // An issuer may have a path (Microsoft's and Intuit's do), never a query or fragment (RFC 8414).
      expect(new URL(provider.issuer).search + new URL(provider.issuer).hash).toBe('');
    },
  );

  it.each(providerList.map((provider) => [provider.service, provider] as const))(
    '%s: scopes are unique, described and have a default set',
    (_service, provider) => {
      const names = provider.scopes.map((definition) => definition.scope);
      expect(new Set(names).size).toBe(names.length);
      for (const definition of provider.scopes) {
        expect(definition.title.trim()).not.toBe('');
        expect(definition.description).toMatch(/^[A-Z].*\.$/);
        expect(definition.category?.trim()).toBeTruthy();
        // Every catalog scope must itself pass the request validation.
        expect(() => normalizeRequestedScopes(provider, [definition.scope])).not.toThrow();
      }
      const defaults = defaultScopes(provider);
      // A provider without scopes (Notion, Netlify: permissions are set on the app) has no defaults either.
      expect(defaults.length > 0).toBe(provider.scopes.length > 0);
      for (const required of provider.scopes.filter((definition) => definition.isRequired)) {
        expect(defaults).toContain(required.scope);
      }
      for (const scope of defaults) {
        expect(names).toContain(scope);
      }
    },
  );

  it.each(providerList.map((provider) => [provider.service, provider] as const))(
    '%s: revocation style and endpoint come together',
    (_service, provider) => {
      expect(provider.revocation === undefined).toBe(provider.endpoints.revocation === undefined);
    },
  );

  it('describes GitHub as documented', () => {
    expect(github.endpoints).toEqual({
      authorization: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      revocation: 'https://api.github.com/applications/{client_id}/token',
      api: 'https://api.github.com',
    });
    expect(github.issuer).toBe('https://github.com');
    expect(github.revocation).toBe('github-token');
    expect(github.quirks).toMatchObject({
      formEncodedUnlessJsonAccepted: true,
      errorsWithStatus200: true,
      grantedScopeSeparator: ',',
      refreshTokenRotates: true,
    });
    expect(defaultScopes(github)).toEqual(['read:user']);
    const names = github.scopes.map((definition) => definition.scope);
    for (const scope of [
      'repo',
      'public_repo',
      'read:user',
      'user:email',
      'gist',
      'notifications',
      'read:org',
      'workflow',
      'admin:repo_hook',
      'write:discussion',
      'delete_repo',
    ]) {
      expect(names).toContain(scope);
    }
    expect(github.identity).toMatchObject({ from: 'api', path: '/user', idPath: 'id' });
  });

  it('describes Spotify as documented', () => {
    expect(spotify.endpoints).toEqual({
      authorization: 'https://accounts.spotify.com/authorize',
      token: 'https://accounts.spotify.com/api/token',
      api: 'https://api.spotify.com',
    });
    expect(spotify.issuer).toBe('https://accounts.spotify.com');
    expect(spotify.revocation).toBeUndefined();
    expect(spotify.pkce).toBe(true);
    expect(spotify.clientAuthMethod).toBe('client_secret_basic');
    expect(spotify.quirks.refreshTokenMayBeOmitted).toBe(true);
    expect(new Set(defaultScopes(spotify))).toEqual(new Set(['user-read-email', 'user-read-private']));
    expect(new Set(spotify.scopes.map((definition) => definition.scope))).toEqual(
      new Set([
        'user-read-playback-state',
        'user-modify-playback-state',
        'user-read-currently-playing',
        'playlist-read-private',
        'playlist-read-collaborative',
        'playlist-modify-private',
        'playlist-modify-public',
        'user-follow-modify',
        'user-follow-read',
        'user-read-playback-position',
        'user-top-read',
        'user-read-recently-played',
        'user-library-modify',
        'user-library-read',
        'user-read-email',
        'user-read-private',
        'streaming',
        'app-remote-control',
        'ugc-image-upload',
      ]),
    );
  });

  it('describes Salesforce, Stripe, Box and Contentful as documented', () => {
    expect(salesforce.endpoints.token).toBe('https://login.salesforce.com/services/oauth2/token');
    expect(salesforce.endpoints.revocation).toBe('https://login.salesforce.com/services/oauth2/revoke');
    expect(salesforce.quirks.keepFields).toContain('instance_url');
    expect(salesforce.quirks.apiBaseUrlField).toBe('instance_url');
    expect(salesforce.quirks.assumedLifetimeSeconds).toBeGreaterThan(0);
    expect(salesforce.scopes.find((definition) => definition.scope === 'refresh_token')?.isRequired).toBe(true);
    expect(salesforce.identity).toMatchObject({ from: 'token-response-url', urlField: 'id' });

    const stripe = getProvider('STRIPE');
    expect(stripe.endpoints.authorization).toBe('https://connect.stripe.com/oauth/authorize');
    expect(stripe.endpoints.token).toBe('https://connect.stripe.com/oauth/token');
    expect(stripe.revocation).toBe('stripe-deauthorize');
    expect(stripe.identity).toEqual({ from: 'token-response', idField: 'stripe_user_id' });
    expect(stripe.scopes.map((definition) => definition.scope)).toEqual(['read_only', 'read_write']);

    const box = getProvider('BOX');
    expect(box.endpoints.authorization).toBe('https://account.box.com/api/oauth2/authorize');
    expect(box.endpoints.token).toBe('https://api.box.com/oauth2/token');
    expect(box.endpoints.revocation).toBe('https://api.box.com/oauth2/revoke');
    expect(box.quirks.refreshTokenRotates).toBe(true);
    expect(box.identity).toMatchObject({ from: 'api', path: '/2.0/users/me' });

    const contentful = getProvider('CONTENTFUL');
    expect(contentful.endpoints.authorization).toBe('https://be.contentful.com/oauth/authorize');
    expect(contentful.endpoints.token).toBe('https://be.contentful.com/oauth/token');
    expect(contentful.endpoints.api).toBe('https://api.contentful.com');
    expect(contentful.identity).toMatchObject({ from: 'api', path: '/users/me' });
  });
});

// ---------------------------------------------------------------------------------------------
// Endpoint overrides

describe('resolveEndpoints', () => {
  it('returns the public endpoints when nothing is overridden', () => {
    for (const provider of providerList) {
      expect(resolveEndpoints(provider, {})).toEqual(provider.endpoints);
    }
  });

  it('applies LATCHKEY_<SERVICE>_*_URL overrides and leaves the definition alone', () => {
    const env = {
      LATCHKEY_GITHUB_AUTHORIZATION_URL: 'https://ghe.example.com/login/oauth/authorize',
      LATCHKEY_GITHUB_TOKEN_URL: 'https://ghe.example.com/login/oauth/access_token',
      LATCHKEY_GITHUB_REVOCATION_URL: 'https://ghe.example.com/api/v3/applications/{client_id}/token',
      LATCHKEY_GITHUB_API_URL: 'https://ghe.example.com/api/v3',
      LATCHKEY_SPOTIFY_API_URL: 'https://should-not-apply.example.com',
    };
    expect(resolveEndpoints(github, env)).toEqual({
      authorization: 'https://ghe.example.com/login/oauth/authorize',
      token: 'https://ghe.example.com/login/oauth/access_token',
      revocation: 'https://ghe.example.com/api/v3/applications/{client_id}/token',
      api: 'https://ghe.example.com/api/v3',
    });
    expect(github.endpoints.api).toBe('https://api.github.com');
    expect(withResolvedEndpoints(github, env).endpoints.api).toBe('https://ghe.example.com/api/v3');
  });

  it('ignores empty overrides', () => {
    expect(resolveEndpoints(spotify, { LATCHKEY_SPOTIFY_TOKEN_URL: '  ' }).token).toBe(
      'https://accounts.spotify.com/api/token',
    );
  });

  it.each([
    'http://127.0.0.1:4010/token',
    'http://127.1.2.3/token',
    'http://localhost:4010/token',
    'http://[::1]:4010/token',
  ])('accepts plain http for the loopback endpoint %s', (url) => {
    expect(resolveEndpoints(spotify, { LATCHKEY_SPOTIFY_TOKEN_URL: url }).token).toBe(url);
  });

  it.each([
    'http://accounts.example.com/api/token',
    'http://127.0.0.1.nip.io/api/token',
    'http://localhost.example.com/api/token',
    'http://10.0.0.1/api/token',
    'ftp://127.0.0.1/api/token',
  ])('rejects the non-https, non-loopback endpoint %s', (url) => {
    const error = catching(() => resolveEndpoints(spotify, { LATCHKEY_SPOTIFY_TOKEN_URL: url }));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('LATCHKEY_SPOTIFY_TOKEN_URL');
    expect((error as Error).message).toContain('https://');
  });

  it('rejects URLs that are not URLs or carry credentials', () => {
    expect(() => resolveEndpoints(github, { LATCHKEY_GITHUB_API_URL: 'api.github.com' })).toThrow(
      /LATCHKEY_GITHUB_API_URL is not a valid URL/,
    );
    const error = catching(() =>
      resolveEndpoints(github, { LATCHKEY_GITHUB_TOKEN_URL: 'https://user:hunter2@ghe.example.com/token' }),
    );
    expect((error as Error).message).toMatch(/must not contain credentials/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('knows the loopback hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.255.255.254')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.example.com')).toBe(false);
    expect(isLoopbackHost('[::2]')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Scope normalization

describe('normalizeRequestedScopes', () => {
  it('uses the defaults when no scopes are named', () => {
    expect(normalizeRequestedScopes(github)).toEqual(['read:user']);
    expect(normalizeRequestedScopes(salesforce)).toEqual(defaultScopes(salesforce));
    expect(normalizeRequestedScopes(salesforce)).toEqual(expect.arrayContaining(['refresh_token', 'id', 'api']));
  });

  it('always adds the required scopes and removes duplicates', () => {
    expect(normalizeRequestedScopes(salesforce, ['api', 'api', 'chatter_api'])).toEqual([
      'api',
      'chatter_api',
      'refresh_token',
      'id',
    ]);
    expect(normalizeRequestedScopes(salesforce, ['refresh_token'])).toEqual(['refresh_token', 'id']);
    expect(normalizeRequestedScopes(github, [])).toEqual([]);
    expect(normalizeRequestedScopes(github, ['repo', 'gist', 'repo'])).toEqual(['repo', 'gist']);
  });

  it('allows scopes the catalog does not know yet', () => {
    expect(normalizeRequestedScopes(github, ['read:new_thing'])).toEqual(['read:new_thing']);
    expect(normalizeRequestedScopes(spotify, ['user-soa-link'])).toEqual(['user-soa-link']);
  });

  it.each([
    ['a space', 'repo gist'],
    ['a tab', 'repo\tgist'],
    ['a newline', 'repo\n'],
    ['nothing', ''],
    ['a comma (GitHub separates granted scopes with commas)', 'repo,gist'],
    ['a quote', 'repo"'],
    ['a non-ASCII letter', 'répo'],
    ['more than 200 characters', 'r'.repeat(201)],
  ])('rejects a GitHub scope with %s', (_what, scope) => {
    const error = catching(() => normalizeRequestedScopes(github, ['read:user', scope]));
    expect(error).toBeInstanceOf(InvalidScopeError);
    expect(error).toBeInstanceOf(Error);
    expect((error as InvalidScopeError).code).toBe('BAD_USER_INPUT');
    expect((error as Error).message).toMatch(/GitHub scope/);
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it('accepts a 200-character scope and a comma for space-separated providers', () => {
    const long = 's'.repeat(200);
    expect(normalizeRequestedScopes(github, [long])).toEqual([long]);
    expect(normalizeRequestedScopes(spotify, ['odd,scope'])).toEqual(['odd,scope']);
  });

  it('rejects an unreasonable number of scopes', () => {
    const many = Array.from({ length: 101 }, (_, index) => `scope-${index}`);
    expect(() => normalizeRequestedScopes(spotify, many)).toThrow(InvalidScopeError);
  });
});

describe('parseGrantedScopes', () => {
  it('reads comma- and space-separated answers and falls back to the request', () => {
    expect(parseGrantedScopes('repo,gist', ['read:user'])).toEqual(['repo', 'gist']);
    expect(parseGrantedScopes('user-read-email user-read-private', [])).toEqual([
      'user-read-email',
      'user-read-private',
    ]);
    expect(parseGrantedScopes('', ['repo'])).toEqual([]);
    expect(parseGrantedScopes(undefined, ['root_readonly', 'root_readonly'])).toEqual(['root_readonly']);
  });
});

// ---------------------------------------------------------------------------------------------
// Fakes, over real HTTP

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback/github';
const SPOTIFY_REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback/spotify';

const running: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function gitHubFake(options?: FakeGitHubOptions): Promise<FakeGitHub> {
  const fake = await startFakeGitHub(options);
  running.push(fake);
  return fake;
}

async function spotifyFake(options?: FakeSpotifyOptions): Promise<FakeSpotify> {
  const fake = await startFakeSpotify(options);
  running.push(fake);
  return fake;
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Follows nothing: returns where the authorize endpoint redirected to. */
async function authorize(authorizationUrl: string, params: Record<string, string>): Promise<URL> {
  const url = new URL(authorizationUrl);
  for (const [key, value] of Object.entries(params)) {
    url.searchParams.set(key, value);
  }
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}

function form(params: Record<string, string>): URLSearchParams {
  return new URLSearchParams(params);
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('fake GitHub', () => {
  async function gitHubCode(fake: FakeGitHub, extra: Record<string, string> = {}): Promise<string> {
    const location = await authorize(fake.env.LATCHKEY_GITHUB_AUTHORIZATION_URL ?? '', {
      client_id: fake.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'read:user gist',
      state: 'st-1',
      ...extra,
    });
    expect(location.searchParams.get('state')).toBe('st-1');
    return location.searchParams.get('code') ?? '';
  }

  function exchange(fake: FakeGitHub, params: Record<string, string>, accept?: string): Promise<Response> {
    return fetch(`${fake.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: accept ? { accept } : {},
      body: form({ client_id: fake.clientId, client_secret: fake.clientSecret, ...params }),
    });
  }

  it('auto-approves with a code and the state, and denies on request', async () => {
    const fake = await gitHubFake();
    const code = await gitHubCode(fake);
    expect(code).toMatch(/^[0-9a-f]{20}$/);

    fake.state.denyAuthorization = true;
    const denied = await authorize(`${fake.url}/login/oauth/authorize`, {
      client_id: fake.clientId,
      redirect_uri: REDIRECT_URI,
      state: 'st-2',
    });
    expect(`${denied.origin}${denied.pathname}`).toBe(REDIRECT_URI);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('st-2');
    expect(denied.searchParams.has('code')).toBe(false);
    expect(fake.state.authorizeRequests).toBe(2);
  });

  it('answers form-encoded without Accept: application/json, JSON with it', async () => {
    const fake = await gitHubFake();
    const formAnswer = await exchange(fake, { code: await gitHubCode(fake), redirect_uri: REDIRECT_URI });
    expect(formAnswer.status).toBe(200);
    expect(formAnswer.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const parsed = new URLSearchParams(await formAnswer.text());
    expect(parsed.get('access_token')).toMatch(/^ghu_/);
    expect(parsed.get('scope')).toBe('read:user,gist');
    expect(parsed.get('token_type')).toBe('bearer');
    expect(parsed.get('expires_in')).toBe('28800');

    const jsonAnswer = await exchange(fake, { code: await gitHubCode(fake) }, 'application/json');
    expect(jsonAnswer.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await jsonAnswer.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      expires_in: 28800,
      refresh_token_expires_in: 15897600,
      scope: 'read:user,gist',
      token_type: 'bearer',
    });
    expect(body['refresh_token']).toMatch(/^ghr_/);
    expect(fake.state.tokenRequests).toBe(2);
    expect(fake.state.codeExchanges).toBe(2);
    expect(fake.state.issuedTokens).toHaveLength(2);
  });

  it('issues non-expiring OAuth-app tokens when expiring tokens are off', async () => {
    const fake = await gitHubFake({ expiringTokens: false });
    const answer = await exchange(fake, { code: await gitHubCode(fake) }, 'application/json');
    const body = (await answer.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'scope', 'token_type']);
    expect(body['access_token']).toMatch(/^gho_/);
  });

  it('reports token errors with HTTP 200 and treats codes as single-use', async () => {
    const fake = await gitHubFake();
    const code = await gitHubCode(fake);
    const first = await exchange(fake, { code }, 'application/json');
    expect(((await first.json()) as { access_token?: string }).access_token).toBeTruthy();

    const reused = await exchange(fake, { code }, 'application/json');
    expect(reused.status).toBe(200);
    expect(await reused.json()).toMatchObject({
      error: 'bad_verification_code',
      error_description: 'The code passed is incorrect or expired.',
    });

    const reusedForm = await exchange(fake, { code });
    expect(reusedForm.status).toBe(200);
    expect(new URLSearchParams(await reusedForm.text()).get('error')).toBe('bad_verification_code');
  });

  it('rejects a wrong client secret and a different redirect_uri', async () => {
    const fake = await gitHubFake();
    const code = await gitHubCode(fake);
    const wrongSecret = await exchange(fake, { code, client_secret: 'not-the-secret' }, 'application/json');
    expect(wrongSecret.status).toBe(200);
    expect(await wrongSecret.json()).toMatchObject({ error: 'incorrect_client_credentials' });

    const wrongRedirect = await exchange(
      fake,
      { code, redirect_uri: 'http://127.0.0.1:9/elsewhere' },
      'application/json',
    );
    expect(await wrongRedirect.json()).toMatchObject({ error: 'redirect_uri_mismatch' });

    // Neither failure used up the code.
    const ok = await exchange(fake, { code, redirect_uri: REDIRECT_URI }, 'application/json');
    expect(((await ok.json()) as { access_token?: string }).access_token).toMatch(/^ghu_/);
  });

  it('binds codes to the PKCE challenge', async () => {
    const fake = await gitHubFake();
    const { verifier, challenge } = pkcePair();
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };
    const wrongVerifier = pkcePair().verifier;
    const wrong = await exchange(
      fake,
      { code: await gitHubCode(fake, pkce), code_verifier: wrongVerifier },
      'application/json',
    );
    expect(await wrong.json()).toMatchObject({ error: 'bad_verification_code' });
    const missing = await exchange(fake, { code: await gitHubCode(fake, pkce) }, 'application/json');
    expect(await missing.json()).toMatchObject({ error: 'bad_verification_code' });
    const right = await exchange(fake, { code: await gitHubCode(fake, pkce), code_verifier: verifier }, 'application/json');
    expect(((await right.json()) as { access_token?: string }).access_token).toMatch(/^ghu_/);
  });

  it('redirects a redirect_uri outside the registered callback back to the callback with an error', async () => {
    const fake = await gitHubFake({ callbackUrl: 'http://127.0.0.1:9/oauth/callback' });
    const inside = await authorize(`${fake.url}/login/oauth/authorize`, {
      client_id: fake.clientId,
      redirect_uri: 'http://127.0.0.1:9/oauth/callback/github',
      state: 's',
    });
    expect(inside.searchParams.get('code')).toBeTruthy();
    const outside = await authorize(`${fake.url}/login/oauth/authorize`, {
      client_id: fake.clientId,
      redirect_uri: 'http://127.0.0.1:9/somewhere-else',
      state: 's',
    });
    expect(outside.pathname).toBe('/oauth/callback');
    expect(outside.searchParams.get('error')).toBe('redirect_uri_mismatch');
  });

  it('rotates refresh tokens and rejects used or invalidated ones', async () => {
    const fake = await gitHubFake();
    const first = (await (await exchange(fake, { code: await gitHubCode(fake) }, 'application/json')).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const refresh = (refreshToken: string) =>
      exchange(fake, { grant_type: 'refresh_token', refresh_token: refreshToken }, 'application/json');

    const second = (await (await refresh(first.refresh_token)).json()) as { access_token: string; refresh_token: string };
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(await (await refresh(first.refresh_token)).json()).toMatchObject({ error: 'bad_refresh_token' });
    expect(fake.state.findByAccessToken(first.access_token)?.active).toBe(false);

    fake.state.invalidateAllRefreshTokens();
    expect(await (await refresh(second.refresh_token)).json()).toMatchObject({ error: 'bad_refresh_token' });
    expect(fake.state.refreshRequests).toBe(3);
  });

  it('serves GET /user with GitHub’s headers, and 401 Bad credentials for unknown or expired tokens', async () => {
    const fake = await gitHubFake();
    const { access_token: accessToken } = (await (
      await exchange(fake, { code: await gitHubCode(fake) }, 'application/json')
    ).json()) as { access_token: string };

    for (const scheme of ['Bearer', 'token']) {
      const response = await fetch(`${fake.url}/user`, { headers: { authorization: `${scheme} ${accessToken}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('x-oauth-scopes')).toBe('read:user, gist');
      expect(response.headers.get('x-ratelimit-limit')).toBe('5000');
      expect(response.headers.get('x-ratelimit-resource')).toBe('core');
      expect(response.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]{4}:/);
      expect(response.headers.get('etag')).toBeTruthy();
      expect(await response.json()).toMatchObject({ login: 'octokit-fixture-user-a', id: 1000, type: 'User' });
    }
    const first = await fetch(`${fake.url}/user`, { headers: { authorization: `Bearer ${accessToken}` } });
    const notModified = await fetch(`${fake.url}/user`, {
      headers: { authorization: `Bearer ${accessToken}`, 'if-none-match': first.headers.get('etag') ?? '' },
    });
    expect(notModified.status).toBe(304);
    expect(Number(first.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);

    const unknown = await fetch(`${fake.url}/user`, { headers: { authorization: 'Bearer gho_unknown' } });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ message: 'Bad credentials' });

    fake.state.expireAccessToken(accessToken);
    const expired = await fetch(`${fake.url}/user`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: 'Bad credentials' });
    expect(fake.state.userRequests).toBe(6);
  });

  it('revokes the grant with Basic client auth', async () => {
    const fake = await gitHubFake();
    const { access_token: accessToken, refresh_token: refreshToken } = (await (
      await exchange(fake, { code: await gitHubCode(fake) }, 'application/json')
    ).json()) as { access_token: string; refresh_token: string };
    const revoke = (authorization: string, token: string) =>
      fetch(`${fake.url}/applications/${fake.clientId}/grant`, {
        method: 'DELETE',
        headers: { authorization, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
        body: JSON.stringify({ access_token: token }),
      });

    expect((await revoke(basic(fake.clientId, 'wrong'), accessToken)).status).toBe(401);
    expect((await revoke(basic(fake.clientId, fake.clientSecret), 'gho_unknown')).status).toBe(404);
    expect((await revoke(basic(fake.clientId, fake.clientSecret), accessToken)).status).toBe(204);
    expect((await fetch(`${fake.url}/user`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
    const refreshed = await exchange(fake, { grant_type: 'refresh_token', refresh_token: refreshToken }, 'application/json');
    expect(await refreshed.json()).toMatchObject({ error: 'bad_refresh_token' });
    expect(fake.state.revocationRequests).toBe(3);
  });

  it('can fail, hang or return a chosen error on the next token request', async () => {
    const fake = await gitHubFake();
    fake.state.failNextTokenRequest();
    expect((await exchange(fake, { code: await gitHubCode(fake) })).status).toBe(500);

    fake.state.errorNextTokenRequest('temporarily_unavailable', 'Try again later.');
    expect(await (await exchange(fake, { code: 'x' }, 'application/json')).json()).toMatchObject({
      error: 'temporarily_unavailable',
    });

    fake.state.hangNextTokenRequest();
    await expect(
      fetch(`${fake.url}/login/oauth/access_token`, {
        method: 'POST',
        body: form({ code: 'x' }),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(fake.state.tokenRequests).toBe(3);
    expect(fake.state.tokenRequestLog.every((entry) => !JSON.stringify(entry).includes(fake.clientSecret))).toBe(true);
  });
});

describe('fake Spotify', () => {
  async function spotifyCode(fake: FakeSpotify, extra: Record<string, string> = {}): Promise<string> {
    const location = await authorize(`${fake.url}/authorize`, {
      client_id: fake.clientId,
      response_type: 'code',
      redirect_uri: SPOTIFY_REDIRECT_URI,
      scope: 'user-read-email user-read-private',
      state: 'sp-1',
      ...extra,
    });
    expect(location.searchParams.get('state')).toBe('sp-1');
    return location.searchParams.get('code') ?? '';
  }

  function token(fake: FakeSpotify, params: Record<string, string>, authorization?: string): Promise<Response> {
    return fetch(`${fake.url}/api/token`, {
      method: 'POST',
      headers: authorization ? { authorization } : {},
      body: form(params),
    });
  }

  it('exchanges a code with Basic client auth and answers Spotify’s JSON', async () => {
    const fake = await spotifyFake();
    const code = await spotifyCode(fake);
    const response = await token(
      fake,
      { grant_type: 'authorization_code', code, redirect_uri: SPOTIFY_REDIRECT_URI },
      basic(fake.clientId, fake.clientSecret),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'user-read-email user-read-private' });
    expect(body['refresh_token']).toBeTruthy();
    expect(fake.state.tokenRequestLog.at(-1)?.clientAuth).toBe('basic');
  });

  it('accepts client credentials as form fields and rejects a wrong secret', async () => {
    const fake = await spotifyFake();
    const code = await spotifyCode(fake);
    const wrong = await token(fake, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPOTIFY_REDIRECT_URI,
      client_id: fake.clientId,
      client_secret: 'wrong',
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_client', error_description: 'Invalid client secret' });
    const right = await token(fake, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPOTIFY_REDIRECT_URI,
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
    });
    expect(right.status).toBe(200);
  });

  it('rejects a reused code and a different redirect_uri with invalid_grant', async () => {
    const fake = await spotifyFake();
    const auth = basic(fake.clientId, fake.clientSecret);
    const code = await spotifyCode(fake);
    const mismatch = await token(fake, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/x' }, auth);
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid redirect URI' });
    const exchangeParams = { grant_type: 'authorization_code', code, redirect_uri: SPOTIFY_REDIRECT_URI };
    expect((await token(fake, exchangeParams, auth)).status).toBe(200);
    const reused = await token(fake, exchangeParams, auth);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid authorization code' });
  });

  it('supports PKCE for public clients and rejects a mismatched or missing verifier', async () => {
    const fake = await spotifyFake();
    const { verifier, challenge } = pkcePair();
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };
    const exchange = async (codeVerifier?: string) =>
      token(fake, {
        grant_type: 'authorization_code',
        code: await spotifyCode(fake, pkce),
        redirect_uri: SPOTIFY_REDIRECT_URI,
        client_id: fake.clientId,
        ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
      });

    const mismatch = await exchange(pkcePair().verifier);
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier was incorrect' });
    const missing = await exchange();
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
    const ok = await exchange(verifier);
    expect(ok.status).toBe(200);

    // A public client's refresh token rotates and needs no secret.
    const { refresh_token: refreshToken } = (await ok.json()) as { refresh_token: string };
    const refreshed = await token(fake, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: fake.clientId });
    const body = (await refreshed.json()) as { refresh_token?: string };
    expect(body.refresh_token).toBeTruthy();
    expect(body.refresh_token).not.toBe(refreshToken);
  });

  it('leaves refresh_token out of refresh answers by default, and can keep or invalidate it', async () => {
    const fake = await spotifyFake();
    const auth = basic(fake.clientId, fake.clientSecret);
    const code = await spotifyCode(fake);
    const first = (await (
      await token(fake, { grant_type: 'authorization_code', code, redirect_uri: SPOTIFY_REDIRECT_URI }, auth)
    ).json()) as { access_token: string; refresh_token: string };

    const refreshed = (await (
      await token(fake, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, auth)
    ).json()) as Record<string, unknown>;
    expect(refreshed['refresh_token']).toBeUndefined();
    expect(refreshed).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'user-read-email user-read-private' });

    fake.state.omitRefreshTokenOnRefresh = false;
    const again = (await (
      await token(fake, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, auth)
    ).json()) as Record<string, unknown>;
    expect(again['refresh_token']).toBe(first.refresh_token);

    fake.state.invalidateRefreshToken(first.refresh_token);
    const revoked = await token(fake, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, auth);
    expect(revoked.status).toBe(400);
    expect(await revoked.json()).toMatchObject({ error: 'invalid_grant' });
    expect(fake.state.refreshRequests).toBe(3);
  });

  it('serves GET /v1/me and Spotify’s 401 shapes', async () => {
    const fake = await spotifyFake();
    const code = await spotifyCode(fake, { scope: 'user-read-private' });
    const auth = basic(fake.clientId, fake.clientSecret);
    const { access_token: accessToken } = (await (
      await token(fake, { grant_type: 'authorization_code', code, redirect_uri: SPOTIFY_REDIRECT_URI }, auth)
    ).json()) as { access_token: string };

    const me = await fetch(`${fake.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    const profile = (await me.json()) as Record<string, unknown>;
    expect(profile).toMatchObject({ id: 'latchkeyfakeuser', type: 'user', product: 'premium', country: 'SE' });
    expect(profile['email']).toBeUndefined();

    const unknown = await fetch(`${fake.url}/v1/me`, { headers: { authorization: 'Bearer BQunknown' } });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ error: { status: 401, message: 'Invalid access token' } });

    fake.state.expireAccessToken(accessToken);
    const expired = await fetch(`${fake.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await expired.json()).toEqual({ error: { status: 401, message: 'The access token expired' } });

    fake.state.invalidateAccessToken(accessToken);
    const invalid = await fetch(`${fake.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await invalid.json()).toEqual({ error: { status: 401, message: 'Invalid access token' } });
    expect(fake.state.meRequests).toBe(4);
  });

  it('refuses unknown clients, denies on request and reads only form bodies', async () => {
    const fake = await spotifyFake({ denyAuthorization: true });
    const unknownClientUrl = new URL(`${fake.url}/authorize`);
    unknownClientUrl.search = form({
      client_id: 'nope',
      response_type: 'code',
      redirect_uri: SPOTIFY_REDIRECT_URI,
    }).toString();
    const unknownClient = await fetch(unknownClientUrl, { redirect: 'manual' });
    expect(unknownClient.status).toBe(400);

    const denied = await authorize(`${fake.url}/authorize`, {
      client_id: fake.clientId,
      response_type: 'code',
      redirect_uri: SPOTIFY_REDIRECT_URI,
      state: 'sp-2',
    });
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('sp-2');

    const json = await fetch(`${fake.url}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(fake.clientId, fake.clientSecret) },
      body: JSON.stringify({ grant_type: 'authorization_code', code: 'x' }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('can fail, hang or return a chosen error on the next token request', async () => {
    const fake = await spotifyFake();
    const auth = basic(fake.clientId, fake.clientSecret);
    fake.state.failNextTokenRequest(503);
    expect((await token(fake, { grant_type: 'refresh_token', refresh_token: 'x' }, auth)).status).toBe(503);

    fake.state.errorNextTokenRequest('invalid_client', 'Invalid client', 401);
    const chosen = await token(fake, { grant_type: 'refresh_token', refresh_token: 'x' }, auth);
    expect(chosen.status).toBe(401);
    expect(await chosen.json()).toEqual({ error: 'invalid_client', error_description: 'Invalid client' });

    fake.state.hangNextTokenRequest();
    await expect(
      fetch(`${fake.url}/api/token`, {
        method: 'POST',
        body: form({ grant_type: 'refresh_token' }),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(fake.state.tokenRequests).toBe(3);
    expect(fake.state.refreshRequests).toBe(3);
  });
});
