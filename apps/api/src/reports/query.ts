import { prisma } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { type Figures, type Sums, sumsOf } from './figures.ts';

/** Local calendar days, both included, in an IANA time zone. */
export interface ReportRange {
  from: string;
  to: string;
  timeZone: string;
}

/** Whose figures: a program, an affiliate in it (enrollment), one of its links or sub-IDs. */
export type ReportTarget =
  | { scope: 'PROGRAM'; programId: string }
  | { scope: 'AFFILIATE'; programId: string; enrollmentId: string }
  | { scope: 'LINK'; programId: string; linkId: string }
  | { scope: 'SUB_ID'; programId: string; enrollmentId: string; subId: string };

export type Breakdown = 'AFFILIATE' | 'LINK' | 'SUB_ID';
export type ReportOrder = 'CLICKS' | 'SALES' | 'REVENUE' | 'COMMISSION';

export interface BreakdownRow extends Figures {
  enrollmentId: string;
  linkId: string | null;
  subId: string | null;
}

// A program's figures are spread over several rows (shards); the others have one key.
const keyOf = (t: ReportTarget): Prisma.Sql => {
  switch (t.scope) {
    case 'PROGRAM':
      return Prisma.sql`TRUE`;
    case 'AFFILIATE':
      return Prisma.sql`r.key = ${t.enrollmentId}`;
    case 'LINK':
      return Prisma.sql`r.key = ${t.linkId}`;
    case 'SUB_ID':
      return Prisma.sql`r.key = ${`${t.enrollmentId}/${t.subId}`}`;
  }
};

// Local periods [s, e) against UTC day rows. A row inside a period counts its day totals; a row
// the period cuts counts its quarter hours inside (every zone's offset is a whole number of
// quarter hours, so the cut is exact). Where more than half the day is inside, it is the totals
// minus the quarter hours outside, so no cut reads more than 48 of them. The day bounds are worked
// out once per (period, UTC day), and whole days read only the scalar totals.
const figuresOf = (where: Prisma.Sql, periods: Prisma.Sql, group: Prisma.Sql) => Prisma.sql`
  WITH p AS (${periods}),
  bounds AS MATERIALIZED (
    SELECT p.period, g.day, g.a, g.b, g.b - g.a > 48 AS totals, g.a = 0 AND g.b = 96 AS whole FROM p
    CROSS JOIN LATERAL (
      SELECT u.day, greatest(0, floor(extract(epoch FROM p.s - (u.day::timestamp AT TIME ZONE 'UTC')) / 900))::int AS a,
        least(96, floor(extract(epoch FROM p.e - (u.day::timestamp AT TIME ZONE 'UTC')) / 900))::int AS b
      FROM unnest(ARRAY(SELECT generate_series((p.s AT TIME ZONE 'UTC')::date::timestamp,
        ((p.e - interval '1 microsecond') AT TIME ZONE 'UTC')::date::timestamp, interval '1 day')::date)) AS u(day)
    ) g
  ),
  w AS (
    SELECT b.period, r.key, r."enrollmentId", r."linkId", r."subId", r.clicks, r."uniqueClicks" AS uniques, r.leads,
      r.sales, r.revenue, r.commission
    FROM "DailyRollup" r JOIN bounds b ON b.day = r.day AND b.totals
    WHERE ${where} AND r.day = ANY(ARRAY(SELECT day FROM bounds WHERE totals))
    UNION ALL
    SELECT b.period, r.key, r."enrollmentId", r."linkId", r."subId",
      ${cut('clicksBy')}, ${cut('uniqueClicksBy')}, ${cut('leadsBy')}, ${cut('salesBy')}, ${cut('revenueBy')},
      ${cut('commissionBy')}
    FROM "DailyRollup" r JOIN bounds b ON b.day = r.day AND NOT b.whole
    WHERE ${where} AND r.day = ANY(ARRAY(SELECT day FROM bounds WHERE NOT whole))
  )
  SELECT ${group},
    sum(w.clicks)::bigint AS clicks, sum(w.uniques)::bigint AS "uniqueClicks", sum(w.leads)::bigint AS leads,
    sum(w.sales)::bigint AS sales, sum(w.revenue)::bigint AS revenue, sum(w.commission)::bigint AS commission
  FROM w`;

// The quarter hours a cut day adds (those inside), or takes off its totals (those outside).
const cut = (column: string) => {
  const c = Prisma.raw(`r."${column}"`);
  return Prisma.sql`unnest(CASE WHEN b.totals THEN ${c}[1:b.a] || ${c}[b.b + 1:96] ELSE ${c}[b.a + 1:b.b] END)
    * CASE WHEN b.totals THEN -1 ELSE 1 END`;
};

const start = (day: Prisma.Sql, zone: string) => Prisma.sql`((${day})::timestamp AT TIME ZONE ${zone})`;

const rowsOf = (programId: string, scope: string, key: Prisma.Sql) =>
  Prisma.sql`r."programId" = ${programId}::uuid AND r.scope = ${scope}::"RollupScope" AND ${key}`;

type Raw = Record<keyof Sums, bigint>;

/** One row per local day of the range, days without activity included, oldest first. */
export async function reportDays(
  target: ReportTarget,
  range: ReportRange,
): Promise<(Figures & { day: string })[]> {
  const days: string[] = [];
  for (let t = Date.parse(`${range.from}T00:00:00Z`); ; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > range.to) break;
    days.push(day);
  }
  // An array, not generate_series: the planner then knows how many days there are. With
  // generate_series' default guess (1,000 rows, squared by the join) it compiles the query with
  // JIT, which alone takes longer than the whole report.
  const periods = Prisma.sql`
    SELECT d::text AS period, ${start(Prisma.sql`d`, range.timeZone)} AS s,
      ${start(Prisma.sql`d + 1`, range.timeZone)} AS e
    FROM unnest(${days}::date[]) d`;
  const figures = figuresOf(
    rowsOf(target.programId, target.scope, keyOf(target)),
    periods,
    Prisma.sql`w.period AS day`,
  );
  const rows = await prisma.$queryRaw<(Raw & { day: string })[]>`${figures} GROUP BY w.period`;
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return days.map((day) => ({ day, ...sumsOf(byDay.get(day)) }));
}

const orderColumn: Record<ReportOrder, Prisma.Sql> = {
  CLICKS: Prisma.sql`clicks`,
  SALES: Prisma.sql`sales`,
  REVENUE: Prisma.sql`revenue`,
  COMMISSION: Prisma.sql`commission`,
};

/**
 * The range's figures per affiliate, link or sub-ID of a program (or of one affiliate), best
 * first by `order`, then by clicks; `limit` null returns every row (for a CSV).
 */
export async function reportBreakdown(
  programId: string,
  by: Breakdown,
  range: ReportRange,
  opts: { enrollmentId?: string; order: ReportOrder; limit: number | null },
): Promise<BreakdownRow[]> {
  const key = opts.enrollmentId
    ? Prisma.sql`r."enrollmentId" = ${opts.enrollmentId}::uuid`
    : Prisma.sql`TRUE`;
  const periods = Prisma.sql`
    SELECT 0 AS period, ${start(Prisma.sql`${range.from}::date`, range.timeZone)} AS s,
      ${start(Prisma.sql`${range.to}::date + 1`, range.timeZone)} AS e`;
  const figures = figuresOf(
    rowsOf(programId, by, key),
    periods,
    Prisma.sql`w.key, w."enrollmentId"::text AS "enrollmentId", w."linkId"::text AS "linkId", w."subId"`,
  );
  const limit = opts.limit === null ? Prisma.empty : Prisma.sql`LIMIT ${opts.limit}`;
  const rows = await prisma.$queryRaw<(Raw & Omit<BreakdownRow, keyof Figures>)[]>`
    ${figures} GROUP BY w.key, w."enrollmentId", w."linkId", w."subId" ORDER BY ${orderColumn[opts.order]} DESC, clicks DESC, w.key ${limit}`;
  return rows.map((r) => ({ enrollmentId: r.enrollmentId, linkId: r.linkId, subId: r.subId, ...sumsOf(r) }));
}
