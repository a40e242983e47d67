-- The same function in PL/pgSQL, which keeps its plan for the session: a SQL-language function
-- that writes is planned again at every call, which cost each conversion about 0.8 ms of
-- PostgreSQL time (bench:conversions). Migrations now reach PostgreSQL as whole scripts
-- (src/database/schema-engine.ts), so a body may hold several statements.
CREATE OR REPLACE FUNCTION rollup_add(
  program uuid, enrollment uuid, link uuid, sub text, at timestamptz, shard int,
  n_clicks int, n_uniques int, n_leads int, n_sales int, n_revenue bigint, n_commission bigint
) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "DailyRollup" AS r (
    "programId", scope, key, day, "enrollmentId", "linkId", "subId",
    clicks, "uniqueClicks", leads, sales, revenue, commission,
    "clicksBy", "uniqueClicksBy", "leadsBy", "salesBy", "revenueBy", "commissionBy")
  SELECT program, v.scope, v.key, rollup_day(at), v.enrollment, v.link, v.sub,
    n_clicks, n_uniques, n_leads, n_sales, n_revenue, n_commission,
    rollup_slot(rollup_quarter(at), n_clicks)::int[], rollup_slot(rollup_quarter(at), n_uniques)::int[],
    rollup_slot(rollup_quarter(at), n_leads)::int[], rollup_slot(rollup_quarter(at), n_sales)::int[],
    rollup_slot(rollup_quarter(at), n_revenue), rollup_slot(rollup_quarter(at), n_commission)
  FROM (VALUES
    (1, 'PROGRAM'::"RollupScope", shard::text, NULL::uuid, NULL::uuid, NULL::text),
    (2, 'AFFILIATE', enrollment::text, enrollment, NULL, NULL),
    (3, 'LINK', link::text, enrollment, link, NULL),
    (4, 'SUB_ID', enrollment::text || '/' || sub, enrollment, NULL, sub)
  ) AS v(n, scope, key, enrollment, link, sub)
  WHERE v.key IS NOT NULL
  ORDER BY v.n
  ON CONFLICT ("programId", scope, key, day) DO UPDATE SET
    clicks = r.clicks + EXCLUDED.clicks,
    "uniqueClicks" = r."uniqueClicks" + EXCLUDED."uniqueClicks",
    leads = r.leads + EXCLUDED.leads,
    sales = r.sales + EXCLUDED.sales,
    revenue = r.revenue + EXCLUDED.revenue,
    commission = r.commission + EXCLUDED.commission,
    "clicksBy"[rollup_quarter(at)] = r."clicksBy"[rollup_quarter(at)] + EXCLUDED.clicks,
    "uniqueClicksBy"[rollup_quarter(at)] = r."uniqueClicksBy"[rollup_quarter(at)] + EXCLUDED."uniqueClicks",
    "leadsBy"[rollup_quarter(at)] = r."leadsBy"[rollup_quarter(at)] + EXCLUDED.leads,
    "salesBy"[rollup_quarter(at)] = r."salesBy"[rollup_quarter(at)] + EXCLUDED.sales,
    "revenueBy"[rollup_quarter(at)] = r."revenueBy"[rollup_quarter(at)] + EXCLUDED.revenue,
    "commissionBy"[rollup_quarter(at)] = r."commissionBy"[rollup_quarter(at)] + EXCLUDED.commission;
  RETURN 1;
END
$$;
