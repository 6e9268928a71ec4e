// Refreshes connections that are about to expire before anyone asks for them, so reads rarely wait
// on a provider. Every instance runs one: each connection still goes through the refresher's lease,
// so two sweeping instances (or a sweep and a reader) never refresh the same connection twice.
import type { Logger } from '../logger.js';
import { LatchkeyError } from '../errors.js';
import { providerList } from '../providers/index.js';
import type { ConnectionStore } from './connection-store.js';
import type { Metrics } from '../metrics/metrics.js';
import { canRefresh, DEFAULT_REFRESH_BUFFER_MS, expiresWithinBuffer, refreshBufferMs, type TokenRefresher } from './token-refresh.js';

/** Connections refreshed per sweep at most; the rest wait for the next one. */
const BATCH_SIZE = 100;
/** Per site and sweep at most, so one site's slow or short-lived servers cannot take every sweep. */
const PER_SITE = 10;
/** Candidates read per sweep, so the per-site cap still leaves a full batch for the other sites. */
const CANDIDATES = BATCH_SIZE * 5;
/** Refreshes running at once in one sweep; low, so a sweep never crowds out the readers. */
const CONCURRENCY = 2;

export interface RefreshSweeperOptions {
  /** Seconds between sweeps; 0 disables the sweeper. */
  intervalSeconds: number;
  /** How long before a connection enters its provider's refresh buffer the sweeper refreshes it. */
  lookAheadSeconds: number;
}

export interface RefreshSweeper {
  start(): void;
  /** Stops scheduling and waits for the refreshes already running. */
  stop(): Promise<void>;
  /** One sweep now; resolves to the number of connections it refreshed. */
  sweep(): Promise<number>;
}

export function createRefreshSweeper(
  deps: { store: ConnectionStore; refresher: TokenRefresher; logger: Logger; metrics?: Metrics },
  options: RefreshSweeperOptions,
): RefreshSweeper {
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  const running = new Set<Promise<unknown>>();

  function track<T>(work: Promise<T>): Promise<T> {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => {});
    return work;
  }

  async function sweep(): Promise<number> {
    // A connection is due when it expires before its buffer plus the look-ahead. A custom service's
    // buffer is at most the default one; expiresWithinBuffer below applies its own.
    const lookAhead = Date.now() + options.lookAheadSeconds * 1000;
    const horizons = new Map(providerList.map((provider) => [provider.service, new Date(lookAhead + refreshBufferMs(provider.service))]));
    const customHorizon = new Date(lookAhead + DEFAULT_REFRESH_BUFFER_MS);
    const perSite = new Map<string, number>();
    const due = (await deps.store.listDueForRefresh(horizons, customHorizon, CANDIDATES))
      .filter((row) => canRefresh(row) && expiresWithinBuffer(row, lookAhead))
      .filter((row) => {
        const taken = perSite.get(row.siteId) ?? 0;
        perSite.set(row.siteId, taken + 1);
        return taken < PER_SITE;
      })
      .slice(0, BATCH_SIZE);
    // How far past expiry the most overdue connection got before this sweep reached it.
    const startedAt = Date.now();
    const lagSeconds = due.reduce((lag, row) => (row.expiresAt ? Math.max(lag, (startedAt - row.expiresAt.getTime()) / 1000) : lag), 0);
    let refreshed = 0;
    const worker = async () => {
      for (let row = due.shift(); row && !stopped; row = due.shift()) {
        try {
          const after = await deps.refresher.refresh(row);
          if (after.version !== row.version && after.status === 'ACTIVE') refreshed += 1;
        } catch (error) {
          // Already recorded on the connection (back-off, lastError); the sweep goes on.
          deps.logger.warn('sweeper could not refresh a connection', {
            connectionId: row.id,
            service: row.service,
            code: error instanceof LatchkeyError ? error.code : error instanceof Error ? error.name : 'unknown',
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    deps.metrics?.sweep(lagSeconds, refreshed);
    if (refreshed > 0) deps.logger.info('sweeper refreshed connections', { count: refreshed });
    return refreshed;
  }

  function schedule(): void {
    if (stopped) return;
    // ±10 % so that instances started together do not sweep in lockstep.
    const delay = options.intervalSeconds * 1000 * (0.9 + Math.random() * 0.2);
    timer = setTimeout(() => {
      void track(
        sweep().catch((error: unknown) => {
          deps.logger.warn('refresh sweep failed', { reason: error instanceof Error ? error.name : 'unknown' });
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
