// Which OAuth app (client id and secret) and which endpoints serve a site for a service: the
// site's own app when it set one, otherwise the gateway-wide app from the environment.
import type * as client from 'openid-client';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import { badUserInput } from '../errors.js';
import { catalogService, getProvider, providerList, resolveEndpoints } from '../providers/index.js';
import { catalogOAuthClientOf, type OAuthClientSettings } from '../registry/service-registry.js';
import { parseClientKey, signingKeyOf, type ClientPrivateJwk } from './client-keys.js';
import { siteSlugOf } from '../registry/service-keys.js';
import type { CatalogProvider, ProviderDefinition, ProviderEndpoints, ServiceKey, ServiceName } from '../providers/types.js';
import { createClientConfiguration, type OAuthApp } from './client-configuration.js';
import type { CustomServices } from './custom-services.js';

export interface ProviderClient {
  provider: ProviderDefinition;
  endpoints: ProviderEndpoints;
  app: OAuthApp;
  config: client.Configuration;
  /** The issuer a callback's `iss` (RFC 9207) is compared with. */
  issuer: string;
  /** True when the issuer was configured rather than assumed; only then must `iss` match it exactly. */
  issuerConfigured: boolean;
  /** A callback without `iss` is refused (the server's discovery document promised one, RFC 9207 §2.4). */
  requireIss: boolean;
  /** How requests reach the provider: the global fetch, or for a custom service the guarded one. */
  fetch: typeof fetch;
}

/**
 * Whether a callback's `iss` (RFC 9207) names the client's authorization server. Without a
 * configured issuer, any issuer on the authorization endpoint's origin is accepted: servers mounted
 * below a path name themselves with it (…/realms/x, …/oidc), and the per-service callback path and
 * the attempt-bound state already keep other services apart.
 */
export function acceptsIssuer(providerClient: ProviderClient, iss: string): boolean {
  if (iss === providerClient.issuer) return true;
  if (providerClient.issuerConfigured) return false;
  try {
    return new URL(iss).origin === new URL(providerClient.endpoints.authorization).origin;
  } catch {
    return false;
  }
}

export interface ServiceCredentialSummary {
  service: ServiceName;
  clientId: string;
  hasClientSecret: boolean;
  updatedAt: Date;
}

function issuerFor(provider: CatalogProvider, endpoints: ProviderEndpoints, env: Config['env']): string {
  const configured = env[`LATCHKEY_${provider.service}_ISSUER`];
  if (configured) return configured;
  // An overridden authorization endpoint (enterprise host, sandbox, test server) is its own issuer.
  const overridden = env[`LATCHKEY_${provider.service}_AUTHORIZATION_URL`];
  return overridden ? new URL(endpoints.authorization).origin : provider.issuer;
}

export function createProviderApps(config: Config, db: Database, keyring: Keyring, customServices: CustomServices) {
  const endpointsByService = new Map<ServiceName, ProviderEndpoints>(
    providerList.map((provider) => [provider.service, resolveEndpoints(provider, config.env)]),
  );
  // Checked at start: a bad override or key stops the gateway rather than the first sign-in.
  const clientSettings = new Map<ServiceName, OAuthClientSettings>(
    providerList.map((provider) => [provider.service, catalogOAuthClientOf(catalogService(provider.service)!, config.env)]),
  );
  const signingKeys = new Map<ServiceName, ClientPrivateJwk>();
  for (const [service, settings] of clientSettings) {
    if (!settings.signingKeySetting) continue;
    const jwk = config.env[settings.signingKeySetting]?.trim();
    if (!jwk) {
      // Without the key the assertion cannot be signed, and the secret must not be sent instead.
      if (config.env[`LATCHKEY_${service}_CLIENT_ID`]) throw new Error(`${settings.signingKeySetting} is required: ${service} authenticates with private_key_jwt; set it to the app's private JWK (JSON).`);
      continue;
    }
    try {
      signingKeys.set(service, parseClientKey(jwk));
    } catch (error) {
      throw new Error(`${settings.signingKeySetting} ${error instanceof Error ? error.message.replace(/^clientPrivateKey /, '') : 'is not a usable key'}`);
    }
  }
  const gatewayClients = new Map<ServiceName, ProviderClient>();

  function endpointsFor(service: ServiceName): ProviderEndpoints {
    return endpointsByService.get(service)!;
  }

  function gatewayApp(service: ServiceName): OAuthApp | undefined {
    const clientId = config.env[`LATCHKEY_${service}_CLIENT_ID`];
    if (!clientId) return undefined;
    return { clientId, clientSecret: config.env[`LATCHKEY_${service}_CLIENT_SECRET`] || undefined };
  }

  async function build(service: ServiceName, credentials: OAuthApp): Promise<ProviderClient> {
    const settings = clientSettings.get(service)!;
    const provider = { ...getProvider(service), clientAuthMethod: settings.clientAuthMethod };
    const endpoints = endpointsFor(service);
    const issuer = issuerFor(provider, endpoints, config.env);
    const jwk = signingKeys.get(service);
    const app: OAuthApp = jwk ? { ...credentials, signingKey: await signingKeyOf(jwk) } : credentials;
    return {
      provider,
      endpoints,
      app,
      issuer,
      issuerConfigured: Boolean(config.env[`LATCHKEY_${service}_ISSUER`]),
      requireIss: false,
      fetch,
      config: createClientConfiguration(provider, endpoints, app, {
        issuer,
        timeoutSeconds: config.providerTimeoutSeconds,
        pushedAuthorizationRequestEndpoint: settings.pushedAuthorizationRequestEndpoint,
      }),
    };
  }

  /**
   * The client for a site and service, or undefined when no OAuth app is configured for it (or,
   * for a custom service, when the site defines none by that slug).
   */
  async function clientFor(siteId: string, service: ServiceKey): Promise<ProviderClient | undefined> {
    // A service the site defined carries its own client; a catalog one uses the site's or the gateway's app.
    const slug = siteSlugOf(service);
    if (slug !== null) return customServices.clientFor(siteId, slug);
    return catalogClientFor(siteId, service as ServiceName);
  }

  async function catalogClientFor(siteId: string, service: ServiceName): Promise<ProviderClient | undefined> {
    const own = await db.serviceCredential.findUnique({ where: { siteId_service: { siteId, service } } });
    if (own) {
      const clientSecret = own.clientSecret
        ? decryptSecret(keyring, own.clientSecret, secretContext('ServiceCredential', 'clientSecret', own.id))
        : undefined;
      return build(service, { clientId: own.clientId, clientSecret });
    }
    const cached = gatewayClients.get(service);
    if (cached) return cached;
    const app = gatewayApp(service);
    if (!app) return undefined;
    const built = await build(service, app);
    gatewayClients.set(service, built);
    return built;
  }

  async function requireClient(siteId: string, service: ServiceKey): Promise<ProviderClient> {
    const slug = siteSlugOf(service);
    if (slug !== null) {
      await customServices.require(siteId, slug);
      return (await clientFor(siteId, service))!;
    }
    const found = await catalogClientFor(siteId, service as ServiceName);
    if (found) return found;
    const name = getProvider(service).friendlyServiceName;
    throw badUserInput(
      `No OAuth app is configured for ${name}: set LATCHKEY_${service}_CLIENT_ID and LATCHKEY_${service}_CLIENT_SECRET on the gateway, or give this site its own with setServiceCredentials.`,
      'service',
    );
  }

  async function setSiteCredentials(
    siteId: string,
    service: ServiceName,
    clientId: string,
    clientSecret: string | null | undefined,
  ): Promise<ServiceCredentialSummary> {
    if (!clientId.trim() || clientId.length > 500) throw badUserInput('clientId must be 1 to 500 characters.', 'clientId');
    if (clientSecret !== undefined && clientSecret !== null && clientSecret.length > 2000) {
      throw badUserInput('clientSecret must be at most 2000 characters.', 'clientSecret');
    }
    const existing = await db.serviceCredential.findUnique({ where: { siteId_service: { siteId, service } } });
    const id = existing?.id ?? generateId('cred');
    const encrypted =
      clientSecret === undefined
        ? existing?.clientSecret ?? null
        : clientSecret === null
          ? null
          : encryptSecret(keyring, clientSecret, secretContext('ServiceCredential', 'clientSecret', id));
    const saved = await db.serviceCredential.upsert({
      where: { siteId_service: { siteId, service } },
      create: { id, siteId, service, clientId: clientId.trim(), clientSecret: encrypted },
      update: { clientId: clientId.trim(), clientSecret: encrypted },
    });
    return { service, clientId: saved.clientId, hasClientSecret: saved.clientSecret !== null, updatedAt: saved.updatedAt };
  }

  async function removeSiteCredentials(siteId: string, service: ServiceName): Promise<boolean> {
    const { count } = await db.serviceCredential.deleteMany({ where: { siteId, service } });
    return count > 0;
  }

  async function listSiteCredentials(siteId: string): Promise<ServiceCredentialSummary[]> {
    const rows = await db.serviceCredential.findMany({ where: { siteId }, orderBy: { service: 'asc' } });
    return rows.map((row) => ({
      service: row.service as ServiceName,
      clientId: row.clientId,
      hasClientSecret: row.clientSecret !== null,
      updatedAt: row.updatedAt,
    }));
  }

  function hasGatewayApp(service: ServiceName): boolean {
    return gatewayApp(service) !== undefined;
  }

  return { endpointsFor, clientFor, requireClient, setSiteCredentials, removeSiteCredentials, listSiteCredentials, hasGatewayApp };
}

export type ProviderApps = ReturnType<typeof createProviderApps>;
