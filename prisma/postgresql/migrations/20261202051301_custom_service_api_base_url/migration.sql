-- AlterTable
ALTER TABLE "CustomService" ADD COLUMN     "apiBaseUrl" TEXT;
