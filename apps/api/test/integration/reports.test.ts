// Reports read day rows kept up to date as clicks and conversions are written. These scenarios
// write through the real paths (redirect, trackSale, trackLead, refunds, rejections, reviews) and
// prove the rows equal what the raw events give, quarter hour by quarter hour.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { checkRollups } from '../../src/reports/check.ts';
import { createApiKey, ok } from '../helpers.ts';
import { approvedEnrollment } from '../programs.ts';
import { clickThrough, createLink, startHttp, trackConversion } from '../tracking.ts';

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp({ TRUST_PROXY: true });
});
afterAll(() => http.close());

const hour = 3_600_000;

async function setup() {
  const s = await approvedEnrollment();
  const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const link = (subIds: (string | null)[]) => createLink(s.enrollmentId, s.aff.user.token, subIds);
  return { ...s, key, spring: await link(['spring']), plain: await link([]) };
}
type Setup = Awaited<ReturnType<typeof setup>>;

const click = (code: string, from: string) => clickThrough(http, code, from);
const track = (s: Setup, kind: 'Sale' | 'Lead', input: Record<string, unknown>) =>
  trackConversion(s.program.id, s.key, kind, input);

/** The affiliate's figures straight from its clicks, conversions and commissions. */
async function fromEvents(s: Setup) {
  const clicks = await prisma.click.findMany({ where: { enrollmentId: s.enrollmentId } });
  const conversions = await prisma.conversion.findMany({
    where: { enrollmentId: s.enrollmentId, status: { not: 'REJECTED' } },
    include: { adjustments: true, commissions: true },
  });
  const sales = conversions.filter((v) => v.kind === 'SALE');
  return {
    clicks: clicks.length,
    uniqueClicks: clicks.filter((k) => k.isUnique).length,
    leads: conversions.length - sales.length,
    sales: sales.length,
    revenue: sales.reduce((sum, v) => {
      const refunded = v.adjustments.reduce((r, a) => r + a.amount, 0);
      return sum + Math.floor((v.programAmount! * (v.amount! - refunded)) / v.amount!);
    }, 0),
    commission: conversions
      .flatMap((v) => v.commissions)
      .filter((c) => c.status !== 'REJECTED')
      .reduce((sum, c) => sum + c.amount, 0),
  };
}

async function affiliateRows(s: Setup) {
  const rows = await prisma.dailyRollup.findMany({
    where: { programId: s.program.id, scope: 'AFFILIATE', key: s.enrollmentId },
  });
  const sum = (f: (r: (typeof rows)[number]) => number | bigint) =>
    rows.reduce((t, r) => t + Number(f(r)), 0);
  return {
    clicks: sum((r) => r.clicks),
    uniqueClicks: sum((r) => r.uniqueClicks),
    leads: sum((r) => r.leads),
    sales: sum((r) => r.sales),
    revenue: sum((r) => r.revenue),
    commission: sum((r) => r.commission),
  };
}

describe('report rollups', () => {
  test('clicks, sales, leads, refunds, rejections and reviews keep the day rows equal to the events', async () => {
    const s = await setup();
    const first = await click(s.spring.code, '198.51.100.7');
    await click(s.spring.code, '198.51.100.7'); // the same visitor within the hour: not unique
    const other = await click(s.plain.code, '198.51.100.8');

    // A coupon attributes sales without a click, so they can be dated back: three days ago.
    const code = `R${randomUUID().slice(0, 8).toUpperCase()}`;
    await ok(
      'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
      { input: { enrollmentId: s.enrollmentId, code } },
      s.merchant.token,
    );
    const sale = await track(s, 'Sale', { clickId: first, amount: 10_000 });
    const past = new Date(Date.now() - 72 * hour).toISOString();
    await track(s, 'Sale', { couponCode: code, amount: 4_550, occurredAt: past });
    const lead = await track(s, 'Lead', { clickId: other, consent: false });
    await track(s, 'Sale', { amount: 999 }); // unattributed: counts for nobody

    await ok(
      'mutation($input: RefundSaleInput!) { refundSale(input: $input) { replayed } }',
      { input: { programId: s.program.id, orderId: sale.orderId, refundId: 'r-1', amount: 3_333 } },
      s.key,
    );
    const leadCommission = await prisma.commission.findFirst({ where: { conversionId: lead.id } });
    if (leadCommission)
      await ok(
        'mutation($input: RejectCommissionInput!) { rejectCommission(input: $input) { status } }',
        { input: { commissionId: leadCommission.id, reason: 'duplicate lead' } },
        s.merchant.token,
      );

    // A held sale that a reviewer rejects leaves the figures with its commission.
    await ok(
      'mutation($input: UpdateFraudRuleInput!) { updateFraudRule(input: $input) { rule } }',
      { input: { programId: s.program.id, rule: 'TOO_FAST', action: 'HOLD' } },
      s.merchant.token,
    );
    const held = await track(s, 'Sale', { clickId: first, amount: 2_000 });
    expect((await prisma.conversion.findUniqueOrThrow({ where: { id: held.id } })).status).toBe('HELD');
    const before = await affiliateRows(s);
    expect(before.sales).toBe(3);
    await ok(
      'mutation($input: ReviewConversionInput!) { reviewConversion(input: $input) { status } }',
      { input: { conversionId: held.id, outcome: 'REJECT', reason: 'self-referral' } },
      s.merchant.token,
    );

    const expected = await fromEvents(s);
    expect(expected).toMatchObject({
      clicks: 3,
      uniqueClicks: 2,
      leads: 1,
      sales: 2,
      revenue: 6_667 + 4_550,
    });
    expect(await affiliateRows(s)).toEqual(expected);
    expect(await checkRollups(s.program.id)).toEqual([]);

    // The link and sub-ID rows split the same figures.
    const spring = await prisma.dailyRollup.findMany({
      where: { programId: s.program.id, scope: 'SUB_ID', key: `${s.enrollmentId}/spring` },
    });
    expect(spring.reduce((n, r) => n + r.clicks, 0)).toBe(2);
    expect(spring.reduce((n, r) => n + r.sales, 0)).toBe(1);
    expect(spring.reduce((n, r) => n + Number(r.revenue), 0)).toBe(6_667);
    const plain = await prisma.dailyRollup.findMany({
      where: { programId: s.program.id, scope: 'LINK', key: s.plain.id },
    });
    expect(plain.reduce((n, r) => n + r.clicks, 0)).toBe(1);
    expect(plain.reduce((n, r) => n + r.leads, 0)).toBe(1);
    // The coupon's sale is on its own day, in the affiliate's rows but no link's.
    const days = await prisma.dailyRollup.findMany({
      where: { programId: s.program.id, scope: 'AFFILIATE', day: new Date(`${past.slice(0, 10)}T00:00:00Z`) },
    });
    expect(days.map((r) => [r.sales, Number(r.revenue)])).toEqual([[1, 4_550]]);
  });

  test('the check finds a row that no longer matches the events', async () => {
    const s = await setup();
    await click(s.plain.code, '198.51.100.9');
    expect(await checkRollups(s.program.id)).toEqual([]);
    await prisma.$executeRaw`
      UPDATE "DailyRollup" SET clicks = clicks + 1, "clicksBy"[5] = "clicksBy"[5] + 1
      WHERE "programId" = ${s.program.id}::uuid AND scope = 'LINK'`;
    const issues = await checkRollups(s.program.id);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.scope === 'LINK')).toBe(true);
    expect(issues.some((i) => /^quarter 5 as kept: clicks [12],/.test(i.detail))).toBe(true);
  });
});
