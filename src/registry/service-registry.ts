// The one place that answers "which service is this, and how does it behave?" for a site: a
// catalog key (`github`, or the stored form `GITHUB`) or a site's `custom:<slug>` resolves to the
// same shape, whatever kind of service it is. Callers read the entry's facts; they never ask
// whether the service is a custom one.
import { badUserInput, notFound } from '../errors.js';
import { catalog, catalogService, catalogServiceByKey, oauthDefinitionOf, resolveApiBaseUrl, type ProviderFile } from '../providers/index.js';
import { customProvider, SLUG_PATTERN } from '../providers/custom.js';
import { customServiceKey, isCustomServiceKey, siteSlugOf, slugOf } from './service-keys.js';
import type { ApiFacts, AuthMode, CredentialFacts, ProviderDocs } from '../providers/provider-schema.js';
import type { ClientAuthMethod, ProviderDefinition, ScopeDefinition, ServiceKey } from '../providers/types.js';
import type { CustomService, CustomServices } from '../oauth/custom-services.js';
import { apiProfiles, genericProfile, type ApiProfile } from '../passthrough/api-profiles.js';

export interface ServiceEntry {
  /** The stored form, as the connection's `service` column holds it: GITHUB or custom:<slug>. */
  key: ServiceKey;
  /** The `service: String` form: github or custom:<slug>. */
  publicKey: string;
  label: string;
  categories: readonly string[];
  authModes: readonly AuthMode[];
  scopes: readonly ScopeDefinition[];
  /** How OAuth works with it; null for a service connected only by API key or Basic credentials. */
  oauth: ProviderDefinition | null;
  /** How an API key or Basic credential is sent and checked; null for OAuth-only services. */
  credentials: CredentialFacts | null;
  /** How its API talks; null when the gateway knows nothing of its API (custom services). */
  api: ApiFacts | null;
  docs: ProviderDocs;
  /** Path of the redirect URI below the gateway's public URL. */
  callbackPath: string;
  supportsRefresh: boolean;
  supportsRevocation: boolean;
}

const MAX_SERVICE_LENGTH = 100;

function describe(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** An entry for a catalog provider file. */
export function catalogEntry(file: ProviderFile): ServiceEntry {
  const oauth = oauthDefinitionOf(file) ?? null;
  return {
    key: file.name,
    publicKey: file.key,
    label: file.displayName,
    categories: file.categories,
    authModes: file.authModes,
    scopes: file.oauth?.scopes ?? [],
    oauth,
    credentials: file.credentials ?? null,
    api: file.api,
    docs: file.docs,
    callbackPath: `/oauth/callback/${file.key}`,
    supportsRefresh: Boolean(file.oauth?.supportsRefresh),
    supportsRevocation: Boolean(file.oauth?.revocation),
  };
}

/** An entry for a site's custom service. */
export function customEntry(custom: CustomService): ServiceEntry {
  const oauth = customProvider(custom);
  return {
    key: customServiceKey(custom.slug),
    publicKey: customServiceKey(custom.slug),
    label: custom.friendlyServiceName,
    categories: ['Custom'],
    authModes: custom.supportsClientCredentials ? ['OAUTH2', 'CLIENT_CREDENTIALS'] : ['OAUTH2'],
    scopes: custom.scopes,
    oauth,
    credentials: null,
    api: null,
    docs: {},
    callbackPath: new URL(custom.callbackUrl).pathname,
    supportsRefresh: true,
    supportsRevocation: oauth.revocation !== undefined,
  };
}

/** How the gateway acts as an OAuth client of a catalog service: read from its provider file, never hard-coded. */
export interface OAuthClientSettings {
  clientAuthMethod: ClientAuthMethod;
  pkce: boolean;
  /** RFC 9126: where authorization requests are pushed (LATCHKEY_<NAME>_PAR_URL overrides the file's); null: not pushed. */
  pushedAuthorizationRequestEndpoint: string | null;
  requirePushedAuthorizationRequests: boolean;
  /** private_key_jwt: the variable holding the private JWK the assertions are signed with. */
  signingKeySetting: string | null;
}

/**
 * Client authentication an operator may choose instead of the file's (an app registered with a
 * signing key or a certificate rather than a secret, where the provider allows it).
 */
const OVERRIDABLE_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'] as const;

/** The OAuth client settings of a catalog provider file, with the operator's overrides from `env`. */
export function catalogOAuthClientOf(file: Pick<ProviderFile, 'name' | 'oauth'>, env: Record<string, string | undefined>): OAuthClientSettings {
  const oauth = file.oauth;
  if (!oauth) throw badUserInput(`${describe(file.name)} is not connected by OAuth.`, 'service');
  const methodSetting = `LATCHKEY_${file.name}_CLIENT_AUTH_METHOD`;
  const methodOverride = env[methodSetting]?.trim().toLowerCase();
  if (methodOverride && !(OVERRIDABLE_AUTH_METHODS as readonly string[]).includes(methodOverride)) {
    throw new Error(`${methodSetting} must be one of ${OVERRIDABLE_AUTH_METHODS.join(', ')}.`);
  }
  const clientAuthMethod = (methodOverride as ClientAuthMethod | undefined) || oauth.clientAuthMethod;
  const parSetting = `LATCHKEY_${file.name}_PAR_URL`;
  const parOverride = env[parSetting]?.trim();
  if (parOverride) checkEndpointOverride(parOverride, parSetting);
  return {
    clientAuthMethod,
    pkce: oauth.pkce,
    pushedAuthorizationRequestEndpoint: parOverride || oauth.pushedAuthorizationRequests?.endpoint || null,
    requirePushedAuthorizationRequests: Boolean(oauth.pushedAuthorizationRequests?.required),
    signingKeySetting: clientAuthMethod === 'private_key_jwt' ? `LATCHKEY_${file.name}_CLIENT_PRIVATE_KEY` : null,
  };
}

/** An endpoint from the environment: https, or plain http for a loopback host (tests, local development). */
function checkEndpointOverride(value: string, setting: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${setting} must be an absolute URL.`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error(`${setting} must be an https:// URL (http:// only for loopback hosts).`);
}

export interface RefreshFacts {
  /** Refresh this long before expiry, when the provider's file says (default: the gateway's). */
  refreshBufferSeconds: number | undefined;
  supportsRefresh: boolean;
  supportsClientCredentials: boolean;
}

/**
 * How a stored connection of `key` is kept fresh. A custom service's connection holds what its
 * server gave: client credentials to ask with again, or a refresh token; its tokens may live only
 * minutes (Keycloak: 5).
 */
export function refreshFactsOf(key: ServiceKey): RefreshFacts {
  if (isCustomServiceKey(key)) {
    return { refreshBufferSeconds: undefined, supportsRefresh: true, supportsClientCredentials: true };
  }
  const oauth = catalogEntriesByKey.get(key)?.oauth;
  return {
    refreshBufferSeconds: oauth?.refreshBufferSeconds,
    supportsRefresh: Boolean(oauth?.supportsRefresh),
    supportsClientCredentials: Boolean(oauth?.supportsClientCredentials),
  };
}

/** The `service: String` form of a stored key: GITHUB → github; custom:<slug> unchanged. */
export function publicKeyOf(key: ServiceKey): string {
  return isCustomServiceKey(key) ? key : (catalogService(key)?.key ?? key.toLowerCase());
}

const catalogEntries: readonly ServiceEntry[] = Object.freeze(catalog.map(catalogEntry));
const catalogEntriesByKey = new Map(catalogEntries.map((entry) => [entry.key, entry]));

/**
 * The stored key a `service: String` argument names: a catalog key in lower case (`github`; the
 * enum form `GITHUB` is accepted too) or `custom:<slug>`. BAD_USER_INPUT for anything else.
 */
export function parseServiceKey(input: string): ServiceKey {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_SERVICE_LENGTH) {
    throw badUserInput('service must name a catalog service in lower case (e.g. "github") or a custom service as "custom:<slug>".', 'service');
  }
  if (isCustomServiceKey(input)) {
    if (!SLUG_PATTERN.test(slugOf(input))) {
      throw badUserInput(`${describe(input)} is not a custom service key: use "custom:<slug>" with the slug defineCustomService was given.`, 'service');
    }
    return input;
  }
  const file = catalogServiceByKey(input) ?? catalogService(input);
  if (!file) {
    throw badUserInput(`Unknown service ${describe(input)}: use a key listed by the services query (e.g. "github") or "custom:<slug>".`, 'service');
  }
  return file.name;
}

/**
 * The OAuth definition of a catalog service; BAD_USER_INPUT naming connectCredentials for a
 * service connected by API key or Basic credentials, and for an unknown one.
 */
export function requireCatalogOAuth(key: string): ProviderDefinition {
  const entry = catalogEntriesByKey.get(key);
  if (!entry) throw badUserInput(`Unknown service ${describe(key)}.`, 'service');
  if (!entry.oauth) {
    throw badUserInput(
      `${entry.label} is connected with ${entry.authModes.includes('BASIC') ? 'a user name and password' : 'an API key'}, not OAuth: use connectCredentials(input: { service: "${entry.publicKey}", … }).`,
      'service',
    );
  }
  return entry.oauth;
}

/** Where a service's API lives and how it talks, catalog or custom alike. */
export interface ServiceApi {
  key: ServiceKey;
  /** The service's name as people know it ("GitHub"). */
  name: string;
  /** The API base URL; null when the service names none (a custom service defined without apiBaseUrl). */
  baseUrl: string | null;
  /** Its quota and rate-limit headers, error shape and default headers. */
  profile: ApiProfile;
  /** The site chose the URL: it must pass the outbound URL policy at every use. */
  siteChosen: boolean;
}

export interface ServiceRegistryDeps {
  customServices: Pick<CustomServices, 'find' | 'require'>;
  /** The environment, for `LATCHKEY_<NAME>_API_URL` overrides. */
  env: Record<string, string | undefined>;
}

export function createServiceRegistry(deps: ServiceRegistryDeps) {
  /** Every catalog service, in catalog order. */
  function listCatalog(): readonly ServiceEntry[] {
    return catalogEntries;
  }

  /** The catalog entry of a stored key (GITHUB), or undefined. */
  function catalogEntryOf(key: string): ServiceEntry | undefined {
    return catalogEntriesByKey.get(key);
  }

  /** The entry for a key the site may use, or null when it names no service of the site. */
  async function find(siteId: string, key: ServiceKey): Promise<ServiceEntry | null> {
    if (isCustomServiceKey(key)) {
      const custom = await deps.customServices.find(siteId, slugOf(key));
      return custom ? customEntry(custom) : null;
    }
    return catalogEntriesByKey.get(key) ?? null;
  }

  /** Like `find`, for a `service: String` argument; NOT_FOUND when the site defines no such custom service. */
  async function resolve(siteId: string, input: string): Promise<ServiceEntry> {
    const key = parseServiceKey(input);
    const entry = await find(siteId, key);
    if (!entry) {
      throw notFound(`This site defines no custom service ${describe(slugOf(key as `custom:${string}`))}: define it with defineCustomService first.`);
    }
    return entry;
  }

  const apiBaseUrls = new Map<string, string>();
  /** The API base URL of a catalog service, with its environment override; resolved once. */
  function apiBaseUrlOf(key: string): string | null {
    const file = catalogService(key);
    if (!file) return null;
    let url = apiBaseUrls.get(key);
    if (!url) {
      url = resolveApiBaseUrl(file, deps.env);
      apiBaseUrls.set(key, url);
    }
    return url;
  }

  /** The API profile of a catalog service (its file's rate-limit and error facts); the generic one otherwise. */
  function apiProfileOf(key: string): ApiProfile {
    return apiProfiles[key as keyof typeof apiProfiles] ?? genericProfile;
  }

  /** A catalog service's API, synchronously (its facts are configuration); undefined for any other key. */
  function catalogApiOf(key: string): ServiceApi | undefined {
    const entry = catalogEntriesByKey.get(key);
    if (!entry) return undefined;
    return { key: entry.key, name: entry.label, baseUrl: apiBaseUrlOf(key), profile: apiProfileOf(key), siteChosen: false };
  }

  /** The API of any service the site may use; NOT_FOUND for a custom service the site does not define. */
  async function apiOf(siteId: string, key: ServiceKey): Promise<ServiceApi> {
    const catalogApi = catalogApiOf(key);
    if (catalogApi) return catalogApi;
    const slug = siteSlugOf(key);
    if (slug === null) throw badUserInput(`Unknown service ${describe(key)}.`, 'service');
    const custom = await deps.customServices.require(siteId, slug);
    return { key, name: custom.friendlyServiceName, baseUrl: custom.apiBaseUrl, profile: genericProfile, siteChosen: true };
  }

  return { listCatalog, catalogEntry: catalogEntryOf, find, resolve, parse: parseServiceKey, apiBaseUrlOf, apiProfileOf, catalogApiOf, apiOf };
}

export type ServiceRegistry = ReturnType<typeof createServiceRegistry>;
