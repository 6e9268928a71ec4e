// Scope changes against the GitHub fake (which, like GitHub, gives a new grant exactly the scopes
// the new authorization asks for): connecting again adds scopes instead of dropping the old ones,
// grantedScopes is what the provider reported, and bearerToken(requireScopes:) names what is missing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, providerUrlOfAttempt, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const GRANTED = '{ secrets { github { isLoggedIn grantedScopes { scope } } } }';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
/** Scopes the simulated user unticks on GitHub's consent page. */
const withheld = new Set<string>();

async function gql(query: string, variables?: Record<string, unknown>) {
  return gateway.gql(query, variables, site.token);
}

/** startAuth, the browser at the fake, and the gateway callback; returns the scope the provider was asked for. */
async function connect(input: Record<string, unknown>): Promise<string[]> {
  const started = await gql('mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }', {
    input: { service: 'GITHUB', returnTo: `${ORIGIN}/done`, ...input },
  });
  expect(started.body.errors).toBeUndefined();
  const authorizationUrl = new URL(started.body.data.startAuth.authorizationUrl);
  const { final, cookie } = await followRedirects(authorizationUrl.href, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
  const providerUrl = await providerUrlOfAttempt(gateway, started.body.data.startAuth.attemptId);
  return providerUrl.searchParams.get('scope')!.split(' ').sort();
}

async function grantedScopes(): Promise<string[]> {
  const result = await gql(GRANTED);
  return result.body.data.secrets.github.grantedScopes.map((granted: { scope: string }) => granted.scope).sort();
}

beforeAll(async () => {
  github = await startFakeGitHub({ grantScopes: (requested) => requested.filter((scope) => !withheld.has(scope)) });
  gateway = await startTestGateway({
    ...github.appEnv,
  });
  site = await gateway.createSite('Scopes', [ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

beforeEach(() => withheld.clear());

describe('incremental consent', () => {
  it('asks for the granted scopes plus the new one, so connecting again adds scopes', async () => {
    expect(await connect({ scopes: ['read:user'] })).toEqual(['read:user']);
    expect(await grantedScopes()).toEqual(['read:user']);

    expect(await connect({ scopes: ['repo'] })).toEqual(['read:user', 'repo']);
    expect(await grantedScopes()).toEqual(['read:user', 'repo']);
    expect(github.state.lastToken!.scopes.sort()).toEqual(['read:user', 'repo']);
  });

  it('asks for exactly the listed scopes with replaceScopes: true', async () => {
    await connect({ scopes: ['read:user', 'repo'] });
    expect(await connect({ scopes: ['gist'], replaceScopes: true })).toEqual(['gist']);
    expect(await grantedScopes()).toEqual(['gist']);
  });

  it('stores what the provider granted, not what was asked for', async () => {
    await connect({ scopes: ['read:user'], replaceScopes: true });
    withheld.add('gist');
    expect(await connect({ scopes: ['gist'] })).toEqual(['gist', 'read:user']);
    expect(await grantedScopes()).toEqual(['read:user']);
  });

  it('starts from scratch once the connection was signed out', async () => {
    await connect({ scopes: ['read:user', 'repo'] });
    const signedOut = await gql('mutation { signOut(service: GITHUB) { status } }');
    expect(signedOut.body.data.signOut.status).toBe('REVOKED');
    expect(await connect({ scopes: ['gist'] })).toEqual(['gist']);
  });
});

describe('bearerToken(requireScopes:)', () => {
  it('hands out the token when every required scope was granted', async () => {
    await connect({ scopes: ['read:user', 'repo'], replaceScopes: true });
    const result = await gql('{ secrets { github { bearerToken(requireScopes: ["repo", "read:user"]) } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.secrets.github.bearerToken).toBe(github.state.lastToken!.accessToken);
  });

  it('fails with FORBIDDEN naming the missing scopes, and says how to add them', async () => {
    await connect({ scopes: ['read:user'], replaceScopes: true });
    const result = await gql('{ secrets { github { isLoggedIn bearerToken(requireScopes: ["gist", "read:user"]) } } }');
    const error = result.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'FORBIDDEN', service: 'GITHUB', missingScopes: ['gist'] });
    expect(error?.path).toEqual(['secrets', 'github', 'bearerToken']);
    expect(error?.message).toContain('gist');
    expect(error?.message).toContain('startAuth');
    expect(error?.message).not.toContain(github.state.lastToken!.accessToken);
    // The rest of the answer stays usable.
    expect(result.body.data.secrets.github.isLoggedIn).toBe(true);
    expect(result.body.data.secrets.github.bearerToken).toBeNull();

    // Following the advice (incremental consent) fixes it.
    await connect({ scopes: ['gist'] });
    const after = await gql('{ secrets { github { bearerToken(requireScopes: ["gist", "read:user"]) } } }');
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data.secrets.github.bearerToken).toBe(github.state.lastToken!.accessToken);
  });

  it('keeps answering null for a service that is not connected', async () => {
    const result = await gql('{ secrets { spotify { bearerToken(requireScopes: ["streaming"]) } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.secrets.spotify.bearerToken).toBeNull();
  });
});
