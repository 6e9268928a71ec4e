// @latchkey/functions — read a site's service tokens from a Latchkey gateway inside a serverless
// function, like Netlify's `getSecrets()` / `withSecrets()`. Plain ES module, global fetch only, so
// it runs on any Node >= 18 function runtime. Types: index.d.ts.
//
// Environment:
//   LATCHKEY_URL             base URL of the gateway, e.g. https://latchkey.example.com
//   LATCHKEY_FUNCTION_TOKEN  a function token (lkf_…) minted with createFunctionToken

const DEFAULT_TIMEOUT_MS = 10_000;

/** An error with a stable `code` (LATCHKEY_CONFIG_MISSING, UNAUTHENTICATED, LATCHKEY_NETWORK_ERROR, …). */
export class LatchkeyFunctionsError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ variable?: string, status?: number, cause?: unknown }} [details]
   */
  constructor(code, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LatchkeyFunctionsError';
    this.code = code;
    if (details.variable) this.variable = details.variable;
    if (details.status) this.status = details.status;
  }
}

function configuration(options) {
  const env = options.env ?? (typeof process === 'undefined' ? {} : process.env);
  const url = options.url ?? env.LATCHKEY_URL;
  const token = options.token ?? env.LATCHKEY_FUNCTION_TOKEN;
  if (!url) {
    throw new LatchkeyFunctionsError(
      'LATCHKEY_CONFIG_MISSING',
      'LATCHKEY_URL is not set: set it to the base URL of your Latchkey gateway (e.g. https://latchkey.example.com), or pass { url }.',
      { variable: 'LATCHKEY_URL' },
    );
  }
  if (!token) {
    throw new LatchkeyFunctionsError(
      'LATCHKEY_CONFIG_MISSING',
      'LATCHKEY_FUNCTION_TOKEN is not set: mint a function token with createFunctionToken (or `npx latchkey` tooling) and set it, or pass { token }.',
      { variable: 'LATCHKEY_FUNCTION_TOKEN' },
    );
  }
  let base;
  try {
    base = new URL(url);
  } catch {
    throw new LatchkeyFunctionsError('LATCHKEY_CONFIG_INVALID', 'LATCHKEY_URL is not an absolute URL: use e.g. https://latchkey.example.com.', {
      variable: 'LATCHKEY_URL',
    });
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new LatchkeyFunctionsError('LATCHKEY_CONFIG_INVALID', 'LATCHKEY_URL must be an http(s) URL.', { variable: 'LATCHKEY_URL' });
  }
  const graphqlUrl = new URL('graphql', base.href.endsWith('/') ? base.href : `${base.href}/`).href;
  return { graphqlUrl, origin: base.origin, token, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}

async function post(config, query, variables = {}) {
  let response;
  try {
    response = await fetch(config.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${config.token}`,
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    const timedOut = error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new LatchkeyFunctionsError(
      'LATCHKEY_NETWORK_ERROR',
      timedOut
        ? `The Latchkey gateway at ${config.origin} did not answer within ${config.timeoutMs} ms.`
        : `The Latchkey gateway at ${config.origin} could not be reached (${(error && error.cause && error.cause.code) || (error && error.message) || 'network error'}): check LATCHKEY_URL and that the gateway is running.`,
      { cause: error },
    );
  }
  let body;
  try {
    body = await response.json();
  } catch (error) {
    throw new LatchkeyFunctionsError('LATCHKEY_BAD_RESPONSE', `The Latchkey gateway at ${config.origin} answered HTTP ${response.status} without a GraphQL response: check LATCHKEY_URL.`, {
      status: response.status,
      cause: error,
    });
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (!body.data) {
    const [first] = errors;
    const code = (first && first.extensions && first.extensions.code) || 'LATCHKEY_BAD_RESPONSE';
    const hint =
      code === 'UNAUTHENTICATED'
        ? ' Check LATCHKEY_FUNCTION_TOKEN: function tokens expire (mint a fresh one with createFunctionToken).'
        : code === 'FORBIDDEN'
          ? ' Set LATCHKEY_FUNCTION_TOKEN to a function token (lkf_…) minted with createFunctionToken for the services you read.'
          : '';
    throw new LatchkeyFunctionsError(code, `${(first && first.message) || `HTTP ${response.status}`}${hint}`, { status: response.status });
  }
  return { data: body.data, errors };
}

const catalogs = new Map();

/** The service catalog (field names), asked once per gateway and process. */
async function catalogOf(config) {
  let catalog = catalogs.get(config.graphqlUrl);
  if (!catalog) {
    catalog = post(config, 'query LatchkeyFunctionsCatalog { services { service graphQLField } }').then(({ data }) =>
      data.services.filter((entry) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.graphQLField)),
    );
    catalogs.set(config.graphqlUrl, catalog);
    catalog.catch(() => catalogs.delete(config.graphqlUrl));
  }
  return catalog;
}

function secretsQuery(fields) {
  return `query LatchkeyFunctionsSecrets {
  secrets {
    ${fields.map((field) => `${field} { service ...LatchkeySecret }`).join('\n    ')}
    customServices { slug service: serviceKey ...LatchkeySecret }
  }
}
fragment LatchkeySecret on ServiceConnection {
  isLoggedIn bearerToken expiresAt foreignUserId grantedScopes { scope }
}`;
}

function entryOf(service, secret, errors, path) {
  const error = errors.find((item) => Array.isArray(item.path) && path.every((part, index) => item.path[index] === part));
  return {
    service,
    isLoggedIn: Boolean(secret && secret.isLoggedIn),
    bearerToken: (secret && secret.bearerToken) || null,
    expiresAt: (secret && secret.expiresAt) || null,
    foreignUserId: (secret && secret.foreignUserId) || null,
    grantedScopes: secret && secret.grantedScopes ? secret.grantedScopes.map((granted) => granted.scope) : [],
    ...(error ? { error: { code: (error.extensions && error.extensions.code) || 'UNKNOWN', message: error.message } } : {}),
  };
}

/**
 * The site's secrets, keyed by service field name: `{ github: { isLoggedIn, bearerToken, … }, … }`,
 * and the site's custom services by slug (`service` "custom:<slug>").
 * A service the token may not read, or that is not connected, has isLoggedIn false. A service whose
 * token could not be made fresh (e.g. it needs reconnecting) has bearerToken null and `error`.
 * Answers are kept in memory until shortly before the earliest expiresAt in them (expiryMarginMs,
 * default 60 s; at most maxAgeMs, default 5 min): `cache: false` (or LATCHKEY_SECRETS_CACHE=off)
 * turns that off, `fresh: true` skips it once (after a provider answered 401).
 * @param {{ url?: string, token?: string, timeoutMs?: number, env?: Record<string, string | undefined>, cache?: boolean, fresh?: boolean, expiryMarginMs?: number, maxAgeMs?: number }} [options]
 */
export async function getSecrets(options = {}) {
  const config = configuration(options);
  const useCache = options.cache !== false && (options.env ?? (typeof process === 'undefined' ? {} : process.env)).LATCHKEY_SECRETS_CACHE !== 'off';
  const key = `${config.graphqlUrl} ${config.token}`;
  const now = Date.now();
  if (useCache && !options.fresh) {
    const cached = secretsCache.get(key);
    // A copy, so a handler that changes its secrets object cannot change the next invocation's.
    if (cached && cached.until > now) return structuredClone(cached.secrets);
  }
  const secrets = await readSecrets(config);
  if (useCache) {
    const until = cacheableUntil(secrets, now, options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS, options.maxAgeMs ?? DEFAULT_MAX_AGE_MS);
    if (until > now) secretsCache.set(key, { secrets: structuredClone(secrets), until });
    else secretsCache.delete(key);
  }
  return secrets;
}

/** Forgets every cached answer, e.g. after the provider refused a token (or use getSecrets({ fresh: true })). */
export function forgetSecrets() {
  secretsCache.clear();
}

const DEFAULT_EXPIRY_MARGIN_MS = 60_000;
const DEFAULT_MAX_AGE_MS = 300_000;
/** Answers of the gateway by URL and token: a warm function asks it again only when needed. */
const secretsCache = new Map();

/**
 * Until when an answer may be reused: never past (earliest expiresAt − margin) of any token in it,
 * at most maxAgeMs (so a new connection or a revocation shows up), and not at all when one service
 * reported an error.
 */
function cacheableUntil(secrets, now, marginMs, maxAgeMs) {
  let until = now + maxAgeMs;
  for (const entry of Object.values(secrets)) {
    if (entry.error) return 0;
    if (entry.bearerToken && entry.expiresAt) until = Math.min(until, Date.parse(entry.expiresAt) - marginMs);
  }
  return until;
}

async function readSecrets(config) {
  const catalog = await catalogOf(config);
  const { data, errors } = await post(config, secretsQuery(catalog.map((entry) => entry.graphQLField)));
  const secrets = {};
  // The site's own services, by slug; a slug never equals a catalog field name, and the catalog's entry wins if one ever did.
  const custom = (data.secrets && data.secrets.customServices) || [];
  custom.forEach((secret, index) => {
    secrets[secret.slug] = entryOf(secret.service, secret, errors, ['secrets', 'customServices', index]);
  });
  for (const entry of catalog) {
    const secret = data.secrets ? data.secrets[entry.graphQLField] : null;
    secrets[entry.graphQLField] = entryOf(entry.service, secret, errors, ['secrets', entry.graphQLField]);
  }
  return secrets;
}

/**
 * Wraps a function handler so its second argument carries `secrets`:
 * `export const handler = withSecrets(async (event, { secrets }) => …)`.
 * @template {(event: any, context: any, ...rest: any[]) => any} H
 * @param {H} handler
 * @param {Parameters<typeof getSecrets>[0]} [options]
 */
export function withSecrets(handler, options) {
  return async function latchkeyHandler(event, context, ...rest) {
    const secrets = await getSecrets(options);
    let enriched;
    if (context && typeof context === 'object' && Object.isExtensible(context)) {
      // Keep the runtime's own context object (its methods and getters) and add `secrets` to it.
      Object.defineProperty(context, 'secrets', { value: secrets, enumerable: true, configurable: true, writable: true });
      enriched = context;
    } else {
      enriched = { ...(context && typeof context === 'object' ? context : {}), secrets };
    }
    return handler(event, enriched, ...rest);
  };
}
