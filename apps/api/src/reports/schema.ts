import { z } from 'zod';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { invalidInput } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { reportCsv } from './csv.ts';
import { epcDays, programEpc } from './epc.ts';
import { type Figures, total } from './figures.ts';
import { ReportBreakdownEnum, ReportOrderEnum, ReportRangeInput } from './inputs.ts';
import {
  type Breakdown,
  type BreakdownRow,
  type ReportOrder,
  type ReportRange,
  type ReportTarget,
  reportBreakdown,
  reportDays,
} from './query.ts';

/** What a report field resolves to; the days are read once per report, whoever asks. */
interface Report {
  target: ReportTarget;
  range: ReportRange;
  currency: string;
  days?: ReturnType<typeof reportDays>;
}

const daysOf = (r: Report) => {
  r.days ??= reportDays(r.target, r.range);
  return r.days;
};

const ReportFiguresRef = builder.interfaceRef<Figures>('ReportFigures').implement({
  description:
    "Figures over a period. Money is in the program's currency, minor units; a ratio over nothing is null.",
  fields: (t) => ({
    clicks: t.exposeInt('clicks'),
    uniqueClicks: t.exposeInt('uniqueClicks', {
      description: 'The first click by each visitor and link within an hour.',
    }),
    leads: t.exposeInt('leads', { description: 'Attributed leads, rejected ones left out.' }),
    sales: t.exposeInt('sales', { description: 'Attributed sales, rejected ones left out.' }),
    revenue: t.expose('revenue', { type: 'SafeInt', description: 'Sales net of refunds.' }),
    commission: t.expose('commission', {
      type: 'SafeInt',
      description: 'Commissions earned, net of reversals; rejected ones left out.',
    }),
    conversionRate: t.exposeFloat('conversionRate', {
      nullable: true,
      description: 'Sales per unique click (coupon sales have no click, so it can pass 1).',
    }),
    averageOrderValue: t.expose('averageOrderValue', {
      type: 'SafeInt',
      nullable: true,
      description: 'Revenue per sale, rounded half up.',
    }),
    earningsPerClick: t.expose('earningsPerClick', {
      type: 'SafeInt',
      nullable: true,
      description: 'Commission per click, rounded half up.',
    }),
    earningsPer100Clicks: t.expose('earningsPer100Clicks', {
      type: 'SafeInt',
      nullable: true,
      description: 'Commission per 100 clicks, rounded half up: EPC as networks usually quote it.',
    }),
  }),
});

const ReportTotalsRef = builder.objectRef<Figures>('ReportTotals').implement({
  description: "The range's figures.",
  interfaces: [ReportFiguresRef],
});

const ReportDayRef = builder.objectRef<Figures & { day: string }>('ReportDay').implement({
  description: 'One local day.',
  interfaces: [ReportFiguresRef],
  fields: (t) => ({ day: t.exposeString('day', { description: 'YYYY-MM-DD in the report’s time zone.' }) }),
});

const AffiliateRowRef = builder.objectRef<BreakdownRow>('AffiliateReportRow').implement({
  interfaces: [ReportFiguresRef],
  fields: (t) => ({
    enrollment: t.prismaField({
      type: 'Enrollment',
      description: 'The affiliate in the program.',
      resolve: (query, row) =>
        prisma.enrollment.findUniqueOrThrow({ ...query, where: { id: row.enrollmentId } }),
    }),
  }),
});

const LinkRowRef = builder.objectRef<BreakdownRow>('LinkReportRow').implement({
  interfaces: [ReportFiguresRef],
  fields: (t) => ({
    link: t.prismaField({
      type: 'Link',
      resolve: (query, row) => prisma.link.findUniqueOrThrow({ ...query, where: { id: row.linkId! } }),
    }),
  }),
});

const SubIdRowRef = builder.objectRef<BreakdownRow>('SubIdReportRow').implement({
  interfaces: [ReportFiguresRef],
  fields: (t) => ({
    subId: t.string({ description: 'The click’s first sub-ID (sub1).', resolve: (row) => row.subId! }),
  }),
});

const breakdownOf = { AFFILIATES: 'AFFILIATE', LINKS: 'LINK', SUB_IDS: 'SUB_ID' } as const;

/** Labels for CSV rows, read in one query per kind (a CSV lists every row). */
async function labelled(by: Breakdown, rows: BreakdownRow[]) {
  if (by === 'AFFILIATE') {
    const found = await prisma.enrollment.findMany({
      where: { id: { in: rows.map((r) => r.enrollmentId) } },
      select: { id: true, affiliate: { select: { displayName: true } } },
    });
    const names = new Map(found.map((e) => [e.id, e.affiliate.displayName]));
    return {
      labels: ['enrollment_id', 'affiliate_name'],
      rows: rows.map((r) => ({ label: [r.enrollmentId, names.get(r.enrollmentId) ?? ''], figures: r })),
    };
  }
  if (by === 'LINK') {
    const found = await prisma.link.findMany({
      where: { id: { in: rows.map((r) => r.linkId!) } },
      select: { id: true, code: true },
    });
    const codes = new Map(found.map((l) => [l.id, l.code]));
    return {
      labels: ['link_id', 'link_code', 'enrollment_id'],
      rows: rows.map((r) => ({ label: [r.linkId!, codes.get(r.linkId!) ?? '', r.enrollmentId], figures: r })),
    };
  }
  return {
    labels: ['enrollment_id', 'sub_id'],
    rows: rows.map((r) => ({ label: [r.enrollmentId, r.subId!], figures: r })),
  };
}

type BreakdownName = keyof typeof breakdownOf | 'DAYS';

/** The report's fields common to every target; `breakdowns` are the CSVs it offers beyond days. */
const reportType = (name: string, description: string, breakdowns: readonly BreakdownName[]) =>
  builder.objectRef<Report>(name).implement({
    description,
    fields: (t) => ({
      from: t.string({ resolve: (r) => r.range.from }),
      to: t.string({ resolve: (r) => r.range.to }),
      timeZone: t.string({ resolve: (r) => r.range.timeZone }),
      currency: t.string({
        description: "The program's currency: every amount is in it.",
        resolve: (r) => r.currency,
      }),
      totals: t.field({ type: ReportTotalsRef, resolve: async (r) => total(await daysOf(r)) }),
      days: t.field({
        type: [ReportDayRef],
        description: 'Every day of the range, oldest first.',
        resolve: daysOf,
      }),
      csv: t.string({
        description: `The report as CSV (RFC 4180): ${['DAYS', ...breakdowns].join(', ')}.`,
        args: { breakdown: t.arg({ type: ReportBreakdownEnum, defaultValue: 'DAYS' }) },
        resolve: async (r, args) => {
          const breakdown = args.breakdown ?? 'DAYS';
          if (breakdown === 'DAYS')
            return reportCsv(
              ['day'],
              (await daysOf(r)).map((d) => ({ label: [d.day], figures: d })),
              r.currency,
            );
          if (!breakdowns.includes(breakdown))
            throw invalidInput([
              { path: 'breakdown', message: `this report offers ${['DAYS', ...breakdowns].join(', ')}` },
            ]);
          const by = breakdownOf[breakdown];
          const enrollmentId = r.target.scope === 'AFFILIATE' ? r.target.enrollmentId : undefined;
          const rows = await reportBreakdown(r.target.programId, by, r.range, {
            enrollmentId,
            order: 'REVENUE',
            limit: null,
          });
          const csv = await labelled(by, rows);
          return reportCsv(csv.labels, csv.rows, r.currency);
        },
      }),
    }),
  });

const topArgs = {
  first: { description: '1 to 100.', defaultValue: 10 },
  orderBy: { defaultValue: 'REVENUE' as ReportOrder },
};

const top = (by: Breakdown) => (r: Report, args: { first?: number | null; orderBy?: ReportOrder | null }) => {
  const first = args.first ?? topArgs.first.defaultValue;
  if (first < 1 || first > 100) throw invalidInput([{ path: 'first', message: 'must be 1-100' }]);
  return reportBreakdown(r.target.programId, by, r.range, {
    enrollmentId: r.target.scope === 'AFFILIATE' ? r.target.enrollmentId : undefined,
    order: args.orderBy ?? topArgs.orderBy.defaultValue,
    limit: first,
  });
};

/** Adds top lists to a report: each field lists one kind of row, best first. */
const addTopLists = (
  report: ReturnType<typeof reportType>,
  lists: Record<string, [typeof LinkRowRef, Breakdown]>,
) =>
  builder.objectFields(report, (t) =>
    Object.fromEntries(
      Object.entries(lists).map(([name, [type, by]]) => [
        name,
        t.field({
          type: [type],
          args: {
            first: t.arg.int(topArgs.first),
            orderBy: t.arg({ type: ReportOrderEnum, ...topArgs.orderBy }),
          },
          resolve: top(by),
        }),
      ]),
    ),
  );

const ProgramReportRef = reportType('ProgramReport', "A program's figures, for its merchant.", [
  'AFFILIATES',
  'LINKS',
  'SUB_IDS',
]);
addTopLists(ProgramReportRef, {
  topAffiliates: [AffiliateRowRef, 'AFFILIATE'],
  topLinks: [LinkRowRef, 'LINK'],
});

const EnrollmentReportRef = reportType(
  'EnrollmentReport',
  "An affiliate's figures in a program, for the merchant and the affiliate.",
  ['LINKS', 'SUB_IDS'],
);
addTopLists(EnrollmentReportRef, { topLinks: [LinkRowRef, 'LINK'], topSubIds: [SubIdRowRef, 'SUB_ID'] });

const PartReportRef = reportType(
  'PartReport',
  "A link's or a sub-ID's figures, for the merchant and the affiliate.",
  [],
);

const rangeArg = { type: ReportRangeInput, description: 'Local days, both included (at most 366).' } as const;

builder.prismaObjectFields('Program', (t) => ({
  report: t.field({
    type: ProgramReportRef,
    description: 'Clicks, conversions and money by day, top affiliates and links, read from the day rollups.',
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    args: { range: t.arg(rangeArg) },
    resolve: (program, args) => ({
      target: { scope: 'PROGRAM' as const, programId: program.id },
      range: args.range as ReportRange,
      currency: program.currency,
    }),
  }),
}));

builder.prismaObjectFields('Enrollment', (t) => ({
  report: t.field({
    type: EnrollmentReportRef,
    select: { programId: true, program: { select: { currency: true } } },
    args: { range: t.arg(rangeArg) },
    resolve: (enrollment, args) => ({
      target: { scope: 'AFFILIATE' as const, programId: enrollment.programId, enrollmentId: enrollment.id },
      range: args.range as ReportRange,
      currency: enrollment.program.currency,
    }),
  }),
  subIdReport: t.field({
    type: PartReportRef,
    description: "One sub-ID's figures (the click's sub1).",
    select: { programId: true, program: { select: { currency: true } } },
    args: {
      subId: t.arg.string({ validate: z.string().min(1).max(256) }),
      range: t.arg(rangeArg),
    },
    resolve: (enrollment, args) => ({
      target: {
        scope: 'SUB_ID' as const,
        programId: enrollment.programId,
        enrollmentId: enrollment.id,
        subId: args.subId,
      },
      range: args.range as ReportRange,
      currency: enrollment.program.currency,
    }),
  }),
}));

builder.prismaObjectFields('Link', (t) => ({
  report: t.field({
    type: PartReportRef,
    select: { programId: true, program: { select: { currency: true } } },
    args: { range: t.arg(rangeArg) },
    resolve: (link, args) => ({
      target: { scope: 'LINK' as const, programId: link.programId, linkId: link.id },
      range: args.range as ReportRange,
      currency: link.program.currency,
    }),
  }),
}));

builder.prismaObjectFields('Program', (t) => ({
  recentEarningsPer100Clicks: t.field({
    type: 'SafeInt',
    nullable: true,
    description: `Commission per 100 clicks over the last ${epcDays} days (UTC), all affiliates together, in the program's currency (minor units, rounded half up); null without clicks. The marketplace sorts by it.`,
    resolve: async (program) => {
      const [row] = await prisma.$queryRaw<{ epc: bigint | null }[]>`
        SELECT ${programEpc(Prisma.sql`${program.id}::uuid`)} AS epc`;
      return row?.epc == null ? null : Number(row.epc);
    },
  }),
}));
