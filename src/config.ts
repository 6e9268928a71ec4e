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
  LATCHKEY_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  LATCHKEY_WEBHOOK_ALLOW_HTTP: z.stringbool().default(false),
  LATCHKEY_WEBHOOK_ALLOW_LOOPBACK: z.stringbool().optional(),
  LATCHKEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  LATCHKEY_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  LATCHKEY_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(5000),
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
  adminToken: string | undefined;
  logLevel: LogLevel;
  authAttemptTtlSeconds: number;
  providerTimeoutSeconds: number;
  maxQueryDepth: number;
  maxQueryTokens: number;
  /** How long authenticate() may reuse a token lookup; a revocation on another instance takes effect within it. */
  tokenCacheMs: number;
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
  return base64Key.parse(readFileSync(keyFile, 'utf8'));
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
    tokenCacheMs: values.LATCHKEY_TOKEN_CACHE_MS,
    webhooks: {
      allowHttp: values.LATCHKEY_WEBHOOK_ALLOW_HTTP,
      allowLoopback: values.LATCHKEY_WEBHOOK_ALLOW_LOOPBACK ?? !production,
      allowPrivateNetworks: values.LATCHKEY_WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      retryBaseMs: values.LATCHKEY_WEBHOOK_RETRY_BASE_MS,
      pollMs: values.LATCHKEY_WEBHOOK_POLL_MS,
    },
    env,
  };
}
