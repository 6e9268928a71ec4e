// What one GraphQL request cost upstream, per API host: calls made, how many were answered
// "304 Not Modified" (free on GitHub), and the quota the provider last reported. A yoga plugin puts
// it in the response's `extensions.rateLimits`.
import type { Plugin } from 'graphql-yoga';
import { badUserInput } from '../errors.js';
import type { ServiceKey } from '../providers/types.js';
import type { Quota } from './api-profiles.js';

export interface HostUsage {
  service: ServiceKey;
  /** Upstream HTTP requests this GraphQL request made to the host. */
  requests: number;
  /** Of those, answered 304 from the cached ETag (no GitHub quota used). */
  notModified: number;
  limit?: number;
  remaining?: number;
  used?: number;
  resource?: string;
  resetAt?: Date;
  /** Set when the host refused with a rate limit: when it will answer again. */
  rateLimitedUntil?: Date;
}

export type RequestUsage = Map<string, HostUsage>;

const usageByContext = new WeakMap<object, RequestUsage>();

export function usageFor(context: object): RequestUsage {
  let usage = usageByContext.get(context);
  if (!usage) {
    usage = new Map();
    usageByContext.set(context, usage);
  }
  return usage;
}

function entryFor(usage: RequestUsage, host: string, service: ServiceKey): HostUsage {
  let entry = usage.get(host);
  if (!entry) {
    entry = { service, requests: 0, notModified: 0 };
    usage.set(host, entry);
  }
  return entry;
}

export function recordResponse(usage: RequestUsage, host: string, service: ServiceKey, status: number, quota: Quota | null): void {
  const entry = entryFor(usage, host, service);
  entry.requests += 1;
  if (status === 304) entry.notModified += 1;
  if (quota) {
    for (const key of ['limit', 'remaining', 'used', 'resource', 'resetAt'] as const) {
      if (quota[key] !== undefined) (entry as unknown as Record<string, unknown>)[key] = quota[key];
    }
  }
}

/** One GraphQL request may make at most `max` upstream calls (29 aliased fields were 29 calls); 0 = no bound. */
export function checkUpstreamBudget(usage: RequestUsage, max: number): void {
  if (max <= 0) return;
  let made = 0;
  for (const entry of usage.values()) made += entry.requests;
  if (made >= max) {
    throw badUserInput(`This request needs more than ${max} calls to providers (LATCHKEY_MAX_UPSTREAM_CALLS_PER_REQUEST): split it into several requests.`);
  }
}

export function recordRateLimited(usage: RequestUsage, host: string, service: ServiceKey, until: Date): void {
  entryFor(usage, host, service).rateLimitedUntil = until;
}

function serialize(usage: RequestUsage): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    [...usage].map(([host, entry]) => [
      host,
      Object.fromEntries(
        Object.entries(entry)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => [key, value instanceof Date ? value.toISOString() : value]),
      ),
    ]),
  );
}

/** Adds `extensions.rateLimits` to results of requests that called a provider's API. */
export function useUpstreamUsage(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const usage = usageByContext.get(args.contextValue as object);
          if (!usage || usage.size === 0 || Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, rateLimits: serialize(usage) } });
        },
      };
    },
  };
}
