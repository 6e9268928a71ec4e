// Refusals answered in the node HTTP handler, before graphql-yoga sees the request: a client address
// locked out after failed authentications, an address over its limit on routes without a token, and
// a credential over its token or site limit. The limiters stay the authority: this only remembers each
// refusal they made until their window ends, so a client that keeps sending after its 429 costs a map
// lookup instead of a pass through the request pipeline (a Request object, plugins, JSON, an error).
// Such repeats are answered after a short delay (a tarpit, LATCHKEY_RATE_LIMIT_TARPIT_MS) so that a
// client looping without pause slows itself down. A token over its startAuth limit is refused here
// too, but only once its body shows a startAuth (the limit depends on the operation): its requests
// are read and their document parsed, and anything else goes on to yoga with the body kept on the
// request. The held answers are bounded, and beyond the bound the refusal is sent at once. The 429
// is the one the GraphQL path sends: RATE_LIMITED, retryAfterSeconds, Retry-After, no-store,
// x-request-id, and CORS only for an origin the site allows.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { requestIdFrom } from '../request-context.js';
import { REQUEST_ID_HEADER } from './use-request-id.js';
import { rateLimitedAnswer, type LimitName, type RateLimited } from './rate-limiters.js';

export interface EdgeRefusalSettings {
  /** How long a refusal to a client that was already refused is held before it is sent; 0 = at once. */
  tarpitMs: number;
  /** At most this many refusals held at a time; beyond it they are sent at once. */
  maxHeld: number;
  /** Honour X-Forwarded-For (LATCHKEY_TRUST_PROXY). */
  trustProxy: boolean;
  /** Path prefixes whose requests count per client address (the `address` limit). */
  addressLimitedPaths: string[];
  /** Bodies larger than this are not read to keep the connection: it is closed after the 429. */
  maxBodyBytes: number;
  /** The GraphQL endpoint, where the token and site limits apply. */
  graphqlPath: string;
  /** Whether CORS grants `origin` on a refusal (to the credential's site, if any), without waiting. */
  corsGrant(origin: string, siteId: string | undefined): boolean;
  /** Counts a refusal answered here. */
  counted?(limit: LimitName): void;
  /**
   * Whether a GraphQL request body calls startAuth (so that a token over its startAuth limit is
   * refused here); false when it cannot tell, and GraphQL decides.
   */
  callsStartAuth?(body: Buffer): boolean;
}

/** Who a refusal applies to: the client address (failedAuth, address) or the credential (token, site). */
export interface RefusedCaller {
  address: string;
  authorization: string | null;
  /** The credential's site, for the CORS decision. */
  siteId?: string;
}

export interface EdgeRefusals {
  /**
   * Remembers a refusal the limiters made, until its window ends. Resolves when the refusal may be
   * sent: at once the first time, after the tarpit delay when the caller was already refused.
   */
  remember(error: RateLimited, caller: RefusedCaller): Promise<void>;
  /**
   * Answers the request with a 429 when a remembered refusal applies to it; true when it took the
   * request. A request from a token over its startAuth limit is read first: a startAuth is refused,
   * anything else goes on to `next` with its body kept on the request (`request.body`, a stream).
   */
  handle(request: IncomingMessage, response: ServerResponse, next?: () => void): boolean;
  /** Answers the request with the 429 of `limit` at once, without the tarpit (the fair share's refusal). */
  refuseNow(request: IncomingMessage, response: ServerResponse, limit: LimitName, msBeforeNext: number): void;
  /** Refusals being held by the tarpit now. */
  held(): number;
}

interface Block {
  until: number;
  limit: LimitName;
  siteId?: string;
}

/** More blocked keys than this and the oldest are forgotten (the limiter still refuses them). */
const MAX_BLOCKS = 50_000;

/** The client's address: the socket's peer, or the last X-Forwarded-For hop when a trusted proxy set it. */
export function clientAddress(forwardedFor: string | null | undefined, remoteAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const hops = forwardedFor.split(',').map((part) => part.trim()).filter(Boolean);
    if (hops.length) return hops[hops.length - 1]!;
  }
  return remoteAddress ?? 'unknown';
}

// Credentials are remembered by digest: the map never holds a token.
export const credentialKey = (authorization: string) => `c:${createHash('sha256').update(authorization).digest('base64url')}`;

export function createEdgeRefusals(settings: EdgeRefusalSettings): EdgeRefusals {
  const blocks = new Map<string, Block>();
  let held = 0;

  const keyOf = (limit: LimitName, caller: RefusedCaller): string | undefined => {
    if (limit === 'failedAuth') return `f:${caller.address}`;
    if (limit === 'address') return `a:${caller.address}`;
    if ((limit === 'token' || limit === 'site') && caller.authorization) return credentialKey(caller.authorization);
    // Only the operation tells a startAuth, so its refusals are not answered here, only delayed
    // when repeated; the long-poll cap is never delayed (the contract refuses at once).
    if (limit === 'startAuth' && caller.authorization) return `s${credentialKey(caller.authorization)}`;
    return undefined;
  };

  /** Resolves after the tarpit delay, or at once when the tarpit is off or full. */
  const tarpit = (ms: number, onHeld?: (release: () => void) => void): Promise<void> | undefined => {
    if (settings.tarpitMs <= 0 || held >= settings.maxHeld) return undefined;
    held += 1;
    return new Promise((resolve) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        held -= 1;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(release, Math.min(settings.tarpitMs, ms));
      timer.unref();
      onHeld?.(release);
    });
  };

  const active = (key: string, now: number): Block | undefined => {
    const block = blocks.get(key);
    if (!block) return undefined;
    if (block.until > now) return block;
    blocks.delete(key);
    return undefined;
  };

  const send = (request: IncomingMessage, response: ServerResponse, block: Block, origin: string | undefined) => {
    if (response.destroyed || response.headersSent) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((block.until - Date.now()) / 1000));
    const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER] as string | undefined);
    const { body, headers: common } = rateLimitedAnswer(block.limit, retryAfterSeconds, requestId);
    const headers: Record<string, string> = { ...common, 'content-length': String(Buffer.byteLength(body)), [REQUEST_ID_HEADER]: requestId };
    if (origin) {
      headers['access-control-allow-origin'] = origin;
      headers.vary = 'Origin';
    }
    const length = Number(request.headers['content-length'] ?? 0);
    if (!(length <= settings.maxBodyBytes)) headers.connection = 'close';
    response.writeHead(429, headers).end(body);
  };

  /** Answers with the block's 429, after the tarpit delay when there is room in it (and `delayed`). */
  const refuse = (request: IncomingMessage, response: ServerResponse, block: Block, now: number, delayed = true) => {
    // A browser reads the 429 only with the CORS grant the GraphQL path would give.
    const origin = request.headers.origin;
    const granted = origin && settings.corsGrant(origin, block.siteId) ? origin : undefined;
    settings.counted?.(block.limit);
    // A body within the limit is drained to keep the connection; a larger one is not read at all:
    // the connection is closed once the 429 is written (node would otherwise read it all to discard it).
    const length = Number(request.headers['content-length'] ?? 0);
    if (length <= settings.maxBodyBytes) request.resume();
    else response.once('finish', () => request.socket.destroy());
    const waiting = delayed ? tarpit(block.until - now, (release) => response.once('close', release)) : undefined;
    if (waiting) void waiting.then(() => send(request, response, block, granted));
    else send(request, response, block, granted);
  };

  return {
    async remember(error, caller) {
      const key = keyOf(error.limit, caller);
      if (!key) return;
      const now = Date.now();
      const repeated = active(key, now) !== undefined;
      if (blocks.size >= MAX_BLOCKS && !blocks.has(key)) blocks.delete(blocks.keys().next().value!);
      blocks.set(key, { until: now + error.msBeforeNext, limit: error.limit, siteId: caller.siteId });
      if (repeated) await tarpit(error.msBeforeNext);
    },

    handle(request, response, next) {
      if (blocks.size === 0 || request.method === 'OPTIONS') return false;
      const now = Date.now();
      const address = clientAddress(request.headers['x-forwarded-for'] as string | undefined, request.socket.remoteAddress, settings.trustProxy);
      const authorization = request.headers.authorization;
      const path = (request.url ?? '/').split('?')[0]!;
      let block: Block | undefined;
      if (authorization !== undefined) block = active(`f:${address}`, now);
      if (!block && settings.addressLimitedPaths.some((prefix) => path.startsWith(prefix))) block = active(`a:${address}`, now);
      const credential = !block && authorization && path === settings.graphqlPath ? credentialKey(authorization) : undefined;
      if (credential) block = active(credential, now);
      if (!block && credential && next && settings.callsStartAuth && request.method === 'POST') {
        const startAuth = active(`s${credential}`, now);
        const length = Number(request.headers['content-length']);
        if (startAuth && length <= settings.maxBodyBytes) {
          readBody(request, length).then(
            (body) => {
              if (!response.destroyed && settings.callsStartAuth!(body)) return refuse(request, response, startAuth, Date.now());
              // The server adapter reads a `body` set on the node request instead of its stream. A
              // stream, not the Buffer: it runs Object.keys() on the body, over every byte of a Buffer.
              (request as IncomingMessage & { body?: Readable }).body = Readable.from([body], { objectMode: false });
              next();
            },
            () => response.destroy(),
          );
          return true;
        }
      }
      if (!block) return false;
      refuse(request, response, block, now);
      return true;
    },

    refuseNow(request, response, limit, msBeforeNext) {
      const now = Date.now();
      refuse(request, response, { until: now + msBeforeNext, limit }, now, false);
    },

    held: () => held,
  };
}

/** Reads a request body of a known, bounded length. */
function readBody(request: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > length) request.destroy(new Error('body longer than its Content-Length'));
      else chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks, received)));
    request.once('error', reject);
  });
}
