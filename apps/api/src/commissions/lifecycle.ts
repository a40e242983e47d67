import { prisma } from '../db.ts';
import { conflict, notFound } from '../errors.ts';
import { type CommissionStatus, Prisma } from '../generated/prisma/client.ts';
import { uuidv7 } from '../ids.ts';
import { rollupChange } from '../reports/rollup.ts';
import { emit, toEach } from '../webhooks/outbox.ts';
import { book, type CommissionParties } from './ledger.ts';

type Tx = Prisma.TransactionClient;

interface Locked extends CommissionParties {
  conversionId: string | null;
  status: CommissionStatus;
  amount: number;
  /** The merchant's and the affiliate's organizations, who hear about changes. */
  merchantId: string;
  affiliateOrganizationId: string;
}

/** Commissions locked for this transaction; FOR UPDATE makes concurrent changes queue up. */
export function lockCommissions(tx: Tx, where: Prisma.Sql, limit = 1_000, skipLocked = false) {
  return tx.$queryRaw<Locked[]>`
    SELECT c.id, c."programId", c."enrollmentId", c."conversionId", c.currency, c.status, c.amount, e."affiliateId",
      p."organizationId" AS "merchantId", a."organizationId" AS "affiliateOrganizationId"
    FROM "Commission" c
    JOIN "Enrollment" e ON e.id = c."enrollmentId"
    JOIN "Program" p ON p.id = c."programId"
    JOIN "AffiliateProfile" a ON a.id = e."affiliateId"
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
      await emit(
        tx,
        rows.flatMap((c) => commissionEvent(c, 'COMMISSION_APPROVED', 'holding period ended')),
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
    if (decision === 'REJECT') return rejectLocked(tx, [commission], reason, createdById);
    const [held] = await tx.$queryRaw<{ status: string }[]>`
      SELECT v.status FROM "Commission" c JOIN "Conversion" v ON v.id = c."conversionId"
      WHERE c.id = ${commissionId}::uuid AND v.status <> 'ACCEPTED'`;
    if (held)
      throw conflict(
        `The conversion is ${held.status.toLowerCase()}: review it (reviewConversion) before approving its commission`,
      );
    await tx.commission.update({ where: { id: commissionId }, data: { status: 'APPROVED' } });
    await book(tx, [
      {
        commission,
        movement: {
          type: 'APPROVED',
          from: 'PENDING',
          to: 'APPROVED',
          amount: commission.amount,
          memo: reason,
          createdById,
          key: `approved:${commission.id}`,
        },
      },
    ]);
    await emit(tx, commissionEvent(commission, 'COMMISSION_APPROVED', reason));
  });
}

/**
 * Rejects commissions locked by this transaction, pending or approved: they earn nothing, and a
 * REJECTED ledger entry takes each out of the account it was in, with why (`memo`). `key` names
 * the entries (one per commission, so a repeat books nothing twice).
 */
export async function rejectLocked(
  tx: Tx,
  commissions: Locked[],
  memo: string | null,
  createdById: string | null,
  key = 'rejected',
) {
  if (!commissions.length) return;
  await tx.commission.updateMany({
    where: { id: { in: commissions.map((c) => c.id) } },
    data: { status: 'REJECTED' },
  });
  await book(
    tx,
    commissions.map((commission) => ({
      commission,
      movement: {
        type: 'REJECTED' as const,
        from: commission.status === 'APPROVED' ? ('APPROVED' as const) : ('PENDING' as const),
        to: null,
        amount: commission.amount,
        memo,
        createdById,
        key: `${key}:${commission.id}`,
      },
    })),
  );
  // A conversion's rejected commissions leave its reports' figures.
  const byConversion = new Map<string, number>();
  for (const c of commissions)
    if (c.conversionId) byConversion.set(c.conversionId, (byConversion.get(c.conversionId) ?? 0) + c.amount);
  for (const [conversionId, amount] of byConversion)
    await rollupChange(tx, conversionId, { commission: -amount });
}

/** An event about a commission, for the merchant and the affiliate. */
export const commissionEvent = (
  c: Locked,
  type: 'COMMISSION_APPROVED' | 'COMMISSION_REVERSED',
  reason: string | null,
  extra: Record<string, unknown> = {},
) =>
  toEach([c.merchantId, c.affiliateOrganizationId], type, {
    commissionId: c.id,
    programId: c.programId,
    enrollmentId: c.enrollmentId,
    currency: c.currency,
    amount: c.amount,
    reason,
    ...extra,
  });

/**
 * A manual adjustment by the merchant: a credit becomes an approved ADJUSTMENT commission (paid
 * with the next payout); a debit is owed back (OWED), recovered from the next payout.
 */
export async function adjustBalance(
  enrollmentId: string,
  amount: number,
  reason: string,
  createdById: string | null,
): Promise<{ commissionId: string | null }> {
  return prisma.$transaction(async (tx) => {
    const e = await tx.enrollment.findUniqueOrThrow({
      where: { id: enrollmentId },
      select: { programId: true, affiliateId: true, program: { select: { currency: true } } },
    });
    const parties = {
      programId: e.programId,
      enrollmentId,
      affiliateId: e.affiliateId,
      currency: e.program.currency,
    };
    if (amount > 0) {
      const commission = await tx.commission.create({
        data: {
          programId: e.programId,
          enrollmentId,
          kind: 'ADJUSTMENT',
          status: 'APPROVED',
          amount,
          currency: e.program.currency,
          holdUntil: new Date(),
          reason,
        },
        select: { id: true },
      });
      await book(tx, [
        {
          commission: { id: commission.id, ...parties },
          movement: {
            type: 'ADJUSTMENT',
            from: null,
            to: 'APPROVED',
            amount,
            memo: reason,
            createdById,
            key: `adjusted:${commission.id}`,
          },
        },
      ]);
      return { commissionId: commission.id };
    }
    const groupId = uuidv7();
    await tx.ledgerEntry.create({
      data: {
        ...parties,
        groupId,
        type: 'ADJUSTMENT',
        account: 'OWED',
        amount: -amount,
        memo: reason,
        createdById,
        idempotencyKey: `adjusted:${groupId}:in`,
      },
    });
    return { commissionId: null };
  });
}
