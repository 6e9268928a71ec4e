// The composition root: every long-lived service of one gateway instance, built from its config.
import type { Config } from './config.js';
import { databaseProviderFromUrl, type Database } from './db/database.js';
import type { Logger } from './logger.js';
import { createKeyring } from './crypto/token-cipher.js';
import { createAuditTrail } from './audit.js';
import { createSites } from './sites/sites.js';
import { createProviderApps } from './oauth/provider-apps.js';
import { createCustomServices } from './oauth/custom-services.js';
import { createConnectionStore } from './connections/connection-store.js';
import { createTokenRefresher } from './connections/token-refresh.js';
import { createAuthorizationFlow } from './connections/authorization-flow.js';
import { createWebhooks } from './webhooks/webhooks.js';
import { createConnectionCache } from './connections/connection-cache.js';
import { createPassthrough } from './passthrough/passthrough.js';
import { createServiceRegistry } from './registry/service-registry.js';
import { createCredentialConnector } from './connections/credentials.js';
import { createMetrics } from './metrics/metrics.js';
import { createRevocationQueue } from './connections/revocation-queue.js';
import { createMcpClients } from './mcp/mcp-clients.js';
import { createAuthorizationServer } from './mcp/authorization-server.js';

export function createServices(config: Config, db: Database, logger: Logger) {
  const keyring = createKeyring(config.encryptionKey, config.previousEncryptionKeys);
  const metrics = createMetrics({ db });
  const webhooks = createWebhooks({ config, db, keyring, logger, metrics });
  const audit = webhooks.withEvents(createAuditTrail(db, logger));
  const store = createConnectionStore(db, keyring, databaseProviderFromUrl(config.databaseUrl));
  const customServices = createCustomServices(config, db, keyring, {
    dropConnections: (siteId, service) => store.removeAll(siteId, service),
    audit,
  });
  const apps = createProviderApps(config, db, keyring, customServices);
  const registry = createServiceRegistry({ customServices, env: config.env });
  const refresher = createTokenRefresher({ store, apps, audit, logger, config, metrics });
  const connections = createConnectionCache(store, { ttlMs: config.connectionCacheMs, maxBatch: config.connectionBatchSize });
  const passthrough = createPassthrough({ config, registry, store, refresher, logger, metrics });
  const revocations = createRevocationQueue(
    { db, provider: databaseProviderFromUrl(config.databaseUrl), keyring, apps, audit, logger, metrics, instanceId: refresher.instanceId },
    { ...config.revocation, timeoutSeconds: config.providerTimeoutSeconds },
  );
  const flow = createAuthorizationFlow({ config, db, keyring, logger, audit, apps, store, customServices, revocations });
  const credentials = createCredentialConnector({ config, registry, store, audit, logger });
  const sites = createSites(db, audit, config.adminToken, { tokenCacheMs: config.tokenCacheMs, logger });
  const mcpClients = createMcpClients({ db, logger, metadataPolicy: config.mcpAuth.clientMetadata });
  const mcpAuthorization = createAuthorizationServer({
    db,
    logger,
    audit,
    clients: mcpClients,
    config: { publicUrl: config.publicUrl, accessTokenTtlSeconds: config.mcpAuth.accessTokenTtlSeconds, refreshTokenTtlSeconds: config.mcpAuth.refreshTokenTtlSeconds },
  });
  return { config, db, logger, metrics, keyring, audit, customServices, registry, apps, store, refresher, revocations, flow, credentials, sites, webhooks, connections, passthrough, mcpClients, mcpAuthorization };
}

export type Services = ReturnType<typeof createServices>;
