-- AlterTable
ALTER TABLE "AuthAttempt" ADD COLUMN "bindingHash" TEXT;
ALTER TABLE "AuthAttempt" ADD COLUMN "launchKeyHash" TEXT;
ALTER TABLE "AuthAttempt" ADD COLUMN "providerUrl" TEXT;
