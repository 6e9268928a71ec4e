-- CreateTable
CREATE TABLE "PendingRevocation" (
    "id" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "accessToken" TEXT,
    "refreshToken" TEXT,
    "foreignUserId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "lastError" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "lockedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PendingRevocation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PendingRevocation_nextAttemptAt_idx" ON "PendingRevocation"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "PendingRevocation_connectionId_idx" ON "PendingRevocation"("connectionId");
