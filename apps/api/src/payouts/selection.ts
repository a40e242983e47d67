// Which affiliates a payout run pays, and how much. Pure: the caller reads the candidates.

export interface Candidate {
  id: string;
  amount: number;
  currency: string;
  programId: string;
  enrollmentId: string;
  affiliateId: string;
}

/** An amount per affiliate and currency: what is owed back, or what open batches net already. */
export interface Owed {
  affiliateId: string;
  currency: string;
  amount: number;
}

export interface Item {
  affiliateId: string;
  currency: string;
  /** What is paid: the approved commissions less what the affiliate owes back. */
  amount: number;
  /** The owed amount this item recovers. */
  netted: number;
  commissionIds: string[];
}

const key = (o: { affiliateId: string; currency: string }) => `${o.affiliateId}/${o.currency}`;

/**
 * One item per affiliate and currency whose approved commissions, less what it owes back (clawbacks
 * not yet recovered by another open batch), reach the payout threshold. With several programs in
 * one run the lowest threshold among them applies: each program agreed to pay at its own level.
 * Balances below the threshold (or owing more than earned) are left to roll over.
 */
export function payoutItemsFor(
  commissions: readonly Candidate[],
  owed: readonly Owed[],
  netting: readonly Owed[],
  thresholdByEnrollment: ReadonlyMap<string, number>,
): { items: Item[]; rolledOver: number } {
  const groups = new Map<
    string,
    { affiliateId: string; currency: string; total: number; threshold: number; ids: string[] }
  >();
  for (const c of commissions) {
    const k = key(c);
    const threshold = thresholdByEnrollment.get(c.enrollmentId) ?? 0;
    const group = groups.get(k) ?? {
      affiliateId: c.affiliateId,
      currency: c.currency,
      total: 0,
      threshold,
      ids: [],
    };
    group.total += c.amount;
    group.threshold = Math.min(group.threshold, threshold);
    group.ids.push(c.id);
    groups.set(k, group);
  }
  const sum = (list: readonly Owed[], k: string) =>
    list.filter((o) => key(o) === k).reduce((total, o) => total + o.amount, 0);
  const items: Item[] = [];
  let rolledOver = 0;
  for (const [k, g] of groups) {
    const owes = Math.max(0, sum(owed, k) - sum(netting, k));
    const netted = Math.min(owes, g.total);
    const amount = g.total - netted;
    if (amount <= 0 || amount < g.threshold) {
      rolledOver++;
      continue;
    }
    items.push({ affiliateId: g.affiliateId, currency: g.currency, amount, netted, commissionIds: g.ids });
  }
  return { items, rolledOver };
}
