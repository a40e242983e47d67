// Every commission model, through the API and against the database, to the cent: flat and
// percentage sales, tiers by count and by revenue, target bonuses, terms versions, negotiated
// terms, and affiliates who may not earn. The pure rules are in test/unit/commission-engine.test.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { uuidv7 } from '../../src/ids.ts';
import { createApiKey, gql, ok } from '../helpers.ts';
import { affiliate, apply, approvedEnrollment, decide } from '../programs.ts';

const CONVERSION = `id status attribution enrollment { id } amount programAmount
  commissions { kind amount currency status reason }`;
const TRACK_SALE = `mutation($input: TrackSaleInput!) { trackSale(input: $input) { replayed conversion { ${CONVERSION} } } }`;
const UPDATE_TERMS = `mutation($input: UpdateProgramTermsInput!) { updateProgramTerms(input: $input) { id version effectiveAt } }`;
const PROPOSE = `mutation($input: ProposeTermsInput!) { proposeTerms(input: $input) { id } }`;
const ACCEPT = `mutation($input: AnswerProposalInput!) { acceptProposal(input: $input) { status resultingTerms { id version negotiated } } }`;
const dayMs = 86_400_000;

/** Terms fields every test shares; each test names its commission model. */
const basics = { cookieWindowDays: 90, holdingDays: 30, minPayoutAmount: 0 };

type Setup = Awaited<ReturnType<typeof setup>>;
type Enrolled = { enrollmentId: string; aff: { profile: { id: string } } };
interface Conversion {
  id: string;
  status: string;
  attribution: string;
  enrollment: { id: string } | null;
  commissions: { kind: string; amount: number; currency: string; status: string; reason: string }[];
}

/** A USD program with these terms, one approved affiliate and the merchant's secret key. */
async function setup(terms: Record<string, unknown>) {
  const s = await approvedEnrollment({ terms: { ...basics, ...terms } });
  const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  return { ...s, secret, termsId: s.program.currentTerms.id as string };
}

/** Another affiliate approved in the same program. */
async function secondAffiliate(s: Setup) {
  const other = await affiliate('Other');
  const applied = await apply(other.user.token, s.program.id, other.org.id);
  await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, s.merchant.token);
  return { ...other, enrollmentId: applied.id as string };
}

/** A coupon code tied to the enrollment: sales with it are the affiliate's, whatever their date. */
async function coupon(s: Setup, enrollmentId = s.enrollmentId) {
  const code = `C${randomUUID().slice(0, 8)}`.toUpperCase();
  await ok(
    'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { code } }',
    { input: { enrollmentId, code } },
    s.merchant.token,
  );
  return code;
}

/** A click stored as the redirect stores it, at `at`. */
async function click(s: Setup, enrollmentId = s.enrollmentId, at = new Date()) {
  const id = uuidv7(at.getTime());
  await prisma.click.create({
    data: { id, programId: s.program.id, enrollmentId, source: 'REDIRECT', createdAt: at, isUnique: true },
  });
  return id;
}

/** Reports one USD sale with the secret key; returns the conversion as the API answers it. */
async function sell(s: Setup, amount: number, extra: Record<string, unknown> = {}): Promise<Conversion> {
  const input = {
    programId: s.program.id,
    orderId: `order-${randomUUID()}`,
    amount,
    currency: 'USD',
    ...extra,
  };
  const data = await ok(TRACK_SALE, { input }, s.secret);
  expect(data.trackSale.replayed).toBe(false);
  return data.trackSale.conversion;
}

const at = (date: Date) => ({ occurredAt: date.toISOString() });

/**
 * The API cannot date terms in the past (they never change retroactively), so a program
 * that has existed for months is made by moving its first terms version back, as if it had
 * been created then.
 */
async function programCreatedAgo(s: Setup, days: number) {
  await prisma.commissionTerms.updateMany({
    where: { programId: s.program.id, enrollmentId: null },
    data: { effectiveAt: new Date(Date.now() - days * dayMs) },
  });
}

const now = new Date();
/** Noon UTC on `day` of the month before the current one. */
const lastMonth = (day: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, day, 12));
const monthKey = (date: Date) =>
  `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;

/**
 * Asserts the commissions of a conversion to the cent, in the API's answer and in the rows
 * written: one Commission per line (PENDING, program currency, under `termsId`) and for each
 * exactly one EARNED ledger entry of the same amount on the affiliate's PENDING account.
 */
async function expectEarned(
  s: Enrolled,
  conversion: Conversion,
  lines: { kind: string; amount: number }[],
  termsId?: string,
) {
  expect(conversion.commissions.map(({ kind, amount }) => ({ kind, amount }))).toEqual(lines);
  const rows = await prisma.commission.findMany({
    where: { conversionId: conversion.id },
    orderBy: { id: 'asc' },
    include: { ledgerEntries: true },
  });
  expect(
    rows.map((r) => ({
      kind: r.kind,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      enrollmentId: r.enrollmentId,
      ledger: r.ledgerEntries.map((l) => ({
        type: l.type,
        account: l.account,
        amount: l.amount,
        currency: l.currency,
        enrollmentId: l.enrollmentId,
        affiliateId: l.affiliateId,
      })),
    })),
  ).toEqual(
    lines.map((line) => ({
      ...line,
      currency: 'USD',
      status: 'PENDING',
      enrollmentId: s.enrollmentId,
      ledger: [
        {
          type: 'EARNED',
          account: 'PENDING',
          amount: line.amount,
          currency: 'USD',
          enrollmentId: s.enrollmentId,
          affiliateId: s.aff.profile.id,
        },
      ],
    })),
  );
  if (termsId) for (const row of rows) expect(row.termsId).toBe(termsId);
}

/** The sum of the affiliate's ledger in this program, and how many entries make it. */
async function ledgerTotal(enrollmentId: string) {
  const sum = await prisma.ledgerEntry.aggregate({
    where: { enrollmentId },
    _sum: { amount: true },
    _count: true,
  });
  return { total: sum._sum.amount ?? 0, entries: sum._count };
}

const sale = (amount: number) => ({ kind: 'SALE', amount });
const bonus = (amount: number) => ({ kind: 'BONUS', amount });

describe('flat and percentage', () => {
  test('a flat commission pays the same amount per sale, whatever the sale amount', async () => {
    const s = await setup({ sale: { type: 'FLAT', flatAmount: 1500 }, holdingDays: 14 });
    const clickId = await click(s);
    for (const amount of [1, 12_345, 1_000_000_000]) {
      const conversion = await sell(s, amount, { clickId });
      expect(conversion).toMatchObject({ status: 'ACCEPTED', attribution: 'CLICK' });
      await expectEarned(s, conversion, [sale(1500)], s.termsId);
      expect(conversion.commissions[0]).toMatchObject({ currency: 'USD', reason: 'flat 1,500' });
    }
    const rows = await prisma.commission.findMany({ where: { enrollmentId: s.enrollmentId } });
    for (const row of rows)
      expect(Math.abs(row.holdUntil.getTime() - (Date.now() + 14 * dayMs))).toBeLessThan(60_000);
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 4500, entries: 3 });
  });

  test('a percentage is rounded half up to the cent; a commission that rounds to zero is not written', async () => {
    const s = await setup({ sale: { type: 'PERCENTAGE', rateBps: 1250 } }); // 12.5%
    const clickId = await click(s);
    const cases: [amount: number, commission: number, reason: string][] = [
      [1_003, 125, '12.50% of 1,003'], // 125.375 → 125
      [1_004, 126, '12.50% of 1,004'], // 125.5 → 126: exactly half goes up
      [1_012, 127, '12.50% of 1,012'], // 126.5 → 127
      [999_999_996, 125_000_000, '12.50% of 999,999,996'], // 124,999,999.5 → 125,000,000, no float error
    ];
    for (const [amount, commission, reason] of cases) {
      const conversion = await sell(s, amount, { clickId });
      await expectEarned(s, conversion, [sale(commission)], s.termsId);
      expect(conversion.commissions[0]!.reason).toBe(reason);
    }
    // 12.5% of 0.03 is 0.375 cent → 0 and of 0.04 is 0.5 cent → 1
    const tiny = await sell(s, 3, { clickId });
    expect(tiny).toMatchObject({ attribution: 'CLICK', enrollment: { id: s.enrollmentId } });
    await expectEarned(s, tiny, []);
    await expectEarned(s, await sell(s, 4, { clickId }), [sale(1)]);
    expect(await ledgerTotal(s.enrollmentId)).toEqual({
      total: 125 + 126 + 127 + 125_000_000 + 1,
      entries: 5,
    });
  });
});

describe('tiers', () => {
  test('tiers by count in a month: the sale that reaches a threshold is paid at the old level, the next one at the new; last month’s sales do not count', async () => {
    const s = await setup({
      sale: { type: 'PERCENTAGE', rateBps: 500 },
      tiers: {
        basis: 'COUNT',
        period: 'MONTH',
        levels: [
          { threshold: 2, rateBps: 1000 },
          { threshold: 3, rateBps: 1500 },
        ],
      },
    });
    await programCreatedAgo(s, 100);
    const code = await coupon(s);

    // Last month: 5%, 5%, then 10% from the third sale (two sales before it).
    const previous = [];
    for (const day of [10, 11, 12])
      previous.push(await sell(s, 10_000, { couponCode: code, ...at(lastMonth(day)) }));
    await expectEarned(s, previous[0]!, [sale(500)], s.termsId);
    await expectEarned(s, previous[1]!, [sale(500)], s.termsId);
    await expectEarned(s, previous[2]!, [sale(1000)], s.termsId);

    // This month starts again from the base rate. An unattributed sale is nobody's volume.
    const unattributed = await sell(s, 10_000);
    expect(unattributed).toMatchObject({ attribution: 'NONE', commissions: [] });
    const current = [];
    for (let i = 0; i < 4; i++) current.push(await sell(s, 10_000, { couponCode: code }));
    expect(current.map((c) => c.commissions.map((x) => x.amount))).toEqual([[500], [500], [1000], [1500]]);
    await expectEarned(s, current[0]!, [sale(500)], s.termsId);
    // the second sale brings the month to 2 sales, the threshold, and is still paid at 5%
    await expectEarned(s, current[1]!, [sale(500)], s.termsId);
    await expectEarned(s, current[2]!, [sale(1000)], s.termsId);
    await expectEarned(s, current[3]!, [sale(1500)], s.termsId);
    expect(current[2]!.commissions[0]!.reason).toBe('tier 1 (≥ 2 sales this month): 10.00% of 10,000');
    expect(current[3]!.commissions[0]!.reason).toBe('tier 2 (≥ 3 sales this month): 15.00% of 10,000');
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 2000 + 3500, entries: 7 });
  });

  test('tiers by revenue: the revenue of earlier sales in the month decides, to the cent of the threshold', async () => {
    const s = await setup({
      sale: { type: 'PERCENTAGE', rateBps: 500 },
      tiers: {
        basis: 'REVENUE',
        period: 'MONTH',
        levels: [
          { threshold: 50_000, rateBps: 1000 },
          { threshold: 100_000, rateBps: 1250 },
        ],
      },
    });
    const clickId = await click(s);
    const steps: [amount: number, commission: number][] = [
      [30_000, 1_500], // before: 0 → 5%
      [30_000, 1_500], // before: 300.00; it crosses 500.00 but is paid at the old level
      [39_999, 4_000], // before: 600.00 → 10% of 399.99 = 39.9990 → 40.00
      [1_003, 100], // before: 999.99, one cent short of tier 2 → 10% of 10.03 = 1.003 → 1.00
      [1_004, 126], // before: 1,010.02 → 12.5% of 10.04 = 1.255 → 1.26
    ];
    let total = 0;
    for (const [amount, commission] of steps) {
      const conversion = await sell(s, amount, { clickId });
      await expectEarned(s, conversion, [sale(commission)], s.termsId);
      total += commission;
    }
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total, entries: steps.length });
  });

  test('flat amounts can be tiered too: a higher flat amount per sale once the quarter’s revenue reaches the level', async () => {
    const s = await setup({
      sale: { type: 'FLAT', flatAmount: 1_000 },
      tiers: { basis: 'REVENUE', period: 'QUARTER', levels: [{ threshold: 20_000, flatAmount: 2_500 }] },
    });
    const clickId = await click(s);
    const paid = [];
    for (const amount of [15_000, 5_000, 1]) paid.push(await sell(s, amount, { clickId }));
    await expectEarned(s, paid[0]!, [sale(1_000)]);
    await expectEarned(s, paid[1]!, [sale(1_000)]); // reaches 200.00 itself
    await expectEarned(s, paid[2]!, [sale(2_500)]);
    expect(paid[2]!.commissions[0]!.reason).toBe('tier 1 (≥ 20,000 revenue this quarter): flat 2,500');
  });
});

describe('bonuses', () => {
  test('a target bonus is paid once, by the sale that reaches the target; not again in the same month; again the next month', async () => {
    const s = await setup({
      sale: { type: 'PERCENTAGE', rateBps: 1000 },
      bonus: { amount: 5_000, basis: 'COUNT', threshold: 3, period: 'MONTH' },
    });
    await programCreatedAgo(s, 100);
    const code = await coupon(s);

    const previous = [];
    for (const day of [3, 4, 5, 6])
      previous.push(await sell(s, 2_000, { couponCode: code, ...at(lastMonth(day)) }));
    const current = [];
    for (let i = 0; i < 4; i++) current.push(await sell(s, 2_000, { couponCode: code }));
    for (const month of [previous, current]) {
      await expectEarned(s, month[0]!, [sale(200)], s.termsId);
      await expectEarned(s, month[1]!, [sale(200)], s.termsId);
      await expectEarned(s, month[2]!, [sale(200), bonus(5_000)], s.termsId); // the third sale reaches 3
      await expectEarned(s, month[3]!, [sale(200)], s.termsId); // past the target: no second bonus
      expect(month[2]!.commissions[1]!.reason).toBe('bonus: reached 3 sales this month');
    }
    const bonuses = await prisma.commission.findMany({
      where: { enrollmentId: s.enrollmentId, kind: 'BONUS' },
      orderBy: { id: 'asc' },
    });
    expect(bonuses.map((b) => ({ conversionId: b.conversionId, dedupeKey: b.dedupeKey }))).toEqual([
      { conversionId: previous[2]!.id, dedupeKey: `bonus:${s.enrollmentId}:${monthKey(lastMonth(1))}` },
      { conversionId: current[2]!.id, dedupeKey: `bonus:${s.enrollmentId}:${monthKey(now)}` },
    ]);
    // 8 sales × 20.00 + 2 bonuses × 50.00
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 8 * 200 + 2 * 5_000, entries: 10 });
  });

  // Each sale locks its affiliate's enrollment before counting the period's volume, so racing sales
  // queue: exactly one of them is the third. (On PostgreSQL this needs FOR NO KEY UPDATE: the
  // conversion's foreign key already holds KEY SHARE on that row, and FOR UPDATE deadlocked.)
  test('sales that reach the target at the same moment are all recorded and earn exactly one bonus', async () => {
    const s = await setup({
      sale: { type: 'PERCENTAGE', rateBps: 1000 },
      bonus: { amount: 5_000, basis: 'COUNT', threshold: 3, period: 'MONTH' },
    });
    const code = await coupon(s);
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        gql(
          TRACK_SALE,
          {
            input: {
              programId: s.program.id,
              orderId: `order-${randomUUID()}`,
              amount: 2_000,
              currency: 'USD',
              couponCode: code,
            },
          },
          s.secret,
        ),
      ),
    );
    for (const r of racing) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const conversions: Conversion[] = racing.map((r) => r.data.trackSale.conversion);
    const withBonus = conversions.filter((c) => c.commissions.some((x) => x.kind === 'BONUS'));
    expect(withBonus).toHaveLength(1);
    for (const c of conversions)
      await expectEarned(s, c, c === withBonus[0] ? [sale(200), bonus(5_000)] : [sale(200)], s.termsId);
    // a later sale in the month earns no second bonus
    await expectEarned(s, await sell(s, 2_000, { couponCode: code }), [sale(200)]);
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 6 * 200 + 5_000, entries: 7 });
  });

  test('a revenue bonus is paid by the sale that brings the revenue to the target, besides its own commission', async () => {
    const s = await setup({
      sale: { type: 'FLAT', flatAmount: 300 },
      bonus: { amount: 2_500, basis: 'REVENUE', threshold: 10_000, period: 'YEAR' },
    });
    const clickId = await click(s);
    await expectEarned(s, await sell(s, 9_999, { clickId }), [sale(300)]);
    const crossing = await sell(s, 1, { clickId }); // 99.99 + 0.01 = 100.00 exactly
    await expectEarned(s, crossing, [sale(300), bonus(2_500)]);
    expect(crossing.commissions[1]!.reason).toBe('bonus: reached 10,000 revenue this year');
    await expectEarned(s, await sell(s, 50_000, { clickId }), [sale(300)]);
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 3 * 300 + 2_500, entries: 4 });
  });
});

describe('terms versions and negotiated terms', () => {
  test('a sale earns under the terms in force when it happened, even when reported after a change; a scheduled change waits for its date', async () => {
    const s = await setup({ sale: { type: 'PERCENTAGE', rateBps: 1000 } });
    const clickId = await click(s);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const beforeChange = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const v2 = await ok(
      UPDATE_TERMS,
      { input: { programId: s.program.id, terms: { ...basics, sale: { type: 'FLAT', flatAmount: 700 } } } },
      s.merchant.token,
    );
    const v3 = await ok(
      UPDATE_TERMS,
      {
        input: {
          programId: s.program.id,
          terms: { ...basics, sale: { type: 'FLAT', flatAmount: 9_999 } },
          effectiveAt: new Date(Date.now() + dayMs).toISOString(),
        },
      },
      s.merchant.token,
    );
    expect([v2.updateProgramTerms.version, v3.updateProgramTerms.version]).toEqual([2, 3]);
    expect(Date.parse(v2.updateProgramTerms.effectiveAt)).toBeGreaterThan(beforeChange.getTime());

    // Reported now, dated before version 2: version 1, 10% of 123.45 = 12.345 → 12.35.
    const late = await sell(s, 12_345, { clickId, ...at(beforeChange) });
    await expectEarned(s, late, [sale(1_235)], s.termsId);
    // Dated now: version 2 (flat 7.00), not the scheduled version 3.
    const current = await sell(s, 12_345, { clickId });
    await expectEarned(s, current, [sale(700)], v2.updateProgramTerms.id);
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 1_935, entries: 2 });
  });

  test("an affiliate's negotiated terms win over the program's, from their acceptance on, and later program changes do not reach them", async () => {
    const s = await setup({ sale: { type: 'PERCENTAGE', rateBps: 800 } });
    const other = await secondAffiliate(s);
    const mine = await coupon(s);
    const theirs = await coupon(s, other.enrollmentId);
    const otherEnrolled = { enrollmentId: other.enrollmentId, aff: other };

    await new Promise((resolve) => setTimeout(resolve, 5));
    const beforeDeal = new Date();
    const proposal = await ok(
      PROPOSE,
      {
        input: {
          enrollmentId: s.enrollmentId,
          changes: {
            sale: { type: 'PERCENTAGE', rateBps: 1500 },
            bonus: { amount: 2_500, basis: 'COUNT', threshold: 2, period: 'MONTH' },
          },
        },
      },
      s.aff.user.token,
    );
    const accepted = await ok(ACCEPT, { input: { proposalId: proposal.proposeTerms.id } }, s.merchant.token);
    const negotiated = accepted.acceptProposal.resultingTerms;
    expect(negotiated).toMatchObject({ version: 1, negotiated: true });

    // Dated before the deal: the program's 8% of 100.00, no bonus.
    const early = await sell(s, 10_000, { couponCode: mine, ...at(beforeDeal) });
    await expectEarned(s, early, [sale(800)], s.termsId);
    // After it: 15%, and the negotiated bonus at the month's second sale.
    await expectEarned(
      s,
      await sell(s, 10_000, { couponCode: mine }),
      [sale(1_500), bonus(2_500)],
      negotiated.id,
    );
    // The other affiliate keeps the program's terms.
    await expectEarned(otherEnrolled, await sell(s, 10_000, { couponCode: theirs }), [sale(800)], s.termsId);

    // The program moves to 10%: the other affiliate gets it, the negotiated terms stay.
    const v2 = await ok(
      UPDATE_TERMS,
      {
        input: { programId: s.program.id, terms: { ...basics, sale: { type: 'PERCENTAGE', rateBps: 1000 } } },
      },
      s.merchant.token,
    );
    await expectEarned(s, await sell(s, 10_000, { couponCode: mine }), [sale(1_500)], negotiated.id);
    await expectEarned(
      otherEnrolled,
      await sell(s, 10_000, { couponCode: theirs }),
      [sale(1_000)],
      v2.updateProgramTerms.id,
    );
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 800 + 1_500 + 2_500 + 1_500, entries: 4 });
    expect(await ledgerTotal(other.enrollmentId)).toEqual({ total: 1_800, entries: 2 });
  });
});

describe('affiliates who may not earn', () => {
  test('clicks of a pending affiliate, and clicks, coupons and customers of a suspended one, leave the sale unattributed until reinstated', async () => {
    const s = await setup({ sale: { type: 'PERCENTAGE', rateBps: 1000 } });
    const pending = await affiliate('Pending');
    const applied = await apply(pending.user.token, s.program.id, pending.org.id);
    expect(applied.status).toBe('PENDING');
    const pendingClick = await click(s, applied.id);
    const unattributed = (c: Conversion) =>
      expect(c).toMatchObject({ status: 'ACCEPTED', attribution: 'NONE', enrollment: null, commissions: [] });
    unattributed(await sell(s, 10_000, { clickId: pendingClick }));

    // Approved: its click, its coupon and its customer earn.
    const clickId = await click(s);
    const code = await coupon(s);
    const customerId = `cus-${randomUUID()}`;
    await expectEarned(s, await sell(s, 10_000, { clickId, customerId }), [sale(1_000)]);
    await expectEarned(s, await sell(s, 10_000, { couponCode: code }), [sale(1_000)]);

    await ok(
      decide('suspendEnrollment'),
      { input: { enrollmentId: s.enrollmentId, reason: 'Brand bidding' } },
      s.merchant.token,
    );
    for (const extra of [{ clickId }, { couponCode: code }, { customerId }, { clickId: pendingClick }])
      unattributed(await sell(s, 10_000, extra));
    expect(await ledgerTotal(s.enrollmentId)).toEqual({ total: 2_000, entries: 2 });

    await ok(decide('reinstateEnrollment'), { input: { enrollmentId: s.enrollmentId } }, s.merchant.token);
    const back = await sell(s, 10_000, { clickId });
    expect(back).toMatchObject({ attribution: 'CLICK', enrollment: { id: s.enrollmentId } });
    await expectEarned(s, back, [sale(1_000)]);
    expect(await prisma.commission.count({ where: { programId: s.program.id } })).toBe(3);
    expect(await prisma.ledgerEntry.count({ where: { programId: s.program.id } })).toBe(3);
  });
});
