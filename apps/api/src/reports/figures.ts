import { mulDivHalfUp } from '../commissions/engine.ts';

/** What reports add up: counts, and money in the program's currency (minor units). */
export interface Sums {
  clicks: number;
  uniqueClicks: number;
  leads: number;
  sales: number;
  /** Sales net of refunds. */
  revenue: number;
  /** Commissions net of reversals; rejected ones left out. */
  commission: number;
}

/** Sums and what is derived from them; a ratio over nothing is null, not zero. */
export interface Figures extends Sums {
  /** Sales per unique click (coupon sales have no click, so it can pass 1). */
  conversionRate: number | null;
  /** Revenue per sale, rounded half up to a minor unit. */
  averageOrderValue: number | null;
  /** Commission per click, rounded half up to a minor unit. */
  earningsPerClick: number | null;
  /** Commission per 100 clicks (the networks' usual EPC), rounded half up to a minor unit. */
  earningsPer100Clicks: number | null;
}

const names = ['clicks', 'uniqueClicks', 'leads', 'sales', 'revenue', 'commission'] as const;

const safe = (value: bigint | number | null | undefined) => {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`a report sum is out of range: ${value}`);
  return n;
};

/** Derived figures; `mulDivHalfUp` is the commission engine's exact integer rounding. */
export function figures(s: Sums): Figures {
  const per = (amount: number, times: number, count: number) =>
    count > 0 && amount >= 0
      ? mulDivHalfUp(amount, times, count)
      : count > 0
        ? -mulDivHalfUp(-amount, times, count)
        : null;
  return {
    ...s,
    conversionRate: s.uniqueClicks > 0 ? s.sales / s.uniqueClicks : null,
    averageOrderValue: per(s.revenue, 1, s.sales),
    earningsPerClick: per(s.commission, 1, s.clicks),
    earningsPer100Clicks: per(s.commission, 100, s.clicks),
  };
}

/** A database row's sums (bigint or missing) as figures. */
export function sumsOf(row?: Partial<Record<keyof Sums, bigint | number | null>>): Figures {
  const s = Object.fromEntries(names.map((n) => [n, safe(row?.[n])])) as unknown as Sums;
  return figures(s);
}

/** Several periods' figures added up (a range's totals from its days). */
export function total(rows: readonly Sums[]): Figures {
  const s = Object.fromEntries(
    names.map((n) => [n, safe(rows.reduce((a, r) => a + r[n], 0))]),
  ) as unknown as Sums;
  return figures(s);
}
