// Builds the openid-client configuration for one provider and one OAuth app. Providers that
// bend the OAuth rules are brought back to RFC 6749 here, in one fetch wrapper driven by the
// quirks their declarative files list, so the grant code above it stays standard.
import * as client from 'openid-client';
import type { ProviderDefinition, ProviderEndpoints } from '../providers/types.js';

export interface OAuthApp {
  clientId: string;
  clientSecret?: string | undefined;
}

export interface ClientConfigurationOptions {
  /** Issuer compared with a callback's `iss` parameter. */
  issuer: string;
  timeoutSeconds: number;
  /** Used for every request to the provider (a custom service's guarded fetch); default the global fetch. */
  fetch?: typeof fetch;
}

export class TokenEndpointRedirectError extends Error {
  readonly code = 'TOKEN_ENDPOINT_REDIRECT';
}

const USER_AGENT = 'Latchkey (+https://github.com/latchkey)';

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function clientAuthentication(provider: ProviderDefinition, app: OAuthApp): client.ClientAuth {
  if (provider.clientAuthMethod === 'none' || !app.clientSecret) return client.None();
  return provider.clientAuthMethod === 'client_secret_post'
    ? client.ClientSecretPost(app.clientSecret)
    : client.ClientSecretBasic(app.clientSecret);
}

async function jsonBodyOf(response: Response): Promise<Record<string, unknown> | undefined> {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (type.includes('application/x-www-form-urlencoded') || (!type.includes('json') && /^[\w.-]+=/.test(text))) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Rewrites a token endpoint answer into the standard shape (JSON, error status, numeric expiry, token_type). */
async function normalizeTokenResponse(response: Response): Promise<Response> {
  const body = await jsonBodyOf(response.clone());
  if (!body) return response;
  let status = response.status;
  if (status === 200 && typeof body.error === 'string') status = 400;
  if (typeof body.expires_in === 'string' && /^\d+$/.test(body.expires_in)) body.expires_in = Number(body.expires_in);
  // Granted scopes as a JSON array (Twitch) rather than RFC 6749's space-separated string.
  if (Array.isArray(body.scope)) body.scope = body.scope.filter((scope) => typeof scope === 'string').join(' ');
  if (status === 200 && typeof body.access_token === 'string' && typeof body.token_type !== 'string') {
    body.token_type = 'bearer';
  }
  // Identity comes from the provider's API, never from an ID token; dropping one that a plain OAuth
  // provider adds (Salesforce with the openid scope) avoids validating a token nothing reads.
  delete body.id_token;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify(body), { status, statusText: response.statusText, headers });
}

export function createClientConfiguration(
  provider: ProviderDefinition,
  endpoints: ProviderEndpoints,
  app: OAuthApp,
  options: ClientConfigurationOptions,
): client.Configuration {
  const server: client.ServerMetadata = {
    issuer: options.issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    ...(endpoints.revocation && provider.revocation === 'rfc7009' ? { revocation_endpoint: endpoints.revocation } : {}),
    ...(provider.pkce ? { code_challenge_methods_supported: ['S256'] } : {}),
  };
  const config = new client.Configuration(server, app.clientId, undefined, clientAuthentication(provider, app));
  config.timeout = options.timeoutSeconds;
  if ([endpoints.authorization, endpoints.token, endpoints.revocation].some((url) => url && url.startsWith('http:') && isLoopbackUrl(url))) {
    client.allowInsecureRequests(config);
  }
  const fetchImpl = options.fetch ?? fetch;
  // openid-client requests URL#href, which may differ from the configured spelling (case, default port).
  const tokenEndpoint = new URL(endpoints.token).href;
  config[client.customFetch] = async (url, init) => {
    const headers = new Headers(init.headers);
    headers.set('user-agent', USER_AGENT);
    if (provider.quirks.formEncodedUnlessJsonAccepted) headers.set('accept', 'application/json');
    const response = await fetchImpl(url, { ...init, headers, redirect: 'manual' } as RequestInit);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new TokenEndpointRedirectError(
        `${provider.friendlyServiceName} answered with a redirect (HTTP ${response.status}); redirects from OAuth endpoints are never followed. Check the configured endpoint URL.`,
      );
    }
    return new URL(url).href === tokenEndpoint ? normalizeTokenResponse(response) : response;
  };
  return config;
}

export { USER_AGENT, isLoopbackUrl };
