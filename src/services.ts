// The composition root: every long-lived service of one gateway instance, built from its config.
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { createKeyring } from './crypto/token-cipher.js';
import { createAuditTrail } from './audit.js';
import { createSites } from './sites/sites.js';
import { createProviderApps } from './oauth/provider-apps.js';
import { createConnectionStore } from './connections/connection-store.js';
import { createTokenRefresher } from './connections/token-refresh.js';
import { createAuthorizationFlow } from './connections/authorization-flow.js';

export function createServices(config: Config, db: Database, logger: Logger) {
  const keyring = createKeyring(config.encryptionKey, config.previousEncryptionKeys);
  const audit = createAuditTrail(db, logger);
  const apps = createProviderApps(config, db, keyring);
  const store = createConnectionStore(db, keyring);
  const refresher = createTokenRefresher({ store, apps, audit, logger });
  const flow = createAuthorizationFlow({ config, db, keyring, logger, audit, apps, store });
  const sites = createSites(db, audit, config.adminToken);
  return { config, db, logger, keyring, audit, apps, store, refresher, flow, sites };
}

export type Services = ReturnType<typeof createServices>;
