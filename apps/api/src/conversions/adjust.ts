import { reversalFor } from '../commissions/engine.ts';
import { book, type Movement } from '../commissions/ledger.ts';
import { commissionEvent, lockCommissions } from '../commissions/lifecycle.ts';
import { prisma } from '../db.ts';
import { conflict, invalidInput, notFound } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { rollupChange } from '../reports/rollup.ts';
import { emit } from '../webhooks/outbox.ts';

export interface AdjustmentReport {
  conversionId: string;
  kind: 'REFUND' | 'CHARGEBACK';
  /** The merchant's refund id: a retried report is recorded once. */
  externalId: string;
  /** In the sale's currency; null for all that is not refunded yet. */
  amount: number | null;
  reason: string | null;
  createdById: string | null;
}

export interface Adjusted {
  adjustmentId: string;
  replayed: boolean;
}

// Commissions that a refund shrinks. A bonus stays: it rewarded reaching a target, and the
// merchant can still reject it while it is pending.
const refundable = Prisma.sql`c.kind IN ('SALE', 'RECURRING') AND c.status IN ('PENDING', 'APPROVED', 'PAID')`;

/**
 * Records a full or partial refund or a chargeback of a sale and reverses its commissions in
 * proportion, by new ledger entries: out of the pending or approved balance, or, once paid, into
 * the amount the affiliate owes back (a clawback, netted in the next payout).
 */
export async function adjustConversion(r: AdjustmentReport): Promise<Adjusted> {
  return prisma.$transaction(async (tx) => {
    // Adjustments of one sale queue up here, so the running totals below are exact.
    const [sale] = await tx.$queryRaw<
      { kind: string; amount: number | null; programAmount: number | null }[]
    >`
      SELECT kind, amount, "programAmount" FROM "Conversion" WHERE id = ${r.conversionId}::uuid FOR UPDATE`;
    if (!sale) throw notFound('Conversion');
    if (sale.kind !== 'SALE' || sale.amount === null)
      throw conflict('Only a sale can be refunded; reject the commission of a lead instead');
    const earlier = await tx.conversionAdjustment.findMany({
      where: { conversionId: r.conversionId },
      select: { id: true, externalId: true, amount: true },
    });
    const same = earlier.find((a) => a.externalId === r.externalId);
    if (same) {
      if (r.amount !== null && r.amount !== same.amount)
        throw conflict(`Refund ${r.externalId} was recorded with another amount (${same.amount})`, {
          field: 'refundId',
        });
      return { adjustmentId: same.id, replayed: true };
    }
    const refundedBefore = earlier.reduce((sum, a) => sum + a.amount, 0);
    const left = sale.amount - refundedBefore;
    if (left <= 0) throw conflict('The sale is already refunded in full');
    const amount = r.amount ?? left;
    if (amount > left)
      throw invalidInput([
        { path: 'amount', message: `is more than the ${left} minor units not refunded yet` },
      ]);
    const adjustment = await tx.conversionAdjustment.create({
      data: {
        conversionId: r.conversionId,
        kind: r.kind,
        externalId: r.externalId,
        amount,
        reason: r.reason,
      },
      select: { id: true },
    });

    const commissions = await lockCommissions(
      tx,
      Prisma.sql`c."conversionId" = ${r.conversionId}::uuid AND ${refundable}`,
    );
    const history = await tx.ledgerEntry.groupBy({
      by: ['commissionId', 'type'],
      where: {
        commissionId: { in: commissions.map((c) => c.id) },
        type: { in: ['EARNED', 'REVERSED', 'CLAWBACK'] },
      },
      _sum: { amount: true },
    });
    const total = (id: string, type: string) =>
      Math.abs(history.find((h) => h.commissionId === id && h.type === type)?._sum.amount ?? 0);
    const moves: { commission: (typeof commissions)[number]; movement: Movement }[] = [];
    for (const c of commissions) {
      const reversal = reversalFor({
        commission: total(c.id, 'EARNED'),
        saleAmount: sale.amount,
        refundedBefore,
        refund: amount,
        reversedSoFar: total(c.id, 'REVERSED') + total(c.id, 'CLAWBACK'),
      });
      if (reversal === 0) continue;
      const paid = c.status === 'PAID';
      moves.push({
        commission: c,
        movement: {
          type: paid ? 'CLAWBACK' : 'REVERSED',
          from: paid ? null : c.status === 'PENDING' ? 'PENDING' : 'APPROVED',
          to: paid ? 'OWED' : null,
          amount: reversal,
          memo: `${r.kind === 'REFUND' ? 'refund' : 'chargeback'} ${r.externalId}${r.reason ? `: ${r.reason}` : ''}`,
          createdById: r.createdById,
          key: `reversed:${adjustment.id}:${c.id}`,
        },
      });
      const net = c.amount - reversal;
      await tx.commission.update({
        where: { id: c.id },
        // Paid stays paid: what was paid out is history; the clawback is owed back.
        data: { amount: net, status: net === 0 && !paid ? 'REVERSED' : c.status },
      });
    }
    await book(tx, moves);
    // The sale's day in the reports: revenue net of refunds, commissions net of reversals.
    await rollupChange(tx, r.conversionId, {
      refunded: { before: refundedBefore, after: refundedBefore + amount },
      commission: -moves.reduce((sum, m) => sum + m.movement.amount, 0),
    });
    await emit(
      tx,
      moves.flatMap(({ commission, movement }) =>
        commissionEvent(commission, 'COMMISSION_REVERSED', movement.memo ?? null, {
          // `amount` is what the commission is worth now; `reversed` what this refund took off.
          amount: commission.amount - movement.amount,
          reversed: movement.amount,
          clawback: movement.type === 'CLAWBACK',
        }),
      ),
    );
    return { adjustmentId: adjustment.id, replayed: false };
  });
}
