import { prisma } from '../db.ts';
import { conflict, notFound } from '../errors.ts';
import { type CommissionStatus, Prisma } from '../generated/prisma/client.ts';
import { book, type CommissionParties } from './ledger.ts';

type Tx = Prisma.TransactionClient;

interface Locked extends CommissionParties {
  status: CommissionStatus;
  amount: number;
}

/** Commissions locked for this transaction; FOR UPDATE makes concurrent changes queue up. */
export function lockCommissions(tx: Tx, where: Prisma.Sql, limit = 1_000, skipLocked = false) {
  return tx.$queryRaw<Locked[]>`
    SELECT c.id, c."programId", c."enrollmentId", c.currency, c.status, c.amount, e."affiliateId"
    FROM "Commission" c JOIN "Enrollment" e ON e.id = c."enrollmentId"
    WHERE ${where}
    ORDER BY c."holdUntil", c.id
    LIMIT ${limit}
    FOR UPDATE OF c ${skipLocked ? Prisma.sql`SKIP LOCKED` : Prisma.empty}`;
}

const batchSize = 500;

/**
 * Approves pending commissions whose holding period has ended, in batches. Safe to run from
 * several API instances at once: each batch locks its rows with SKIP LOCKED, so instances
 * take different rows, and a row is approved only while it is still pending. A commission whose
 * conversion waits in the fraud review queue (or was rejected) stays pending.
 */
export async function approveDue(options: { now?: Date; programId?: string } = {}): Promise<number> {
  const now = options.now ?? new Date();
  let approved = 0;
  for (;;) {
    const count = await prisma.$transaction(async (tx) => {
      const rows = await lockCommissions(
        tx,
        Prisma.sql`c.status = 'PENDING' AND c."holdUntil" <= ${now}
          ${options.programId ? Prisma.sql`AND c."programId" = ${options.programId}::uuid` : Prisma.empty}
          AND NOT EXISTS (SELECT 1 FROM "Conversion" v WHERE v.id = c."conversionId" AND v.status <> 'ACCEPTED')`,
        batchSize,
        true,
      );
      if (!rows.length) return 0;
      await tx.commission.updateMany({
        where: { id: { in: rows.map((r) => r.id) }, status: 'PENDING' },
        data: { status: 'APPROVED' },
      });
      await book(
        tx,
        rows.map((commission) => ({
          commission,
          movement: {
            type: 'APPROVED',
            from: 'PENDING',
            to: 'APPROVED',
            amount: commission.amount,
            memo: 'holding period ended',
            key: `approved:${commission.id}`,
          },
        })),
      );
      return rows.length;
    });
    approved += count;
    if (count < batchSize) return approved;
  }
}

/**
 * The merchant's decision on one pending commission: approve it before its holding period ends,
 * or reject it (it then earns nothing). The reason is kept in the ledger entry.
 */
export async function decideCommission(
  commissionId: string,
  decision: 'APPROVE' | 'REJECT',
  reason: string | null,
  createdById: string | null,
) {
  await prisma.$transaction(async (tx) => {
    const [commission] = await lockCommissions(tx, Prisma.sql`c.id = ${commissionId}::uuid`);
    if (!commission) throw notFound('Commission');
    if (commission.status !== 'PENDING')
      throw conflict(
        `The commission is ${commission.status.toLowerCase()}: only a pending one can be approved or rejected`,
      );
    const approve = decision === 'APPROVE';
    await tx.commission.update({
      where: { id: commissionId },
      data: { status: approve ? 'APPROVED' : 'REJECTED' },
    });
    await book(tx, [
      {
        commission,
        movement: {
          type: approve ? 'APPROVED' : 'REJECTED',
          from: 'PENDING',
          to: approve ? 'APPROVED' : null,
          amount: commission.amount,
          memo: reason,
          createdById,
          key: `${approve ? 'approved' : 'rejected'}:${commission.id}`,
        },
      },
    ]);
  });
}
