// The gateway's rate limiters, on rate-limiter-flexible: in memory for an embedded SQLite database
// (one instance), in a table of the shared PostgreSQL database otherwise, so limits hold across
// instances. Every limit is per minute and configurable; 0 turns it off.
import type pg from 'pg';
import { loadPg } from '../db/drivers.js';
import type { Logger } from '../logger.js';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitSettings {
  /** GraphQL requests per calling token. */
  tokenPerMinute: number;
  /** GraphQL requests per site, all its tokens together. */
  sitePerMinute: number;
  /** startAuth calls per calling token. */
  startAuthPerMinute: number;
  /** Requests refused UNAUTHENTICATED per client address; beyond it the address is refused at once. */
  failedAuthPerMinute: number;
  /** Requests per client address to routes without a token (OAuth callbacks, the connect page). */
  addressPerMinute: number;
  /** Concurrent authAttempt/customAuthAttempt long-polls (waitSeconds > 0) per calling token. */
  longPollsPerToken: number;
}

/** The limiters' limits, and `concurrent`: too many of one caller's requests waiting their turn (src/http/fair-share.ts). */
export type LimitName = 'token' | 'site' | 'startAuth' | 'failedAuth' | 'address' | 'longPolls' | 'concurrent';
/** The limits a limiter keeps. */
type LimiterName = Exclude<LimitName, 'concurrent'>;

const WHAT: Record<LimitName, string> = {
  token: 'requests with this token',
  site: "requests for this site's tokens",
  startAuth: 'startAuth calls with this token',
  failedAuth: 'failed authentications from this address',
  address: 'requests from this address',
  longPolls: 'concurrent authAttempt long-polls (waitSeconds) with this token',
  concurrent: 'requests with this token waiting for the ones in progress',
};

export function rateLimitedMessage(limit: LimitName, retryAfterSeconds: number): string {
  return `Too many ${WHAT[limit]}: retry after ${retryAfterSeconds} seconds.`;
}

/**
 * The 429 RATE_LIMITED answered outside GraphQL execution (before yoga, and by the plugin's
 * onRequest): its JSON body and the headers every such answer carries.
 */
export function rateLimitedAnswer(limit: LimitName, retryAfterSeconds: number, requestId: string | undefined): { body: string; headers: Record<string, string> } {
  return {
    body: JSON.stringify({ errors: [{ message: rateLimitedMessage(limit, retryAfterSeconds), extensions: { code: 'RATE_LIMITED', retryAfterSeconds, limit, requestId } }] }),
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' },
  };
}

export class RateLimited extends Error {
  constructor(
    readonly limit: LimitName,
    readonly retryAfterSeconds: number,
    /** Until the limit's window ends, exactly (retryAfterSeconds is rounded up). */
    readonly msBeforeNext: number = retryAfterSeconds * 1000,
  ) {
    super(`rate limit ${limit}`);
    this.name = 'RateLimited';
  }
}

export interface RateLimiters {
  /** Takes `points` (one by default); throws RateLimited when too few are left. A disabled limit never throws. */
  consume(limit: LimitName, key: string, points?: number): Promise<void>;
  /** Gives a point back (a long-poll that ended). */
  release(limit: LimitName, key: string): Promise<void>;
  /** A RateLimited when `key` has no point left (without taking one), else null. */
  exhausted(limit: LimitName, key: string): Promise<RateLimited | null>;
  close(): Promise<void>;
}

const MAX_LONG_POLL_SECONDS = 90;
const RATE_LIMIT_TABLE = 'latchkey_rate_limits';
/** Any fixed number: serializes the table's creation across instances starting at once. */
const CREATE_TABLE_LOCK = 7_254_113;

async function createRateLimitTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [CREATE_TABLE_LOCK]);
    // The shape rate-limiter-flexible's RateLimiterPostgres expects.
    await client.query(`CREATE TABLE IF NOT EXISTS ${RATE_LIMIT_TABLE} (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [CREATE_TABLE_LOCK]).catch(() => undefined);
    client.release();
  }
}

export interface RateLimitersOptions {
  databaseUrl: string;
  logger?: Pick<Logger, 'warn'>;
  /**
   * The longest a long-poll waits. A refused long-poll is told to retry after at most this long,
   * since a running poll ends (and frees its slot) by then, not when the limit's crash bound expires.
   */
  longestLongPollSeconds?: number;
}

export function createRateLimiters(settings: RateLimitSettings, options: RateLimitersOptions): RateLimiters {
  const points: Record<LimiterName, number> = {
    token: settings.tokenPerMinute,
    site: settings.sitePerMinute,
    startAuth: settings.startAuthPerMinute,
    failedAuth: settings.failedAuthPerMinute,
    address: settings.addressPerMinute,
    longPolls: settings.longPollsPerToken,
  };
  const postgres = /^postgres(ql)?:\/\//.test(options.databaseUrl);
  const pool = postgres ? new (loadPg().Pool)({ connectionString: options.databaseUrl, max: 3, idleTimeoutMillis: 1000, allowExitOnIdle: true }) : undefined;
  // An idle client dropped by the server (a restart, a failover) is emitted on the pool; without a
  // listener Node treats it as uncaught and the whole gateway exits. The pool reconnects on next use.
  pool?.on('error', (error) => options.logger?.warn('rate-limit database connection lost', { code: (error as { code?: string }).code ?? 'unknown' }));
  const limiters = new Map<LimitName, RateLimiterAbstract>();
  const build = (tableCreated: boolean) => {
    for (const [name, count] of Object.entries(points) as Array<[LimiterName, number]>) {
      if (count <= 0) continue;
      // A long-poll's point comes back when it ends; the duration only bounds what a crash leaves held.
      const duration = name === 'longPolls' ? MAX_LONG_POLL_SECONDS : 60;
      const common = { keyPrefix: `lk_${name}`, points: count, duration };
      limiters.set(
        name,
        pool
          ? new RateLimiterPostgres({ ...common, storeClient: pool, storeType: 'pool', tableName: RATE_LIMIT_TABLE, tableCreated, clearExpiredByTimeout: name === 'token' })
          : new RateLimiterMemory(common),
      );
    }
  };
  // Each limiter would otherwise run its own CREATE TABLE IF NOT EXISTS, and concurrent ones (five
  // limiters, several instances starting together) race in PostgreSQL's catalog and fail.
  const ready = pool ? createRateLimitTable(pool).then(() => build(true)) : Promise.resolve(build(false));
  const allReady = ready;
  // Requests that await it get the failure; this only keeps an early failure from being unhandled.
  allReady.catch(() => undefined);

  const longestLongPollMs = (options.longestLongPollSeconds ?? MAX_LONG_POLL_SECONDS) * 1000;
  const msBeforeNext = (limit: LimitName, result: unknown) => {
    const ms = Math.max(0, result instanceof RateLimiterRes ? result.msBeforeNext : 1000);
    return limit === 'longPolls' ? Math.min(ms, longestLongPollMs) : ms;
  };
  const refusal = (limit: LimitName, result: unknown) => {
    const ms = msBeforeNext(limit, result);
    return new RateLimited(limit, Math.max(1, Math.ceil(ms / 1000)), ms);
  };

  return {
    async consume(limit, key, count = 1) {
      await allReady;
      const limiter = limiters.get(limit);
      if (!limiter) return;
      try {
        await limiter.consume(key, count);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw refusal(limit, error);
        throw error;
      }
    },
    async release(limit, key) {
      await allReady;
      const limiter = limiters.get(limit);
      if (!limiter) return;
      await limiter.reward(key, 1);
    },
    async exhausted(limit, key) {
      await allReady;
      const limiter = limiters.get(limit);
      if (!limiter) return null;
      const state = await limiter.get(key);
      return state && state.remainingPoints <= 0 ? refusal(limit, state) : null;
    },
    async close() {
      await allReady.catch(() => undefined);
      await pool?.end();
    },
  };
}
