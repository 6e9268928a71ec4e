// Operating webhook endpoints over real HTTP: rotating a signing secret with an overlap window
// (receivers verifying with the old secret keep working during it, and only during it), and the
// gateway disabling an endpoint that keeps failing, telling the site, and re-enabling it. A local
// receiver, GitHub through its local fake, a real database and the gateway's own delivery worker;
// retries run on a 1 ms base so a run of failures takes moments.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../src/webhooks/verify.js';
import { disableReason } from '../src/webhooks/worker.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback as connectService } from './support/connect.js';
import { receivedEvent, startReceiver, type Receiver } from './support/webhook-receiver.js';

const ORIGIN = 'http://app.test:3000';
const DISABLE_AFTER = 3;
const ENDPOINT_FIELDS = 'id enabled disabled disabledAt disabledReason consecutiveFailures failingSince previousSecretExpiresAt';

let github: FakeGitHub;
let receiver: Receiver;
let gateway: TestGateway;

beforeAll(async () => {
  [github, receiver] = await Promise.all([startFakeGitHub(), startReceiver()]);
  gateway = await startTestGateway({
    ...github.appEnv,
    LATCHKEY_WEBHOOK_RETRY_BASE_MS: '1',
    LATCHKEY_WEBHOOK_POLL_MS: '100',
    LATCHKEY_WEBHOOK_DISABLE_AFTER_FAILURES: String(DISABLE_AFTER),
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([github?.close(), receiver?.close()]);
});

async function createEndpoint(token: string, path: string, events?: string[]) {
  const result = await gateway.gql(
    'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id events } } }',
    { input: { url: `${receiver.url}${path}`, ...(events ? { events } : {}) } },
    token,
  );
  expect(result.body.errors).toBeUndefined();
  return result.body.data.createWebhookEndpoint as { secret: string; endpoint: { id: string; events: string[] } };
}

async function endpointOf(token: string, id: string) {
  const result = await gateway.gql(`{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`, undefined, token);
  expect(result.body.errors).toBeUndefined();
  return (result.body.data.webhookEndpoints as Array<Record<string, any>>).find((endpoint) => endpoint.id === id)!;
}

async function deliveriesOf(token: string, endpointId: string) {
  const result = await gateway.gql('query ($id: ID!) { webhookDeliveries(endpointId: $id, first: 100) { id status attempts lastError } }', { id: endpointId }, token);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.webhookDeliveries as Array<{ id: string; status: string; attempts: number; lastError: string | null }>;
}

async function rotate(token: string, id: string, overlapSeconds?: number) {
  return gateway.gql(
    `mutation ($id: ID!, $overlap: Int) { rotateWebhookSecret(id: $id, overlapSeconds: $overlap) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
    { id, ...(overlapSeconds === undefined ? {} : { overlap: overlapSeconds }) },
    token,
  );
}

/** Redelivers the endpoint's latest delivery and returns the message the receiver got for it. */
async function redeliverLatest(token: string, endpointId: string, path: string) {
  const [latest] = await deliveriesOf(token, endpointId);
  const before = receiver.at(path).length;
  const result = await gateway.gql('mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }', { id: latest!.id }, token);
  expect(result.body.errors).toBeUndefined();
  await vi.waitFor(() => expect(receiver.at(path).length).toBe(before + 1), { timeout: 15_000, interval: 50 });
  const message = receiver.at(path).at(-1)!;
  return { headers: message.headers as Record<string, string>, body: message.body };
}

async function scrapeMetrics(): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${gateway.adminToken}` } });
  expect(response.status).toBe(200);
  return response.text();
}

describe('rotateWebhookSecret', () => {
  let site: { siteId: string; token: string };
  let endpoint: { secret: string; endpoint: { id: string } };

  beforeAll(async () => {
    site = await gateway.createSite('Rotation', [ORIGIN]);
    endpoint = await createEndpoint(site.token, '/rotating');
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    await receivedEvent(receiver, '/rotating', 'connection.created', endpoint.secret);
  });

  it('signs with the new and the old secret during the overlap, then with the new one only', async () => {
    const oldSecret = endpoint.secret;
    const rotated = await rotate(site.token, endpoint.endpoint.id, 3600);
    expect(rotated.body.errors).toBeUndefined();
    const { secret: newSecret, endpoint: after } = rotated.body.data.rotateWebhookSecret;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(after.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3000_000);

    // During the overlap: a receiver still configured with the old secret verifies, so does one with the new.
    const during = await redeliverLatest(site.token, endpoint.endpoint.id, '/rotating');
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyWebhook(oldSecret, during.headers, during.body)).toMatchObject({ type: 'connection.created' });
    expect(verifyWebhook(newSecret, during.headers, during.body)).toMatchObject({ type: 'connection.created' });

    // Neither secret is stored in the clear, and the new one is never shown again.
    const row = await gateway.gateway.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.endpoint.id } });
    for (const value of [row.secret, row.previousSecret!]) {
      expect(value.startsWith('v1.')).toBe(true);
      expect(value).not.toContain(oldSecret.slice(6));
      expect(value).not.toContain(newSecret.slice(6));
    }
    const listed = await gateway.gql('{ webhookEndpoints { id url } }', undefined, site.token);
    expect(JSON.stringify(listed.body)).not.toContain(newSecret.slice(6));

    // The window ends (moved into the past rather than waited for): only the new secret signs.
    await gateway.gateway.db.webhookEndpoint.update({ where: { id: endpoint.endpoint.id }, data: { previousSecretExpiresAt: new Date(Date.now() - 1000) } });
    expect((await endpointOf(site.token, endpoint.endpoint.id)).previousSecretExpiresAt).toBeNull();
    const afterWindow = await redeliverLatest(site.token, endpoint.endpoint.id, '/rotating');
    expect(afterWindow.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verifyWebhook(newSecret, afterWindow.headers, afterWindow.body)).toMatchObject({ type: 'connection.created' });
    expect(() => verifyWebhook(oldSecret, afterWindow.headers, afterWindow.body)).toThrow(WebhookVerificationError);
    endpoint.secret = newSecret;

    const audit = await gateway.gateway.db.auditEvent.findFirst({ where: { siteId: site.siteId, type: 'webhook.secret_rotated' } });
    expect(audit?.detail).toMatchObject({ endpointId: endpoint.endpoint.id, overlapSeconds: 3600 });
    expect(JSON.stringify(audit)).not.toContain(newSecret.slice(6));
  });

  it('with overlapSeconds: 0 stops signing with the old secret at once', async () => {
    const oldSecret = endpoint.secret;
    const rotated = await rotate(site.token, endpoint.endpoint.id, 0);
    expect(rotated.body.errors).toBeUndefined();
    const { secret: newSecret } = rotated.body.data.rotateWebhookSecret;
    expect(rotated.body.data.rotateWebhookSecret.endpoint.previousSecretExpiresAt).toBeNull();
    const message = await redeliverLatest(site.token, endpoint.endpoint.id, '/rotating');
    expect(verifyWebhook(newSecret, message.headers, message.body)).toMatchObject({ type: 'connection.created' });
    expect(() => verifyWebhook(oldSecret, message.headers, message.body)).toThrow(/No webhook signature matches/);
    endpoint.secret = newSecret;
  });

  it("refuses a bad overlap and another site's endpoint", async () => {
    for (const overlap of [-1, 7 * 24 * 3600 + 1]) {
      const result = await rotate(site.token, endpoint.endpoint.id, overlap);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.message).toMatch(/overlapSeconds must be a whole number from 0 .* to 604800/);
    }
    const other = await gateway.createSite('Not the owner', [ORIGIN]);
    const foreign = await rotate(other.token, endpoint.endpoint.id, 60);
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // The refused calls changed nothing: the current secret still signs alone.
    const message = await redeliverLatest(site.token, endpoint.endpoint.id, '/rotating');
    expect(message.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verifyWebhook(endpoint.secret, message.headers, message.body)).toBeDefined();
  });
});

describe('automatic disabling of a failing endpoint', () => {
  it('disables an endpoint after repeated failures, tells the other endpoints, and re-enables it', async () => {
    const site = await gateway.createSite('Failing receiver', [ORIGIN]);
    receiver.script.set('/dead', Array.from({ length: 50 }, () => 500));
    const dead = await createEndpoint(site.token, '/dead');
    const watcher = await createEndpoint(site.token, '/watcher');
    expect(watcher.endpoint.events).toContain('WEBHOOK_ENDPOINT_DISABLED');
    const metricBefore = Number(/^latchkey_webhook_endpoints_disabled_total (\S+)$/m.exec(await scrapeMetrics())?.[1] ?? 0);

    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    const { payload } = await receivedEvent(receiver, '/watcher', 'webhook.endpoint_disabled', watcher.secret);
    expect(payload.data).toMatchObject({ siteId: site.siteId, endpointId: dead.endpoint.id, url: `${receiver.url}/dead`, consecutiveFailures: DISABLE_AFTER });
    expect(payload.data.reason).toContain('HTTP 500');

    // Exactly the threshold's attempts reached the receiver; the endpoint shows why and since when.
    expect(receiver.at('/dead')).toHaveLength(DISABLE_AFTER);
    const shown = await endpointOf(site.token, dead.endpoint.id);
    expect(shown).toMatchObject({ enabled: false, disabled: true, consecutiveFailures: DISABLE_AFTER });
    expect(shown.disabledReason).toMatch(/3 delivery attempts in a row failed since .*HTTP 500.*enableWebhookEndpoint/);
    expect(Date.parse(shown.disabledAt)).toBeGreaterThanOrEqual(Date.parse(shown.failingSince));
    const [delivery] = await deliveriesOf(site.token, dead.endpoint.id);
    expect(delivery).toMatchObject({ status: 'FAILED', attempts: DISABLE_AFTER });

    const audit = await gateway.gateway.db.auditEvent.findFirst({ where: { siteId: site.siteId, type: 'webhook.endpoint_disabled' } });
    expect(audit?.detail).toMatchObject({ endpointId: dead.endpoint.id, consecutiveFailures: DISABLE_AFTER });
    const metricAfter = Number(/^latchkey_webhook_endpoints_disabled_total (\S+)$/m.exec(await scrapeMetrics())?.[1]);
    expect(metricAfter).toBe(metricBefore + 1);

    // Disabled: later events go to the watcher only, and redelivering to it is refused with the fix.
    const watcherBefore = receiver.at('/watcher').length;
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    await vi.waitFor(() => expect(receiver.at('/watcher').length).toBe(watcherBefore + 1), { timeout: 15_000, interval: 50 });
    expect(receiver.at('/dead')).toHaveLength(DISABLE_AFTER);
    const refused = await gateway.gql('mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }', { id: delivery!.id }, site.token);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('enableWebhookEndpoint');

    // Another site cannot re-enable it.
    const other = await gateway.createSite('Someone else', [ORIGIN]);
    const foreign = await gateway.gql('mutation ($id: ID!) { enableWebhookEndpoint(id: $id) { id } }', { id: dead.endpoint.id }, other.token);
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // The receiver is fixed; re-enabled, the endpoint gets the next event and its failure count starts again.
    receiver.script.delete('/dead');
    const enabled = await gateway.gql(`mutation ($id: ID!) { enableWebhookEndpoint(id: $id) { ${ENDPOINT_FIELDS} } }`, { id: dead.endpoint.id }, site.token);
    expect(enabled.body.errors).toBeUndefined();
    expect(enabled.body.data.enableWebhookEndpoint).toMatchObject({ enabled: true, disabled: false, disabledAt: null, disabledReason: null, consecutiveFailures: 0, failingSince: null });
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    await vi.waitFor(async () => expect((await deliveriesOf(site.token, dead.endpoint.id))[0]).toMatchObject({ status: 'DELIVERED', attempts: 1 }), {
      timeout: 15_000,
      interval: 50,
    });
  });

  it('a success ends a run of failures, so a flaky endpoint below the threshold stays enabled', async () => {
    const site = await gateway.createSite('Flaky receiver', [ORIGIN]);
    receiver.script.set('/flaky-ops', Array.from({ length: DISABLE_AFTER - 1 }, () => 500));
    const flaky = await createEndpoint(site.token, '/flaky-ops');
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    await vi.waitFor(async () => expect((await deliveriesOf(site.token, flaky.endpoint.id))[0]?.status).toBe('DELIVERED'), { timeout: 15_000, interval: 50 });
    receiver.script.set('/flaky-ops', Array.from({ length: DISABLE_AFTER - 1 }, () => 500));
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    await vi.waitFor(async () => expect((await deliveriesOf(site.token, flaky.endpoint.id)).filter((d) => d.status === 'DELIVERED')).toHaveLength(2), {
      timeout: 15_000,
      interval: 50,
    });
    // 2 + 2 failures, more than the threshold in all, but never 3 in a row.
    expect(receiver.at('/flaky-ops')).toHaveLength(2 * DISABLE_AFTER);
    expect(await endpointOf(site.token, flaky.endpoint.id)).toMatchObject({ enabled: true, consecutiveFailures: 0, failingSince: null });
  });

  it('also disables an endpoint that has failed for longer than the time limit, whatever the count', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    const rule = { afterFailures: 50, afterMs: 120 * 3_600_000 };
    const sixDaysAgo = new Date(now.getTime() - 6 * 24 * 3_600_000);
    expect(disableReason({ consecutiveFailures: 4, failingSince: sixDaysAgo }, rule, 'HTTP 503', now)).toMatch(/^4 delivery attempts in a row failed since 2026-11-26T12:00:00.000Z \(last: HTTP 503\)/);
    expect(disableReason({ consecutiveFailures: 4, failingSince: new Date(now.getTime() - 3_600_000) }, rule, 'HTTP 503', now)).toBeNull();
    expect(disableReason({ consecutiveFailures: 50, failingSince: now }, rule, null, now)).toMatch(/^50 delivery attempts/);
    expect(disableReason({ consecutiveFailures: 10_000, failingSince: sixDaysAgo }, { afterFailures: 0, afterMs: 0 }, null, now)).toBeNull();
  });
});
