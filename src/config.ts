import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const base64Key = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be 32 bytes encoded in base64 (generate one with `openssl rand -base64 32`)',
      });
      return z.NEVER;
    }
    return key;
  });

const environmentSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .default('file:./data/latchkey.db')
    .refine((url) => /^(file:|postgres(ql)?:\/\/)/.test(url), {
      message: 'must start with file: (embedded SQLite) or postgresql:// (PostgreSQL)',
    }),
  LATCHKEY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LATCHKEY_ENCRYPTION_KEY: base64Key.optional(),
  LATCHKEY_PREVIOUS_ENCRYPTION_KEYS: z.string().optional(),
  LATCHKEY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LATCHKEY_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  LATCHKEY_AUTH_ATTEMPT_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  LATCHKEY_PROVIDER_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(120).default(10),
  LATCHKEY_MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(50).default(15),
  LATCHKEY_MAX_QUERY_TOKENS: z.coerce.number().int().min(100).max(100_000).default(2000),
  LATCHKEY_MAX_QUERY_BYTES: z.coerce.number().int().min(1024).max(256 * 1024).default(32 * 1024),
  LATCHKEY_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  LATCHKEY_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  LATCHKEY_SWEEP_LOOKAHEAD_SECONDS: z.coerce.number().int().min(0).max(86_400).default(120),
  LATCHKEY_SWEEP_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  LATCHKEY_FORCED_REFRESH_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LATCHKEY_TEST_CRASH_AFTER_REFRESH_RESPONSE: z.stringbool().default(false),
  LATCHKEY_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  LATCHKEY_CONNECTION_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  LATCHKEY_CONNECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  LATCHKEY_RATE_LIMIT_MAX_WAIT_SECONDS: z.coerce.number().min(0).max(60).default(5),
  LATCHKEY_UPSTREAM_CACHE_MB: z.coerce.number().min(0).max(4096).default(32),
  LATCHKEY_DOCUMENT_CACHE_MB: z.coerce.number().min(0).max(1024).default(16),
  LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: z.stringbool().optional(),
  LATCHKEY_CUSTOM_SERVICE_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  LATCHKEY_WEBHOOK_ALLOW_HTTP: z.stringbool().default(false),
  LATCHKEY_WEBHOOK_ALLOW_LOOPBACK: z.stringbool().optional(),
  LATCHKEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  LATCHKEY_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  LATCHKEY_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(5000),
  LATCHKEY_REVOCATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  LATCHKEY_REVOCATION_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(30 * 86_400).default(86_400),
  LATCHKEY_REVOCATION_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  LATCHKEY_REVOCATION_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(5000),
  LATCHKEY_WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(0).max(100_000).default(50),
  LATCHKEY_WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().min(0).max(8760).default(120),
  LATCHKEY_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LATCHKEY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  LATCHKEY_TRUST_PROXY: z.stringbool().default(false),
  LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(3000),
  LATCHKEY_RATE_LIMIT_SITE_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  LATCHKEY_RATE_LIMIT_START_AUTH_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(200),
  LATCHKEY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(60),
  LATCHKEY_RATE_LIMIT_ADDRESS_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(300),
  LATCHKEY_RATE_LIMIT_TARPIT_MS: z.coerce.number().int().min(0).max(30_000).default(1000),
  LATCHKEY_RATE_LIMIT_TARPIT_MAX_HELD: z.coerce.number().int().min(0).max(100_000).default(1000),
  LATCHKEY_RATE_LIMIT_CONCURRENT_PER_TOKEN: z.coerce.number().int().min(0).max(10_000).default(2),
  LATCHKEY_RATE_LIMIT_CONCURRENT_BACKLOGGED: z.coerce.number().int().min(0).max(10_000).default(1),
  LATCHKEY_RATE_LIMIT_CONCURRENT_TURN_MS: z.coerce.number().int().min(1).max(60_000).default(25),
  LATCHKEY_RATE_LIMIT_CONCURRENT_MAX_WAITING: z.coerce.number().int().min(0).max(100_000).default(500),
  LATCHKEY_MAX_LONG_POLLS_PER_TOKEN: z.coerce.number().int().min(0).max(100_000).default(20),
  LATCHKEY_MAX_UPSTREAM_CALLS_PER_REQUEST: z.coerce.number().int().min(0).max(10_000).default(25),
  LATCHKEY_MCP_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(600),
  LATCHKEY_MCP_REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(31_536_000).default(2_592_000),
  LATCHKEY_MCP_CLIENT_METADATA_ALLOW_LOOPBACK: z.stringbool().default(false),
  LATCHKEY_MCP_CLIENT_METADATA_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
});

export type LogLevel = z.infer<typeof environmentSchema>['LATCHKEY_LOG_LEVEL'];

export interface Config {
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  /** Where the embedded database and the generated development key live. */
  dataDir: string;
  encryptionKey: Buffer;
  /** Older keys, still accepted for decryption after a key rotation. */
  previousEncryptionKeys: Buffer[];
  /** True when the key was generated for development rather than configured. */
  encryptionKeyGenerated: boolean;
  /** GET /metrics: on its own listener without a token when port is set, else on the main port for the admin token. */
  metrics: { port: number | undefined; host: string };
  adminToken: string | undefined;
  logLevel: LogLevel;
  authAttemptTtlSeconds: number;
  providerTimeoutSeconds: number;
  maxQueryDepth: number;
  maxQueryTokens: number;
  /** Longest GraphQL document accepted, in bytes, checked before parsing. */
  maxQueryBytes: number;
  /** How often the refresh sweeper looks for connections nearing expiry; 0 disables it. */
  sweepIntervalSeconds: number;
  /** Audit events older than this are deleted (authorization attempts after a day, settled webhook deliveries after 30). */
  auditRetentionDays: number;
  /** The sweeper refreshes a connection this long before it enters its provider's refresh buffer. */
  sweepLookAheadSeconds: number;
  /** Refreshes one instance's sweeper runs at once (each claims its own connections). */
  sweepConcurrency: number;
  /** A connection is force-refreshed (after a 401 from its provider) at most once per this many seconds. */
  forcedRefreshIntervalSeconds: number;
  /** Test only (ignored when NODE_ENV=production): die between a provider's refresh answer and the database write. */
  testCrashAfterRefreshResponse: boolean;
  /** How long authenticate() may reuse a token lookup; a revocation on another instance takes effect within it. */
  tokenCacheMs: number;
  /** How long a site's connection rows are reused in this process; writes here drop them at once, other instances' within it. 0 disables. */
  connectionCacheMs: number;
  /** Most owners whose connection-cache misses are read in one query (1 reads each on its own). */
  connectionBatchSize: number;
  /** Pass-through waits at most this long for a provider's rate limit to reset before answering RATE_LIMITED. */
  rateLimitMaxWaitSeconds: number;
  /** Memory for pass-through GET responses kept with their ETag for conditional requests; 0 disables. */
  upstreamCacheMb: number;
  /** Estimated memory for parsed GraphQL documents, parse errors and compiled queries kept for reuse (src/http/document-caches.ts); 0 keeps none. */
  documentCacheMb: number;
  /** Where a site's custom OAuth services may point (discovery and endpoints); plain http:// only for loopback hosts. */
  customServices: {
    allowHttp: false;
    /** Loopback hosts (a local test server); default no. */
    allowLoopback: boolean;
    /** Private, link-local, unique-local and other non-public addresses (an on-premises identity server). */
    allowPrivateNetworks: boolean;
  };
  webhooks: {
    /** Plain http:// webhook URLs for any host (otherwise only for loopback hosts). */
    allowHttp: boolean;
    /** Delivery to loopback addresses (default: yes outside production). */
    allowLoopback: boolean;
    /** Delivery to private, link-local, unique-local and other non-public addresses. */
    allowPrivateNetworks: boolean;
    /** First retry delay; later ones are 6, 30, 180, 720 and 2160 times it (10 s … 6 h by default). */
    retryBaseMs: number;
    /** How often the delivery worker looks for due deliveries enqueued by other instances. */
    pollMs: number;
    /** Disable an endpoint after this many failed attempts in a row (0: never by count). */
    disableAfterFailures: number;
    /** Disable an endpoint whose attempts have all failed for this long, in ms (0: never by time). */
    disableAfterMs: number;
  };
  /** Revocations at sign-out that failed transiently, retried in the background (src/connections/revocation-queue.ts). */
  revocation: {
    /** Attempts in all, the one at sign-out included, before giving up. */
    maxAttempts: number;
    /** Give up once the first attempt is this old, whatever the attempts. */
    maxAgeSeconds: number;
    /** First retry delay; each later one doubles it (with jitter), up to an hour; a longer Retry-After wins. */
    retryBaseMs: number;
    /** How often the queue looks for due retries enqueued by any instance. */
    pollMs: number;
  };
  /** Upstream (pass-through) calls one GraphQL request may make; 0 = no bound. */
  maxUpstreamCallsPerRequest: number;
  /** The gateway as the OAuth authorization server of /mcp (src/mcp/authorization-server.ts). */
  mcpAuth: {
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    /** Where client metadata documents (client_id URLs) may be fetched from: https, public addresses unless allowed. */
    clientMetadata: { allowHttp: false; allowLoopback: boolean; allowPrivateNetworks: boolean };
  };
  /** Honour X-Forwarded-For for the client address (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** Per-minute limits (0 = off) and the long-poll cap; see src/http/rate-limiters.ts. */
  rateLimits: {
    tokenPerMinute: number;
    sitePerMinute: number;
    startAuthPerMinute: number;
    failedAuthPerMinute: number;
    addressPerMinute: number;
    longPollsPerToken: number;
    /** A refusal to a client already refused is held this long before it is sent (0 = at once)… */
    tarpitMs: number;
    /** …with at most this many held at a time. */
    tarpitMaxHeld: number;
    /** One caller's requests in progress at once (0 = no limit); the rest wait their turn (src/http/fair-share.ts)… */
    concurrentPerToken: number;
    /** …requests that waited their turn, in progress at once over all callers (0 = no bound)… */
    concurrentBacklogged: number;
    /** …a request gives its turn back after this long while others wait… */
    concurrentTurnMs: number;
    /** …and beyond this many waiting, more are refused. */
    concurrentMaxWaiting: number;
  };
  /** The environment, for per-service variables (LATCHKEY_GITHUB_CLIENT_ID, …) read by the provider catalog. */
  env: Readonly<Record<string, string | undefined>>;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`).join('\n');
}

function dataDirFor(databaseUrl: string): string {
  return databaseUrl.startsWith('file:') ? dirname(resolve(databaseUrl.slice('file:'.length))) : resolve('data');
}

/** Reads the development key from the data folder, creating it the first time. */
function developmentKey(dataDir: string): Buffer {
  const keyFile = resolve(dataDir, 'encryption.key');
  if (!existsSync(keyFile)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const parsed = base64Key.safeParse(readFileSync(keyFile, 'utf8'));
  if (!parsed.success) {
    throw new ConfigError(
      `The development encryption key file ${keyFile} is empty or corrupt: it must hold 32 random bytes in base64. ` +
        'If nothing was stored with it yet, delete the file and a new key is generated at the next start; otherwise restore it from a backup, ' +
        'or set LATCHKEY_ENCRYPTION_KEY to the key the database was created with.',
    );
  }
  return parsed.data;
}

/** The warning to print when the development key file is in use (no LATCHKEY_ENCRYPTION_KEY), else undefined. */
export function developmentKeyWarning(config: Config): string | undefined {
  if (!config.encryptionKeyGenerated) return undefined;
  return (
    `warning: LATCHKEY_ENCRYPTION_KEY is not set; using the development key in ${config.dataDir}/encryption.key. ` +
    'Set LATCHKEY_ENCRYPTION_KEY (32 bytes, base64) for anything but local development.'
  );
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = environmentSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')),
  );
  if (!parsed.success) throw new ConfigError(`Invalid configuration:\n${describeIssues(parsed.error)}`);
  const values = parsed.data;
  const production = values.NODE_ENV === 'production';
  const dataDir = dataDirFor(values.DATABASE_URL);

  if (production && !values.LATCHKEY_ENCRYPTION_KEY) {
    throw new ConfigError(
      'LATCHKEY_ENCRYPTION_KEY is required when NODE_ENV=production: set it to 32 random bytes in base64 (`openssl rand -base64 32`) and keep it safe; every stored token is encrypted with it.',
    );
  }
  const previousEncryptionKeys = (values.LATCHKEY_PREVIOUS_ENCRYPTION_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean)
    .map((key, index) => {
      const result = base64Key.safeParse(key);
      if (!result.success) {
        throw new ConfigError(`LATCHKEY_PREVIOUS_ENCRYPTION_KEYS: key ${index + 1} ${describeIssues(result.error)}`);
      }
      return result.data;
    });

  return {
    production,
    port: values.PORT,
    host: values.HOST,
    publicUrl: (values.LATCHKEY_PUBLIC_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, ''),
    databaseUrl: values.DATABASE_URL,
    dataDir,
    encryptionKey: values.LATCHKEY_ENCRYPTION_KEY ?? developmentKey(dataDir),
    previousEncryptionKeys,
    encryptionKeyGenerated: !values.LATCHKEY_ENCRYPTION_KEY,
    adminToken: values.LATCHKEY_ADMIN_TOKEN,
    logLevel: values.LATCHKEY_LOG_LEVEL,
    authAttemptTtlSeconds: values.LATCHKEY_AUTH_ATTEMPT_TTL_SECONDS,
    providerTimeoutSeconds: values.LATCHKEY_PROVIDER_TIMEOUT_SECONDS,
    maxQueryDepth: values.LATCHKEY_MAX_QUERY_DEPTH,
    maxQueryTokens: values.LATCHKEY_MAX_QUERY_TOKENS,
    maxQueryBytes: values.LATCHKEY_MAX_QUERY_BYTES,
    sweepIntervalSeconds: values.LATCHKEY_SWEEP_INTERVAL_SECONDS,
    auditRetentionDays: values.LATCHKEY_AUDIT_RETENTION_DAYS,
    sweepLookAheadSeconds: values.LATCHKEY_SWEEP_LOOKAHEAD_SECONDS,
    sweepConcurrency: values.LATCHKEY_SWEEP_CONCURRENCY,
    forcedRefreshIntervalSeconds: values.LATCHKEY_FORCED_REFRESH_INTERVAL_SECONDS,
    testCrashAfterRefreshResponse: !production && values.LATCHKEY_TEST_CRASH_AFTER_REFRESH_RESPONSE,
    tokenCacheMs: values.LATCHKEY_TOKEN_CACHE_MS,
    connectionCacheMs: values.LATCHKEY_CONNECTION_CACHE_MS,
    connectionBatchSize: values.LATCHKEY_CONNECTION_BATCH_SIZE,
    rateLimitMaxWaitSeconds: values.LATCHKEY_RATE_LIMIT_MAX_WAIT_SECONDS,
    upstreamCacheMb: values.LATCHKEY_UPSTREAM_CACHE_MB,
    documentCacheMb: values.LATCHKEY_DOCUMENT_CACHE_MB,
    metrics: { port: values.LATCHKEY_METRICS_PORT, host: values.LATCHKEY_METRICS_HOST },
    customServices: {
      allowHttp: false,
      // Off by default even in development: a site token must not reach the gateway's own ports by accident.
      allowLoopback: values.LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK ?? false,
      allowPrivateNetworks: values.LATCHKEY_CUSTOM_SERVICE_ALLOW_PRIVATE_NETWORKS,
    },
    webhooks: {
      allowHttp: values.LATCHKEY_WEBHOOK_ALLOW_HTTP,
      allowLoopback: values.LATCHKEY_WEBHOOK_ALLOW_LOOPBACK ?? !production,
      allowPrivateNetworks: values.LATCHKEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      retryBaseMs: values.LATCHKEY_WEBHOOK_RETRY_BASE_MS,
      pollMs: values.LATCHKEY_WEBHOOK_POLL_MS,
      disableAfterFailures: values.LATCHKEY_WEBHOOK_DISABLE_AFTER_FAILURES,
      disableAfterMs: Math.round(values.LATCHKEY_WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000),
    },
    revocation: {
      maxAttempts: values.LATCHKEY_REVOCATION_MAX_ATTEMPTS,
      maxAgeSeconds: values.LATCHKEY_REVOCATION_MAX_AGE_SECONDS,
      retryBaseMs: values.LATCHKEY_REVOCATION_RETRY_BASE_MS,
      pollMs: values.LATCHKEY_REVOCATION_POLL_MS,
    },
    maxUpstreamCallsPerRequest: values.LATCHKEY_MAX_UPSTREAM_CALLS_PER_REQUEST,
    mcpAuth: {
      accessTokenTtlSeconds: values.LATCHKEY_MCP_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: values.LATCHKEY_MCP_REFRESH_TOKEN_TTL_SECONDS,
      clientMetadata: {
        allowHttp: false,
        allowLoopback: values.LATCHKEY_MCP_CLIENT_METADATA_ALLOW_LOOPBACK,
        allowPrivateNetworks: values.LATCHKEY_MCP_CLIENT_METADATA_ALLOW_PRIVATE_NETWORKS,
      },
    },
    trustProxy: values.LATCHKEY_TRUST_PROXY,
    rateLimits: {
      tokenPerMinute: values.LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE,
      sitePerMinute: values.LATCHKEY_RATE_LIMIT_SITE_PER_MINUTE,
      startAuthPerMinute: values.LATCHKEY_RATE_LIMIT_START_AUTH_PER_MINUTE,
      failedAuthPerMinute: values.LATCHKEY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE,
      addressPerMinute: values.LATCHKEY_RATE_LIMIT_ADDRESS_PER_MINUTE,
      longPollsPerToken: values.LATCHKEY_MAX_LONG_POLLS_PER_TOKEN,
      tarpitMs: values.LATCHKEY_RATE_LIMIT_TARPIT_MS,
      tarpitMaxHeld: values.LATCHKEY_RATE_LIMIT_TARPIT_MAX_HELD,
      concurrentPerToken: values.LATCHKEY_RATE_LIMIT_CONCURRENT_PER_TOKEN,
      concurrentBacklogged: values.LATCHKEY_RATE_LIMIT_CONCURRENT_BACKLOGGED,
      concurrentTurnMs: values.LATCHKEY_RATE_LIMIT_CONCURRENT_TURN_MS,
      concurrentMaxWaiting: values.LATCHKEY_RATE_LIMIT_CONCURRENT_MAX_WAITING,
    },
    env,
  };
}

// ---------------------------------------------------------------------------------------------
// The CLI's client commands (`latchkey connect`) talk to a running gateway; they read only this,
// never the server's configuration (which would create a development key as a side effect).

const clientEnvironmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LATCHKEY_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  LATCHKEY_SITE_TOKEN: z.string().trim().min(1).optional(),
});

export interface ClientConfig {
  /** The gateway's base URL: --gateway, LATCHKEY_GATEWAY_URL, or http://127.0.0.1:$PORT. */
  gatewayUrl: string;
  /** The site token: --token or LATCHKEY_SITE_TOKEN. */
  siteToken: string | undefined;
}

export function loadClientConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: { gatewayUrl?: string | undefined; siteToken?: string | undefined } = {},
): ClientConfig {
  const parsed = clientEnvironmentSchema.safeParse({
    ...Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')),
    ...(overrides.gatewayUrl ? { LATCHKEY_GATEWAY_URL: overrides.gatewayUrl } : {}),
    ...(overrides.siteToken ? { LATCHKEY_SITE_TOKEN: overrides.siteToken } : {}),
  });
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${describeIssues(parsed.error).replace('LATCHKEY_GATEWAY_URL', 'the gateway URL (--gateway or LATCHKEY_GATEWAY_URL)')}`);
  }
  const values = parsed.data;
  return {
    gatewayUrl: (values.LATCHKEY_GATEWAY_URL ?? `http://127.0.0.1:${values.PORT}`).replace(/\/+$/, ''),
    siteToken: values.LATCHKEY_SITE_TOKEN,
  };
}
