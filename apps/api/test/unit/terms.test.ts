import { describe, expect, test } from 'vitest';
import { applyChanges, termsChangesSchema, termsSchema, versionInForce } from '../../src/programs/terms.ts';

const base = termsSchema.parse({
  sale: { type: 'PERCENTAGE', rateBps: 800 },
  tiers: { basis: 'COUNT', period: 'MONTH', levels: [{ threshold: 20, rateBps: 1000 }] },
  cookieWindowDays: 30,
  attributionModel: 'LAST_CLICK',
  holdingDays: 30,
  minPayoutAmount: 5000,
});

const issuesOf = (input: unknown) => {
  const result = termsSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('terms validation', () => {
  test('fills defaults: no recurring, no lead or click commission', () => {
    expect(base).toMatchObject({
      leadAmount: null,
      clickAmount: null,
      bonus: null,
      recurring: { mode: 'NONE', months: null },
    });
  });

  test.each([
    [
      { sale: { type: 'PERCENTAGE', rateBps: 10_001 } },
      'sale.rateBps: must be between 0 and 10000 basis points (0-100%)',
    ],
    [
      { sale: { type: 'PERCENTAGE', rateBps: -1 } },
      'sale.rateBps: must be between 0 and 10000 basis points (0-100%)',
    ],
    [{ sale: { type: 'PERCENTAGE' } }, 'sale.rateBps: is required for a percentage commission'],
    [{ sale: { type: 'FLAT', flatAmount: -5 } }, 'sale.flatAmount: must not be negative'],
    [
      { sale: { type: 'FLAT', flatAmount: 12.5 } },
      'sale.flatAmount: must be a whole number of minor units (cents)',
    ],
    [{ cookieWindowDays: 0 }, 'cookieWindowDays: must be 1-365 days'],
    [{ cookieWindowDays: 366 }, 'cookieWindowDays: must be 1-365 days'],
    [{ holdingDays: 400 }, 'holdingDays: must be 0-365 days'],
    [
      { recurring: { mode: 'MONTHS' } },
      'recurring.months: is required when recurring for a number of months',
    ],
    [
      {
        tiers: {
          basis: 'COUNT',
          period: 'MONTH',
          levels: [
            { threshold: 50, rateBps: 1000 },
            { threshold: 20, rateBps: 1200 },
          ],
        },
      },
      'tiers.levels.1.threshold: must be higher than the previous level',
    ],
    [
      { tiers: { basis: 'REVENUE', period: 'MONTH', levels: [{ threshold: 100_000, flatAmount: 500 }] } },
      'tiers.levels.0.rateBps: is required: the sale commission is percentage',
    ],
  ])('%o → %s', (override, issue) => {
    expect(issuesOf({ ...base, ...override })).toContain(issue);
  });
});

describe('applying a proposal', () => {
  test('changes only what it names; a group replaces the group; null removes an optional one', () => {
    const changes = termsChangesSchema.parse({
      sale: { type: 'PERCENTAGE', rateBps: 900 },
      cookieWindowDays: 60,
      tiers: null,
    });
    const { terms, issues } = applyChanges(base, changes);
    expect(issues).toEqual([]);
    expect(terms).toEqual({
      ...base,
      sale: { type: 'PERCENTAGE', rateBps: 900, flatAmount: null },
      cookieWindowDays: 60,
      tiers: null,
    });
  });

  test('a coupon code is not a term', () => {
    const { terms } = applyChanges(base, termsChangesSchema.parse({ couponCode: 'sam10' }));
    expect(terms).toEqual(base);
    expect(termsChangesSchema.parse({ couponCode: ' sam10 ' }).couponCode).toBe('SAM10');
  });

  test('an impossible result is reported, and the base is kept', () => {
    const { terms, issues } = applyChanges(
      base,
      termsChangesSchema.parse({ sale: { type: 'FLAT', flatAmount: 500 } }),
    );
    expect(terms).toBe(base);
    expect(issues.map((issue) => issue.path.join('.'))).toEqual(['tiers.levels.0.flatAmount']);
  });

  test('an empty proposal is refused', () => {
    expect(termsChangesSchema.safeParse({}).success).toBe(false);
  });
});

describe('the version in force', () => {
  const day = 86_400_000;
  const at = (days: number) => new Date(Date.UTC(2026, 0, 1) + days * day);
  const versions = [
    { id: 'p1', version: 1, enrollmentId: null, effectiveAt: at(0) },
    { id: 'p2', version: 2, enrollmentId: null, effectiveAt: at(10) },
    { id: 'e1', version: 1, enrollmentId: 'e', effectiveAt: at(5) },
    { id: 'e2', version: 2, enrollmentId: 'e', effectiveAt: at(20) },
  ];

  test.each([
    [-1, undefined],
    [0, 'p1'],
    [4, 'p1'],
    [5, 'e1'],
    [15, 'e1'], // the program's v2 does not reach negotiated terms
    [20, 'e2'],
  ])('on day %i: %s', (day, expected) => {
    expect(versionInForce(versions, at(day))?.id).toBe(expected);
  });

  test('without negotiated versions, the latest program version', () => {
    expect(
      versionInForce(
        versions.filter((v) => !v.enrollmentId),
        at(12),
      )?.id,
    ).toBe('p2');
  });
});
