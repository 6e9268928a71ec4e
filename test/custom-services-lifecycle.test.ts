// Custom (site-defined) OAuth services over their whole life, beyond what custom-services.test.ts
// covers: signed webhooks naming `custom:<slug>`, the background sweeper, the refresh buffer of
// short-lived tokens (a fifth of their lifetime), the outbound limits on site-chosen URLs (size,
// time, redirects), the per-site limit of 50 definitions, `latchkey connect custom:<slug>` and the
// audit trail of definitions. oidc-provider (in-process, real HTTP) plays the provider; the gateway
// runs on a real database (sqlite or postgresql, by vitest project).
//
// The custom callback URL names the site, so the order is: gateway, sites, then the authorization
// servers (which must know their clients' redirect URIs up front).
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect as cliConnect, connectCommand, type ConnectIo } from '../src/cli/connect.js';
import { verifyWebhook, WebhookVerificationError } from '../src/webhooks/verify.js';
import { startAuthorizationServer, type AuthorizationServer } from './support/authorization-server.js';
import { providerUrlOfAttempt, browserCookie, startTestGateway, type GraphQLResult, type TestGateway } from './support/gateway.js';
import { accountClaims, CLAIMS, collectHeldTokens, endpointsOf, errorCode, minimalDiscoveryDocument, PROMPT_CONSENT, secretOf, sleep, sortedScopes, userinfoStatus, wellKnown } from './support/custom-services.js';
import { json, startTinyServer } from './support/tiny-server.js';
import { receivedEvent, startReceiver, type Receiver } from './support/webhook-receiver.js';

const ORIGIN = 'http://app.test:3000';
/** The client every service on the main server uses: client_secret_basic. */
const MAIN = { clientId: 'latchkey-lifecycle-main', clientSecret: secretOf('main') };
/** The sweeper test's client, on a server whose tokens live FAST_TTL_SECONDS. */
const FAST = { clientId: 'latchkey-lifecycle-fast', clientSecret: secretOf('fast') };
/** Keycloak's default access token lifespan: the main server's. */
const SHORT_TTL_SECONDS = 300;
const FAST_TTL_SECONDS = 10;

const SECRET_FIELDS = `slug serviceKey isLoggedIn bearerToken expiresAt foreignUserId foreignUserName
  status lastRefreshedAt refreshFailures lastError grantedScopes { scope }`;
const DEFINE = 'mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { slug serviceKey friendlyServiceName hasClientSecret callbackUrl } }';
const START = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId expiresAt } }';
const READ = `query ($slug: String!) { secrets { custom(slug: $slug) { ${SECRET_FIELDS} } } }`;
const REMOVE = 'mutation ($slug: String!) { removeCustomService(slug: $slug) }';
const GET_SERVICE = 'query ($slug: String!) { customService(slug: $slug) { slug friendlyServiceName } }';
const LIST_SERVICES = '{ customServices { slug friendlyServiceName } }';
const CREATE_WEBHOOK = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url events enabled } }
}`;
const DELIVERIES = `query ($endpointId: ID!) {
  webhookDeliveries(endpointId: $endpointId, first: 100) { id event status attempts lastStatusCode payload }
}`;

type Site = { siteId: string; token: string };
type Result = GraphQLResult<any>;

let gateway: TestGateway;
let server: AuthorizationServer;
/** Site with a webhook endpoint. */
let siteHooks: Site;
/** Site for the refresh, CLI, outbound and audit tests. */
let siteMain: Site;
/** Site that fills up its 50 custom services. */
let siteLimit: Site;

/** Every client secret the test gave the gateway, and every token the gateways held. */
const clientSecrets = new Set<string>([MAIN.clientSecret, FAST.clientSecret]);
const heldSecrets = new Set<string>();
/** Log lines of gateways a test started and closed. */
const closedGatewayLogs: string[] = [];
/** Every GraphQL response body and callback page the test saw. */
const seenBodies: string[] = [];

// ---- helpers ----

async function gql(query: string, variables?: Record<string, unknown>, token: string = siteMain.token, on: TestGateway = gateway): Promise<Result> {
  const result = await on.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}

const callbackUrlOf = (on: TestGateway, site: Site, slug: string) => `${on.publicUrl}/oauth/callback/custom/${site.siteId}/${slug}`;

async function defineOk(input: Record<string, unknown>, site: Site = siteMain, on: TestGateway = gateway): Promise<Record<string, any>> {
  if (typeof input.clientSecret === 'string') clientSecrets.add(input.clientSecret);
  const result = await gql(DEFINE, { input }, site.token, on);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.defineCustomService as Record<string, any>;
}

/** A service on `as` by discovery, with prompt=consent so offline_access yields a refresh token. */
const discoveredInput = (slug: string, as: AuthorizationServer = server, client = MAIN) => ({
  slug,
  friendlyServiceName: `Lifecycle ${slug}`,
  discoveryUrl: wellKnown(as),
  clientId: client.clientId,
  clientSecret: client.clientSecret,
  authorizationParameters: PROMPT_CONSENT,
});

/** The browser opens a (gateway) callback URL; redirects are not followed. */
async function callback(landing: URL, on: TestGateway = gateway) {
  expect(landing.origin).toBe(new URL(on.publicUrl).origin);
  const response = await fetch(new URL(`${landing.pathname}${landing.search}`, on.url), { redirect: 'manual', headers: { cookie: browserCookie(landing) } });
  const body = await response.text();
  seenBodies.push(body);
  return { status: response.status, location: response.headers.get('location'), body };
}

/** startAuth with returnTo, the user consents at `as`, the gateway's per-site callback completes it. */
async function connectVia(
  slug: string,
  options: { on?: TestGateway; site?: Site; as?: AuthorizationServer; accountId?: string; scopes?: string[] } = {},
) {
  const on = options.on ?? gateway;
  const site = options.site ?? siteMain;
  const started = await gql(START, { input: { customService: slug, returnTo: `${ORIGIN}/done`, ...(options.scopes ? { scopes: options.scopes } : {}) } }, site.token, on);
  expect(started.body.errors).toBeUndefined();
  const { authorizationUrl, attemptId } = started.body.data.startAuth as { authorizationUrl: string; attemptId: string };
  const landing = await (options.as ?? server).authorize(authorizationUrl, options.accountId ? { accountId: options.accountId } : {});
  expect(landing.pathname).toBe(`/oauth/callback/custom/${site.siteId}/${slug}`);
  const response = await callback(landing, on);
  expect(response.status).toBe(302);
  const back = new URL(response.location!);
  expect(back.searchParams.get('latchkey_status')).toBe('success');
  expect(back.searchParams.get('service')).toBe(`custom:${slug}`);
  await harvest(on);
  return { attemptId, authorizationUrl };
}

function readCustom(slug: string, site: Site = siteMain, on: TestGateway = gateway) {
  return gql(READ, { slug }, site.token, on);
}

function storedConnection(slug: string, site: Site = siteMain, on: TestGateway = gateway) {
  return on.gateway.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service: `custom:${slug}` } });
}

/** Makes the stored access token of a custom connection expire (as time passing would). */
async function expireStored(slug: string, site: Site = siteMain) {
  const { count } = await gateway.gateway.db.connection.updateMany({
    where: { siteId: site.siteId, service: `custom:${slug}` },
    data: { expiresAt: new Date(Date.now() - 60_000) },
  });
  expect(count).toBe(1);
}

/**
 * Moves a connection's whole timeline `seconds` into the past, as if that much time had passed:
 * its expiry and the moment its token was issued (tokenIssuedAt, lastRefreshedAt).
 */
async function passTime(slug: string, seconds: number, site: Site = siteMain) {
  const row = await storedConnection(slug, site);
  const back = (date: Date) => new Date(date.getTime() - seconds * 1000);
  const data = {
    expiresAt: back(row.expiresAt!),
    tokenIssuedAt: back(row.tokenIssuedAt!),
    ...(row.lastRefreshedAt ? { lastRefreshedAt: back(row.lastRefreshedAt) } : {}),
  };
  await gateway.gateway.db.connection.update({ where: { id: row.id }, data });
  return storedConnection(slug, site);
}

/** Collects every token a gateway holds right now (decrypted), for the leak checks. */
async function harvest(on: TestGateway = gateway) {
  await collectHeldTokens(on, heldSecrets);
}

/** No client secret or token the test knows of appears in these log lines. */
function expectNoSecretsIn(logs: readonly string[]) {
  const text = logs.join('\n');
  for (const secret of [...clientSecrets, ...heldSecrets]) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/client_secret=|refresh_token=/);
}

/** Receives the webhooks of siteHooks' endpoint. */
let receiver: Receiver;

// ---- setup ----

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startTestGateway({
    // Refresh counts below must come from reads only, not from the background sweeper.
    LATCHKEY_SWEEP_INTERVAL_SECONDS: '0',
    // The authorization server runs on loopback; the gateway refuses loopback hosts unless told.
    LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
    LATCHKEY_WEBHOOK_RETRY_BASE_MS: '1',
    LATCHKEY_WEBHOOK_POLL_MS: '200',
  });
  siteHooks = await gateway.createSite('Lifecycle hooks', [ORIGIN]);
  siteMain = await gateway.createSite('Lifecycle main', [ORIGIN]);
  siteLimit = await gateway.createSite('Lifecycle limit', [ORIGIN]);
  server = await startAuthorizationServer({
    clients: [
      {
        ...MAIN,
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: [
          callbackUrlOf(gateway, siteHooks, 'hooks'),
          ...['short', 'aging', 'retrying', 'cli', 'userinfo-redirect', 'audited'].map((slug) => callbackUrlOf(gateway, siteMain, slug)),
        ],
      },
    ],
    accessTokenTtlSeconds: SHORT_TTL_SECONDS,
    claims: CLAIMS,
    accountClaims,
  });
});

afterEach(async () => {
  if (gateway) await harvest();
});

afterAll(async () => {
  await gateway?.close();
  await server?.close();
  await receiver?.close();
});

// ---- 1. webhooks ----

describe('webhooks', () => {
  it('sends a signed connection.created naming custom:<slug>, and connection.needs_reauth when the revoked grant is refused', async () => {
    const created = await gql(CREATE_WEBHOOK, { input: { url: `${receiver.url}/hooks` } }, siteHooks.token);
    expect(created.body.errors).toBeUndefined();
    const endpoint = created.body.data.createWebhookEndpoint as { secret: string; endpoint: { id: string; events: string[] } };
    expect(endpoint.endpoint.events).toEqual(expect.arrayContaining(['CONNECTION_CREATED', 'CONNECTION_NEEDS_REAUTH']));

    await defineOk(discoveredInput('hooks'), siteHooks);
    const account = 'acct-hooks';
    const { attemptId } = await connectVia('hooks', { site: siteHooks, accountId: account });
    const row = await storedConnection('hooks', siteHooks);
    const accessToken = gateway.gateway.services.store.accessTokenOf(row)!;
    const refreshToken = gateway.gateway.services.store.refreshTokenOf(row)!;
    expect(refreshToken).toEqual(expect.any(String));

    const { message, payload } = await receivedEvent(receiver, '/hooks', 'connection.created', endpoint.secret);
    expect(payload).toMatchObject({
      type: 'connection.created',
      data: { siteId: siteHooks.siteId, service: 'custom:hooks', connectionId: row.id, attemptId },
    });
    expect(sortedScopes(payload.data.grantedScopes)).toEqual(['offline_access', 'openid']);
    expect(message.headers['webhook-id']).toBe(payload.id);
    // Signed with this endpoint's secret and no other, over this very body.
    const headers = message.headers as Record<string, string>;
    expect(() => verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, headers, message.body)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(endpoint.secret, headers, message.body.replace('custom:hooks', 'custom:other'))).toThrow(WebhookVerificationError);
    // Nothing yet about a refusal.
    expect(receiver.at('/hooks').map((entry) => JSON.parse(entry.body).type)).not.toContain('connection.needs_reauth');

    // The server ends the grant; the next refresh is refused with invalid_grant.
    await server.revokeAllGrants(account);
    await expireStored('hooks', siteHooks);
    const refreshesBefore = server.state.refreshRequests;
    const read = await readCustom('hooks', siteHooks);
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.secrets.custom).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH' });
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);

    const reauth = await receivedEvent(receiver, '/hooks', 'connection.needs_reauth', endpoint.secret);
    expect(reauth.payload).toMatchObject({
      type: 'connection.needs_reauth',
      data: { siteId: siteHooks.siteId, service: 'custom:hooks', connectionId: row.id },
    });
    expect(reauth.payload.data.reason).toContain('invalid_grant');
    expect(reauth.message.headers['webhook-id']).toBe(reauth.payload.id);
    expect(reauth.payload.id).not.toBe(payload.id);

    // Both recorded as delivered; no token or client secret in any message.
    await vi.waitFor(async () => {
      const deliveries = (await gql(DELIVERIES, { endpointId: endpoint.endpoint.id }, siteHooks.token)).body.data.webhookDeliveries as Array<Record<string, any>>;
      expect(deliveries.map((delivery) => [delivery.event, delivery.status]).sort()).toEqual([
        ['CONNECTION_CREATED', 'DELIVERED'],
        ['CONNECTION_NEEDS_REAUTH', 'DELIVERED'],
      ]);
    });
    for (const entry of receiver.at('/hooks')) {
      for (const secret of [accessToken, refreshToken, MAIN.clientSecret, siteHooks.token]) expect(entry.body).not.toContain(secret);
    }
    expectNoSecretsIn(gateway.logs);
  });
});

// ---- 2. the background sweeper ----

describe('the background sweeper', () => {
  it('refreshes a custom connection before it expires, without any read, and not while most of its life is left', async () => {
    const sweeping = await startTestGateway({
      LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
      LATCHKEY_SWEEP_INTERVAL_SECONDS: '1',
      LATCHKEY_SWEEP_LOOKAHEAD_SECONDS: '2',
    });
    let fast: AuthorizationServer | undefined;
    try {
      const site = await sweeping.createSite('Swept', [ORIGIN]);
      fast = await startAuthorizationServer({
        clients: [{ ...FAST, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [callbackUrlOf(sweeping, site, 'swept')] }],
        accessTokenTtlSeconds: FAST_TTL_SECONDS,
        claims: CLAIMS,
        accountClaims,
      });
      await defineOk(discoveredInput('swept', fast, FAST), site, sweeping);
      await connectVia('swept', { on: sweeping, site, as: fast });
      const connected = await storedConnection('swept', site, sweeping);
      const firstToken = sweeping.gateway.services.store.accessTokenOf(connected)!;
      const originalExpiry = connected.expiresAt!.getTime();
      expect(originalExpiry - Date.now()).toBeLessThanOrEqual(FAST_TTL_SECONDS * 1000);
      expect(connected.lastRefreshedAt).toBeNull();
      const refreshesBefore = fast.state.refreshRequests;

      // A fifth of 10 s plus the 2 s look-ahead: due 4 s before expiry. Sweeps every second before
      // that leave it alone.
      await sleep(2500);
      expect(fast.state.refreshRequests).toBe(refreshesBefore);
      expect((await storedConnection('swept', site, sweeping)).version).toBe(connected.version);

      // Then, with nobody reading, the sweeper refreshes it while the first token is still valid.
      let swept = connected;
      while (swept.version === connected.version && Date.now() < originalExpiry + 3000) {
        await sleep(100);
        swept = await storedConnection('swept', site, sweeping);
      }
      expect(swept.version).toBe(connected.version + 1);
      expect(swept).toMatchObject({ status: 'ACTIVE', refreshFailures: 0, lastError: null, refreshLockedUntil: null });
      expect(swept.lastRefreshedAt).not.toBeNull();
      expect(swept.lastRefreshedAt!.getTime()).toBeLessThan(originalExpiry);
      expect(swept.expiresAt!.getTime()).toBeGreaterThan(originalExpiry);
      expect(fast.state.refreshRequests).toBe(refreshesBefore + 1);
      expect(fast.state.lastTokenRequest).toEqual({ grantType: 'refresh_token', hadCodeVerifier: false });
      const refreshed = sweeping.gateway.services.store.accessTokenOf(swept)!;
      heldSecrets.add(refreshed);
      expect(refreshed).not.toBe(firstToken);
      expect(await userinfoStatus(fast, refreshed)).toBe(200);
      // The sweep logs once its batch is done, just after the row changed.
      await vi.waitFor(() => expect(sweeping.logs.join('\n')).toContain('sweeper refreshed connections'), { timeout: 3000 });
      await harvest(sweeping);
      expectNoSecretsIn(sweeping.logs);
    } finally {
      closedGatewayLogs.push(...sweeping.logs);
      await sweeping.close();
      await fast?.close();
    }
  });
});

// ---- 3. short-lived tokens and the refresh buffer ----

describe('short-lived tokens (a 300 s lifetime, like Keycloak)', () => {
  it('are not refreshed on every read right after connecting', async () => {
    await defineOk(discoveredInput('short'));
    await connectVia('short');
    const row = await storedConnection('short');
    const lifetime = row.expiresAt!.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan((SHORT_TTL_SECONDS - 30) * 1000);
    expect(lifetime).toBeLessThanOrEqual(SHORT_TTL_SECONDS * 1000);
    const issued = gateway.gateway.services.store.accessTokenOf(row)!;
    const refreshesBefore = server.state.refreshRequests;
    const tokenRequestsBefore = server.state.tokenRequests;

    for (let read = 0; read < 5; read += 1) {
      const result = await readCustom('short');
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data.secrets.custom).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', bearerToken: issued, refreshFailures: 0 });
    }
    // Five at once, too.
    const together = await Promise.all(Array.from({ length: 5 }, () => readCustom('short')));
    for (const result of together) expect(result.body.data.secrets.custom.bearerToken).toBe(issued);

    expect(server.state.refreshRequests).toBe(refreshesBefore);
    expect(server.state.tokenRequests).toBe(tokenRequestsBefore);
    const after = await storedConnection('short');
    expect(after.version).toBe(row.version);
    expect(after.lastRefreshedAt).toBeNull();
    expectNoSecretsIn(gateway.logs);
  });

  it('is tried again after a failed refresh once the back-off ends, however the row was written meanwhile', async () => {
    await defineOk(discoveredInput('retrying'));
    await connectVia('retrying', { accountId: 'acct-retrying' });
    const issued = gateway.gateway.services.store.accessTokenOf(await storedConnection('retrying'))!;
    const refreshesBefore = server.state.refreshRequests;
    // 50 s left of 300: inside the last fifth. The refresh fails for now; the valid token is handed out.
    await passTime('retrying', 250);
    server.failNextTokenRequests(1, 500);
    const failed = (await readCustom('retrying')).body.data.secrets.custom;
    expect(failed).toMatchObject({ isLoggedIn: true, bearerToken: issued, refreshFailures: 1 });
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    // The back-off ends (the failure was written to the row, which must not make the token look younger).
    const row = await storedConnection('retrying');
    await gateway.gateway.db.connection.update({ where: { id: row.id }, data: { nextRefreshAt: new Date(Date.now() - 1000) } });
    const retried = (await readCustom('retrying')).body.data.secrets.custom;
    expect(server.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(retried).toMatchObject({ isLoggedIn: true, refreshFailures: 0, lastError: null });
    expect(retried.bearerToken).not.toBe(issued);
    heldSecrets.add(retried.bearerToken);
  });

  it('is refreshed on read once its remaining life falls inside the last fifth, and then left alone again', async () => {
    await defineOk(discoveredInput('aging'));
    await connectVia('aging', { accountId: 'acct-aging' });
    const issued = gateway.gateway.services.store.accessTokenOf(await storedConnection('aging'))!;
    const refreshesBefore = server.state.refreshRequests;

    // 230 s later: 70 s left, more than a fifth (60 s). Handed out as it is.
    await passTime('aging', 230);
    const early = await readCustom('aging');
    expect(early.body.data.secrets.custom).toMatchObject({ isLoggedIn: true, bearerToken: issued });
    expect(server.state.refreshRequests).toBe(refreshesBefore);

    // 20 s more: 50 s left, inside the last fifth. Refreshed before it is handed out.
    await passTime('aging', 20);
    const due = await readCustom('aging');
    expect(due.body.errors).toBeUndefined();
    const secret = due.body.data.secrets.custom;
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'refresh_token', hadCodeVerifier: false });
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    expect(secret.bearerToken).not.toBe(issued);
    heldSecrets.add(secret.bearerToken);
    expect(secret.lastRefreshedAt).not.toBeNull();
    expect(new Date(secret.expiresAt).getTime() - Date.now()).toBeGreaterThan((SHORT_TTL_SECONDS - 30) * 1000);
    expect(await userinfoStatus(server, secret.bearerToken)).toBe(200);

    // The new token has its whole life ahead: reads leave it alone again.
    for (let read = 0; read < 3; read += 1) {
      expect((await readCustom('aging')).body.data.secrets.custom.bearerToken).toBe(secret.bearerToken);
    }
    expect(server.state.refreshRequests).toBe(refreshesBefore + 1);

    // And it ages like the first: 250 s after its refresh, it is refreshed again.
    await passTime('aging', 250);
    const again = (await readCustom('aging')).body.data.secrets.custom;
    expect(server.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(again.bearerToken).not.toBe(secret.bearerToken);
    heldSecrets.add(again.bearerToken);
    expectNoSecretsIn(gateway.logs);
  });
});

// ---- 4. outbound limits on site-chosen URLs ----

describe('outbound limits', () => {
  const WK = '/.well-known/openid-configuration';
  const document = (issuer: string) => minimalDiscoveryDocument(issuer, server);

  it('refuses a discovery document larger than 1 MiB', async () => {
    const padding = 'x'.repeat(1024 * 1024 + 64 * 1024);
    const tiny = await startTinyServer((base) => ({
      [`/small${WK}`]: json(document(`${base}/small`)),
      [`/big${WK}`]: json({ ...document(`${base}/big`), padding }),
      // The same without a content-length: counted as it arrives.
      [`/chunked${WK}`]: (_req, res) => {
        const text = JSON.stringify({ ...document(`${base}/chunked`), padding });
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        for (let at = 0; at < text.length; at += 64 * 1024) res.write(text.slice(at, at + 64 * 1024));
        res.end();
      },
    }));
    try {
      const input = (path: string) => ({ slug: `doc-${path}`, friendlyServiceName: `Doc ${path}`, clientId: 'doc-client', discoveryUrl: `${tiny.base}/${path}${WK}` });
      // The control: the same document, small, is read.
      const small = await defineOk(input('small'));
      expect(small.slug).toBe('doc-small');

      for (const path of ['big', 'chunked']) {
        const result = await gql(DEFINE, { input: input(path) });
        expect({ path, code: errorCode(result) }).toEqual({ path, code: 'BAD_USER_INPUT' });
        expect(result.body.errors?.[0]?.extensions?.field).toBe('discoveryUrl');
        expect(result.body.data ?? null).toBeNull();
        expect(tiny.hits(`/${path}${WK}`)).toBe(1);
        expect((await gql(GET_SERVICE, { slug: `doc-${path}` })).body.data.customService).toBeNull();
      }
    } finally {
      await tiny.close();
    }
  });

  it('gives up on a discovery server that never answers after LATCHKEY_PROVIDER_TIMEOUT_SECONDS', async () => {
    const impatient = await startTestGateway({ LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true', LATCHKEY_SWEEP_INTERVAL_SECONDS: '0', LATCHKEY_PROVIDER_TIMEOUT_SECONDS: '1' });
    let held = 0;
    const tiny = await startTinyServer(() => ({
      // Reads the request and never answers.
      [`/silent${WK}`]: () => {
        held += 1;
      },
    }));
    try {
      const site = await impatient.createSite('Impatient', [ORIGIN]);
      const startedAt = Date.now();
      const result = await gql(DEFINE, { input: { slug: 'silent', friendlyServiceName: 'Silent', clientId: 'silent-client', discoveryUrl: `${tiny.base}/silent${WK}` } }, site.token, impatient);
      const elapsed = Date.now() - startedAt;
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.extensions?.field).toBe('discoveryUrl');
      expect(held).toBe(1);
      // About the configured second (the test gateways' default is 3 s).
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(2500);
      expect((await gql(LIST_SERVICES, undefined, site.token, impatient)).body.data.customServices).toEqual([]);
    } finally {
      closedGatewayLogs.push(...impatient.logs);
      await tiny.close();
      await impatient.close();
    }
  });

  it('does not follow a redirect from the userinfo endpoint: the connection is stored without foreignUserId', async () => {
    const tiny = await startTinyServer((base) => ({
      '/userinfo': (_req, res) => res.writeHead(302, { location: `${base}/followed` }).end(),
      // If the redirect were followed, this would name the account.
      '/followed': json({ sub: 'followed-account', preferred_username: 'followed' }),
    }));
    try {
      const { revocationEndpoint, authorizationEndpoint, tokenEndpoint } = endpointsOf(server);
      await defineOk({
        slug: 'userinfo-redirect',
        friendlyServiceName: 'Redirecting userinfo',
        authorizationEndpoint,
        tokenEndpoint,
        revocationEndpoint,
        userinfoEndpoint: `${tiny.base}/userinfo`,
        scopes: [{ scope: 'openid', isDefault: true }, { scope: 'offline_access', isDefault: true }],
        clientId: MAIN.clientId,
        clientSecret: MAIN.clientSecret,
        authorizationParameters: PROMPT_CONSENT,
      });
      await connectVia('userinfo-redirect', { accountId: 'acct-redirect' });
      expect(tiny.hits('/userinfo')).toBe(1);
      expect(tiny.hits('/followed')).toBe(0);
      const secret = (await readCustom('userinfo-redirect')).body.data.secrets.custom;
      expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', foreignUserId: null, foreignUserName: null });
      expect(await userinfoStatus(server, secret.bearerToken)).toBe(200);
      expect((await storedConnection('userinfo-redirect')).foreignUserId).toBeNull();
      expectNoSecretsIn(gateway.logs);
    } finally {
      await tiny.close();
    }
  });
});

// ---- 5. at most 50 custom services per site ----

describe('the per-site limit', () => {
  it('refuses a 51st custom service, still redefines existing ones, and takes a new one after a removal', async () => {
    const input = (slug: string, name = `Limited ${slug}`) => ({
      slug,
      friendlyServiceName: name,
      clientId: 'limit-client',
      // Never contacted: an endpoints-only definition reads nothing.
      authorizationEndpoint: 'https://auth.example.com/authorize',
      tokenEndpoint: 'https://auth.example.com/token',
    });
    const slugs = Array.from({ length: 50 }, (_, index) => `svc-${index + 1}`);
    for (const slug of slugs) await defineOk(input(slug), siteLimit);
    const listed = async () => ((await gql(LIST_SERVICES, undefined, siteLimit.token)).body.data.customServices as Array<{ slug: string }>).map((service) => service.slug);
    expect((await listed()).length).toBe(50);

    const refused = await gql(DEFINE, { input: input('svc-51') }, siteLimit.token);
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('50');
    expect(refused.body.data ?? null).toBeNull();
    expect(await listed()).not.toContain('svc-51');
    expect((await listed()).length).toBe(50);

    // Redefining one of the 50 is no 51st.
    const renamed = await defineOk(input('svc-7', 'Renamed seven'), siteLimit);
    expect(renamed.friendlyServiceName).toBe('Renamed seven');
    expect((await gql(GET_SERVICE, { slug: 'svc-7' }, siteLimit.token)).body.data.customService).toEqual({ slug: 'svc-7', friendlyServiceName: 'Renamed seven' });
    expect((await listed()).length).toBe(50);

    // Another site has its own 50.
    const elsewhere = await defineOk(input('svc-51'), siteMain);
    expect(elsewhere.slug).toBe('svc-51');
    expect((await gql(REMOVE, { slug: 'svc-51' })).body.data.removeCustomService).toBe(true);

    // A removal makes room.
    expect((await gql(REMOVE, { slug: 'svc-1' }, siteLimit.token)).body.data.removeCustomService).toBe(true);
    await defineOk(input('svc-51'), siteLimit);
    const after = await listed();
    expect(after.length).toBe(50);
    expect(after).toContain('svc-51');
    expect(after).not.toContain('svc-1');
  });
});

// ---- 6. latchkey connect custom:<slug> ----

/** A ConnectIo that records lines and hands out the first URL printed. */
function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  let resolveUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (resolveUrl = resolve));
  const io: ConnectIo = {
    out(line) {
      out.push(line);
      if (/^https?:\/\//.test(line.trim())) resolveUrl(line.trim());
    },
    err(line) {
      err.push(line);
    },
  };
  return { io, out, err, url };
}

describe('latchkey connect custom:<slug>', () => {
  it('prints the authorization URL, waits for the browser and reports the connection and its scopes', async () => {
    await defineOk(discoveredInput('cli'));
    const account = 'acct-cli';
    const { io, out, err, url } = recordingIo();
    const running = cliConnect(
      { service: 'custom:cli', scopes: ['openid', 'profile', 'offline_access'], gatewayUrl: gateway.url, siteToken: siteMain.token },
      io,
    );
    let exited = false;
    void running.finally(() => (exited = true));
    const authorizationUrl = await Promise.race([url, running.then((code) => Promise.reject(new Error(`connect exited ${code}: ${err.join('\n')}`)))]);
    const parsed = await providerUrlOfAttempt(gateway, new URL(authorizationUrl).pathname.split('/').at(-1)!);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(endpointsOf(server).authorizationEndpoint);
    expect(parsed.searchParams.get('client_id')).toBe(MAIN.clientId);
    expect(parsed.searchParams.get('redirect_uri')).toBe(callbackUrlOf(gateway, siteMain, 'cli'));
    expect(parsed.searchParams.get('scope')!.split(' ').sort()).toEqual(['offline_access', 'openid', 'profile']);
    expect(err.join('\n')).toContain('custom:cli');

    // It waits for the browser.
    await sleep(300);
    expect(exited).toBe(false);

    const landing = await server.authorize(authorizationUrl, { accountId: account });
    expect(landing.pathname).toBe(`/oauth/callback/custom/${siteMain.siteId}/cli`);
    const page = await callback(landing);
    expect(page.status).toBeLessThan(400);

    expect(await running).toBe(0);
    await harvest();
    expect(out).toContain(`Connected custom:cli as ${accountClaims(account).preferred_username} (foreignUserId ${account}).`);
    const granted = out.find((line) => line.startsWith('Granted scopes: '));
    expect(granted?.slice('Granted scopes: '.length).split(' ').sort()).toEqual(['offline_access', 'openid', 'profile']);
    const secret = (await readCustom('cli')).body.data.secrets.custom;
    expect(secret).toMatchObject({ isLoggedIn: true, foreignUserId: account });
    for (const line of [...out, ...err]) {
      for (const hidden of [siteMain.token, secret.bearerToken, MAIN.clientSecret, ...heldSecrets]) expect(line).not.toContain(hidden);
    }
    expectNoSecretsIn(gateway.logs);
  });

  it('exits 2 for a malformed custom slug, without asking the gateway', async () => {
    const attemptsBefore = await gateway.gateway.db.authAttempt.count({ where: { siteId: siteMain.siteId } });
    const { io, out, err } = recordingIo();
    const code = await connectCommand(['custom:Bad_Slug'], { LATCHKEY_SITE_TOKEN: siteMain.token, LATCHKEY_GATEWAY_URL: gateway.url }, io);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain('custom:SLUG');
    expect(await gateway.gateway.db.authAttempt.count({ where: { siteId: siteMain.siteId } })).toBe(attemptsBefore);

    // The control: a well-formed slug gets as far as the gateway (which knows no such service).
    const control = recordingIo();
    const known = await connectCommand(['custom:not-defined'], { LATCHKEY_SITE_TOKEN: siteMain.token, LATCHKEY_GATEWAY_URL: gateway.url }, control.io);
    expect(known).toBe(1);
    expect(control.err.join('\n')).toContain('NOT_FOUND');
  });
});

// ---- 7. the audit trail ----

describe('the audit trail', () => {
  it('records custom_service.defined and custom_service.removed, never with the client secret', async () => {
    const first = secretOf('audited');
    const second = secretOf('audited-rotated');
    const auditEvents = () =>
      gateway.gateway.db.auditEvent.findMany({ where: { siteId: siteMain.siteId, service: 'custom:audited' }, orderBy: { createdAt: 'asc' } });
    expect(await auditEvents()).toEqual([]);

    await defineOk({ ...discoveredInput('audited'), clientSecret: first });
    let events = await auditEvents();
    expect(events.map((event) => event.type)).toEqual(['custom_service.defined']);
    expect(events[0]!.detail).toMatchObject({ created: true, secretChanged: true, connectionDropped: false });

    // Redefined with another secret (a rotation), then without one (the stored one is kept).
    await defineOk({ ...discoveredInput('audited'), clientSecret: second });
    const { clientSecret: _omitted, ...withoutSecret } = discoveredInput('audited');
    await defineOk({ ...withoutSecret, friendlyServiceName: 'Audited, renamed' });
    events = await auditEvents();
    expect(events.map((event) => event.type)).toEqual(['custom_service.defined', 'custom_service.defined', 'custom_service.defined']);
    expect(events.map((event) => (event.detail as Record<string, unknown>).created)).toEqual([true, false, false]);
    expect(events.map((event) => (event.detail as Record<string, unknown>).secretChanged)).toEqual([true, true, false]);
    expect(events.some((event) => event.type === 'custom_service.removed')).toBe(false);

    const removed = await gql(REMOVE, { slug: 'audited' });
    expect(removed.body.data.removeCustomService).toBe(true);
    events = await auditEvents();
    expect(events.filter((event) => event.type === 'custom_service.removed')).toHaveLength(1);
    expect(events.find((event) => event.type === 'custom_service.removed')).toMatchObject({ siteId: siteMain.siteId, service: 'custom:audited' });

    // Removing what is gone records nothing more.
    expect((await gql(REMOVE, { slug: 'audited' })).body.data.removeCustomService).toBe(false);
    expect((await auditEvents()).filter((event) => event.type === 'custom_service.removed')).toHaveLength(1);

    const stored = JSON.stringify(await gateway.gateway.db.auditEvent.findMany());
    for (const secret of [first, second, MAIN.clientSecret, FAST.clientSecret]) expect(stored).not.toContain(secret);
    expectNoSecretsIn(gateway.logs);
  });
});

// ---- leaks ----

describe('secrets never leak', () => {
  it('keeps client secrets and tokens out of every log, and every failure above was an expected one', async () => {
    await harvest();
    for (const body of seenBodies) {
      for (const match of body.matchAll(/"bearerToken":"([^"]+)"/g)) heldSecrets.add(match[1]!);
    }
    expect(heldSecrets.size).toBeGreaterThan(5);
    const logs = [...gateway.logs, ...closedGatewayLogs];
    expect(logs.length).toBeGreaterThan(10);
    expectNoSecretsIn(logs);
    const text = logs.join('\n');
    for (const token of [siteHooks.token, siteMain.token, siteLimit.token]) expect(text).not.toContain(token);
    // Outside bearerToken fields, no response carried a token or client secret.
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of [...clientSecrets, ...heldSecrets]) expect(withoutBearer).not.toContain(secret);
    expect(logs.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
  });
});
