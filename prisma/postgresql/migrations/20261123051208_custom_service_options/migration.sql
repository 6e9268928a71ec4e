-- AlterTable
ALTER TABLE "CustomService" ADD COLUMN     "authorizationParams" JSONB,
ADD COLUMN     "requireIss" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "supportsClientCredentials" BOOLEAN NOT NULL DEFAULT false;
