-- AlterTable
ALTER TABLE "SiteToken" ADD COLUMN     "canConnect" BOOLEAN NOT NULL DEFAULT false;
