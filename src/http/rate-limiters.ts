// The gateway's rate limiters, on rate-limiter-flexible: in memory for an embedded SQLite database
// (one instance), in a table of the shared PostgreSQL database otherwise, so limits hold across
// instances. Every limit is per minute and configurable; 0 turns it off.
import pg from 'pg';
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

export type LimitName = 'token' | 'site' | 'startAuth' | 'failedAuth' | 'address' | 'longPolls';

export class RateLimited extends Error {
  constructor(
    readonly limit: LimitName,
    readonly retryAfterSeconds: number,
  ) {
    super(`rate limit ${limit}`);
    this.name = 'RateLimited';
  }
}

export interface RateLimiters {
  /** Takes one point; throws RateLimited when none is left. A disabled limit never throws. */
  consume(limit: LimitName, key: string): Promise<void>;
  /** Gives a point back (a long-poll that ended). */
  release(limit: LimitName, key: string): Promise<void>;
  /** True when `key` has no point left, without taking one. */
  exhausted(limit: LimitName, key: string): Promise<number | null>;
  close(): Promise<void>;
}

const MAX_LONG_POLL_SECONDS = 90;

export function createRateLimiters(settings: RateLimitSettings, options: { databaseUrl: string }): RateLimiters {
  const points: Record<LimitName, number> = {
    token: settings.tokenPerMinute,
    site: settings.sitePerMinute,
    startAuth: settings.startAuthPerMinute,
    failedAuth: settings.failedAuthPerMinute,
    address: settings.addressPerMinute,
    longPolls: settings.longPollsPerToken,
  };
  const postgres = /^postgres(ql)?:\/\//.test(options.databaseUrl);
  const pool = postgres ? new pg.Pool({ connectionString: options.databaseUrl, max: 3, idleTimeoutMillis: 1000, allowExitOnIdle: true }) : undefined;
  const ready: Promise<unknown>[] = [];
  const limiters = new Map<LimitName, RateLimiterAbstract>();
  for (const [name, count] of Object.entries(points) as Array<[LimitName, number]>) {
    if (count <= 0) continue;
    // A long-poll's point comes back when it ends; the duration only bounds what a crash leaves held.
    const duration = name === 'longPolls' ? MAX_LONG_POLL_SECONDS : 60;
    const common = { keyPrefix: `lk_${name}`, points: count, duration };
    if (pool) {
      // Only the first limiter creates the shared table: concurrent CREATE TABLE IF NOT EXISTS on a
      // fresh PostgreSQL database fails with "type already exists". The rest are used only after it.
      const createsTable = ready.length === 0;
      let done!: (error?: unknown) => void;
      if (createsTable) ready.push(new Promise((resolve, reject) => (done = (error) => (error ? reject(error) : resolve(undefined)))));
      const store = { ...common, storeClient: pool, storeType: 'pool', tableName: 'latchkey_rate_limits', clearExpiredByTimeout: name === 'token', ...(createsTable ? {} : { tableCreated: true }) };
      limiters.set(name, createsTable ? new RateLimiterPostgres(store, (error?: unknown) => done(error)) : new RateLimiterPostgres(store));
    } else {
      limiters.set(name, new RateLimiterMemory(common));
    }
  }
  const allReady = Promise.all(ready);

  const retryAfter = (result: unknown) => Math.max(1, Math.ceil((result instanceof RateLimiterRes ? result.msBeforeNext : 1000) / 1000));

  return {
    async consume(limit, key) {
      const limiter = limiters.get(limit);
      if (!limiter) return;
      await allReady;
      try {
        await limiter.consume(key);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw new RateLimited(limit, retryAfter(error));
        throw error;
      }
    },
    async release(limit, key) {
      const limiter = limiters.get(limit);
      if (!limiter) return;
      await allReady;
      await limiter.reward(key, 1);
    },
    async exhausted(limit, key) {
      const limiter = limiters.get(limit);
      if (!limiter) return null;
      await allReady;
      const state = await limiter.get(key);
      return state && state.remainingPoints <= 0 ? retryAfter(state) : null;
    },
    async close() {
      await allReady.catch(() => undefined);
      await pool?.end();
    },
  };
}
