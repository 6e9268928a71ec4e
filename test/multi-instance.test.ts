// Gateways as separate OS processes (`latchkey serve`), as they run behind a load balancer: two
// instances on one PostgreSQL refresh an expired token exactly once between them, and an instance
// killed between the provider's refresh answer and the database write leaves a connection that the
// next instance either refreshes or marks NEEDS_REAUTH, never one stuck in REFRESHING.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { createKeyring, decryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startAuthorizationServer, DEFAULT_ACCOUNT_ID, ORGANIZATION_ID, type AuthorizationServer } from './support/authorization-server.js';
import { createTestDatabase, stopSharedPostgres, type TestDatabase } from './support/database.js';
import { freePort, startTestGateway } from './support/gateway.js';
import { spawnGateway, type GatewayProcess } from './support/gateway-process.js';
import { APP_ORIGIN, appRedirectUri, connectViaFinishAuth as connectService } from './support/connect.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;
const SF_CLIENT_ID = 'latchkey-multi-instance-client';
const SF_CLIENT_SECRET = `sf-secret-${randomBytes(16).toString('hex')}`;
const keyring = createKeyring(Buffer.from(ENCRYPTION_KEY, 'base64'), []);

let github: FakeGitHub;
let salesforce: AuthorizationServer;
let providerEnv: Record<string, string>;
const processes: GatewayProcess[] = [];
const databases: TestDatabase[] = [];

beforeAll(async () => {
  github = await startFakeGitHub();
  salesforce = await startAuthorizationServer({
    clients: [{ clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET, redirectUris: [appRedirectUri('SALESFORCE')] }],
  });
  providerEnv = {
    ...github.appEnv,
    ...salesforce.salesforceEnv(),
    LATCHKEY_SALESFORCE_CLIENT_ID: SF_CLIENT_ID,
    LATCHKEY_SALESFORCE_CLIENT_SECRET: SF_CLIENT_SECRET,
  };
});

afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  for (const database of databases) await database.cleanup();
  await stopSharedPostgres();
  await github?.close();
  await salesforce?.close();
});

/** The environment every instance shares, as behind a load balancer. */
function instanceEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...providerEnv,
    DATABASE_URL: databaseUrl,
    LATCHKEY_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LATCHKEY_LOG_LEVEL: 'info',
    ...extra,
  };
}

async function start(env: Record<string, string>): Promise<GatewayProcess> {
  const child = await spawnGateway({ LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
  processes.push(child);
  return child;
}

/** A short-lived client: SQLite must not be held open while another process migrates it. */
async function withDatabase<T>(url: string, use: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(url);
  try {
    return await use(db);
  } finally {
    await db.$disconnect();
  }
}

const accessTokenOf = (row: { id: string; accessToken: string | null }) =>
  decryptSecret(keyring, row.accessToken!, secretContext('Connection', 'accessToken', row.id));

describe('two gateway processes on one PostgreSQL', () => {
  it('refresh an expired token exactly once for 50 concurrent readers split across both', { timeout: 120_000 }, async () => {
    // Not migrated: both instances migrate it at start, at the same time.
    const database = await createTestDatabase('postgresql', { migrate: false });
    databases.push(database);
    const publicUrl = `http://127.0.0.1:${await freePort()}`;
    const env = instanceEnv(database.url, { LATCHKEY_PUBLIC_URL: publicUrl });
    const [first, second] = await Promise.all([start(env), start(env)]);

    const created = await first.gql('mutation { createSite(input: { name: "Balanced", allowedOrigins: ["http://app.test:3000"] }) { siteToken site { id } } }', undefined, ADMIN_TOKEN);
    const siteToken: string = created.body.data.createSite.siteToken;
    const siteId: string = created.body.data.createSite.site.id;
    await connectService(second.gql, siteToken, 'GITHUB');
    const before = await database.db.connection.findFirstOrThrow({ where: { siteId, service: 'GITHUB' } });
    await database.db.connection.update({ where: { id: before.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });

    const refreshesBefore = github.state.refreshRequests;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (index % 2 === 0 ? first : second).gql('{ secrets { github { isLoggedIn bearerToken status } } }', undefined, siteToken),
      ),
    );

    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    for (const result of results) expect(result.body.errors).toBeUndefined();
    const handedOut = new Set(results.map((result) => result.body.data.secrets.github.bearerToken));
    expect(handedOut.size).toBe(1);
    const [token] = [...handedOut];
    expect(token).toBe(github.state.lastToken!.accessToken);
    expect(token).not.toBe(accessTokenOf(before));

    const after = await database.db.connection.findFirstOrThrow({ where: { id: before.id } });
    expect(after).toMatchObject({ status: 'ACTIVE', refreshLockOwner: null, refreshLockedUntil: null, refreshFailures: 0, version: before.version + 1 });
    expect(accessTokenOf(after)).toBe(token);

    const output = first.output() + second.output();
    for (const secret of [github.clientSecret, ...github.state.issuedTokens.flatMap((issued) => [issued.accessToken, issued.refreshToken ?? ''])].filter(Boolean)) {
      expect(output).not.toContain(secret);
    }
  });
});

describe('two gateway processes on one SQLite file', () => {
  it('share it safely: an expired token is refreshed exactly once for readers on both', { timeout: 120_000 }, async () => {
    // Migrated before: an up-to-date file is opened without the schema engine's exclusive lock.
    const database = await createTestDatabase('sqlite', { migrate: true });
    databases.push(database);
    const env = instanceEnv(database.url, { LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${await freePort()}` });
    const [first, second] = await Promise.all([start(env), start(env)]);
    const created = await first.gql('mutation { createSite(input: { name: "Shared file", allowedOrigins: ["http://app.test:3000"] }) { siteToken site { id } } }', undefined, ADMIN_TOKEN);
    const siteToken: string = created.body.data.createSite.siteToken;
    const siteId: string = created.body.data.createSite.site.id;
    await connectService(second.gql, siteToken, 'GITHUB');
    await withDatabase(database.url, (db) => db.connection.updateMany({ where: { siteId, service: 'GITHUB' }, data: { expiresAt: new Date(Date.now() - 60_000) } }));
    const refreshesBefore = github.state.refreshRequests;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).gql('{ secrets { github { bearerToken } } }', undefined, siteToken)),
    );
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    for (const result of results) expect(result.body.errors).toBeUndefined();
    expect(new Set(results.map((result) => result.body.data.secrets.github.bearerToken)).size).toBe(1);
  });
});

describe('a gateway killed between the provider answer and the database write', () => {
  /**
   * Connects `service` through an in-process gateway, expires its token, then lets a gateway process
   * that dies right after the provider's refresh answer serve a read.
   */
  async function crashDuringRefresh(service: 'GITHUB' | 'SALESFORCE') {
    const database = await createTestDatabase();
    databases.push(database);
    const setup = await startTestGateway(instanceEnv(database.url, { LATCHKEY_SWEEP_INTERVAL_SECONDS: '0' }), { databaseUrl: database.url });
    let site: { siteId: string; token: string };
    try {
      site = await setup.createSite(`${service} crash`, [APP_ORIGIN]);
      await connectService(setup.gql, site.token, service, service === 'SALESFORCE' ? (url) => salesforce.authorize(url) : undefined);
      await setup.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    } finally {
      await setup.close();
    }
    const before = await withDatabase(database.url, (db) => db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service } }));

    const crashing = await start(
      instanceEnv(database.url, { LATCHKEY_TEST_CRASH_AFTER_REFRESH_RESPONSE: '1', LATCHKEY_PROVIDER_TIMEOUT_SECONDS: '1', LATCHKEY_SWEEP_INTERVAL_SECONDS: '0' }),
    );
    const field = service === 'GITHUB' ? 'github' : 'salesforce';
    await expect(crashing.gql(`{ secrets { ${field} { bearerToken } } }`, undefined, site.token)).rejects.toThrow();
    expect(await crashing.exited).toMatchObject({ signal: 'SIGKILL' });

    // The provider answered, nothing was stored, and the dead instance's lease is still running.
    const crashed = await withDatabase(database.url, (db) => db.connection.findFirstOrThrow({ where: { id: before.id } }));
    expect(crashed).toMatchObject({ status: 'REFRESHING', version: before.version, accessToken: before.accessToken, refreshToken: before.refreshToken });
    expect(crashed.refreshLockOwner).not.toBeNull();
    expect(crashed.refreshLockedUntil!.getTime()).toBeGreaterThan(Date.now());

    // The next instance waits out the dead lease, then takes over.
    const next = await startTestGateway(instanceEnv(database.url, { LATCHKEY_SWEEP_INTERVAL_SECONDS: '0' }), { databaseUrl: database.url });
    try {
      const read = await next.gql(`{ secrets { ${field} { isLoggedIn bearerToken status lastError refreshFailures } } }`, undefined, site.token);
      const row = await next.gateway.db.connection.findFirstOrThrow({ where: { id: before.id } });
      return { before, secret: read.body.data.secrets[field], errors: read.body.errors ?? [], row, logs: next.logs.join('\n') + crashing.output() };
    } finally {
      await next.close();
    }
  }

  it('marks the connection NEEDS_REAUTH when the refresh token rotated away in the crash (GitHub)', { timeout: 120_000 }, async () => {
    const refreshesBefore = github.state.refreshRequests;
    const { secret, errors, row, logs } = await crashDuringRefresh('GITHUB');
    // The crashed instance's refresh and the next instance's attempt with the burnt token.
    expect(github.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(errors).toEqual([]);
    expect(secret).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH', refreshFailures: 1 });
    expect(secret.lastError).toContain('bad_refresh_token');
    expect(row).toMatchObject({ status: 'NEEDS_REAUTH', refreshLockOwner: null, refreshLockedUntil: null });
    for (const issued of github.state.issuedTokens) {
      expect(logs).not.toContain(issued.accessToken);
      if (issued.refreshToken) expect(logs).not.toContain(issued.refreshToken);
    }
  });

  it('refreshes again when the refresh token survives the crash (Salesforce without rotation)', { timeout: 120_000 }, async () => {
    const refreshesBefore = salesforce.state.refreshRequests;
    const { before, secret, errors, row } = await crashDuringRefresh('SALESFORCE');
    expect(salesforce.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(errors).toEqual([]);
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    expect(secret.bearerToken).not.toBe(accessTokenOf(before));
    expect(row).toMatchObject({ status: 'ACTIVE', refreshLockOwner: null, refreshLockedUntil: null, version: before.version + 1 });
    // The token handed out is one the server honours.
    const identity = await fetch(`${salesforce.issuer}/id/${ORGANIZATION_ID}/${DEFAULT_ACCOUNT_ID}`, { headers: { authorization: `Bearer ${secret.bearerToken}` } });
    expect(identity.status).toBe(200);
  });
});
