// Remembers, per connection and API host, until when the provider asked us to stop, so later
// requests in this process answer RATE_LIMITED at once instead of spending more of the provider's
// patience. Waits are bounded and end early when the GraphQL client goes away.
import { LRUCache } from 'lru-cache';
import { UpstreamCancelledError } from './upstream-pool.js';

const MAX_TRACKED = 10_000;

export function createRateLimitBlocks(now: () => number = Date.now) {
  const until = new LRUCache<string, number>({ max: MAX_TRACKED });
  const keyOf = (connectionId: string, host: string) => `${connectionId} ${host}`;

  return {
    /** Epoch ms the host is blocked until for this connection, or undefined. */
    blockedUntil(connectionId: string, host: string): number | undefined {
      const key = keyOf(connectionId, host);
      const value = until.get(key);
      if (value === undefined) return undefined;
      if (value <= now()) {
        until.delete(key);
        return undefined;
      }
      return value;
    },
    block(connectionId: string, host: string, untilMs: number): void {
      const key = keyOf(connectionId, host);
      until.set(key, Math.max(untilMs, until.get(key) ?? 0));
    },
  };
}

export type RateLimitBlocks = ReturnType<typeof createRateLimitBlocks>;

/** Resolves after `ms`, or rejects with UpstreamCancelledError when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new UpstreamCancelledError('the GraphQL request was cancelled'));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new UpstreamCancelledError('the GraphQL request was cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
