// The registry through GraphQL: the catalog as `services` lists it (key, authModes, documentation
// links), the `service: String` forms, and a missing custom service that no longer nulls `secrets`.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../src/providers/catalog.js';
import { providerFileSchema, requiredDocs } from '../src/providers/provider-schema.js';
import { catalogOAuthClientOf } from '../src/registry/service-registry.js';
import { generateClientKey, publicJwkOf } from '../src/oauth/client-keys.js';
import { startAuthorizationServer } from './support/authorization-server.js';
import { browserCookie, freePort, providerUrlOfAttempt, startTestGateway, type TestGateway } from './support/gateway.js';
import { json, startTinyServer } from './support/tiny-server.js';

let api: Awaited<ReturnType<typeof startTinyServer>>;
let gateway: TestGateway;
let site: { siteId: string; token: string };

const gql = (query: string, variables?: Record<string, unknown>, token = site.token) => gateway.gql(query, variables, token);

beforeAll(async () => {
  api = await startTinyServer(() => ({ '/v1/models': json({ object: 'list', data: [] }) }));
  gateway = await startTestGateway({
    LATCHKEY_OPENAI_API_URL: api.base,
    LATCHKEY_GITHUB_CLIENT_ID: 'registry-test-client',
    LATCHKEY_GITHUB_CLIENT_SECRET: 'registry-test-secret',
  });
  site = await gateway.createSite('Registry', ['http://app.test:3000']);
});

afterAll(async () => {
  await gateway?.close();
  await api?.close();
});

describe('services', () => {
  it('lists every catalog service with its key, auth modes and a documentation link per required fact', async () => {
    const result = await gql(`{ services { service key graphQLField friendlyServiceName authModes categories callbackPath
      documentation { fact url } availableScopes { scope } credentialForm { authMode apiKeyLabel usernameLabel passwordLabel help checked } } }`);
    expect(result.body.errors).toBeUndefined();
    const services = result.body.data.services as any[];
    expect(services.map((service) => service.service)).toEqual(catalog.map((file) => file.name));
    for (const file of catalog) {
      const listed = services.find((service) => service.service === file.name);
      expect(listed.key).toBe(file.key);
      expect(listed.graphQLField).toBe(file.key);
      expect(listed.authModes).toEqual(file.authModes);
      const facts = new Map((listed.documentation as { fact: string; url: string }[]).map((link) => [link.fact, link.url]));
      for (const fact of requiredDocs(file)) expect(facts.get(fact), `${file.name} ${fact}`).toMatch(/^https:\/\//);
    }
    const github = services.find((service) => service.key === 'github');
    expect(github).toMatchObject({ authModes: ['OAUTH2'], callbackPath: '/oauth/callback/github', credentialForm: null });
    expect(github.availableScopes.length).toBeGreaterThan(10);
    expect(services.find((service) => service.key === 'openai')).toMatchObject({
      authModes: ['API_KEY'],
      availableScopes: [],
      credentialForm: { authMode: 'API_KEY', apiKeyLabel: 'API key', usernameLabel: null, checked: true },
    });
    expect(services.find((service) => service.key === 'twilio').credentialForm).toMatchObject({
      authMode: 'BASIC',
      usernameLabel: 'Account SID',
      passwordLabel: 'Auth token',
      apiKeyLabel: null,
    });
  });
});

describe('secrets', () => {
  it('answers an unknown custom slug with null and NOT_FOUND there, leaving the other fields intact', async () => {
    const result = await gql('{ secrets { github { isLoggedIn } custom(slug: "nope") { isLoggedIn } openai { isLoggedIn } } }');
    expect(result.body.data.secrets).toEqual({ github: { isLoggedIn: false }, custom: null, openai: { isLoggedIn: false } });
    expect(result.body.errors).toHaveLength(1);
    expect(result.body.errors![0]!.path).toEqual(['secrets', 'custom']);
    expect(result.body.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('reads any service by its service: String form', async () => {
    const result = await gql(`{ secrets {
      gh: service(service: "github") { friendlyServiceName isLoggedIn }
      upper: service(service: "GITHUB") { friendlyServiceName }
      missing: service(service: "custom:nope") { isLoggedIn }
      bad: service(service: "no such service") { isLoggedIn }
      github { isLoggedIn } } }`);
    expect(result.body.data.secrets).toEqual({
      gh: { friendlyServiceName: 'GitHub', isLoggedIn: false },
      upper: { friendlyServiceName: 'GitHub' },
      missing: null,
      bad: null,
      github: { isLoggedIn: false },
    });
    const codes = Object.fromEntries(result.body.errors!.map((error) => [error.path!.at(-1), error.extensions!.code]));
    expect(codes).toEqual({ missing: 'NOT_FOUND', bad: 'BAD_USER_INPUT' });
  });
});

describe('service: String forms of operations', () => {
  it('starts authorization by serviceKey, and refuses naming a service twice', async () => {
    const started = await gql('mutation { startAuth(input: { serviceKey: "github" }) { authorizationUrl attemptId } }');
    expect(started.body.errors).toBeUndefined();
    expect((await providerUrlOfAttempt(gateway, started.body.data.startAuth.attemptId)).searchParams.get('client_id')).toBe('registry-test-client');
    const twice = await gql('mutation { startAuth(input: { service: GITHUB, serviceKey: "github" }) { authorizationUrl } }');
    expect(twice.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const unknown = await gql('mutation { startAuth(input: { serviceKey: "custom:nope" }) { authorizationUrl } }');
    expect(unknown.body.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('signs out of any service with signOutService', async () => {
    const connected = await gql('mutation { connectCredentials(input: { service: "openai", apiKey: "sk-registry-test" }) { isLoggedIn } }');
    expect(connected.body.data.connectCredentials.isLoggedIn).toBe(true);
    const signedOut = await gql('mutation { signOutService(service: "openai") { __typename friendlyServiceName isLoggedIn status bearerToken } }');
    expect(signedOut.body.data.signOutService).toEqual({
      __typename: 'ServiceSecret',
      friendlyServiceName: 'OpenAI',
      isLoggedIn: false,
      status: 'REVOKED',
      bearerToken: null,
    });
    const missing = await gql('mutation { signOutService(service: "custom:nope") { isLoggedIn } }');
    expect(missing.body.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('signs an end user out, or one account, with signOutService as signOut does', async () => {
    const connect = (endUser: string, apiKey: string) =>
      gql('mutation ($endUser: String, $apiKey: String) { connectCredentials(input: { service: "openai", endUser: $endUser, apiKey: $apiKey }) { isLoggedIn } }', { endUser, apiKey });
    expect((await connect('alice', 'sk-alice')).body.data.connectCredentials.isLoggedIn).toBe(true);
    expect((await connect('bob', 'sk-bob')).body.data.connectCredentials.isLoggedIn).toBe(true);
    const signedOut = await gql('mutation { signOutService(service: "openai", endUser: "alice") { isLoggedIn status } }');
    expect(signedOut.body.data.signOutService).toEqual({ isLoggedIn: false, status: 'REVOKED' });
    const read = (endUser: string) => gql('query ($endUser: String) { secrets(endUser: $endUser) { openai { isLoggedIn bearerToken } } }', { endUser });
    expect((await read('alice')).body.data.secrets.openai).toEqual({ isLoggedIn: false, bearerToken: null });
    expect((await read('bob')).body.data.secrets.openai).toEqual({ isLoggedIn: true, bearerToken: 'sk-bob' });
    const other = await gql('mutation { signOutService(service: "openai", endUser: "bob", account: "someone-else") { isLoggedIn } }');
    expect(other.body.data.signOutService.isLoggedIn).toBe(false);
    expect((await read('bob')).body.data.secrets.openai.isLoggedIn).toBe(true);
  });
});

describe('OAuth client settings of catalog services come from the provider file', () => {
  const salesforce = catalog.find((file) => file.name === 'SALESFORCE')!;
  const withOAuth = (changes: Record<string, unknown>) => ({ ...salesforce, oauth: { ...salesforce.oauth!, ...changes } });

  it('accepts client_secret_jwt, private_key_jwt and a pushed authorization request endpoint, and refuses what it cannot use', () => {
    const parsed = providerFileSchema.parse(
      withOAuth({ clientAuthMethod: 'client_secret_jwt', pushedAuthorizationRequests: { endpoint: 'https://login.example.com/par', required: true } }),
    );
    expect(catalogOAuthClientOf(parsed, {})).toEqual({
      clientAuthMethod: 'client_secret_jwt',
      pkce: salesforce.oauth!.pkce,
      pushedAuthorizationRequestEndpoint: 'https://login.example.com/par',
      requirePushedAuthorizationRequests: true,
      signingKeySetting: null,
    });
    const keyed = providerFileSchema.parse(withOAuth({ clientAuthMethod: 'private_key_jwt' }));
    expect(catalogOAuthClientOf(keyed, {})).toMatchObject({ clientAuthMethod: 'private_key_jwt', pushedAuthorizationRequestEndpoint: null, signingKeySetting: 'LATCHKEY_SALESFORCE_CLIENT_PRIVATE_KEY' });

    expect(providerFileSchema.safeParse(withOAuth({ clientAuthMethod: 'tls_client_auth' })).success).toBe(false);
    expect(providerFileSchema.safeParse(withOAuth({ pushedAuthorizationRequests: { endpoint: 'http://login.example.com/par', required: false } })).success).toBe(false);
    expect(providerFileSchema.safeParse(withOAuth({ pushedAuthorizationRequests: { endpoint: 'https://login.example.com/par' } })).success).toBe(false);
  });

  it("takes the file's settings as they are, with the operator's PAR endpoint override checked", () => {
    expect(catalogOAuthClientOf(salesforce, {})).toMatchObject({ clientAuthMethod: salesforce.oauth!.clientAuthMethod, pushedAuthorizationRequestEndpoint: null });
    expect(catalogOAuthClientOf(salesforce, { LATCHKEY_SALESFORCE_PAR_URL: 'https://my.example.com/par' }).pushedAuthorizationRequestEndpoint).toBe('https://my.example.com/par');
    expect(() => catalogOAuthClientOf(salesforce, { LATCHKEY_SALESFORCE_PAR_URL: 'http://my.example.com/par' })).toThrow(/LATCHKEY_SALESFORCE_PAR_URL must be an https/);
  });

  it('pushes the authorization request of a catalog service whose server requires PAR, end to end', async () => {
    const publicUrl = `http://127.0.0.1:${await freePort()}`;
    const client = { clientId: 'catalog-par-client', clientSecret: 'catalog-par-secret' };
    const as = await startAuthorizationServer({
      pushedAuthorizationRequests: 'required',
      clients: [{ ...client, redirectUris: [`${publicUrl}/oauth/callback/salesforce`] }],
    });
    const parGateway = await startTestGateway({
      ...as.salesforceEnv(),
      LATCHKEY_SALESFORCE_PAR_URL: `${as.issuer}/request`,
      LATCHKEY_SALESFORCE_CLIENT_ID: client.clientId,
      LATCHKEY_SALESFORCE_CLIENT_SECRET: client.clientSecret,
      LATCHKEY_PUBLIC_URL: publicUrl,
    });
    try {
      const parSite = await parGateway.createSite('PAR', ['http://app.test:3000']);
      const started = await parGateway.gql('mutation { startAuth(input: { serviceKey: "salesforce" }) { authorizationUrl attemptId } }', undefined, parSite.token);
      expect(started.body.errors).toBeUndefined();
      expect(as.state.pushedRequests).toBe(1);
      const url = await providerUrlOfAttempt(parGateway, started.body.data.startAuth.attemptId);
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

      // The launch and the callback are on the public URL, which this test does not serve: reach them directly.
      const launch = new URL(started.body.data.startAuth.authorizationUrl);
      const landing = await as.authorize(new URL(`${launch.pathname}${launch.search}`, parGateway.url).href);
      const back = new URL(`${landing.pathname}${landing.search}`, parGateway.url);
      const callback = await fetch(back, { redirect: 'manual', headers: { cookie: browserCookie(back) } });
      await callback.body?.cancel();
      const read = await parGateway.gql('{ secrets { salesforce { isLoggedIn } } }', undefined, parSite.token);
      expect(read.body.data.secrets.salesforce.isLoggedIn).toBe(true);
    } finally {
      await parGateway.close();
      await as.close();
    }
  });
});

describe('private_key_jwt for a catalog service', () => {
  it("signs the token request with the operator's key (LATCHKEY_<NAME>_CLIENT_PRIVATE_KEY) and never sends a secret", async () => {
    const key = generateClientKey();
    const keys = await startTinyServer(() => ({ '/jwks': json({ keys: [publicJwkOf(key)] }) }));
    const publicUrl = `http://127.0.0.1:${await freePort()}`;
    const client = { clientId: 'catalog-keyed-client', clientSecret: 'never-sent-by-private-key-jwt' };
    const as = await startAuthorizationServer({
      clients: [{ ...client, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${keys.base}/jwks`, redirectUris: [`${publicUrl}/oauth/callback/salesforce`] }],
    });
    const env = { ...as.salesforceEnv(), LATCHKEY_SALESFORCE_CLIENT_ID: client.clientId, LATCHKEY_SALESFORCE_CLIENT_AUTH_METHOD: 'private_key_jwt', LATCHKEY_PUBLIC_URL: publicUrl };
    // Without the key the gateway refuses to start, naming the variable.
    await expect(startTestGateway(env)).rejects.toThrow(/LATCHKEY_SALESFORCE_CLIENT_PRIVATE_KEY is required/);
    const keyed = await startTestGateway({ ...env, LATCHKEY_SALESFORCE_CLIENT_PRIVATE_KEY: JSON.stringify(key) });
    try {
      const keyedSite = await keyed.createSite('Keyed', ['http://app.test:3000']);
      const started = await keyed.gql('mutation { startAuth(input: { serviceKey: "salesforce" }) { authorizationUrl } }', undefined, keyedSite.token);
      expect(started.body.errors).toBeUndefined();
      const launch = new URL(started.body.data.startAuth.authorizationUrl);
      const landing = await as.authorize(new URL(`${launch.pathname}${launch.search}`, keyed.url).href);
      const back = new URL(`${landing.pathname}${landing.search}`, keyed.url);
      await (await fetch(back, { redirect: 'manual', headers: { cookie: browserCookie(back) } })).body?.cancel();
      const read = await keyed.gql('{ secrets { salesforce { isLoggedIn } } }', undefined, keyedSite.token);
      expect(read.body.data.secrets.salesforce.isLoggedIn).toBe(true);
      expect(as.state.lastClientAssertion).toEqual({
        type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        header: expect.objectContaining({ alg: 'ES256', kid: publicJwkOf(key).kid }),
      });
    } finally {
      await keyed.close();
      await as.close();
      await keys.close();
    }
  });
});

describe('one registry', () => {
  it('is the only code that reads the shape of a service key', async () => {
    const root = join(import.meta.dirname, '..', 'src');
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const path = relative(root, join(root, file)).split('\\').join('/');
      if (path.startsWith('registry/') || path === 'providers/types.ts') continue;
      const text = await readFile(join(root, file), 'utf8');
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/isCustomServiceKey|['"`]custom:['"`]|startsWith\(\s*['"`]custom/.test(code)) offenders.push(path);
    }
    expect(offenders).toEqual([]);
  });
});
