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

// Local periods (s, e] against UTC day rows: a row inside a period counts its day totals, a row
// the period cuts counts the sum of its quarter hours inside (every zone's offset is a whole
// number of quarter hours, so the cut is exact). A local day touches the UTC day before and after
// at most, so only those rows are read.
const figuresOf = (rows: Prisma.Sql, periods: Prisma.Sql, group: Prisma.Sql, extra: Prisma.Sql) => Prisma.sql`
  WITH p AS (${periods}),
  w AS (
    SELECT r.*, p.period, greatest(0, floor(extract(epoch FROM p.s - t.t0) / 900))::int AS a,
      least(96, floor(extract(epoch FROM p.e - t.t0) / 900))::int AS b
    FROM (${rows}) r
    CROSS JOIN LATERAL (SELECT r.day::timestamp AT TIME ZONE 'UTC' AS t0) t
    JOIN p ON p.s < t.t0 + interval '1 day' AND p.e > t.t0
  )
  SELECT ${group}, ${extra}
    sum(CASE WHEN whole THEN w.clicks ELSE q.clicks END)::bigint AS clicks,
    sum(CASE WHEN whole THEN w."uniqueClicks" ELSE q.uniques END)::bigint AS "uniqueClicks",
    sum(CASE WHEN whole THEN w.leads ELSE q.leads END)::bigint AS leads,
    sum(CASE WHEN whole THEN w.sales ELSE q.sales END)::bigint AS sales,
    sum(CASE WHEN whole THEN w.revenue ELSE q.revenue END)::bigint AS revenue,
    sum(CASE WHEN whole THEN w.commission ELSE q.commission END)::bigint AS commission
  FROM w
  CROSS JOIN LATERAL (SELECT w.a = 0 AND w.b = 96 AS whole) x
  LEFT JOIN LATERAL (
    SELECT sum(c) AS clicks, sum(u) AS uniques, sum(l) AS leads, sum(s) AS sales, sum(rv) AS revenue,
      sum(cm) AS commission
    FROM unnest(w."clicksBy"[w.a + 1:w.b], w."uniqueClicksBy"[w.a + 1:w.b], w."leadsBy"[w.a + 1:w.b],
      w."salesBy"[w.a + 1:w.b], w."revenueBy"[w.a + 1:w.b], w."commissionBy"[w.a + 1:w.b])
      AS u(c, u, l, s, rv, cm)
    WHERE NOT x.whole
  ) q ON TRUE`;

const start = (day: Prisma.Sql, zone: string) => Prisma.sql`((${day})::timestamp AT TIME ZONE ${zone})`;

const rowsOf = (programId: string, scope: string, key: Prisma.Sql, range: ReportRange) => Prisma.sql`
  SELECT * FROM "DailyRollup" r
  WHERE r."programId" = ${programId}::uuid AND r.scope = ${scope}::"RollupScope" AND ${key}
    AND r.day BETWEEN ${range.from}::date - 1 AND ${range.to}::date + 1`;

type Raw = Record<keyof Sums, bigint>;

/** One row per local day of the range, days without activity included, oldest first. */
export async function reportDays(
  target: ReportTarget,
  range: ReportRange,
): Promise<(Figures & { day: string })[]> {
  const periods = Prisma.sql`
    SELECT d::date::text AS period, ${start(Prisma.sql`d`, range.timeZone)} AS s,
      ${start(Prisma.sql`d + interval '1 day'`, range.timeZone)} AS e
    FROM generate_series(${range.from}::timestamp, ${range.to}::timestamp, interval '1 day') d`;
  const figures = figuresOf(
    rowsOf(target.programId, target.scope, keyOf(target), range),
    periods,
    Prisma.sql`w.period AS day`,
    Prisma.empty,
  );
  const rows = await prisma.$queryRaw<(Raw & { day: string })[]>`${figures} GROUP BY w.period`;
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const days: (Figures & { day: string })[] = [];
  for (let d = new Date(`${range.from}T00:00:00Z`); ; d = new Date(d.getTime() + 86_400_000)) {
    const day = d.toISOString().slice(0, 10);
    if (day > range.to) break;
    days.push({ day, ...sumsOf(byDay.get(day)) });
  }
  return days;
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
    rowsOf(programId, by, key, range),
    periods,
    Prisma.sql`w.key`,
    Prisma.sql`(array_agg(w."enrollmentId"))[1]::text AS "enrollmentId", (array_agg(w."linkId"))[1]::text AS "linkId",
      (array_agg(w."subId"))[1] AS "subId",`,
  );
  const limit = opts.limit === null ? Prisma.empty : Prisma.sql`LIMIT ${opts.limit}`;
  const rows = await prisma.$queryRaw<(Raw & Omit<BreakdownRow, keyof Figures>)[]>`
    ${figures} GROUP BY w.key ORDER BY ${orderColumn[opts.order]} DESC, clicks DESC, w.key ${limit}`;
  return rows.map((r) => ({ enrollmentId: r.enrollmentId, linkId: r.linkId, subId: r.subId, ...sumsOf(r) }));
}
