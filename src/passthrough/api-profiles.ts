// How each provider's REST API talks: the fixed request headers, where its rate-limit state is,
// how it says "slow down", and how its error bodies read. Pure functions of a response, built from
// the `api` facts of the provider's file; the named strategies are implemented here once.
import { catalog } from '../providers/catalog.js';
import type { ApiFacts, ProviderFile } from '../providers/provider-schema.js';
import type { ServiceKey, ServiceName } from '../providers/types.js';
import type { HeaderReader } from './upstream-pool.js';

export interface Quota {
  limit?: number;
  remaining?: number;
  used?: number;
  resource?: string;
  resetAt?: Date;
}

export interface RateLimitVerdict {
  /** How long the provider asks us to wait before the next request. */
  waitMs: number;
}

export interface UpstreamProblem {
  message?: string;
  reason?: string;
}

export interface ApiProfile {
  service: ServiceKey | null;
  headers: Readonly<Record<string, string>>;
  quota(header: HeaderReader): Quota | null;
  /** Non-null when the answer is a rate limit (primary or secondary) rather than a refusal. */
  rateLimit(status: number, header: HeaderReader, body: unknown, now: number): RateLimitVerdict | null;
  problem(body: unknown): UpstreamProblem;
  /** Scopes the provider says the operation accepts, when it names them (GitHub's X-Accepted-OAuth-Scopes). */
  acceptedScopes?(header: HeaderReader): string[] | null;
}

function integer(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** A non-negative number of seconds, whole or decimal ("30", "1.25"), as reset headers write it. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Retry-After in seconds or as an HTTP date (RFC 9110). */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = integer(value);
  if (seconds !== undefined) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

function at(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      const index = Number(segment);
      if (!Number.isInteger(index)) return undefined;
      current = current.at(index);
    } else {
      current = record(current)[segment];
    }
  }
  return current;
}

function firstText(body: unknown, paths: readonly string[] | undefined): string | undefined {
  for (const path of paths ?? []) {
    const value = at(body, path);
    if (typeof value === 'string' && value.length > 0) return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

/** "1s", "6m0s", "250ms", "1h2m3.5s" (Go durations, as OpenAI sends them) in milliseconds. */
function durationMs(value: string): number | undefined {
  const parts = [...value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value.trim()) return undefined;
  const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
  return parts.reduce((total, part) => total + Number(part[1]) * unit[part[2] as keyof typeof unit], 0);
}

function resetAtOf(value: string | undefined, unit: RateLimitFacts['resetUnit'], now: number): Date | undefined {
  if (value === undefined || unit === undefined) return undefined;
  switch (unit) {
    case 'epoch-seconds': {
      const epoch = seconds(value);
      return epoch === undefined ? undefined : new Date(epoch * 1000);
    }
    case 'epoch-milliseconds': {
      const ms = integer(value);
      return ms === undefined ? undefined : new Date(ms);
    }
    case 'delta-seconds': {
      const delta = seconds(value);
      return delta === undefined ? undefined : new Date(now + delta * 1000);
    }
    case 'duration': {
      const ms = durationMs(value);
      return ms === undefined ? undefined : new Date(now + ms);
    }
    case 'http-date': {
      const date = Date.parse(value);
      return Number.isNaN(date) ? undefined : new Date(date);
    }
    case 'seconds-by-magnitude': {
      const number = seconds(value);
      if (number === undefined) return undefined;
      if (number < EPOCH_SECONDS_FROM) return new Date(now + number * 1000);
      return new Date(number < EPOCH_MILLISECONDS_FROM ? number * 1000 : number);
    }
  }
}

/**
 * Where an undocumented reset number stops being a wait: 10^9 seconds is 31 years, and as a Unix
 * time it was September 2001, so any real reset time is above it and any real wait below it.
 */
const EPOCH_SECONDS_FROM = 1e9;
/** 10^12 Unix seconds is the year 33658; as milliseconds it was September 2001. */
const EPOCH_MILLISECONDS_FROM = 1e12;

type RateLimitFacts = ApiFacts['rateLimits'];

/** GitHub's errors[]: each entry's message, or its resource, field and code. */
function githubErrorDetails(body: unknown): string[] {
  const errors = record(body).errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((entry) => {
      const error = record(entry);
      return text(error.message) ?? [text(error.resource), text(error.field), text(error.code)].filter(Boolean).join(' ');
    })
    .filter(Boolean);
}

/** How a provider's API talks, built from the `api` facts of its provider file. */
export function apiProfileOf(file: Pick<ProviderFile, 'name' | 'api'>): ApiProfile {
  const { api } = file;
  const limits = api.rateLimits;
  const names = limits.headers;
  const statuses = new Set(limits.statuses);
  const defaultWaitMs = limits.defaultWaitSeconds * 1000;
  const headers = Object.fromEntries(Object.entries(api.defaultHeaders).map(([name, value]) => [name.toLowerCase(), value]));
  const profile: ApiProfile = {
    service: file.name,
    headers,
    quota(header) {
      const limit = names.limit ? integer(header(names.limit)) : undefined;
      if (limit === undefined) return null;
      return {
        limit,
        remaining: names.remaining ? integer(header(names.remaining)) : undefined,
        used: names.used ? integer(header(names.used)) : undefined,
        resource: names.resource ? header(names.resource) : undefined,
        resetAt: names.reset ? resetAtOf(header(names.reset), limits.resetUnit, Date.now()) : undefined,
      };
    },
    rateLimit(status, header, body, now) {
      if (!statuses.has(status)) return null;
      const retryAfter = limits.retryAfter ? retryAfterMs(header('retry-after'), now) : undefined;
      if (retryAfter !== undefined) return { waitMs: retryAfter };
      const resetAt = names.reset ? resetAtOf(header(names.reset), limits.resetUnit, now) : undefined;
      // A 429 says by itself that the quota is spent, so its reset time is the wait unless a remaining
      // count it carries says otherwise (GitHub's secondary limits keep a non-zero count and a reset
      // that belongs to the primary limit).
      const remaining = names.remaining ? header(names.remaining) : undefined;
      if (resetAt && (remaining?.trim() === '0' || (status === 429 && remaining === undefined))) {
        return { waitMs: Math.max(0, resetAt.getTime() - now) };
      }
      if (limits.limitReasons) {
        const reason = firstText(body, api.errors.reasonPaths);
        if (reason !== undefined && limits.limitReasons.includes(reason)) return { waitMs: defaultWaitMs };
      }
      if (limits.strategy === 'github-secondary') {
        // https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
        const message = firstText(body, api.errors.messagePaths) ?? '';
        // Any other 403 is a refusal (missing permission), not a reason to wait.
        return status === 429 || /rate limit/i.test(message) ? { waitMs: defaultWaitMs } : null;
      }
      // Only 429 means "slow down" by itself; another listed status needs the quota headers above.
      return status === 429 ? { waitMs: defaultWaitMs } : null;
    },
    problem(body) {
      const message = firstText(body, api.errors.messagePaths);
      const details = api.errors.details === 'github-errors' ? githubErrorDetails(body) : [];
      return {
        message: [message, ...details].filter(Boolean).join(': ') || undefined,
        reason: firstText(body, api.errors.reasonPaths),
      };
    },
  };
  const acceptedHeader = api.acceptedScopesHeader;
  if (acceptedHeader) {
    profile.acceptedScopes = (header) => {
      const accepted = header(acceptedHeader);
      if (accepted === undefined) return null;
      const scopes = accepted.split(',').map((scope) => scope.trim()).filter(Boolean);
      return scopes.length > 0 ? scopes : null;
    };
  }
  return profile;
}

export const apiProfiles: Partial<Record<ServiceName, ApiProfile>> = Object.fromEntries(
  catalog.map((file) => [file.name, apiProfileOf(file)]),
);

/**
 * Any other API: no quota headers are read; 429 (and 503 with Retry-After) is a rate limit whose
 * wait is Retry-After (RFC 9110 §10.2.3); error bodies are read for the common `message` /
 * `error` / `error_description` fields.
 */
/** How long to wait after a 429 that names no time. */
const GENERIC_WAIT_MS = 60_000;

export const genericProfile: ApiProfile = {
  service: null,
  // Some APIs refuse requests without a User-Agent.
  headers: { accept: 'application/json', 'user-agent': 'Latchkey' },
  quota: () => null,
  rateLimit(status, header, _body, now) {
    const retryAfter = retryAfterMs(header('retry-after'), now);
    if (status === 429) return { waitMs: retryAfter ?? GENERIC_WAIT_MS };
    if (status === 503 && retryAfter !== undefined) return { waitMs: retryAfter };
    return null;
  },
  problem(body) {
    const fields = record(body);
    const nested = record(fields.error);
    return {
      message: text(fields.message) ?? text(nested.message) ?? text(fields.error_description) ?? text(fields.error),
      reason: text(nested.reason) ?? text(fields.code),
    };
  },
};

