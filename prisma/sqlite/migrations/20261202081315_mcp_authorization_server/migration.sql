-- AlterTable
ALTER TABLE "Site" ADD COLUMN "mcpLoginUrl" TEXT;

-- CreateTable
CREATE TABLE "McpClient" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientName" TEXT,
    "redirectUris" JSONB NOT NULL,
    "metadata" JSONB NOT NULL,
    "signedInAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "McpAuthorization" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientName" TEXT,
    "redirectUri" TEXT NOT NULL,
    "state" TEXT,
    "codeChallenge" TEXT NOT NULL,
    "scopes" JSONB NOT NULL,
    "resource" TEXT NOT NULL,
    "bindingHash" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'LOGIN',
    "endUser" TEXT,
    "assertionHash" TEXT,
    "consentHash" TEXT,
    "codeHash" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "codeUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "McpAuthorization_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "McpToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "authorizationId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "endUser" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "scopes" JSONB NOT NULL,
    "resource" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "revokedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "McpToken_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "McpClient_signedInAt_createdAt_idx" ON "McpClient"("signedInAt", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "McpAuthorization_assertionHash_key" ON "McpAuthorization"("assertionHash");

-- CreateIndex
CREATE UNIQUE INDEX "McpAuthorization_codeHash_key" ON "McpAuthorization"("codeHash");

-- CreateIndex
CREATE INDEX "McpAuthorization_siteId_idx" ON "McpAuthorization"("siteId");

-- CreateIndex
CREATE INDEX "McpAuthorization_expiresAt_idx" ON "McpAuthorization"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "McpToken_tokenHash_key" ON "McpToken"("tokenHash");

-- CreateIndex
CREATE INDEX "McpToken_authorizationId_idx" ON "McpToken"("authorizationId");

-- CreateIndex
CREATE INDEX "McpToken_siteId_idx" ON "McpToken"("siteId");
