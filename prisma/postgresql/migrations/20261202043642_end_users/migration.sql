-- AlterTable
ALTER TABLE "AuthAttempt" ADD COLUMN     "heldTokens" TEXT;

-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "connectedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "Site" ADD COLUMN     "endUserVerifyUrl" TEXT;

-- AlterTable
ALTER TABLE "SiteToken" ADD COLUMN     "endUser" TEXT;

-- CreateIndex
CREATE INDEX "Connection_siteId_createdAt_id_idx" ON "Connection"("siteId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Connection_siteId_ownerType_ownerId_createdAt_id_idx" ON "Connection"("siteId", "ownerType", "ownerId", "createdAt", "id");

-- Existing connections stay the site's own: each becomes the account the provider reported
-- (foreignUserId), or "default" when it reported none; connectedAt is when its tokens were issued.
UPDATE "Connection" SET "accountKey" = COALESCE(NULLIF("foreignUserId", ''), 'default') WHERE "accountKey" = '';
UPDATE "Connection" SET "connectedAt" = COALESCE("tokenIssuedAt", "createdAt");
