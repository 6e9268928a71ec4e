-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "tokenIssuedAt" TIMESTAMP(3);
