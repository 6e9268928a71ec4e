// Who the connected account is. Only ever asks the provider's own hosts: the API base, a custom
// service's userinfo endpoint, or for Salesforce the identity URL from the token answer when it is
// on the token endpoint's origin.
import type { ProviderDefinition, ProviderEndpoints } from '../providers/types.js';
import type { TokenSet } from './token-set.js';
import { USER_AGENT } from './client-configuration.js';

export interface ForeignIdentity {
  id: string;
  name: string | null;
}

function readPath(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}

function asText(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

async function getJson(url: URL, accessToken: string, headers: Record<string, string>, timeoutSeconds: number, fetchImpl: typeof fetch): Promise<unknown> {
  const response = await fetchImpl(url, {
    headers: { accept: 'application/json', ...headers, authorization: `Bearer ${accessToken}`, 'user-agent': USER_AGENT },
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`identity lookup answered HTTP ${response.status}`);
  }
  return response.json();
}

const NAME_CLAIMS = ['preferred_username', 'name', 'email'];

/**
 * A validated ID token names the account (`sub`); its name comes from the token's claims, else from
 * userinfo when that answers for the same `sub` (OpenID Connect Core §5.3.2).
 */
async function identityFromIdToken(
  claims: Record<string, unknown>,
  provider: ProviderDefinition,
  tokens: TokenSet,
  timeoutSeconds: number,
  fetchImpl: typeof fetch,
): Promise<ForeignIdentity | null> {
  const id = asText(claims.sub);
  if (!id) return null;
  let name = NAME_CLAIMS.map((claim) => asText(claims[claim])).find((value) => value !== null) ?? null;
  const source = provider.identity;
  if (!name && source.from === 'url') {
    const body = await getJson(new URL(source.url), tokens.accessToken, {}, timeoutSeconds, fetchImpl).catch(() => null);
    if (body && asText(readPath(body, source.idPath)) === id) {
      name = source.namePaths.map((path) => asText(readPath(body, path))).find((value) => value !== null) ?? null;
    }
  }
  return { id, name };
}

export async function fetchIdentity(
  provider: ProviderDefinition,
  endpoints: ProviderEndpoints,
  tokens: TokenSet,
  timeoutSeconds: number,
  fetchImpl: typeof fetch = fetch,
): Promise<ForeignIdentity | null> {
  if (tokens.idTokenClaims) return identityFromIdToken(tokens.idTokenClaims, provider, tokens, timeoutSeconds, fetchImpl);
  const source = provider.identity;
  if (source.from === 'none') return null;
  if (source.from === 'token-response') {
    const id = asText(tokens.response[source.idField]);
    return id ? { id, name: source.nameField ? asText(tokens.response[source.nameField]) : null } : null;
  }
  if (source.from === 'url') {
    const body = await getJson(new URL(source.url), tokens.accessToken, {}, timeoutSeconds, fetchImpl);
    const id = asText(readPath(body, source.idPath));
    const name = source.namePaths.map((path) => asText(readPath(body, path))).find((value) => value !== null) ?? null;
    return id ? { id, name } : null;
  }
  let url: URL;
  if (source.from === 'api') {
    const base = endpoints.api.endsWith('/') ? endpoints.api : `${endpoints.api}/`;
    url = new URL(source.path.replace(/^\//, ''), base);
  } else {
    const field = asText(tokens.response[source.urlField]);
    if (!field) return null;
    url = new URL(field);
    if (url.origin !== new URL(endpoints.token).origin) {
      throw new Error(`identity URL is not on ${provider.friendlyServiceName}'s token endpoint origin`);
    }
  }
  const headers = source.from === 'api' ? (source.headers ?? {}) : {};
  const body = await getJson(url, tokens.accessToken, headers, timeoutSeconds, fetchImpl);
  const id = asText(readPath(body, source.idPath));
  return id ? { id, name: source.namePath ? asText(readPath(body, source.namePath)) : null } : null;
}
