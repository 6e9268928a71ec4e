import { parseGrantedScopes } from '../providers/index.js';
import type { ProviderDefinition } from '../providers/types.js';
import { jwtExpiry } from './jwt-expiry.js';

/** A token endpoint answer in the shape Latchkey stores. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  tokenType: string;
  expiresAt: Date | null;
  grantedScopes: string[];
  /** Non-secret fields the provider file asks to keep (e.g. instance_url). */
  providerData: Record<string, string | number | boolean>;
  /** The whole answer, for identity lookups that read a field of it. Never stored or logged. */
  response: Record<string, unknown>;
  /** The claims of the ID token, present only once it passed validation (signature, issuer, audience, nonce). */
  idTokenClaims?: Record<string, unknown> | undefined;
}

export function readTokenSet(
  provider: ProviderDefinition,
  response: Record<string, unknown>,
  requestedScopes: readonly string[],
  now = new Date(),
): TokenSet {
  const expiresIn = typeof response.expires_in === 'number' ? response.expires_in : provider.quirks.assumedLifetimeSeconds;
  const accessToken = String(response.access_token);
  const fromJwt = typeof response.expires_in !== 'number' && provider.quirks.expiryFromJwtExp ? jwtExpiry(accessToken) : undefined;
  const providerData: TokenSet['providerData'] = {};
  for (const field of provider.quirks.keepFields ?? []) {
    const value = response[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') providerData[field] = value;
  }
  return {
    accessToken,
    refreshToken: typeof response.refresh_token === 'string' && response.refresh_token ? response.refresh_token : undefined,
    tokenType: typeof response.token_type === 'string' ? response.token_type.toLowerCase() : 'bearer',
    expiresAt: fromJwt ?? (expiresIn !== undefined && expiresIn > 0 ? new Date(now.getTime() + expiresIn * 1000) : null),
    grantedScopes: parseGrantedScopes(typeof response.scope === 'string' ? response.scope : undefined, requestedScopes),
    providerData,
    response,
  };
}
