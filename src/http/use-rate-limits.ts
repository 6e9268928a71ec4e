// Rate limits at the HTTP edge: per client address on routes without a token (OAuth callbacks, the
// connect page) and after failed authentications, per calling token and per site on /graphql, a
// tighter one on startAuth, and a cap on concurrent long-polls per token. Plain routes answer 429
// with Retry-After; GraphQL answers RATE_LIMITED with extensions.retryAfterSeconds (and HTTP 429).
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LatchkeyError } from '../errors.js';
import { currentRequestId } from '../request-context.js';
import type { GraphQLContext } from '../context.js';
import { RateLimited, rateLimitedAnswer, rateLimitedMessage, type RateLimiters } from './rate-limiters.js';
import { clientAddress, type RefusedCaller } from './edge-refusals.js';

export interface RateLimitOptions {
  limiters: RateLimiters;
  /** Honour X-Forwarded-For (LATCHKEY_TRUST_PROXY): only behind a proxy that sets it. */
  trustProxy: boolean;
  /** Path prefixes reachable without a token that count per client address. */
  addressLimitedPaths?: string[];
  /**
   * Told of every refusal, with whom it applies to (the edge refusals remember them; metrics count
   * them); the refusal is sent once what it returns resolves (the tarpit for a repeated refusal).
   */
  onRefused?: (error: RateLimited, caller: RefusedCaller) => Promise<void> | void;
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

export function callerLimits(options: RateLimitOptions): CallerLimits {
  const { limiters, trustProxy } = options;
  return {
    async request(caller, request, serverContext) {
      try {
        await limiters.consume('token', caller.tokenId);
        await limiters.consume('site', caller.siteId);
        return null;
      } catch (error) {
        if (!(error instanceof RateLimited)) throw error;
        const address = clientAddressOf(request, serverContext, trustProxy);
        await options.onRefused?.(error, { address, authorization: request.headers.get('authorization'), siteId: caller.siteId });
        return tooMany(error);
      }
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

export function useRateLimits(options: RateLimitOptions): Plugin<GraphQLContext> {
  const { limiters, trustProxy } = options;
  const addressPaths = options.addressLimitedPaths ?? ADDRESS_LIMITED_PATHS;
  const refused = (error: RateLimited, caller: RefusedCaller) => options.onRefused?.(error, caller);
  const addresses = new WeakMap<Request, string>();
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
          await refused(error, { address: addresses.get(request) ?? 'unknown', authorization: request.headers.get('authorization'), siteId: caller.siteId });
          return setResultAndStopExecution({ errors: [rateLimitedError(error)] });
        }
        throw error;
      }
      if (held === 0) return;
      return {
        onExecuteDone() {
          for (let index = 0; index < held; index += 1) void limiters.release('longPolls', caller.tokenId).catch(() => undefined);
        },
      };
    },
    async onResponse({ request, response }) {
      if (response.status !== 401) return;
      const address = addresses.get(request);
      if (!address) return;
      await limiters.consume('failedAuth', address).catch((error: unknown) => {
        if (error instanceof RateLimited) void refused(error, { address, authorization: request.headers.get('authorization') });
      });
    },
  };
}
