// Rate limits at the HTTP edge: per client address on routes without a token (OAuth callbacks, the
// connect page) and after failed authentications, per calling token and per site on /graphql, a
// tighter one on startAuth, and a cap on concurrent long-polls per token. Plain routes answer 429
// with Retry-After; GraphQL answers RATE_LIMITED with extensions.retryAfterSeconds (and HTTP 429).
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LatchkeyError } from '../errors.js';
import { currentRequestId } from '../request-context.js';
import type { GraphQLContext } from '../context.js';
import { RateLimited, rateLimitedAnswer, rateLimitedMessage, type RateLimiters } from './rate-limiters.js';
import { clientAddress, type RefusedCaller } from './edge-refusals.js';
import { REQUEST_ID_HEADER } from './use-request-id.js';

export interface RateLimitOptions {
  limiters: RateLimiters;
  /** Honour X-Forwarded-For (LATCHKEY_TRUST_PROXY): only behind a proxy that sets it. */
  trustProxy: boolean;
  /** Path prefixes reachable without a token that count per client address. */
  addressLimitedPaths?: string[];
  /**
   * Resolves a request's credential to its site caller (null for none, an admin, or an invalid one),
   * for requests refused before execution, which count against the token and site limits too.
   */
  siteCallerOf?: (authorization: string) => Promise<{ siteId: string; tokenId: string } | null>;
  /** The GraphQL endpoint's path, where the token and site limits apply. */
  graphqlPath?: string;
  /**
   * Told of every refusal, with whom it applies to (the edge refusals remember them; metrics count
   * them); the refusal is sent once what it returns resolves (the tarpit for a repeated refusal).
   */
  onRefused?: (error: RateLimited, caller: RefusedCaller) => Promise<void> | void;
  /** A long-poll within the cap begins to wait; `nodeRequest` is the node HTTP request, when there is one. */
  onLongPollAdmitted?: (nodeRequest: unknown) => void;
}

export const ADDRESS_LIMITED_PATHS = ['/oauth/', '/connect'];

export function rateLimitedError(error: RateLimited): LatchkeyError {
  return new LatchkeyError(
    'RATE_LIMITED',
    rateLimitedMessage(error.limit, error.retryAfterSeconds),
    { retryAfterSeconds: error.retryAfterSeconds, limit: error.limit, http: { status: 429, headers: { 'retry-after': String(error.retryAfterSeconds) } } },
  );
}

function tooMany(error: RateLimited): Response {
  const answer = rateLimitedAnswer(error.limit, error.retryAfterSeconds, currentRequestId());
  return new Response(answer.body, { status: 429, headers: answer.headers });
}

/**
 * The same per-token, per-site and startAuth limits for callers served outside GraphQL execution
 * (the MCP server at /mcp), whose requests the plugin's onExecute never sees.
 */
export interface CallerLimits {
  /** Takes one point of the caller's token and site limits: null, or the 429 to answer. */
  request(caller: { tokenId: string; siteId: string }, request: Request, serverContext: unknown): Promise<Response | null>;
  /** Takes one startAuth point; throws RATE_LIMITED when none is left. */
  startAuth(caller: { tokenId: string }): Promise<void>;
}

/**
 * What a document refused before execution costs its token and site: one request per started
 * REFUSED_BYTES_PER_POINT of its body. Reading, decoding and parsing a body costs the gateway in
 * proportion to its size, and a refused one is never a well-behaved client's steady traffic, so a
 * token sending 200 KB documents meets its limit after a few hundred of them, not 3,000.
 */
export const REFUSED_BYTES_PER_POINT = 16 * 1024;

export function refusedDocumentPoints(contentLength: number): number {
  return Number.isFinite(contentLength) && contentLength > 0 ? Math.max(1, Math.ceil(contentLength / REFUSED_BYTES_PER_POINT)) : 1;
}

/** Takes `points` of the caller's token and site limits: the refusal when too few are left, else null. */
async function takeRequestPoints(limiters: RateLimiters, caller: { tokenId: string; siteId: string }, points = 1): Promise<RateLimited | null> {
  try {
    await limiters.consume('token', caller.tokenId, points);
    await limiters.consume('site', caller.siteId, points);
    return null;
  } catch (error) {
    if (error instanceof RateLimited) return error;
    throw error;
  }
}

export function callerLimits(options: RateLimitOptions): CallerLimits {
  const { limiters, trustProxy } = options;
  return {
    async request(caller, request, serverContext) {
      const error = await takeRequestPoints(limiters, caller);
      if (!error) return null;
      const address = clientAddressOf(request, serverContext, trustProxy);
      await options.onRefused?.(error, { address, authorization: request.headers.get('authorization'), siteId: caller.siteId });
      return tooMany(error);
    },
    async startAuth(caller) {
      try {
        await limiters.consume('startAuth', caller.tokenId);
      } catch (error) {
        throw error instanceof RateLimited ? rateLimitedError(error) : error;
      }
    },
  };
}

/** The client's address: the socket's peer, or the last X-Forwarded-For hop when a trusted proxy set it. */
export function clientAddressOf(request: Request, serverContext: unknown, trustProxy: boolean): string {
  const req = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req;
  return clientAddress(request.headers.get('x-forwarded-for'), req?.socket?.remoteAddress, trustProxy);
}

function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((operation) => operation.name?.value === operationName) : operations[0];
}

/** Root fields of the operation: how many startAuth, and whether any long-polls (waitSeconds > 0). */
function rootFieldsOf(operation: OperationDefinitionNode | undefined, variables: Record<string, unknown>) {
  let startAuth = 0;
  let longPolls = 0;
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD) continue;
    const name = selection.name.value;
    if (operation?.operation === 'mutation' && name === 'startAuth') startAuth += 1;
    if (name === 'authAttempt' || name === 'customAuthAttempt') {
      const argument = selection.arguments?.find((arg) => arg.name.value === 'waitSeconds');
      const value = argument?.value.kind === Kind.INT ? Number(argument.value.value) : argument?.value.kind === Kind.VARIABLE ? Number(variables[argument.value.name.value] ?? 0) : 0;
      if (value > 0) longPolls += 1;
    }
  }
  return { startAuth, longPolls };
}

/**
 * Whether a JSON GraphQL request body is an operation that calls startAuth, as onExecute would count
 * it; false for anything it cannot read (GraphQL then decides). For the edge refusals: it parses
 * only documents within `maxTokens`, and only bodies from a token already over its startAuth limit.
 */
export function callsStartAuth(body: Buffer, limits: { maxTokens: number; maxQueryBytes: number }): boolean {
  // Cheap checks first: the same token's other requests (huge documents among them) pass here too.
  // A document calling startAuth names it (GraphQL names have no escapes), and one over the size
  // limit is refused by GraphQL whatever it calls.
  if (!body.includes('startAuth')) return false;
  let params: unknown;
  try {
    params = JSON.parse(body.toString('utf8'));
  } catch {
    return false;
  }
  if (!params || typeof params !== 'object' || Array.isArray(params)) return false;
  const { query, operationName, variables } = params as { query?: unknown; operationName?: unknown; variables?: unknown };
  if (typeof query !== 'string' || (operationName != null && typeof operationName !== 'string')) return false;
  if (query.length > limits.maxQueryBytes || !query.includes('startAuth')) return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true, maxTokens: limits.maxTokens });
  } catch {
    return false;
  }
  const vars = variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : {};
  return rootFieldsOf(operationOf(document, operationName as string | null | undefined), vars).startAuth > 0;
}

export function useRateLimits(options: RateLimitOptions): Plugin<GraphQLContext> {
  const { limiters, trustProxy } = options;
  const addressPaths = options.addressLimitedPaths ?? ADDRESS_LIMITED_PATHS;
  const refused = (error: RateLimited, caller: RefusedCaller) => options.onRefused?.(error, caller);
  const addresses = new WeakMap<Request, string>();
  /** Whom a refusal of a site's request applies to: its address and credential. */
  const siteCaller = (request: Request, siteId: string): RefusedCaller => ({ address: addresses.get(request) ?? 'unknown', authorization: request.headers.get('authorization'), siteId });
  // Requests whose token and site points were taken in onExecute; every other /graphql request with
  // a site's credential (a document refused before execution: too large, too deep, a parse error…)
  // takes them in onResponse, so that a token sending only refused documents meets its limit too.
  const counted = new WeakSet<Request>();
  const graphqlPath = options.graphqlPath ?? '/graphql';

  /** Takes the token and site points of a request that never reached execution; a RateLimited when none is left. */
  const countUnexecuted = async (request: Request, status: number): Promise<{ error: RateLimited; siteId: string } | null> => {
    if (!options.siteCallerOf || counted.has(request) || status === 401 || status === 429 || request.method === 'OPTIONS') return null;
    const authorization = request.headers.get('authorization');
    if (!authorization || new URL(request.url).pathname !== graphqlPath) return null;
    const caller = await options.siteCallerOf(authorization).catch(() => null);
    if (!caller) return null;
    const error = await takeRequestPoints(limiters, caller, refusedDocumentPoints(Number(request.headers.get('content-length'))));
    return error ? { error, siteId: caller.siteId } : null;
  };

  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      const address = clientAddressOf(request, serverContext, trustProxy);
      addresses.set(request, address);
      try {
        if (addressPaths.some((prefix) => url.pathname.startsWith(prefix))) await limiters.consume('address', address);
        if (request.headers.has('authorization')) {
          const lockedOut = await limiters.exhausted('failedAuth', address);
          if (lockedOut) throw lockedOut;
        }
      } catch (error) {
        if (error instanceof RateLimited) {
          await refused(error, { address, authorization: request.headers.get('authorization') });
          return endResponse(tooMany(error));
        }
        throw error;
      }
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const caller = args.contextValue.caller;
      counted.add(args.contextValue.request);
      if (caller?.kind !== 'site') return;
      const fields = rootFieldsOf(operationOf(args.document, args.operationName), (args.variableValues ?? {}) as Record<string, unknown>);
      let held = 0;
      try {
        await limiters.consume('token', caller.tokenId);
        await limiters.consume('site', caller.siteId);
        for (let index = 0; index < fields.startAuth; index += 1) await limiters.consume('startAuth', caller.tokenId);
        for (; held < fields.longPolls; held += 1) await limiters.consume('longPolls', caller.tokenId);
      } catch (error) {
        for (let index = 0; index < held; index += 1) await limiters.release('longPolls', caller.tokenId).catch(() => undefined);
        if (error instanceof RateLimited) {
          const request = args.contextValue.request;
          await refused(error, siteCaller(request, caller.siteId));
          return setResultAndStopExecution({ errors: [rateLimitedError(error)] });
        }
        throw error;
      }
      if (held === 0) return;
      options.onLongPollAdmitted?.((args.contextValue as { req?: unknown }).req);
      return {
        onExecuteDone() {
          for (let index = 0; index < held; index += 1) void limiters.release('longPolls', caller.tokenId).catch(() => undefined);
        },
      };
    },
    async onResponse({ request, response, setResponse }) {
      const unexecuted = await countUnexecuted(request, response.status);
      if (unexecuted) {
        await refused(unexecuted.error, siteCaller(request, unexecuted.siteId));
        // The refusal replaces an answer the earlier plugins already finished: keep its request id and CORS.
        const replacement = tooMany(unexecuted.error);
        for (const [name, value] of response.headers) {
          if (name === REQUEST_ID_HEADER || name === 'vary' || name.startsWith('access-control-')) replacement.headers.set(name, value);
        }
        return setResponse(replacement);
      }
      if (response.status !== 401) return;
      const address = addresses.get(request);
      if (!address) return;
      await limiters.consume('failedAuth', address).catch((error: unknown) => {
        if (error instanceof RateLimited) void refused(error, { address, authorization: request.headers.get('authorization') });
      });
    },
  };
}
