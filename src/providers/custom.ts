// Services a site defines itself: any OAuth 2.0 / OpenID Connect server, described by its
// endpoints (read once from its discovery document, or given). They become the same declarative
// ProviderDefinition the catalog's files are, so the OAuth code treats both alike. Their
// connections are stored under the key the registry gives them (src/registry/service-keys.ts).
import { findProviderByGraphQLField } from './index.js';
import { customServiceKey, labelOf, slugOf } from '../registry/service-keys.js';
import type { ClientAuthMethod, CustomServiceKey, ProviderDefinition, ScopeDefinition, ServiceKey } from './types.js';

export { customServiceKey, slugOf };

/** 2 to 40 characters: lower-case letters, digits and inner hyphens, starting with a letter. */
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/** Why a slug cannot name a custom service, or null when it can. */
export function slugProblem(slug: string): string | null {
  if (!SLUG_PATTERN.test(slug)) {
    return 'slug must be 2 to 40 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen.';
  }
  if (findProviderByGraphQLField(slug)) return `slug ${JSON.stringify(slug)} names a service the gateway ships; choose another.`;
  return null;
}

export interface CustomServiceSettings {
  slug: string;
  friendlyServiceName: string;
  /** The issuer compared with a callback's `iss`; null: any issuer on the authorization endpoint's origin. */
  issuer: string | null;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  userinfoEndpoint: string | null;
  scopes: ScopeDefinition[];
  scopeSeparator: ' ' | ',';
  authorizationParameters: Record<string, string>;
  clientAuthMethod: ClientAuthMethod;
  pkce: boolean;
  supportsClientCredentials: boolean;
}

export function customProvider(settings: CustomServiceSettings): ProviderDefinition<CustomServiceKey> {
  const origin = new URL(settings.authorizationEndpoint).origin;
  return {
    service: customServiceKey(settings.slug),
    friendlyServiceName: settings.friendlyServiceName,
    graphQLField: settings.slug,
    issuer: settings.issuer ?? origin,
    endpoints: {
      authorization: settings.authorizationEndpoint,
      token: settings.tokenEndpoint,
      ...(settings.revocationEndpoint ? { revocation: settings.revocationEndpoint } : {}),
      // Custom services have no pass-through; the token goes only to the OAuth endpoints and userinfo.
      api: settings.userinfoEndpoint ?? new URL(settings.tokenEndpoint).origin,
    },
    appRegistrationUrl: settings.issuer ?? origin,
    scopes: settings.scopes,
    scopeSeparator: settings.scopeSeparator,
    clientAuthMethod: settings.clientAuthMethod,
    pkce: settings.pkce,
    // Whether a refresh token comes is the server's choice; the connection refreshes when one did.
    supportsRefresh: true,
    ...(settings.revocationEndpoint ? { revocation: 'rfc7009' as const } : {}),
    supportsClientCredentials: settings.supportsClientCredentials,
    ...(settings.supportsClientCredentials ? { clientCredentials: {} } : {}),
    authorizationParams: settings.authorizationParameters,
    identity: settings.userinfoEndpoint
      ? { from: 'url', url: settings.userinfoEndpoint, idPath: 'sub', namePaths: ['preferred_username', 'name', 'email'] }
      : { from: 'none' },
    // Asking for JSON costs nothing with a standard server and helps those that answer forms otherwise.
    quirks: { formEncodedUnlessJsonAccepted: true },
  };
}

/** The name a message uses for a service when its definition is not at hand. */
export function serviceLabel(key: ServiceKey): string {
  return labelOf(key);
}
