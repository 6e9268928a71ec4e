// Pass-through: calls a provider's REST API with the caller's stored token. One session per
// GraphQL request and service picks the connection once, deduplicates identical GETs (DataLoader),
// revalidates cached GETs with their ETag, refreshes and retries once on a 401, waits a bounded time
// for a rate limit to pass, and turns every failure into a contract error that never carries the
// token. The token only ever goes to the provider's API origin: requests go through a pool bound to
// it, with paths built from fixed templates.
import DataLoader from 'dataloader';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ServiceRegistry } from '../registry/service-registry.js';
import { grantedScopesOf, type ConnectionRow, type ConnectionStore } from '../connections/connection-store.js';
import { isUsable, type TokenRefresher } from '../connections/token-refresh.js';
import type { ServiceSecretView } from '../connections/secrets-view.js';
import { assertScopes, MissingScopesError } from '../connections/scope-check.js';
import { forbidden, LatchkeyError, needsReauth, notLoggedIn, upstreamError } from '../errors.js';
import type { ServiceKey, ServiceName } from '../providers/types.js';
import type { UpstreamProblem } from './api-profiles.js';
import { catalogApiTarget, type ApiTarget } from './api-target.js';
import { apiBase } from './api-path.js';
import { createRateLimitBlocks, sleep } from './rate-limits.js';
import { createResponseCache } from './response-cache.js';
import { checkUpstreamBudget, recordRateLimited, recordResponse, type RequestUsage } from './usage.js';
import { noMetrics, type Metrics } from '../metrics/metrics.js';
import {
  createUpstreamPools,
  UpstreamCancelledError,
  UpstreamTimeoutError,
  UpstreamTransportError,
  type UpstreamHttpResponse,
  type UpstreamMethod,
} from './upstream-pool.js';

/** A scope, or alternatives of which one suffices (GitHub's `repo` covers `public_repo`). */
export type ScopeRequirement = string | readonly string[];

export interface UpstreamResult<T = unknown> {
  status: number;
  data: T;
  /** The Link header (GitHub's pagination). */
  link: string | undefined;
}

export interface CallOptions {
  scopes?: readonly ScopeRequirement[];
}

export interface SendOptions extends CallOptions {
  /** Sent as JSON. */
  body?: unknown;
}

/** A proxied request: `path` is relative to the API base and already checked (see src/proxy/). */
export interface RawRequest {
  method: UpstreamMethod;
  path: string;
  /** The caller's headers, already filtered; the API's own headers and the credential win over them. */
  headers: Record<string, string>;
  body?: string;
  maxResponseBytes?: number;
}

/** The provider's answer as it came, with the credential redacted wherever it was echoed. */
export interface RawResult {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface SessionInput {
  service: ServiceKey;
  /** Where the API is and how it talks; the catalog's facts for `service` when absent. */
  target?: ApiTarget;
  /** The caller's view of its connection to the service (one read per request). */
  connection: () => Promise<ServiceSecretView>;
  /** False when the caller's token is limited to other services. */
  allowed: boolean;
  signal?: AbortSignal;
  usage: RequestUsage;
}

/** A non-2xx answer from the provider, as the contract's UPSTREAM_ERROR. */
export class UpstreamStatusError extends LatchkeyError {
  constructor(
    readonly service: ServiceKey,
    name: string,
    readonly status: number,
    problem: UpstreamProblem,
  ) {
    const detail = problem.message ? ` (${problem.message})` : '';
    const hint =
      status === 404
        ? ': not found, or not visible to this connection.'
        : status >= 500
          ? ': try again shortly.'
          : status === 400 || status === 422
            ? ': check the arguments.'
            : '.';
    super('UPSTREAM_ERROR', `${name} answered HTTP ${status}${detail}${hint}`, {
      service,
      upstreamStatus: status,
      ...(problem.reason ? { upstreamReason: problem.reason } : {}),
    });
  }
}

interface Connection {
  row: ConnectionRow;
  token: string;
  /** The connection that replaced this one after the provider refused its token. */
  replacement?: Promise<Connection>;
}

const MAX_REDIRECTS = 3;
const MAX_PROBLEM_LENGTH = 300;
const REDIRECT_STATUSES = new Set([301, 302, 307, 308]);

export interface PassthroughDeps {
  config: Pick<Config, 'providerTimeoutSeconds' | 'rateLimitMaxWaitSeconds' | 'upstreamCacheMb' | 'maxUpstreamCallsPerRequest'>;
  registry: Pick<ServiceRegistry, 'catalogApiOf'>;
  store: Pick<ConnectionStore, 'accessTokenOf'>;
  refresher: Pick<TokenRefresher, 'forceRefresh'>;
  logger: Logger;
  metrics?: Metrics;
}

export function createPassthrough(deps: PassthroughDeps) {
  const timeoutMs = deps.config.providerTimeoutSeconds * 1000;
  const maxWaitMs = deps.config.rateLimitMaxWaitSeconds * 1000;
  const pools = createUpstreamPools({ timeoutMs });
  const cache = deps.config.upstreamCacheMb > 0 ? createResponseCache(deps.config.upstreamCacheMb * 1024 * 1024) : null;
  const blocks = createRateLimitBlocks();
  const bases = new Map<string, ReturnType<typeof apiBase>>();
  const tokenOf = (row: ConnectionRow): string => deps.store.accessTokenOf(row)!;
  const metrics = deps.metrics ?? noMetrics;

  /** An API base URL split once. */
  function baseOf(baseUrl: string): ReturnType<typeof apiBase> {
    let base = bases.get(baseUrl);
    if (!base) {
      base = apiBase(baseUrl);
      bases.set(baseUrl, base);
    }
    return base;
  }

  function session(input: SessionInput) {
    const { service, usage, signal } = input;
    const apiTarget = input.target ?? catalogApiTarget(deps, service as ServiceName);
    const profile = apiTarget.profile;
    const name = apiTarget.name;
    const base = baseOf(apiTarget.baseUrl);
    let connection: Promise<Connection> | undefined;

    function redact(problem: UpstreamProblem, token: string): UpstreamProblem {
      const clean = (value: string | undefined) =>
        value === undefined ? undefined : value.split(token).join('[redacted]').slice(0, MAX_PROBLEM_LENGTH);
      return { message: clean(problem.message), reason: clean(problem.reason) };
    }

    async function resolveConnection(): Promise<Connection> {
      if (!input.allowed) throw forbidden(`This token may not use ${name}: use a token whose services include ${service}.`);
      const view = await input.connection();
      const row = view.row;
      if (!row) throw notLoggedIn(service, name);
      if (row.status === 'NEEDS_REAUTH') {
        throw needsReauth(service, `${row.lastError ?? `${name} refused the stored tokens`}; connect again with startAuth(input: { service: ${service} }).`);
      }
      if (!isUsable(row)) throw notLoggedIn(service, name);
      if (view.refreshError) throw view.refreshError;
      return { row, token: tokenOf(row) };
    }

    function current(): Promise<Connection> {
      connection ??= resolveConnection();
      return connection;
    }

    /**
     * After a 401: one forced refresh per rejected token, shared by every call of this request (the
     * refresher also takes what another instance stored meanwhile, and refuses to refresh in a loop).
     */
    function replaceRejected(rejected: Connection): Promise<Connection> {
      rejected.replacement ??= (async () => {
        const row = await deps.refresher.forceRefresh(rejected.row);
        if (row.status === 'NEEDS_REAUTH') {
          throw needsReauth(service, `${name} refused the stored token and it could not be refreshed; connect again with startAuth(input: { service: ${service} }).`);
        }
        if (!isUsable(row)) throw notLoggedIn(service, name);
        if (row.version === rejected.row.version || tokenOf(row) === rejected.token) {
          // Refreshed moments ago, or backing off after a failed refresh or a rejected fresh token:
          // a retry would fail alike. The connection's lastError says why, the same on every call.
          throw new UpstreamStatusError(service, name, 401, {
            message: row.lastError ?? 'the stored token was refused and was refreshed too recently to refresh again; try again shortly',
          });
        }
        return { row, token: tokenOf(row) };
      })();
      connection = rejected.replacement;
      return rejected.replacement;
    }

    function checkScopes(row: ConnectionRow, scopes: readonly ScopeRequirement[] | undefined): void {
      if (!scopes?.length) return;
      const granted = grantedScopesOf(row);
      // A GitHub App's user token reports no scopes (its permissions are set on the app): the
      // provider's answer decides.
      if (granted.length === 0) return;
      assertScopes(service, granted, scopes);
    }

    function rateLimited(connectionId: string, untilMs: number): LatchkeyError {
      blocks.block(connectionId, base.host, untilMs);
      const resetAt = new Date(untilMs);
      recordRateLimited(usage, base.host, service, resetAt);
      metrics.rateLimitRejected(`upstream:${service.toLowerCase()}`);
      return new LatchkeyError(
        'RATE_LIMITED',
        `${name} is rate-limiting this connection: try again after ${resetAt.toISOString()}.`,
        { service, resetAt: resetAt.toISOString(), retryAfterSeconds: Math.max(1, Math.ceil((untilMs - Date.now()) / 1000)) },
      );
    }

    /** Waits out a block this process already knows of, if short enough. True when it waited. */
    async function respectBlock(connectionId: string): Promise<boolean> {
      const until = blocks.blockedUntil(connectionId, base.host);
      if (until === undefined) return false;
      const wait = until - Date.now();
      if (wait > maxWaitMs) throw rateLimited(connectionId, until);
      await sleep(wait, signal).catch((error: unknown) => {
        throw transportFailure(error);
      });
      return true;
    }

    function transportFailure(error: unknown): LatchkeyError {
      if (error instanceof LatchkeyError) return error;
      if (error instanceof UpstreamTimeoutError) return upstreamError(service, `${name} did not answer in time (${error.message}); try again shortly.`);
      if (error instanceof UpstreamCancelledError) return upstreamError(service, `The call to ${name} was cancelled because the client went away.`);
      if (error instanceof UpstreamTransportError) return upstreamError(service, `${name} could not be reached (${error.message}); try again shortly.`);
      return upstreamError(service, `The call to ${name} failed; try again shortly.`);
    }

    /** One HTTP exchange, following redirects only within the API's origin and path. */
    async function exchange(method: UpstreamMethod, path: string, headers: Record<string, string>, body: string | undefined, maxResponseBytes?: number): Promise<UpstreamHttpResponse> {
      let target = base.prefix + path;
      for (let hop = 0; ; hop += 1) {
        const started = performance.now();
        const response = await pools.send(base.origin, { method, path: target, headers, body, signal, maxResponseBytes, guard: apiTarget.connectPolicy }).catch((error: unknown) => {
          throw transportFailure(error);
        });
        const ms = performance.now() - started;
        metrics.upstreamCall(service, response.status, ms / 1000);
        deps.logger.debug('upstream call', { service, method, status: response.status, ms: Math.round(ms) });
        const location = response.header('location');
        if (method !== 'GET' || !REDIRECT_STATUSES.has(response.status) || !location || hop >= MAX_REDIRECTS) return response;
        const next = new URL(location, `${base.origin}${target}`);
        if (next.origin !== base.origin || !(next.pathname === base.prefix || next.pathname.startsWith(`${base.prefix}/`))) {
          throw upstreamError(service, `${name} redirected the call to another host; it was not followed, so the token stays with ${name}.`, response.status);
        }
        target = next.pathname + next.search;
      }
    }

    function parse(response: UpstreamHttpResponse): unknown {
      if (!response.text) return null;
      try {
        return JSON.parse(response.text);
      } catch {
        if (response.status >= 200 && response.status < 300) {
          throw upstreamError(service, `${name} answered with something that is not JSON; try again shortly.`, response.status);
        }
        return null;
      }
    }

    function failure(response: UpstreamHttpResponse, data: unknown, current: Connection): LatchkeyError {
      if (response.status === 403 && profile.acceptedScopes) {
        const accepted = profile.acceptedScopes(response.header);
        const granted = grantedScopesOf(current.row);
        if (accepted && granted.length > 0 && !accepted.some((scope) => granted.includes(scope))) {
          return new MissingScopesError(service, [accepted[0]!]);
        }
      }
      return new UpstreamStatusError(service, name, response.status, redact(profile.problem(data), current.token));
    }

    async function execute(method: UpstreamMethod, path: string, body?: string): Promise<UpstreamResult> {
      let active = await current();
      let refreshed = false;
      let waited = false;
      for (;;) {
        waited = (await respectBlock(active.row.id)) || waited;
        const cached = method === 'GET' ? cache?.get(active.row.id, path) : undefined;
        const headers: Record<string, string> = { ...apiTarget.headers, authorization: `Bearer ${active.token}` };
        if (cached) headers['if-none-match'] = cached.etag;
        if (body) headers['content-type'] = 'application/json';
        checkUpstreamBudget(usage, deps.config.maxUpstreamCallsPerRequest);
        const response = await exchange(method, path, headers, body);
        const quota = profile.quota(response.header);
        recordResponse(usage, base.host, service, response.status, quota);
        if (quota?.remaining !== undefined) metrics.quotaLeft(service, base.host, quota.remaining);

        if (response.status === 304 && cached) return { status: 200, data: cached.data, link: cached.link };
        if (response.status === 401) {
          // A second 401 means the fresh token was rejected too: replaceRejected records that on the
          // connection (back-off, lastError) and throws the answer every later call gets as well.
          active = await replaceRejected(active);
          if (refreshed) {
            throw needsReauth(service, `${name} refused the token even after it was refreshed; connect again with startAuth(input: { service: ${service} }).`);
          }
          refreshed = true;
          continue;
        }
        const data = parse(response);
        const limit = profile.rateLimit(response.status, response.header, data, Date.now());
        if (limit) {
          metrics.upstreamRateLimited(service);
          if (!waited && limit.waitMs <= maxWaitMs) {
            waited = true;
            await sleep(limit.waitMs, signal).catch((error: unknown) => {
              throw transportFailure(error);
            });
            continue;
          }
          throw rateLimited(active.row.id, Date.now() + limit.waitMs);
        }
        if (response.status >= 200 && response.status < 300) {
          const etag = response.header('etag');
          if (method === 'GET' && cache && etag) cache.set(active.row.id, path, { etag, data, link: response.header('link') }, response.text.length);
          return { status: response.status, data, link: response.header('link') };
        }
        throw failure(response, data, active);
      }
    }

    // Identical GETs within one GraphQL request go upstream once.
    const reads = new DataLoader<string, UpstreamResult>(
      (paths) => Promise.all(paths.map((path) => execute('GET', path).catch((error: unknown) => error as Error))),
      { batch: false },
    );

    async function prepare(options: CallOptions): Promise<void> {
      const active = await current();
      checkScopes(active.row, options.scopes);
    }

    /** GET `path` (built with apiPath/withQuery); rejects on any non-2xx answer. */
    async function get<T = unknown>(path: string, options: CallOptions = {}): Promise<UpstreamResult<T>> {
      await prepare(options);
      return reads.load(path) as Promise<UpstreamResult<T>>;
    }

    /** GET `path`, or null when the provider answers 404. */
    async function find<T = unknown>(path: string, options: CallOptions = {}): Promise<UpstreamResult<T> | null> {
      try {
        return await get<T>(path, options);
      } catch (error) {
        if (error instanceof UpstreamStatusError && error.status === 404) return null;
        throw error;
      }
    }

    /** A write; never deduplicated or cached. */
    async function send<T = unknown>(method: Exclude<UpstreamMethod, 'GET'>, path: string, options: SendOptions = {}): Promise<UpstreamResult<T>> {
      await prepare(options);
      // GitHub wants Content-Length: 0 on a PUT without a body.
      const body = options.body === undefined ? (method === 'DELETE' ? undefined : '') : JSON.stringify(options.body);
      return execute(method, path, body) as Promise<UpstreamResult<T>>;
    }

    /** Replaces every occurrence of the credential, so an API that echoes it cannot hand it out. */
    const scrub = (value: string, token: string): string => (value.includes(token) ? value.split(token).join('[redacted]') : value);

    function rawResult(response: UpstreamHttpResponse, token: string): RawResult {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        headers[key] = scrub(Array.isArray(value) ? value.join(', ') : value, token);
      }
      return { status: response.status, headers, text: scrub(response.text, token) };
    }

    function tryParse(text: string): unknown {
      try {
        return text ? JSON.parse(text) : null;
      } catch {
        return null;
      }
    }

    /**
     * Any request below the API base (the proxy), answered with the provider's status, headers and
     * body whatever they are; only a refused token (refresh, one retry) and rate limits are handled
     * here, as for the typed fields. GETs the caller did not make conditional are revalidated with
     * the cached ETag.
     */
    async function raw(request: RawRequest): Promise<RawResult> {
      let active = await current();
      let refreshed = false;
      let waited = false;
      const conditional = 'if-none-match' in request.headers || 'if-modified-since' in request.headers;
      const useCache = request.method === 'GET' && cache !== null && !conditional;
      const cacheKey = `proxy ${request.path} ${JSON.stringify(request.headers)}`;
      for (;;) {
        waited = (await respectBlock(active.row.id)) || waited;
        const cached = useCache ? cache.get(active.row.id, cacheKey) : undefined;
        const headers: Record<string, string> = { ...request.headers, ...apiTarget.headers, authorization: `Bearer ${active.token}` };
        if (cached) headers['if-none-match'] = cached.etag;
        const response = await exchange(request.method, request.path, headers, request.body, request.maxResponseBytes);
        recordResponse(usage, base.host, service, response.status, profile.quota(response.header));

        if (response.status === 304 && cached) return cached.data as RawResult;
        if (response.status === 401) {
          if (refreshed) {
            throw needsReauth(service, `${name} refused the token even after it was refreshed; connect again with startAuth(input: { service: ${service} }).`);
          }
          refreshed = true;
          active = await replaceRejected(active);
          continue;
        }
        const limit = profile.rateLimit(response.status, response.header, tryParse(response.text), Date.now());
        if (limit) {
          if (!waited && limit.waitMs <= maxWaitMs) {
            waited = true;
            await sleep(limit.waitMs, signal).catch((error: unknown) => {
              throw transportFailure(error);
            });
            continue;
          }
          throw rateLimited(active.row.id, Date.now() + limit.waitMs);
        }
        const result = rawResult(response, active.token);
        const etag = response.header('etag');
        if (useCache && response.status === 200 && etag) cache.set(active.row.id, cacheKey, { etag, data: result, link: undefined }, response.text.length);
        return result;
      }
    }

    return { service, get, find, send, raw };
  }

  return { session, close: () => pools.close() };
}

export type Passthrough = ReturnType<typeof createPassthrough>;
export type UpstreamSession = ReturnType<Passthrough['session']>;
