// Revocation that really happens: sign-out against a provider whose RFC 7009 endpoint answers 503
// with Retry-After, hangs, refuses or succeeds on cue (test/support/fake-provider.ts), over real
// HTTP to real gateways on one real database. The answer says PENDING, the tokens wait encrypted in
// the queue, and a background retry (on any instance, after a restart too) revokes the refresh
// token first, then the access token; running out of attempts ends in a signed webhook event.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { endpointEnvName, getProvider } from '../src/providers/index.js';
import type { ServiceName } from '../src/providers/types.js';
import { createKeyring, decryptSecret, encryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { KeyMismatchError, verifyEncryptionKeys } from '../src/crypto/key-check.js';
import { rotateKeys } from '../src/cli/keys.js';
import { specFromProvider, startFakeProviderServer, type FakeProviderHandle, type FakeProviderServer } from './support/fake-provider.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';
import { createTestDatabase } from './support/database.js';
import { receivedEvent, startReceiver, type Receiver } from './support/webhook-receiver.js';

const ORIGIN = 'http://app.test:3000';
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const SIGN_OUT = `mutation ($service: Service!) { signOut(service: $service) { isLoggedIn status connectionId revocation revokedAtProvider } }`;

let fake: FakeProviderServer;
let receiver: Receiver;
let gateway: TestGateway;
let env: Record<string, string>;
const hosted = new Map<ServiceName, FakeProviderHandle>();
const gateways: TestGateway[] = [];

beforeAll(async () => {
  [fake, receiver] = await Promise.all([startFakeProviderServer(), startReceiver()]);
  env = {
    LATCHKEY_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LATCHKEY_PROVIDER_TIMEOUT_SECONDS: '1',
    LATCHKEY_SWEEP_INTERVAL_SECONDS: '0',
    LATCHKEY_RATE_LIMIT_START_AUTH_PER_MINUTE: '0',
    LATCHKEY_REVOCATION_RETRY_BASE_MS: '200',
    LATCHKEY_REVOCATION_POLL_MS: '100',
    LATCHKEY_REVOCATION_MAX_ATTEMPTS: '4',
    LATCHKEY_WEBHOOK_RETRY_BASE_MS: '1',
    LATCHKEY_WEBHOOK_POLL_MS: '100',
  };
  for (const service of ['GOOGLE', 'SALESFORCE', 'DROPBOX'] as const) {
    const provider = getProvider(service);
    const key = provider.graphQLField;
    const app = { clientId: `client-${key}`, clientSecret: `secret-${key}-${randomBytes(12).toString('hex')}` };
    const handle = fake.add(key, specFromProvider(provider, app, `${fake.url}/p/${key}`));
    hosted.set(service, handle);
    env[`LATCHKEY_${service}_CLIENT_ID`] = app.clientId;
    env[`LATCHKEY_${service}_CLIENT_SECRET`] = app.clientSecret;
    env[endpointEnvName(service, 'authorization')] = handle.authorizationUrl;
    env[endpointEnvName(service, 'token')] = handle.tokenUrl;
    env[endpointEnvName(service, 'api')] = handle.apiUrl;
    env[endpointEnvName(service, 'revocation')] = handle.revocationUrl;
  }
  gateway = await startGateway();
}, 60_000);

afterAll(async () => {
  for (const running of gateways.reverse()) await running.close().catch(() => {});
  await fake?.close();
  await receiver?.close();
});

async function startGateway(databaseUrl?: string): Promise<TestGateway> {
  const started = await startTestGateway(env, databaseUrl ? { databaseUrl } : {});
  gateways.push(started);
  return started;
}

/** A new site connected to `service` through startAuth, the fake's consent and the gateway's callback. */
async function connectedSite(service: ServiceName, on: TestGateway = gateway, endUser?: string) {
  const site = await on.createSite(`${service} revocation`, [ORIGIN]);
  const started = await on.gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
    { input: { service, returnTo: `${ORIGIN}/done`, ...(endUser ? { endUser } : {}) } },
    site.token,
  );
  expect(started.body.errors).toBeUndefined();
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  await response.body?.cancel();
  expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
  const token = hosted.get(service)!.lastToken!;
  return { ...site, accessToken: token.accessToken, refreshToken: token.refreshToken!, issued: token };
}

async function signOut(site: { token: string }, service: ServiceName, on: TestGateway = gateway) {
  const result = await on.gql(SIGN_OUT, { service }, site.token);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.signOut as { isLoggedIn: boolean; status: string; connectionId: string; revocation: string; revokedAtProvider: boolean };
}

const queued = (connectionId: string, on: TestGateway = gateway) => on.gateway.db.pendingRevocation.findMany({ where: { connectionId } });
const requestsFor = (handle: FakeProviderHandle, ...tokens: string[]) => handle.revocationLog.filter((entry) => entry.token !== undefined && tokens.includes(entry.token));

async function createWebhookEndpoint(token: string, path: string) {
  const result = await gateway.gql(
    'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
    { input: { url: `${receiver.url}${path}`, events: ['CONNECTION_REVOCATION_FAILED'] } },
    token,
  );
  expect(result.body.errors).toBeUndefined();
  return result.body.data.createWebhookEndpoint.secret as string;
}

describe('a provider that fails transiently at sign-out', () => {
  it('answers PENDING, keeps the tokens encrypted, honours Retry-After, survives a hang, then revokes the refresh token first and the access token after', async () => {
    const google = hosted.get('GOOGLE')!;
    const site = await connectedSite('GOOGLE');
    google.revocationFaults.push({ status: 503, retryAfter: '1' }, 'hang');

    const answer = await signOut(site, 'GOOGLE');
    expect(answer).toMatchObject({ isLoggedIn: false, status: 'REVOKED', revocation: 'PENDING', revokedAtProvider: false });
    // Forgotten here at once, whatever the provider does.
    const read = await gateway.gql('{ secrets { google { isLoggedIn bearerToken revocation revokedAtProvider } } }', undefined, site.token);
    expect(read.body.data.secrets.google).toMatchObject({ isLoggedIn: false, bearerToken: null, revocation: 'PENDING', revokedAtProvider: null });
    const connection = await gateway.gql('query ($id: ID!) { connection(id: $id) { revocation revokedAtProvider } }', { id: answer.connectionId }, site.token);
    expect(connection.body.data.connection).toEqual({ revocation: 'PENDING', revokedAtProvider: null });

    // The queue row holds ciphertext only, readable with the gateway's key.
    const [row] = await queued(answer.connectionId);
    expect(row).toBeDefined();
    for (const column of ['accessToken', 'refreshToken'] as const) {
      expect(row![column]).not.toContain(site[column]);
      expect(decryptSecret(gateway.gateway.services.keyring, row![column]!, secretContext('PendingRevocation', column, row!.id))).toBe(site[column]);
    }
    expect(JSON.stringify(row)).not.toContain(site.refreshToken);
    expect((await gateway.gateway.services.metrics.scrape()).body).toMatch(/^latchkey_revocation_queue_depth 1$/m);

    await vi.waitFor(async () => expect(await queued(answer.connectionId)).toEqual([]), { timeout: 15_000, interval: 50 });
    const requests = requestsFor(google, site.accessToken, site.refreshToken);
    // 503 (Retry-After: 1), the hang (ended by the 1 s provider timeout), then refresh token, access token.
    expect(requests.map((entry) => [entry.hint, entry.answer])).toEqual([
      ['refresh_token', 503],
      ['refresh_token', 'hang'],
      ['refresh_token', 200],
      ['access_token', 200],
    ]);
    expect(requests.slice(0, 3).every((entry) => entry.token === site.refreshToken)).toBe(true);
    expect(requests[3]!.token).toBe(site.accessToken);
    // No retry before the provider's Retry-After.
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(site.issued).toMatchObject({ active: false, refreshActive: false });
    const metrics = (await gateway.gateway.services.metrics.scrape()).body;
    expect(metrics).toMatch(/^latchkey_revocation_queue_depth 0$/m);
    expect(metrics).toMatch(/^latchkey_revocations_total\{service="google",result="pending"\} 2$/m);
    expect(metrics).toMatch(/^latchkey_revocations_total\{service="google",result="revoked"\} 1$/m);

    const audit = await gateway.gateway.db.auditEvent.findMany({ where: { connectionId: answer.connectionId }, orderBy: { createdAt: 'asc' } });
    expect(audit.map((event) => event.type)).toEqual(expect.arrayContaining(['connection.revoked', 'connection.revoked_at_provider']));
    const after = await gateway.gql('query ($id: ID!) { connection(id: $id) { revocation } }', { id: answer.connectionId }, site.token);
    expect(after.body.data.connection.revocation).toBeNull();
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const google = hosted.get('GOOGLE')!;
    const site = await connectedSite('GOOGLE');
    google.revocationFaults.push({ status: 429, retryAfter: new Date(Date.now() + 2500).toUTCString() });
    const answer = await signOut(site, 'GOOGLE');
    expect(answer.revocation).toBe('PENDING');
    const [row] = await queued(answer.connectionId);
    expect(row!.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(requestsFor(google, site.refreshToken)[0]!.at + 1000);
    await vi.waitFor(async () => expect(await queued(answer.connectionId)).toEqual([]), { timeout: 15_000, interval: 50 });
    const requests = requestsFor(google, site.accessToken, site.refreshToken);
    expect(requests.map((entry) => entry.answer)).toEqual([429, 200, 200]);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('is finished by a second gateway on the same database after the first one stopped', async () => {
    const google = hosted.get('GOOGLE')!;
    // A database that outlives the first gateway (a test gateway drops its own when closed).
    const database = await createTestDatabase();
    const first = await startGateway(database.url);
    const site = await connectedSite('GOOGLE', first);
    google.revocationFaults.push({ status: 503, retryAfter: '1' });
    const answer = await signOut(site, 'GOOGLE', first);
    expect(answer.revocation).toBe('PENDING');
    expect(await queued(answer.connectionId, first)).toHaveLength(1);
    await first.close();
    expect(requestsFor(google, site.refreshToken)).toHaveLength(1);

    const second = await startGateway(first.databaseUrl);
    await vi.waitFor(async () => expect(await queued(answer.connectionId, second)).toEqual([]), { timeout: 15_000, interval: 50 });
    expect(requestsFor(google, site.accessToken, site.refreshToken).map((entry) => [entry.hint, entry.answer])).toEqual([
      ['refresh_token', 503],
      ['refresh_token', 200],
      ['access_token', 200],
    ]);
    expect(site.issued).toMatchObject({ active: false, refreshActive: false });
    await second.close();
    await database.cleanup();
  });

  it('is revoked by exactly one of two instances sharing the queue', async () => {
    const google = hosted.get('GOOGLE')!;
    const other = await startGateway(gateway.databaseUrl);
    const sites = [];
    for (let index = 0; index < 6; index += 1) sites.push(await connectedSite('GOOGLE'));
    const ids: string[] = [];
    for (const site of sites) {
      google.revocationFaults.push({ status: 503, retryAfter: '1' });
      ids.push((await signOut(site, 'GOOGLE', index(sites, site) % 2 ? other : gateway)).connectionId);
    }
    try {
      // Both instances' background loops run; drain them by hand at once as well.
      await gateway.gateway.db.pendingRevocation.updateMany({ where: { connectionId: { in: ids } }, data: { nextAttemptAt: new Date() } });
      await Promise.all([gateway.gateway.services.revocations.drain(), other.gateway.services.revocations.drain()]);
      await vi.waitFor(async () => expect(await gateway.gateway.db.pendingRevocation.count({ where: { connectionId: { in: ids } } })).toBe(0), { timeout: 15_000, interval: 50 });
      for (const site of sites) {
        const succeeded = requestsFor(google, site.accessToken, site.refreshToken).filter((entry) => entry.answer === 200);
        expect(succeeded.map((entry) => entry.hint)).toEqual(['refresh_token', 'access_token']);
      }
    } finally {
      await other.close();
    }
  });

  it('is revoked once when one instance drains twice at once (its loop and keys rotate, say)', async () => {
    const google = hosted.get('GOOGLE')!;
    const sites = [];
    for (let index = 0; index < 4; index += 1) sites.push(await connectedSite('GOOGLE'));
    const ids: string[] = [];
    for (const site of sites) {
      google.revocationFaults.push({ status: 503, retryAfter: '1' });
      ids.push((await signOut(site, 'GOOGLE')).connectionId);
    }
    await gateway.gateway.db.pendingRevocation.updateMany({ where: { connectionId: { in: ids } }, data: { nextAttemptAt: new Date() } });
    const { revocations } = gateway.gateway.services;
    await Promise.all([revocations.drain(), revocations.drain(), revocations.drain()]);
    await vi.waitFor(async () => expect(await gateway.gateway.db.pendingRevocation.count({ where: { connectionId: { in: ids } } })).toBe(0), { timeout: 15_000, interval: 50 });
    for (const site of sites) {
      const succeeded = requestsFor(google, site.accessToken, site.refreshToken).filter((entry) => entry.answer === 200);
      expect(succeeded.map((entry) => entry.hint)).toEqual(['refresh_token', 'access_token']);
    }
  });
});

function index<T>(list: readonly T[], item: T): number {
  return list.indexOf(item);
}

describe('revocation that ends', () => {
  it('gives up after the last attempt with a signed connection.revocation_failed webhook and an audit row', async () => {
    const google = hosted.get('GOOGLE')!;
    const site = await connectedSite('GOOGLE');
    const secret = await createWebhookEndpoint(site.token, '/gave-up');
    google.revocationFaults.push({ status: 503, retryAfter: '0' }, { status: 503 }, { status: 502 }, { status: 500 });
    const answer = await signOut(site, 'GOOGLE');
    expect(answer.revocation).toBe('PENDING');

    const { payload } = await receivedEvent(receiver, '/gave-up', 'connection.revocation_failed', secret);
    expect(payload.data).toMatchObject({ siteId: site.siteId, service: 'GOOGLE', connectionId: answer.connectionId, endUser: null, account: expect.any(String), attempts: 4 });
    expect(payload.data.reason).toMatch(/gave up after 4 attempts/);
    expect(requestsFor(google, site.refreshToken).map((entry) => entry.answer)).toEqual([503, 503, 502, 500]);
    expect(await queued(answer.connectionId)).toEqual([]);
    const audit = await gateway.gateway.db.auditEvent.findFirst({ where: { connectionId: answer.connectionId, type: 'connection.revocation_failed' } });
    expect(audit?.detail).toMatchObject({ attempts: 4 });
    expect(site.issued.refreshActive).toBe(true); // still valid at the provider: what the event warns about
    expect((await gateway.gateway.services.metrics.scrape()).body).toMatch(/^latchkey_revocations_total\{service="google",result="given_up"\} 1$/m);
  });

  it("answers FAILED at once, with the event naming the end user, when the provider refuses an end user's sign-out definitively", async () => {
    const google = hosted.get('GOOGLE')!;
    const site = await connectedSite('GOOGLE', gateway, 'user-42');
    const secret = await createWebhookEndpoint(site.token, '/refused');
    google.revocationFaults.push({ status: 400, body: { error: 'unsupported_token_type' } });
    const result = await gateway.gql(
      'mutation { signOut(service: GOOGLE, endUser: "user-42") { isLoggedIn endUser connectionId revocation revokedAtProvider } }',
      undefined,
      site.token,
    );
    expect(result.body.errors).toBeUndefined();
    const answer = result.body.data.signOut;
    expect(answer).toMatchObject({ isLoggedIn: false, endUser: 'user-42', revocation: 'FAILED', revokedAtProvider: false });
    expect(await queued(answer.connectionId)).toEqual([]);
    const { payload } = await receivedEvent(receiver, '/refused', 'connection.revocation_failed', secret);
    expect(payload.data).toMatchObject({ service: 'GOOGLE', connectionId: answer.connectionId, endUser: 'user-42', account: expect.any(String), attempts: 1 });
    expect(payload.data.reason).toContain('unsupported_token_type');
    expect(requestsFor(google, site.refreshToken, site.accessToken)).toHaveLength(1);
  });

  it('ends a queued revocation when a retry is refused definitively, or when it is older than the maximum age', async () => {
    const google = hosted.get('GOOGLE')!;
    const refused = await connectedSite('GOOGLE');
    const secret = await createWebhookEndpoint(refused.token, '/ended');
    google.revocationFaults.push({ status: 503, retryAfter: '0' }, { status: 401, body: { error: 'invalid_client' } });
    const first = await signOut(refused, 'GOOGLE');
    expect(first.revocation).toBe('PENDING');
    const { payload } = await receivedEvent(receiver, '/ended', 'connection.revocation_failed', secret);
    expect(payload.data).toMatchObject({ connectionId: first.connectionId, attempts: 2 });
    expect(payload.data.reason).toContain('invalid_client');
    expect(requestsFor(google, refused.refreshToken).map((entry) => entry.answer)).toEqual([503, 401]);
    expect(await queued(first.connectionId)).toEqual([]);

    const old = await connectedSite('GOOGLE');
    google.revocationFaults.push({ status: 503, retryAfter: '3600' }, { status: 503 });
    const second = await signOut(old, 'GOOGLE');
    // A day and a bit later (LATCHKEY_REVOCATION_MAX_AGE_SECONDS defaults to a day), the next failure is the last.
    await gateway.gateway.db.pendingRevocation.updateMany({
      where: { connectionId: second.connectionId },
      data: { createdAt: new Date(Date.now() - 86_401_000), nextAttemptAt: new Date() },
    });
    await vi.waitFor(async () => expect(await queued(second.connectionId)).toEqual([]), { timeout: 15_000, interval: 50 });
    const audit = await gateway.gateway.db.auditEvent.findFirst({ where: { connectionId: second.connectionId, type: 'connection.revocation_failed' } });
    expect(audit?.detail).toMatchObject({ attempts: 2 });
    expect((audit?.detail as { reason: string }).reason).toMatch(/gave up after 2 attempts and 86400 s/);
  });

  it('counts invalid_token (already invalid, RFC 7009) as revoked and goes on to the access token', async () => {
    const google = hosted.get('GOOGLE')!;
    const site = await connectedSite('GOOGLE');
    google.revocationFaults.push({ status: 400, body: { error: 'invalid_token' } });
    const answer = await signOut(site, 'GOOGLE');
    expect(answer).toMatchObject({ revocation: 'REVOKED', revokedAtProvider: true });
    expect(requestsFor(google, site.refreshToken, site.accessToken).map((entry) => [entry.hint, entry.answer])).toEqual([
      ['refresh_token', 400],
      ['access_token', 200],
    ]);
    expect(site.issued.active).toBe(false);
  });

  it("retries a provider's own revocation style the same way, and reads its JSON error code (Dropbox: Bearer POST)", async () => {
    const dropbox = hosted.get('DROPBOX')!;
    const site = await connectedSite('DROPBOX');
    dropbox.revocationFaults.push({ status: 503, retryAfter: '1' });
    const answer = await signOut(site, 'DROPBOX');
    expect(answer.revocation).toBe('PENDING');
    await vi.waitFor(async () => expect(await queued(answer.connectionId)).toEqual([]), { timeout: 15_000, interval: 50 });
    const requests = requestsFor(dropbox, site.accessToken);
    expect(requests.map((entry) => entry.answer)).toEqual([503, 200]);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(site.issued.active).toBe(false);

    // An error body naming the token as already invalid counts as revoked; another 4xx is a refusal.
    const dead = await connectedSite('DROPBOX');
    dropbox.revocationFaults.push({ status: 401, body: { error: 'invalid_token' } });
    expect((await signOut(dead, 'DROPBOX')).revocation).toBe('REVOKED');
    const refused = await connectedSite('DROPBOX');
    dropbox.revocationFaults.push({ status: 400, body: { error: 'invalid_request' } });
    expect((await signOut(refused, 'DROPBOX')).revocation).toBe('FAILED');
    const audit = await gateway.gateway.db.auditEvent.findFirst({ where: { siteId: refused.siteId, type: 'connection.revocation_failed' } });
    expect((audit?.detail as { reason: string }).reason).toContain('invalid_request');
  });

  it('sends one request where revoking the refresh token ends the access tokens too (Salesforce)', async () => {
    const salesforce = hosted.get('SALESFORCE')!;
    const site = await connectedSite('SALESFORCE');
    const answer = await signOut(site, 'SALESFORCE');
    expect(answer).toMatchObject({ revocation: 'REVOKED', revokedAtProvider: true });
    expect(requestsFor(salesforce, site.refreshToken, site.accessToken).map((entry) => [entry.hint, entry.token])).toEqual([['refresh_token', site.refreshToken]]);
    expect(site.issued).toMatchObject({ active: false, refreshActive: false });
  });

  it('reports the same on disconnect and on signOutService', async () => {
    const google = hosted.get('GOOGLE')!;
    const site = await connectedSite('GOOGLE');
    google.revocationFaults.push({ status: 503 });
    const read = await gateway.gql('{ secrets { google { connectionId } } }', undefined, site.token);
    const disconnected = await gateway.gql(
      'mutation ($id: ID!) { disconnect(id: $id) { status revocation revokedAtProvider } }',
      { id: read.body.data.secrets.google.connectionId },
      site.token,
    );
    expect(disconnected.body.data.disconnect).toEqual({ status: 'REVOKED', revocation: 'PENDING', revokedAtProvider: false });

    const again = await connectedSite('GOOGLE');
    const signedOut = await gateway.gql('mutation { signOutService(service: "google") { isLoggedIn revocation revokedAtProvider } }', undefined, again.token);
    expect(signedOut.body.data.signOutService).toEqual({ isLoggedIn: false, revocation: 'REVOKED', revokedAtProvider: true });
    // Nothing to sign out: no revocation to report.
    const twice = await gateway.gql('mutation { signOutService(service: "google") { revocation revokedAtProvider } }', undefined, again.token);
    expect(twice.body.data.signOutService).toEqual({ revocation: null, revokedAtProvider: null });
  });
});

describe('the queue and the keys', () => {
  it('is re-encrypted by latchkey keys rotate', async () => {
    const google = hosted.get('GOOGLE')!;
    // A gateway of its own: after the rotation its key is not the database's current one.
    const isolated = await startGateway();
    const site = await connectedSite('GOOGLE', isolated);
    // The shared fake answers faults in order: let the other gateway's queued retries finish first,
    // or one of them takes the 503 meant for this sign-out.
    await expect.poll(() => gateway.gateway.db.pendingRevocation.count(), { timeout: 10_000 }).toBe(0);
    google.revocationFaults.push({ status: 503, retryAfter: '3600' });
    const answer = await signOut(site, 'GOOGLE', isolated);
    const [before] = await queued(answer.connectionId, isolated);
    expect(before, 'the sign-out should have been queued').toBeDefined();
    const newKey = randomBytes(32);
    const keyring = createKeyring(newKey, [Buffer.from(ENCRYPTION_KEY, 'base64')]);
    const io = { out: () => {}, err: () => {} };
    await rotateKeys(isolated.gateway.db, keyring, io, { batchSize: 50, env: {} });
    const [after] = await queued(answer.connectionId, isolated);
    expect(after!.refreshToken).not.toBe(before!.refreshToken);
    const onlyNew = createKeyring(newKey);
    expect(decryptSecret(onlyNew, after!.refreshToken!, secretContext('PendingRevocation', 'refreshToken', after!.id))).toBe(site.refreshToken);
    expect(decryptSecret(onlyNew, after!.accessToken!, secretContext('PendingRevocation', 'accessToken', after!.id))).toBe(site.accessToken);
    await isolated.close();
  });

  it('is one of the secrets a start without a key check probes, so a wrong key is refused', async () => {
    const database = await createTestDatabase();
    try {
      const right = createKeyring(randomBytes(32));
      await database.db.pendingRevocation.create({
        data: {
          id: 'rvk_probe',
          siteId: 'site_gone',
          connectionId: 'con_gone',
          service: 'GOOGLE',
          accessToken: encryptSecret(right, 'queued-access-token', secretContext('PendingRevocation', 'accessToken', 'rvk_probe')),
          nextAttemptAt: new Date(Date.now() + 3600_000),
        },
      });
      await expect(verifyEncryptionKeys(database.db, createKeyring(randomBytes(32)))).rejects.toBeInstanceOf(KeyMismatchError);
      expect(await database.db.keyCheck.count()).toBe(0);
      await verifyEncryptionKeys(database.db, right);
      expect(await database.db.keyCheck.count()).toBe(1);
    } finally {
      await database.cleanup();
    }
  });

  it('never writes a token to the log', () => {
    const logs = gateways.flatMap((running) => running.logs).join('\n');
    expect(logs.length).toBeGreaterThan(0);
    const google = hosted.get('GOOGLE')!;
    const salesforce = hosted.get('SALESFORCE')!;
    for (const issued of [...google.issuedTokens, ...salesforce.issuedTokens]) {
      expect(logs).not.toContain(issued.accessToken);
      if (issued.refreshToken) expect(logs).not.toContain(issued.refreshToken);
    }
  });
});
