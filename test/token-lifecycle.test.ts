// Token lifecycle under faults, over real HTTP against the provider fakes: one refresh rule for
// short-lived tokens, readers that never wait while a valid token exists (two gateway instances on
// one database, a provider that hangs on refresh), and bounded waits for expired tokens.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { createTestDatabase, stopSharedPostgres, type TestDatabase } from './support/database.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { APP_ORIGIN, connectViaFinishAuth as connectService } from './support/connect.js';
import { createRefreshSweeper } from '../src/connections/refresh-sweeper.js';

let github: FakeGitHub;
let spotify: FakeSpotify;
let database: TestDatabase;
/** Two instances on one database, as behind a load balancer. */
let first: TestGateway;
let second: TestGateway;

beforeAll(async () => {
  github = await startFakeGitHub();
  spotify = await startFakeSpotify();
  database = await createTestDatabase();
  const shared = {
    ...github.appEnv,
    ...spotify.appEnv,
    LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LATCHKEY_SWEEP_INTERVAL_SECONDS: '0',
    LATCHKEY_PROVIDER_TIMEOUT_SECONDS: '5',
  };
  first = await startTestGateway(shared, { databaseUrl: database.url });
  second = await startTestGateway(shared, { databaseUrl: database.url });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await database?.cleanup();
  await stopSharedPostgres();
  await github?.close();
  await spotify?.close();
});

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000);

async function connectedSite(service: 'GITHUB' | 'SPOTIFY') {
  const site = await first.createSite(`${service} lifecycle`, [APP_ORIGIN]);
  await connectService(first.gql, site.token, service);
  const row = () => database.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service } });
  const update = (data: Parameters<TestDatabase['db']['connection']['updateMany']>[0]['data']) =>
    database.db.connection.updateMany({ where: { siteId: site.siteId, service }, data });
  const field = service === 'GITHUB' ? 'github' : 'spotify';
  const read = async (on: TestGateway = first) => {
    const result = await on.gql(`{ secrets { ${field} { isLoggedIn bearerToken status expiresAt lastError } } }`, undefined, site.token);
    return { secret: result.body.data?.secrets[field], errors: result.body.errors ?? [] };
  };
  return { ...site, row, update, read };
}

describe('one refresh rule for short-lived tokens', () => {
  it('does not refresh a 60-second Spotify token on every read (10 reads, no refresh)', async () => {
    spotify.state.accessTokenLifetimeSeconds = 60;
    try {
      const site = await connectedSite('SPOTIFY');
      const issued = spotify.state.lastToken!.accessToken;
      const refreshesBefore = spotify.state.refreshRequests;
      for (let index = 0; index < 10; index += 1) {
        const { secret, errors } = await site.read();
        expect(errors).toEqual([]);
        expect(secret.bearerToken).toBe(issued);
      }
      expect(spotify.state.refreshRequests).toBe(refreshesBefore);
    } finally {
      spotify.state.accessTokenLifetimeSeconds = undefined;
    }
  });

  // 15 s, far below the 300 s refresh buffer, is what makes it "short-lived"; shorter lifetimes made
  // the second round of reads land in the new token's last fifth on a loaded machine.
  it('refreshes an expired 15-second token once for 20 concurrent reads on two instances, then not again for that expiry', async () => {
    spotify.state.accessTokenLifetimeSeconds = 15;
    try {
      const site = await connectedSite('SPOTIFY');
      await site.update({ expiresAt: inSeconds(-1) });
      const refreshesBefore = spotify.state.refreshRequests;
      const reads = await Promise.all(Array.from({ length: 20 }, (_, index) => site.read(index % 2 === 0 ? first : second)));
      for (const { errors } of reads) expect(errors).toEqual([]);
      expect(spotify.state.refreshRequests).toBe(refreshesBefore + 1);
      const handedOut = new Set(reads.map(({ secret }) => secret.bearerToken));
      expect([...handedOut]).toEqual([spotify.state.lastToken!.accessToken]);

      // The new token lives 15 s: reads right after it was issued use it as it is.
      const again = await Promise.all(Array.from({ length: 20 }, (_, index) => site.read(index % 2 === 0 ? first : second)));
      for (const { secret } of again) expect(secret.bearerToken).toBe(spotify.state.lastToken!.accessToken);
      expect(spotify.state.refreshRequests).toBe(refreshesBefore + 1);
    } finally {
      spotify.state.accessTokenLifetimeSeconds = undefined;
    }
  });
});

describe('readers never wait while a valid token exists', () => {
  it('hands out the stored token at once on both instances while a refresh hangs at the provider', async () => {
    const site = await connectedSite('GITHUB');
    const issued = github.state.lastToken!.accessToken;
    // 200 s left of an 8-hour token: inside GitHub's 300 s buffer, so a read starts a refresh.
    await site.update({ expiresAt: inSeconds(200), tokenIssuedAt: inSeconds(-28_600) });
    github.state.hangNextTokenRequest();
    const refreshesBefore = github.state.refreshRequests;

    const onFirst = await site.read(first);
    const onSecond = await site.read(second);

    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(onFirst.errors).toEqual([]);
    expect(onSecond.errors).toEqual([]);
    expect(onFirst.secret).toMatchObject({ bearerToken: issued, lastError: null });
    expect(onSecond.secret).toMatchObject({ bearerToken: issued, lastError: null });
    // Both reads answered while the refresh still hangs (no timeout recorded, the first instance
    // still holds the lease): neither waited for the provider.
    expect((await site.row()).refreshLockOwner).toBe(first.gateway.services.refresher.instanceId);
  });

  it('makes a reader of an expired token wait for the holder, bounded, then answers UPSTREAM_ERROR with retryAt', async () => {
    const site = await connectedSite('GITHUB');
    await site.update({ expiresAt: inSeconds(-5) });
    github.state.hangNextTokenRequest();
    const refreshesBefore = github.state.refreshRequests;
    const [onFirst, onSecond] = await Promise.all([site.read(first), new Promise((resolve) => setTimeout(resolve, 300)).then(() => site.read(second))]);
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    for (const read of [onFirst, onSecond]) {
      expect(read.secret).toMatchObject({ isLoggedIn: true, bearerToken: null, status: 'ACTIVE' });
      expect(read.errors).toHaveLength(1);
      expect(read.errors[0]!.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'GITHUB' });
      expect(Date.parse(read.errors[0]!.extensions!.retryAt)).toBeGreaterThan(Date.now() - 1000);
    }
  });
});

describe('a provider that keeps rejecting fresh tokens', () => {
  it('refreshes once, records it on the connection, backs off, and gives the same answer every time', async () => {
    const site = await connectedSite('GITHUB');
    github.state.rejectEveryToken = true;
    try {
      const refreshesBefore = github.state.refreshRequests;
      const answers = [];
      for (let index = 0; index < 4; index += 1) {
        const result = await (index % 2 === 0 ? first : second).gql('{ github { viewer { login } } }', undefined, site.token);
        answers.push(result.body.errors?.[0]);
      }
      // One forced refresh; its new token was rejected too, and nothing refreshes again meanwhile.
      expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
      for (const answer of answers) {
        expect(answer?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 401 });
        expect(answer?.message).toBe(answers[0]!.message);
      }
      expect(answers[0]!.message).toContain('rejected a freshly refreshed token');

      const row = await site.row();
      expect(row).toMatchObject({ status: 'ACTIVE', refreshFailures: 1 });
      expect(row.lastError).toContain('rejected a freshly refreshed token');
      expect(row.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
      // secrets still hands the token out, but says it was seen rejected.
      const { secret } = await site.read(second);
      expect(secret.bearerToken).toBe(github.state.lastToken!.accessToken);
      expect(secret.lastError).toContain('rejected a freshly refreshed token');
    } finally {
      github.state.rejectEveryToken = false;
    }
  });
});

describe('provider and internal error detail', () => {
  it("records the provider's OAuth error code from a 503 body, not 'unexpected body'", async () => {
    const site = await connectedSite('SPOTIFY');
    await site.update({ expiresAt: inSeconds(-5) });
    spotify.state.errorNextTokenRequest('temporarily_unavailable', 'Down for maintenance.', 503);
    const { secret, errors } = await site.read();
    expect(errors[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 503 });
    expect(errors[0]!.message).toContain('temporarily_unavailable');
    expect(secret.lastError).toContain('temporarily_unavailable');
    expect(secret.lastError).not.toContain('unexpected body');
    const event = await database.db.auditEvent.findFirst({ where: { type: 'token.refresh_failed', siteId: site.siteId }, orderBy: { createdAt: 'desc' } });
    expect(event?.detail).toMatchObject({ error: 'temporarily_unavailable', kind: 'transient' });
  });

  it('logs the class, code and message of an internal error, without secrets', async () => {
    const own = await startTestGateway({ LATCHKEY_SWEEP_INTERVAL_SECONDS: '0' });
    try {
      const site = await own.createSite('Broken database', [APP_ORIGIN]);
      // A table missing under a running gateway (a botched manual migration, say).
      await own.gateway.db.$executeRawUnsafe(own.databaseUrl.startsWith('file:') ? 'DROP TABLE "Connection"' : 'DROP TABLE "Connection" CASCADE');
      const result = await own.gql('{ secrets { github { isLoggedIn } } }', undefined, site.token);
      expect(result.body.errors?.[0]?.message).toBe('Unexpected error.');
      const line = own.logs.map((entry) => JSON.parse(entry)).find((entry) => entry.message === 'unexpected error');
      expect(line).toMatchObject({ errorClass: 'PrismaClientKnownRequestError', errorCode: 'P2021' });
      expect(line.errorMessage).toContain('Connection');
      expect(own.logs.join('\n')).not.toContain(site.token);
    } finally {
      await own.close();
    }
  });
});

describe('the sweeper shares the work between instances', () => {
  // Two instances in one process on one SQLite file would block each other's event loop on the
  // file lock; instances share PostgreSQL in production, so this runs on PostgreSQL.
  it('refreshes each due connection exactly once with two instances on PostgreSQL sweeping at once, both doing part of it', { timeout: 120_000 }, async () => {
    const postgres = await createTestDatabase('postgresql');
    const env = { ...spotify.appEnv, LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LATCHKEY_SWEEP_INTERVAL_SECONDS: '0' };
    const a = await startTestGateway(env, { databaseUrl: postgres.url });
    const b = await startTestGateway(env, { databaseUrl: postgres.url });
    try {
      const site = await a.createSite('Sweep partition', [APP_ORIGIN]);
      await connectService(a.gql, site.token, 'SPOTIFY');
      const { store } = a.gateway.services;
      const own = await postgres.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service: 'SPOTIFY' } });
      const refreshToken = store.refreshTokenOf(own)!;
      // 40 end-user connections of one site, all expiring within the look-ahead; Spotify keeps
      // refresh tokens, so they may share the one the fake issued.
      const ids: string[] = [];
      for (let index = 0; index < 40; index += 1) {
        const saved = await store.saveAuthorized(
          { siteId: site.siteId, ownerType: 'END_USER', ownerId: `sweep-user-${index}` },
          'SPOTIFY',
          { accessToken: `seeded-${index}`, refreshToken, tokenType: 'Bearer', expiresAt: inSeconds(30 + index), grantedScopes: [], providerData: {}, response: {} },
          null,
        );
        ids.push(saved.id);
      }
      const versions = new Map((await postgres.db.connection.findMany({ where: { id: { in: ids } } })).map((row) => [row.id, row.version]));
      const refreshesBefore = spotify.state.refreshRequests;
      const sweeperOf = (on: TestGateway) => createRefreshSweeper(on.gateway.services, { intervalSeconds: 0, lookAheadSeconds: 120, concurrency: 4 });
      const [byA, byB] = await Promise.all([sweeperOf(a).sweep(), sweeperOf(b).sweep()]);

      expect([...a.logs, ...b.logs].filter((line) => line.includes('could not refresh'))).toEqual([]);
      expect(byA + byB).toBe(40);
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);
      expect(spotify.state.refreshRequests - refreshesBefore).toBe(40);
      const after = await postgres.db.connection.findMany({ where: { id: { in: ids } } });
      for (const row of after) {
        expect(row).toMatchObject({ status: 'ACTIVE', version: versions.get(row.id)! + 1, refreshLockOwner: null });
        expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 600_000);
      }
    } finally {
      await a.close();
      await b.close();
      await postgres.cleanup();
    }
  });
});
