// One gateway instance: the GraphQL API on /graphql and the plain HTTP routes beside it, as a
// graphql-yoga server (a fetch handler that tests call in-process and node:http serves).
import type { IncomingMessage } from 'node:http';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { useGraphQlJit } from '@envelop/graphql-jit';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createLogger, type Logger } from './logger.js';
import { errorCauseFields } from './error-cause.js';
import { createServices, type Services } from './services.js';
import type { GraphQLContext } from './context.js';
import { schema } from './schema/index.js';
import { handleOAuthCallback } from './http/oauth-callback.js';
import { handleOAuthStart } from './http/oauth-start.js';
import { useUpstreamUsage } from './passthrough/usage.js';
import { useBrowserPages } from './http/browser-pages.js';
import { useRequestId } from './http/use-request-id.js';
import { useMetrics } from './metrics/use-metrics.js';
import { useTracing } from './telemetry/use-tracing.js';
import { exampleTabs, GRAPHIQL_HEADERS, renderLocalGraphiQL } from './http/graphiql.js';
import { MCP_PATH, useMcp } from './mcp/use-mcp.js';
import { isPublicOAuthPath, useMcpAuthorization } from './mcp/use-mcp-authorization.js';
import { useNoStore } from './http/use-no-store.js';
import { GRAPHQL_PATH, isGraphQlPath, useGraphQlPathOnly } from './http/use-graphql-path-only.js';
import { useCsrfPrevention } from './http/use-csrf-prevention.js';
import { corsPolicy } from './http/use-cors.js';
import { useNoSuggestions } from './http/use-no-suggestions.js';
import { useNoEchoedValues } from './http/use-no-echoed-values.js';
import { useStandardVariableErrors } from './http/use-standard-variable-errors.js';
import { useMaxQuerySize } from './http/use-max-query-size.js';
import { createOriginPolicy } from './sites/origin-policy.js';
import { ADDRESS_LIMITED_PATHS, callerLimits, callsStartAuth, useRateLimits, type RateLimitOptions } from './http/use-rate-limits.js';
import { createEdgeRefusals, type EdgeRefusals } from './http/edge-refusals.js';
import { createFairShare, type FairShare } from './http/fair-share.js';
import { useBrowserTokens } from './http/use-browser-tokens.js';
import { createRateLimiters, type RateLimiters } from './http/rate-limiters.js';
import { MAX_WAIT_SECONDS } from './connections/authorization-flow.js';
import { createKeyHealth, type KeyHealth } from './crypto/key-health.js';
import { keyProblem } from './crypto/key-check.js';
import { createDocumentCaches, type DocumentCaches } from './http/document-caches.js';

export const MAX_BODY_BYTES = 256 * 1024;
const GRAPHIQL_OPTIONS = {
  title: 'Latchkey',
  headers: GRAPHIQL_HEADERS,
  defaultQuery: 'query Secrets {\n  secrets {\n    loggedInServices { service isLoggedIn expiresAt grantedScopes { scope } }\n  }\n}\n',
  defaultTabs: exampleTabs(GRAPHIQL_HEADERS),
};
const MCP_SERVER_VERSION = '0.1.0';
const INTROSPECTION_MAX_DEPTH = 30;
const CONTRACT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'AUTH_STATE_INVALID',
  'PROVIDER_ERROR',
  'NEEDS_REAUTH',
  'NOT_LOGGED_IN',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'KEY_UNAVAILABLE',
]);

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * GET /oauth/jwks/<siteId>/<slug>: the public keys of a site's private_key_jwt custom service, which
 * its authorization server fetches (as the client's jwks_uri) to verify the gateway's assertions.
 */
async function clientJwksResponse(services: Services, request: Request, url: URL): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET, HEAD' } });
  const match = /^\/oauth\/jwks\/([^/]{1,100})\/([^/]{1,40})$/.exec(url.pathname);
  const jwks = match ? await services.customServices.jwksOf(decodeURIComponent(match[1]!), match[2]!) : null;
  if (!jwks) return json({ error: 'not_found', error_description: 'No custom service using PRIVATE_KEY_JWT at this path.' }, 404);
  return new Response(JSON.stringify(jwks), {
    headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' },
  });
}

/** Health, readiness and OAuth callback routes, answered before GraphQL sees the request. */
function useGatewayRoutes(services: Services, keyHealth: KeyHealth): Plugin<GraphQLContext> {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname === '/healthz') return endResponse(json({ status: 'ok' }));
      if (url.pathname === '/readyz') {
        let keys: string | null;
        try {
          await services.db.$queryRaw`SELECT 1`;
          keys = (await keyProblem(services.db, services.keyring)) ?? keyHealth.problem();
        } catch {
          return endResponse(json({ status: 'unavailable', reason: 'the database does not answer' }, 503));
        }
        if (keys) return endResponse(json({ status: 'unavailable', reason: keys }, 503));
        return endResponse(json({ status: 'ok' }));
      }
      if (url.pathname.startsWith('/oauth/jwks/')) return endResponse(await clientJwksResponse(services, request, url));
      if (url.pathname.startsWith('/oauth/callback/')) {
        if (request.method !== 'GET') return endResponse(new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET' } }));
        return endResponse(await handleOAuthCallback(services, url, request.headers.get('cookie')));
      }
      if (url.pathname.startsWith('/oauth/start/')) {
        if (request.method !== 'GET') return endResponse(new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET' } }));
        return endResponse(await handleOAuthStart(services, request, url));
      }
      const length = Number(request.headers.get('content-length') ?? 0);
      if (length > MAX_BODY_BYTES) {
        return endResponse(
          json({ errors: [{ message: `Request body too large (limit ${MAX_BODY_BYTES} bytes).`, extensions: { code: 'BAD_USER_INPUT' } }] }, 413),
        );
      }
    },
  };
}

/** Parse and validation errors (including graphql-armor's limits) carry the contract's BAD_USER_INPUT. */
function useContractErrorCodes(): Plugin {
  const recode = (error: GraphQLError): GraphQLError => {
    const code = error.extensions?.code;
    if (typeof code === 'string' && CONTRACT_CODES.has(code)) return error;
    if (code === 'INTERNAL_SERVER_ERROR' || error.extensions?.unexpected) return error;
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
    });
  };
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      setResult({ ...result, errors: result.errors.map((error) => (error instanceof GraphQLError ? recode(error) : error)) });
    },
  };
}

export interface Latchkey {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  services: Services;
  logger: Logger;
  rateLimiters: RateLimiters;
  /** Parsed documents, parse errors and compiled queries kept for reuse, bounded in bytes. */
  documentCaches: DocumentCaches;
  /** Refusals the node HTTP handler answers before yoga (src/http/edge-refusals.ts). */
  edge: EdgeRefusals;
  /** Each caller's turns on the gateway's thread, taken in the node HTTP handler (src/http/fair-share.ts). */
  fairShare: FairShare;
}

export function createLatchkey(config: Config, db: Database, logger: Logger = createLogger(config.logLevel)): Latchkey {
  const services = createServices(config, db, logger);
  const origins = createOriginPolicy({ db, publicUrl: config.publicUrl, cacheMs: config.tokenCacheMs });
  const keyHealth = createKeyHealth(logger);
  const rateLimiters = createRateLimiters(config.rateLimits, { databaseUrl: config.databaseUrl, logger, longestLongPollSeconds: MAX_WAIT_SECONDS });
  const documentCaches = createDocumentCaches({ maxMb: config.documentCacheMb });
  const edge = createEdgeRefusals({
    tarpitMs: config.rateLimits.tarpitMs,
    maxHeld: config.rateLimits.tarpitMaxHeld,
    trustProxy: config.trustProxy,
    addressLimitedPaths: ADDRESS_LIMITED_PATHS,
    graphqlPath: GRAPHQL_PATH,
    maxBodyBytes: MAX_BODY_BYTES,
    // A refusal carries nothing a foreign page could use, but it is readable only where the GraphQL
    // path would grant CORS; what this process does not hold yet is looked up for the next refusal
    // (waiting for it would let a flood through by sending a new Origin each time).
    corsGrant(origin, siteId) {
      const known = origins.cachedAllows(siteId, origin);
      if (known === undefined) void (siteId === undefined ? origins.allowsForSomeSite(origin) : origins.allowsForSite(siteId, origin)).catch(() => undefined);
      return known ?? false;
    },
    counted: (limit) => services.metrics.rateLimitRejected(`edge:${limit}`),
    callsStartAuth: (body) => callsStartAuth(body, { maxTokens: config.maxQueryTokens, maxQueryBytes: config.maxQueryBytes }),
  });
  const fairShare = createFairShare({
    concurrency: config.rateLimits.concurrentPerToken,
    backloggedConcurrency: config.rateLimits.concurrentBacklogged,
    turnMs: config.rateLimits.concurrentTurnMs,
    maxWaiting: config.rateLimits.concurrentMaxWaiting,
    // As long as the failed authentication counts against its address.
    suspectMs: 60_000,
    trustProxy: config.trustProxy,
    authenticates: (request) => {
      const path = request.url?.split('?', 1)[0];
      return path === GRAPHQL_PATH || path === MCP_PATH;
    },
    refuse: (request, response) => edge.refuseNow(request, response, 'concurrent', 1000),
  });
  const rateLimitOptions: RateLimitOptions = {
    limiters: rateLimiters,
    trustProxy: config.trustProxy,
    graphqlPath: GRAPHQL_PATH,
    siteCallerOf: (authorization) => services.sites.authenticate(authorization).then((caller) => (caller?.kind === 'site' ? caller : null)),
    onRefused(error, caller) {
      services.metrics.rateLimitRejected(error.limit);
      return edge.remember(error, caller);
    },
    // A long-poll waits without this thread: its caller's next request need not wait for it.
    onLongPollAdmitted: (nodeRequest) => {
      if (nodeRequest) fairShare.release(nodeRequest as IncomingMessage);
    },
  };
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    parserAndValidationCache: documentCaches.parserAndValidationCache,
    logging: {
      debug: (...args) => logger.debug(String(args[0])),
      info: (...args) => logger.info(String(args[0])),
      warn: (...args) => logger.warn(String(args[0])),
      // Yoga logs the unexpected errors it masks: their class, code and redacted message, so an
      // operator can act and no secret can leak.
      error: (...args) => {
        const error = args.find((arg) => arg instanceof Error);
        logger.error('unexpected error', error ? errorCauseFields(error) : { kind: args.map((arg) => typeof arg).join(',') });
      },
    },
    maskedErrors: { isDev: false, maskError: keyHealth.maskError },
    cors: corsPolicy({ origins, authenticate: (header) => services.sites.authenticate(header), isPublicPath: isPublicOAuthPath }),
    // A factory, because yoga's own GraphiQL plugin runs before any of ours and would render the
    // page on every URL ending in /graphql (see use-graphql-path-only.ts).
    graphiql: (request) => isGraphQlPath(request) && GRAPHIQL_OPTIONS,
    renderGraphiQL: renderLocalGraphiQL,
    context: async ({ request }) => ({
      services,
      db,
      request,
      caller: await services.sites.authenticate(request.headers.get('authorization')),
    }),
    plugins: [
      useRequestId(),
      useNoStore(),
      useRateLimits(rateLimitOptions),
      useMetrics({
        metrics: services.metrics,
        serveOnMainPort: config.metrics.port === undefined,
        isAdmin: (header) => services.sites.authenticate(header).then((caller) => caller?.kind === 'admin', () => false),
      }),
      useGatewayRoutes(services, keyHealth),
      useMcpAuthorization({ server: services.mcpAuthorization, clients: services.mcpClients, db, publicUrl: config.publicUrl }),
      useMcp({ services, schema, publicUrl: config.publicUrl, version: MCP_SERVER_VERSION, limits: callerLimits(rateLimitOptions) }),
      useCsrfPrevention(),
      useBrowserTokens({ origins }),
      useBrowserPages(),
      useGraphQlPathOnly(),
      useMaxQuerySize(config.maxQueryBytes),
      EnvelopArmorPlugin({
        maxDepth: { n: config.maxQueryDepth },
        maxTokens: { n: config.maxQueryTokens },
        maxAliases: { n: 30 },
        maxDirectives: { n: 30 },
        costLimit: { maxCost: 5000 },
        blockFieldSuggestion: { enabled: true },
      }),
      // Introspection gets its own, wider depth limit: GraphiQL's query is 21 deep, and a query
      // nesting `ofType` hundreds of times would otherwise cost real CPU within the token limit.
      maxDepthPlugin({ n: INTROSPECTION_MAX_DEPTH, ignoreIntrospection: false }),
      // Compiles each validated document once into a plain function: the hot `secrets` query then
      // costs little more than a bare graphql-yoga answer.
      useGraphQlJit({}, { cache: documentCaches.jitCache }),
      useStandardVariableErrors(),
      useTracing(),
      useContractErrorCodes(),
      useNoSuggestions(),
      useNoEchoedValues(),
      useUpstreamUsage(),
    ],
  });
  return { yoga, services, logger, rateLimiters, documentCaches, edge, fairShare };
}
