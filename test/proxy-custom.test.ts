// The proxy for a site's custom service: requests go to the API base URL its definition names,
// which the outbound URL policy checks like the service's other endpoints. "forge" is the local
// GitHub stand-in defined as a custom service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';
import { defineForgeService } from './support/custom-services.js';

const ORIGIN = 'http://app.test:3000';
const PROXY = 'query ($path: String!) { proxy(service: "custom:forge", path: $path) { status json } }';
const DEFINE = 'mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { slug apiBaseUrl } }';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };

const forgeInput = (apiBaseUrl: string) => ({
  slug: 'forge',
  friendlyServiceName: 'Forge',
  authorizationEndpoint: github.env.LATCHKEY_GITHUB_AUTHORIZATION_URL,
  tokenEndpoint: github.env.LATCHKEY_GITHUB_TOKEN_URL,
  clientId: github.clientId,
  clientSecret: github.clientSecret,
  clientAuthMethod: 'CLIENT_SECRET_POST',
  scopes: [{ scope: 'read:user', isDefault: true }],
  apiBaseUrl,
});

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({ ...github.appEnv, LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true' });
  site = await gateway.createSite('Custom proxy', [ORIGIN]);
  expect((await defineForgeService(gateway, site.token, github)).body.errors).toBeUndefined();
  const started = await gateway.gql('mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }', { input: { customService: 'forge', returnTo: `${ORIGIN}/done` } }, site.token);
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const back = await fetch(final, { redirect: 'manual', headers: { cookie } });
  expect(new URL(back.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

describe('proxy to a custom service', () => {
  it('says how to enable it when the definition names no API base URL', async () => {
    const result = await gateway.gql(PROXY, { path: '/user' }, site.token);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.message).toContain('apiBaseUrl');
  });

  it('refuses an API base URL the outbound URL policy forbids', async () => {
    for (const url of ['http://169.254.169.254/latest', 'http://10.0.0.1/api', 'ftp://127.0.0.1/', `${github.url}/api?x=1`]) {
      const result = await gateway.gql(DEFINE, { input: forgeInput(url) }, site.token);
      expect(result.body.errors?.[0]?.extensions?.code, url).toBe('BAD_USER_INPUT');
    }
  });

  it('calls the API base URL with the connection\'s token', async () => {
    const defined = await gateway.gql(DEFINE, { input: forgeInput(github.url) }, site.token);
    expect(defined.body.errors).toBeUndefined();
    expect(defined.body.data.defineCustomService.apiBaseUrl).toBe(`${github.url}/`);
    let authorization: string | undefined;
    github.state.respondNextApiRequest((request, token) => {
      authorization = request.headers.authorization;
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'forge-user', scopes: token.scopes }) };
    });
    const result = await gateway.gql(PROXY, { path: '/users/octokit-fixture-user-a' }, site.token);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.proxy).toEqual({ status: 200, json: { login: 'forge-user', scopes: ['read:user'] } });
    expect(authorization).toMatch(/^Bearer /);
    expect(JSON.stringify(result.body)).not.toContain(authorization!.slice('Bearer '.length));
  });
});
