-- AlterTable
ALTER TABLE "AuthAttempt" ADD COLUMN "heldTokens" TEXT;

-- AlterTable
ALTER TABLE "Site" ADD COLUMN "endUserVerifyUrl" TEXT;

-- AlterTable
ALTER TABLE "SiteToken" ADD COLUMN "endUser" TEXT;

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
    "connectedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
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
    "tokenIssuedAt" DATETIME,
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
INSERT INTO "new_Connection" ("accessToken", "accountKey", "createdAt", "expiresAt", "foreignUserId", "foreignUserName", "grantType", "grantedScopes", "id", "lastError", "lastRefreshedAt", "nextRefreshAt", "ownerId", "ownerType", "providerData", "refreshFailures", "refreshLockOwner", "refreshLockedUntil", "refreshToken", "service", "siteId", "status", "tokenIssuedAt", "tokenType", "updatedAt", "usedTestFlow", "version") SELECT "accessToken", "accountKey", "createdAt", "expiresAt", "foreignUserId", "foreignUserName", "grantType", "grantedScopes", "id", "lastError", "lastRefreshedAt", "nextRefreshAt", "ownerId", "ownerType", "providerData", "refreshFailures", "refreshLockOwner", "refreshLockedUntil", "refreshToken", "service", "siteId", "status", "tokenIssuedAt", "tokenType", "updatedAt", "usedTestFlow", "version" FROM "Connection";
DROP TABLE "Connection";
ALTER TABLE "new_Connection" RENAME TO "Connection";
CREATE INDEX "Connection_siteId_idx" ON "Connection"("siteId");
CREATE INDEX "Connection_status_expiresAt_idx" ON "Connection"("status", "expiresAt");
CREATE INDEX "Connection_siteId_createdAt_id_idx" ON "Connection"("siteId", "createdAt", "id");
CREATE INDEX "Connection_siteId_ownerType_ownerId_createdAt_id_idx" ON "Connection"("siteId", "ownerType", "ownerId", "createdAt", "id");
CREATE UNIQUE INDEX "Connection_siteId_service_ownerType_ownerId_accountKey_key" ON "Connection"("siteId", "service", "ownerType", "ownerId", "accountKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- Existing connections stay the site's own: each becomes the account the provider reported
-- (foreignUserId), or "default" when it reported none; connectedAt is when its tokens were issued.
UPDATE "Connection" SET "accountKey" = COALESCE(NULLIF("foreignUserId", ''), 'default') WHERE "accountKey" = '';
UPDATE "Connection" SET "connectedAt" = COALESCE("tokenIssuedAt", "createdAt");
