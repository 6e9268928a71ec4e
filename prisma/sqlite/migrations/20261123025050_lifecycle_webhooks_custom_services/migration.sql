-- CreateTable
CREATE TABLE "CustomService" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "friendlyName" TEXT NOT NULL,
    "issuer" TEXT,
    "discoveryUrl" TEXT,
    "authorizationUrl" TEXT,
    "tokenUrl" TEXT,
    "revocationUrl" TEXT,
    "userinfoUrl" TEXT,
    "scopes" JSONB NOT NULL,
    "scopeSeparator" TEXT NOT NULL DEFAULT ' ',
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT,
    "clientAuthMethod" TEXT NOT NULL DEFAULT 'client_secret_basic',
    "pkce" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "CustomService_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "events" JSONB NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "WebhookEndpoint_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "endpointId" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME,
    "lastStatusCode" INTEGER,
    "lastError" TEXT,
    "lockedUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" DATETIME,
    CONSTRAINT "WebhookDelivery_endpointId_fkey" FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Connection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "ownerType" TEXT NOT NULL DEFAULT 'SITE',
    "ownerId" TEXT NOT NULL DEFAULT '',
    "accountKey" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "accessToken" TEXT,
    "refreshToken" TEXT,
    "tokenType" TEXT,
    "expiresAt" DATETIME,
    "grantedScopes" JSONB NOT NULL,
    "foreignUserId" TEXT,
    "foreignUserName" TEXT,
    "providerData" JSONB,
    "usedTestFlow" BOOLEAN NOT NULL DEFAULT false,
    "lastRefreshedAt" DATETIME,
    "refreshFailures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "grantType" TEXT NOT NULL DEFAULT 'AUTHORIZATION_CODE',
    "nextRefreshAt" DATETIME,
    "refreshLockedUntil" DATETIME,
    "refreshLockOwner" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Connection_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Connection" ("accessToken", "accountKey", "createdAt", "expiresAt", "foreignUserId", "foreignUserName", "grantedScopes", "id", "lastError", "lastRefreshedAt", "ownerId", "ownerType", "providerData", "refreshFailures", "refreshToken", "service", "siteId", "status", "tokenType", "updatedAt", "usedTestFlow", "version") SELECT "accessToken", "accountKey", "createdAt", "expiresAt", "foreignUserId", "foreignUserName", "grantedScopes", "id", "lastError", "lastRefreshedAt", "ownerId", "ownerType", "providerData", "refreshFailures", "refreshToken", "service", "siteId", "status", "tokenType", "updatedAt", "usedTestFlow", "version" FROM "Connection";
DROP TABLE "Connection";
ALTER TABLE "new_Connection" RENAME TO "Connection";
CREATE INDEX "Connection_siteId_idx" ON "Connection"("siteId");
CREATE INDEX "Connection_status_expiresAt_idx" ON "Connection"("status", "expiresAt");
CREATE UNIQUE INDEX "Connection_siteId_service_ownerType_ownerId_accountKey_key" ON "Connection"("siteId", "service", "ownerType", "ownerId", "accountKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "CustomService_siteId_slug_key" ON "CustomService"("siteId", "slug");

-- CreateIndex
CREATE INDEX "WebhookEndpoint_siteId_idx" ON "WebhookEndpoint"("siteId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_status_nextAttemptAt_idx" ON "WebhookDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_endpointId_createdAt_idx" ON "WebhookDelivery"("endpointId", "createdAt");
