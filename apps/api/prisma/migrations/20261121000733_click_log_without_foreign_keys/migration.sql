-- DropForeignKey
ALTER TABLE "Click" DROP CONSTRAINT "Click_programId_fkey";

-- DropForeignKey
ALTER TABLE "Click" DROP CONSTRAINT "Click_enrollmentId_fkey";

-- DropForeignKey
ALTER TABLE "Click" DROP CONSTRAINT "Click_linkId_fkey";

-- DropForeignKey
ALTER TABLE "Conversion" DROP CONSTRAINT "Conversion_clickId_fkey";

-- DropForeignKey
ALTER TABLE "FraudFlag" DROP CONSTRAINT "FraudFlag_clickId_fkey";

-- DropIndex
DROP INDEX "Click_programId_createdAt_idx";

-- DropIndex
DROP INDEX "Click_ipHash_createdAt_idx";
