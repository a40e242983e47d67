import type { Db } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';

export interface LedgerIssue {
  rule: string;
  subject: string;
  detail: string;
}

type Scope = { organizationId?: string };

/** `AND <column> IN (the organization's programs)`, or nothing for the whole ledger. */
const inOrganization = (organizationId: string | undefined, column = '"programId"') =>
  organizationId
    ? Prisma.sql`AND ${Prisma.raw(column)} IN (SELECT id FROM "Program" WHERE "organizationId" = ${organizationId}::uuid)`
    : Prisma.empty;

/**
 * Proves the books add up, from the ledger's own entries:
 * - every commission's entries, account by account, match its state (pending money in PENDING,
 *   approved in APPROVED, paid in PAID less what was clawed back into OWED, nothing left for a
 *   rejected or reversed one);
 * - every movement between accounts (approval, payout) nets to zero;
 * - every paid payout item's entries add up to the amount paid;
 * - the balances reported per affiliate, program, currency and account equal the sum of entries.
 * Returns what does not hold; an empty list means the ledger is consistent.
 */
export async function checkLedger(db: Db, scope: Scope = {}): Promise<LedgerIssue[]> {
  const issues: LedgerIssue[] = [];
  const where = inOrganization(scope.organizationId);

  const commissions = await db.$queryRaw<
    {
      id: string;
      status: string;
      amount: number;
      pending: bigint;
      approved: bigint;
      paid: bigint;
      owed: bigint;
    }[]
  >`
    SELECT c.id, c.status::text, c.amount,
      coalesce(sum(l.amount) FILTER (WHERE l.account = 'PENDING'), 0) AS pending,
      coalesce(sum(l.amount) FILTER (WHERE l.account = 'APPROVED'), 0) AS approved,
      coalesce(sum(l.amount) FILTER (WHERE l.account = 'PAID'), 0) AS paid,
      coalesce(sum(l.amount) FILTER (WHERE l.account = 'OWED'), 0) AS owed
    FROM "Commission" c LEFT JOIN "LedgerEntry" l ON l."commissionId" = c.id
    WHERE true ${inOrganization(scope.organizationId, 'c."programId"')}
    GROUP BY c.id`;
  for (const c of commissions) {
    const actual = {
      PENDING: Number(c.pending),
      APPROVED: Number(c.approved),
      PAID: Number(c.paid),
      OWED: Number(c.owed),
    };
    const expected = { PENDING: 0, APPROVED: 0, PAID: 0, OWED: actual.OWED };
    if (c.status === 'PENDING') expected.PENDING = c.amount;
    if (c.status === 'APPROVED') expected.APPROVED = c.amount;
    // Paid commissions keep what was paid in PAID; later refunds are owed back, not unpaid.
    if (c.status === 'PAID') expected.PAID = c.amount + actual.OWED;
    else if (actual.OWED !== 0) expected.OWED = 0;
    for (const account of ['PENDING', 'APPROVED', 'PAID', 'OWED'] as const)
      if (actual[account] !== expected[account])
        issues.push({
          rule: 'commission entries match its state',
          subject: `commission ${c.id} (${c.status}, ${c.amount})`,
          detail: `${account}: entries sum to ${actual[account]}, expected ${expected[account]}`,
        });
  }

  const unbalanced = await db.$queryRaw<{ groupId: string; type: string; total: bigint }[]>`
    SELECT "groupId", type::text, sum(amount) AS total FROM "LedgerEntry"
    WHERE type IN ('APPROVED', 'PAYOUT') ${where}
    GROUP BY "groupId", type HAVING sum(amount) <> 0`;
  for (const g of unbalanced)
    issues.push({
      rule: 'a movement between accounts nets to zero',
      subject: `${g.type} movement ${g.groupId}`,
      detail: `its entries sum to ${g.total}`,
    });

  const items = await db.$queryRaw<{ id: string; amount: number; paid: bigint }[]>`
    SELECT i.id, i.amount, coalesce(sum(l.amount) FILTER (WHERE l.account = 'PAID'), 0) AS paid
    FROM "PayoutItem" i
    JOIN "Payout" p ON p.id = i."payoutId"
    LEFT JOIN "LedgerEntry" l ON l."payoutItemId" = i.id
    WHERE i.status = 'PAID' ${scope.organizationId ? Prisma.sql`AND p."organizationId" = ${scope.organizationId}::uuid` : Prisma.empty}
    GROUP BY i.id`;
  for (const i of items)
    if (Number(i.paid) !== i.amount)
      issues.push({
        rule: 'a paid item’s entries add up to the amount paid',
        subject: `payout item ${i.id}`,
        detail: `PAID entries sum to ${i.paid}, the item paid ${i.amount}`,
      });

  // The reported balances (one SQL aggregate) against a sum of the raw entries done here.
  const reported = await balances(db, scope);
  const entries = await db.$queryRaw<{ key: string; amount: number }[]>`
    SELECT concat_ws('/', "affiliateId", "programId", currency, account) AS key, amount
    FROM "LedgerEntry" WHERE true ${where}`;
  const summed = new Map<string, number>();
  for (const e of entries) summed.set(e.key, (summed.get(e.key) ?? 0) + e.amount);
  const seen = new Set<string>();
  for (const b of reported) {
    for (const account of ['PENDING', 'APPROVED', 'PAID', 'OWED'] as const) {
      const key = `${b.affiliateId}/${b.programId}/${b.currency}/${account}`;
      seen.add(key);
      const value = { PENDING: b.pending, APPROVED: b.approved, PAID: b.paid, OWED: b.owed }[account];
      if ((summed.get(key) ?? 0) !== value)
        issues.push({
          rule: 'balances equal the sum of entries',
          subject: key,
          detail: `balance ${value}, entries ${summed.get(key) ?? 0}`,
        });
    }
  }
  for (const [key, value] of summed)
    if (!seen.has(key) && value !== 0)
      issues.push({
        rule: 'balances equal the sum of entries',
        subject: key,
        detail: `no balance, entries ${value}`,
      });
  return issues;
}

export interface Balance {
  affiliateId: string;
  programId: string;
  currency: string;
  pending: number;
  approved: number;
  paid: number;
  owed: number;
}

/** Balances per affiliate, program and currency, derived from the entries. */
export async function balances(
  db: Db,
  filter: { organizationId?: string; affiliateId?: string; programId?: string } = {},
): Promise<Balance[]> {
  const rows = await db.$queryRaw<
    (Omit<Balance, 'pending' | 'approved' | 'paid' | 'owed'> &
      Record<'pending' | 'approved' | 'paid' | 'owed', bigint>)[]
  >`
    SELECT "affiliateId", "programId", currency,
      coalesce(sum(amount) FILTER (WHERE account = 'PENDING'), 0) AS pending,
      coalesce(sum(amount) FILTER (WHERE account = 'APPROVED'), 0) AS approved,
      coalesce(sum(amount) FILTER (WHERE account = 'PAID'), 0) AS paid,
      coalesce(sum(amount) FILTER (WHERE account = 'OWED'), 0) AS owed
    FROM "LedgerEntry"
    WHERE true
      ${inOrganization(filter.organizationId)}
      ${filter.affiliateId ? Prisma.sql`AND "affiliateId" = ${filter.affiliateId}::uuid` : Prisma.empty}
      ${filter.programId ? Prisma.sql`AND "programId" = ${filter.programId}::uuid` : Prisma.empty}
    GROUP BY "affiliateId", "programId", currency
    ORDER BY "programId", "affiliateId", currency`;
  return rows.map((r) => ({
    ...r,
    pending: Number(r.pending),
    approved: Number(r.approved),
    paid: Number(r.paid),
    owed: Number(r.owed),
  }));
}
