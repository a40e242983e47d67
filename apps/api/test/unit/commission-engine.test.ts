import { describe, expect, test } from 'vitest';
import {
  type CommissionLine,
  type ConversionFacts,
  commissionsFor,
  percentOf,
  periodOf,
  reversalFor,
} from '../../src/commissions/engine.ts';
import type { Terms } from '../../src/programs/terms.ts';

const base: Terms = {
  sale: { type: 'PERCENTAGE', rateBps: 1000, flatAmount: null },
  leadAmount: null,
  clickAmount: null,
  tiers: null,
  bonus: null,
  recurring: { mode: 'NONE', months: null, rateBps: null },
  cookieWindowDays: 30,
  attributionModel: 'LAST_CLICK',
  holdingDays: 30,
  minPayoutAmount: 5000,
};
const with_ = (changes: Partial<Terms>): Terms => ({ ...base, ...changes });

const zero = { count: 0, revenue: 0 };
const context = { enrollmentId: 'enr_1', at: new Date('2026-11-15T12:00:00Z') };
const sale = (amount: number): ConversionFacts => ({ kind: 'SALE', amount, isRenewal: false });
const renewal = (amount: number, monthsSinceFirstSale: number): ConversionFacts => ({
  kind: 'SALE',
  amount,
  isRenewal: true,
  monthsSinceFirstSale,
});
const run = (terms: Terms, facts: ConversionFacts, tier = zero, bonus = zero): CommissionLine[] =>
  commissionsFor(terms, facts, { tier, bonus }, context);
const amounts = (lines: CommissionLine[]) => lines.map((l) => [l.kind, l.amount]);

describe('percentOf rounds half up on exact integers', () => {
  test.each([
    [10_000, 1250, 1250],
    [1, 5000, 1], // exactly .5 goes up
    [1, 4999, 0],
    [5, 1000, 1], // 0.5
    [15, 1000, 2], // 1.5
    [25, 1000, 3], // 2.5: half up, not half even
    [1, 3333, 0], // 0.3333
    [2, 3333, 1], // 0.6666
    [3, 3333, 1], // 0.9999
    [3, 3334, 1], // 1.0002
    [150, 3333, 50], // 49.995
    [999, 1250, 125], // 124.875
    [0, 1250, 0],
    [1_000_000_000, 10_000, 1_000_000_000],
    [1_000_000_000, 1, 100_000],
    [999_999_999, 9999, 999_899_999], // 999,899,999.0001
  ])('%i at %i bps → %i', (amount, bps, expected) => {
    expect(percentOf(amount, bps)).toBe(expected);
  });

  test('refuses fractional or negative money', () => {
    expect(() => percentOf(10.5, 1000)).toThrow(RangeError);
    expect(() => percentOf(-1, 1000)).toThrow(RangeError);
  });
});

describe('periodOf (UTC)', () => {
  const iso = (p: { start: Date; end: Date; key: string }) => [
    p.key,
    p.start.toISOString(),
    p.end.toISOString(),
  ];

  test('month boundaries', () => {
    expect(iso(periodOf('MONTH', new Date('2026-12-31T23:59:59.999Z')))).toEqual([
      '2026-12',
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(iso(periodOf('MONTH', new Date('2027-01-01T00:00:00Z')))).toEqual([
      '2027-01',
      '2027-01-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
    ]);
    expect(iso(periodOf('MONTH', new Date('2028-02-29T10:00:00Z')))[2]).toBe('2028-03-01T00:00:00.000Z');
  });

  test('quarter boundaries and keys', () => {
    expect(iso(periodOf('QUARTER', new Date('2026-12-31T23:59:59.999Z')))).toEqual([
      '2026-Q4',
      '2026-10-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(periodOf('QUARTER', new Date('2027-01-01T00:00:00Z')).key).toBe('2027-Q1');
    expect(periodOf('QUARTER', new Date('2026-03-31T23:59:59.999Z')).key).toBe('2026-Q1');
    expect(iso(periodOf('QUARTER', new Date('2026-04-01T00:00:00Z')))).toEqual([
      '2026-Q2',
      '2026-04-01T00:00:00.000Z',
      '2026-07-01T00:00:00.000Z',
    ]);
    expect(periodOf('QUARTER', new Date('2026-09-30T00:00:00Z')).key).toBe('2026-Q3');
  });

  test('year boundaries, in UTC whatever the offset written', () => {
    expect(iso(periodOf('YEAR', new Date('2026-12-31T23:59:59.999Z')))).toEqual([
      '2026',
      '2026-01-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    expect(periodOf('YEAR', new Date('2027-01-01T00:00:00Z')).key).toBe('2027');
    expect(periodOf('YEAR', new Date('2027-01-01T00:30:00+01:00')).key).toBe('2026');
  });
});

describe('new sales', () => {
  test('percentage', () => {
    expect(run(base, sale(10_000))).toEqual([{ kind: 'SALE', amount: 1000, detail: '10.00% of 10,000' }]);
    expect(
      amounts(run(with_({ sale: { type: 'PERCENTAGE', rateBps: 1250, flatAmount: null } }), sale(999))),
    ).toEqual([['SALE', 125]]);
  });

  test('flat, whatever the amount', () => {
    const flat = with_({ sale: { type: 'FLAT', rateBps: null, flatAmount: 1500 } });
    expect(run(flat, sale(10_000))).toEqual([{ kind: 'SALE', amount: 1500, detail: 'flat 1,500' }]);
    expect(amounts(run(flat, sale(1)))).toEqual([['SALE', 1500]]);
  });

  test('NONE earns nothing', () => {
    expect(run(with_({ sale: { type: 'NONE', rateBps: null, flatAmount: null } }), sale(10_000))).toEqual([]);
  });

  test('zero amounts are omitted', () => {
    expect(run(with_({ sale: { type: 'PERCENTAGE', rateBps: 0, flatAmount: null } }), sale(10_000))).toEqual(
      [],
    );
    expect(run(with_({ sale: { type: 'PERCENTAGE', rateBps: 4999, flatAmount: null } }), sale(1))).toEqual(
      [],
    );
    expect(run(with_({ sale: { type: 'FLAT', rateBps: null, flatAmount: 0 } }), sale(10_000))).toEqual([]);
    expect(run(base, sale(0))).toEqual([]);
  });
});

describe('tiers use the volume before the conversion', () => {
  const countTiers = with_({
    tiers: {
      basis: 'COUNT',
      period: 'MONTH',
      levels: [
        { threshold: 10, rateBps: 1250, flatAmount: null },
        { threshold: 25, rateBps: 1500, flatAmount: null },
      ],
    },
  });
  const count = (n: number) => ({ count: n, revenue: 0 });

  test.each([
    [0, 1000],
    [9, 1000],
    [10, 1250],
    [24, 1250],
    [25, 1500],
    [1000, 1500],
  ])('COUNT, percentage: %i sales before → %i', (before, expected) => {
    expect(amounts(run(countTiers, sale(10_000), count(before)))).toEqual([['SALE', expected]]);
  });

  test('detail names the tier', () => {
    expect(run(countTiers, sale(10_000), count(10))[0]!.detail).toBe(
      'tier 1 (≥ 10 sales this month): 12.50% of 10,000',
    );
    expect(run(countTiers, sale(10_000), count(30))[0]!.detail).toBe(
      'tier 2 (≥ 25 sales this month): 15.00% of 10,000',
    );
  });

  const revenueTiers = with_({
    tiers: {
      basis: 'REVENUE',
      period: 'QUARTER',
      levels: [
        { threshold: 1_000_000, rateBps: 1200, flatAmount: null },
        { threshold: 5_000_000, rateBps: 1500, flatAmount: null },
      ],
    },
  });
  const revenue = (n: number) => ({ count: 0, revenue: n });

  test.each([
    [999_999, 1000],
    [1_000_000, 1200],
    [4_999_999, 1200],
    [5_000_000, 1500],
    [9_000_000, 1500],
  ])('REVENUE, percentage: %i revenue before → %i', (before, expected) => {
    expect(amounts(run(revenueTiers, sale(10_000), revenue(before)))).toEqual([['SALE', expected]]);
  });

  test('REVENUE ignores the count, and the sale itself does not lift its own tier', () => {
    expect(amounts(run(revenueTiers, sale(10_000), { count: 99, revenue: 995_000 }))).toEqual([
      ['SALE', 1000],
    ]);
    expect(run(revenueTiers, sale(10_000), revenue(1_000_000))[0]!.detail).toBe(
      'tier 1 (≥ 1,000,000 revenue this quarter): 12.00% of 10,000',
    );
  });

  const flatTiers = with_({
    sale: { type: 'FLAT', rateBps: null, flatAmount: 500 },
    tiers: {
      basis: 'COUNT',
      period: 'YEAR',
      levels: [
        { threshold: 5, rateBps: null, flatAmount: 700 },
        { threshold: 10, rateBps: null, flatAmount: 1000 },
      ],
    },
  });

  test.each([
    [4, 500],
    [5, 700],
    [9, 700],
    [10, 1000],
    [11, 1000],
  ])('COUNT, flat: %i sales before → %i', (before, expected) => {
    expect(amounts(run(flatTiers, sale(10_000), count(before)))).toEqual([['SALE', expected]]);
  });

  test('flat tiers on REVENUE', () => {
    const t = with_({ ...flatTiers, tiers: { ...flatTiers.tiers!, basis: 'REVENUE' } });
    expect(amounts(run(t, sale(100), revenue(4)))).toEqual([['SALE', 500]]);
    expect(amounts(run(t, sale(100), revenue(5)))).toEqual([['SALE', 700]]);
    expect(run(t, sale(100), revenue(12))[0]!.detail).toBe('tier 2 (≥ 10 revenue this year): flat 1,000');
  });

  test('renewals ignore tiers', () => {
    const t = with_({ ...countTiers, recurring: { mode: 'LIFETIME', months: null, rateBps: null } });
    expect(amounts(run(t, renewal(10_000, 3), count(100)))).toEqual([['RECURRING', 1000]]);
  });
});

describe('bonus', () => {
  const countBonus = with_({ bonus: { amount: 5000, basis: 'COUNT', threshold: 10, period: 'MONTH' } });
  const count = (n: number) => ({ count: n, revenue: 0 });

  test('paid by the sale that reaches the count threshold, once', () => {
    expect(run(countBonus, sale(10_000), zero, count(9))).toEqual([
      { kind: 'SALE', amount: 1000, detail: '10.00% of 10,000' },
      {
        kind: 'BONUS',
        amount: 5000,
        detail: 'bonus: reached 10 sales this month',
        dedupeKey: 'bonus:enr_1:2026-11',
      },
    ]);
    expect(amounts(run(countBonus, sale(10_000), zero, count(8)))).toEqual([['SALE', 1000]]);
    expect(amounts(run(countBonus, sale(10_000), zero, count(10)))).toEqual([['SALE', 1000]]);
    expect(amounts(run(countBonus, sale(10_000), zero, count(50)))).toEqual([['SALE', 1000]]);
  });

  const revenueBonus = with_({
    bonus: { amount: 20_000, basis: 'REVENUE', threshold: 100_000, period: 'QUARTER' },
  });
  const revenue = (n: number) => ({ count: 0, revenue: n });
  const bonusOf = (lines: CommissionLine[]) => lines.find((l) => l.kind === 'BONUS');

  test.each([
    [90_000, 10_000, true], // lands exactly on the threshold
    [90_000, 9_999, false],
    [95_000, 50_000, true], // jumps over it
    [100_000, 1, false], // already there
    [0, 100_000, true],
  ])('REVENUE: %i before + %i → bonus %s', (before, amount, paid) => {
    expect(bonusOf(run(revenueBonus, sale(amount), zero, revenue(before)))?.amount).toBe(
      paid ? 20_000 : undefined,
    );
  });

  test('dedupe key uses the bonus period', () => {
    expect(bonusOf(run(revenueBonus, sale(10_000), zero, revenue(90_000)))).toMatchObject({
      dedupeKey: 'bonus:enr_1:2026-Q4',
      detail: 'bonus: reached 100,000 revenue this quarter',
    });
  });

  test('renewals count towards the bonus, even without a recurring commission', () => {
    expect(run(countBonus, renewal(10_000, 2), zero, count(9))).toEqual([
      expect.objectContaining({ kind: 'BONUS', amount: 5000, dedupeKey: 'bonus:enr_1:2026-11' }),
    ]);
  });

  test('leads and clicks do not count; a zero bonus is omitted', () => {
    const t = with_({ ...countBonus, leadAmount: 100, clickAmount: 1 });
    expect(amounts(run(t, { kind: 'LEAD' }, zero, count(9)))).toEqual([['LEAD', 100]]);
    expect(amounts(run(t, { kind: 'CLICK' }, zero, count(9)))).toEqual([['CLICK', 1]]);
    const none = with_({ bonus: { amount: 0, basis: 'COUNT', threshold: 10, period: 'MONTH' } });
    expect(amounts(run(none, sale(10_000), zero, count(9)))).toEqual([['SALE', 1000]]);
  });
});

describe('renewals', () => {
  const months = with_({ recurring: { mode: 'MONTHS', months: 12, rateBps: 500 } });

  test('MONTHS: paid within the window only', () => {
    expect(run(months, renewal(10_000, 0))).toEqual([
      { kind: 'RECURRING', amount: 500, detail: 'renewal, month 1 of 12: 5.00% of 10,000' },
    ]);
    expect(amounts(run(months, renewal(10_000, 11)))).toEqual([['RECURRING', 500]]);
    expect(run(months, renewal(10_000, 12))).toEqual([]);
    expect(run(months, renewal(10_000, 40))).toEqual([]);
  });

  test('LIFETIME: always paid', () => {
    const t = with_({ recurring: { mode: 'LIFETIME', months: null, rateBps: 750 } });
    expect(run(t, renewal(999, 240))).toEqual([
      { kind: 'RECURRING', amount: 75, detail: 'renewal (lifetime): 7.50% of 999' }, // 74.925
    ]);
  });

  test('NONE: nothing, and the new-sale commission does not apply', () => {
    expect(run(base, renewal(10_000, 1))).toEqual([]);
  });

  test('rate falls back to the sale rate; no rate at all → no line', () => {
    const fallback = with_({ recurring: { mode: 'MONTHS', months: 6, rateBps: null } });
    expect(amounts(run(fallback, renewal(10_000, 5)))).toEqual([['RECURRING', 1000]]);
    const noRate = with_({
      sale: { type: 'FLAT', rateBps: null, flatAmount: 1500 },
      recurring: { mode: 'LIFETIME', months: null, rateBps: null },
    });
    expect(run(noRate, renewal(10_000, 1))).toEqual([]);
  });

  test('zero recurring commission is omitted', () => {
    const t = with_({ recurring: { mode: 'LIFETIME', months: null, rateBps: 0 } });
    expect(run(t, renewal(10_000, 1))).toEqual([]);
  });
});

describe('leads and clicks', () => {
  test('paid when set', () => {
    const t = with_({ leadAmount: 250, clickAmount: 5 });
    expect(run(t, { kind: 'LEAD' })).toEqual([{ kind: 'LEAD', amount: 250, detail: 'flat 250 per lead' }]);
    expect(run(t, { kind: 'CLICK' })).toEqual([{ kind: 'CLICK', amount: 5, detail: 'flat 5 per click' }]);
  });

  test("a day's unique clicks are paid together; none earn nothing", () => {
    const t = with_({ clickAmount: 5 });
    expect(run(t, { kind: 'CLICK', count: 1_234 })).toEqual([
      { kind: 'CLICK', amount: 6_170, detail: '1,234 unique clicks × 5' },
    ]);
    expect(run(t, { kind: 'CLICK', count: 0 })).toEqual([]);
    expect(() => run(t, { kind: 'CLICK', count: -1 })).toThrow(RangeError);
  });

  test('nothing when unset or zero', () => {
    expect(run(base, { kind: 'LEAD' })).toEqual([]);
    expect(run(with_({ leadAmount: 250 }), { kind: 'CLICK' })).toEqual([]);
    expect(run(with_({ leadAmount: 0, clickAmount: 0 }), { kind: 'LEAD' })).toEqual([]);
    expect(run(with_({ leadAmount: 0, clickAmount: 0 }), { kind: 'CLICK' })).toEqual([]);
  });
});

describe('reversalFor', () => {
  // Applies refunds in order, returning each reversal.
  const reversals = (commission: number, saleAmount: number, refunds: number[]) => {
    let refundedBefore = 0;
    let reversedSoFar = 0;
    return refunds.map((refund) => {
      const r = reversalFor({ commission, saleAmount, refundedBefore, refund, reversedSoFar });
      refundedBefore += refund;
      reversedSoFar += r;
      return r;
    });
  };
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  test('partial refunds sum exactly to the commission once the sale is fully refunded', () => {
    // 110.889 → 111, 221.778 → 222, 332.667 → 333, 333
    expect(reversals(333, 1000, [333, 333, 333, 1])).toEqual([111, 111, 111, 0]);
    // 33.3 → 33, 66.6 → 67, 99.9 → 100, 100
    expect(reversals(100, 1000, [333, 333, 333, 1])).toEqual([33, 34, 33, 0]);
    // 333.33 → 333, 666.67 → 667, 1000
    expect(reversals(1000, 3, [1, 1, 1])).toEqual([333, 334, 333]);
    expect(sum(reversals(1, 1000, [500, 499, 1]))).toBe(1);
  });

  test('half up, proportional', () => {
    expect(reversals(1, 2, [1])).toEqual([1]);
    expect(reversals(1000, 10_000, [2500])).toEqual([250]);
  });

  test('over-refunds are capped at the sale amount', () => {
    expect(reversals(333, 1000, [600, 600])).toEqual([200, 133]);
    expect(reversals(333, 1000, [5000])).toEqual([333]);
  });

  test('large amounts stay exact', () => {
    expect(reversals(1_000_000_000, 1_000_000_000, [333_333_333, 666_666_667])).toEqual([
      333_333_333, 666_666_667,
    ]);
  });

  test('sale amount 0 reverses whatever is left', () => {
    expect(
      reversalFor({ commission: 500, saleAmount: 0, refundedBefore: 0, refund: 0, reversedSoFar: 0 }),
    ).toBe(500);
    expect(
      reversalFor({ commission: 500, saleAmount: 0, refundedBefore: 0, refund: 0, reversedSoFar: 200 }),
    ).toBe(300);
  });

  test('never negative', () => {
    expect(
      reversalFor({ commission: 500, saleAmount: 1000, refundedBefore: 0, refund: 100, reversedSoFar: 500 }),
    ).toBe(0);
  });
});
