-- AlterTable
ALTER TABLE "Connection" ADD COLUMN "tokenIssuedAt" DATETIME;
