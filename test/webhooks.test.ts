// Signed webhooks over real HTTP: a local receiver, GitHub connected through its local fake, a real
// database, and the gateway's own delivery worker (two of them, sharing the database, for the
// lease). Retries run on a 1 ms base so the whole back-off schedule fits in a few seconds.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../src/webhooks/verify.js';
import { checkWebhookUrl, guardedLookup, BlockedAddressError, type WebhookUrlPolicy } from '../src/webhooks/url-policy.js';
import { claimDeliveries, findDueDeliveries } from '../src/webhooks/worker.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLatchkey } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { connectViaCallback as connectService } from './support/connect.js';
import { receivedEvent, startReceiver, type Receiver } from './support/webhook-receiver.js';

const ORIGIN = 'http://app.test:3000';
const CREATE = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url events enabled createdAt } }
}`;
const DELIVERIES = `query ($endpointId: ID!, $first: Int) {
  webhookDeliveries(endpointId: $endpointId, first: $first) { id endpointId event status attempts nextAttemptAt lastStatusCode lastError payload createdAt deliveredAt }
}`;

let github: FakeGitHub;
let receiver: Receiver;
let gateway: TestGateway;
const secrets: string[] = [];

async function gql(query: string, variables: Record<string, unknown> | undefined, token: string) {
  return gateway.gql(query, variables, token);
}

async function createEndpoint(token: string, path: string, events?: string[]) {
  const result = await gql(CREATE, { input: { url: `${receiver.url}${path}`, ...(events ? { events } : {}) } }, token);
  expect(result.body.errors).toBeUndefined();
  const payload = result.body.data.createWebhookEndpoint as { secret: string; endpoint: { id: string; url: string; events: string[] } };
  secrets.push(payload.secret);
  return payload;
}

async function deliveries(token: string, endpointId: string) {
  const result = await gql(DELIVERIES, { endpointId, first: 100 }, token);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.webhookDeliveries as Array<Record<string, any>>;
}

async function expireGitHubToken(siteId: string) {
  await gateway.gateway.db.connection.updateMany({ where: { siteId, service: 'GITHUB' }, data: { expiresAt: new Date(Date.now() - 1000) } });
}

beforeAll(async () => {
  [github, receiver] = await Promise.all([startFakeGitHub(), startReceiver()]);
  gateway = await startTestGateway({
    ...github.appEnv,
    LATCHKEY_WEBHOOK_RETRY_BASE_MS: '1',
    LATCHKEY_WEBHOOK_POLL_MS: '200',
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([github?.close(), receiver?.close()]);
});

describe('connection events, signed', () => {
  let site: { siteId: string; token: string };
  let endpoint: { secret: string; endpoint: { id: string; url: string; events: string[] } };

  beforeAll(async () => {
    site = await gateway.createSite('Events', [ORIGIN]);
    endpoint = await createEndpoint(site.token, '/events');
  });

  it('registers an endpoint and shows its secret only once, stored encrypted', async () => {
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint.endpoint).toMatchObject({
      url: `${receiver.url}/events`,
      events: ['CONNECTION_CREATED', 'CONNECTION_REFRESHED_AFTER_FAILURE', 'CONNECTION_NEEDS_REAUTH', 'CONNECTION_REVOKED', 'CONNECTION_REVOCATION_FAILED', 'WEBHOOK_ENDPOINT_DISABLED'],
    });
    const listed = await gql('{ webhookEndpoints { id url events enabled } }', undefined, site.token);
    expect(listed.body.data.webhookEndpoints).toEqual([{ id: endpoint.endpoint.id, url: `${receiver.url}/events`, events: endpoint.endpoint.events, enabled: true }]);
    expect(JSON.stringify(listed.body)).not.toContain(endpoint.secret.slice(6));
    const row = await gateway.gateway.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.endpoint.id } });
    expect(row.secret).not.toContain(endpoint.secret.slice(6));
    expect(row.secret.startsWith('v1.')).toBe(true);
  });

  it('sends connection.created after a real connect, signed with the returned secret', async () => {
    const attemptId = await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    const { message, payload } = await receivedEvent(receiver, '/events', 'connection.created', endpoint.secret);
    expect(payload).toMatchObject({ type: 'connection.created', data: { siteId: site.siteId, service: 'GITHUB', attemptId } });
    expect(payload.data.connectionId).toMatch(/^conn_/);
    expect(payload.data.grantedScopes).toEqual(expect.any(Array));
    expect(message.headers['webhook-id']).toBe(payload.id);
    expect(message.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(message.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(120);
    expect(message.body).not.toContain(github.state.lastToken!.accessToken);

    // Any other secret, or a changed body, does not verify.
    const headers = message.headers as Record<string, string>;
    expect(() => verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, headers, message.body)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(endpoint.secret, headers, message.body.replace('GITHUB', 'SPOTIFY'))).toThrow(/No webhook signature matches/);

    await vi.waitFor(async () => {
      const [delivery] = await deliveries(site.token, endpoint.endpoint.id);
      expect(delivery).toMatchObject({ event: 'CONNECTION_CREATED', status: 'DELIVERED', attempts: 1, lastStatusCode: 200, lastError: null, payload: message.body });
      expect(delivery!.deliveredAt).not.toBeNull();
    });
  });

  it('sends connection.refreshed_after_failure only when a refresh succeeds after a failed one', async () => {
    // A plain refresh is no event.
    await expireGitHubToken(site.siteId);
    const plain = await gql('{ secrets { github { isLoggedIn } } }', undefined, site.token);
    expect(plain.body.data.secrets.github.isLoggedIn).toBe(true);
    expect((await gateway.gateway.db.webhookDelivery.count({ where: { siteId: site.siteId, event: 'connection.refreshed_after_failure' } }))).toBe(0);

    await expireGitHubToken(site.siteId);
    github.state.failNextTokenRequest(500);
    const failed = await gql('{ secrets { github { bearerToken } } }', undefined, site.token);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    // Skip the back-off instead of waiting for it.
    await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: 'GITHUB' }, data: { nextRefreshAt: null } });
    const recovered = await gql('{ secrets { github { bearerToken } } }', undefined, site.token);
    expect(recovered.body.data.secrets.github.bearerToken).toBe(github.state.lastToken!.accessToken);

    const { payload } = await receivedEvent(receiver, '/events', 'connection.refreshed_after_failure', endpoint.secret);
    expect(payload.data).toMatchObject({ service: 'GITHUB', previousFailures: 1 });
  });

  it('sends connection.needs_reauth when GitHub refuses the refresh token', async () => {
    github.state.invalidateAllRefreshTokens();
    await expireGitHubToken(site.siteId);
    const result = await gql('{ secrets { github { isLoggedIn status } } }', undefined, site.token);
    expect(result.body.data.secrets.github.status).toBe('NEEDS_REAUTH');
    const { payload } = await receivedEvent(receiver, '/events', 'connection.needs_reauth', endpoint.secret);
    expect(payload.data.service).toBe('GITHUB');
    expect(payload.data.reason).toContain('bad_refresh_token');
  });

  it('sends connection.revoked on signOut', async () => {
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    const signedOut = await gql('mutation { signOut(service: GITHUB) { isLoggedIn } }', undefined, site.token);
    expect(signedOut.body.data.signOut.isLoggedIn).toBe(false);
    const { payload } = await receivedEvent(receiver, '/events', 'connection.revoked', endpoint.secret);
    expect(payload.data).toMatchObject({ service: 'GITHUB', revokedAtProvider: true });
  });

  it('redelivers a message with the same webhook-id and a fresh signature', async () => {
    const [latest] = await deliveries(site.token, endpoint.endpoint.id);
    const countBefore = receiver.at('/events').length;
    const result = await gql('mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id status attempts payload } }', { id: latest!.id }, site.token);
    expect(result.body.errors).toBeUndefined();
    const copy = result.body.data.redeliverWebhook;
    expect(copy.id).not.toBe(latest!.id);
    expect(copy.payload).toBe(latest!.payload);
    await vi.waitFor(() => expect(receiver.at('/events').length).toBe(countBefore + 1), { timeout: 15_000 });
    const again = receiver.at('/events').at(-1)!;
    expect(again.body).toBe(latest!.payload);
    expect(again.headers['webhook-id']).toBe(JSON.parse(latest!.payload).id);
    expect(verifyWebhook(endpoint.secret, again.headers as Record<string, string>, again.body)).toEqual(JSON.parse(latest!.payload));
  });

  it("keeps a site's endpoints and deliveries to itself", async () => {
    const other = await gateway.createSite('Other', [ORIGIN]);
    const peek = await gql(DELIVERIES, { endpointId: endpoint.endpoint.id }, other.token);
    expect(peek.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const [latest] = await deliveries(site.token, endpoint.endpoint.id);
    const redeliver = await gql('mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }', { id: latest!.id }, other.token);
    expect(redeliver.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const remove = await gql('mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }', { id: endpoint.endpoint.id }, other.token);
    expect(remove.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await gql('{ webhookEndpoints { id } }', undefined, other.token)).body.data.webhookEndpoints).toEqual([]);

    // The other site's events reach only the other site's endpoints.
    const before = receiver.at('/events').length;
    const otherEndpoint = await createEndpoint(other.token, '/other');
    await connectService(gateway, other.token, 'GITHUB', `${ORIGIN}/done`);
    const { payload } = await receivedEvent(receiver, '/other', 'connection.created', otherEndpoint.secret);
    expect(payload.data.siteId).toBe(other.siteId);
    expect(receiver.at('/events').length).toBe(before);
  });
});

describe('delivery: retries, give-up, redirects and event filters', () => {
  it('retries a receiver that answers 500, then 200, and logs the attempts', async () => {
    const site = await gateway.createSite('Retries', [ORIGIN]);
    receiver.script.set('/flaky', [500, 500]);
    const flaky = await createEndpoint(site.token, '/flaky');
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);

    await vi.waitFor(async () => expect((await deliveries(site.token, flaky.endpoint.id))[0]?.status).toBe('DELIVERED'), { timeout: 15_000, interval: 50 });
    const [delivery] = await deliveries(site.token, flaky.endpoint.id);
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 3, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
    const attempts = receiver.at('/flaky');
    expect(attempts).toHaveLength(3);
    // Every attempt carries the same message id and its own valid signature.
    expect(new Set(attempts.map((attempt) => attempt.headers['webhook-id'])).size).toBe(1);
    for (const attempt of attempts) expect(verifyWebhook(flaky.secret, attempt.headers as Record<string, string>, attempt.body)).toMatchObject({ type: 'connection.created' });
  });

  it('gives up after the last retry, and does not follow redirects', async () => {
    const site = await gateway.createSite('Failing', [ORIGIN]);
    receiver.script.set('/down', Array.from({ length: 20 }, () => 503));
    const down = await createEndpoint(site.token, '/down');
    const redirect = await createEndpoint(site.token, '/redirect');
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);

    for (const endpoint of [down, redirect]) {
      await vi.waitFor(async () => expect((await deliveries(site.token, endpoint.endpoint.id))[0]?.status).toBe('FAILED'), { timeout: 20_000, interval: 100 });
    }
    const [gaveUp] = await deliveries(site.token, down.endpoint.id);
    expect(gaveUp).toMatchObject({ status: 'FAILED', attempts: 7, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: null, deliveredAt: null });
    expect(receiver.at('/down')).toHaveLength(7);
    const [redirected] = await deliveries(site.token, redirect.endpoint.id);
    expect(redirected).toMatchObject({ status: 'FAILED', attempts: 7, lastStatusCode: 302 });
    expect(redirected!.lastError).toContain('redirects are not followed');
    expect(receiver.at('/landed')).toHaveLength(0);
  });

  it('sends an endpoint only the events it subscribed to', async () => {
    const site = await gateway.createSite('Filtered', [ORIGIN]);
    const onlyRevoked = await createEndpoint(site.token, '/only-revoked', ['CONNECTION_REVOKED']);
    expect(onlyRevoked.endpoint.events).toEqual(['CONNECTION_REVOKED']);
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    expect(await deliveries(site.token, onlyRevoked.endpoint.id)).toEqual([]);
    await gql('mutation { signOut(service: GITHUB) { isLoggedIn } }', undefined, site.token);
    const { payload } = await receivedEvent(receiver, '/only-revoked', 'connection.revoked', onlyRevoked.secret);
    expect(payload.data.siteId).toBe(site.siteId);
    expect(receiver.at('/only-revoked').map((entry) => JSON.parse(entry.body).type)).toEqual(['connection.revoked']);
  });

  it('deletes an endpoint with its delivery log', async () => {
    const site = await gateway.createSite('Deleting', [ORIGIN]);
    const endpoint = await createEndpoint(site.token, '/deleted');
    const removed = await gql('mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { id url } }', { id: endpoint.endpoint.id }, site.token);
    expect(removed.body.data.deleteWebhookEndpoint.id).toBe(endpoint.endpoint.id);
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    expect(await gateway.gateway.db.webhookDelivery.count({ where: { siteId: site.siteId } })).toBe(0);
    const gone = await gql(DELIVERIES, { endpointId: endpoint.endpoint.id }, site.token);
    expect(gone.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('two gateway instances on one database', () => {
  it('send each delivery exactly once', async () => {
    // The second instance shares the first one's database and key: the same services and worker a
    // gateway runs, built in-process (it needs no HTTP port of its own, and SQLite allows only one
    // migrating process beside a live client).
    const config = loadConfig({
      ...github.appEnv,
      LATCHKEY_ENCRYPTION_KEY: gateway.config.encryptionKey.toString('base64'),
      LATCHKEY_WEBHOOK_RETRY_BASE_MS: '1',
      LATCHKEY_WEBHOOK_POLL_MS: '20',
      DATABASE_URL: gateway.databaseUrl,
      LATCHKEY_PUBLIC_URL: gateway.publicUrl,
    });
    const db = openDatabase(config.databaseUrl);
    const second = createLatchkey(config, db, createLogger('debug', (line) => gateway.logs.push(line)));
    const viaSecond = async (query: string, variables: Record<string, unknown>, token: string) => {
      const response = await second.yoga.fetch('http://second.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: any; errors?: unknown[] };
    };
    const firstWorker = gateway.gateway.services.webhooks.worker;
    try {
      const site = await gateway.createSite('Shared', [ORIGIN]);
      const endpoint = await createEndpoint(site.token, '/shared');
      await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
      await receivedEvent(receiver, '/shared', 'connection.created', endpoint.secret);
      const [first] = await deliveries(site.token, endpoint.endpoint.id);

      // Enqueue through both instances while no worker runs, then start both workers in the same
      // tick, so both read the same due deliveries and only the lease decides who sends each.
      await firstWorker.stop();
      const redeliver = 'mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }';

      // Both instances read the same due deliveries before either claims: exactly one gets each.
      await gql(redeliver, { id: first!.id }, site.token);
      await viaSecond(redeliver, { id: first!.id }, site.token);
      const now = new Date();
      const lease = new Date(now.getTime() + 60_000);
      const seenByFirst = await findDueDeliveries(gateway.gateway.db, now, 10);
      const seenBySecond = await findDueDeliveries(db, now, 10);
      expect(seenByFirst).toHaveLength(2);
      expect(seenBySecond.map((delivery) => delivery.id)).toEqual(seenByFirst.map((delivery) => delivery.id));
      expect(await claimDeliveries(gateway.gateway.db, seenByFirst, now, lease)).toHaveLength(2);
      expect(await claimDeliveries(db, seenBySecond, now, lease)).toEqual([]);
      // Give them back (as an expired lease would) so the workers below send them too.
      await db.webhookDelivery.updateMany({ where: { id: { in: seenByFirst.map((delivery) => delivery.id) } }, data: { lockedUntil: null } });

      const copies = 24;
      const results = await Promise.all(
        Array.from({ length: copies }, (_, index) =>
          index % 2 ? viaSecond(redeliver, { id: first!.id }, site.token) : gql(redeliver, { id: first!.id }, site.token).then((result) => result.body),
        ),
      );
      expect(results.every((result) => !result.errors)).toBe(true);
      expect(await gateway.gateway.db.webhookDelivery.count({ where: { endpointId: endpoint.endpoint.id, status: 'PENDING' } })).toBe(copies + 2);
      firstWorker.start();
      second.services.webhooks.worker.start();

      await vi.waitFor(
        async () => {
          const log = await deliveries(site.token, endpoint.endpoint.id);
          expect(log.filter((delivery) => delivery.status === 'DELIVERED')).toHaveLength(copies + 3);
        },
        { timeout: 20_000, interval: 100 },
      );
      const log = await deliveries(site.token, endpoint.endpoint.id);
      expect(log.every((delivery) => delivery.attempts === 1)).toBe(true);
      expect(receiver.at('/shared')).toHaveLength(copies + 3);
    } finally {
      firstWorker.start();
      await second.services.webhooks.worker.stop();
      await db.$disconnect();
    }
  });
});

describe('webhook URLs', () => {
  it.each([
    ['http://example.com/hook', 'https://'],
    ['https://user:pass@example.com/hook', 'credentials'],
    ['https://10.0.0.8/hook', 'non-public'],
    ['https://169.254.169.254/latest/meta-data', 'non-public'],
    ['https://[fd00::1]/hook', 'non-public'],
    ['https://[::ffff:192.168.1.1]/hook', 'non-public'],
    ['https://0.0.0.0/hook', 'non-public'],
    ['https://example.com/hook#frag', 'fragment'],
    ['ftp://example.com/hook', 'https://'],
    ['not a url', 'absolute URL'],
  ])('refuses %s', async (url, reason) => {
    const site = await gateway.createSite('Urls', [ORIGIN]);
    const result = await gql(CREATE, { input: { url } }, site.token);
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
    expect(result.body.errors?.[0]?.message).toContain(reason);
  });

  it('accepts public https and loopback http', () => {
    const policy: WebhookUrlPolicy = { allowHttp: false, allowLoopback: true, allowPrivateNetworks: false };
    expect(checkWebhookUrl('https://hooks.example.com/latchkey', policy).href).toBe('https://hooks.example.com/latchkey');
    expect(checkWebhookUrl('https://93.184.216.34/x', policy).hostname).toBe('93.184.216.34');
    expect(checkWebhookUrl('http://localhost:8080/x', policy).port).toBe('8080');
    expect(checkWebhookUrl('http://[::1]:8080/x', policy).hostname).toBe('[::1]');
  });

  it('follows the configuration: loopback off, private networks on, http on', () => {
    const strict: WebhookUrlPolicy = { allowHttp: false, allowLoopback: false, allowPrivateNetworks: false };
    expect(() => checkWebhookUrl('http://127.0.0.1:8080/x', strict)).toThrow(/non-public/);
    expect(() => checkWebhookUrl('https://localhost/x', strict)).toThrow(/loopback/);
    const lan: WebhookUrlPolicy = { allowHttp: true, allowLoopback: false, allowPrivateNetworks: true };
    expect(checkWebhookUrl('http://10.0.0.8/hook', lan).hostname).toBe('10.0.0.8');
    expect(() => checkWebhookUrl('http://127.0.0.1/x', lan)).toThrow(/non-public/);
  });

  it('checks the address a host name resolves to when connecting (DNS rebinding)', async () => {
    const strict: WebhookUrlPolicy = { allowHttp: false, allowLoopback: false, allowPrivateNetworks: false };
    const lookup = (policy: WebhookUrlPolicy, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        guardedLookup(policy)('localhost', { all }, (error, address) => resolve({ error, address })),
      );
    const blocked = await lookup(strict, true);
    expect(blocked.error).toBeInstanceOf(BlockedAddressError);
    const allowed = await lookup({ ...strict, allowLoopback: true }, false);
    expect(allowed.error).toBeNull();
    expect(String(allowed.address)).toMatch(/^(127\.|::1)/);
  });

  it('is not for function tokens', async () => {
    const site = await gateway.createSite('Function', [ORIGIN]);
    const minted = await gql('mutation { createFunctionToken { token } }', undefined, site.token);
    const token = minted.body.data.createFunctionToken.token as string;
    for (const query of ['{ webhookEndpoints { id } }', `mutation { createWebhookEndpoint(input: { url: "${receiver.url}/fn" }) { secret } }`]) {
      const result = await gql(query, undefined, token);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(receiver.at('/fn')).toHaveLength(0);
  });
});

describe('verifyWebhook', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const body = JSON.stringify({ id: 'msg_1', type: 'connection.revoked', timestamp: new Date().toISOString(), data: {} });
  const headersAt = (timestamp: number, signature = signWebhook(secret, 'msg_1', timestamp, body)) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a fresh message, with the headers as a Headers object too', () => {
    expect(verifyWebhook(secret, headersAt(now()), body)).toMatchObject({ id: 'msg_1' });
    expect(verifyWebhook(secret, new Headers(headersAt(now())), Buffer.from(body))).toMatchObject({ id: 'msg_1' });
    // Several signatures (during a secret rotation): one match is enough.
    const rotated = headersAt(now(), `v1,${Buffer.alloc(32).toString('base64')} ${signWebhook(secret, 'msg_1', now(), body)}`);
    expect(verifyWebhook(secret, rotated, body)).toMatchObject({ id: 'msg_1' });
  });

  it('rejects a replayed message whose timestamp is older than the tolerance, though its signature is valid', () => {
    const old = now() - 301;
    expect(() => verifyWebhook(secret, headersAt(old), body)).toThrow(/too old/);
    expect(verifyWebhook(secret, headersAt(old), body, 600)).toMatchObject({ id: 'msg_1' });
    expect(() => verifyWebhook(secret, headersAt(now() + 600), body)).toThrow(/future/);
  });

  it('rejects a captured message whose timestamp was moved forward', () => {
    const captured = headersAt(now() - 1000);
    expect(() => verifyWebhook(secret, { ...captured, 'webhook-timestamp': String(now()) }, body)).toThrow(/No webhook signature matches/);
  });

  it('rejects missing headers and malformed timestamps', () => {
    expect(() => verifyWebhook(secret, { 'webhook-id': 'msg_1' }, body)).toThrow(/Missing/);
    expect(() => verifyWebhook(secret, { ...headersAt(now()), 'webhook-timestamp': '1e9' }, body)).toThrow(WebhookVerificationError);
  });
});

describe('secrets never leak', () => {
  it('keeps webhook secrets and the endpoints\' stored ciphertexts out of the logs', async () => {
    expect(secrets.length).toBeGreaterThan(5);
    const logText = gateway.logs.join('\n');
    expect(logText).toContain('webhook delivered');
    for (const secret of secrets) {
      expect(logText).not.toContain(secret);
      expect(logText).not.toContain(secret.slice(6, 30));
    }
    const stored = await gateway.gateway.db.webhookEndpoint.findMany();
    for (const row of stored) expect(logText).not.toContain(row.secret);
    expect(logText).not.toContain(receiver.url);
  });
});
