// Hands out a currently valid access token, refreshing it first when it expires within the
// provider's buffer. Exactly one refresh per connection runs at a time: readers in this process
// share one promise, and gateway instances share a lease on the connection's row
// (refreshLockedUntil / refreshLockOwner, taken by one conditional update). Whoever does not hold
// the lease gets the stored token at once while it is still valid; only a reader whose token has
// expired waits (bounded) for the row to change and uses the token the holder stored. A holder that
// died leaves a lease that expires, and the next reader takes over.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../audit.js';
import { serviceLabel } from '../providers/custom.js';
import { refreshFactsOf } from '../registry/service-registry.js';
import type { ProviderDefinition, ServiceKey } from '../providers/types.js';
import { LatchkeyError, notFound, providerError, upstreamError } from '../errors.js';
import { OAuthFailure, refreshTokens } from '../oauth/grants.js';
import type { ProviderApps } from '../oauth/provider-apps.js';
import { grantedScopesOf, type ConnectionRow, type ConnectionStore } from './connection-store.js';
import { reRequestClientCredentials } from './client-credentials.js';
import { isDecryptionFailure } from '../crypto/key-health.js';
import { DecryptionError } from '../crypto/token-cipher.js';
import { noMetrics, type Metrics } from '../metrics/metrics.js';

/** Refresh this long before expiry unless the provider says otherwise (see refreshBufferMsOf for the cap). */
export const DEFAULT_REFRESH_BUFFER_MS = 300_000;
/** OAuth error codes after which only a new authorization helps. */
const REAUTH_ERRORS = new Set(['invalid_grant', 'unauthorized_client', 'invalid_scope']);
/** A lease outlasts the provider call by this much, for the database round trips around it. */
const LEASE_MARGIN_MS = 5_000;
/** Back-off after the first transient failure is 2.5 to 5 s, doubling per failure up to 15 min. */
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 15 * 60_000;
/** How a refresh that failed on an undecryptable stored secret is recorded in `lastError`. */
const KEY_UNAVAILABLE_REASON = 'KEY_UNAVAILABLE: a stored secret cannot be decrypted with the configured keys';
/** A provider's Retry-After is honoured up to this long. */
const RETRY_AFTER_MAX_MS = 60 * 60_000;
const POLL_FIRST_MS = 20;
/** How long a reader holding a still-valid token waits for the refresh it started itself. */
const VALID_TOKEN_WAIT_MS = 1_000;
const POLL_MAX_MS = 250;

export type RefreshConfig = Pick<Config, 'providerTimeoutSeconds' | 'forcedRefreshIntervalSeconds' | 'testCrashAfterRefreshResponse'>;

const defaultRefreshConfig: RefreshConfig = {
  providerTimeoutSeconds: 10,
  forcedRefreshIntervalSeconds: 60,
  testCrashAfterRefreshResponse: false,
};

export function refreshBufferMs(service: ServiceKey): number {
  const seconds = refreshFactsOf(service).refreshBufferSeconds;
  return seconds === undefined ? DEFAULT_REFRESH_BUFFER_MS : seconds * 1000;
}

export function isUsable(row: ConnectionRow): boolean {
  return (row.status === 'ACTIVE' || row.status === 'REFRESHING') && row.accessToken !== null;
}

/** The refresh buffer is at most this fraction of the token's lifetime, for every service. */
const BUFFER_LIFETIME_FRACTION = 1 / 5;

/**
 * How long before its expiry a connection's token is refreshed: the provider's buffer, but never
 * more than a fifth of the token's lifetime (catalog and custom services alike). Tokens may live
 * only minutes or seconds; with a buffer longer than their lifetime a token just issued would count
 * as expiring and be refreshed on every read. The floor (a second, or half a shorter lifetime)
 * keeps a token from being handed out moments before it expires, and still leaves a fresh token
 * outside its buffer, so a token refreshed a moment ago is never refreshed again for that expiry.
 */
export function refreshBufferMsOf(row: ConnectionRow): number {
  const buffer = refreshBufferMs(row.service as ServiceKey);
  if (row.expiresAt === null) return buffer;
  const issuedAt = row.tokenIssuedAt ?? row.lastRefreshedAt ?? row.createdAt;
  const lifetime = row.expiresAt.getTime() - issuedAt.getTime();
  if (lifetime <= 0) return buffer;
  return Math.min(buffer, Math.max(lifetime * BUFFER_LIFETIME_FRACTION, Math.min(1000, lifetime / 2)));
}

export function expiresWithinBuffer(row: ConnectionRow, now = Date.now()): boolean {
  return row.expiresAt !== null && row.expiresAt.getTime() - now <= refreshBufferMsOf(row);
}

export function isExpired(row: ConnectionRow, now = Date.now()): boolean {
  return row.expiresAt !== null && row.expiresAt.getTime() <= now;
}

/** A transient failure set a back-off that has not run out yet. */
export function isBackingOff(row: ConnectionRow, now = Date.now()): boolean {
  return row.nextRefreshAt !== null && row.nextRefreshAt.getTime() > now;
}

/** Client-credentials connections are refreshed by asking again; the others need a refresh token. */
export function canRefresh(row: ConnectionRow): boolean {
  const service = row.service as ServiceKey;
  const provider = refreshFactsOf(service);
  if (row.grantType === 'CLIENT_CREDENTIALS') return provider.supportsClientCredentials === true;
  return row.refreshToken !== null && provider.supportsRefresh;
}

/** Exponential back-off with jitter: half the doubling delay plus a random part of the other half. */
export function backoffDelayMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function retryDelayMs(failure: OAuthFailure, failures: number): number {
  if (failure.retryAfterSeconds !== undefined) return Math.min(RETRY_AFTER_MAX_MS, Math.max(1000, failure.retryAfterSeconds * 1000));
  return backoffDelayMs(failures);
}

/**
 * A refresh that failed without ending the connection. `connection` is the row as it is now (the
 * failure recorded), so a caller can show its health; it is never serialized into a response.
 */
export class RefreshFailedError extends LatchkeyError {
  constructor(
    code: 'UPSTREAM_ERROR' | 'PROVIDER_ERROR',
    message: string,
    extensions: Record<string, unknown>,
    readonly connection: ConnectionRow,
  ) {
    super(code, message, extensions);
  }
}

/** The error a reader gets for a live connection whose token expired and could not be refreshed yet. */
function refreshPendingError(row: ConnectionRow): RefreshFailedError {
  const retryAt = row.nextRefreshAt?.toISOString();
  const cause = row.lastError ? ` (${row.lastError})` : '';
  return new RefreshFailedError(
    'UPSTREAM_ERROR',
    `The ${serviceLabel(row.service as ServiceKey)} token expired and refreshing it failed for now${cause}; ` +
      `the connection is kept and Latchkey retries${retryAt ? ` after ${retryAt}` : ' shortly'}. Try again then.`,
    { service: row.service, ...(retryAt ? { retryAt } : {}) },
    row,
  );
}

export function createTokenRefresher(deps: {
  store: ConnectionStore;
  apps: ProviderApps;
  audit: AuditTrail;
  logger: Logger;
  config?: RefreshConfig;
  metrics?: Metrics;
}) {
  const config = deps.config ?? defaultRefreshConfig;
  const metrics = deps.metrics ?? noMetrics;
  /** Names this instance's leases; random so that two instances never share one. */
  const instanceId = randomUUID();
  const leaseMs = config.providerTimeoutSeconds * 1000 + LEASE_MARGIN_MS;
  const inflight = new Map<string, Promise<ConnectionRow>>();

  async function markNeedsReauth(row: ConnectionRow, reason: string): Promise<ConnectionRow> {
    const updated = await deps.store.markRefreshFailed(row, 'NEEDS_REAUTH', reason);
    if (!updated) return (await deps.store.findById(row.id)) ?? row;
    await deps.audit({ type: 'connection.needs_reauth', siteId: row.siteId, service: row.service, connectionId: row.id, detail: { reason } });
    return updated;
  }

  async function findOrThrow(row: ConnectionRow): Promise<ConnectionRow> {
    const current = await deps.store.findById(row.id);
    if (!current) throw notFound(`The ${serviceLabel(row.service as ServiceKey)} connection was removed.`);
    return current;
  }

  /**
   * Takes the lease, or waits for whoever holds it. `leased` says whether this caller must now ask
   * the provider; otherwise `row` is what another writer stored (tokens, failure or reauth).
   */
  async function acquireOrWait(row: ConnectionRow): Promise<{ row: ConnectionRow; leased: boolean }> {
    // Long enough to outlast a holder's whole lease, so a dead holder is taken over within one read.
    const deadline = Date.now() + leaseMs + 1000;
    let pause = POLL_FIRST_MS;
    for (;;) {
      const current = await findOrThrow(row);
      if (current.version !== row.version || !isUsable(current)) return { row: current, leased: false };
      if (await deps.store.acquireRefreshLease(row, instanceId, leaseMs)) {
        // Re-read under the lease (a sign-out or reconnect does not wait for leases, and a lease this
        // instance already held, a sweep's claim, may be on a newer version).
        const leased = await findOrThrow(row);
        if (leased.version === row.version) return { row: leased, leased: true };
        await deps.store.releaseRefreshLease(row.id, instanceId);
        return { row: await findOrThrow(row), leased: false };
      }
      // Someone else holds the lease: a token that is still valid is handed out at once; only an
      // expired one waits for the holder's result.
      if (!isExpired(current)) return { row: current, leased: false };
      if (Date.now() >= deadline) {
        const retryAt = (current.refreshLockedUntil ?? new Date(Date.now() + 1000)).toISOString();
        throw new RefreshFailedError(
          'UPSTREAM_ERROR',
          `Another gateway instance is refreshing the ${serviceLabel(row.service as ServiceKey)} token and has not finished; try again after ${retryAt}.`,
          { service: row.service, retryAt },
          current,
        );
      }
      await sleep(pause);
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  /** Records a failed refresh; returns the NEEDS_REAUTH row, or throws what the reader should see. */
  async function recordFailure(row: ConnectionRow, provider: ProviderDefinition, failure: OAuthFailure): Promise<ConnectionRow> {
    const service = row.service as ServiceKey;
    await deps.audit({
      type: 'token.refresh_failed',
      siteId: row.siteId,
      service,
      connectionId: row.id,
      detail: { error: failure.error, kind: failure.kind, failures: row.refreshFailures + 1 },
    });
    const needsReauth = failure.kind === 'rejected' && (REAUTH_ERRORS.has(failure.error) || provider.quirks.reauthErrors?.includes(failure.error));
    metrics.refresh(service, needsReauth ? 'invalid_grant' : failure.kind === 'transient' ? 'transient' : 'error');
    if (needsReauth) {
      return markNeedsReauth(row, `${provider.friendlyServiceName} refused the refresh token (${failure.error})`);
    }
    const nextRefreshAt = new Date(Date.now() + retryDelayMs(failure, row.refreshFailures + 1));
    const recorded =
      (await deps.store.markRefreshFailed(row, 'ACTIVE', `${failure.error}: ${failure.message}`, { nextRefreshAt })) ??
      (await findOrThrow(row));
    deps.logger.warn('token refresh failed; will retry', {
      connectionId: row.id,
      service,
      error: failure.error,
      status: failure.status,
      retryAt: nextRefreshAt.toISOString(),
    });
    if (failure.kind === 'transient') {
      throw new RefreshFailedError(
        'UPSTREAM_ERROR',
        `Refreshing the ${provider.friendlyServiceName} token failed for now (${failure.error}); the connection is kept and Latchkey retries after ${nextRefreshAt.toISOString()}. Try again then.`,
        { service, retryAt: nextRefreshAt.toISOString(), ...(failure.status ? { upstreamStatus: failure.status } : {}) },
        recorded,
      );
    }
    const refused = providerError(service, provider.friendlyServiceName, failure.error, 'while refreshing the token');
    throw new RefreshFailedError('PROVIDER_ERROR', refused.message, { ...refused.extensions, retryAt: nextRefreshAt.toISOString() }, recorded);
  }

  /**
   * A stored secret (refresh token, client secret) no configured key can decrypt: the failure
   * persists until the operator fixes the key, so the connection backs off like a transient failure
   * and no sweep retries it before then. The reader still gets KEY_UNAVAILABLE.
   */
  async function recordKeyUnavailable(row: ConnectionRow, error: unknown): Promise<never> {
    const nextRefreshAt = new Date(Date.now() + backoffDelayMs(row.refreshFailures + 1));
    await deps.store
      .markRefreshFailed(row, 'ACTIVE', KEY_UNAVAILABLE_REASON, { nextRefreshAt })
      .catch(() => undefined);
    deps.logger.warn('token refresh failed: a stored secret cannot be decrypted; will retry', {
      connectionId: row.id,
      service: row.service,
      code: 'KEY_UNAVAILABLE',
      retryAt: nextRefreshAt.toISOString(),
    });
    throw error;
  }

  async function performRefresh(row: ConnectionRow, leased: boolean): Promise<ConnectionRow> {
    let latest = row;
    try {
      return await refreshWithLease(row, leased, (current) => {
        latest = current;
      });
    } catch (error) {
      if (isDecryptionFailure(error)) return recordKeyUnavailable(latest, error);
      throw error;
    }
  }

  async function refreshWithLease(row: ConnectionRow, leased: boolean, leasedAs: (current: ConnectionRow) => void): Promise<ConnectionRow> {
    const service = row.service as ServiceKey;
    if (!canRefresh(row)) return markNeedsReauth(row, 'the access token expired and there is no refresh token');
    const client = await deps.apps.clientFor(row.siteId, service);
    if (!client) {
      throw upstreamError(service, `${serviceLabel(service)}'s token expired and no OAuth app is configured to refresh it: restore the site's or the gateway's client credentials.`);
    }
    const provider = client.provider;
    // A sweep's claim already holds the lease on exactly this version: no need to read and take it again.
    const taken = leased ? { row, leased: true } : await acquireOrWait(row);
    if (!taken.leased) return taken.row;
    const current = taken.row;
    leasedAs(current);
    // The success write releases the lease in the same statement; every other way out releases it
    // here (a no-op when a failure write already did).
    let released = false;
    try {
      if (current.grantType === 'CLIENT_CREDENTIALS') return await reRequestClientCredentials(deps, current);
      const refreshToken = deps.store.refreshTokenOf(current);
      if (!refreshToken) return await markNeedsReauth(current, 'the access token expired and there is no refresh token');
      let tokens;
      try {
        tokens = await refreshTokens(client.config, provider, refreshToken, grantedScopesOf(current));
      } catch (error) {
        // A custom service URL the outbound policy refuses is recorded (and backed off) like a refusal.
        if (error instanceof LatchkeyError) return await recordFailure(current, provider, new OAuthFailure('rejected', 'url_refused', error.message));
        if (!(error instanceof OAuthFailure)) throw error;
        return await recordFailure(current, provider, error);
      }
      if (config.testCrashAfterRefreshResponse) process.kill(process.pid, 'SIGKILL');
      const saved = await deps.store.saveRefreshed(current, tokens);
      if (!saved) return await findOrThrow(current);
      released = true;
      metrics.refresh(service, 'ok');
      await deps.audit({
        type: 'token.refreshed',
        siteId: row.siteId,
        service,
        connectionId: row.id,
        detail: { previousFailures: current.refreshFailures },
      });
      return saved;
    } finally {
      if (!released) {
        await deps.store.releaseRefreshLease(row.id, instanceId).catch(() => {
          deps.logger.warn('refresh lease not released; it expires on its own', { connectionId: row.id });
        });
      }
    }
  }

  /**
   * Refreshes now, whatever the token's expiry, once per connection at a time (in this process
   * and, through the lease, across instances). Returns the row to use: refreshed, NEEDS_REAUTH, or
   * what another instance stored meanwhile. Throws UPSTREAM_ERROR / PROVIDER_ERROR after a failure
   * that leaves the connection alive (recorded with a back-off). `leased`: the caller holds this
   * instance's refresh lease on `row` as read (claimForRefresh), so the lease is not taken again.
   */
  function refresh(row: ConnectionRow, options: { leased?: boolean } = {}): Promise<ConnectionRow> {
    const running = inflight.get(row.id);
    if (running) return running;
    const started = performRefresh(row, options.leased === true).finally(() => inflight.delete(row.id));
    inflight.set(row.id, started);
    return started;
  }

  /** A usable row whose token already expired is an error for the reader, not a token to hand out. */
  function usableOrThrow(row: ConnectionRow): ConnectionRow {
    if (isUsable(row) && isExpired(row)) {
      // Backing off a key failure: the reader learns the real cause (KEY_UNAVAILABLE, /readyz), not "try again".
      if (row.lastError === KEY_UNAVAILABLE_REASON) throw new DecryptionError('a stored secret of this connection cannot be decrypted');
      throw refreshPendingError(row);
    }
    return row;
  }

  /**
   * Brings a connection to a state where its token can be handed out: refreshed if it expires
   * within the provider's buffer, NEEDS_REAUTH if it cannot be refreshed. While a transient failure
   * backs off, a still-valid token is handed out and an expired one is an UPSTREAM_ERROR.
   */
  async function ensureFresh(row: ConnectionRow): Promise<ConnectionRow> {
    if (!isUsable(row) || !expiresWithinBuffer(row)) return row;
    if (!canRefresh(row)) {
      return isExpired(row) ? markNeedsReauth(row, 'the access token expired and the provider offers no refresh') : row;
    }
    if (isBackingOff(row)) return usableOrThrow(row);
    const valid = !isExpired(row);
    // Another request of this process is already refreshing: a valid token need not wait for it.
    if (valid && inflight.has(row.id)) return row;
    try {
      const refreshing = refresh(row);
      if (!valid) return usableOrThrow(await refreshing);
      // A still-valid token waits only briefly for its own refresh (a provider that hangs must not
      // hold the reader); the refresh goes on and records its outcome on the connection.
      refreshing.catch(() => {});
      const settled = await Promise.race([refreshing, sleep(VALID_TOKEN_WAIT_MS, null, { ref: false })]);
      return settled === null ? row : usableOrThrow(settled);
    } catch (error) {
      // A failed refresh of a token that is still valid leaves it usable until it expires.
      if (!isExpired(row)) {
        deps.logger.warn('refresh failed; handing out the still-valid token', { connectionId: row.id, service: row.service });
        const now = error instanceof RefreshFailedError ? error.connection : row;
        return isUsable(now) && now.accessToken === row.accessToken ? now : row;
      }
      throw error;
    }
  }

  /**
   * For a 401 from the provider on a token the row calls valid: refreshes it even so, at most once
   * per connection per `forcedRefreshIntervalSeconds` (counted from its last refresh, on any
   * instance), so a provider that keeps answering 401 is not asked for tokens in a loop. A
   * connection that cannot be refreshed becomes NEEDS_REAUTH. Returns the row to retry with; when
   * its version equals `row.version`, nothing changed and a retry would fail the same way.
   */
  async function forceRefresh(row: ConnectionRow): Promise<ConnectionRow> {
    const current = await findOrThrow(row);
    if (current.version !== row.version || !isUsable(current)) return current;
    if (!canRefresh(current)) return markNeedsReauth(current, 'the provider rejected the token (401)');
    if (isBackingOff(current)) return current;
    const lastRefreshed = current.lastRefreshedAt?.getTime() ?? 0;
    if (Date.now() - lastRefreshed < config.forcedRefreshIntervalSeconds * 1000) {
      // The token rejected now came from a refresh moments ago: refreshing again would only get
      // another token the provider rejects. Record it and back off (growing with each rejection).
      return current.lastRefreshedAt === null ? current : recordRejectedFreshToken(current);
    }
    return refresh(current);
  }

  /**
   * A provider rejected a freshly refreshed token: the connection stays ACTIVE (its grant may come
   * back, e.g. an app re-approved) but says so in lastError, and no refresh runs until the back-off
   * ends. Readers keep seeing lastError, so `secrets` never hands the token out silently.
   */
  async function recordRejectedFreshToken(row: ConnectionRow): Promise<ConnectionRow> {
    const service = row.service as ServiceKey;
    const nextRefreshAt = new Date(Date.now() + Math.max(config.forcedRefreshIntervalSeconds * 1000, backoffDelayMs(row.refreshFailures + 1)));
    const reason =
      `${serviceLabel(service)} rejected a freshly refreshed token (HTTP 401): the app may have lost access or the user withdrew it; ` +
      `Latchkey refreshes again after ${nextRefreshAt.toISOString()}, or connect again with startAuth`;
    const recorded = await deps.store.markRefreshFailed(row, 'ACTIVE', reason, { nextRefreshAt });
    if (!recorded) return findOrThrow(row);
    await deps.audit({ type: 'token.rejected', siteId: row.siteId, service, connectionId: row.id, detail: { failures: recorded.refreshFailures } });
    deps.logger.warn('provider rejected a freshly refreshed token; backing off', { connectionId: row.id, service, retryAt: nextRefreshAt.toISOString() });
    return recorded;
  }

  return { ensureFresh, refresh, forceRefresh, instanceId };
}

export type TokenRefresher = ReturnType<typeof createTokenRefresher>;
