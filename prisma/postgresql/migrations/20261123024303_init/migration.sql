-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Site" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "allowedOrigins" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Site_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SiteToken" (
    "id" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'SITE',
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "label" TEXT,
    "services" JSONB,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SiteToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServiceCredential" (
    "id" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServiceCredential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Connection" (
    "id" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "ownerType" TEXT NOT NULL DEFAULT 'SITE',
    "ownerId" TEXT NOT NULL DEFAULT '',
    "accountKey" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "accessToken" TEXT,
    "refreshToken" TEXT,
    "tokenType" TEXT,
    "expiresAt" TIMESTAMP(3),
    "grantedScopes" JSONB NOT NULL,
    "foreignUserId" TEXT,
    "foreignUserName" TEXT,
    "providerData" JSONB,
    "usedTestFlow" BOOLEAN NOT NULL DEFAULT false,
    "lastRefreshedAt" TIMESTAMP(3),
    "refreshFailures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Connection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuthAttempt" (
    "id" TEXT NOT NULL,
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
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuthAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "siteId" TEXT,
    "service" TEXT,
    "connectionId" TEXT,
    "attemptId" TEXT,
    "type" TEXT NOT NULL,
    "detail" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "SiteToken" ADD CONSTRAINT "SiteToken_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceCredential" ADD CONSTRAINT "ServiceCredential_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuthAttempt" ADD CONSTRAINT "AuthAttempt_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;
