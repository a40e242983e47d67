// Every report figure against the same figure computed here from the raw clicks, conversions and
// commissions, in three time zones, with sales placed on either side of local midnights.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createApiKey, gql, ok } from '../helpers.ts';
import { affiliate, apply, approvedEnrollment, decide, tieredTerms } from '../programs.ts';
import { clickThrough, createLink, startHttp, trackConversion } from '../tracking.ts';

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp({ TRUST_PROXY: true });
});
afterAll(() => http.close());

const second = 1_000;
const hour = 3_600_000;
const zones = ['UTC', 'Asia/Kathmandu', 'America/New_York'];

const localDay = (t: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t);

/** The zone's offset from UTC at `t`, in ms ("GMT+05:45" → 20,700,000). */
function offset(t: Date, timeZone: string) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(t)
    .find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * hour + Number(m[3]) * 60_000) : 0;
}

/** The local midnight that starts the day `t` falls on, in the zone. */
const midnight = (t: Date, timeZone: string) =>
  new Date(Date.parse(`${localDay(t, timeZone)}T00:00:00Z`) - offset(t, timeZone));

interface Sums {
  clicks: number;
  uniqueClicks: number;
  leads: number;
  sales: number;
  revenue: number;
  commission: number;
}
const zero = (): Sums => ({ clicks: 0, uniqueClicks: 0, leads: 0, sales: 0, revenue: 0, commission: 0 });

/** Half-up integer division, written independently of the API's. */
const halfUp = (n: number, d: number) => Math.floor((2 * n + d) / (2 * d));

const derived = (s: Sums) => ({
  ...s,
  conversionRate: s.uniqueClicks ? s.sales / s.uniqueClicks : null,
  averageOrderValue: s.sales ? halfUp(s.revenue, s.sales) : null,
  earningsPerClick: s.clicks ? halfUp(s.commission, s.clicks) : null,
  earningsPer100Clicks: s.clicks ? halfUp(s.commission * 100, s.clicks) : null,
});

const FIGURES =
  'clicks uniqueClicks leads sales revenue commission conversionRate averageOrderValue earningsPerClick earningsPer100Clicks';

interface Filter {
  enrollmentId?: string;
  linkId?: string;
  subId?: string;
}

/** A report's days and totals computed from the raw events of the program. */
async function fromEvents(
  programId: string,
  filter: Filter,
  range: { from: string; to: string; timeZone: string },
) {
  const clicks = await prisma.click.findMany({ where: { programId } });
  const conversions = await prisma.conversion.findMany({
    where: { programId, enrollmentId: { not: null }, status: { not: 'REJECTED' } },
    include: { adjustments: true, commissions: true },
  });
  const clickOf = new Map(clicks.map((c) => [c.id, c]));
  const matches = (c: { enrollmentId: string; linkId: string | null; sub1: string | null } | undefined) =>
    (!filter.enrollmentId || c?.enrollmentId === filter.enrollmentId) &&
    (!filter.linkId || c?.linkId === filter.linkId) &&
    (!filter.subId || c?.sub1 === filter.subId);
  const days = new Map<string, Sums>();
  const at = (t: Date) => {
    const day = localDay(t, range.timeZone);
    if (!days.has(day)) days.set(day, zero());
    return days.get(day)!;
  };
  for (const c of clicks)
    if (matches(c)) {
      at(c.createdAt).clicks++;
      if (c.isUnique) at(c.createdAt).uniqueClicks++;
    }
  for (const v of conversions) {
    const click = v.clickId ? clickOf.get(v.clickId) : undefined;
    const byClick = filter.linkId || filter.subId;
    if (byClick ? !matches(click) : filter.enrollmentId && v.enrollmentId !== filter.enrollmentId) continue;
    const d = at(v.occurredAt);
    if (v.kind === 'LEAD') d.leads++;
    else {
      d.sales++;
      const refunded = v.adjustments.reduce((r, a) => r + a.amount, 0);
      d.revenue += Math.floor((v.programAmount! * (v.amount! - refunded)) / v.amount!);
    }
    d.commission += v.commissions
      .filter((c) => c.status !== 'REJECTED')
      .reduce((sum, c) => sum + c.amount, 0);
  }
  const list = [];
  const totals = zero();
  for (let t = Date.parse(`${range.from}T00:00:00Z`); ; t += 24 * hour) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > range.to) break;
    const s = days.get(day) ?? zero();
    for (const k of Object.keys(totals) as (keyof Sums)[]) totals[k] += s[k];
    list.push({ day, ...derived(s) });
  }
  return { days: list, totals: derived(totals) };
}

const tag = Math.random().toString(36).slice(2, 8);

async function scenario() {
  const s = await approvedEnrollment({ name: `Reports ${tag}`, terms: { ...tieredTerms, leadAmount: 150 } });
  const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const other = await affiliate('Other');
  const applied = await apply(other.user.token, s.program.id, other.org.id);
  await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, s.merchant.token);
  const link = createLink;
  const spring = await link(s.enrollmentId, s.aff.user.token, ['spring']);
  const plain = await link(s.enrollmentId, s.aff.user.token, []);
  const others = await link(applied.id, other.user.token, ['spring']);
  const coupon = async (enrollmentId: string) => {
    const code = `R${randomUUID().slice(0, 8).toUpperCase()}`;
    await ok(
      'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
      { input: { enrollmentId, code } },
      s.merchant.token,
    );
    return code;
  };
  const click = (code: string, from: string) => clickThrough(http, code, from);
  const track = (kind: 'Sale' | 'Lead', input: Record<string, unknown>) =>
    trackConversion(s.program.id, key, kind, input);
  return {
    ...s,
    key,
    other: { ...other, enrollmentId: applied.id as string },
    spring,
    plain,
    others,
    coupon,
    click,
    track,
  };
}

const REPORT = `query($id: ID!, $range: ReportRange!) { program(id: $id) { report(range: $range) {
  from to timeZone currency totals { ${FIGURES} } days { day ${FIGURES} }
  topAffiliates(first: 5) { enrollment { id } ${FIGURES} }
  topLinks(first: 5, orderBy: CLICKS) { link { id } ${FIGURES} } } } }`;

const ENROLLMENT_REPORT = `query($id: ID!, $range: ReportRange!) { enrollment(id: $id) {
  report(range: $range) { totals { ${FIGURES} } days { day ${FIGURES} }
    topLinks(orderBy: CLICKS) { link { id } clicks } topSubIds { subId ${FIGURES} } }
  subIdReport(subId: "spring", range: $range) { totals { ${FIGURES} } days { day ${FIGURES} } } } }`;

const LINK_REPORT = `query($id: ID!, $range: ReportRange!) { link(id: $id) {
  report(range: $range) { totals { ${FIGURES} } days { day ${FIGURES} } csv } } }`;

describe('reports', () => {
  let s: Awaited<ReturnType<typeof scenario>>;
  const now = new Date();
  const boundaries = [
    {
      zone: 'Asia/Kathmandu',
      at: midnight(new Date(now.getTime() - 30 * hour), 'Asia/Kathmandu'),
      amount: 1_001,
      enrollment: () => s.enrollmentId,
    },
    {
      zone: 'America/New_York',
      at: midnight(new Date(now.getTime() - 54 * hour), 'America/New_York'),
      amount: 3_003,
      enrollment: () => s.other.enrollmentId,
    },
  ];

  beforeAll(async () => {
    s = await scenario();
    const first = await s.click(s.spring.code, '198.51.100.7');
    await s.click(s.spring.code, '198.51.100.7'); // the same visitor within the hour: not unique
    const plain = await s.click(s.plain.code, '198.51.100.8');
    const theirs = await s.click(s.others.code, '198.51.100.9');

    const sale = await s.track('Sale', { clickId: first, amount: 10_000 });
    await ok(
      'mutation($input: RefundSaleInput!) { refundSale(input: $input) { replayed } }',
      { input: { programId: s.program.id, orderId: sale.orderId, refundId: 'r-1', amount: 3_333 } },
      s.key,
    );
    const lead = await s.track('Lead', { clickId: plain, consent: false });
    const leadCommission = await prisma.commission.findFirstOrThrow({ where: { conversionId: lead.id } });
    await ok(
      'mutation($input: RejectCommissionInput!) { rejectCommission(input: $input) { status } }',
      { input: { commissionId: leadCommission.id, reason: 'duplicate lead' } },
      s.merchant.token,
    );
    await s.track('Sale', { clickId: theirs, amount: 2_500 });
    await s.track('Sale', { amount: 999 }); // unattributed: counts for nobody

    // Coupon sales can be dated back: one second either side of a local midnight, one affiliate
    // in Kathmandu (UTC+5:45), the other in New York.
    for (const b of boundaries) {
      const code = await s.coupon(b.enrollment());
      await s.track('Sale', {
        couponCode: code,
        amount: b.amount,
        occurredAt: new Date(b.at.getTime() - second).toISOString(),
      });
      await s.track('Sale', { couponCode: code, amount: b.amount + 1, occurredAt: b.at.toISOString() });
    }
  });

  const rangeIn = (timeZone: string) => ({
    from: localDay(new Date(now.getTime() - 4 * 24 * hour), timeZone),
    to: localDay(now, timeZone),
    timeZone,
  });

  test.each(zones)('the program report equals the raw events, day by day, in %s', async (zone) => {
    const range = rangeIn(zone);
    const { report } = (await ok(REPORT, { id: s.program.id, range }, s.merchant.token)).program;
    const expected = await fromEvents(s.program.id, {}, range);
    expect(report.days).toEqual(expected.days);
    expect(report.totals).toEqual(expected.totals);
    expect(report).toMatchObject({ ...range, currency: 'USD' });
    expect(report.totals).toMatchObject({ clicks: 4, uniqueClicks: 3, leads: 1, sales: 6 });
    expect(report.totals.revenue).toBe(6_667 + 2_500 + 1_001 + 1_002 + 3_003 + 3_004);

    const mine = await fromEvents(s.program.id, { enrollmentId: s.enrollmentId }, range);
    const theirs = await fromEvents(s.program.id, { enrollmentId: s.other.enrollmentId }, range);
    expect(report.topAffiliates).toEqual([
      { enrollment: { id: s.enrollmentId }, ...mine.totals },
      { enrollment: { id: s.other.enrollmentId }, ...theirs.totals },
    ]);
    const spring = await fromEvents(s.program.id, { linkId: s.spring.id }, range);
    expect(report.topLinks[0]).toEqual({ link: { id: s.spring.id }, ...spring.totals });
    expect(report.topLinks.map((l: { clicks: number }) => l.clicks)).toEqual([2, 1, 1]);
  });

  test('a sale one second before local midnight is on the day before, in that zone only', async () => {
    const revenueByDay = async (enrollmentId: string, timeZone: string) => {
      const { enrollment } = await ok(
        ENROLLMENT_REPORT,
        { id: enrollmentId, range: rangeIn(timeZone) },
        s.merchant.token,
      );
      return new Map(enrollment.report.days.map((d: { day: string; revenue: number }) => [d.day, d.revenue]));
    };
    for (const b of boundaries) {
      const before = localDay(new Date(b.at.getTime() - second), b.zone);
      const after = localDay(b.at, b.zone);
      expect(before < after).toBe(true);
      const local = await revenueByDay(b.enrollment(), b.zone);
      expect([local.get(before), local.get(after)]).toEqual([b.amount, b.amount + 1]);
      // Both seconds fall on one UTC day: the UTC report has the pair together.
      const utcDay = localDay(b.at, 'UTC');
      expect(localDay(new Date(b.at.getTime() - second), 'UTC')).toBe(utcDay);
      expect((await revenueByDay(b.enrollment(), 'UTC')).get(utcDay)).toBe(2 * b.amount + 1);
    }
  });

  test.each(zones)('the affiliate, sub-ID and link reports equal the raw events in %s', async (zone) => {
    const range = rangeIn(zone);
    for (const credential of [s.merchant.token, s.aff.user.token]) {
      const { enrollment } = await ok(ENROLLMENT_REPORT, { id: s.enrollmentId, range }, credential);
      const mine = await fromEvents(s.program.id, { enrollmentId: s.enrollmentId }, range);
      expect(enrollment.report.days).toEqual(mine.days);
      expect(enrollment.report.totals).toEqual(mine.totals);
      expect(enrollment.report.topLinks).toEqual([
        { link: { id: s.spring.id }, clicks: 2 },
        { link: { id: s.plain.id }, clicks: 1 },
      ]);
      const spring = await fromEvents(s.program.id, { enrollmentId: s.enrollmentId, subId: 'spring' }, range);
      expect(enrollment.subIdReport.days).toEqual(spring.days);
      expect(enrollment.report.topSubIds).toEqual([{ subId: 'spring', ...spring.totals }]);

      const { link } = await ok(LINK_REPORT, { id: s.plain.id, range }, credential);
      const plain = await fromEvents(s.program.id, { linkId: s.plain.id }, range);
      expect(link.report.days).toEqual(plain.days);
      expect(link.report.totals).toMatchObject({
        clicks: 1,
        leads: 1,
        sales: 0,
        commission: 0,
        averageOrderValue: null,
      });
    }
  });

  test('reports download as CSV, one row per day or per affiliate, link or sub-ID', async () => {
    const range = rangeIn('UTC');
    const csv = async (breakdown: string) =>
      (
        await ok(
          'query($id: ID!, $range: ReportRange!, $b: ReportBreakdown!) { program(id: $id) { report(range: $range) { csv(breakdown: $b) } } }',
          { id: s.program.id, range, b: breakdown },
          s.key,
        )
      ).program.report.csv
        .trimEnd()
        .split('\n') as string[];
    const days = await csv('DAYS');
    expect(days[0]).toBe(
      'day,clicks,unique_clicks,leads,sales,conversion_rate,currency,revenue,revenue_minor_units,commission,commission_minor_units,average_order_value,earnings_per_click,earnings_per_100_clicks',
    );
    expect(days).toHaveLength(1 + 5);
    const expected = await fromEvents(s.program.id, {}, range);
    const today = expected.days.at(-1)!;
    expect(days.at(-1)).toBe(
      [
        today.day,
        today.clicks,
        today.uniqueClicks,
        today.leads,
        today.sales,
        today.conversionRate === null ? '' : today.conversionRate.toFixed(4),
        'USD',
        (today.revenue / 100).toFixed(2),
        today.revenue,
        (today.commission / 100).toFixed(2),
        today.commission,
        today.averageOrderValue === null ? '' : (today.averageOrderValue / 100).toFixed(2),
        today.earningsPerClick === null ? '' : (today.earningsPerClick / 100).toFixed(2),
        today.earningsPer100Clicks === null ? '' : (today.earningsPer100Clicks / 100).toFixed(2),
      ].join(','),
    );
    const affiliates = await csv('AFFILIATES');
    expect(affiliates[0]!.startsWith('enrollment_id,affiliate_name,clicks,')).toBe(true);
    expect(affiliates.slice(1).map((r) => r.split(',').slice(0, 3))).toEqual([
      [s.enrollmentId, 'Affiliate Reviews', '3'],
      [s.other.enrollmentId, 'Other Reviews', '1'],
    ]);
    const links = await csv('LINKS');
    expect(links.slice(1).map((r) => r.split(',')[1])).toEqual(
      expect.arrayContaining([s.spring.code, s.plain.code, s.others.code]),
    );
    const subIds = await csv('SUB_IDS');
    expect(subIds.slice(1).map((r) => r.split(',').slice(0, 3))).toEqual(
      expect.arrayContaining([
        [s.enrollmentId, 'spring', '2'],
        [s.other.enrollmentId, 'spring', '1'],
      ]),
    );
    const { link } = await ok(LINK_REPORT, { id: s.spring.id, range }, s.aff.user.token);
    expect(link.report.csv.split('\n')[0]).toMatch(/^day,clicks,/);
  });

  test('merchants see their programs; affiliates only their own figures', async () => {
    const range = rangeIn('UTC');
    const outsider = await approvedEnrollment();
    // The affiliate sees the program, not its report; nor another affiliate's.
    const asAffiliate = await gql(REPORT, { id: s.program.id, range }, s.aff.user.token);
    expect(asAffiliate.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const [query, id, credential] of [
      [ENROLLMENT_REPORT, s.other.enrollmentId, s.aff.user.token],
      [ENROLLMENT_REPORT, s.enrollmentId, outsider.merchant.token],
      [ENROLLMENT_REPORT, s.enrollmentId, outsider.aff.user.token],
      [LINK_REPORT, s.others.id, s.aff.user.token],
      [REPORT, s.program.id, outsider.merchant.token],
    ] as const) {
      const result = await gql(query, { id, range }, credential);
      expect(result.data).toBeNull();
      expect(['NOT_FOUND', 'FORBIDDEN']).toContain(result.errors?.[0]?.extensions?.code);
    }
    expect((await gql(REPORT, { id: s.program.id, range })).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    // The affiliate's report of its own enrollment holds none of the other affiliate's figures.
    const own = (await ok(ENROLLMENT_REPORT, { id: s.enrollmentId, range }, s.aff.user.token)).enrollment;
    expect(own.report.totals.clicks).toBe(3);
    const csv = (
      await gql(
        'query($id: ID!, $range: ReportRange!) { enrollment(id: $id) { report(range: $range) { csv(breakdown: AFFILIATES) } } }',
        { id: s.enrollmentId, range },
        s.aff.user.token,
      )
    ).errors?.[0];
    expect(csv?.extensions?.code).toBe('INVALID_INPUT');
  });

  test('the marketplace sorts programs by their earnings per 100 clicks over the last 30 days', async () => {
    const quiet = await approvedEnrollment({ name: `Reports ${tag} quiet` });
    const quietLink = await createLink(quiet.enrollmentId, quiet.aff.user.token);
    await s.click(quietLink.code, '198.51.100.20');
    const fresh = await approvedEnrollment({ name: `Reports ${tag} fresh` });
    const { marketplace } = await ok(
      `query($filter: MarketplaceFilter) { marketplace(filter: $filter, sort: HIGHEST_EARNINGS_PER_CLICK) {
        edges { node { id recentEarningsPer100Clicks } } } }`,
      { filter: { search: tag } },
      s.aff.user.token,
    );
    const since = new Date(now.getTime() - 30 * 24 * hour);
    const recent = await fromEvents(
      s.program.id,
      {},
      { from: localDay(since, 'UTC'), to: localDay(now, 'UTC'), timeZone: 'UTC' },
    );
    expect(recent.totals.earningsPer100Clicks).toBeGreaterThan(0);
    expect(marketplace.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { id: s.program.id, recentEarningsPer100Clicks: recent.totals.earningsPer100Clicks },
      { id: quiet.program.id, recentEarningsPer100Clicks: 0 },
      { id: fresh.program.id, recentEarningsPer100Clicks: null },
    ]);
  });

  test('a bad range is a typed error', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ from: '2026-02-30', to: '2026-03-01' }, 'range.from'],
      [{ from: '2026-03-02', to: '2026-03-01' }, 'range.to'],
      [{ from: '2025-01-01', to: '2026-03-01' }, 'range.to'],
      [{ from: '2026-03-01', to: '2026-03-01', timeZone: 'Mars/Olympus' }, 'range.timeZone'],
      [{ from: '1999-12-31', to: '2000-01-01' }, 'range.from'],
    ];
    for (const [range, path] of cases) {
      const { errors } = await gql(REPORT, { id: s.program.id, range }, s.merchant.token);
      expect(errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      expect(JSON.stringify(errors?.[0]?.extensions)).toContain(path);
    }
    const subId = await gql(
      'query($id: ID!) { enrollment(id: $id) { subIdReport(subId: "", range: {from: "2026-01-01", to: "2026-01-02"}) { from } } }',
      { id: s.enrollmentId },
      s.merchant.token,
    );
    expect(subId.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    const first = await gql(
      'query($id: ID!) { program(id: $id) { report(range: {from: "2026-01-01", to: "2026-01-02"}) { topLinks(first: 101) { clicks } } } }',
      { id: s.program.id },
      s.merchant.token,
    );
    expect(first.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });
});
