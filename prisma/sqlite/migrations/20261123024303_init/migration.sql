-- CreateTable
CREATE TABLE "Site" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "allowedOrigins" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SiteToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'SITE',
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "label" TEXT,
    "services" JSONB,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "lastUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SiteToken_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ServiceCredential" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ServiceCredential_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Connection" (
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Connection_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuthAttempt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "stateHash" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "ownerType" TEXT NOT NULL DEFAULT 'SITE',
    "ownerId" TEXT NOT NULL DEFAULT '',
    "codeVerifier" TEXT,
    "scopes" JSONB NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "appHandled" BOOLEAN NOT NULL DEFAULT false,
    "returnTo" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "error" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "completedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AuthAttempt_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT,
    "service" TEXT,
    "connectionId" TEXT,
    "attemptId" TEXT,
    "type" TEXT NOT NULL,
    "detail" JSONB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "SiteToken_tokenHash_key" ON "SiteToken"("tokenHash");

-- CreateIndex
CREATE INDEX "SiteToken_siteId_idx" ON "SiteToken"("siteId");

-- CreateIndex
CREATE UNIQUE INDEX "ServiceCredential_siteId_service_key" ON "ServiceCredential"("siteId", "service");

-- CreateIndex
CREATE INDEX "Connection_siteId_idx" ON "Connection"("siteId");

-- CreateIndex
CREATE UNIQUE INDEX "Connection_siteId_service_ownerType_ownerId_accountKey_key" ON "Connection"("siteId", "service", "ownerType", "ownerId", "accountKey");

-- CreateIndex
CREATE UNIQUE INDEX "AuthAttempt_stateHash_key" ON "AuthAttempt"("stateHash");

-- CreateIndex
CREATE INDEX "AuthAttempt_siteId_idx" ON "AuthAttempt"("siteId");

-- CreateIndex
CREATE INDEX "AuditEvent_siteId_createdAt_idx" ON "AuditEvent"("siteId", "createdAt");
