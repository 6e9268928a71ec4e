// Custom (site-defined) OAuth 2.0 / OpenID Connect services, end to end over real HTTP and a real
// database: a site defines a provider by its discovery document or by explicit endpoints, connects
// it through the gateway's per-site callback (or its own, with finishCustomAuth), and reads fresh
// tokens under `secrets { custom(slug:) }`. oidc-provider (a certified authorization server,
// in-process) plays the provider: its discovery document, PKCE, RFC 9207 `iss`, userinfo, refresh,
// RFC 7009 revocation and client credentials are real.
//
// The custom callback URL names the site, so the order is: gateway, sites, then the authorization
// servers (which must know their clients' redirect URIs up front).
import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import ipaddr from 'ipaddr.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT_ID, startAuthorizationServer, type AuthorizationServer } from './support/authorization-server.js';
import { browserCookie, providerUrlOfAttempt, startTestGateway, type GraphQLResult, type TestGateway } from './support/gateway.js';
import { accountClaims, CLAIMS, collectHeldTokens, endpointsOf, errorCode, minimalDiscoveryDocument, PROMPT_CONSENT, secretOf, sleep, sortedScopes, userinfoStatus, wellKnown } from './support/custom-services.js';
import { json, startTinyServer } from './support/tiny-server.js';

const ORIGIN = 'http://app.test:3000';
const APP_REDIRECT_URI = `${ORIGIN}/oauth/acme`;
/** The main client: client_secret_basic (what the gateway picks from this server's discovery). */
const MAIN = { clientId: 'latchkey-custom-main', clientSecret: secretOf('main') };
/** A client that authenticates with client_secret_post (the endpoints-only service). */
const POST_CLIENT = { clientId: 'latchkey-custom-post', clientSecret: secretOf('post') };
/** A machine client with the client credentials grant. */
const MACHINE = { clientId: 'latchkey-custom-machine', clientSecret: secretOf('machine') };
const MACHINE_RUN_AS = '005xx000009MachineAA';
/** The client of the second server, whose access tokens live FAST_TTL_SECONDS. */
const FAST = { clientId: 'latchkey-custom-fast', clientSecret: secretOf('fast') };
const FAST_TTL_SECONDS = 3;

const SERVICE_FIELDS = `slug serviceKey friendlyServiceName issuer discoveryUrl
  authorizationEndpoint tokenEndpoint revocationEndpoint userinfoEndpoint
  availableScopes { scope title description category isDefault isRequired }
  scopeSeparator authorizationParameters { name value }
  clientId hasClientSecret clientAuthMethod pkce supportsClientCredentials supportsRevocation supportsRefresh
  callbackUrl createdAt updatedAt`;
const SECRET_FIELDS = `slug serviceKey friendlyServiceName isLoggedIn bearerToken expiresAt foreignUserId foreignUserName
  status lastRefreshedAt refreshFailures lastError grantedScopes { scope scopeInfo { scope title isDefault } }`;
const DEFINE = `mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { ${SERVICE_FIELDS} } }`;
const START = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId expiresAt } }';
const READ = `query ($slug: String!) { secrets { custom(slug: $slug) { ${SECRET_FIELDS} } } }`;
const ATTEMPT = 'query ($id: ID!) { customAuthAttempt(id: $id) { id slug serviceKey status error expiresAt scopes completedAt } }';
const FINISH_CUSTOM = `mutation ($input: FinishAuthInput!) { finishCustomAuth(input: $input) { ${SECRET_FIELDS} } }`;
const FINISH_BUILT_IN = 'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { service isLoggedIn } }';
const SIGN_OUT = 'mutation ($slug: String!) { signOutCustomService(slug: $slug) { slug serviceKey isLoggedIn bearerToken status } }';
const REMOVE = 'mutation ($slug: String!) { removeCustomService(slug: $slug) }';
const GET_SERVICE = `query ($slug: String!) { customService(slug: $slug) { ${SERVICE_FIELDS} } }`;
const LIST_SERVICES = `{ customServices { ${SERVICE_FIELDS} } }`;
const MINT = 'mutation ($input: CreateFunctionTokenInput) { createFunctionToken(input: $input) { token accessToken { id } } }';

type Site = { siteId: string; token: string };
type Result = GraphQLResult<any>;

let gateway: TestGateway;
/** The gateway with LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK=false (its describe starts it); the leak check reads its logs too. */
let strictGateway: TestGateway | undefined;
let server: AuthorizationServer;
let fast: AuthorizationServer;
let siteA: Site;
let siteB: Site;

/** Every response body, callback page and Location the test saw, for the final leak check. */
const seenBodies: string[] = [];
const seenLocations: string[] = [];
/** Every authorization code the browser carried, and every token the gateway held or handed out. */
const seenCodes = new Set<string>();
const heldSecrets = new Set<string>();
const mintedTokens = new Set<string>();
/** Log lines of gateways a test started and closed. */
const closedGatewayLogs: string[] = [];

// ---- helpers ----

async function gql(query: string, variables?: Record<string, unknown>, token: string = siteA.token, on: TestGateway = gateway): Promise<Result> {
  const result = await on.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

const callbackUrlOf = (site: Site, slug: string) => `${gateway.publicUrl}/oauth/callback/custom/${site.siteId}/${slug}`;

function define(input: Record<string, unknown>, token: string = siteA.token, on: TestGateway = gateway): Promise<Result> {
  return gql(DEFINE, { input }, token, on);
}

async function defineOk(input: Record<string, unknown>, token: string = siteA.token, on: TestGateway = gateway): Promise<Record<string, any>> {
  const result = await define(input, token, on);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.defineCustomService as Record<string, any>;
}

/** The service most tests connect: by discovery, with prompt=consent so offline_access yields a refresh token. */
const acmeInput = (overrides: Record<string, unknown> = {}) => ({
  slug: 'acme',
  friendlyServiceName: 'Acme Identity',
  discoveryUrl: wellKnown(server),
  clientId: MAIN.clientId,
  clientSecret: MAIN.clientSecret,
  authorizationParameters: PROMPT_CONSENT,
  ...overrides,
});
let acmeDefined: Promise<Record<string, any>> | undefined;
/** Defines site A's `acme` once, whichever test needs it first. */
function acme(): Promise<Record<string, any>> {
  acmeDefined ??= defineOk(acmeInput());
  return acmeDefined;
}

async function startCustom(slug: string, input: Record<string, unknown> = {}, token: string = siteA.token) {
  const result = await gql(START, { input: { customService: slug, ...input } }, token);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.startAuth as { authorizationUrl: string; attemptId: string; expiresAt: string };
}

/** The user logs in (as `accountId`) and consents or denies; returns where the server sends the browser. */
async function browserAuthorize(authorizationUrl: string, options: { as?: AuthorizationServer; accountId?: string; deny?: boolean } = {}): Promise<URL> {
  const as = options.as ?? server;
  const landing = await as.authorize(authorizationUrl, {
    ...(options.accountId ? { accountId: options.accountId } : {}),
    ...(options.deny ? { deny: true } : {}),
  });
  const code = landing.searchParams.get('code');
  if (code) seenCodes.add(code);
  return landing;
}

interface CallbackResponse {
  status: number;
  location: string | null;
  body: string;
}

/** The browser opens a (gateway) callback URL; redirects are not followed. */
async function callback(landing: URL | string): Promise<CallbackResponse> {
  const url = new URL(landing);
  expect(url.origin).toBe(new URL(gateway.publicUrl).origin);
  const response = await fetch(new URL(`${url.pathname}${url.search}`, gateway.url), { redirect: 'manual', headers: { cookie: browserCookie(url) } });
  const body = await response.text();
  const location = response.headers.get('location');
  seenBodies.push(body);
  if (location) seenLocations.push(location);
  return { status: response.status, location, body };
}

function backTo(response: CallbackResponse): URL {
  expect(response.status).toBe(302);
  return new URL(response.location!);
}

/** A callback the gateway refused: back to the attempt's returnTo with the error, or an error page naming it. */
function expectRefused(response: CallbackResponse, code = 'AUTH_STATE_INVALID') {
  if (response.status === 302) {
    const back = new URL(response.location!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('error')).toBe(code);
  } else {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.body).toContain(code);
    expect(response.body).not.toMatch(/class="success"/);
  }
}

async function connect(
  slug: string,
  options: { as?: AuthorizationServer; accountId?: string; scopes?: string[]; site?: Site } = {},
) {
  const site = options.site ?? siteA;
  const started = await startCustom(slug, { returnTo: `${ORIGIN}/done?x=1`, ...(options.scopes ? { scopes: options.scopes } : {}) }, site.token);
  const landing = await browserAuthorize(started.authorizationUrl, options);
  const response = await callback(landing);
  const back = backTo(response);
  expect(back.searchParams.get('latchkey_status')).toBe('success');
  await harvest();
  return { started, landing, response, back };
}

function readCustom(slug: string, token: string = siteA.token, on: TestGateway = gateway) {
  return gql(READ, { slug }, token, on);
}

function storedConnection(slug: string, site: Site = siteA) {
  // The site's default account: tests connect several provider accounts over time, each its own connection.
  return gateway.gateway.db.connection.findFirst({ where: { siteId: site.siteId, service: `custom:${slug}`, ownerType: 'SITE' }, orderBy: { connectedAt: 'desc' } });
}

const store = () => gateway.gateway.services.store;

/** Makes the stored access token of a custom connection expire (as time passing would). */
async function expireStored(slug: string, site: Site = siteA, seconds = -60) {
  const latest = await storedConnection(slug, site);
  const { count } = await gateway.gateway.db.connection.updateMany({
    where: { id: latest?.id ?? '' },
    data: { expiresAt: new Date(Date.now() + seconds * 1000) },
  });
  expect(count).toBe(1);
}

const basic = (client: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;

/** A refresh request made directly by the test (as the client), bypassing the gateway. */
async function directRefresh(refreshToken: string, client = MAIN, as: AuthorizationServer = server) {
  const response = await fetch(`${as.issuer}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: basic(client) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.access_token === 'string') heldSecrets.add(body.access_token);
  return { status: response.status, body };
}

/** Collects every token the gateways hold right now (decrypted), for the leak check. */
async function harvest() {
  for (const on of [gateway, strictGateway]) {
    if (on) await collectHeldTokens(on, heldSecrets);
  }
}

async function mint(input: Record<string, unknown>, token: string = siteA.token): Promise<string> {
  const result = await gql(MINT, { input }, token);
  expect(result.body.errors).toBeUndefined();
  const minted = result.body.data.createFunctionToken.token as string;
  mintedTokens.add(minted);
  return minted;
}


// ---- setup ----

beforeAll(async () => {
  gateway = await startTestGateway({
    // Refresh counts below must come from reads only, not from the background sweeper.
    LATCHKEY_SWEEP_INTERVAL_SECONDS: '0',
    // The authorization server runs on loopback; the gateway refuses loopback hosts unless told.
    LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
  });
  siteA = await gateway.createSite('Custom site A', [ORIGIN]);
  siteB = await gateway.createSite('Custom site B', [ORIGIN]);
  const redirectsA = (...slugs: string[]) => slugs.map((slug) => callbackUrlOf(siteA, slug));
  server = await startAuthorizationServer({
    clients: [
      {
        ...MAIN,
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: [...redirectsA('acme', 'disco', 'doomed', 'moving'), APP_REDIRECT_URI],
      },
      { ...POST_CLIENT, tokenEndpointAuthMethod: 'client_secret_post', redirectUris: redirectsA('manual', 'manual-iss') },
      {
        ...MACHINE,
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: redirectsA('machine'),
        clientCredentials: { runAsAccountId: MACHINE_RUN_AS },
      },
    ],
    claims: CLAIMS,
    accountClaims,
  });
  fast = await startAuthorizationServer({
    clients: [{ ...FAST, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: redirectsA('fast') }],
    accessTokenTtlSeconds: FAST_TTL_SECONDS,
    claims: CLAIMS,
    accountClaims,
  });
});

afterEach(async () => {
  if (gateway) await harvest();
});

afterAll(async () => {
  await strictGateway?.close();
  await gateway?.close();
  await server?.close();
  await fast?.close();
});

// ---- 1. defining ----

describe('defining a custom service', () => {
  it('reads endpoints, issuer and scopes from discovery once, never echoes the client secret, and keeps it on redefinition', async () => {
    const discoveryBefore = server.state.discoveryRequests;
    const definedResult = await define({
      slug: 'disco',
      friendlyServiceName: 'Disco ID',
      discoveryUrl: wellKnown(server),
      clientId: MAIN.clientId,
      clientSecret: MAIN.clientSecret,
    });
    expect(definedResult.body.errors).toBeUndefined();
    const defined = definedResult.body.data.defineCustomService;
    expect(JSON.stringify(definedResult.body)).not.toContain(MAIN.clientSecret);
    expect(server.state.discoveryRequests).toBe(discoveryBefore + 1);
    expect(defined).toMatchObject({
      slug: 'disco',
      serviceKey: 'custom:disco',
      friendlyServiceName: 'Disco ID',
      issuer: server.issuer,
      discoveryUrl: wellKnown(server),
      ...endpointsOf(server),
      scopeSeparator: ' ',
      authorizationParameters: [],
      clientId: MAIN.clientId,
      hasClientSecret: true,
      // The discovery document lists client_secret_basic (and more): the default with a secret.
      clientAuthMethod: 'CLIENT_SECRET_BASIC',
      pkce: true,
      // grant_types_supported lists client_credentials.
      supportsClientCredentials: true,
      supportsRevocation: true,
      supportsRefresh: true,
      callbackUrl: callbackUrlOf(siteA, 'disco'),
    });
    expect(Date.parse(defined.createdAt)).not.toBeNaN();
    expect(Date.parse(defined.updatedAt)).not.toBeNaN();

    // The scopes are the document's scopes_supported; openid and offline_access are the defaults.
    const discovery = (await (await fetch(wellKnown(server))).json()) as { scopes_supported: string[] };
    expect(sortedScopes(defined.availableScopes)).toEqual([...discovery.scopes_supported].sort());
    for (const scope of defined.availableScopes as Array<{ scope: string; isDefault: boolean }>) {
      expect({ scope: scope.scope, isDefault: scope.isDefault }).toEqual({ scope: scope.scope, isDefault: scope.scope === 'openid' || scope.scope === 'offline_access' });
    }

    // The type has no field that could carry the secret.
    const type = await gql('{ __type(name: "CustomService") { fields { name } } }');
    const fieldNames = (type.body.data.__type.fields as Array<{ name: string }>).map((field) => field.name);
    expect(fieldNames.filter((name) => /secret/i.test(name))).toEqual(['hasClientSecret']);

    // Listed, and readable by slug; an unknown slug is null.
    const list = await gql(LIST_SERVICES);
    expect(list.body.errors).toBeUndefined();
    expect((list.body.data.customServices as Array<{ slug: string }>).find((service) => service.slug === 'disco')).toEqual(defined);
    const one = await gql(GET_SERVICE, { slug: 'disco' });
    expect(one.body.data.customService).toEqual(defined);
    const none = await gql(GET_SERVICE, { slug: 'not-defined' });
    expect(none.body.errors).toBeUndefined();
    expect(none.body.data.customService).toBeNull();

    // Stored encrypted.
    const row = await gateway.gateway.db.customService.findFirstOrThrow({ where: { siteId: siteA.siteId, slug: 'disco' } });
    expect(row.clientSecret).toEqual(expect.any(String));
    expect(JSON.stringify(row)).not.toContain(MAIN.clientSecret);

    // Redefined without clientSecret: the stored one is kept (and discovery is read again).
    const renamed = await defineOk({ slug: 'disco', friendlyServiceName: 'Disco ID (renamed)', discoveryUrl: wellKnown(server), clientId: MAIN.clientId });
    expect(server.state.discoveryRequests).toBe(discoveryBefore + 3); // + the test's own fetch above
    expect(renamed).toMatchObject({ friendlyServiceName: 'Disco ID (renamed)', hasClientSecret: true, clientAuthMethod: 'CLIENT_SECRET_BASIC' });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(defined.updatedAt));
    const listed = (await gql(LIST_SERVICES)).body.data.customServices as Array<{ slug: string }>;
    expect(listed.filter((service) => service.slug === 'disco')).toHaveLength(1);

    // The kept secret really works: the server authenticates the code exchange with it (Basic).
    const tokenRequestsBefore = server.state.tokenRequests;
    const { back } = await connect('disco');
    expect(back.searchParams.get('service')).toBe('custom:disco');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    // Discovery is not read again to connect.
    expect(server.state.discoveryRequests).toBe(discoveryBefore + 3);
    const secret = (await readCustom('disco')).body.data.secrets.custom;
    expect(secret).toMatchObject({ slug: 'disco', friendlyServiceName: 'Disco ID (renamed)', isLoggedIn: true });
    expect(await userinfoStatus(server, secret.bearerToken)).toBe(200);

    // null clears it; without a secret the default client authentication is NONE.
    const cleared = await defineOk({ slug: 'disco', friendlyServiceName: 'Disco ID', discoveryUrl: wellKnown(server), clientId: MAIN.clientId, clientSecret: null });
    expect(cleared).toMatchObject({ hasClientSecret: false, clientAuthMethod: 'NONE' });
    const clearedRow = await gateway.gateway.db.customService.findFirstOrThrow({ where: { siteId: siteA.siteId, slug: 'disco' } });
    expect(clearedRow.clientSecret).toBeNull();
  });

  it('accepts the issuer URL itself and the RFC 8414 metadata URL as discoveryUrl', async () => {
    const byIssuer = await defineOk({ slug: 'disco-root', friendlyServiceName: 'Disco root', discoveryUrl: server.issuer, clientId: MAIN.clientId });
    expect(byIssuer).toMatchObject({ issuer: server.issuer, ...endpointsOf(server), hasClientSecret: false, clientAuthMethod: 'NONE' });
    const byMetadata = await defineOk({
      slug: 'disco-8414',
      friendlyServiceName: 'Disco RFC 8414',
      discoveryUrl: `${server.issuer}/.well-known/oauth-authorization-server`,
      clientId: MAIN.clientId,
      clientSecret: MAIN.clientSecret,
    });
    expect(byMetadata).toMatchObject({ issuer: server.issuer, ...endpointsOf(server), hasClientSecret: true });
  });
});

// ---- 2. the authorization-code flow through the gateway callback ----

describe('connecting through the gateway callback', () => {
  it('runs the code flow with PKCE, returns to returnTo, and hands out a token the provider honours', async () => {
    const service = await acme();
    expect(service.callbackUrl).toBe(callbackUrlOf(siteA, 'acme'));
    const tokenRequestsBefore = server.state.tokenRequests;
    const verifiersBefore = server.state.codeVerifiers.length;

    const { started, landing, back } = await connect('acme');

    const authorizationUrl = await providerUrlOfAttempt(gateway, started.attemptId);
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(endpointsOf(server).authorizationEndpoint);
    const params = authorizationUrl.searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(MAIN.clientId);
    expect(params.get('redirect_uri')).toBe(callbackUrlOf(siteA, 'acme'));
    expect(params.get('scope')!.split(' ').sort()).toEqual(['offline_access', 'openid']);
    expect(params.get('prompt')).toBe('consent');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')!.length).toBeGreaterThanOrEqual(32);
    for (const leaked of ['code_verifier', 'client_secret']) expect(params.has(leaked)).toBe(false);
    expect(started.authorizationUrl).not.toContain(MAIN.clientSecret);

    // The provider names itself (RFC 9207) and the gateway's per-site callback took it.
    expect(landing.pathname).toBe(`/oauth/callback/custom/${siteA.siteId}/acme`);
    expect(landing.searchParams.get('iss')).toBe(server.issuer);
    expect(back.origin).toBe(ORIGIN);
    expect(back.pathname).toBe('/done');
    expect(back.searchParams.get('x')).toBe('1');
    expect(back.searchParams.get('latchkey_status')).toBe('success');
    expect(back.searchParams.get('service')).toBe('custom:acme');
    expect(back.searchParams.get('attempt')).toBe(started.attemptId);
    expect(back.search).not.toContain('code=');

    // One code exchange, with the verifier whose S256 is the challenge that was sent.
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });
    expect(server.state.codeVerifiers.length).toBe(verifiersBefore + 1);
    const verifier = server.state.codeVerifiers.at(-1)!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'));

    const read = await readCustom('acme');
    expect(read.body.errors).toBeUndefined();
    const secret = read.body.data.secrets.custom;
    expect(secret).toMatchObject({
      slug: 'acme',
      serviceKey: 'custom:acme',
      friendlyServiceName: 'Acme Identity',
      isLoggedIn: true,
      status: 'ACTIVE',
      refreshFailures: 0,
      lastError: null,
      // userinfo's sub
      foreignUserId: DEFAULT_ACCOUNT_ID,
    });
    expect(sortedScopes(secret.grantedScopes)).toEqual(['offline_access', 'openid']);
    const expiresIn = new Date(secret.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3000 * 1000);
    expect(expiresIn).toBeLessThanOrEqual(3600 * 1000);
    // The token is the one the server issued and still honours.
    expect(await userinfoStatus(server, secret.bearerToken)).toBe(200);
    const row = (await storedConnection('acme'))!;
    expect(row).not.toBeNull();
    expect(store().accessTokenOf(row)).toBe(secret.bearerToken);
    // offline_access with prompt=consent: the server issued a refresh token, stored encrypted.
    const refreshToken = store().refreshTokenOf(row);
    expect(refreshToken).toEqual(expect.any(String));
    expect(JSON.stringify(row)).not.toContain(secret.bearerToken);
    expect(JSON.stringify(row)).not.toContain(refreshToken);

    // requireScopes: granted ones pass; a missing one is FORBIDDEN, naming it and how to add it.
    const required = await gql('{ secrets { custom(slug: "acme") { bearerToken(requireScopes: ["openid"]) } } }');
    expect(required.body.data.secrets.custom.bearerToken).toBe(secret.bearerToken);
    const missing = await gql('{ secrets { custom(slug: "acme") { isLoggedIn bearerToken(requireScopes: ["openid", "email"]) } } }');
    expect(missing.body.data.secrets.custom).toEqual({ isLoggedIn: true, bearerToken: null });
    expect(missing.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: ['email'] });
    expect(missing.body.errors?.[0]?.message).toContain('acme');

    // The attempt, through its own query; authAttempt points there.
    const attempt = await gql(ATTEMPT, { id: started.attemptId });
    expect(attempt.body.errors).toBeUndefined();
    expect(attempt.body.data.customAuthAttempt).toMatchObject({ id: started.attemptId, slug: 'acme', serviceKey: 'custom:acme', status: 'COMPLETED', error: null });
    expect(attempt.body.data.customAuthAttempt.completedAt).not.toBeNull();
    expect([...attempt.body.data.customAuthAttempt.scopes].sort()).toEqual(['offline_access', 'openid']);
    const builtIn = await gql('query ($id: ID!) { authAttempt(id: $id) { id status } }', { id: started.attemptId });
    expect(errorCode(builtIn)).toBe('BAD_USER_INPUT');
    expect(builtIn.body.errors?.[0]?.message).toContain('customAuthAttempt');

    const listed = await gql(`{ secrets { loggedInCustomServices { slug serviceKey isLoggedIn bearerToken } } }`);
    const loggedIn = listed.body.data.secrets.loggedInCustomServices as Array<{ slug: string; isLoggedIn: boolean }>;
    expect(loggedIn.filter((entry) => entry.slug === 'acme')).toEqual([{ slug: 'acme', serviceKey: 'custom:acme', isLoggedIn: true, bearerToken: secret.bearerToken }]);
    expect(loggedIn.every((entry) => entry.isLoggedIn)).toBe(true);

    // The built-in fields are untouched by a custom connection.
    const builtIns = await gql('{ secrets { github { isLoggedIn bearerToken } salesforce { isLoggedIn bearerToken } loggedInServices { service } } }');
    expect(builtIns.body.errors).toBeUndefined();
    expect(builtIns.body.data.secrets).toEqual({
      github: { isLoggedIn: false, bearerToken: null },
      salesforce: { isLoggedIn: false, bearerToken: null },
      loggedInServices: [],
    });
  });

  it('reports access_denied to returnTo and on the attempt (waking a long-poll), keeping the connection', async () => {
    await acme();
    await connect('acme');
    const before = await storedConnection('acme');
    const tokenRequestsBefore = server.state.tokenRequests;
    const started = await startCustom('acme', { returnTo: `${ORIGIN}/done` });
    const pollStartedAt = Date.now();
    const poll = gql('query ($id: ID!) { customAuthAttempt(id: $id, waitSeconds: 5) { status error } }', { id: started.attemptId });
    await sleep(200);
    const landing = await browserAuthorize(started.authorizationUrl, { deny: true });
    expect(landing.searchParams.get('error')).toBe('access_denied');
    const back = backTo(await callback(landing));
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(back.searchParams.get('service')).toBe('custom:acme');
    expect(back.searchParams.get('error')).toBe('access_denied');
    const polled = await poll;
    expect(polled.body.data.customAuthAttempt).toEqual({ status: 'FAILED', error: 'access_denied' });
    expect(Date.now() - pollStartedAt).toBeLessThan(4000);
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect(await storedConnection('acme')).toEqual(before);
    expect((await readCustom('acme')).body.data.secrets.custom.isLoggedIn).toBe(true);
  });
});

// ---- 3. app-handled callbacks ----

describe('app-handled callbacks with finishCustomAuth', () => {
  it('finishes with finishCustomAuth; finishAuth refuses the custom state without using it up', async () => {
    await acme();
    const started = await startCustom('acme', { redirectUri: APP_REDIRECT_URI, scopes: ['openid', 'profile', 'offline_access'] });
    expect(new URL(started.authorizationUrl).searchParams.get('redirect_uri')).toBe(APP_REDIRECT_URI);
    const landing = await browserAuthorize(started.authorizationUrl, { accountId: 'acct-app' });
    expect(`${landing.origin}${landing.pathname}`).toBe(APP_REDIRECT_URI);
    const input = { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: landing.searchParams.get('iss') };

    const tokenRequestsBefore = server.state.tokenRequests;
    const wrong = await gql(FINISH_BUILT_IN, { input });
    expect(errorCode(wrong)).toBe('BAD_USER_INPUT');
    expect(wrong.body.errors?.[0]?.message).toContain('finishCustomAuth');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.customAuthAttempt.status).toBe('PENDING');

    const finished = await gql(FINISH_CUSTOM, { input });
    expect(finished.body.errors).toBeUndefined();
    const secret = finished.body.data.finishCustomAuth;
    expect(secret).toMatchObject({
      slug: 'acme',
      serviceKey: 'custom:acme',
      isLoggedIn: true,
      status: 'ACTIVE',
      foreignUserId: 'acct-app',
      // userinfo's preferred_username (the profile scope was granted)
      foreignUserName: accountClaims('acct-app').preferred_username,
    });
    expect(sortedScopes(secret.grantedScopes)).toEqual(['offline_access', 'openid', 'profile']);
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });
    await harvest();
    expect(secret.bearerToken).toBe(store().accessTokenOf((await storedConnection('acme'))!));
    expect(await userinfoStatus(server, secret.bearerToken)).toBe(200);
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.customAuthAttempt.status).toBe('COMPLETED');

    // Once only.
    const replay = await gql(FINISH_CUSTOM, { input });
    expect(errorCode(replay)).toBe('AUTH_STATE_INVALID');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
  });
});

// ---- 4. refresh ----

describe('refresh', () => {
  it('refreshes a really expired token once for concurrent readers, keeping the refresh token', async () => {
    await defineOk({
      slug: 'fast',
      friendlyServiceName: 'Fast tokens',
      discoveryUrl: wellKnown(fast),
      clientId: FAST.clientId,
      clientSecret: FAST.clientSecret,
      authorizationParameters: PROMPT_CONSENT,
    });
    await connect('fast', { as: fast });
    const row = (await storedConnection('fast'))!;
    const first = store().accessTokenOf(row)!;
    const refreshToken = store().refreshTokenOf(row);
    expect(refreshToken).toEqual(expect.any(String));
    expect(row.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(FAST_TTL_SECONDS * 1000);

    // Wait until the server itself no longer honours the token.
    await sleep(Math.max(0, row.expiresAt!.getTime() - Date.now()) + 300);
    expect(await userinfoStatus(fast, first)).toBe(401);

    const refreshesBefore = fast.state.refreshRequests;
    const results = await Promise.all(Array.from({ length: 5 }, () => readCustom('fast')));
    expect(fast.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(fast.state.lastTokenRequest).toEqual({ grantType: 'refresh_token', hadCodeVerifier: false });
    for (const result of results) expect(result.body.errors).toBeUndefined();
    const tokens = new Set(results.map((result) => result.body.data.secrets.custom.bearerToken as string));
    expect(tokens.size).toBe(1);
    const refreshed = [...tokens][0]!;
    expect(refreshed).not.toBe(first);
    expect(await userinfoStatus(fast, refreshed)).toBe(200);
    expect(results[0]!.body.data.secrets.custom).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    expect(results[0]!.body.data.secrets.custom.lastRefreshedAt).not.toBeNull();
    // The answer carried no refresh_token: the stored one is kept.
    expect(store().refreshTokenOf((await storedConnection('fast'))!)).toBe(refreshToken);
  });

  it('marks the connection NEEDS_REAUTH when the provider answers invalid_grant', async () => {
    await acme();
    // One account: with another usable one, reads would move on to it (the most recent usable account).
    await gateway.gateway.db.connection.deleteMany({ where: { siteId: siteA.siteId, service: 'custom:acme' } });
    gateway.gateway.services.connections.invalidate(siteA.siteId);
    const account = 'acct-reauth';
    await connect('acme', { accountId: account });
    await server.revokeAllGrants(account);
    await expireStored('acme');
    const refreshesBefore = server.state.refreshRequests;
    const result = await readCustom('acme');
    expect(result.body.errors).toBeUndefined();
    const secret = result.body.data.secrets.custom;
    expect(secret).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH', refreshFailures: 1 });
    expect(secret.lastError).toContain('invalid_grant');
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    // Settled: later reads do not ask again, and it is no longer listed as logged in.
    expect((await readCustom('acme')).body.data.secrets.custom.status).toBe('NEEDS_REAUTH');
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    const listed = await gql('{ secrets { loggedInCustomServices { slug } } }');
    expect(listed.body.data.secrets.loggedInCustomServices.map((entry: { slug: string }) => entry.slug)).not.toContain('acme');
  });

  it('answers UPSTREAM_ERROR after a 500, keeps the connection, backs off, then recovers', async () => {
    await acme();
    await connect('acme');
    await expireStored('acme');
    server.failNextTokenRequests(1, 500);
    const refreshesBefore = server.state.refreshRequests;
    const failed = await readCustom('acme');
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(failed.body.errors?.[0]).toMatchObject({ path: ['secrets', 'custom', 'bearerToken'], extensions: { code: 'UPSTREAM_ERROR' } });
    expect(failed.body.data.secrets.custom).toMatchObject({ isLoggedIn: true, bearerToken: null, status: 'ACTIVE', refreshFailures: 1 });
    expect(failed.body.data.secrets.custom.lastError).toContain('500');
    const backingOff = (await storedConnection('acme'))!;
    expect(backingOff.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now());
    expect(store().refreshTokenOf(backingOff)).toEqual(expect.any(String));

    // During the back-off the provider is not asked again.
    const again = await readCustom('acme');
    expect(errorCode(again)).toBe('UPSTREAM_ERROR');
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);

    await gateway.gateway.db.connection.update({ where: { id: backingOff.id }, data: { nextRefreshAt: new Date(Date.now() - 1000) } });
    const recovered = await readCustom('acme');
    expect(recovered.body.errors).toBeUndefined();
    expect(recovered.body.data.secrets.custom).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    expect(server.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(await userinfoStatus(server, recovered.body.data.secrets.custom.bearerToken)).toBe(200);
  });
});

// ---- 5. sign-out ----

describe('signing out', () => {
  it('revokes at the provider (RFC 7009) and forgets the tokens', async () => {
    await acme();
    // One account, so that signing out leaves none logged in (other tests connected other accounts).
    await gateway.gateway.db.connection.deleteMany({ where: { siteId: siteA.siteId, service: 'custom:acme' } });
    gateway.gateway.services.connections.invalidate(siteA.siteId);
    await connect('acme', { accountId: 'acct-signout' });
    const row = (await storedConnection('acme'))!;
    const accessToken = store().accessTokenOf(row)!;
    const refreshToken = store().refreshTokenOf(row)!;
    expect(await userinfoStatus(server, accessToken)).toBe(200);
    const revocationsBefore = server.state.revocations;

    const result = await gql(SIGN_OUT, { slug: 'acme' });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.signOutCustomService).toEqual({ slug: 'acme', serviceKey: 'custom:acme', isLoggedIn: false, bearerToken: null, status: 'REVOKED' });
    expect(server.state.revocations).toBeGreaterThan(revocationsBefore);
    // The grant is over at the server.
    expect(await userinfoStatus(server, accessToken)).toBe(401);
    expect((await directRefresh(refreshToken)).body.error).toBe('invalid_grant');
    const after = (await storedConnection('acme'))!;
    expect(after).toMatchObject({ accessToken: null, refreshToken: null });
    expect((await readCustom('acme')).body.data.secrets.custom).toMatchObject({ isLoggedIn: false, bearerToken: null });

    // Again: harmless, and the server is not asked again.
    const revocationsAfter = server.state.revocations;
    const again = await gql(SIGN_OUT, { slug: 'acme' });
    expect(again.body.data.signOutCustomService.isLoggedIn).toBe(false);
    expect(server.state.revocations).toBe(revocationsAfter);
  });
});

// ---- 6. endpoints only ----

describe('a service defined by its endpoints', () => {
  it('runs the whole flow without discovery, with client_secret_post and its own scope catalog', async () => {
    const discoveryBefore = server.state.discoveryRequests;
    const { revocationEndpoint: _unused, ...endpoints } = endpointsOf(server);
    const scopes = [
      { scope: 'openid', isDefault: true, isRequired: true, title: 'OpenID' },
      { scope: 'profile', isDefault: true, title: 'Your profile', description: 'Your name and username', category: 'Identity' },
      { scope: 'refresh_token', isDefault: true, title: 'Stay connected' },
      { scope: 'email', title: 'Email address' },
    ];
    const defined = await defineOk({
      slug: 'manual',
      friendlyServiceName: 'Manual OAuth',
      ...endpoints,
      scopes,
      clientId: POST_CLIENT.clientId,
      clientSecret: POST_CLIENT.clientSecret,
      clientAuthMethod: 'CLIENT_SECRET_POST',
    });
    expect(server.state.discoveryRequests).toBe(discoveryBefore);
    expect(defined).toMatchObject({
      slug: 'manual',
      discoveryUrl: null,
      issuer: null,
      ...endpoints,
      revocationEndpoint: null,
      supportsRevocation: false,
      supportsClientCredentials: false,
      supportsRefresh: true,
      clientAuthMethod: 'CLIENT_SECRET_POST',
      hasClientSecret: true,
      pkce: true,
      scopeSeparator: ' ',
      callbackUrl: callbackUrlOf(siteA, 'manual'),
    });
    // (An omitted description may read as null or as an empty string.)
    const catalog = (defined.availableScopes as Array<Record<string, unknown>>).map((scope) => ({ ...scope, description: scope.description || null }));
    expect(catalog).toEqual([
      { scope: 'openid', title: 'OpenID', description: null, category: null, isDefault: true, isRequired: true },
      { scope: 'profile', title: 'Your profile', description: 'Your name and username', category: 'Identity', isDefault: true, isRequired: false },
      { scope: 'refresh_token', title: 'Stay connected', description: null, category: null, isDefault: true, isRequired: false },
      { scope: 'email', title: 'Email address', description: null, category: null, isDefault: false, isRequired: false },
    ]);

    const account = 'acct-manual';
    const { started } = await connect('manual', { accountId: account });
    const params = (await providerUrlOfAttempt(gateway, started.attemptId)).searchParams;
    expect(params.get('scope')!.split(' ').sort()).toEqual(['openid', 'profile', 'refresh_token']);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });

    const secret = (await readCustom('manual')).body.data.secrets.custom;
    expect(secret).toMatchObject({ isLoggedIn: true, foreignUserId: account, foreignUserName: accountClaims(account).preferred_username });
    expect(sortedScopes(secret.grantedScopes)).toEqual(['openid', 'profile', 'refresh_token']);
    const profile = (secret.grantedScopes as Array<{ scope: string; scopeInfo: { title: string } | null }>).find((granted) => granted.scope === 'profile');
    expect(profile?.scopeInfo?.title).toBe('Your profile');
    expect(await userinfoStatus(server, secret.bearerToken)).toBe(200);

    // It refreshes with client_secret_post too.
    await expireStored('manual');
    const refreshesBefore = server.state.refreshRequests;
    const refreshed = (await readCustom('manual')).body.data.secrets.custom;
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(refreshed).toMatchObject({ isLoggedIn: true, status: 'ACTIVE' });
    expect(refreshed.bearerToken).not.toBe(secret.bearerToken);

    // No revocation endpoint: signing out only forgets.
    const revocationsBefore = server.state.revocations;
    const signedOut = await gql(SIGN_OUT, { slug: 'manual' });
    expect(signedOut.body.data.signOutCustomService.isLoggedIn).toBe(false);
    expect(server.state.revocations).toBe(revocationsBefore);
  });

  it('keeps an explicit issuer exactly, accepts callbacks naming it, and refuses others (mix-up)', async () => {
    // No userinfo endpoint either: the connection then carries no foreignUserId.
    const { revocationEndpoint: _r, userinfoEndpoint: _u, ...endpoints } = endpointsOf(server);
    const defined = await defineOk({
      slug: 'manual-iss',
      friendlyServiceName: 'Manual with issuer',
      issuer: server.issuer,
      ...endpoints,
      scopes: [{ scope: 'openid', isDefault: true }],
      clientId: POST_CLIENT.clientId,
      clientSecret: POST_CLIENT.clientSecret,
      clientAuthMethod: 'CLIENT_SECRET_POST',
    });
    const tokenRequestsBefore = server.state.tokenRequests;
    const started = await startCustom('manual-iss', { returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl, { accountId: 'acct-issuer' });
    expect(landing.searchParams.get('iss')).toBe(server.issuer);
    const back = backTo(await callback(landing));
    expect(back.searchParams.get('error')).toBeNull();
    expect(back.searchParams.get('latchkey_status')).toBe('success');
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    const connected = (await readCustom('manual-iss')).body.data.secrets.custom;
    expect(connected).toMatchObject({ isLoggedIn: true, foreignUserId: null, foreignUserName: null });

    // With a configured issuer, an iss on the same origin but naming another issuer is refused.
    const stored = await storedConnection('manual-iss');
    const second = await startCustom('manual-iss', { returnTo: `${ORIGIN}/done` });
    const other = await browserAuthorize(second.authorizationUrl, { accountId: 'acct-issuer' });
    other.searchParams.set('iss', `${server.issuer}/tenant-b`);
    expectRefused(await callback(other));
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore + 1);
    expect(await storedConnection('manual-iss')).toEqual(stored);

    // Issuer identifiers are compared as exact strings (RFC 9207 §2.4, RFC 8414 §3.3); this
    // server's has no trailing slash, and the service shows the issuer it compares with.
    expect(defined.issuer).toBe(server.issuer);
  });

  it('uses the scope separator, fixed parameters and pkce: false in the authorization URL', async () => {
    const { revocationEndpoint: _r, userinfoEndpoint: _u, ...endpoints } = endpointsOf(server);
    const defined = await defineOk({
      slug: 'comma',
      friendlyServiceName: 'Comma scopes',
      ...endpoints,
      scopes: [
        { scope: 'read', isDefault: true },
        { scope: 'write', isDefault: true },
        { scope: 'admin' },
      ],
      scopeSeparator: ',',
      authorizationParameters: [{ name: 'access_type', value: 'offline' }],
      pkce: false,
      // A confidential client: a public one (no secret) must keep PKCE.
      clientId: 'comma-client',
      clientSecret: 'comma-client-secret',
    });
    expect(defined).toMatchObject({ scopeSeparator: ',', pkce: false, authorizationParameters: [{ name: 'access_type', value: 'offline' }], userinfoEndpoint: null });
    const started = await startCustom('comma', { returnTo: `${ORIGIN}/done` });
    const params = (await providerUrlOfAttempt(gateway, started.attemptId)).searchParams;
    expect(params.get('scope')!.split(',').sort()).toEqual(['read', 'write']);
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('client_id')).toBe('comma-client');
    expect(params.get('redirect_uri')).toBe(callbackUrlOf(siteA, 'comma'));
    expect(params.has('code_challenge')).toBe(false);
    expect(params.has('code_challenge_method')).toBe(false);
  });
});

// ---- 7. client credentials ----

describe('client credentials', () => {
  it('connects a machine client, and asks again when the token expires', async () => {
    const defined = await defineOk({
      slug: 'machine',
      friendlyServiceName: 'Machine',
      discoveryUrl: wellKnown(server),
      clientId: MACHINE.clientId,
      clientSecret: MACHINE.clientSecret,
    });
    expect(defined.supportsClientCredentials).toBe(true);
    const before = server.state.clientCredentialsRequests;
    const result = await gql(`mutation { connectCustomClientCredentials(input: { slug: "machine", scopes: ["api"] }) { ${SECRET_FIELDS} } }`);
    expect(result.body.errors).toBeUndefined();
    const secret = result.body.data.connectCustomClientCredentials;
    expect(secret).toMatchObject({ slug: 'machine', serviceKey: 'custom:machine', isLoggedIn: true, status: 'ACTIVE' });
    expect(sortedScopes(secret.grantedScopes)).toEqual(['api']);
    expect(server.state.clientCredentialsRequests).toBe(before + 1);
    expect(server.state.lastTokenRequest).toMatchObject({ grantType: 'client_credentials' });
    // The server issued it to this client and still honours it.
    const introspection = await fetch(`${server.issuer}/services/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(MACHINE) },
      body: new URLSearchParams({ token: secret.bearerToken }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, client_id: MACHINE.clientId });
    const row = (await storedConnection('machine'))!;
    expect(row).toMatchObject({ grantType: 'CLIENT_CREDENTIALS', refreshToken: null });

    await expireStored('machine');
    const again = await readCustom('machine');
    expect(again.body.errors).toBeUndefined();
    expect(server.state.clientCredentialsRequests).toBe(before + 2);
    expect(again.body.data.secrets.custom.isLoggedIn).toBe(true);
    expect(again.body.data.secrets.custom.bearerToken).not.toBe(secret.bearerToken);
  });

  it('refuses the grant with BAD_USER_INPUT when the service does not support it', async () => {
    const defined = await defineOk({
      slug: 'machine-off',
      friendlyServiceName: 'Machine without the grant',
      discoveryUrl: wellKnown(server),
      clientId: MACHINE.clientId,
      clientSecret: MACHINE.clientSecret,
      supportsClientCredentials: false,
    });
    expect(defined.supportsClientCredentials).toBe(false);
    const before = server.state.tokenRequests;
    const result = await gql('mutation { connectCustomClientCredentials(input: { slug: "machine-off" }) { isLoggedIn } }');
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(server.state.tokenRequests).toBe(before);
    expect(await storedConnection('machine-off')).toBeNull();

    const unknown = await gql('mutation { connectCustomClientCredentials(input: { slug: "no-such-service" }) { isLoggedIn } }');
    expect(errorCode(unknown)).toBe('NOT_FOUND');
  });
});

// ---- 8. refused definitions ----

describe('refused definitions', () => {
  /** A valid endpoints-only definition (loopback, allowed in tests) that each case breaks in one place. */
  const base = () => ({
    slug: 'refused',
    friendlyServiceName: 'Refused',
    clientId: 'refused-client',
    authorizationEndpoint: endpointsOf(server).authorizationEndpoint,
    tokenEndpoint: endpointsOf(server).tokenEndpoint,
  });
  const port = () => new URL(server.issuer).port;

  async function slugsNow(): Promise<string[]> {
    const result = await gql(LIST_SERVICES);
    return (result.body.data.customServices as Array<{ slug: string }>).map((service) => service.slug).sort();
  }

  /** Defines `input`, expects BAD_USER_INPUT (naming `field` when given), and nothing stored or fetched. */
  async function expectRefusedDefinition(input: Record<string, unknown>, field?: string) {
    const slugsBefore = await slugsNow();
    const discoveryBefore = server.state.discoveryRequests;
    const result = await define(input);
    expect(result.body.data ?? null).toBeNull();
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    if (field) expect(result.body.errors?.[0]?.extensions?.field).toBe(field);
    expect(await slugsNow()).toEqual(slugsBefore);
    expect(server.state.discoveryRequests).toBe(discoveryBefore);
    return result.body.errors![0]!;
  }

  it('accepts the base definition (the control for the cases below)', async () => {
    // The shortest and longest slugs are fine too.
    for (const slug of ['control', 'ab', `a${'b'.repeat(38)}9`]) {
      const defined = await defineOk({ ...base(), slug });
      expect(defined.slug).toBe(slug);
      expect((await gql(REMOVE, { slug })).body.data.removeCustomService).toBe(true);
    }
  });

  it.each([
    ['upper case', 'Acme'],
    ['one character', 'a'],
    ['41 characters', `a${'b'.repeat(40)}`],
    ['a leading digit', '1acme'],
    ['a leading hyphen', '-acme'],
    ['a trailing hyphen', 'acme-'],
    ['an underscore', 'ac_me'],
    ['a space', 'ac me'],
    ['a slash', 'ac/me'],
    ['a colon', 'custom:acme'],
    ['nothing', ''],
  ])('refuses a slug with %s', async (_label, slug) => {
    await expectRefusedDefinition({ ...base(), slug }, 'slug');
  });

  it.each(['github', 'spotify', 'salesforce', 'stripe', 'box', 'contentful'])('refuses the built-in slug %s', async (slug) => {
    const error = await expectRefusedDefinition({ ...base(), slug }, 'slug');
    expect(error.message).toContain(slug);
  });

  it.each([
    ['empty', ''],
    ['over 100 characters', 'x'.repeat(101)],
  ])('refuses a friendlyServiceName that is %s', async (_label, friendlyServiceName) => {
    await expectRefusedDefinition({ ...base(), friendlyServiceName }, 'friendlyServiceName');
  });

  it('refuses a definition with neither discoveryUrl nor endpoints, or with only some endpoints', async () => {
    const { authorizationEndpoint, tokenEndpoint, ...bare } = base();
    await expectRefusedDefinition(bare);
    await expectRefusedDefinition({ ...bare, authorizationEndpoint });
    await expectRefusedDefinition({ ...bare, tokenEndpoint });
  });

  it.each<[string, string, () => string]>([
    ['plain http to a non-loopback host', 'tokenEndpoint', () => 'http://auth.example.com/token'],
    ['plain http to a private address', 'tokenEndpoint', () => 'http://10.0.0.1/token'],
    ['10.0.0.0/8', 'tokenEndpoint', () => 'https://10.0.0.1/token'],
    ['172.16.0.0/12', 'tokenEndpoint', () => 'https://172.16.5.4/token'],
    ['192.168.0.0/16', 'tokenEndpoint', () => 'https://192.168.1.1/token'],
    ['the metadata address 169.254.169.254', 'tokenEndpoint', () => 'https://169.254.169.254/token'],
    ['169.254.169.254 written as one number', 'tokenEndpoint', () => 'https://2852039166/token'],
    ['169.254.169.254 as an IPv4-mapped IPv6 address', 'tokenEndpoint', () => 'https://[::ffff:169.254.169.254]/token'],
    ['unique-local fd00::/8', 'tokenEndpoint', () => 'https://[fd00::1]/token'],
    ['link-local fe80::/10', 'tokenEndpoint', () => 'https://[fe80::1]/token'],
    ['carrier-grade NAT 100.64.0.0/10', 'tokenEndpoint', () => 'https://100.64.0.1/token'],
    ['a private authorization endpoint', 'authorizationEndpoint', () => 'https://10.1.2.3/authorize'],
    ['a private revocation endpoint', 'revocationEndpoint', () => 'https://169.254.169.254/revoke'],
    ['a private userinfo endpoint', 'userinfoEndpoint', () => 'https://[fd00::1]/userinfo'],
    ['credentials in the URL', 'tokenEndpoint', () => `http://user:pass@127.0.0.1:${port()}/services/oauth2/token`],
    ['another scheme', 'tokenEndpoint', () => `ftp://127.0.0.1:${port()}/token`],
    ['something that is no URL', 'tokenEndpoint', () => 'not a url'],
  ])('refuses an endpoint with %s', async (_label, field, url) => {
    await expectRefusedDefinition({ ...base(), [field]: url() }, field);
  });

  it.each<[string, () => string]>([
    ['plain http to a non-loopback host', () => 'http://auth.example.com/.well-known/openid-configuration'],
    ['credentials in the URL', () => `http://user:pass@127.0.0.1:${port()}/.well-known/openid-configuration`],
    ['a file URL', () => 'file:///etc/passwd'],
    ['the metadata address', () => 'https://169.254.169.254/.well-known/openid-configuration'],
    ['a unique-local address', () => 'https://[fd00::1]/.well-known/openid-configuration'],
  ])('refuses a discoveryUrl with %s, without fetching it', async (_label, url) => {
    const { authorizationEndpoint: _a, tokenEndpoint: _t, ...bare } = base();
    await expectRefusedDefinition({ ...bare, discoveryUrl: url() }, 'discoveryUrl');
  });

  it.each(['state', 'scope', 'redirect_uri', 'client_id', 'response_type', 'code_challenge', 'code_challenge_method'])(
    'refuses the reserved authorization parameter %s',
    async (name) => {
      await expectRefusedDefinition({ ...base(), authorizationParameters: [{ name, value: 'x' }] });
    },
  );

  it.each(['+', ';', '  ', '', ', '])('refuses the scope separator %j', async (scopeSeparator) => {
    await expectRefusedDefinition({ ...base(), scopeSeparator }, 'scopeSeparator');
  });

  it('refuses bad discovery documents: wrong issuer, not JSON, HTTP error, redirect, disallowed endpoints', async () => {
    const good = (issuer: string) => minimalDiscoveryDocument(issuer, server);
    const WK = '/.well-known/openid-configuration';
    const tiny = await startTinyServer((base) => ({
      [`/good${WK}`]: json(good(`${base}/good`)),
      [`/mismatch${WK}`]: json(good('https://other.example')),
      [`/slash${WK}`]: json(good(`${base}/slash/`)),
      [`/html${WK}`]: (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hello</body></html>'),
      [`/broken${WK}`]: json({ error: 'server_error' }, 500),
      // If the redirect were followed, what it leads to would pass every other check.
      [`/redirect${WK}`]: (_req, res) => res.writeHead(302, { location: `${base}/target${WK}` }).end(),
      [`/target${WK}`]: json(good(`${base}/redirect`)),
      [`/private${WK}`]: json({ ...good(`${base}/private`), token_endpoint: 'https://169.254.169.254/token' }),
      [`/plain${WK}`]: json({ ...good(`${base}/plain`), authorization_endpoint: 'http://auth.example.com/authorize' }),
    }));
    try {
      const input = (path: string) => ({ slug: 'tiny', friendlyServiceName: 'Tiny', clientId: 'tiny-client', discoveryUrl: `${tiny.base}/${path}${WK}` });
      // The control: this server's documents are read at all.
      const control = await defineOk(input('good'));
      expect(control).toMatchObject({ issuer: `${tiny.base}/good`, tokenEndpoint: endpointsOf(server).tokenEndpoint });
      expect((await gql(REMOVE, { slug: 'tiny' })).body.data.removeCustomService).toBe(true);

      for (const path of ['mismatch', 'slash', 'html', 'broken', 'redirect', 'private', 'plain', 'missing']) {
        const before = tiny.hits(`/${path}${WK}`);
        const error = await expectRefusedDefinition(input(path));
        expect({ path, fetched: tiny.hits(`/${path}${WK}`) - before }).toEqual({ path, fetched: 1 });
        if (path === 'mismatch' || path === 'slash') expect(error.message).toMatch(/issuer/i);
      }
      // Redirects are never followed.
      expect(tiny.hits(`/target${WK}`)).toBe(0);
    } finally {
      await tiny.close();
    }
  });

  it('never loses PKCE silently: a server listing only plain is refused unless pkce: false is explicit, and shown', async () => {
    const WK = '/.well-known/openid-configuration';
    const tiny = await startTinyServer((base) => ({
      [`/plain-only${WK}`]: json({ ...minimalDiscoveryDocument(`${base}/plain-only`, server), code_challenge_methods_supported: ['plain'] }),
      [`/both${WK}`]: json({ ...minimalDiscoveryDocument(`${base}/both`, server), code_challenge_methods_supported: ['plain', 'S256'] }),
    }));
    try {
      const input = (path: string, extra: Record<string, unknown> = {}) => ({ slug: 'tiny', friendlyServiceName: 'Tiny', clientId: 'tiny-client', clientSecret: 'tiny-secret', clientAuthMethod: 'CLIENT_SECRET_BASIC', discoveryUrl: `${tiny.base}/${path}${WK}`, ...extra });
      const error = await expectRefusedDefinition(input('plain-only'), 'pkce');
      expect(error.message).toMatch(/without S256.*pkce: false/);
      expect(tiny.hits(`/plain-only${WK}`)).toBe(1);

      const explicit = await defineOk(input('plain-only', { pkce: false }));
      expect(explicit.pkce).toBe(false);
      expect((await gql(REMOVE, { slug: 'tiny' })).body.data.removeCustomService).toBe(true);

      const both = await defineOk(input('both'));
      expect(both.pkce).toBe(true);
      expect((await gql(REMOVE, { slug: 'tiny' })).body.data.removeCustomService).toBe(true);
    } finally {
      await tiny.close();
    }
  });

  it('refuses startAuth with both or neither of service and customService, an unknown slug, or a foreign returnTo', async () => {
    await acme();
    const both = await gql(START, { input: { service: 'GITHUB', customService: 'acme' } });
    expect(errorCode(both)).toBe('BAD_USER_INPUT');
    const neither = await gql(START, { input: { returnTo: `${ORIGIN}/done` } });
    expect(errorCode(neither)).toBe('BAD_USER_INPUT');
    const unknown = await gql(START, { input: { customService: 'no-such-service' } });
    expect(errorCode(unknown)).toBe('NOT_FOUND');
    const foreign = await gql(START, { input: { customService: 'acme', returnTo: 'https://evil.example/steal' } });
    expect(errorCode(foreign)).toBe('BAD_USER_INPUT');
    const foreignRedirect = await gql(START, { input: { customService: 'acme', redirectUri: 'https://evil.example/callback' } });
    expect(errorCode(foreignRedirect)).toBe('BAD_USER_INPUT');
  });

  it('never follows a redirect from a token endpoint', async () => {
    const tiny = await startTinyServer((base) => ({
      '/token': (_req, res) => res.writeHead(307, { location: `${base}/real-token` }).end(),
      '/real-token': json({ access_token: `followed-${randomBytes(8).toString('hex')}`, token_type: 'Bearer', expires_in: 3600 }),
    }));
    try {
      await defineOk({
        slug: 'redirecting',
        friendlyServiceName: 'Redirecting token endpoint',
        authorizationEndpoint: `${tiny.base}/authorize`,
        tokenEndpoint: `${tiny.base}/token`,
        clientId: 'redirecting-client',
        clientSecret: 'redirecting-secret',
        supportsClientCredentials: true,
      });
      const result = await gql('mutation { connectCustomClientCredentials(input: { slug: "redirecting" }) { isLoggedIn bearerToken } }');
      expect(result.body.data ?? null).toBeNull();
      expect(result.body.errors?.length).toBeGreaterThan(0);
      expect(tiny.hits('/token')).toBe(1);
      expect(tiny.hits('/real-token')).toBe(0);
      expect(await storedConnection('redirecting')).toBeNull();
    } finally {
      await tiny.close();
    }
  });
});

describe('with LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK=false', () => {
  let strict: Site;

  beforeAll(async () => {
    strictGateway = await startTestGateway({
      LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'false',
      // Private networks allowed: loopback is governed by its own switch, not by this one.
      LATCHKEY_CUSTOM_SERVICE_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    strict = await strictGateway.createSite('Strict site', [ORIGIN]);
  });

  it('refuses loopback hosts by literal and by the name localhost, and allows private addresses as configured', async () => {
    const on = strictGateway!;
    const refused = async (input: Record<string, unknown>, field?: string) => {
      const result = await define({ slug: 'strict', friendlyServiceName: 'Strict', clientId: 'strict-client', ...input }, strict.token, on);
      expect({ input, code: errorCode(result) }).toEqual({ input, code: 'BAD_USER_INPUT' });
      if (field) expect(result.body.errors?.[0]?.extensions?.field).toBe(field);
    };

    const discoveryBefore = server.state.discoveryRequests;
    await refused({ discoveryUrl: wellKnown(server) }, 'discoveryUrl');
    await refused({ discoveryUrl: server.issuer }, 'discoveryUrl');
    expect(server.state.discoveryRequests).toBe(discoveryBefore);
    const https = { authorizationEndpoint: 'https://10.0.0.1/authorize' };
    for (const tokenEndpoint of [
      endpointsOf(server).tokenEndpoint,
      'https://127.0.0.1/token',
      'https://127.8.9.10/token',
      'https://[::1]/token',
      'https://[::ffff:127.0.0.1]/token',
      'https://0.0.0.0/token',
      'https://localhost/token',
      `http://localhost:${new URL(server.issuer).port}/services/oauth2/token`,
    ]) {
      await refused({ ...https, tokenEndpoint }, 'tokenEndpoint');
    }
    expect((await gql(LIST_SERVICES, undefined, strict.token, on)).body.data.customServices).toEqual([]);

    // Private addresses are allowed on this gateway: the same definition with a private token endpoint passes.
    const allowed = await define(
      { slug: 'private-ok', friendlyServiceName: 'Private', clientId: 'private-client', ...https, tokenEndpoint: 'https://10.0.0.2/token' },
      strict.token,
      on,
    );
    expect(allowed.body.errors).toBeUndefined();
  });

  it('refuses loopback hosts by default, naming the setting that allows them', async () => {
    // No NODE_ENV: development too refuses them unless LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK=true.
    const production = await startTestGateway({});
    try {
      const site = await production.createSite('Production site', [ORIGIN]);
      const discoveryBefore = server.state.discoveryRequests;
      const result = await define(
        { slug: 'local', friendlyServiceName: 'Local', clientId: 'local-client', discoveryUrl: wellKnown(server) },
        site.token,
        production,
      );
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.message).toContain('LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK=true');
      expect(result.body.errors?.[0]?.extensions?.field).toBe('discoveryUrl');
      expect(server.state.discoveryRequests).toBe(discoveryBefore);
      const endpoints = await define(
        { slug: 'local', friendlyServiceName: 'Local', clientId: 'local-client', ...endpointsOf(server) },
        site.token,
        production,
      );
      expect(errorCode(endpoints)).toBe('BAD_USER_INPUT');
    } finally {
      closedGatewayLogs.push(...production.logs);
      await production.close();
    }
  });

  it('refuses a discoveryUrl whose host name resolves to loopback as clearly as the literal address', async (ctx) => {
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.length === 0 || !addresses.every((entry) => ipaddr.process(entry.address).range() === 'loopback')) {
      ctx.skip(`${name} resolves to ${addresses.map((entry) => entry.address).join(', ') || 'nothing'}: no loopback name to test with`);
      return;
    }
    const discoveryBefore = server.state.discoveryRequests;
    const port = new URL(server.issuer).port;
    const result = await define(
      { slug: 'by-name-disco', friendlyServiceName: 'By name', clientId: 'by-name-client', discoveryUrl: `https://${name}:${port}/.well-known/openid-configuration` },
      strict.token,
      strictGateway!,
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.extensions?.field).toBe('discoveryUrl');
    const message = String(result.body.errors?.[0]?.message);
    expect(message).toContain(`${name}:${port} resolves to a loopback`);
    expect(message).toContain('LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK=true');
    expect(message).not.toMatch(/something went wrong|unknown failure/i);
    expect(server.state.discoveryRequests).toBe(discoveryBefore);
  });

  it('checks the address a name resolves to when connecting: a refused address is never contacted', async (ctx) => {
    // This machine's own name: it resolves to loopback (Debian's /etc/hosts) or to a private
    // address (a container's); the first is refused by the strict gateway, the second by the main one.
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    const ranges = addresses.map((entry) => ipaddr.process(entry.address).range());
    const on = ranges.length > 0 && ranges.every((range) => range === 'loopback') ? strictGateway! : ranges.length > 0 && ranges.every((range) => range !== 'unicast' && range !== 'loopback') ? gateway : undefined;
    if (!on) {
      ctx.skip(`${name} resolves to ${addresses.map((entry) => entry.address).join(', ') || 'nothing'}: no refused address to test with`);
      return;
    }
    const caller = on === gateway ? siteA : strict;
    // Counts TCP connections on every interface: a blocked lookup makes none.
    let connections = 0;
    const tcp = createNetServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => tcp.listen(0, resolve));
    const port = (tcp.address() as AddressInfo).port;
    try {
      const defined = await define(
        {
          slug: 'by-name',
          friendlyServiceName: 'By name',
          clientId: 'by-name-client',
          clientSecret: 'by-name-secret',
          authorizationEndpoint: `https://${name}:${port}/authorize`,
          tokenEndpoint: `https://${name}:${port}/token`,
          supportsClientCredentials: true,
        },
        caller.token,
        on,
      );
      const result = defined.body.errors
        ? defined
        : await gql('mutation { connectCustomClientCredentials(input: { slug: "by-name" }) { isLoggedIn } }', undefined, caller.token, on);
      expect(result.body.data ?? null).toBeNull();
      expect(connections).toBe(0);
      expect(await on.gateway.db.connection.count({ where: { siteId: caller.siteId, service: 'custom:by-name' } })).toBe(0);
      // The spec: a refused URL is BAD_USER_INPUT, at connect time too.
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
    } finally {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });
});

// ---- 9. isolation and attacks ----

describe('isolation between sites, and attacks on the callback', () => {
  it("does not let another site see or use site A's custom service", async () => {
    await acme();
    await connect('acme');
    const read = await readCustom('acme', siteB.token);
    expect(errorCode(read)).toBe('NOT_FOUND');
    expect(JSON.stringify(read.body)).not.toContain(store().accessTokenOf((await storedConnection('acme'))!)!);
    expect((await gql(GET_SERVICE, { slug: 'acme' }, siteB.token)).body.data.customService).toBeNull();
    expect((await gql(LIST_SERVICES, undefined, siteB.token)).body.data.customServices).toEqual([]);
    expect((await gql('{ secrets { loggedInCustomServices { slug } } }', undefined, siteB.token)).body.data.secrets.loggedInCustomServices).toEqual([]);
    const start = await gql(START, { input: { customService: 'acme', returnTo: `${ORIGIN}/done` } }, siteB.token);
    expect(errorCode(start)).toBe('NOT_FOUND');
    expect(errorCode(await gql(SIGN_OUT, { slug: 'acme' }, siteB.token))).toBe('NOT_FOUND');
    expect((await gql(REMOVE, { slug: 'acme' }, siteB.token)).body.data?.removeCustomService ?? false).toBe(false);
    // Site A's service and connection are untouched by all that.
    expect((await readCustom('acme')).body.data.secrets.custom.isLoggedIn).toBe(true);

    // Site B cannot read site A's attempt, nor finish it.
    const started = await startCustom('acme', { redirectUri: APP_REDIRECT_URI });
    expect((await gql(ATTEMPT, { id: started.attemptId }, siteB.token)).body.data?.customAuthAttempt ?? null).toBeNull();
    const landing = await browserAuthorize(started.authorizationUrl);
    const tokenRequestsBefore = server.state.tokenRequests;
    const stolen = await gql(
      FINISH_CUSTOM,
      { input: { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: landing.searchParams.get('iss') } },
      siteB.token,
    );
    expect(['AUTH_STATE_INVALID', 'NOT_FOUND']).toContain(errorCode(stolen));
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect(await storedConnection('acme', siteB)).toBeNull();
  });

  it("refuses site A's callback on site B's custom path, another slug's path, or a built-in path", async () => {
    await acme();
    // Site B defines the same slug with the same client: only the site in the path tells them apart.
    await defineOk(acmeInput(), siteB.token);
    await defineOk({ ...acmeInput(), slug: 'disco', friendlyServiceName: 'Disco ID' });
    await connect('acme');
    const storedA = await storedConnection('acme');
    const started = await startCustom('acme', { returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl);
    expect(landing.pathname).toBe(`/oauth/callback/custom/${siteA.siteId}/acme`);
    const tokenRequestsBefore = server.state.tokenRequests;
    const storedDisco = await storedConnection('disco');
    for (const path of [`/oauth/callback/custom/${siteB.siteId}/acme`, `/oauth/callback/custom/${siteA.siteId}/disco`, '/oauth/callback/salesforce', '/oauth/callback/github']) {
      const response = await callback(new URL(`${path}${landing.search}`, gateway.publicUrl));
      expectRefused(response);
      expect({ path, tokenRequests: server.state.tokenRequests }).toEqual({ path, tokenRequests: tokenRequestsBefore });
    }
    expect(await storedConnection('acme', siteB)).toBeNull();
    expect(await storedConnection('disco')).toEqual(storedDisco);
    expect(await storedConnection('acme')).toEqual(storedA);
    expect((await readCustom('acme', siteB.token)).body.data.secrets.custom).toMatchObject({ isLoggedIn: false, bearerToken: null });
  });

  it('refuses a forged state, an unknown path, and a replayed state without contacting the provider', async () => {
    await acme();
    const tokenRequestsBefore = server.state.tokenRequests;
    const forged = new URL(`/oauth/callback/custom/${siteA.siteId}/acme`, gateway.publicUrl);
    forged.search = new URLSearchParams({ code: 'forged-code', state: randomBytes(32).toString('base64url'), iss: server.issuer }).toString();
    const forgedResponse = await callback(forged);
    expect(forgedResponse.status).toBe(400);
    expect(forgedResponse.location).toBeNull();
    expect(forgedResponse.body).toContain('AUTH_STATE_INVALID');

    for (const path of [`/oauth/callback/custom/${siteA.siteId}/no-such-service`, '/oauth/callback/custom/site_does_not_exist/acme', `/oauth/callback/custom/${siteA.siteId}`]) {
      const unknown = await callback(new URL(`${path}${forged.search}`, gateway.publicUrl));
      expect(unknown.status).toBeGreaterThanOrEqual(400);
      expect(unknown.location).toBeNull();
    }
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);

    const { landing } = await connect('acme');
    const stored = await storedConnection('acme');
    const requestsAfterConnect = server.state.tokenRequests;
    const replay = await callback(landing);
    expectRefused(replay);
    expect(server.state.tokenRequests).toBe(requestsAfterConnect);
    expect(await storedConnection('acme')).toEqual(stored);
  });

  it('refuses a callback whose iss names another issuer (mix-up)', async () => {
    await acme();
    await connect('acme');
    const stored = await storedConnection('acme');
    const started = await startCustom('acme', { returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl);
    landing.searchParams.set('iss', 'https://attacker.example');
    const tokenRequestsBefore = server.state.tokenRequests;
    expectRefused(await callback(landing));
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.customAuthAttempt.status).toBe('FAILED');
    expect(await storedConnection('acme')).toEqual(stored);
  });

  it('refuses a callback without iss when the discovery document promises it (RFC 9207 §2.4)', async () => {
    await acme();
    await connect('acme');
    const stored = await storedConnection('acme');
    const started = await startCustom('acme', { returnTo: `${ORIGIN}/done` });
    const landing = await browserAuthorize(started.authorizationUrl);
    landing.searchParams.delete('iss');
    const tokenRequestsBefore = server.state.tokenRequests;
    expectRefused(await callback(landing));
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    expect(await storedConnection('acme')).toEqual(stored);
  });

  it('lets function tokens read only the custom services they name, and never define or remove one', async () => {
    await acme();
    await connect('acme');
    const token = store().accessTokenOf((await storedConnection('acme'))!)!;
    const QUERY = '{ secrets { custom(slug: "acme") { isLoggedIn bearerToken } loggedInCustomServices { slug bearerToken } } }';

    // Limited to a built-in service: it must not get the custom token (NOT_FOUND, or not logged in).
    const githubOnly = await mint({ services: ['GITHUB'] });
    const limited = await gql(QUERY, undefined, githubOnly);
    expect(JSON.stringify(limited.body)).not.toContain(token);
    const limitedCode = errorCode(limited);
    if (limitedCode === undefined) {
      expect(limited.body.data.secrets.custom).toEqual({ isLoggedIn: false, bearerToken: null });
      expect(limited.body.data.secrets.loggedInCustomServices).toEqual([]);
    } else {
      expect(['NOT_FOUND', 'FORBIDDEN']).toContain(limitedCode);
    }

    // Naming the slug: it reads the token.
    const acmeOnly = await mint({ customServices: ['acme'] });
    const reads = await gql(QUERY, undefined, acmeOnly);
    expect(reads.body.errors).toBeUndefined();
    expect(reads.body.data.secrets.custom).toEqual({ isLoggedIn: true, bearerToken: token });
    expect(reads.body.data.secrets.loggedInCustomServices).toEqual([{ slug: 'acme', bearerToken: token }]);

    // A token with neither services nor customServices reads every service, custom ones included.
    const everything = await mint({});
    expect((await gql(QUERY, undefined, everything)).body.data.secrets.custom).toEqual({ isLoggedIn: true, bearerToken: token });

    // A browser-facing token sees the state but never the token.
    const browser = await mint({ canConnect: true, customServices: ['acme'] });
    const state = await gql('{ secrets { custom(slug: "acme") { isLoggedIn bearerToken } } }', undefined, browser);
    expect(JSON.stringify(state.body)).not.toContain(token);
    expect(errorCode(state)).toBe('FORBIDDEN');
    expect(state.body.data.secrets.custom).toEqual({ isLoggedIn: true, bearerToken: null });

    // Function tokens (of either kind) cannot change the site's services.
    const before = (await gql(GET_SERVICE, { slug: 'acme' })).body.data.customService;
    for (const caller of [acmeOnly, browser]) {
      const defined = await define(acmeInput({ clientId: 'hijacked-client', tokenEndpoint: 'https://evil.example/token' }), caller);
      expect(errorCode(defined)).toBe('FORBIDDEN');
      const removed = await gql(REMOVE, { slug: 'acme' }, caller);
      expect(errorCode(removed)).toBe('FORBIDDEN');
      expect(errorCode(await gql(LIST_SERVICES, undefined, caller))).toBe('FORBIDDEN');
    }
    expect((await gql(GET_SERVICE, { slug: 'acme' })).body.data.customService).toEqual(before);
    expect((await readCustom('acme')).body.data.secrets.custom).toMatchObject({ isLoggedIn: true, bearerToken: token });
  });

  it('records customServices on the function token', async () => {
    await acme();
    const result = await gql('mutation { createFunctionToken(input: { customServices: ["acme"] }) { token accessToken { id services customServices } } }');
    expect(result.body.errors).toBeUndefined();
    mintedTokens.add(result.body.data.createFunctionToken.token);
    expect(result.body.data.createFunctionToken.accessToken).toMatchObject({ customServices: ['acme'] });
  });
});

// ---- 10. removal ----

describe('removing a custom service', () => {
  it('signs out at the provider, forgets the service, and refuses its pending attempts', async () => {
    await defineOk({ ...acmeInput(), slug: 'doomed', friendlyServiceName: 'Doomed' });
    await connect('doomed', { accountId: 'acct-doomed' });
    const row = (await storedConnection('doomed'))!;
    const accessToken = store().accessTokenOf(row)!;
    const refreshToken = store().refreshTokenOf(row)!;
    // An attempt still in flight when the service goes.
    const pending = await startCustom('doomed', { returnTo: `${ORIGIN}/done` });
    const pendingLanding = await browserAuthorize(pending.authorizationUrl, { accountId: 'acct-doomed' });
    const revocationsBefore = server.state.revocations;

    const removed = await gql(REMOVE, { slug: 'doomed' });
    expect(removed.body.errors).toBeUndefined();
    expect(removed.body.data.removeCustomService).toBe(true);
    expect(server.state.revocations).toBeGreaterThan(revocationsBefore);
    expect(await userinfoStatus(server, accessToken)).toBe(401);
    expect((await directRefresh(refreshToken)).body.error).toBe('invalid_grant');
    // No tokens of it remain.
    const rows = await gateway.gateway.db.connection.findMany({ where: { siteId: siteA.siteId, service: 'custom:doomed' } });
    for (const remaining of rows) expect(remaining).toMatchObject({ accessToken: null, refreshToken: null });

    expect(errorCode(await readCustom('doomed'))).toBe('NOT_FOUND');
    expect((await gql(GET_SERVICE, { slug: 'doomed' })).body.data.customService).toBeNull();
    expect((await gql(LIST_SERVICES)).body.data.customServices.map((service: { slug: string }) => service.slug)).not.toContain('doomed');
    expect(errorCode(await gql(START, { input: { customService: 'doomed' } }))).toBe('NOT_FOUND');

    // The pending attempt cannot bring it back.
    const tokenRequestsBefore = server.state.tokenRequests;
    const late = await callback(pendingLanding);
    if (late.status === 302) expect(new URL(late.location!).searchParams.get('latchkey_status')).toBe('error');
    else expect(late.status).toBeGreaterThanOrEqual(400);
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    const after = await gateway.gateway.db.connection.findMany({ where: { siteId: siteA.siteId, service: 'custom:doomed', accessToken: { not: null } } });
    expect(after).toEqual([]);

    const again = await gql(REMOVE, { slug: 'doomed' });
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.removeCustomService).toBe(false);
  });
});

// ---- redefinition: the spec says "creates or replaces (by slug)"; these are its safer reading ----

describe('redefining a connected service to point elsewhere', () => {
  it('never sends the stored refresh token or the kept client secret to a token endpoint they were not issued for', async () => {
    await defineOk({ ...acmeInput(), slug: 'moving', friendlyServiceName: 'Moving' });
    await connect('moving', { accountId: 'acct-moving' });
    const refreshToken = store().refreshTokenOf((await storedConnection('moving'))!)!;
    expect(refreshToken).toEqual(expect.any(String));

    // Whoever holds the site token points the service at a server of their own, leaving the secret out.
    const received: string[] = [];
    const elsewhere = await startTinyServer(() => ({
      '/token': (req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          const basicAuth = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
          const credentials = basicAuth ? Buffer.from(basicAuth, 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part)).join(':') : '';
          received.push(`${credentials}\n${new URLSearchParams(body).toString()}\n${[...new URLSearchParams(body).values()].join('\n')}`);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `elsewhere-${randomBytes(8).toString('hex')}`, token_type: 'Bearer', expires_in: 3600 }));
        });
      },
    }));
    try {
      const redefined = await define({
        slug: 'moving',
        friendlyServiceName: 'Moving',
        authorizationEndpoint: `${elsewhere.base}/authorize`,
        tokenEndpoint: `${elsewhere.base}/token`,
        clientId: MAIN.clientId,
        supportsClientCredentials: true,
      });
      if (!redefined.body.errors) {
        // The old connection's refresh token is not sent there.
        await expireStored('moving').catch(() => undefined);
        await readCustom('moving');
        // Nor the client secret that was kept from the old definition.
        await gql('mutation { connectCustomClientCredentials(input: { slug: "moving" }) { isLoggedIn } }');
      }
      expect({
        refreshTokenSent: received.some((request) => request.includes(refreshToken)),
        clientSecretSent: received.some((request) => request.includes(MAIN.clientSecret)),
      }).toEqual({ refreshTokenSent: false, clientSecretSent: false });

      // With a secret for the new server given, the old connection (tokens of another server) is not kept either.
      const withSecret = await defineOk({
        slug: 'moving',
        friendlyServiceName: 'Moving',
        authorizationEndpoint: `${elsewhere.base}/authorize`,
        tokenEndpoint: `${elsewhere.base}/token`,
        clientId: 'elsewhere-client',
        clientSecret: 'elsewhere-secret',
      });
      expect(withSecret.hasClientSecret).toBe(true);
      await expireStored('moving').catch(() => undefined);
      const read = await readCustom('moving');
      expect(read.body.data.secrets.custom).toMatchObject({ isLoggedIn: false, bearerToken: null });
      expect(received.some((request) => request.includes(refreshToken))).toBe(false);
    } finally {
      await elsewhere.close();
    }
  });
});

// ---- 11. leaks ----

describe('secrets never leak', () => {
  it('keeps client secrets, tokens, codes and verifiers out of logs, Locations and non-token response fields', async () => {
    await harvest();
    for (const body of seenBodies) {
      for (const match of body.matchAll(/"bearerToken":"([^"]+)"/g)) heldSecrets.add(match[1]!);
    }
    const verifiers = [...server.state.codeVerifiers, ...fast.state.codeVerifiers];
    const clientSecrets = [MAIN.clientSecret, POST_CLIENT.clientSecret, MACHINE.clientSecret, FAST.clientSecret];
    const secrets = [...clientSecrets, ...heldSecrets, ...seenCodes, ...verifiers, ...mintedTokens, siteA.token, siteB.token];
    expect(heldSecrets.size).toBeGreaterThan(10);
    expect(seenCodes.size).toBeGreaterThan(5);
    expect(verifiers.length).toBeGreaterThan(5);

    const logs = [...gateway.logs, ...(strictGateway?.logs ?? []), ...closedGatewayLogs];
    expect(logs.length).toBeGreaterThan(10);
    const logText = logs.join('\n');
    for (const secret of secrets) expect(logText).not.toContain(secret);
    expect(logText).not.toMatch(/code_verifier=|client_secret=/);

    for (const location of seenLocations) for (const secret of secrets) expect(location).not.toContain(secret);

    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of [...clientSecrets, ...heldSecrets, ...seenCodes, ...verifiers]) expect(withoutBearer).not.toContain(secret);

    // Every failure above was an expected one: nothing reached the gateway's error log.
    expect(logs.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
  });
});
