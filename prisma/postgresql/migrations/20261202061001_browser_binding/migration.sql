-- AlterTable
ALTER TABLE "AuthAttempt" ADD COLUMN     "bindingHash" TEXT,
ADD COLUMN     "launchKeyHash" TEXT,
ADD COLUMN     "providerUrl" TEXT;
