-- AlterEnum
ALTER TYPE "WebhookEventType" ADD VALUE 'CONVERSION_REVIEWED';

-- CreateTable
CREATE TABLE "AccountIpHash" (
    "userId" UUID NOT NULL,
    "ipHash" TEXT NOT NULL,
    "seenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccountIpHash_pkey" PRIMARY KEY ("userId","ipHash")
);

-- CreateIndex
CREATE INDEX "AccountIpHash_seenAt_idx" ON "AccountIpHash"("seenAt");

-- CreateIndex
CREATE INDEX "Conversion_programId_ipHash_occurredAt_idx" ON "Conversion"("programId", "ipHash", "occurredAt");

-- AddForeignKey
ALTER TABLE "AccountIpHash" ADD CONSTRAINT "AccountIpHash_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
