import { lockCommissions, rejectLocked } from '../commissions/lifecycle.ts';
import { prisma } from '../db.ts';
import { conflict, notFound } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { uuidv7 } from '../ids.ts';
import { rollupRemove } from '../reports/rollup.ts';
import { emit, toEach } from '../webhooks/outbox.ts';

export type Outcome = 'APPROVE' | 'REJECT';

/**
 * A reviewer's decision on a conversion held by a fraud rule. Approved, it continues its life:
 * its commissions are approved when their holding period ends. Rejected, its pending commissions
 * are rejected (ledger entries with the reason) and it no longer ties its customer to the
 * affiliate. The decision is kept with who made it; the conversion's row lock makes a second,
 * concurrent decision find it decided.
 */
export async function reviewConversion(
  conversionId: string,
  outcome: Outcome,
  reason: string,
  userId: string | null,
) {
  await prisma.$transaction(async (tx) => {
    const [conversion] = await tx.$queryRaw<
      {
        status: string;
        programId: string;
        enrollmentId: string | null;
        customerId: string | null;
        merchantId: string;
        affiliateOrganizationId: string | null;
      }[]
    >`
      SELECT v.status, v."programId", v."enrollmentId", v."customerId", p."organizationId" AS "merchantId",
        a."organizationId" AS "affiliateOrganizationId"
      FROM "Conversion" v JOIN "Program" p ON p.id = v."programId"
      LEFT JOIN "Enrollment" e ON e.id = v."enrollmentId" LEFT JOIN "AffiliateProfile" a ON a.id = e."affiliateId"
      WHERE v.id = ${conversionId}::uuid
      FOR UPDATE OF v`;
    if (!conversion) throw notFound('Conversion');
    if (conversion.status !== 'HELD')
      throw conflict(`The conversion is ${conversion.status.toLowerCase()}: only a held one can be reviewed`);
    await tx.reviewDecision.create({
      data: { id: uuidv7(), conversionId, outcome, reason, decidedById: userId },
    });
    // All it counted for in the reports, its commissions included, leaves them while it still
    // counts there. Once rejected it counts nowhere, so rejecting its commissions below changes
    // no report figure again.
    if (outcome === 'REJECT') await rollupRemove(tx, conversionId);
    await tx.conversion.update({
      where: { id: conversionId },
      data: { status: outcome === 'APPROVE' ? 'ACCEPTED' : 'REJECTED' },
    });
    if (outcome === 'REJECT') {
      const pending = await lockCommissions(
        tx,
        Prisma.sql`c."conversionId" = ${conversionId}::uuid AND c.status = 'PENDING'`,
      );
      await rejectLocked(tx, pending, `conversion rejected on review: ${reason}`, userId);
      if (conversion.customerId && conversion.enrollmentId)
        await tx.$executeRaw`
          UPDATE "Customer" c SET "enrollmentId" = NULL
          WHERE c.id = ${conversion.customerId}::uuid AND c."enrollmentId" = ${conversion.enrollmentId}::uuid
            AND NOT EXISTS (SELECT 1 FROM "Conversion" v WHERE v."customerId" = c.id
              AND v."enrollmentId" = c."enrollmentId" AND v.status <> 'REJECTED')`;
    }
    await emit(
      tx,
      toEach(
        [
          conversion.merchantId,
          ...(conversion.affiliateOrganizationId ? [conversion.affiliateOrganizationId] : []),
        ],
        'CONVERSION_REVIEWED',
        {
          conversionId,
          programId: conversion.programId,
          enrollmentId: conversion.enrollmentId,
          outcome,
          reason,
        },
      ),
    );
  });
}
