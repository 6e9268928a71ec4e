// HTTP to the providers' APIs. One keep-alive undici Pool per API origin: a pool is bound to its
// origin, so a request made through it (and the token in it) cannot reach any other host.
import { Pool } from 'undici';
import { guardedLookup, type OutboundUrlPolicy } from '../net/outbound-url-policy.js';

export type UpstreamMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface UpstreamHttpRequest {
  method: UpstreamMethod;
  /** Absolute path with its query, e.g. `/repos/o/r/issues?state=open`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The GraphQL request's signal: the call is cancelled when the client goes away. */
  signal?: AbortSignal;
  /** A smaller cap on the answer's size than the pool's. */
  maxResponseBytes?: number;
  /** A site-chosen origin (a custom service's API): connect only to addresses this policy allows. */
  guard?: OutboundUrlPolicy;
}

/** A response header by lower-case name; repeated headers joined with ", ". */
export type HeaderReader = (name: string) => string | undefined;

export interface UpstreamHttpResponse {
  status: number;
  header: HeaderReader;
  /** Every header as undici gave it (lower-case names); only the proxy reads them all. */
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** The provider did not answer in time. */
export class UpstreamTimeoutError extends Error {
  readonly code = 'UPSTREAM_TIMEOUT';
}

/** The GraphQL client went away; nobody waits for the answer. */
export class UpstreamCancelledError extends Error {
  readonly code = 'UPSTREAM_CANCELLED';
}

/** The connection failed, or the answer was unusable (too large, cut off). */
export class UpstreamTransportError extends Error {
  readonly code = 'UPSTREAM_TRANSPORT';
}

export interface UpstreamPoolsOptions {
  timeoutMs: number;
  /** Sockets per origin. */
  connections?: number;
  maxResponseBytes?: number;
}

const DEFAULT_CONNECTIONS = 128;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

// undici hands headers over with lower-case names; only the few that are read get looked at.
const headerReader =
  (headers: Record<string, string | string[] | undefined>): HeaderReader =>
  (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new UpstreamTransportError(`the answer is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

export function createUpstreamPools(options: UpstreamPoolsOptions) {
  const pools = new Map<string, Pool>();
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  function poolFor(origin: string, guard: OutboundUrlPolicy | undefined): Pool {
    // A guarded pool checks the address each new connection resolves to (DNS rebinding).
    const key = guard ? `${origin} guarded ${guard.allowLoopback} ${guard.allowPrivateNetworks}` : origin;
    let pool = pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections ?? DEFAULT_CONNECTIONS,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        connect: { timeout: options.timeoutMs, ...(guard ? { lookup: guardedLookup(guard) } : {}) },
      });
      pools.set(key, pool);
    }
    return pool;
  }

  /**
   * One request to `origin`; rejects with one of the errors above, never with the request's
   * headers. The pool's headers and body timeouts bound the wait; the GraphQL request's signal
   * cancels it (undici listens to it directly, so no timer or controller is made per call).
   */
  async function send(origin: string, request: UpstreamHttpRequest): Promise<UpstreamHttpResponse> {
    const signal = request.signal;
    if (signal?.aborted) throw new UpstreamCancelledError('the GraphQL request was cancelled');
    try {
      const response = await poolFor(origin, request.guard).request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: signal ?? null,
      });
      const text = await readLimited(response.body, Math.min(maxResponseBytes, request.maxResponseBytes ?? Infinity));
      return { status: response.statusCode, header: headerReader(response.headers), headers: response.headers, text };
    } catch (error) {
      if (signal?.aborted) throw new UpstreamCancelledError('the GraphQL request was cancelled');
      if (error instanceof UpstreamTransportError) throw error;
      // undici's errors name the failure (ECONNREFUSED, UND_ERR_SOCKET), never the request headers.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
        throw new UpstreamTimeoutError(`no answer within ${Math.round(options.timeoutMs / 100) / 10} s`);
      }
      throw new UpstreamTransportError(typeof code === 'string' ? code : 'the connection failed');
    }
  }

  async function close(): Promise<void> {
    const closing = [...pools.values()].map((pool) => pool.close());
    pools.clear();
    await Promise.allSettled(closing);
  }

  return { send, close };
}

export type UpstreamPools = ReturnType<typeof createUpstreamPools>;
