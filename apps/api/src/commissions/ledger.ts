import type { LedgerAccount, LedgerEntryType, Prisma } from '../generated/prisma/client.ts';
import { uuidv7 } from '../ids.ts';

type Tx = Prisma.TransactionClient;

/** What every ledger entry of a commission repeats: whose money, where, in which currency. */
export interface CommissionParties {
  id: string;
  programId: string;
  enrollmentId: string;
  affiliateId: string;
  currency: string;
}

export interface Movement {
  type: LedgerEntryType;
  /** Out of this account (a negative entry), when the money was in one. */
  from: LedgerAccount | null;
  /** Into this account (a positive entry), when it stays on the books. */
  to: LedgerAccount | null;
  amount: number;
  memo?: string | null;
  createdById?: string | null;
  /** Unique across the ledger: the same movement cannot be booked twice. */
  key: string;
  /** The payout item that paid it, for payouts. */
  payoutItemId?: string | null;
}

/**
 * The ledger rows of movements of commissions: one row per account touched, the rows of one
 * movement sharing a group id. Entries are only ever added, never changed.
 */
export function entriesFor(items: { commission: CommissionParties; movement: Movement }[]) {
  return items.flatMap(({ commission: c, movement: m }) => {
    const groupId = uuidv7();
    const base = {
      groupId,
      type: m.type,
      currency: c.currency,
      programId: c.programId,
      enrollmentId: c.enrollmentId,
      affiliateId: c.affiliateId,
      commissionId: c.id,
      memo: m.memo ?? null,
      createdById: m.createdById ?? null,
      payoutItemId: m.payoutItemId ?? null,
    };
    const rows: Prisma.LedgerEntryCreateManyInput[] = [];
    if (m.from) rows.push({ ...base, account: m.from, amount: -m.amount, idempotencyKey: `${m.key}:out` });
    if (m.to) rows.push({ ...base, account: m.to, amount: m.amount, idempotencyKey: `${m.key}:in` });
    return rows;
  });
}

export async function book(tx: Tx, items: { commission: CommissionParties; movement: Movement }[]) {
  if (items.length) await tx.ledgerEntry.createMany({ data: entriesFor(items) });
}
