// How each provider's REST API talks: the fixed request headers, where its rate-limit state is,
// how it says "slow down", and how its error bodies read. Pure functions of a response.
import type { ServiceKey } from '../providers/types.js';
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

const SECONDARY_WAIT_MS = 60_000;

function integer(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
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

export const githubProfile: ApiProfile = {
  service: 'GITHUB',
  headers: {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    // GitHub refuses API requests without a User-Agent.
    'user-agent': 'Latchkey',
  },
  quota(header) {
    const limit = integer(header('x-ratelimit-limit'));
    if (limit === undefined) return null;
    const reset = integer(header('x-ratelimit-reset'));
    return {
      limit,
      remaining: integer(header('x-ratelimit-remaining')),
      used: integer(header('x-ratelimit-used')),
      resource: header('x-ratelimit-resource'),
      resetAt: reset === undefined ? undefined : new Date(reset * 1000),
    };
  },
  // https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
  rateLimit(status, header, body, now) {
    if (status !== 403 && status !== 429) return null;
    const retryAfter = retryAfterMs(header('retry-after'), now);
    if (retryAfter !== undefined) return { waitMs: retryAfter };
    const reset = integer(header('x-ratelimit-reset'));
    if (header('x-ratelimit-remaining') === '0' && reset !== undefined) return { waitMs: Math.max(0, reset * 1000 - now) };
    const message = text(record(body).message) ?? '';
    if (status === 429 || /rate limit/i.test(message)) return { waitMs: SECONDARY_WAIT_MS };
    // Any other 403 is a refusal (missing permission), not a reason to wait.
    return null;
  },
  problem(body) {
    const fields = record(body);
    const details = Array.isArray(fields.errors)
      ? fields.errors
          .map((entry) => {
            const error = record(entry);
            return text(error.message) ?? [text(error.resource), text(error.field), text(error.code)].filter(Boolean).join(' ');
          })
          .filter(Boolean)
      : [];
    const message = text(fields.message);
    return { message: [message, ...details].filter(Boolean).join(': ') || undefined };
  },
  acceptedScopes(header) {
    const accepted = header('x-accepted-oauth-scopes');
    if (accepted === undefined) return null;
    const scopes = accepted.split(',').map((scope) => scope.trim()).filter(Boolean);
    return scopes.length > 0 ? scopes : null;
  },
};

export const spotifyProfile: ApiProfile = {
  service: 'SPOTIFY',
  headers: { accept: 'application/json' },
  // Spotify publishes no quota headers; it answers 429 with Retry-After when a rolling 30 s window is exceeded.
  quota: () => null,
  rateLimit(status, header, _body, now) {
    if (status !== 429) return null;
    return { waitMs: retryAfterMs(header('retry-after'), now) ?? SECONDARY_WAIT_MS };
  },
  problem(body) {
    const error = record(record(body).error);
    // The token endpoint's {error, error_description} shape also reaches here on some failures.
    const flat = record(body);
    return {
      message: text(error.message) ?? text(flat.error_description) ?? text(flat.error),
      reason: text(error.reason),
    };
  },
};

/**
 * Any other API: no quota headers are read; 429 (and 503 with Retry-After) is a rate limit whose
 * wait is Retry-After (RFC 9110 §10.2.3); error bodies are read for the common `message` /
 * `error` / `error_description` fields.
 */
export const genericProfile: ApiProfile = {
  service: null,
  // Some APIs refuse requests without a User-Agent.
  headers: { accept: 'application/json', 'user-agent': 'Latchkey' },
  quota: () => null,
  rateLimit(status, header, _body, now) {
    const retryAfter = retryAfterMs(header('retry-after'), now);
    if (status === 429) return { waitMs: retryAfter ?? SECONDARY_WAIT_MS };
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

export const apiProfiles: Partial<Record<ServiceKey, ApiProfile>> = {
  GITHUB: githubProfile,
  SPOTIFY: spotifyProfile,
};
