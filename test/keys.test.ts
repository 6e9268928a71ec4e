// The gateway and its encryption keys: a key that cannot read the database refuses start, naming
// the variable; a stored value that cannot be decrypted at run time answers KEY_UNAVAILABLE and
// /readyz 503; the webhook worker waits instead of spinning; a broken development key file says what to do.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startGateway } from '../src/server.js';
import { createKeyring, encryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { createRefreshSweeper } from '../src/connections/refresh-sweeper.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { freePort, startTestGateway, type TestGateway } from './support/gateway.js';
import { startReceiver, type Receiver } from './support/webhook-receiver.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

async function configFor(database: TestDatabase, env: Record<string, string>) {
  return loadConfig({ DATABASE_URL: database.url, PORT: String(await freePort()), HOST: '127.0.0.1', LATCHKEY_LOG_LEVEL: 'silent', LATCHKEY_SWEEP_INTERVAL_SECONDS: '0', ...env });
}

describe('starting with another key', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.cleanup();
  });

  it('is refused naming LATCHKEY_ENCRYPTION_KEY; the old key among the previous ones starts', async () => {
    const first = await startTestGateway({ LATCHKEY_ENCRYPTION_KEY: keyA }, { databaseUrl: database.url });
    await first.createSite('Keyed');
    await first.close();

    const wrong = startGateway(await configFor(database, { LATCHKEY_ENCRYPTION_KEY: keyB }), createLogger('silent'));
    await expect(wrong).rejects.toBeInstanceOf(ConfigError);
    await expect(wrong).rejects.toThrow(/LATCHKEY_ENCRYPTION_KEY.*cannot decrypt/);

    const rotated = await startGateway(await configFor(database, { LATCHKEY_ENCRYPTION_KEY: keyB, LATCHKEY_PREVIOUS_ENCRYPTION_KEYS: keyA }), createLogger('silent'));
    const ready = await fetch(`${rotated.url}/readyz`);
    expect(ready.status).toBe(200);
    await rotated.close();

    const same = await startGateway(await configFor(database, { LATCHKEY_ENCRYPTION_KEY: keyA }), createLogger('silent'));
    await same.close();
  });
});

describe('a stored value no configured key can decrypt', () => {
  let gateway: TestGateway;
  let receiver: Receiver;
  let site: { siteId: string; token: string };
  const foreign = createKeyring(Buffer.from(keyB, 'base64'));

  beforeAll(async () => {
    receiver = await startReceiver();
    gateway = await startTestGateway({ LATCHKEY_ENCRYPTION_KEY: keyA, LATCHKEY_WEBHOOK_RETRY_BASE_MS: '60000', LATCHKEY_WEBHOOK_POLL_MS: '50', LATCHKEY_GITHUB_CLIENT_ID: 'k', LATCHKEY_GITHUB_CLIENT_SECRET: 'k' });
    site = await gateway.createSite('Unreadable');
  });
  afterAll(async () => {
    await gateway?.close();
    await receiver?.close();
  });

  it('answers KEY_UNAVAILABLE (never INTERNAL_SERVER_ERROR), and /readyz 503 naming the cause', async () => {
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    const id = `con_${randomBytes(8).toString('hex')}`;
    await gateway.gateway.db.connection.create({
      data: {
        id,
        siteId: site.siteId,
        service: 'GITHUB',
        status: 'ACTIVE',
        grantType: 'AUTHORIZATION_CODE',
        accessToken: encryptSecret(foreign, 'gho_unreadable', secretContext('Connection', 'accessToken', id)),
        tokenType: 'bearer',
        grantedScopes: [],
      } as never,
    });
    const result = await gateway.gql('{ secrets { github { isLoggedIn bearerToken } } }', undefined, site.token);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('KEY_UNAVAILABLE');
    expect(result.body.errors?.[0]?.message).toMatch(/LATCHKEY_ENCRYPTION_KEY/);
    // A field error names its field (GraphQL spec, "path"), as every other contract error does.
    expect(result.body.errors?.[0]?.path).toEqual(['secrets', 'github', 'bearerToken']);
    expect(result.body.data).toEqual({ secrets: { github: { isLoggedIn: true, bearerToken: null } } });
    expect(JSON.stringify(result.body)).not.toContain('INTERNAL_SERVER_ERROR');

    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).reason).toMatch(/cannot be decrypted.*LATCHKEY_ENCRYPTION_KEY/);
    await gateway.gateway.db.connection.delete({ where: { id } });
  });

  it('makes the webhook worker wait for its retry schedule instead of spinning', async () => {
    const created = await gateway.gql(
      'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
      { input: { url: `${receiver.url}/hook`, events: ['CONNECTION_CREATED'] } },
      site.token,
    );
    const endpointId = created.body.data?.createWebhookEndpoint?.endpoint?.id;
    expect(endpointId, JSON.stringify(created.body.errors)).toBeTruthy();
    await gateway.gateway.db.webhookEndpoint.update({
      where: { id: endpointId },
      data: { secret: encryptSecret(foreign, 'whsec_unreadable', secretContext('WebhookEndpoint', 'secret', endpointId)) },
    });
    await gateway.gateway.db.webhookDelivery.create({
      data: { id: `whd_${randomBytes(8).toString('hex')}`, endpointId, siteId: site.siteId, event: 'connection.created', payload: '{"id":"msg_1"}', status: 'PENDING', nextAttemptAt: new Date() } as never,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const deliveries = await gateway.gateway.db.webhookDelivery.findMany({ where: { endpointId } });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.attempts).toBe(1);
    expect(deliveries[0]!.lastError).toMatch(/KEY_UNAVAILABLE/);
    expect(deliveries[0]!.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
    expect(receiver.received.length).toBe(0);
  });
  it('makes the refresh sweeper back off a connection whose refresh token cannot be decrypted, instead of retrying it every sweep', async () => {
    const id = `con_${randomBytes(8).toString('hex')}`;
    await gateway.gateway.db.connection.create({
      data: {
        id,
        siteId: site.siteId,
        service: 'GITHUB',
        status: 'ACTIVE',
        grantType: 'AUTHORIZATION_CODE',
        accessToken: encryptSecret(createKeyring(Buffer.from(keyA, 'base64')), 'gho_readable', secretContext('Connection', 'accessToken', id)),
        refreshToken: encryptSecret(foreign, 'ghr_unreadable', secretContext('Connection', 'refreshToken', id)),
        tokenType: 'bearer',
        expiresAt: new Date(Date.now() + 30_000),
        grantedScopes: [],
      } as never,
    });
    const sweeper = createRefreshSweeper(gateway.gateway.services, { intervalSeconds: 0, lookAheadSeconds: 120, concurrency: 1 });
    try {
      expect(await sweeper.sweep()).toBe(0);
      const after = await gateway.gateway.db.connection.findUniqueOrThrow({ where: { id } });
      expect(after.status).toBe('ACTIVE');
      expect(after.refreshFailures).toBe(1);
      expect(after.lastError).toMatch(/KEY_UNAVAILABLE/);
      expect(after.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now());
      expect(after.refreshLockOwner).toBeNull();
      // The next sweeps leave it alone until its back-off runs out: no retry, no new failure recorded.
      expect(await sweeper.sweep()).toBe(0);
      expect(await sweeper.sweep()).toBe(0);
      expect((await gateway.gateway.db.connection.findUniqueOrThrow({ where: { id } })).refreshFailures).toBe(1);
      // Once its token expired, a reader learns the cause (KEY_UNAVAILABLE), not "try again later".
      await gateway.gateway.db.connection.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const read = await gateway.gql('{ secrets { github { bearerToken } } }', undefined, site.token);
      expect(read.body.errors?.[0]?.extensions?.code).toBe('KEY_UNAVAILABLE');
      expect((await gateway.gateway.db.connection.findUniqueOrThrow({ where: { id } })).refreshFailures).toBe(1);
    } finally {
      await sweeper.stop();
      await gateway.gateway.db.connection.delete({ where: { id } });
    }
  });
});

describe('the development key file', () => {
  it.each([
    ['empty', ''],
    ['corrupt', 'not base64 at all!!\n'],
    ['short', `${randomBytes(16).toString('base64')}\n`],
  ])('when %s, names the file and what to do, without a ZodError', async (_kind, content) => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-key-'));
    try {
      await writeFile(join(dir, 'encryption.key'), content);
      let thrown: unknown;
      try {
        loadConfig({ DATABASE_URL: `file:${join(dir, 'latchkey.db')}` });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      const message = (thrown as Error).message;
      expect(message).toContain(join(dir, 'encryption.key'));
      expect(message).toMatch(/delete the file/);
      expect(message).toMatch(/LATCHKEY_ENCRYPTION_KEY/);
      expect(message).not.toMatch(/ZodError|"code":/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
