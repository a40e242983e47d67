-- CreateTable
CREATE TABLE "JobCursor" (
    "job" TEXT NOT NULL,
    "position" UUID NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "JobCursor_pkey" PRIMARY KEY ("job")
);
