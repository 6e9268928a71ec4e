// The OAuth definition the OAuth code reads: endpoints, scopes, documented token-endpoint quirks.
// Catalog providers derive it from their file (src/providers/provider-schema.ts, oauthDefinitionOf);
// custom services build it from the site's settings (src/providers/custom.ts). The OAuth code reads
// these facts; it never branches on a provider's name.

/** A catalog service's enum name (GITHUB), as the `service` column stores it; see src/providers/catalog.ts. */
export type ServiceName = string;
/** A site-defined OAuth service (see src/providers/custom.ts): "custom:<slug>". */
export type CustomServiceKey = `custom:${string}`;
/** What a connection's `service` column holds: a catalog service, or a site's custom one. */
export type ServiceKey = ServiceName | CustomServiceKey;

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';

export interface ScopeDefinition {
  scope: string;
  title: string;
  description: string;
  category?: string;
  /** Requested when the caller names no scopes. */
  isDefault?: boolean;
  /** Always requested, whatever the caller names. */
  isRequired?: boolean;
}

export interface ProviderEndpoints {
  authorization: string;
  token: string;
  /** RFC 7009 revocation endpoint (or the provider's equivalent, see `revocation.style`). */
  revocation?: string;
  /** Where refresh_token grants go when not the token endpoint (Figma's /v1/oauth/refresh). */
  refresh?: string;
  /** Base URL of the provider's API; the only host a stored token is ever sent to. */
  api: string;
}

/** Where the connected account's identity comes from. Paths are dot-separated into the JSON. */
export type IdentitySource =
  /** GET `api` + `path` with the new access token. */
  | { from: 'api'; path: string; idPath: string; namePath?: string; headers?: Record<string, string> }
  /** A field of the token response itself (e.g. Stripe's stripe_user_id). */
  | { from: 'token-response'; idField: string; nameField?: string }
  /** GET the URL found in a token-response field, which must be on the token endpoint's origin (Salesforce's `id`). */
  | { from: 'token-response-url'; urlField: string; idPath: string; namePath?: string }
  /** GET a fixed URL with the new access token (an OpenID Connect userinfo endpoint); the first name path with a value names the account. */
  | { from: 'url'; url: string; idPath: string; namePaths: string[] }
  /** The provider offers no way to learn who connected. */
  | { from: 'none' };

export type RevocationStyle =
  /** RFC 7009: POST token=…&token_type_hint=… with client authentication. */
  | 'rfc7009'
  /**
   * GitHub: DELETE /applications/{client_id}/token with Basic auth and {"access_token": …}. The
   * token, not the grant: deleting the grant would end the same user's connections on every site.
   */
  | 'github-token'
  /** Stripe Connect: POST /oauth/deauthorize with client_id and stripe_user_id, secret key as Bearer. */
  | 'stripe-deauthorize'
  /** POST the endpoint with the access token as Bearer and no body (Slack auth.revoke, Dropbox). */
  | 'bearer-token'
  /** DELETE the endpoint with the access token as Bearer (Zendesk's tokens/current). */
  | 'bearer-token-delete'
  /** POST client_id, client_secret and access_token as form fields (Webflow). */
  | 'token-and-client-in-body'
  /** DELETE the endpoint with `{refresh_token}` in its path replaced by the refresh token (HubSpot). */
  | 'refresh-token-in-path'
  /** POST the endpoint with the access token as Bearer and as the form field `token` (DigitalOcean). */
  | 'bearer-and-token-field'
  /**
   * POST the endpoint with the access token as Bearer and as the form field `access_token`, for an
   * endpoint documented with the field but called with the header by the provider's clients (Strava).
   */
  | 'bearer-and-access-token-field'
  /** POST `{client_id, access_token}` as JSON with `Authorization: Client <client secret>` (Square). */
  | 'client-secret-header-json';

export interface TokenEndpointQuirks {
  /** Answers in form encoding unless the request says `Accept: application/json` (GitHub). */
  formEncodedUnlessJsonAccepted?: boolean;
  /** Reports errors as `{"error": …}` with HTTP 200 (GitHub). */
  errorsWithStatus200?: boolean;
  /** Separator of the `scope` field in the token response when it differs from the request's (GitHub: ","). */
  grantedScopeSeparator?: ' ' | ',';
  /** The token response carries no `scope`; the requested scopes are what was granted. */
  scopeAbsentMeansRequested?: boolean;
  /** A refresh answer may carry a new refresh token that replaces the old one. */
  refreshTokenRotates?: boolean;
  /** A refresh answer may leave out `refresh_token`; the old one stays valid (Spotify, Salesforce). */
  refreshTokenMayBeOmitted?: boolean;
  /** Non-secret fields of the token response worth keeping (Salesforce's instance_url). */
  keepFields?: string[];
  /** Lifetime to assume when the response has no `expires_in` (Salesforce sessions). */
  assumedLifetimeSeconds?: number;
  /** `token_type` is missing or not "bearer" in the provider's answer; treat it as bearer. */
  tokenTypeMissing?: boolean;
  /**
   * The token endpoint (and the refresh and RFC 7009 revocation endpoints) take the same
   * parameters as a JSON object instead of a form (Notion, Square).
   */
  jsonTokenRequests?: boolean;
  /** The RFC 7009 revocation request alone takes a JSON body; token requests stay forms (QuickBooks). */
  jsonRevocationRequests?: boolean;
  /** Error codes besides invalid_grant with which the provider refuses a dead refresh token (GitHub: bad_refresh_token). */
  reauthErrors?: string[];
  /**
   * The API base URL differs per connected account and comes from this token-response field
   * (Salesforce's instance_url); `endpoints.api` is then only the fallback. Accept the value only
   * when it is https and its host matches `apiBaseUrlHosts` (or is the resolved `endpoints.api` host).
   */
  apiBaseUrlField?: string;
  /**
   * RFC 7009 revocation of the refresh token also ends the access tokens issued from it, so
   * sign-out sends one request; without it the access token is revoked too, after the refresh token.
   */
  refreshRevocationEndsAccessTokens?: boolean;
  /** The RFC 7009 endpoint takes access tokens only and refuses a refresh token: sign-out revokes the access token alone. */
  revokesAccessTokensOnly?: boolean;
  /** Hosts an `apiBaseUrlField` value may name: exact host names, or suffixes written with a leading dot. */
  apiBaseUrlHosts?: string[];
  /**
   * The RFC 7009 revocation request's fields under the provider's own names; a field not named is
   * left out (Miro's v2 revoke: `{accessToken, clientId, clientSecret}`).
   */
  revocationBodyFields?: RevocationBodyFields;
  /**
   * With Basic client authentication, token and RFC 7009 revocation requests carry `client_id` in
   * the body too, as the provider's own client sends them (X). Only the id: the secret stays in Basic.
   */
  clientIdWithBasic?: boolean;
  /**
   * Without `expires_in`, the access token's lifetime is its JWT `exp` claim (monday.com). The
   * token is decoded without a signature check, only for this; `assumedLifetimeSeconds` applies when it is no JWT.
   */
  expiryFromJwtExp?: boolean;
}

/** RFC 7009 field name → the provider's name for it; `token` must be named. */
export interface RevocationBodyFields {
  token: string;
  token_type_hint?: string;
  client_id?: string;
  client_secret?: string;
}

/** A parameter of the client-credentials token request that the site supplies (Box's box_subject_id). */
export interface ClientCredentialsParameter {
  name: string;
  description: string;
  required?: boolean;
  /** The only values accepted. */
  allowedValues?: string[];
  /** A regular expression (source, matched whole) the value must match. */
  pattern?: string;
}

/** How a provider answers the client credentials grant (machine to machine, no user). */
export interface ClientCredentialsOptions {
  /** Parameters the site supplies; kept with the connection (non-secret) and sent again on every re-request. */
  params?: ClientCredentialsParameter[];
  /** The token acts for no user, so there is no identity to look up (Spotify's app tokens cannot read /v1/me). */
  noIdentity?: boolean;
  /** Token endpoint hosts that refuse this grant, and what to configure instead (Salesforce needs the org's My Domain). */
  refusedTokenHosts?: { hosts: string[]; hint: string };
}

export interface ProviderDefinition<Key extends ServiceKey = ServiceKey> {
  service: Key;
  friendlyServiceName: string;
  /** Field name under `secrets` and in pass-through namespaces. */
  graphQLField: string;
  /** Issuer identifier compared with an `iss` callback parameter (RFC 9207) when the provider sends one. */
  issuer: string;
  endpoints: ProviderEndpoints;
  /** Developer console where the OAuth app and its redirect URI are registered. */
  appRegistrationUrl: string;
  scopes: ScopeDefinition[];
  /** Separator of `scope` in the authorization request. */
  scopeSeparator: ' ' | ',';
  clientAuthMethod: ClientAuthMethod;
  pkce: boolean;
  supportsRefresh: boolean;
  revocation?: RevocationStyle;
  supportsClientCredentials?: boolean;
  /** Details of the client credentials grant, when `supportsClientCredentials`. */
  clientCredentials?: ClientCredentialsOptions;
  /** Extra fixed parameters of the authorization request (e.g. Salesforce's prompt). */
  authorizationParams?: Record<string, string>;
  /** Extra fixed parameters of the authorization code exchange (Shopify's expiring=1). */
  tokenParams?: Record<string, string>;
  /** Fixed headers of every request to the token, refresh and revocation endpoints (Notion-Version). */
  endpointHeaders?: Record<string, string>;
  identity: IdentitySource;
  quirks: TokenEndpointQuirks;
  /** Refresh this many seconds before expiry (default 300). */
  refreshBufferSeconds?: number;
  /** Headers every request to the provider's API carries (its file's `api.defaultHeaders`). */
  apiHeaders?: Readonly<Record<string, string>>;
}

/** A catalog provider: one of the services the gateway ships. */
export type CatalogProvider = ProviderDefinition<ServiceName>;
