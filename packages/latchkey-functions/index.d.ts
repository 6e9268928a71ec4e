// Types for index.js.

export type LatchkeyFunctionsErrorCode =
  | 'LATCHKEY_CONFIG_MISSING'
  | 'LATCHKEY_CONFIG_INVALID'
  | 'LATCHKEY_NETWORK_ERROR'
  | 'LATCHKEY_BAD_RESPONSE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | (string & {});

export declare class LatchkeyFunctionsError extends Error {
  readonly code: LatchkeyFunctionsErrorCode;
  /** The environment variable at fault, for LATCHKEY_CONFIG_* errors. */
  readonly variable?: 'LATCHKEY_URL' | 'LATCHKEY_FUNCTION_TOKEN';
  /** The gateway's HTTP status, when it answered. */
  readonly status?: number;
  constructor(code: string, message: string, details?: { variable?: string; status?: number; cause?: unknown });
}

export interface ServiceSecret {
  /** e.g. "GITHUB", or "custom:<slug>" for a service the site defined itself */
  service: string;
  isLoggedIn: boolean;
  /** A currently valid access token; null unless logged in. */
  bearerToken: string | null;
  /** ISO 8601; null when the provider gave no expiry. */
  expiresAt: string | null;
  foreignUserId: string | null;
  grantedScopes: string[];
  /** Present when the gateway could not hand out a fresh token (e.g. code NEEDS_REAUTH). */
  error?: { code: string; message: string };
}

/** Keyed by the service's field name (github, spotify, salesforce, stripe, box, contentful, …) and, for the site's custom services, by slug. */
export type Secrets = Record<string, ServiceSecret> & {
  github?: ServiceSecret;
  spotify?: ServiceSecret;
  salesforce?: ServiceSecret;
  stripe?: ServiceSecret;
  box?: ServiceSecret;
  contentful?: ServiceSecret;
};

export interface GetSecretsOptions {
  /** Default: process.env.LATCHKEY_URL */
  url?: string;
  /** Default: process.env.LATCHKEY_FUNCTION_TOKEN */
  token?: string;
  /** Default 10000. */
  timeoutMs?: number;
  /** Where to read the variables from; default process.env. */
  env?: Record<string, string | undefined>;
  /** Keep answers in memory until shortly before their tokens expire (default true; LATCHKEY_SECRETS_CACHE=off also disables it). */
  cache?: boolean;
  /** Skip the cache for this call (e.g. after the provider answered 401) and store the fresh answer. */
  fresh?: boolean;
  /** A cached answer is dropped this long before the earliest expiresAt in it. Default 60000. */
  expiryMarginMs?: number;
  /** A cached answer is dropped after this long at most, so new connections and revocations show. Default 300000. */
  maxAgeMs?: number;
}

export declare function getSecrets(options?: GetSecretsOptions): Promise<Secrets>;

/** Forgets every cached answer. */
export declare function forgetSecrets(): void;

/**
 * Wraps a handler so its second argument carries `secrets`; the runtime's own context object is kept
 * (secrets is added to it). Configuration errors reject before the handler runs.
 */
export declare function withSecrets<TEvent, TContext extends { secrets: Secrets }, TResult, TRest extends unknown[]>(
  handler: (event: TEvent, context: TContext, ...rest: TRest) => TResult | Promise<TResult>,
  options?: GetSecretsOptions,
): (event: TEvent, context?: Omit<TContext, 'secrets'>, ...rest: TRest) => Promise<TResult>;
