import { prisma } from '../db.ts';

export interface RollupIssue {
  scope: string;
  key: string;
  day: string;
  detail: string;
}

const metrics = ['clicks', 'uniques', 'leads', 'sales', 'revenue', 'commission'] as const;

// Day rows as quarter hours, the program's shards added up.
const quarters = (rows: string) => `
  SELECT scope::text, CASE WHEN scope = 'PROGRAM' THEN '' ELSE key END AS key, day::text, q.i::int AS slot,
    sum(q.c)::bigint AS clicks, sum(q.u)::bigint AS uniques, sum(q.l)::bigint AS leads, sum(q.s)::bigint AS sales,
    sum(q.rv)::bigint AS revenue, sum(q.cm)::bigint AS commission
  FROM ${rows} r,
    unnest(r."clicksBy", r."uniqueClicksBy", r."leadsBy", r."salesBy", r."revenueBy", r."commissionBy")
      WITH ORDINALITY AS q(c, u, l, s, rv, cm, i)
  GROUP BY 1, 2, 3, 4
  HAVING sum(q.c) <> 0 OR sum(q.u) <> 0 OR sum(q.l) <> 0 OR sum(q.s) <> 0 OR sum(q.rv) <> 0 OR sum(q.cm) <> 0`;

const live = `(SELECT * FROM "DailyRollup" WHERE $1::uuid IS NULL OR "programId" = $1::uuid)`;

/**
 * Proves the reports' day rows equal what the raw clicks and conversions give, quarter hour by
 * quarter hour, and that each day's totals are the sum of its quarter hours. Returns what
 * differs; an empty list means the rollups are exact.
 */
export async function checkRollups(programId: string | null = null): Promise<RollupIssue[]> {
  const issues: RollupIssue[] = [];
  const totals = await prisma.$queryRawUnsafe<{ scope: string; key: string; day: string }[]>(
    `SELECT scope::text, key, day::text FROM ${live} r
     WHERE cardinality(r."clicksBy") <> 96 OR r.clicks <> (SELECT sum(x) FROM unnest(r."clicksBy") x)
       OR r."uniqueClicks" <> (SELECT sum(x) FROM unnest(r."uniqueClicksBy") x)
       OR r.leads <> (SELECT sum(x) FROM unnest(r."leadsBy") x) OR r.sales <> (SELECT sum(x) FROM unnest(r."salesBy") x)
       OR r.revenue <> (SELECT sum(x) FROM unnest(r."revenueBy") x)
       OR r.commission <> (SELECT sum(x) FROM unnest(r."commissionBy") x)`,
    programId,
  );
  for (const r of totals) issues.push({ ...r, detail: 'the day total is not the sum of its quarter hours' });
  const differ = await prisma.$queryRawUnsafe<
    (Record<string, string | number | bigint> & { side: string })[]
  >(
    `WITH kept AS (${quarters(live)}), rebuilt AS (${quarters('rollup_rebuilt($1::uuid)')})
     (SELECT 'kept' AS side, * FROM kept EXCEPT SELECT 'kept', * FROM rebuilt)
     UNION ALL
     (SELECT 'events' AS side, * FROM rebuilt EXCEPT SELECT 'events', * FROM kept)
     ORDER BY 2, 3, 4, 5, 1 LIMIT 100`,
    programId,
  );
  for (const d of differ)
    issues.push({
      scope: String(d.scope),
      key: String(d.key),
      day: String(d.day),
      detail: `quarter ${d.slot} as ${d.side === 'kept' ? 'kept' : 'the events give it'}: ${metrics
        .map((m) => `${m} ${d[m]}`)
        .join(', ')}`,
    });
  return issues;
}
