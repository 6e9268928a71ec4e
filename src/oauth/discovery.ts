// Reads an authorization server's metadata (OpenID Connect Discovery 1.0 or RFC 8414) through
// openid-client, which also insists that the document's `issuer` is the one it was fetched for.
// A well-known URL given directly is turned back into its issuer first, so that check still runs.
import * as client from 'openid-client';

export class DiscoveryError extends Error {
  readonly code = 'DISCOVERY_FAILED';
}

export interface DiscoveryOptions {
  /** Used for every request (the outbound URL policy of site-chosen URLs). */
  fetch: typeof fetch;
  timeoutSeconds: number;
}

const OIDC_SUFFIX = '/.well-known/openid-configuration';
const OAUTH_PREFIX = '/.well-known/oauth-authorization-server';

/** The issuer a discovery URL belongs to, and which well-known document to read. */
export function issuerOfDiscoveryUrl(url: URL): { issuer: URL; algorithm: 'oidc' | 'oauth2' | 'either' } {
  const path = url.pathname;
  if (path.endsWith(OIDC_SUFFIX)) {
    return { issuer: new URL(`${url.origin}${path.slice(0, -OIDC_SUFFIX.length)}`), algorithm: 'oidc' };
  }
  if (path === OAUTH_PREFIX || path.startsWith(`${OAUTH_PREFIX}/`)) {
    return { issuer: new URL(`${url.origin}${path.slice(OAUTH_PREFIX.length)}`), algorithm: 'oauth2' };
  }
  if (path.includes('/.well-known/')) {
    throw new DiscoveryError(`only ${OIDC_SUFFIX} and ${OAUTH_PREFIX} documents are understood; give the issuer URL instead`);
  }
  return { issuer: url, algorithm: 'either' };
}

function describe(error: unknown): string {
  if (error instanceof client.ClientError && error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    const cause = error.cause as { expected?: unknown; body?: { issuer?: unknown } } | undefined;
    return `the document names the issuer ${JSON.stringify(String(cause?.body?.issuer ?? '?'))}, not ${JSON.stringify(String(cause?.expected ?? '?'))} it was fetched for (OpenID Connect Discovery §4.3, RFC 8414 §3.3)`;
  }
  // The guarded fetch refuses addresses with a plain-language message; keep it.
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth += 1) {
    if ((cause as { code?: unknown }).code === 'OUTBOUND_ADDRESS_BLOCKED') return cause.message;
    cause = cause.cause;
  }
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown failure';
}

async function discoverWith(issuer: URL, algorithm: 'oidc' | 'oauth2', options: DiscoveryOptions): Promise<client.ServerMetadata> {
  const configuration = await client.discovery(issuer, 'latchkey-discovery', undefined, undefined, {
    algorithm,
    timeout: options.timeoutSeconds,
    [client.customFetch]: (url, init) => options.fetch(url, init as RequestInit),
    // The URL policy decides which plain-http hosts are allowed (loopback only); let it.
    execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
  });
  return configuration.serverMetadata();
}

/** The server's metadata, or DiscoveryError saying in plain words what went wrong. */
export async function discoverAuthorizationServer(url: URL, options: DiscoveryOptions): Promise<client.ServerMetadata> {
  const { issuer, algorithm } = issuerOfDiscoveryUrl(url);
  try {
    if (algorithm !== 'either') return await discoverWith(issuer, algorithm, options);
    try {
      return await discoverWith(issuer, 'oidc', options);
    } catch (error) {
      // Plain OAuth servers publish only the RFC 8414 document.
      try {
        return await discoverWith(issuer, 'oauth2', options);
      } catch {
        throw error;
      }
    }
  } catch (error) {
    throw new DiscoveryError(describe(error), { cause: error });
  }
}
