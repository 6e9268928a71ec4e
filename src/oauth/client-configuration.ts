// Builds the openid-client configuration for one provider and one OAuth app. Providers that
// bend the OAuth rules are brought back to RFC 6749 here, in one fetch wrapper driven by the
// quirks their declarative files list, so the grant code above it stays standard.
import * as client from 'openid-client';
import type { ProviderDefinition, ProviderEndpoints, RevocationBodyFields } from '../providers/types.js';

export interface OAuthApp {
  clientId: string;
  clientSecret?: string | undefined;
  /** The private key that signs private_key_jwt assertions (RFC 7523). */
  signingKey?: { key: CryptoKey; kid: string } | undefined;
}

export interface ClientConfigurationOptions {
  /** Issuer compared with a callback's `iss` parameter. */
  issuer: string;
  timeoutSeconds: number;
  /** Used for every request to the provider (a custom service's guarded fetch); default the global fetch. */
  fetch?: typeof fetch;
  /**
   * The server's JWKS: an ID token in a token response is then kept and validated (issuer,
   * audience, expiry, nonce, and its signature against these keys). Without it, one is dropped unread.
   */
  jwksUri?: string | null | undefined;
  /** RFC 9126 pushed authorization request endpoint: authorization requests are pushed there. */
  pushedAuthorizationRequestEndpoint?: string | null | undefined;
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
  if (provider.clientAuthMethod === 'private_key_jwt' && app.signingKey) return client.PrivateKeyJwt(app.signingKey);
  if (provider.clientAuthMethod === 'none' || !app.clientSecret) return client.None();
  switch (provider.clientAuthMethod) {
    case 'client_secret_post':
      return client.ClientSecretPost(app.clientSecret);
    case 'client_secret_jwt':
      return client.ClientSecretJwt(app.clientSecret);
    default:
      return client.ClientSecretBasic(app.clientSecret);
  }
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

/**
 * Rewrites a token endpoint answer into the standard shape (JSON, error status, numeric expiry, token_type).
 * A token of another type than Bearer (DPoP, mac) would be sent wrongly by every reader, so the
 * answer becomes the OAuth error `unsupported_token_type` and its token is never stored.
 */
async function normalizeTokenResponse(provider: ProviderDefinition, response: Response, keepIdToken: boolean): Promise<Response> {
  const body = await jsonBodyOf(response.clone());
  if (!body) return response;
  let status = response.status;
  if (status === 200 && typeof body.error === 'string') status = 400;
  if (typeof body.expires_in === 'string' && /^\d+$/.test(body.expires_in)) body.expires_in = Number(body.expires_in);
  // Granted scopes as a JSON array (Twitch) rather than RFC 6749's space-separated string.
  if (Array.isArray(body.scope)) body.scope = body.scope.filter((scope) => typeof scope === 'string').join(' ');
  if (status === 200 && typeof body.access_token === 'string' && (typeof body.token_type !== 'string' || provider.quirks.tokenTypeMissing)) {
    body.token_type = 'bearer';
  }
  if (status === 200 && typeof body.access_token === 'string' && String(body.token_type).toLowerCase() !== 'bearer') {
    const tokenType = String(body.token_type).slice(0, 40);
    return new Response(
      JSON.stringify({ error: 'unsupported_token_type', error_description: `the token_type "${tokenType}" is not supported; Latchkey uses Bearer tokens only` }),
      { status: 400, headers: { 'content-type': 'application/json' } },
    );
  }
  // Without the server's keys an ID token cannot be validated, so nothing may read it: identity then
  // comes from the provider's API (Salesforce adds one with the openid scope).
  if (!keepIdToken) delete body.id_token;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify(body), { status, statusText: response.statusText, headers });
}

/** The revocation form with each field under the provider's name; fields it does not name are left out. */
function renamedFields(form: URLSearchParams, names: RevocationBodyFields): URLSearchParams {
  const renamed = new URLSearchParams();
  for (const [field, name] of Object.entries(names)) {
    const value = form.get(field);
    if (name && value !== null) renamed.set(name, value);
  }
  return renamed;
}

/**
 * RFC 7009 §2.2 answers 200. Another 2xx (Miro's 204), or a 404 (the provider no longer knows the
 * token, read so for every revocation style: docs/lifecycle.md), is the same success, in the shape
 * openid-client expects.
 */
function asRevocationSuccess(response: Response): Response {
  if (response.status === 200 || !(response.ok || response.status === 404)) return response;
  void response.body?.cancel();
  return new Response(null, { status: 200 });
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
    ...(options.jwksUri ? { jwks_uri: options.jwksUri } : {}),
    ...(options.pushedAuthorizationRequestEndpoint ? { pushed_authorization_request_endpoint: options.pushedAuthorizationRequestEndpoint } : {}),
  };
  const config = new client.Configuration(server, app.clientId, undefined, clientAuthentication(provider, app));
  config.timeout = options.timeoutSeconds;
  const urls = [endpoints.authorization, endpoints.token, endpoints.revocation, endpoints.refresh, options.jwksUri, options.pushedAuthorizationRequestEndpoint];
  if (urls.some((url) => url && url.startsWith('http:') && isLoopbackUrl(url))) {
    client.allowInsecureRequests(config);
  }
  if (options.jwksUri) client.enableNonRepudiationChecks(config);
  const fetchImpl = options.fetch ?? fetch;
  // openid-client requests URL#href, which may differ from the configured spelling (case, default port).
  const tokenEndpoint = new URL(endpoints.token).href;
  const refreshEndpoint = endpoints.refresh ? new URL(endpoints.refresh).href : undefined;
  const revocationEndpoint = endpoints.revocation && provider.revocation === 'rfc7009' ? new URL(endpoints.revocation).href : undefined;
  config[client.customFetch] = async (url, init) => {
    const headers = new Headers(init.headers);
    headers.set('user-agent', USER_AGENT);
    if (provider.quirks.formEncodedUnlessJsonAccepted) headers.set('accept', 'application/json');
    const href = new URL(url).href;
    const toOAuthEndpoint = href === tokenEndpoint || href === revocationEndpoint;
    if (toOAuthEndpoint) {
      for (const [name, value] of Object.entries(provider.endpointHeaders ?? {})) headers.set(name, value);
    }
    const form = init.body instanceof URLSearchParams ? init.body : undefined;
    const target = href === tokenEndpoint && refreshEndpoint && form?.get('grant_type') === 'refresh_token' ? refreshEndpoint : url;
    let body = init.body;
    if (toOAuthEndpoint && form && provider.quirks.clientIdWithBasic && headers.get('authorization')?.startsWith('Basic ') && !form.has('client_id')) {
      form.set('client_id', app.clientId);
    }
    if (href === tokenEndpoint && form?.get('grant_type') === 'authorization_code' && provider.tokenParams) {
      for (const [name, value] of Object.entries(provider.tokenParams)) if (!form.has(name)) form.set(name, value);
    }
    const fields = href === revocationEndpoint && form && provider.quirks.revocationBodyFields ? renamedFields(form, provider.quirks.revocationBodyFields) : form;
    if (fields !== form) body = fields;
    const json = provider.quirks.jsonTokenRequests ? toOAuthEndpoint : Boolean(provider.quirks.jsonRevocationRequests) && href === revocationEndpoint;
    if (json && fields) {
      body = JSON.stringify(Object.fromEntries(fields));
      headers.set('content-type', 'application/json');
    }
    const response = await fetchImpl(target, { ...init, body, headers, redirect: 'manual' } as RequestInit);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new TokenEndpointRedirectError(
        `${provider.friendlyServiceName} answered with a redirect (HTTP ${response.status}); redirects from OAuth endpoints are never followed. Check the configured endpoint URL.`,
      );
    }
    if (href === revocationEndpoint) return asRevocationSuccess(response);
    return href === tokenEndpoint ? normalizeTokenResponse(provider, response, Boolean(options.jwksUri)) : response;
  };
  return config;
}

export { USER_AGENT, isLoopbackUrl };
