import { book, type CommissionParties, type Movement } from '../commissions/ledger.ts';
import { prisma } from '../db.ts';
import { conflict, notFound } from '../errors.ts';
import type { PayoutStatus, Prisma } from '../generated/prisma/client.ts';
import { uuidv7 } from '../ids.ts';
import { emit, toEach } from '../webhooks/outbox.ts';

type Tx = Prisma.TransactionClient;

async function lockPayout(tx: Tx, payoutId: string) {
  const [payout] = await tx.$queryRaw<{ id: string; status: PayoutStatus }[]>`
    SELECT id, status FROM "Payout" WHERE id = ${payoutId}::uuid FOR UPDATE`;
  if (!payout) throw notFound('Payout');
  return payout;
}

/** DRAFT → APPROVED: the merchant checked the batch. */
export function approvePayout(payoutId: string) {
  return prisma.$transaction(async (tx) => {
    const payout = await lockPayout(tx, payoutId);
    if (payout.status !== 'DRAFT')
      throw conflict(`The payout is ${payout.status.toLowerCase()}, not a draft`);
    await tx.payout.update({ where: { id: payoutId }, data: { status: 'APPROVED', approvedAt: new Date() } });
  });
}

/** APPROVED → PROCESSING: the money is on its way (the file went to the bank or provider). */
export function startProcessing(payoutId: string) {
  return prisma.$transaction(async (tx) => {
    const payout = await lockPayout(tx, payoutId);
    if (payout.status !== 'APPROVED')
      throw conflict(`The payout is ${payout.status.toLowerCase()}: only an approved one can be processed`);
    await tx.payout.update({ where: { id: payoutId }, data: { status: 'PROCESSING' } });
    await tx.payoutItem.updateMany({
      where: { payoutId, status: 'PENDING' },
      data: { status: 'PROCESSING' },
    });
  });
}

/** The item, locked with its batch, if it can still be paid or fail. */
async function openItem(tx: Tx, itemId: string) {
  const item = await tx.payoutItem.findUnique({ where: { id: itemId } });
  if (!item) throw notFound('Payout item');
  const payout = await lockPayout(tx, item.payoutId);
  const [locked] = await tx.$queryRaw<{ status: string }[]>`
    SELECT status FROM "PayoutItem" WHERE id = ${itemId}::uuid FOR UPDATE`;
  if (locked!.status !== 'PENDING' && locked!.status !== 'PROCESSING')
    throw conflict(`The payout item is already ${locked!.status.toLowerCase()}`);
  if (payout.status !== 'APPROVED' && payout.status !== 'PROCESSING')
    throw conflict(`The payout is ${payout.status.toLowerCase()}: approve it before paying its items`);
  return item;
}

/**
 * Records that the item was paid. Its commissions become PAID, their money moves from APPROVED
 * to PAID, and whatever the item paid less than they are worth is what the affiliate owed back
 * (recovered: out of OWED), or, if a refund shrank them meanwhile, what it now owes (into OWED).
 */
export function markItemPaid(itemId: string, externalReference: string, createdById: string | null) {
  return prisma.$transaction(async (tx) => {
    const item = await openItem(tx, itemId);
    const commissions = await tx.$queryRaw<(CommissionParties & { amount: number })[]>`
      SELECT c.id, c."programId", c."enrollmentId", c.currency, c.amount, e."affiliateId"
      FROM "Commission" c JOIN "Enrollment" e ON e.id = c."enrollmentId"
      WHERE c."payoutItemId" = ${itemId}::uuid
      ORDER BY c.id FOR UPDATE OF c`;
    await tx.payoutItem.update({
      where: { id: itemId },
      data: { status: 'PAID', paidAt: new Date(), externalReference },
    });
    await tx.commission.updateMany({ where: { payoutItemId: itemId }, data: { status: 'PAID' } });
    const moves = commissions.map((commission) => ({
      commission,
      movement: {
        type: 'PAYOUT',
        from: 'APPROVED',
        to: 'PAID',
        amount: commission.amount,
        memo: externalReference,
        createdById,
        key: `paid:${itemId}:${commission.id}`,
        payoutItemId: itemId,
      } satisfies Movement,
    }));
    await book(tx, moves);
    const recovered = commissions.reduce((sum, c) => sum + c.amount, 0) - item.amount;
    if (recovered !== 0 && commissions[0]) {
      // Booked on the item, not on a commission: what is owed belongs to the affiliate.
      const groupId = uuidv7();
      const base = {
        groupId,
        type: 'CLAWBACK' as const,
        currency: item.currency,
        programId: commissions[0].programId,
        enrollmentId: commissions[0].enrollmentId,
        affiliateId: item.affiliateId,
        payoutItemId: itemId,
        memo: recovered > 0 ? 'recovered from this payout' : 'paid more than the commissions are now worth',
        createdById,
      };
      await tx.ledgerEntry.createMany({
        data: [
          { ...base, account: 'OWED', amount: -recovered, idempotencyKey: `recovered:${itemId}:out` },
          { ...base, account: 'PAID', amount: -recovered, idempotencyKey: `recovered:${itemId}:in` },
        ],
      });
    }
    const payout = await tx.payout.findUniqueOrThrow({
      where: { id: item.payoutId },
      select: { organizationId: true },
    });
    const affiliate = await tx.affiliateProfile.findUniqueOrThrow({
      where: { id: item.affiliateId },
      select: { organizationId: true },
    });
    await emit(
      tx,
      toEach([payout.organizationId, affiliate.organizationId], 'PAYOUT_PAID', {
        payoutId: item.payoutId,
        itemId,
        affiliateId: item.affiliateId,
        currency: item.currency,
        amount: item.amount,
        externalReference,
      }),
    );
    await settle(tx, item.payoutId);
  });
}

/** Records that the item failed: its commissions go back to the approved balance, for a later run. */
export function markItemFailed(itemId: string, reason: string) {
  return prisma.$transaction(async (tx) => {
    const item = await openItem(tx, itemId);
    await tx.payoutItem.update({ where: { id: itemId }, data: { status: 'FAILED', failureReason: reason } });
    await tx.commission.updateMany({ where: { payoutItemId: itemId }, data: { payoutItemId: null } });
    await settle(tx, item.payoutId);
  });
}

/** Once every item is paid or failed, the batch is PAID, FAILED or PARTIALLY_PAID. */
async function settle(tx: Tx, payoutId: string) {
  const items = await tx.payoutItem.findMany({ where: { payoutId }, select: { status: true } });
  if (items.some((i) => i.status === 'PENDING' || i.status === 'PROCESSING')) return;
  const status = items.every((i) => i.status === 'PAID')
    ? 'PAID'
    : items.every((i) => i.status === 'FAILED')
      ? 'FAILED'
      : 'PARTIALLY_PAID';
  await tx.payout.update({ where: { id: payoutId }, data: { status, completedAt: new Date() } });
}
