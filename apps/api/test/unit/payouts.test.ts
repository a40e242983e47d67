import { describe, expect, test } from 'vitest';
import { majorUnits, payoutCsv } from '../../src/payouts/csv.ts';
import { type Candidate, payoutItemsFor } from '../../src/payouts/selection.ts';

const c = (id: string, amount: number, over: Partial<Candidate> = {}): Candidate => ({
  id,
  amount,
  currency: 'USD',
  programId: 'p1',
  enrollmentId: 'e1',
  affiliateId: 'a1',
  ...over,
});

describe('which affiliates a payout run pays', () => {
  test('one item per affiliate and currency, at or above the threshold', () => {
    const thresholds = new Map([
      ['e1', 5_000],
      ['e2', 5_000],
    ]);
    const { items, rolledOver } = payoutItemsFor(
      [
        c('c1', 3_000),
        c('c2', 2_000),
        c('c3', 4_999, { affiliateId: 'a2', enrollmentId: 'e2' }),
        c('c4', 9_000, { currency: 'EUR' }),
      ],
      [],
      [],
      thresholds,
    );
    expect(items).toEqual([
      { affiliateId: 'a1', currency: 'USD', amount: 5_000, netted: 0, commissionIds: ['c1', 'c2'] },
      { affiliateId: 'a1', currency: 'EUR', amount: 9_000, netted: 0, commissionIds: ['c4'] },
    ]);
    expect(rolledOver).toBe(1);
  });

  test('what is owed back comes off, less what open batches recover already', () => {
    const owed = [{ affiliateId: 'a1', currency: 'USD', amount: 1_500 }];
    const thresholds = new Map([['e1', 0]]);
    expect(payoutItemsFor([c('c1', 10_000)], owed, [], thresholds).items[0]).toMatchObject({
      amount: 8_500,
      netted: 1_500,
    });
    const open = [{ affiliateId: 'a1', currency: 'USD', amount: 1_000 }];
    expect(payoutItemsFor([c('c1', 10_000)], owed, open, thresholds).items[0]).toMatchObject({
      amount: 9_500,
      netted: 500,
    });
    // Owing more than earned: nothing is paid, both carry over.
    expect(payoutItemsFor([c('c1', 1_000)], owed, [], thresholds)).toEqual({ items: [], rolledOver: 1 });
  });

  test('across programs the lowest threshold applies', () => {
    const thresholds = new Map([
      ['e1', 10_000],
      ['e2', 2_000],
    ]);
    const { items } = payoutItemsFor(
      [c('c1', 1_000), c('c2', 1_500, { enrollmentId: 'e2', programId: 'p2' })],
      [],
      [],
      thresholds,
    );
    expect(items.map((i) => i.amount)).toEqual([2_500]);
  });
});

describe('payout files', () => {
  test('amounts in the currency’s own precision, from integers', () => {
    expect(majorUnits(9_876, 'USD')).toBe('98.76');
    expect(majorUnits(5, 'EUR')).toBe('0.05');
    expect(majorUnits(1_234, 'JPY')).toBe('1234');
    expect(majorUnits(1_234_567, 'BHD')).toBe('1234.567');
    expect(majorUnits(-150, 'USD')).toBe('-1.50');
  });

  test('CSV quotes what needs quoting', () => {
    const csv = payoutCsv([
      {
        payoutId: 'p',
        itemId: 'i',
        affiliateId: 'a',
        affiliateName: 'Trail, "Gear" & Co',
        affiliateEmail: 'a@example.com',
        currency: 'USD',
        amount: 100,
        payoutMethod: null,
        payoutReference: '•••• 1234',
        status: 'PENDING',
        externalReference: null,
      },
    ]);
    expect(csv.split('\n')[1]).toBe(
      'p,i,a,"Trail, ""Gear"" & Co",a@example.com,USD,1.00,100,,•••• 1234,PENDING,',
    );
  });
});
