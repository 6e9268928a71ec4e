-- AlterTable
ALTER TABLE "AuthAttempt" ADD COLUMN "nonce" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_CustomService" (
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
    "authorizationParams" JSONB,
    "supportsClientCredentials" BOOLEAN NOT NULL DEFAULT false,
    "requireIss" BOOLEAN NOT NULL DEFAULT false,
    "jwksUrl" TEXT,
    "parUrl" TEXT,
    "requirePar" BOOLEAN NOT NULL DEFAULT false,
    "clientPrivateKey" TEXT,
    "clientPublicKeys" JSONB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "CustomService_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_CustomService" ("authorizationParams", "authorizationUrl", "clientAuthMethod", "clientId", "clientSecret", "createdAt", "discoveryUrl", "friendlyName", "id", "issuer", "pkce", "requireIss", "revocationUrl", "scopeSeparator", "scopes", "siteId", "slug", "supportsClientCredentials", "tokenUrl", "updatedAt", "userinfoUrl") SELECT "authorizationParams", "authorizationUrl", "clientAuthMethod", "clientId", "clientSecret", "createdAt", "discoveryUrl", "friendlyName", "id", "issuer", "pkce", "requireIss", "revocationUrl", "scopeSeparator", "scopes", "siteId", "slug", "supportsClientCredentials", "tokenUrl", "updatedAt", "userinfoUrl" FROM "CustomService";
DROP TABLE "CustomService";
ALTER TABLE "new_CustomService" RENAME TO "CustomService";
CREATE UNIQUE INDEX "CustomService_siteId_slug_key" ON "CustomService"("siteId", "slug");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
