-- AlterTable
ALTER TABLE "AuthAttempt" ADD COLUMN     "nonce" TEXT;

-- AlterTable
ALTER TABLE "CustomService" ADD COLUMN     "clientPrivateKey" TEXT,
ADD COLUMN     "clientPublicKeys" JSONB,
ADD COLUMN     "jwksUrl" TEXT,
ADD COLUMN     "parUrl" TEXT,
ADD COLUMN     "requirePar" BOOLEAN NOT NULL DEFAULT false;
