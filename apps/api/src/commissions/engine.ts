import type { Terms } from '../programs/terms.ts';

// The commission rules as a pure function of terms, conversion facts and prior volume. No database
// and no clock, so every rule can be tested to the cent; callers gather the facts.

export type CommissionLineKind = 'SALE' | 'LEAD' | 'CLICK' | 'RECURRING' | 'BONUS';
export interface CommissionLine {
  kind: CommissionLineKind;
  amount: number;
  detail: string;
  dedupeKey?: string;
}
/** Sales in a period: how many, and their revenue in minor units. */
export interface Volume {
  count: number;
  revenue: number;
}

type Period = 'MONTH' | 'QUARTER' | 'YEAR';

/**
 * round_half_up(a * b / d) for non-negative integers. BigInt because a * b can exceed 2^53
 * (commission × refunded amount in reversalFor); a float product would lose cents.
 */
export function mulDivHalfUp(a: number, b: number, d: number): number {
  for (const n of [a, b, d])
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`expected a non-negative integer, got ${n}`);
  if (d === 0) throw new RangeError('division by zero');
  const D = BigInt(d);
  return Number((BigInt(a) * BigInt(b) * 2n + D) / (2n * D));
}

/**
 * Rounding rule: half up, i.e. round(amount * bps / 10000) with an exact .5 going up
 * (1 cent at 50% → 1). Computed on integers, so no float error can move a cent.
 */
export function percentOf(amount: number, bps: number): number {
  return mulDivHalfUp(amount, bps, 10_000);
}

/** Calendar period containing `at`, in UTC: [start, end). key: '2026-11' (MONTH), '2026-Q4' (QUARTER), '2026' (YEAR). */
export function periodOf(period: Period, at: Date): { start: Date; end: Date; key: string } {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  // Date.UTC rolls month 12 over into January of the next year, which gives every end for free.
  if (period === 'MONTH')
    return {
      start: new Date(Date.UTC(year, month, 1)),
      end: new Date(Date.UTC(year, month + 1, 1)),
      key: `${year}-${String(month + 1).padStart(2, '0')}`,
    };
  if (period === 'QUARTER') {
    const q = Math.floor(month / 3);
    return {
      start: new Date(Date.UTC(year, q * 3, 1)),
      end: new Date(Date.UTC(year, q * 3 + 3, 1)),
      key: `${year}-Q${q + 1}`,
    };
  }
  return { start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year + 1, 0, 1)), key: `${year}` };
}

export type ConversionFacts =
  | { kind: 'SALE'; amount: number; isRenewal: false }
  | { kind: 'SALE'; amount: number; isRenewal: true; monthsSinceFirstSale: number } // whole months since the customer's first attributed sale, 0 for the same month
  | { kind: 'LEAD' }
  | { kind: 'CLICK'; count?: number }; // count: unique clicks paid together (a day's), default 1

const grouped = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pct = (bps: number) => `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
const volumeText = (basis: 'COUNT' | 'REVENUE', n: number, period: Period) =>
  `${grouped(n)} ${basis === 'COUNT' ? 'sales' : 'revenue'} this ${period.toLowerCase()}`;

/** The base (or tiered) commission on a new sale, before the zero filter. */
function saleLine(terms: Terms, amount: number, tierVolume: Volume): CommissionLine | null {
  const { sale, tiers } = terms;
  if (sale.type === 'NONE') return null;
  let rateBps = sale.rateBps;
  let flatAmount = sale.flatAmount;
  let why = '';
  if (tiers) {
    const volume = tiers.basis === 'COUNT' ? tierVolume.count : tierVolume.revenue;
    // Volume BEFORE this sale decides, so the sale that reaches a threshold is still paid at the old
    // level and the next one at the new level. Levels are ascending: the last one reached wins.
    const index = tiers.levels.findLastIndex((l) => l.threshold <= volume);
    const level = tiers.levels[index];
    if (level) {
      // Validation requires the value matching the sale type; a missing one falls back to the base.
      rateBps = level.rateBps ?? rateBps;
      flatAmount = level.flatAmount ?? flatAmount;
      why = `tier ${index + 1} (≥ ${volumeText(tiers.basis, level.threshold, tiers.period)}): `;
    }
  }
  if (sale.type === 'PERCENTAGE')
    return rateBps === null
      ? null
      : {
          kind: 'SALE',
          amount: percentOf(amount, rateBps),
          detail: `${why}${pct(rateBps)} of ${grouped(amount)}`,
        };
  return flatAmount === null
    ? null
    : { kind: 'SALE', amount: flatAmount, detail: `${why}flat ${grouped(flatAmount)}` };
}

function recurringLine(terms: Terms, amount: number, monthsSinceFirstSale: number): CommissionLine | null {
  const { recurring } = terms;
  let when: string;
  if (recurring.mode === 'LIFETIME') when = 'renewal (lifetime)';
  else if (
    recurring.mode === 'MONTHS' &&
    recurring.months !== null &&
    monthsSinceFirstSale < recurring.months
  )
    // monthsSinceFirstSale is 0 in the first sale's month, so "for 12 months" allows 0..11.
    when = `renewal, month ${monthsSinceFirstSale + 1} of ${recurring.months}`;
  else return null;
  // Validation only lets rateBps be omitted when the sale is a percentage: renewals then earn the sale rate.
  const rateBps = recurring.rateBps ?? (terms.sale.type === 'PERCENTAGE' ? terms.sale.rateBps : null);
  if (rateBps === null) return null;
  return {
    kind: 'RECURRING',
    amount: percentOf(amount, rateBps),
    detail: `${when}: ${pct(rateBps)} of ${grouped(amount)}`,
  };
}

function bonusLine(
  terms: Terms,
  amount: number,
  before: Volume,
  context: { enrollmentId: string; at: Date },
) {
  const { bonus } = terms;
  if (!bonus) return null;
  const prior = bonus.basis === 'COUNT' ? before.count : before.revenue;
  const after = prior + (bonus.basis === 'COUNT' ? 1 : amount);
  // Paid only by the sale that crosses the threshold; the dedupe key makes a retried or concurrent
  // crossing in the same period collapse to one bonus.
  if (!(prior < bonus.threshold && bonus.threshold <= after)) return null;
  const { key } = periodOf(bonus.period, context.at);
  return {
    kind: 'BONUS',
    amount: bonus.amount,
    detail: `bonus: reached ${volumeText(bonus.basis, bonus.threshold, bonus.period)}`,
    dedupeKey: `bonus:${context.enrollmentId}:${key}`,
  } satisfies CommissionLine;
}

/**
 * The commission lines one conversion earns under `terms`.
 * `before`: the affiliate's volume in the tier period and in the bonus period BEFORE this conversion
 * (count of sales and their revenue in program-currency minor units). Callers compute those from the
 * database; the engine only applies the rules.
 */
export function commissionsFor(
  terms: Terms,
  facts: ConversionFacts,
  before: { tier: Volume; bonus: Volume },
  context: { enrollmentId: string; at: Date },
): CommissionLine[] {
  const lines: (CommissionLine | null)[] = [];
  if (facts.kind === 'LEAD' && terms.leadAmount !== null)
    lines.push({
      kind: 'LEAD',
      amount: terms.leadAmount,
      detail: `flat ${grouped(terms.leadAmount)} per lead`,
    });
  if (facts.kind === 'CLICK' && terms.clickAmount !== null) {
    const count = facts.count ?? 1;
    if (!Number.isSafeInteger(count) || count < 0)
      throw new RangeError(`expected a click count, got ${count}`);
    lines.push({
      kind: 'CLICK',
      amount: terms.clickAmount * count,
      detail:
        count === 1
          ? `flat ${grouped(terms.clickAmount)} per click`
          : `${grouped(count)} unique clicks × ${grouped(terms.clickAmount)}`,
    });
  }
  if (facts.kind === 'SALE') {
    // Tiers reward new business, so renewals earn the recurring rate instead; both count towards bonuses.
    lines.push(
      facts.isRenewal
        ? recurringLine(terms, facts.amount, facts.monthsSinceFirstSale)
        : saleLine(terms, facts.amount, before.tier),
    );
    lines.push(bonusLine(terms, facts.amount, before.bonus, context));
  }
  // A zero line is noise in statements and ledgers.
  return lines.filter((l): l is CommissionLine => l !== null && l.amount > 0);
}

/**
 * How much of a commission a refund reverses, proportionally, so that a full refund reverses exactly
 * the whole commission whatever the earlier partial refunds were: reversedTotalAfter =
 * round_half_up(commission * refundedTotalAfter / saleAmount), capped at commission; returns
 * reversedTotalAfter - reversedSoFar. Working from running totals (not per refund) keeps rounding
 * from accumulating. refundedTotalAfter is capped at saleAmount; saleAmount 0 reverses everything left.
 */
export function reversalFor(p: {
  commission: number;
  saleAmount: number;
  refundedBefore: number;
  refund: number;
  reversedSoFar: number;
}): number {
  const refundedAfter = Math.min(p.refundedBefore + p.refund, p.saleAmount);
  const reversedAfter =
    p.saleAmount === 0
      ? p.commission
      : Math.min(p.commission, mulDivHalfUp(p.commission, refundedAfter, p.saleAmount));
  // Never negative: a reversal already booked is not handed back.
  return Math.max(0, reversedAfter - p.reversedSoFar);
}
