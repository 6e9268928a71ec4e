-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_SiteToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'SITE',
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "label" TEXT,
    "services" JSONB,
    "canConnect" BOOLEAN NOT NULL DEFAULT false,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "lastUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SiteToken_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_SiteToken" ("createdAt", "expiresAt", "id", "kind", "label", "lastUsedAt", "prefix", "revokedAt", "services", "siteId", "tokenHash") SELECT "createdAt", "expiresAt", "id", "kind", "label", "lastUsedAt", "prefix", "revokedAt", "services", "siteId", "tokenHash" FROM "SiteToken";
DROP TABLE "SiteToken";
ALTER TABLE "new_SiteToken" RENAME TO "SiteToken";
CREATE UNIQUE INDEX "SiteToken_tokenHash_key" ON "SiteToken"("tokenHash");
CREATE INDEX "SiteToken_siteId_idx" ON "SiteToken"("siteId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
