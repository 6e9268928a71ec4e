-- CreateTable
CREATE TABLE "PendingRevocation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "accessToken" TEXT,
    "refreshToken" TEXT,
    "foreignUserId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "nextAttemptAt" DATETIME NOT NULL,
    "lastError" TEXT,
    "lockedUntil" DATETIME,
    "lockedBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "PendingRevocation_nextAttemptAt_idx" ON "PendingRevocation"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "PendingRevocation_connectionId_idx" ON "PendingRevocation"("connectionId");
