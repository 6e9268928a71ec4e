// Refreshes connections that are about to expire before anyone asks for them, so reads rarely wait
// on a provider. Every instance runs one, and the instances share the work: a sweep claims the
// refresh leases of a few due connections at a time (FOR UPDATE SKIP LOCKED on PostgreSQL, a
// conditional update on SQLite), refreshes them, and claims more until none are due, so each due
// connection is refreshed by exactly one instance and more instances refresh more per second.
//
// Fairness between sites: the due connections are read in windows of the soonest-expiring ones,
// and within each window the sites take turns (round-robin: every site's soonest connection, then
// every site's second, ...). A site with thousands of end-user connections expiring at once
// therefore delays another site's connection by at most one turn per window, never by a cap.
import type { Logger } from '../logger.js';
import { LatchkeyError } from '../errors.js';
import { errorCauseFields } from '../error-cause.js';
import { providerList } from '../providers/index.js';
import type { ConnectionRow, ConnectionStore } from './connection-store.js';
import type { Metrics } from '../metrics/metrics.js';
import { canRefresh, DEFAULT_REFRESH_BUFFER_MS, expiresWithinBuffer, RefreshFailedError, refreshBufferMs, type TokenRefresher } from './token-refresh.js';

/** Due connections read per window; the round-robin between sites works within one window. */
const WINDOW_SIZE = 500;
/** Default refreshes running at once per instance. */
export const DEFAULT_SWEEP_CONCURRENCY = 8;

export interface RefreshSweeperOptions {
  /** Seconds between sweeps; 0 disables the sweeper. */
  intervalSeconds: number;
  /** How long before a connection enters its provider's refresh buffer the sweeper refreshes it. */
  lookAheadSeconds: number;
  /** Refreshes running at once in this instance (LATCHKEY_SWEEP_CONCURRENCY); default 8. */
  concurrency?: number;
  /** How long a claim holds a connection's lease: the provider timeout plus a margin. Default 15. */
  leaseSeconds?: number;
}

export interface RefreshSweeper {
  start(): void;
  /** Stops scheduling and waits for the refreshes already running. */
  stop(): Promise<void>;
  /** One sweep now; resolves to the number of connections it refreshed. */
  sweep(): Promise<number>;
}

/** Sites take turns: each site's soonest-expiring row, then each site's second, and so on. */
export function roundRobinBySite<T extends { siteId: string }>(rows: readonly T[]): T[] {
  const bySite = new Map<string, T[]>();
  for (const row of rows) {
    const queue = bySite.get(row.siteId);
    if (queue) queue.push(row);
    else bySite.set(row.siteId, [row]);
  }
  const queues = [...bySite.values()];
  const ordered: T[] = [];
  for (let turn = 0; ordered.length < rows.length; turn += 1) {
    for (const queue of queues) if (turn < queue.length) ordered.push(queue[turn]!);
  }
  return ordered;
}

export function createRefreshSweeper(
  deps: { store: ConnectionStore; refresher: TokenRefresher; logger: Logger; metrics?: Metrics },
  options: RefreshSweeperOptions,
): RefreshSweeper {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_SWEEP_CONCURRENCY);
  const leaseMs = (options.leaseSeconds ?? 15) * 1000;
  const owner = deps.refresher.instanceId;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  const running = new Set<Promise<unknown>>();

  function track<T>(work: Promise<T>): Promise<T> {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => {});
    return work;
  }

  /** The next window of due connections, sites taking turns. */
  async function dueWindow(): Promise<ConnectionRow[]> {
    // A connection is due when it expires before its buffer plus the look-ahead. A custom service's
    // buffer is at most the default one; expiresWithinBuffer below applies each row's own.
    const lookAhead = Date.now() + options.lookAheadSeconds * 1000;
    const horizons = new Map(providerList.map((provider) => [provider.service, new Date(lookAhead + refreshBufferMs(provider.service))]));
    const customHorizon = new Date(lookAhead + DEFAULT_REFRESH_BUFFER_MS);
    const candidates = await deps.store.listDueForRefresh(horizons, customHorizon, WINDOW_SIZE);
    return roundRobinBySite(candidates.filter((row) => canRefresh(row) && expiresWithinBuffer(row, lookAhead)));
  }

  async function refreshClaimed(row: ConnectionRow): Promise<boolean> {
    // Whether this instance may still hold the lease; a stored result (tokens or a failure) released it.
    let holding = true;
    try {
      const after = await deps.refresher.refresh(row, { leased: true });
      holding = after.refreshLockOwner === owner;
      return after.version !== row.version && after.status === 'ACTIVE';
    } catch (error) {
      if (error instanceof RefreshFailedError) holding = error.connection.refreshLockOwner === owner;
      // Already recorded on the connection (back-off, lastError); the sweep goes on.
      deps.logger.warn('sweeper could not refresh a connection', {
        connectionId: row.id,
        service: row.service,
        code: error instanceof LatchkeyError ? error.code : error instanceof Error ? error.name : 'unknown',
      });
      return false;
    } finally {
      // A refresh that ended before the provider call (no OAuth app, say) leaves the claim: drop it.
      if (holding) await deps.store.releaseRefreshLease(row.id, owner).catch(() => {});
    }
  }

  async function sweep(): Promise<number> {
    let refreshed = 0;
    // How far past expiry the most overdue connection got before this sweep claimed it.
    let lagSeconds = 0;
    // Tried once per sweep at most: one that is still due after its refresh (no OAuth app, say)
    // waits for the next sweep instead of spinning this one.
    const attempted = new Set<string>();
    // Bounded, so one sweep cannot run forever when connections keep falling due.
    const until = Date.now() + Math.max(options.intervalSeconds, 60) * 1000;
    while (!stopped && Date.now() < until) {
      const window = (await dueWindow()).filter((row) => !attempted.has(row.id));
      if (window.length === 0) break;
      for (const row of window) attempted.add(row.id);
      let claimedAny = false;
      let next = 0;
      // Each worker claims one connection at a time from the window, so a claim is refreshed at
      // once and never outlives its lease waiting in a queue.
      const worker = async () => {
        while (!stopped && next < window.length) {
          const batch = window.slice(next, next + 1);
          next += 1;
          const [claimed] = await deps.store.claimForRefresh(batch, owner, leaseMs);
          if (!claimed) continue;
          claimedAny = true;
          if (claimed.expiresAt) lagSeconds = Math.max(lagSeconds, (Date.now() - claimed.expiresAt.getTime()) / 1000);
          if (await refreshClaimed(claimed)) refreshed += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      // Everything in the window was claimed elsewhere or is backing off: nothing more to do now.
      if (!claimedAny) break;
    }
    if (refreshed > 0) deps.logger.info('sweeper refreshed connections', { count: refreshed });
    deps.metrics?.sweep(lagSeconds, refreshed);
    return refreshed;
  }

  function schedule(): void {
    if (stopped) return;
    // ±10 % so that instances started together do not sweep in lockstep.
    const delay = options.intervalSeconds * 1000 * (0.9 + Math.random() * 0.2);
    timer = setTimeout(() => {
      void track(
        sweep().catch((error: unknown) => {
          deps.logger.warn('refresh sweep failed', errorCauseFields(error));
        }),
      ).finally(schedule);
    }, delay);
    timer.unref();
  }

  return {
    start() {
      if (options.intervalSeconds <= 0 || started || stopped) return;
      started = true;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
    sweep: () => track(sweep()),
  };
}
