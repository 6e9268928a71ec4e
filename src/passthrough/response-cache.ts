// GET answers kept with their ETag, per connection, so the next identical call is a conditional
// request: "304 Not Modified" costs no GitHub quota and carries no body. Bounded in bytes (LRU).
import { LRUCache } from 'lru-cache';

export interface CachedResponse {
  etag: string;
  /** The parsed JSON body; shared by every request that revalidates it, so never mutated. */
  data: unknown;
  link: string | undefined;
}

const MAX_ENTRIES = 100_000;

export function createResponseCache(maxBytes: number) {
  // Made on the first write: lru-cache allocates its arrays for all MAX_ENTRIES slots up front
  // (~2.5 MB), which a gateway that has made no pass-through GET yet does not need.
  let entries: LRUCache<string, CachedResponse> | undefined;
  const keyOf = (connectionId: string, path: string) => `${connectionId} ${path}`;

  return {
    get(connectionId: string, path: string): CachedResponse | undefined {
      return entries?.get(keyOf(connectionId, path));
    },
    /** `bytes` is the body's length, which bounds the parsed object's footprint well enough. */
    set(connectionId: string, path: string, response: CachedResponse, bytes: number): void {
      // One huge answer must not flush everything else.
      if (bytes > maxBytes / 10) return;
      entries ??= new LRUCache<string, CachedResponse>({ max: MAX_ENTRIES, maxSize: maxBytes });
      entries.set(keyOf(connectionId, path), response, { size: Math.max(1, bytes + path.length) });
    },
    delete(connectionId: string, path: string): void {
      entries?.delete(keyOf(connectionId, path));
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
