// The provider catalog and the pure helpers the OAuth code and the schema use to read it.

import { catalog } from './catalog.js';
import type { ProviderFile } from './provider-schema.js';
import type {
  CatalogProvider,
  ProviderDefinition,
  ProviderEndpoints,
  ScopeDefinition,
  ServiceName,
} from './types.js';

export * from './types.js';
export { catalog } from './catalog.js';
export type { ProviderFile, AuthMode, ApiFacts, CredentialFacts } from './provider-schema.js';

/** Every catalog service's enum name, in catalog order. */
export const serviceNames: readonly ServiceName[] = Object.freeze(catalog.map((file) => file.name));

/** The OAuth definition the OAuth code reads, for a catalog file with an oauth section. */
export function oauthDefinitionOf(file: ProviderFile): CatalogProvider | undefined {
  const { oauth } = file;
  if (!oauth) return undefined;
  const { endpoints, clientCredentials, pushedAuthorizationRequests: _par, ...rest } = oauth;
  return {
    ...rest,
    service: file.name,
    friendlyServiceName: file.displayName,
    graphQLField: file.key,
    endpoints: { ...endpoints, api: file.api.baseUrl },
    apiHeaders: file.api.defaultHeaders,
    supportsClientCredentials: clientCredentials !== undefined,
    ...(clientCredentials ? { clientCredentials } : {}),
  };
}

/** Every catalog provider connected by OAuth, in catalog order. */
export const providerList: readonly CatalogProvider[] = Object.freeze(
  catalog.flatMap((file) => {
    const definition = oauthDefinitionOf(file);
    return definition ? [definition] : [];
  }),
);

export const providers: ReadonlyMap<ServiceName, CatalogProvider> = new Map(
  providerList.map((provider) => [provider.service, provider]),
);

const catalogByName: ReadonlyMap<string, ProviderFile> = new Map(catalog.map((file) => [file.name, file]));

/** The catalog file of `name` (GITHUB), or undefined. */
export function catalogService(name: string): ProviderFile | undefined {
  return catalogByName.get(name);
}

/** The catalog file whose lower-case key is `key` (github), or undefined. */
export function catalogServiceByKey(key: string): ProviderFile | undefined {
  return catalog.find((file) => file.key === key);
}

export function isServiceName(value: string): value is ServiceName {
  return catalogByName.has(value);
}

export function getProvider(service: ServiceName): CatalogProvider {
  const provider = providers.get(service);
  if (!provider) {
    throw new Error(`Unknown service ${JSON.stringify(service)}.`);
  }
  return provider;
}

/** The OAuth provider whose `graphQLField` (the lower-case name used in callback paths) is `field`. */
export function findProviderByGraphQLField(field: string): CatalogProvider | undefined {
  return providerList.find((provider) => provider.graphQLField === field);
}

// ---------------------------------------------------------------------------------------------
// Endpoints

const endpointEnvSuffixes = {
  authorization: 'AUTHORIZATION_URL',
  token: 'TOKEN_URL',
  revocation: 'REVOCATION_URL',
  refresh: 'REFRESH_URL',
  api: 'API_URL',
} as const satisfies Record<keyof ProviderEndpoints, string>;

type EndpointName = keyof typeof endpointEnvSuffixes;

export function endpointEnvName(service: ServiceName, endpoint: EndpointName): string {
  return `LATCHKEY_${service}_${endpointEnvSuffixes[endpoint]}`;
}

/**
 * The provider's endpoints with `LATCHKEY_<SERVICE>_AUTHORIZATION_URL`, `_TOKEN_URL`,
 * `_REVOCATION_URL`, `_REFRESH_URL` and `_API_URL` applied. Throws when an endpoint is not https (plain http is
 * accepted only for loopback hosts) or is not a usable URL.
 */
export function resolveEndpoints(
  provider: CatalogProvider,
  env: Record<string, string | undefined>,
): ProviderEndpoints {
  const resolved: ProviderEndpoints = {
    authorization: resolveEndpoint(provider, 'authorization', env),
    token: resolveEndpoint(provider, 'token', env),
    api: resolveEndpoint(provider, 'api', env),
  };
  const revocation = resolveOptionalEndpoint(provider, 'revocation', env);
  if (revocation !== undefined) {
    resolved.revocation = revocation;
  }
  const refresh = resolveOptionalEndpoint(provider, 'refresh', env);
  if (refresh !== undefined) {
    resolved.refresh = refresh;
  }
  return resolved;
}

/** The provider with its endpoints resolved as `resolveEndpoints` does. */
export function withResolvedEndpoints(
  provider: CatalogProvider,
  env: Record<string, string | undefined>,
): CatalogProvider {
  return { ...provider, endpoints: resolveEndpoints(provider, env) };
}

function resolveEndpoint(
  provider: CatalogProvider,
  endpoint: Exclude<EndpointName, 'revocation' | 'refresh'>,
  env: Record<string, string | undefined>,
): string {
  const value = resolveOptionalEndpoint(provider, endpoint, env);
  if (value === undefined) {
    throw new Error(`${provider.friendlyServiceName} has no ${endpoint} endpoint.`);
  }
  return value;
}

function resolveOptionalEndpoint(
  provider: CatalogProvider,
  endpoint: EndpointName,
  env: Record<string, string | undefined>,
): string | undefined {
  const envName = endpointEnvName(provider.service, endpoint);
  const override = env[envName]?.trim();
  if (override) {
    assertEndpointUrl(override, envName);
    return override;
  }
  const builtIn = provider.endpoints[endpoint];
  if (builtIn !== undefined) {
    assertEndpointUrl(builtIn, `The built-in ${provider.friendlyServiceName} ${endpoint} endpoint`);
  }
  return builtIn;
}

/** A catalog file's API base URL with `LATCHKEY_<NAME>_API_URL` applied, checked as endpoints are. */
export function resolveApiBaseUrl(file: Pick<ProviderFile, 'name' | 'displayName' | 'api'>, env: Record<string, string | undefined>): string {
  const envName = endpointEnvName(file.name, 'api');
  const override = env[envName]?.trim();
  if (override) {
    assertEndpointUrl(override, envName);
    return override;
  }
  assertEndpointUrl(file.api.baseUrl, `The built-in ${file.displayName} API base URL`);
  return file.api.baseUrl;
}

function assertEndpointUrl(value: string, label: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${label} is not a valid URL: ${JSON.stringify(value)}.`);
  }
  if (url.username || url.password) {
    throw new Error(`${label} must not contain credentials; configure client credentials separately.`);
  }
  if (url.protocol === 'https:') {
    return;
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return;
  }
  throw new Error(
    `${label} must be an https:// URL (plain http:// is accepted only for loopback hosts: ` +
      `localhost, 127.0.0.0/8, [::1]); got ${JSON.stringify(value)}.`,
  );
}

/** True for `localhost`, 127.0.0.0/8 and ::1, as the WHATWG URL parser spells them in `hostname`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') {
    return true;
  }
  const octets = host.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

// ---------------------------------------------------------------------------------------------
// Scopes

export const MAX_SCOPE_LENGTH = 200;
export const MAX_REQUESTED_SCOPES = 100;

/** A requested scope list the gateway refuses to send; `code` matches the GraphQL error code. */
export class InvalidScopeError extends Error {
  readonly code = 'BAD_USER_INPUT' as const;

  constructor(message: string) {
    super(message);
    this.name = 'InvalidScopeError';
  }
}

export function findScope(provider: ProviderDefinition, scope: string): ScopeDefinition | undefined {
  return provider.scopes.find((definition) => definition.scope === scope);
}

/** Required ∪ default scopes, in catalog order: what is requested when the caller names none. */
export function defaultScopes(provider: ProviderDefinition): string[] {
  return provider.scopes
    .filter((definition) => definition.isRequired || definition.isDefault)
    .map((definition) => definition.scope);
}

export function requiredScopes(provider: ProviderDefinition): string[] {
  return provider.scopes.filter((definition) => definition.isRequired).map((definition) => definition.scope);
}

/**
 * The scopes to request: the defaults when `requested` is undefined, otherwise `requested` plus the
 * required scopes, without duplicates. Scopes missing from the catalog are allowed (providers add
 * scopes over time) but each must be an RFC 6749 scope token of at most 200 characters, without
 * commas for providers that separate scopes with commas.
 */
export function normalizeRequestedScopes(provider: ProviderDefinition, requested?: readonly string[]): string[] {
  if (requested === undefined) {
    return defaultScopes(provider);
  }
  if (requested.length > MAX_REQUESTED_SCOPES) {
    throw new InvalidScopeError(
      `Too many scopes for ${provider.friendlyServiceName}: at most ${MAX_REQUESTED_SCOPES} can be requested.`,
    );
  }
  for (const scope of requested) {
    assertValidScope(provider, scope);
  }
  return [...new Set([...requested, ...requiredScopes(provider)])];
}

function usesCommaSeparator(provider: ProviderDefinition): boolean {
  return provider.scopeSeparator === ',' || provider.quirks.grantedScopeSeparator === ',';
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), i.e. printable ASCII except space, " and \.
const scopeTokenPattern = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function assertValidScope(provider: ProviderDefinition, scope: string): void {
  const name = provider.friendlyServiceName;
  if (typeof scope !== 'string' || scope.length === 0) {
    throw new InvalidScopeError(`A ${name} scope cannot be empty.`);
  }
  if (scope.length > MAX_SCOPE_LENGTH) {
    throw new InvalidScopeError(
      `The ${name} scope ${describeScope(scope)} is longer than ${MAX_SCOPE_LENGTH} characters.`,
    );
  }
  if (/\s/.test(scope)) {
    throw new InvalidScopeError(
      `The ${name} scope ${describeScope(scope)} contains whitespace; pass each scope as its own list item.`,
    );
  }
  if (usesCommaSeparator(provider) && scope.includes(',')) {
    throw new InvalidScopeError(
      `The ${name} scope ${describeScope(scope)} contains a comma; pass each scope as its own list item.`,
    );
  }
  if (!scopeTokenPattern.test(scope)) {
    throw new InvalidScopeError(
      `The ${name} scope ${describeScope(scope)} contains a character OAuth does not allow in a scope ` +
        '(only printable ASCII except space, " and \\).',
    );
  }
}

function describeScope(scope: string): string {
  return JSON.stringify(scope.length > 60 ? `${scope.slice(0, 60)}…` : scope);
}

/**
 * The scopes a token response granted: its `scope` split on spaces or commas (GitHub answers
 * "repo,gist"). A response without `scope` granted what was requested (RFC 6749 §5.1).
 */
export function parseGrantedScopes(
  responseScope: string | undefined | null,
  requested: readonly string[],
): string[] {
  if (responseScope === undefined || responseScope === null) {
    return [...new Set(requested)];
  }
  const scopes = responseScope.split(/[\s,]+/).filter((scope) => scope.length > 0);
  return [...new Set(scopes)];
}
