// Custom services: OAuth 2.0 / OpenID Connect servers a site defines itself. Their definitions are
// checked and stored here (the client secret encrypted), the discovery document is read once when a
// service is defined, and every request to a site-chosen URL goes through the outbound URL policy.
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import { badUserInput, notFound } from '../errors.js';
import { checkOutboundUrl, createGuardedFetch, outboundRefusalIn, OutboundUrlRefusal, type OutboundUrlPolicy, type UrlRole } from '../net/outbound-url-policy.js';
import { customProvider, customServiceKey, SLUG_PATTERN, slugProblem, type CustomServiceSettings } from '../providers/custom.js';
import { callbackPathOf } from '../registry/service-keys.js';
import { MAX_REQUESTED_SCOPES, normalizeRequestedScopes } from '../providers/index.js';
import type { ClientAuthMethod, CustomServiceKey, ScopeDefinition } from '../providers/types.js';
import { createClientConfiguration } from './client-configuration.js';
import { generateClientKey, parseClientKey, publicJwkOf, signingKeyOf, type ClientPrivateJwk, type ClientPublicJwk } from './client-keys.js';
import { discoverAuthorizationServer, DiscoveryError } from './discovery.js';
import type { ProviderClient } from './provider-apps.js';
import type { AuditTrail } from '../audit.js';

export type CustomServiceRow = Awaited<ReturnType<Database['customService']['findUniqueOrThrow']>>;

export interface CustomService extends CustomServiceSettings {
  id: string;
  siteId: string;
  discoveryUrl: string | null;
  clientId: string;
  hasClientSecret: boolean;
  /** The redirect URI to register at the provider. */
  callbackUrl: string;
  /** The server promised RFC 9207 `iss` in its authorization responses (discovery); one without it is refused. */
  requireIss: boolean;
  /** The server's JWKS, against which ID tokens are validated; null: ID tokens are ignored. */
  jwksUri: string | null;
  pushedAuthorizationRequestEndpoint: string | null;
  requirePushedAuthorizationRequests: boolean;
  /** private_key_jwt: the gateway's public JWKS URL for this service, and the current key's kid. */
  clientJwksUrl: string | null;
  clientKeyId: string | null;
  /** Where the proxy sends API requests with a connection's token; null: the proxy is not available. */
  apiBaseUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CustomScopeInput {
  scope: string;
  title?: string | null | undefined;
  description?: string | null | undefined;
  category?: string | null | undefined;
  isDefault?: boolean | null | undefined;
  isRequired?: boolean | null | undefined;
}

export interface DefineCustomServiceInput {
  slug: string;
  friendlyServiceName: string;
  discoveryUrl?: string | null | undefined;
  issuer?: string | null | undefined;
  authorizationEndpoint?: string | null | undefined;
  tokenEndpoint?: string | null | undefined;
  revocationEndpoint?: string | null | undefined;
  userinfoEndpoint?: string | null | undefined;
  apiBaseUrl?: string | null | undefined;
  scopes?: readonly CustomScopeInput[] | null | undefined;
  scopeSeparator?: string | null | undefined;
  authorizationParameters?: ReadonlyArray<{ name: string; value: string }> | null | undefined;
  clientId: string;
  /** Omitted: keep the stored one; null: clear it. */
  clientSecret?: string | null | undefined;
  clientAuthMethod?: ClientAuthMethod | null | undefined;
  pkce?: boolean | null | undefined;
  supportsClientCredentials?: boolean | null | undefined;
  /** private_key_jwt: the site's own private JWK (JSON); omitted: keep the stored key or generate one. */
  clientPrivateKey?: string | null | undefined;
  /** private_key_jwt: replace the key with a new generated one (the old public key stays published). */
  rotateClientKey?: boolean | null | undefined;
  jwksUri?: string | null | undefined;
  pushedAuthorizationRequestEndpoint?: string | null | undefined;
}

export const MAX_CUSTOM_SERVICES_PER_SITE = 50;
const MAX_AUTHORIZATION_PARAMETERS = 20;
const CACHE_TTL_MS = 5_000;
/** The parameters the gateway sets itself; a fixed value for one of them would break or weaken the flow. */
const RESERVED_AUTHORIZATION_PARAMETERS = new Set([
  'response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method',
  'nonce', 'request', 'request_uri', 'response_mode', 'client_secret', 'code_verifier',
]);

export function customCallbackPath(siteId: string, slug: string): string {
  return callbackPathOf(customServiceKey(slug), siteId);
}

/** Where the gateway publishes its public keys for one site's private_key_jwt service. */
export function customJwksPath(siteId: string, slug: string): string {
  return `/oauth/jwks/${encodeURIComponent(siteId)}/${slug}`;
}

/** Client authentication methods the gateway can perform (RFC 6749 §2.3, OpenID Connect Core §9). */
export const GATEWAY_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'];

const refusalSettings = {
  purpose: 'connect custom services to',
  allowLoopbackSetting: 'LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK',
  allowPrivateSetting: 'LATCHKEY_CUSTOM_SERVICE_ALLOW_PRIVATE_NETWORKS',
};
const urlRole = (field: string): UrlRole => ({ label: field, field, ...refusalSettings });

function text(value: string | null | undefined, field: string, max: number, required: boolean): string | null {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) {
    if (required) throw badUserInput(`${field} must not be empty.`, field);
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (trimmed.length > max || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw badUserInput(`${field} must be at most ${max} characters, without control characters.`, field);
  }
  return trimmed;
}

function checkScopes(input: readonly CustomScopeInput[]): ScopeDefinition[] {
  if (input.length > MAX_REQUESTED_SCOPES) throw badUserInput(`scopes can list at most ${MAX_REQUESTED_SCOPES} scopes.`, 'scopes');
  const seen = new Set<string>();
  return input.map((entry) => {
    if (seen.has(entry.scope)) throw badUserInput(`scopes lists ${JSON.stringify(entry.scope.slice(0, 60))} twice.`, 'scopes');
    seen.add(entry.scope);
    const definition: ScopeDefinition = {
      scope: entry.scope,
      title: text(entry.title, 'scopes.title', 100, false) ?? entry.scope,
      description: text(entry.description, 'scopes.description', 500, false) ?? '',
    };
    const category = text(entry.category, 'scopes.category', 100, false);
    if (category) definition.category = category;
    if (entry.isDefault) definition.isDefault = true;
    if (entry.isRequired) definition.isRequired = true;
    return definition;
  });
}

/** Scopes offered by a discovery document: openid and offline_access are asked for by default. */
function scopesFromMetadata(scopesSupported: unknown): ScopeDefinition[] {
  if (!Array.isArray(scopesSupported)) return [];
  return scopesSupported
    .filter((scope): scope is string => typeof scope === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/.test(scope))
    .slice(0, MAX_REQUESTED_SCOPES)
    .map((scope) => ({
      scope,
      title: scope,
      description: '',
      ...(scope === 'openid' || scope === 'offline_access' ? { isDefault: true } : {}),
    }));
}

function checkAuthorizationParameters(input: ReadonlyArray<{ name: string; value: string }>): Record<string, string> {
  if (input.length > MAX_AUTHORIZATION_PARAMETERS) {
    throw badUserInput(`authorizationParameters can list at most ${MAX_AUTHORIZATION_PARAMETERS} parameters.`, 'authorizationParameters');
  }
  const parameters: Record<string, string> = {};
  for (const { name, value } of input) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw badUserInput('An authorization parameter name must be 1 to 64 letters, digits, "_", "." or "-".', 'authorizationParameters');
    }
    if (RESERVED_AUTHORIZATION_PARAMETERS.has(name)) {
      throw badUserInput(`The authorization parameter ${name} is set by the gateway itself and cannot be fixed.`, 'authorizationParameters');
    }
    if (name in parameters) throw badUserInput(`authorizationParameters lists ${name} twice.`, 'authorizationParameters');
    if (value.length > 500) throw badUserInput(`The value of the authorization parameter ${name} must be at most 500 characters.`, 'authorizationParameters');
    parameters[name] = value;
  }
  return parameters;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : undefined;
}

function defaultAuthMethod(hasSecret: boolean, supported: string[] | undefined): ClientAuthMethod {
  // RFC 8414 §2: absent means client_secret_basic.
  if (!supported || supported.length === 0) return hasSecret ? 'client_secret_basic' : 'none';
  const preferred: ClientAuthMethod[] = hasSecret
    ? ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none']
    : ['none', 'private_key_jwt'];
  return preferred.find((method) => supported.includes(method)) ?? (hasSecret ? 'client_secret_basic' : 'none');
}

/** A server that can authenticate the gateway in none of its ways is refused, naming what it supports. */
function checkAuthMethodSupported(supported: string[] | undefined, chosen: ClientAuthMethod | null | undefined): void {
  if (!supported || supported.length === 0) return;
  const listed = supported.slice(0, 20).map((method) => method.slice(0, 60)).join(', ');
  if (!GATEWAY_AUTH_METHODS.some((method) => supported.includes(method))) {
    throw badUserInput(
      `The server supports only the client authentication methods ${listed} (token_endpoint_auth_methods_supported), and the gateway can use none of them (it can use ${GATEWAY_AUTH_METHODS.join(', ')}). Enable one of those for your client at the server.`,
      'clientAuthMethod',
    );
  }
  if (chosen && !supported.includes(chosen)) {
    throw badUserInput(
      `The server does not support clientAuthMethod ${chosen.toUpperCase()}; it supports ${listed}. Choose one of those, or omit clientAuthMethod.`,
      'clientAuthMethod',
    );
  }
}

function publicKeysOf(value: unknown): ClientPublicJwk[] {
  return Array.isArray(value) ? (value as ClientPublicJwk[]) : [];
}

function originOf(url: string | null): string | null {
  return url ? new URL(url).origin : null;
}

export interface CustomServicesDeps {
  /** Forgets a site's connections to a service (its server changed, or it is being removed). */
  dropConnections(siteId: string, service: CustomServiceKey): Promise<unknown>;
  audit: AuditTrail;
}

export function createCustomServices(config: Config, db: Database, keyring: Keyring, deps: CustomServicesDeps) {
  const policy: OutboundUrlPolicy = config.customServices;
  const guardedFetch = createGuardedFetch(
    policy,
    { label: 'The custom service URL', field: 'customService', ...refusalSettings },
    config.providerTimeoutSeconds * 1000,
  );
  const rows = new LRUCache<string, { row: Promise<CustomServiceRow | null>; at: number }>({ max: 10_000 });
  const cacheKey = (siteId: string, slug: string) => `${siteId}\u0000${slug}`;

  function toService(row: CustomServiceRow): CustomService {
    const parameters = row.authorizationParams;
    return {
      id: row.id,
      siteId: row.siteId,
      slug: row.slug,
      friendlyServiceName: row.friendlyName,
      issuer: row.issuer,
      discoveryUrl: row.discoveryUrl,
      authorizationEndpoint: row.authorizationUrl ?? '',
      tokenEndpoint: row.tokenUrl ?? '',
      revocationEndpoint: row.revocationUrl,
      userinfoEndpoint: row.userinfoUrl,
      scopes: Array.isArray(row.scopes) ? (row.scopes as unknown as ScopeDefinition[]) : [],
      scopeSeparator: row.scopeSeparator === ',' ? ',' : ' ',
      authorizationParameters:
        parameters && typeof parameters === 'object' && !Array.isArray(parameters) ? (parameters as Record<string, string>) : {},
      clientAuthMethod: row.clientAuthMethod as ClientAuthMethod,
      pkce: row.pkce,
      supportsClientCredentials: row.supportsClientCredentials,
      requireIss: row.requireIss,
      jwksUri: row.jwksUrl,
      pushedAuthorizationRequestEndpoint: row.parUrl,
      requirePushedAuthorizationRequests: row.requirePar,
      clientJwksUrl: row.clientAuthMethod === 'private_key_jwt' ? `${config.publicUrl}${customJwksPath(row.siteId, row.slug)}` : null,
      clientKeyId: row.clientAuthMethod === 'private_key_jwt' ? (publicKeysOf(row.clientPublicKeys)[0]?.kid ?? null) : null,
      apiBaseUrl: row.apiBaseUrl,
      clientId: row.clientId,
      hasClientSecret: row.clientSecret !== null,
      callbackUrl: `${config.publicUrl}${customCallbackPath(row.siteId, row.slug)}`,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** The stored row, read at most once per CACHE_TTL_MS per instance; writes here drop it at once. */
  function findRow(siteId: string, slug: string): Promise<CustomServiceRow | null> {
    // Only a slug that could exist is looked up (and remembered).
    if (!SLUG_PATTERN.test(slug)) return Promise.resolve(null);
    const key = cacheKey(siteId, slug);
    const cached = rows.get(key);
    if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.row;
    const row = db.customService.findUnique({ where: { siteId_slug: { siteId, slug } } });
    rows.set(key, { row, at: Date.now() });
    row.catch(() => rows.delete(key));
    return row;
  }

  async function find(siteId: string, slug: string): Promise<CustomService | null> {
    const row = await findRow(siteId, slug);
    return row ? toService(row) : null;
  }

  async function require(siteId: string, slug: string): Promise<CustomService> {
    const found = await find(siteId, slug);
    if (!found) {
      throw notFound(`This site defines no custom service ${JSON.stringify(slug.slice(0, 60))}: define it with defineCustomService, or check customServices for its slug.`);
    }
    return found;
  }

  async function list(siteId: string): Promise<CustomService[]> {
    const found = await db.customService.findMany({ where: { siteId }, orderBy: { slug: 'asc' } });
    return found.map(toService);
  }

  /** An endpoint the policy allows, in the form openid-client requests it (URL#href). */
  function checkUrl(value: string | null | undefined, field: string): string | null {
    if (value === null || value === undefined || value.trim() === '') return null;
    return checkOutboundUrl(value, policy, urlRole(field)).href;
  }

  /** An issuer is compared as an exact string (RFC 9207 §2.4): kept as given, once the policy allows it. */
  function checkIssuer(value: string | null | undefined): string | null {
    if (value === null || value === undefined || value.trim() === '') return null;
    checkOutboundUrl(value, policy, urlRole('issuer'));
    return value.trim();
  }

  async function discover(discoveryUrl: string) {
    try {
      return await discoverAuthorizationServer(new URL(discoveryUrl), { fetch: guardedFetch, timeoutSeconds: config.providerTimeoutSeconds });
    } catch (error) {
      // The address policy's refusal, however deep openid-client wrapped it: the same clear refusal as a literal address.
      const refusal = outboundRefusalIn(error);
      if (refusal) throw new OutboundUrlRefusal(urlRole('discoveryUrl'), refusal.reason);
      const reason = error instanceof DiscoveryError ? error.message : 'unknown failure';
      throw badUserInput(`Reading the discovery document at ${discoveryUrl} failed: ${reason}. Check the URL, or give the endpoints instead.`, 'discoveryUrl');
    }
  }

  async function define(siteId: string, input: DefineCustomServiceInput): Promise<CustomService> {
    const slug = input.slug.trim();
    const problem = slugProblem(slug);
    if (problem) throw badUserInput(problem, 'slug');
    const friendlyServiceName = text(input.friendlyServiceName, 'friendlyServiceName', 100, true)!;
    const clientId = text(input.clientId, 'clientId', 500, true)!;
    if (typeof input.clientSecret === 'string' && (input.clientSecret.length === 0 || input.clientSecret.length > 2000)) {
      throw badUserInput('clientSecret must be 1 to 2000 characters; pass null to remove it.', 'clientSecret');
    }
    const separator = input.scopeSeparator ?? ' ';
    if (separator !== ' ' && separator !== ',') throw badUserInput('scopeSeparator must be " " (the OAuth standard) or ",".', 'scopeSeparator');
    const authorizationParameters = checkAuthorizationParameters(input.authorizationParameters ?? []);

    const discoveryUrl = checkUrl(input.discoveryUrl, 'discoveryUrl');
    let issuer = checkIssuer(input.issuer);
    let authorizationEndpoint = checkUrl(input.authorizationEndpoint, 'authorizationEndpoint');
    let tokenEndpoint = checkUrl(input.tokenEndpoint, 'tokenEndpoint');
    let revocationEndpoint = checkUrl(input.revocationEndpoint, 'revocationEndpoint');
    let userinfoEndpoint = checkUrl(input.userinfoEndpoint, 'userinfoEndpoint');
    let jwksUri = checkUrl(input.jwksUri, 'jwksUri');
    let parEndpoint = checkUrl(input.pushedAuthorizationRequestEndpoint, 'pushedAuthorizationRequestEndpoint');
    let requirePar = false;
    const apiBaseUrl = checkUrl(input.apiBaseUrl, 'apiBaseUrl');
    if (apiBaseUrl && (new URL(apiBaseUrl).search || new URL(apiBaseUrl).hash)) {
      throw badUserInput('apiBaseUrl must be a base URL without a query or fragment, e.g. https://api.example.com/v1.', 'apiBaseUrl');
    }
    if (!discoveryUrl && (!authorizationEndpoint || !tokenEndpoint)) {
      throw badUserInput('Give discoveryUrl (the issuer or its .well-known document), or both authorizationEndpoint and tokenEndpoint.', 'discoveryUrl');
    }

    let scopes = input.scopes ? checkScopes(input.scopes) : null;
    let authMethodsSupported: string[] | undefined;
    let pkce = input.pkce ?? true;
    let supportsClientCredentials = input.supportsClientCredentials ?? false;
    let requireIss = false;
    if (discoveryUrl) {
      const metadata = await discover(discoveryUrl);
      if (issuer && issuer !== metadata.issuer && new URL(issuer).href !== new URL(metadata.issuer).href) {
        throw badUserInput(`issuer ${issuer} differs from the discovery document's issuer ${metadata.issuer}; omit issuer to use the document's.`, 'issuer');
      }
      issuer = metadata.issuer;
      // Endpoints named by the document are site-chosen URLs too: the same rules apply.
      authorizationEndpoint ??= checkUrl(metadata.authorization_endpoint, 'authorization_endpoint (discovery)');
      tokenEndpoint ??= checkUrl(metadata.token_endpoint, 'token_endpoint (discovery)');
      revocationEndpoint ??= checkUrl(metadata.revocation_endpoint, 'revocation_endpoint (discovery)');
      userinfoEndpoint ??= checkUrl(typeof metadata.userinfo_endpoint === 'string' ? metadata.userinfo_endpoint : null, 'userinfo_endpoint (discovery)');
      jwksUri ??= checkUrl(metadata.jwks_uri, 'jwks_uri (discovery)');
      parEndpoint ??= checkUrl(metadata.pushed_authorization_request_endpoint, 'pushed_authorization_request_endpoint (discovery)');
      requirePar = metadata.require_pushed_authorization_requests === true;
      if (requirePar && !parEndpoint) {
        throw badUserInput('The discovery document requires pushed authorization requests but names no pushed_authorization_request_endpoint; give it as pushedAuthorizationRequestEndpoint.', 'discoveryUrl');
      }
      if (!authorizationEndpoint || !tokenEndpoint) {
        throw badUserInput('The discovery document names no authorization_endpoint or token_endpoint; give them as authorizationEndpoint and tokenEndpoint.', 'discoveryUrl');
      }
      scopes ??= scopesFromMetadata(metadata.scopes_supported);
      authMethodsSupported = stringList(metadata.token_endpoint_auth_methods_supported);
      requireIss = metadata.authorization_response_iss_parameter_supported === true;
      const challengeMethods = stringList(metadata.code_challenge_methods_supported);
      if ((input.pkce === undefined || input.pkce === null) && challengeMethods && !challengeMethods.includes('S256')) {
        // Never lose PKCE silently (plain would put the verifier in the browser's URL): the site decides.
        throw badUserInput(
          `The discovery document lists code_challenge_methods_supported ${JSON.stringify(challengeMethods.slice(0, 5))} without S256, the only PKCE method the gateway uses. Pass pkce: false to connect without PKCE (an intercepted code could then be redeemed), or enable S256 on the server.`,
          'pkce',
        );
      }
      if (input.supportsClientCredentials === undefined || input.supportsClientCredentials === null) {
        supportsClientCredentials = stringList(metadata.grant_types_supported)?.includes('client_credentials') ?? false;
      }
    }
    scopes ??= [];
    if (!authorizationEndpoint || !tokenEndpoint) throw new Error('unreachable: endpoints were checked above');
    // Parameters the gateway sets must not arrive through the endpoint's own query either.
    for (const name of new URL(authorizationEndpoint).searchParams.keys()) {
      if (RESERVED_AUTHORIZATION_PARAMETERS.has(name)) {
        throw badUserInput(`The authorization endpoint's query sets ${name}, which the gateway sets itself; remove it.`, 'authorizationEndpoint');
      }
    }

    const existing = await db.customService.findUnique({ where: { siteId_slug: { siteId, slug } } });
    if (!existing && (await db.customService.count({ where: { siteId } })) >= MAX_CUSTOM_SERVICES_PER_SITE) {
      throw badUserInput(`A site can define at most ${MAX_CUSTOM_SERVICES_PER_SITE} custom services: remove one with removeCustomService first.`, 'slug');
    }
    // The stored secret and the connection's refresh token may only go where they went before:
    // another server (or client) needs the secret again, and the connection starts over.
    const serverChanged =
      existing !== null &&
      (existing.clientId !== clientId ||
        originOf(existing.tokenUrl) !== originOf(tokenEndpoint) ||
        originOf(existing.revocationUrl) !== originOf(revocationEndpoint) ||
        originOf(existing.userinfoUrl) !== originOf(userinfoEndpoint) ||
        // The PAR endpoint receives the client's authentication too.
        originOf(existing.parUrl) !== originOf(parEndpoint) ||
        existing.issuer !== issuer);
    if (serverChanged && existing.clientSecret !== null && input.clientSecret === undefined) {
      throw badUserInput(
        'The client id, issuer or an endpoint host changed: give clientSecret again (null for a public client), so the stored secret never goes to another server. The existing connection will be dropped.',
        'clientSecret',
      );
    }
    const id = existing?.id ?? generateId('csv');
    const encryptSecretFor = (rowId: string) =>
      input.clientSecret === undefined
        ? (existing?.clientSecret ?? null)
        : input.clientSecret === null
          ? null
          : encryptSecret(keyring, input.clientSecret, secretContext('CustomService', 'clientSecret', rowId));
    const encryptedSecret = encryptSecretFor(id);
    checkAuthMethodSupported(authMethodsSupported, input.clientAuthMethod);
    const clientAuthMethod = input.clientAuthMethod ?? defaultAuthMethod(encryptedSecret !== null, authMethodsSupported);
    if (clientAuthMethod !== 'none' && clientAuthMethod !== 'private_key_jwt' && encryptedSecret === null) {
      throw badUserInput(`clientAuthMethod ${clientAuthMethod.toUpperCase()} needs a clientSecret; give one, or use NONE for a public client.`, 'clientSecret');
    }
    if (clientAuthMethod === 'none' && !pkce) {
      throw badUserInput('A public client (clientAuthMethod NONE) must use PKCE (RFC 9700 §2.1.1): the server must support S256.', 'pkce');
    }
    if (clientAuthMethod !== 'private_key_jwt' && (input.clientPrivateKey || input.rotateClientKey)) {
      throw badUserInput('clientPrivateKey and rotateClientKey apply only to clientAuthMethod PRIVATE_KEY_JWT.', 'clientPrivateKey');
    }
    // private_key_jwt: the site's key, else the stored one, else (or on rotation) a new one. The public
    // key it replaces stays published, so assertions signed just before the change still verify.
    let clientKey: ClientPrivateJwk | null = null;
    let publicKeys = publicKeysOf(existing?.clientPublicKeys);
    if (clientAuthMethod === 'private_key_jwt') {
      if (typeof input.clientPrivateKey === 'string') clientKey = parseClientKey(input.clientPrivateKey);
      else if (input.rotateClientKey || !existing?.clientPrivateKey) clientKey = generateClientKey();
      if (clientKey) {
        const current = publicJwkOf(clientKey);
        publicKeys = [current, ...publicKeys.filter((key) => key.kid !== current.kid)].slice(0, 2);
      }
    }
    const encryptKeyFor = (rowId: string) =>
      clientKey ? encryptSecret(keyring, JSON.stringify(clientKey), secretContext('CustomService', 'clientPrivateKey', rowId)) : (existing?.clientPrivateKey ?? null);
    const settings = {
      friendlyName: friendlyServiceName,
      issuer,
      discoveryUrl,
      authorizationUrl: authorizationEndpoint,
      tokenUrl: tokenEndpoint,
      revocationUrl: revocationEndpoint,
      userinfoUrl: userinfoEndpoint,
      apiBaseUrl,
      scopes: scopes as unknown as object[],
      scopeSeparator: separator,
      authorizationParams: authorizationParameters,
      clientId,
      clientSecret: encryptedSecret,
      clientAuthMethod,
      pkce,
      supportsClientCredentials,
      requireIss,
      jwksUrl: jwksUri,
      parUrl: parEndpoint,
      requirePar,
      clientPrivateKey: encryptKeyFor(id),
      clientPublicKeys: publicKeys as unknown as object[],
    };
    // Every scope must be one the gateway can send (RFC 6749 scope tokens, no separator inside).
    const provider = customProvider({
      slug, friendlyServiceName, issuer, authorizationEndpoint, tokenEndpoint, revocationEndpoint, userinfoEndpoint,
      scopes, scopeSeparator: separator, authorizationParameters, clientAuthMethod, pkce, supportsClientCredentials,
    });
    try {
      normalizeRequestedScopes(provider, scopes.map((scope) => scope.scope));
    } catch (error) {
      throw badUserInput(error instanceof Error ? error.message : 'invalid scopes', 'scopes');
    }
    let saved: CustomServiceRow;
    try {
      saved = await db.customService.upsert({
        where: { siteId_slug: { siteId, slug } },
        create: { id, siteId, slug, ...settings },
        update: settings,
      });
    } catch (error) {
      // Two first definitions raced and the other created the row: define again, as an update.
      if ((error as { code?: string }).code !== 'P2002') throw error;
      return define(siteId, input);
    }
    // A secret is bound to the row it is stored in; a concurrent first definition may have won the row.
    if (saved.id !== id && (typeof input.clientSecret === 'string' || clientKey)) {
      saved = await db.customService.update({
        where: { id: saved.id },
        data: { clientSecret: encryptSecretFor(saved.id), clientPrivateKey: encryptKeyFor(saved.id) },
      });
    }
    rows.delete(cacheKey(siteId, slug));
    if (serverChanged) await deps.dropConnections(siteId, customServiceKey(slug));
    await deps.audit({
      type: 'custom_service.defined',
      siteId,
      service: customServiceKey(slug),
      detail: { created: existing === null, tokenEndpoint, connectionDropped: serverChanged, secretChanged: input.clientSecret !== undefined },
    });
    return toService(saved);
  }

  /**
   * Deletes the definition, fails its pending attempts, then forgets its connections. The caller
   * signs the connection out first (that needs the definition). A code exchange still in flight
   * finds the definition gone before it stores anything.
   */
  async function remove(siteId: string, slug: string): Promise<boolean> {
    const key = customServiceKey(slug);
    const [, deleted] = await db.$transaction([
      db.authAttempt.updateMany({
        where: { siteId, service: key, status: 'PENDING' },
        data: { status: 'FAILED', error: 'service_removed', completedAt: new Date() },
      }),
      db.customService.deleteMany({ where: { siteId, slug } }),
    ]);
    rows.delete(cacheKey(siteId, slug));
    await deps.dropConnections(siteId, key);
    if (deleted.count > 0) await deps.audit({ type: 'custom_service.removed', siteId, service: key });
    return deleted.count > 0;
  }

  /** Whether the definition still exists, read from the database (not the cache). */
  async function exists(siteId: string, slug: string): Promise<boolean> {
    return (await db.customService.count({ where: { siteId, slug } })) > 0;
  }

  /** The OAuth client for a site's custom service, or undefined when the site defines none by that slug. */
  async function clientFor(siteId: string, slug: string): Promise<ProviderClient | undefined> {
    const row = await findRow(siteId, slug);
    if (!row) return undefined;
    const service = toService(row);
    const provider = customProvider(service);
    const clientSecret = row.clientSecret ? decryptSecret(keyring, row.clientSecret, secretContext('CustomService', 'clientSecret', row.id)) : undefined;
    const signingKey =
      row.clientAuthMethod === 'private_key_jwt' && row.clientPrivateKey
        ? await signingKeyOf(JSON.parse(decryptSecret(keyring, row.clientPrivateKey, secretContext('CustomService', 'clientPrivateKey', row.id))) as ClientPrivateJwk)
        : undefined;
    const app = { clientId: row.clientId, clientSecret, signingKey };
    return {
      provider,
      endpoints: provider.endpoints,
      app,
      issuer: provider.issuer,
      issuerConfigured: service.issuer !== null,
      requireIss: service.requireIss,
      fetch: guardedFetch,
      config: createClientConfiguration(provider, provider.endpoints, app, {
        issuer: provider.issuer,
        timeoutSeconds: config.providerTimeoutSeconds,
        fetch: guardedFetch,
        jwksUri: row.jwksUrl,
        pushedAuthorizationRequestEndpoint: row.parUrl,
      }),
    };
  }

  /** The public JWKS of a site's private_key_jwt service, or null when there is none to publish. */
  async function jwksOf(siteId: string, slug: string): Promise<{ keys: ClientPublicJwk[] } | null> {
    const row = await findRow(siteId, slug);
    if (!row || row.clientAuthMethod !== 'private_key_jwt') return null;
    return { keys: publicKeysOf(row.clientPublicKeys) };
  }

  return { define, remove, exists, find, require, list, clientFor, jwksOf };
}

export type CustomServices = ReturnType<typeof createCustomServices>;
