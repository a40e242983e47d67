-- CreateEnum
CREATE TYPE "RollupScope" AS ENUM ('PROGRAM', 'AFFILIATE', 'LINK', 'SUB_ID');

-- DropTable
DROP TABLE "Rollup";

-- CreateTable
CREATE TABLE "DailyRollup" (
    "programId" UUID NOT NULL,
    "scope" "RollupScope" NOT NULL,
    "key" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "enrollmentId" UUID,
    "linkId" UUID,
    "subId" TEXT,
    "clicks" INTEGER NOT NULL DEFAULT 0,
    "uniqueClicks" INTEGER NOT NULL DEFAULT 0,
    "leads" INTEGER NOT NULL DEFAULT 0,
    "sales" INTEGER NOT NULL DEFAULT 0,
    "revenue" BIGINT NOT NULL DEFAULT 0,
    "commission" BIGINT NOT NULL DEFAULT 0,
    "clicksBy" INTEGER[],
    "uniqueClicksBy" INTEGER[],
    "leadsBy" INTEGER[],
    "salesBy" INTEGER[],
    "revenueBy" BIGINT[],
    "commissionBy" BIGINT[],

    CONSTRAINT "DailyRollup_pkey" PRIMARY KEY ("programId","scope","key","day")
);

-- CreateIndex
CREATE INDEX "DailyRollup_programId_scope_day_idx" ON "DailyRollup"("programId", "scope", "day");

-- Function bodies hold a single statement each: migrations run statement by statement, split at
-- semicolons.

-- The UTC day of a time, and its quarter hour in that day (1 to 96).
CREATE FUNCTION rollup_day(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT (at AT TIME ZONE 'UTC')::date
$$;
CREATE FUNCTION rollup_quarter(at timestamptz) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT floor(extract(epoch FROM at - (rollup_day(at)::timestamp AT TIME ZONE 'UTC')) / 900)::int + 1
$$;

-- A day of quarter hours that holds v at quarter q and 0 elsewhere.
CREATE FUNCTION rollup_slot(q int, v bigint) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
  SELECT array_fill(0::bigint, ARRAY[q - 1]) || v || array_fill(0::bigint, ARRAY[96 - q])
$$;

-- A day of quarter hours from (quarter, value) pairs.
CREATE FUNCTION rollup_quarters(qs int[], vs bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(coalesce(x.v, 0) ORDER BY i)
  FROM generate_series(1, 96) AS i
  LEFT JOIN (SELECT q, sum(v)::bigint AS v FROM unnest(qs, vs) AS p(q, v) GROUP BY q) AS x ON x.q = i
$$;

-- Adds one event's (or one batch's) figures at time `at` to the day rows of its program (row
-- `shard` of the program's), affiliate, link and sub-ID. Rows are taken in that order by every
-- writer, so concurrent writers queue instead of deadlocking.
CREATE FUNCTION rollup_add(
  program uuid, enrollment uuid, link uuid, sub text, at timestamptz, shard int,
  n_clicks int, n_uniques int, n_leads int, n_sales int, n_revenue bigint, n_commission bigint
) RETURNS int LANGUAGE sql AS $$
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
    "commissionBy"[rollup_quarter(at)] = r."commissionBy"[rollup_quarter(at)] + EXCLUDED.commission
  RETURNING 1
$$;

-- What a conversion adds to the rollups: attributed and not rejected, by when it occurred. A
-- sale's revenue is net of refunds, its commissions net of reversals, rejected ones left out.
CREATE VIEW rollup_conversion AS
  SELECT v.id, v."programId", v."enrollmentId", k."linkId", k.sub1, v."occurredAt",
    (v.kind = 'LEAD')::int AS leads, (v.kind = 'SALE')::int AS sales,
    CASE WHEN v.kind = 'SALE' AND v.amount > 0 THEN
      v."programAmount"::bigint * (v.amount - coalesce((SELECT sum(a.amount) FROM "ConversionAdjustment" a WHERE a."conversionId" = v.id), 0)) / v.amount
    ELSE 0 END AS revenue,
    coalesce((SELECT sum(c.amount) FROM "Commission" c WHERE c."conversionId" = v.id AND c.status <> 'REJECTED'), 0)::bigint AS commission
  FROM "Conversion" v LEFT JOIN "Click" k ON k.id = v."clickId"
  WHERE v."enrollmentId" IS NOT NULL AND v.status <> 'REJECTED';

-- One program's day rows (every program's when null) computed from its clicks and conversions
-- in one pass: to fill the table for existing data, and to check the rows kept as events are
-- written (src/reports/check.ts).
CREATE FUNCTION rollup_rebuilt(program uuid) RETURNS SETOF "DailyRollup" LANGUAGE sql STABLE AS $$
  WITH events AS (
    SELECT "programId" AS p, "enrollmentId" AS e, "linkId" AS l, sub1 AS sub, "createdAt" AS at,
      1 AS clicks, "isUnique"::int AS uniques, 0 AS leads, 0 AS sales, 0::bigint AS revenue, 0::bigint AS commission
    FROM "Click" WHERE program IS NULL OR "programId" = program
    UNION ALL
    SELECT "programId", "enrollmentId", "linkId", sub1, "occurredAt", 0, 0, leads, sales, revenue, commission
    FROM rollup_conversion WHERE program IS NULL OR "programId" = program
  ), fanned AS (
    SELECT p, 'PROGRAM'::"RollupScope" AS scope, '0' AS key, NULL::uuid AS e, NULL::uuid AS l, NULL::text AS sub,
      rollup_day(at) AS d, rollup_quarter(at) AS q, clicks, uniques, leads, sales, revenue, commission FROM events
    UNION ALL SELECT p, 'AFFILIATE', e::text, e, NULL, NULL, rollup_day(at), rollup_quarter(at),
      clicks, uniques, leads, sales, revenue, commission FROM events
    UNION ALL SELECT p, 'LINK', l::text, e, l, NULL, rollup_day(at), rollup_quarter(at),
      clicks, uniques, leads, sales, revenue, commission FROM events WHERE l IS NOT NULL
    UNION ALL SELECT p, 'SUB_ID', e::text || '/' || sub, e, NULL, sub, rollup_day(at), rollup_quarter(at),
      clicks, uniques, leads, sales, revenue, commission FROM events WHERE sub IS NOT NULL
  ), quarters AS (
    SELECT p, scope, key, e, l, sub, d, q, sum(clicks)::bigint AS clicks, sum(uniques)::bigint AS uniques,
      sum(leads)::bigint AS leads, sum(sales)::bigint AS sales, sum(revenue)::bigint AS revenue,
      sum(commission)::bigint AS commission
    FROM fanned GROUP BY p, scope, key, e, l, sub, d, q
  )
  SELECT p, scope, key, d, e, l, sub,
    sum(clicks)::int, sum(uniques)::int, sum(leads)::int, sum(sales)::int, sum(revenue)::bigint, sum(commission)::bigint,
    rollup_quarters(array_agg(q), array_agg(clicks))::int[], rollup_quarters(array_agg(q), array_agg(uniques))::int[],
    rollup_quarters(array_agg(q), array_agg(leads))::int[], rollup_quarters(array_agg(q), array_agg(sales))::int[],
    rollup_quarters(array_agg(q), array_agg(revenue)), rollup_quarters(array_agg(q), array_agg(commission))
  FROM quarters GROUP BY p, scope, key, e, l, sub, d
$$;

-- The clicks and conversions recorded before this migration.
INSERT INTO "DailyRollup" SELECT * FROM rollup_rebuilt(NULL);
