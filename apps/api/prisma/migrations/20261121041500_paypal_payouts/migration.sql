-- AlterTable
ALTER TABLE "AffiliateProfile" ADD COLUMN     "paypalEmail" TEXT;

-- AlterTable
ALTER TABLE "PayoutItem" ADD COLUMN     "paypalEmail" TEXT;
