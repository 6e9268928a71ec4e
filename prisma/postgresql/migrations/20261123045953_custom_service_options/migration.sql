-- AlterTable
ALTER TABLE "CustomService" ADD COLUMN     "authorizationParams" JSONB,
ADD COLUMN     "supportsClientCredentials" BOOLEAN NOT NULL DEFAULT false;
