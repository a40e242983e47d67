// pnpm bench:reports — whether a program report's time depends on the traffic behind it.
//
// Reports read day rollups, not raw events, so a 30-day report should cost about the same at
// 10,000 and at 1,000,000 clicks. One program (200 affiliates, 3 links each, 5 sub-IDs, 60 days)
// gets 10,000 clicks, then 990,000 more in the same program: only the traffic grows. 2% of clicks
// become sales (one in five partly refunded), 1% leads, each with its commission. Seeding is plain
// SQL and the rollups are rebuilt with rollup_rebuilt, as the migration fills them. The timed
// operation is the report through the API's GraphQL endpoint (`pnpm start`), with the merchant's
// secret key, in America/New_York, the 30 local days ending yesterday.
// Target: median at 1M < 50 ms and median(1M) / median(10k) < 1.5.
// BENCH_DATABASE_URL: a PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres);
// a scratch database is created on it and dropped afterwards. BENCH_REQUESTS (200) per size.
import { generateApiKey } from '../src/auth/api-keys.ts';
import { migrate } from '../src/database/migrations.ts';
import { benchAffiliatesSql, scratchDatabase, sql, startApi } from './common.ts';

const { serverUrl, name, url: databaseUrl } = scratchDatabase();
const requests = Number(process.env.BENCH_REQUESTS ?? 200);
const warmups = 20;
const timeZone = 'America/New_York';
const sizes = [10_000, 1_000_000];
const affiliates = 200;
const subIds = ['email', 'social', 'search', 'blog', 'ppc'];
// Every batch of clicks is spread over the same 60 days before this instant.
const now = new Date();

// Ids derived from the click number: a conversion finds its click, and a commission its
// conversion, by primary key without carrying ids around, and the primary keys fill in order.
const id = (tag: string) => `('${tag}' || lpad(to_hex(n), ${32 - tag.length}, '0'))::uuid`;

async function setup() {
  const [merchant] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Organization" (id, name, slug, "isMerchant", "isAffiliate", "updatedAt")
     VALUES (gen_random_uuid(), 'Bench Merchant', 'bench-merchant', true, false, now()) RETURNING id`,
  );
  const [program] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Program" (id, "organizationId", name, slug, "websiteUrl", "allowedDomains", currency, status, "updatedAt")
     VALUES (gen_random_uuid(), $1, 'Bench', 'bench', 'https://shop.example', ARRAY['shop.example'], 'USD', 'ACTIVE', now())
     RETURNING id`,
    [merchant!.id],
  );
  await sql(
    databaseUrl,
    `WITH ${benchAffiliatesSql}
     INSERT INTO "Link" (id, "programId", "enrollmentId", code, "updatedAt")
     SELECT gen_random_uuid(), $1, e.id, e."referralCode" || '-' || i, now() FROM enrollments e, generate_series(1, 3) i`,
    [program!.id, affiliates],
  );
  // Stored as createApiKey stores it: the hash, never the key.
  const { key, keyHash, prefix } = generateApiKey('SECRET');
  await sql(
    databaseUrl,
    `INSERT INTO "ApiKey" (id, "organizationId", kind, name, prefix, "keyHash") VALUES (gen_random_uuid(), $1, 'SECRET', 'bench', $2, $3)`,
    [merchant!.id, prefix, keyHash],
  );
  return { programId: program!.id, secret: key };
}

/** Clicks number `from + 1` to `to`, their conversions and commissions; then the rollups again. */
async function seed(programId: string, from: number, to: number) {
  const t0 = performance.now();
  const p = [programId, from, to];
  const series = 'generate_series($2::int + 1, $3::int) n';
  // Squaring a uniform number gives a few links most of the traffic, as real programs have.
  await sql(
    databaseUrl,
    `INSERT INTO "Click" (id, "programId", "enrollmentId", "linkId", source, "createdAt", "isUnique", sub1)
     SELECT ${id('a')}, $1, l."enrollmentId", l.id, 'REDIRECT',
       $4::timestamptz - (n::bigint * 2654435761 % 5184000000) * interval '1 ms', n % 4 <> 0,
       ($5::text[])[nullif(n % 6, 0)]
     FROM ${series}
     JOIN (SELECT id, "enrollmentId", row_number() OVER (ORDER BY code) - 1 AS i FROM "Link" WHERE "programId" = $1) l
       ON l.i = floor(${affiliates * 3} * power((n::bigint * 40503 % 65537) / 65537.0, 2))`,
    [...p, now, subIds],
  );
  await sql(
    databaseUrl,
    `INSERT INTO "Conversion" (id, "programId", kind, "externalId", source, "occurredAt", "enrollmentId", "clickId",
       attribution, amount, currency, "programAmount")
     SELECT ${id('c')}, $1, kind::"ConversionKind", 'order-' || n, 'API', least($4::timestamptz, k."createdAt" + n % 120 * interval '1 minute'),
       k."enrollmentId", k.id, 'CLICK', amount, 'USD', amount
     FROM ${series} JOIN "Click" k ON k.id = ${id('a')}
     CROSS JOIN LATERAL (SELECT CASE WHEN n % 50 = 7 THEN 'SALE' ELSE 'LEAD' END AS kind,
       CASE WHEN n % 50 = 7 THEN 2000 + n % 97 * 150 END AS amount) x
     WHERE n % 50 = 7 OR n % 100 = 13`,
    [...p, now],
  );
  await sql(
    databaseUrl,
    `INSERT INTO "ConversionAdjustment" (id, "conversionId", kind, "externalId", amount)
     SELECT ${id('e')}, ${id('c')}, 'REFUND', 'refund-' || n, amount / 4
     FROM ${series} JOIN "Conversion" v ON v.id = ${id('c')} AND v."programId" = $1 WHERE n % 250 = 57`,
    p,
  );
  // A sale earns 10% of what was not refunded, a lead 1.50.
  await sql(
    databaseUrl,
    `INSERT INTO "Commission" (id, "programId", "enrollmentId", "conversionId", kind, status, amount, currency, "holdUntil", "updatedAt")
     SELECT ${id('d')}, $1, v."enrollmentId", v.id, v.kind::text::"CommissionKind", 'APPROVED',
       CASE WHEN v.kind = 'SALE' THEN (v.amount - CASE WHEN n % 250 = 57 THEN v.amount / 4 ELSE 0 END) / 10 ELSE 150 END,
       'USD', v."occurredAt" + interval '30 days', now()
     FROM ${series} JOIN "Conversion" v ON v.id = ${id('c')}`,
    p,
  );
  const t1 = performance.now();
  await sql(databaseUrl, `DELETE FROM "DailyRollup" WHERE "programId" = $1`, [programId]);
  await sql(databaseUrl, `INSERT INTO "DailyRollup" SELECT * FROM rollup_rebuilt($1)`, [programId]);
  // As autovacuum soon would: it marks the pages all-visible, so whole days are read from the
  // index alone (an index-only scan).
  await sql(databaseUrl, 'VACUUM ANALYZE');
  return { rows: t1 - t0, rollups: performance.now() - t1 };
}

// The program report proper (what the target is about), and its top lists, timed apart: a
// list reads a row per affiliate or link per active day, so it grows with traffic until every
// one of them is active every day (see the README).
const REPORT = `query($id: ID!, $range: ReportRange!) { program(id: $id) { report(range: $range) {
  totals { clicks uniqueClicks leads sales revenue commission conversionRate averageOrderValue earningsPerClick }
  days { day clicks uniqueClicks leads sales revenue commission } } } }`;
const TOP = `query($id: ID!, $range: ReportRange!) { program(id: $id) { report(range: $range) {
  totals { clicks sales revenue commission } days { day }
  topAffiliates(first: 10) { clicks revenue enrollment { id } }
  topLinks(first: 10) { clicks link { id } } } } }`;

interface Totals {
  clicks: number;
  sales: number;
  revenue: number;
  commission: number;
}

/** `requests` reports one after another (after a warm-up); each one's time to the full answer. */
async function time(port: number, secret: string, programId: string, range: object, query = REPORT) {
  const body = JSON.stringify({ query, variables: { id: programId, range } });
  const ask = async () => {
    const t = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body,
    });
    const text = await response.text();
    const ms = performance.now() - t;
    const json = JSON.parse(text);
    if (response.status !== 200 || json.errors) throw new Error(`report failed: ${text.slice(0, 500)}`);
    return { ms, report: json.data.program.report as { totals: Totals; days: unknown[] } };
  };
  for (let i = 0; i < warmups; i++) await ask();
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof ask>>['report'] | undefined;
  for (let i = 0; i < requests; i++) {
    const answer = await ask();
    times.push(answer.ms);
    last = answer.report;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { median: at(0.5), p95: at(0.95), report: last! };
}

/** The same figures straight from the raw rows, with the same local-day bounds. */
async function raw(programId: string, range: { from: string; to: string }): Promise<Totals> {
  const [row] = await sql<Record<keyof Totals, string>>(
    databaseUrl,
    `WITH b AS (SELECT $2::date::timestamp AT TIME ZONE $4 AS s, ($3::date + 1)::timestamp AT TIME ZONE $4 AS e)
     SELECT (SELECT count(*) FROM "Click", b WHERE "programId" = $1 AND "createdAt" >= s AND "createdAt" < e) AS clicks,
       sum(sales) AS sales, sum(revenue) AS revenue, sum(commission) AS commission
     FROM rollup_conversion, b WHERE "programId" = $1 AND "occurredAt" >= s AND "occurredAt" < e`,
    [programId, range.from, range.to, timeZone],
  );
  return { clicks: +row!.clicks, sales: +row!.sales, revenue: +row!.revenue, commission: +row!.commission };
}

// The 30 local days ending yesterday in the report's zone.
const localToday = new Intl.DateTimeFormat('en-CA', { timeZone }).format(now);
const dayBefore = (day: string, n: number) =>
  new Date(Date.parse(day) - n * 86_400_000).toISOString().slice(0, 10);
const range = { from: dayBefore(localToday, 30), to: dayBefore(localToday, 1), timeZone };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

await sql(serverUrl, `CREATE DATABASE "${name}"`);
let api: Awaited<ReturnType<typeof startApi>> | undefined;
let failed = true;
try {
  await migrate(databaseUrl);
  const { programId, secret } = await setup();
  api = await startApi(databaseUrl);
  console.log(
    `Program report ${range.from} to ${range.to} (${timeZone}); ${affiliates} affiliates, ${affiliates * 3} links, ` +
      `${subIds.length} sub-IDs; ${warmups} warm-up + ${requests} timed requests per size, one at a time.`,
  );
  const results = [];
  let seeded = 0;
  for (const size of sizes) {
    const seeding = await seed(programId, seeded, size);
    seeded = size;
    const [rollups] = await sql<{ n: string }>(databaseUrl, `SELECT count(*) AS n FROM "DailyRollup"`);
    console.log(
      `  ${size.toLocaleString('en-US')} clicks seeded: raw rows ${s(seeding.rows)}, rollups ${s(seeding.rollups)} (${rollups!.n} rows)`,
    );
    const timed = await time(api.port, secret, programId, range);
    const top = await time(api.port, secret, programId, range, TOP);
    const expected = await raw(programId, range);
    const same = (['clicks', 'sales', 'revenue', 'commission'] as const).every(
      (k) => timed.report.totals[k] === expected[k],
    );
    results.push({ size, ...timed, top, raw: expected, same });
  }

  console.log(
    `\n${'clicks'.padStart(10)} ${'in range'.padStart(9)} ${'report'.padStart(9)} ${'p95'.padStart(9)} ${'+ tops'.padStart(9)} ${'p95'.padStart(9)}  raw check`,
  );
  for (const r of results) {
    console.log(
      `${r.size.toLocaleString('en-US').padStart(10)} ${String(r.report.totals.clicks).padStart(9)} ${ms(r.median).padStart(9)} ${ms(r.p95).padStart(9)} ${ms(r.top.median).padStart(9)} ${ms(r.top.p95).padStart(9)}  ` +
        `${r.same ? '✓' : '✗'} clicks ${r.raw.clicks}, sales ${r.raw.sales}, revenue ${r.raw.revenue}, commission ${r.raw.commission} from raw rows`,
    );
  }
  const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
  const ratio = large.median / small.median;
  const topRatio = large.top.median / small.top.median;
  // The larger report must have read more data, every figure must match the raw rows, every day be there.
  const sane =
    large.report.totals.clicks > 50 * small.report.totals.clicks &&
    results.every((r) => r.same && r.report.days.length === 30);
  const fast = ratio < 1.5 && large.median < 50;
  console.log(
    `\nprogram report (totals, days): ratio of medians (1M / 10k) ${ratio.toFixed(2)} (target < 1.5); median at 1M ${ms(large.median)} (target < 50 ms)` +
      `\nwith top affiliates and links: ratio ${topRatio.toFixed(2)}; median at 1M ${ms(large.top.median)} (not in the target: ${
        large.top.median < 50 ? 'under' : 'over'
      } 50 ms)`,
  );
  failed = !fast || !sane;
  console.log(
    `${failed ? 'FAIL' : 'PASS'}${sane ? '' : ': a report failed the raw-row check (or the 1M one is not much larger)'}`,
  );
} finally {
  if (api?.child.exitCode === null) api.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await sql(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
process.exit(failed ? 1 : 0);
