import { prisma } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { uuidv7 } from '../ids.ts';
import { termsById } from '../programs/terms-cache.ts';
import { termsIdInForce } from '../programs/terms-in-force.ts';
import { emit } from '../webhooks/outbox.ts';
import { type Candidate, type Owed, payoutItemsFor } from './selection.ts';

export interface PayoutRun {
  organizationId: string;
  /** One program, or all of the organization's programs. */
  programId: string | null;
  cutoffAt: Date;
  createdById: string | null;
}

export interface PayoutRunResult {
  payoutId: string | null;
  items: number;
  /** Affiliate balances below their threshold, left for a later run. */
  rolledOver: number;
}

/**
 * Creates a draft payout batch: approved commissions whose holding period ended by the cutoff,
 * not yet in a batch, netted against what each affiliate owes back, one item per affiliate and
 * currency that reaches the payout threshold. Runs of one merchant queue on the organization's
 * row lock, so two runs started together never take the same commission: the second one sees
 * them already taken. Each taken commission is also claimed with `payoutItemId IS NULL`.
 */
export async function runPayout(run: PayoutRun): Promise<PayoutRunResult> {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM "Organization" WHERE id = ${run.organizationId}::uuid FOR UPDATE`;
    const scope = run.programId
      ? Prisma.sql`p.id = ${run.programId}::uuid`
      : Prisma.sql`p."organizationId" = ${run.organizationId}::uuid`;
    const commissions = await tx.$queryRaw<Candidate[]>`
      SELECT c.id, c.amount, c.currency, c."programId", c."enrollmentId", e."affiliateId"
      FROM "Commission" c
      JOIN "Program" p ON p.id = c."programId"
      JOIN "Enrollment" e ON e.id = c."enrollmentId"
      WHERE ${scope} AND c.status = 'APPROVED' AND c."payoutItemId" IS NULL
        AND c."holdUntil" <= ${run.cutoffAt}
      ORDER BY c.id
      FOR UPDATE OF c`;
    // What each affiliate owes back, less what open batches already net.
    const owed = await tx.$queryRaw<Owed[]>`
      SELECT l."affiliateId", l.currency, sum(l.amount)::int AS amount
      FROM "LedgerEntry" l JOIN "Program" p ON p.id = l."programId"
      WHERE ${scope} AND l.account = 'OWED'
      GROUP BY l."affiliateId", l.currency`;
    const netting = await tx.$queryRaw<Owed[]>`
      SELECT i."affiliateId", i.currency, sum(c.amount)::int - i.amount AS amount
      FROM "PayoutItem" i
      JOIN "Payout" o ON o.id = i."payoutId"
      JOIN "Commission" c ON c."payoutItemId" = i.id
      WHERE o."organizationId" = ${run.organizationId}::uuid AND i.status IN ('PENDING', 'PROCESSING')
      GROUP BY i.id`;
    const thresholds = new Map<string, number>();
    for (const enrollmentId of new Set(commissions.map((c) => c.enrollmentId))) {
      const c = commissions.find((x) => x.enrollmentId === enrollmentId)!;
      const termsId = await termsIdInForce(tx, { id: enrollmentId, programId: c.programId }, run.cutoffAt);
      thresholds.set(enrollmentId, termsId ? (await termsById(termsId)).terms.minPayoutAmount : 0);
    }
    const { items, rolledOver } = payoutItemsFor(commissions, owed, netting, thresholds);
    if (!items.length) return { payoutId: null, items: 0, rolledOver };

    const payoutId = uuidv7();
    await tx.payout.create({
      data: {
        id: payoutId,
        organizationId: run.organizationId,
        programId: run.programId,
        cutoffAt: run.cutoffAt,
        createdById: run.createdById,
      },
    });
    const profiles = await tx.affiliateProfile.findMany({
      where: { id: { in: items.map((i) => i.affiliateId) } },
      select: {
        id: true,
        organizationId: true,
        payoutMethod: true,
        payoutReference: true,
        paypalEmail: true,
      },
    });
    const made: { itemId: string; affiliateId: string; currency: string; amount: number }[] = [];
    for (const item of items) {
      const profile = profiles.find((p) => p.id === item.affiliateId);
      const itemId = uuidv7();
      await tx.payoutItem.create({
        data: {
          id: itemId,
          payoutId,
          affiliateId: item.affiliateId,
          currency: item.currency,
          amount: item.amount,
          payoutMethod: profile?.payoutMethod ?? null,
          payoutReference: profile?.payoutReference ?? null,
          paypalEmail: profile?.payoutMethod === 'PAYPAL' ? (profile.paypalEmail ?? null) : null,
        },
      });
      const claimed = await tx.commission.updateMany({
        where: { id: { in: item.commissionIds }, payoutItemId: null, status: 'APPROVED' },
        data: { payoutItemId: itemId },
      });
      if (claimed.count !== item.commissionIds.length) throw new Error('a commission was claimed twice');
      made.push({ itemId, affiliateId: item.affiliateId, currency: item.currency, amount: item.amount });
    }
    await emit(tx, [
      {
        organizationId: run.organizationId,
        type: 'PAYOUT_CREATED',
        data: { payoutId, programId: run.programId, items: made },
      },
      ...made.map((item) => ({
        organizationId: profiles.find((p) => p.id === item.affiliateId)!.organizationId,
        type: 'PAYOUT_CREATED' as const,
        data: { payoutId, ...item },
      })),
    ]);
    return { payoutId, items: items.length, rolledOver };
  });
}
