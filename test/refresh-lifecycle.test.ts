// The token refresh lifecycle against the GitHub and Spotify fakes and oidc-provider (standing in
// for Salesforce), over real HTTP and a real database: the expiry buffer, back-off on transient
// failures, NEEDS_REAUTH, kept and rotated refresh tokens, the lease, the sweeper and forceRefresh.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { startAuthorizationServer, type AuthorizationServer } from './support/authorization-server.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { createRefreshSweeper } from '../src/connections/refresh-sweeper.js';
import { APP_ORIGIN, appRedirectUri, connectViaFinishAuth as connectService } from './support/connect.js';

const SF_CLIENT_ID = 'latchkey-refresh-test-client';
const SF_CLIENT_SECRET = 'refresh-test-client-secret-0123456789';
const HEALTH = 'isLoggedIn bearerToken status expiresAt lastRefreshedAt refreshFailures lastError';
type Service = 'GITHUB' | 'SPOTIFY' | 'SALESFORCE';
const field = { GITHUB: 'github', SPOTIFY: 'spotify', SALESFORCE: 'salesforce' } as const;

let github: FakeGitHub;
let spotify: FakeSpotify;
let salesforce: AuthorizationServer;
let gateway: TestGateway;
let providerEnv: Record<string, string>;

beforeAll(async () => {
  github = await startFakeGitHub();
  spotify = await startFakeSpotify();
  salesforce = await startAuthorizationServer({
    clients: [{ clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET, redirectUris: [appRedirectUri('SALESFORCE')] }],
  });
  providerEnv = {
    ...github.appEnv,
    ...spotify.appEnv,
    ...salesforce.salesforceEnv(),
    LATCHKEY_SALESFORCE_CLIENT_ID: SF_CLIENT_ID,
    LATCHKEY_SALESFORCE_CLIENT_SECRET: SF_CLIENT_SECRET,
  };
  gateway = await startTestGateway({ ...providerEnv, LATCHKEY_SWEEP_INTERVAL_SECONDS: '0', LATCHKEY_FORCED_REFRESH_INTERVAL_SECONDS: '30' });
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
  await spotify?.close();
  await salesforce?.close();
});

/** A new site connected to `service`, so every test starts from its own fresh connection. */
async function connectedSite(service: Service, on: TestGateway = gateway) {
  const site = await on.createSite(`${service} refresh`, [APP_ORIGIN]);
  const approve = service === 'SALESFORCE' ? (url: string) => salesforce.authorize(url) : undefined;
  await connectService(on.gql, site.token, service, approve);
  const db = on.gateway.db;
  const row = () => db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service } });
  /** Changes the row behind the gateway's back (time passing, another instance), then drops its cached copy. */
  const update = async (data: Parameters<typeof db.connection.updateMany>[0]['data']) => {
    await db.connection.updateMany({ where: { siteId: site.siteId, service }, data });
    on.gateway.services.connections.invalidate(site.siteId);
  };
  const read = async () => {
    const result = await on.gql(`{ secrets { ${field[service]} { ${HEALTH} } } }`, undefined, site.token);
    return { secret: result.body.data.secrets[field[service]], errors: result.body.errors ?? [] };
  };
  return { ...site, row, update, read };
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000);
/** The gateway's connection store, to read the stored (decrypted) tokens. */
const tokens = () => gateway.gateway.services.store;

describe('refresh before handing out', () => {
  it('refreshes a token that expires within the provider buffer, and leaves one outside it alone', async () => {
    const site = await connectedSite('GITHUB');
    const issued = github.state.lastToken!.accessToken;

    await site.update({ expiresAt: inSeconds(3600) });
    const refreshesBefore = github.state.refreshRequests;
    expect((await site.read()).secret.bearerToken).toBe(issued);
    expect(github.state.refreshRequests).toBe(refreshesBefore);

    // Still valid for a minute, but inside GitHub's 300 s buffer: refreshed before it is handed out.
    await site.update({ expiresAt: inSeconds(60), tokenIssuedAt: inSeconds(-28_740) });
    const { secret, errors } = await site.read();
    expect(errors).toEqual([]);
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(secret.bearerToken).toBe(github.state.lastToken!.accessToken);
    expect(secret.bearerToken).not.toBe(issued);
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    expect(secret.lastRefreshedAt).not.toBeNull();
    expect(new Date(secret.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3600_000);
  });
});

describe('transient failures back off without changing the connection', () => {
  it('answers UPSTREAM_ERROR for an expired token after a 500, keeps it ACTIVE, waits out the back-off, then recovers', async () => {
    const site = await connectedSite('GITHUB');
    await site.update({ expiresAt: inSeconds(-60) });
    github.state.failNextTokenRequest(500);
    const before = Date.now();
    const refreshesBefore = github.state.refreshRequests;
    const failed = await site.read();
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(failed.secret).toMatchObject({ isLoggedIn: true, bearerToken: null, status: 'ACTIVE', refreshFailures: 1 });
    expect(failed.secret.lastError).toContain('500');
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ path: ['secrets', 'github', 'bearerToken'], extensions: { code: 'UPSTREAM_ERROR' } });
    expect(failed.errors[0]!.message).toMatch(/retries after .*Try again/);
    const backingOff = await site.row();
    expect(backingOff.nextRefreshAt!.getTime()).toBeGreaterThanOrEqual(before + 2500);
    expect(backingOff.refreshLockedUntil).toBeNull();

    // During the back-off a read does not ask GitHub again.
    const again = await site.read();
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(again.errors[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(again.secret.isLoggedIn).toBe(true);

    // Once it ran out, the next read refreshes and clears the failure record.
    await site.update({ nextRefreshAt: inSeconds(-1) });
    const recovered = await site.read();
    expect(recovered.errors).toEqual([]);
    expect(recovered.secret).toMatchObject({ status: 'ACTIVE', refreshFailures: 0, lastError: null, bearerToken: github.state.lastToken!.accessToken });
    expect((await site.row()).nextRefreshAt).toBeNull();
    const event = await gateway.gateway.db.auditEvent.findFirst({
      where: { type: 'token.refreshed', connectionId: backingOff.id },
      orderBy: { createdAt: 'desc' },
    });
    expect(event?.detail).toMatchObject({ previousFailures: 1 });
  });

  it('hands out the still-valid token when a refresh inside the buffer fails', async () => {
    const site = await connectedSite('GITHUB');
    const issued = github.state.lastToken!.accessToken;
    await site.update({ expiresAt: inSeconds(120), tokenIssuedAt: inSeconds(-28_680) });
    github.state.failNextTokenRequest(502);
    const { secret, errors } = await site.read();
    expect(errors).toEqual([]);
    expect(secret).toMatchObject({ isLoggedIn: true, bearerToken: issued, status: 'ACTIVE', refreshFailures: 1 });
  });

  it('treats a token endpoint that never answers as transient', async () => {
    const site = await connectedSite('GITHUB');
    await site.update({ expiresAt: inSeconds(-60) });
    github.state.hangNextTokenRequest();
    const failed = await site.read();
    expect(failed.errors[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(failed.secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 1 });
    expect(failed.secret.lastError).toContain('timeout');

    await site.update({ nextRefreshAt: inSeconds(-1) });
    const recovered = await site.read();
    expect(recovered.secret).toMatchObject({ refreshFailures: 0, lastError: null, bearerToken: github.state.lastToken!.accessToken });
  });

  it("honours a 429's Retry-After and otherwise backs off exponentially", async () => {
    const site = await connectedSite('SALESFORCE');
    await site.update({ expiresAt: inSeconds(-60) });
    // oidc-provider answers 429 with Retry-After: 1.
    salesforce.failNextTokenRequests(1, 429);
    let before = Date.now();
    const limited = await site.read();
    let after = Date.now();
    expect(limited.errors[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 429 });
    expect(limited.secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 1 });
    let row = await site.row();
    expect(row.nextRefreshAt!.getTime()).toBeGreaterThanOrEqual(before + 1000);
    expect(row.nextRefreshAt!.getTime()).toBeLessThanOrEqual(after + 1000);
    expect(limited.errors[0]?.extensions?.retryAt).toBe(row.nextRefreshAt!.toISOString());

    // A 500 without Retry-After: the second failure in a row waits 5 to 10 s.
    await site.update({ nextRefreshAt: inSeconds(-1) });
    salesforce.failNextTokenRequests(1, 500);
    before = Date.now();
    await site.read();
    after = Date.now();
    row = await site.row();
    expect(row.refreshFailures).toBe(2);
    expect(row.nextRefreshAt!.getTime()).toBeGreaterThanOrEqual(before + 5000);
    expect(row.nextRefreshAt!.getTime()).toBeLessThanOrEqual(after + 10_000);

    await site.update({ nextRefreshAt: inSeconds(-1) });
    const recovered = await site.read();
    expect(recovered.errors).toEqual([]);
    expect(recovered.secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', refreshFailures: 0, lastError: null });
    expect(recovered.secret.bearerToken).toBe(tokens().accessTokenOf(await site.row()));
  });
});

describe('refusals and refresh tokens', () => {
  it('marks the connection NEEDS_REAUTH with the reason when Spotify answers invalid_grant', async () => {
    const site = await connectedSite('SPOTIFY');
    spotify.state.invalidateAllRefreshTokens();
    await site.update({ expiresAt: inSeconds(-60) });
    const { secret, errors } = await site.read();
    expect(errors).toEqual([]);
    expect(secret).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH', refreshFailures: 1 });
    expect(secret.lastError).toContain('Spotify refused the refresh token (invalid_grant)');

    // Final until the user connects again: no more refresh requests.
    const refreshesBefore = spotify.state.refreshRequests;
    expect((await site.read()).secret.status).toBe('NEEDS_REAUTH');
    expect(spotify.state.refreshRequests).toBe(refreshesBefore);
  });

  it('keeps the old refresh token when the refresh answer has none', async () => {
    spotify.state.omitRefreshTokenOnRefresh = true;
    const site = await connectedSite('SPOTIFY');
    const original = tokens().refreshTokenOf(await site.row());
    await site.update({ expiresAt: inSeconds(-60) });
    const first = await site.read();
    expect(first.secret.bearerToken).toBe(spotify.state.lastToken!.accessToken);
    expect(tokens().refreshTokenOf(await site.row())).toBe(original);

    // The kept refresh token still works for the next refresh.
    await site.update({ expiresAt: inSeconds(-60) });
    const second = await site.read();
    expect(second.errors).toEqual([]);
    expect(second.secret.bearerToken).toBe(spotify.state.lastToken!.accessToken);
    expect(second.secret.bearerToken).not.toBe(first.secret.bearerToken);
  });

  it('stores a rotated refresh token with its access token in one write that also ends the lease', async () => {
    const site = await connectedSite('GITHUB');
    const before = await site.row();
    const oldRefreshToken = tokens().refreshTokenOf(before)!;
    await site.update({ expiresAt: inSeconds(-60) });
    await site.read();
    const after = await site.row();
    const issued = github.state.lastToken!;
    expect(tokens().accessTokenOf(after)).toBe(issued.accessToken);
    expect(tokens().refreshTokenOf(after)).toBe(issued.refreshToken);
    expect(issued.refreshToken).not.toBe(oldRefreshToken);
    expect(github.state.findByRefreshToken(oldRefreshToken)!.refreshActive).toBe(false);
    expect(after.version).toBe(before.version + 1);
    expect(after).toMatchObject({ status: 'ACTIVE', refreshLockedUntil: null, refreshLockOwner: null });
  });
});

describe('the refresh lease', () => {
  it('takes over a lease whose holder died, and leaves no lease behind', async () => {
    const site = await connectedSite('GITHUB');
    await site.update({ expiresAt: inSeconds(-60), status: 'REFRESHING', refreshLockOwner: 'a-dead-instance', refreshLockedUntil: inSeconds(-1) });
    const { secret, errors } = await site.read();
    expect(errors).toEqual([]);
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', bearerToken: github.state.lastToken!.accessToken });
    expect(await site.row()).toMatchObject({ refreshLockedUntil: null, refreshLockOwner: null });
  });

  it('waits for a live lease and uses the token its holder stores, without asking the provider', async () => {
    const site = await connectedSite('GITHUB');
    await site.update({ expiresAt: inSeconds(-60), status: 'REFRESHING', refreshLockOwner: 'another-instance', refreshLockedUntil: inSeconds(6) });
    const refreshesBefore = github.state.refreshRequests;
    const reading = site.read();
    // The other instance stores its refreshed tokens while the reader waits.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = await site.row();
    const stored = await tokens().saveRefreshed(held, {
      accessToken: 'ghu_stored_by_the_other_instance',
      refreshToken: 'ghr_stored_by_the_other_instance',
      tokenType: 'bearer',
      expiresAt: inSeconds(28_800),
      grantedScopes: [],
      providerData: {},
      response: {},
    });
    expect(stored).not.toBeNull();
    const { secret, errors } = await reading;
    expect(errors).toEqual([]);
    expect(secret).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', bearerToken: 'ghu_stored_by_the_other_instance' });
    expect(github.state.refreshRequests).toBe(refreshesBefore);
  });

  // A waiter that polled just before the holder recorded its failure must not lease the changed
  // row: the holder reads its row back after writing it, and would answer REFRESHING.
  it('is not taken on a row changed since the taker read it, so a holder that recorded a failure reads back ACTIVE', async () => {
    const site = await connectedSite('GITHUB');
    const store = gateway.gateway.services.store;
    const seenByWaiter = await site.row();
    expect(await store.acquireRefreshLease(seenByWaiter, 'the-holder', 10_000)).toBe(true);
    const recorded = await store.markRefreshFailed(await site.row(), 'ACTIVE', 'timeout: the provider did not answer', { nextRefreshAt: inSeconds(30) });
    expect(recorded).toMatchObject({ status: 'ACTIVE', version: seenByWaiter.version + 1 });

    expect(await store.acquireRefreshLease(seenByWaiter, 'the-waiter', 10_000)).toBe(false);
    expect(await site.row()).toMatchObject({ status: 'ACTIVE', refreshLockOwner: null, version: seenByWaiter.version + 1 });
    // On the version as it is now, the lease is free to take.
    expect(await store.acquireRefreshLease(recorded!, 'the-waiter', 10_000)).toBe(true);
  });
});

describe('the sweeper', () => {
  it('refreshes a connection nearing expiry without any read, and leaves the others alone', async () => {
    const sweeping = await startTestGateway({ ...providerEnv, LATCHKEY_SWEEP_INTERVAL_SECONDS: '1' });
    try {
      const due = await connectedSite('GITHUB', sweeping);
      const notDue = await connectedSite('GITHUB', sweeping);
      const dueBefore = await due.row();
      const notDueBefore = await notDue.row();
      // Outside GitHub's 300 s read buffer, inside buffer + the default 120 s look-ahead.
      await due.update({ expiresAt: inSeconds(360), tokenIssuedAt: inSeconds(-28_440) });
      const deadline = Date.now() + 20_000;
      while ((await due.row()).version === dueBefore.version + 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const dueAfter = await due.row();
      expect(dueAfter.version).toBe(dueBefore.version + 1);
      expect(dueAfter).toMatchObject({ status: 'ACTIVE', refreshFailures: 0, refreshLockedUntil: null });
      expect(dueAfter.lastRefreshedAt).not.toBeNull();
      expect(dueAfter.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3600_000);
      const stored = sweeping.gateway.services.store.accessTokenOf(dueAfter)!;
      expect(github.state.findByAccessToken(stored)?.grant).toBe('refresh_token');
      expect((await notDue.row()).version).toBe(notDueBefore.version);
      expect(sweeping.logs.join('\n')).toContain('sweeper refreshed connections');
    } finally {
      await sweeping.close();
    }
  });
});

describe('a swept refresh', () => {
  it("uses its claim's lease: it neither takes the lease again nor re-reads the row, and has nothing to release after storing the tokens", async () => {
    const services = gateway.gateway.services;
    const due = await connectedSite('GITHUB');
    const before = await due.row();
    await due.update({ expiresAt: inSeconds(360), tokenIssuedAt: inSeconds(-28_440) });
    const acquire = vi.spyOn(services.store, 'acquireRefreshLease');
    const findById = vi.spyOn(services.store, 'findById');
    const release = vi.spyOn(services.store, 'releaseRefreshLease');
    try {
      const sweeper = createRefreshSweeper(services, { intervalSeconds: 0, lookAheadSeconds: 120, concurrency: 1 });
      await sweeper.sweep();
      const after = await due.row();
      expect(after.version).toBe(before.version + 1);
      expect(after).toMatchObject({ status: 'ACTIVE', refreshLockedUntil: null, refreshLockOwner: null });
      expect(github.state.findByAccessToken(services.store.accessTokenOf(after)!)?.grant).toBe('refresh_token');
      // Other tests' connections in this database may be due too: only this one's calls count.
      const callsFor = (spy: { mock: { calls: unknown[][] } }) =>
        spy.mock.calls.filter((call) => call[0] === before.id || (call[0] as { id?: string } | undefined)?.id === before.id);
      expect(callsFor(acquire)).toHaveLength(0);
      expect(callsFor(findById)).toHaveLength(0);
      expect(callsFor(release)).toHaveLength(0);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

describe('the sweeper shares each sweep between sites', () => {
  it('lets sites take turns (round-robin), so a site with many due connections cannot starve another, and refreshes all of them', async () => {
    const { db, store, logger } = gateway.gateway.services;
    const busy = await gateway.createSite('Busy site', []);
    const quiet = await gateway.createSite('Quiet site', []);
    // Client-credentials connections of custom services, all expiring within a minute; the busy
    // site's expire first, so in expiry order they would all go ahead of the quiet one.
    const soon = (seconds: number) => new Date(Date.now() + seconds * 1000);
    const rows = [
      ...Array.from({ length: 14 }, (_, index) => ({ siteId: busy.siteId, slug: `busy-${index}`, expiresAt: soon(10 + index) })),
      { siteId: quiet.siteId, slug: 'quiet', expiresAt: soon(50) },
    ];
    for (const row of rows) {
      await db.connection.create({
        data: {
          id: `conn_fair_${row.slug}`,
          siteId: row.siteId,
          service: `custom:${row.slug}`,
          grantType: 'CLIENT_CREDENTIALS',
          accessToken: 'not-read-by-this-test',
          expiresAt: row.expiresAt,
          grantedScopes: [],
        },
      });
    }
    const order: string[] = [];
    // The real sweeper and store (claims included); the refresher only records the order in which
    // the sweep hands it connections, and the lease each arrives with.
    const counting = {
      instanceId: 'fairness-test-instance',
      refresh: async (row: { id: string; siteId: string; refreshLockOwner: string | null }) => {
        expect(row.refreshLockOwner).toBe('fairness-test-instance');
        // Connections of earlier tests in this database may be due too; only these count here.
        if (row.id.startsWith('conn_fair_')) order.push(row.siteId);
        return row;
      },
    } as unknown as Parameters<typeof createRefreshSweeper>[0]['refresher'];
    const sweeper = createRefreshSweeper({ store, refresher: counting, logger }, { intervalSeconds: 0, lookAheadSeconds: 120, concurrency: 1 });
    await sweeper.sweep();
    expect(order).toHaveLength(15);
    // The quiet site's only connection comes second: right after the busy site's first.
    expect(order.indexOf(quiet.siteId)).toBe(1);
    // Every claim was given back.
    const leased = await db.connection.count({ where: { id: { startsWith: 'conn_fair_' }, refreshLockOwner: { not: null } } });
    expect(leased).toBe(0);
    await db.connection.deleteMany({ where: { id: { startsWith: 'conn_fair_' } } });
  });
});

describe('forceRefresh after a 401 from the provider', () => {
  it('refreshes a token that claims to be valid, at most once per interval', async () => {
    const site = await connectedSite('GITHUB');
    const { refresher } = gateway.gateway.services;
    const connected = await site.row();
    const refreshesBefore = github.state.refreshRequests;

    const forced = await refresher.forceRefresh(connected);
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);
    expect(forced.version).toBe(connected.version + 1);
    expect(tokens().accessTokenOf(forced)).toBe(github.state.lastToken!.accessToken);

    // The provider answers 401 again at once: no second refresh within the interval; the rejected
    // fresh token is recorded on the connection, which backs off.
    const throttled = await refresher.forceRefresh(forced);
    expect(tokens().accessTokenOf(throttled)).toBe(tokens().accessTokenOf(forced));
    expect(throttled).toMatchObject({ status: 'ACTIVE', refreshFailures: 1 });
    expect(throttled.lastError).toContain('rejected a freshly refreshed token');
    expect(throttled.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now() + 25_000);
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);

    // A caller holding the row from before the refresh gets the current one without another request.
    const stale = await refresher.forceRefresh(connected);
    expect(stale.version).toBe(throttled.version);
    expect(github.state.refreshRequests).toBe(refreshesBefore + 1);

    await site.update({ lastRefreshedAt: inSeconds(-31), nextRefreshAt: inSeconds(-1) });
    const later = await refresher.forceRefresh(await site.row());
    expect(github.state.refreshRequests).toBe(refreshesBefore + 2);
    expect(later).toMatchObject({ version: throttled.version + 1, refreshFailures: 0, lastError: null });
  });

  it('marks a connection that cannot be refreshed NEEDS_REAUTH', async () => {
    github.state.expiringTokens = false;
    let site;
    try {
      site = await connectedSite('GITHUB');
    } finally {
      github.state.expiringTokens = true;
    }
    const connected = await site.row();
    expect(connected.refreshToken).toBeNull();
    const after = await gateway.gateway.services.refresher.forceRefresh(connected);
    expect(after).toMatchObject({ status: 'NEEDS_REAUTH', lastError: 'the provider rejected the token (401)' });
    const { secret } = await site.read();
    expect(secret).toMatchObject({ isLoggedIn: false, bearerToken: null, status: 'NEEDS_REAUTH' });
  });
});

describe('secrets never leak', () => {
  it('keeps every token and client secret out of the logs', async () => {
    const secrets = [
      github.clientSecret,
      spotify.clientSecret,
      SF_CLIENT_SECRET,
      ...github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken ?? '']),
      ...spotify.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken]),
    ].filter(Boolean);
    const logText = gateway.logs.join('\n');
    for (const secret of secrets) expect(logText).not.toContain(secret);
  });
});
