// pnpm bench:conversions — server-to-server sales per second on PostgreSQL, attribution and
// commission included, against plain single-row inserts through the same Prisma client.
//
// Starts the API as `pnpm start` does, seeds a merchant with a secret API key, a program paying
// 10% (renewals too), approved affiliates and their clicks, then sends `trackSale` over HTTP at a
// fixed concurrency, each sale with its own order id. The baseline, in the same run and at the same
// concurrency, is one `prisma.conversion.create` per row from this process. Rounds alternate the
// two; the medians are compared. Then it checks what was written (one conversion per sale, one
// commission and one ledger entry per attributed sale) and that re-sent order ids write nothing.
// BENCH_DATABASE_URL: a PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres);
// a scratch database is created on it and dropped afterwards.
// BENCH_CONVERSIONS (5000) sales per round, BENCH_CONCURRENCY (16) requests in flight,
// BENCH_ROUNDS (3), BENCH_AFFILIATES (100); DATABASE_POOL_SIZE (10) for the API and the baseline.
import http from 'node:http';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { generateApiKey } from '../src/auth/api-keys.ts';
import { migrate } from '../src/database/migrations.ts';
import { connectDb } from '../src/db.ts';
import { uuidv7 } from '../src/ids.ts';
import {
  benchAffiliatesSql,
  postgresTicks,
  scratchDatabase,
  sql,
  startApi,
  ticks,
  tickUs,
} from './common.ts';

const { serverUrl, name, url: databaseUrl } = scratchDatabase();
const perRound = Number(process.env.BENCH_CONVERSIONS ?? 5000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const affiliateCount = Number(process.env.BENCH_AFFILIATES ?? 100);
// The app's own default; the API and the baseline client get the same pool.
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const warmupCount = Math.min(500, perRound);
const replayCount = Math.min(500, perRound);
const target = 1000; // conversions/s
const dayMs = 86_400_000;

interface Seeded {
  programId: string;
  baselineProgramId: string;
  enrollmentIds: string[];
  linkIds: string[];
  secret: string;
}

async function seed(): Promise<Seeded> {
  const [merchant] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Organization" (id, name, slug, "isMerchant", "isAffiliate", "updatedAt")
     VALUES (gen_random_uuid(), 'Bench Merchant', 'bench-merchant', true, false, now()) RETURNING id`,
  );
  // The baseline writes its rows into a program of its own, so the checks count only the API's.
  const programs = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Program" (id, "organizationId", name, slug, "websiteUrl", "allowedDomains", currency, status, "updatedAt")
     VALUES (gen_random_uuid(), $1, 'Bench', 'bench', 'https://shop.example', ARRAY['shop.example'], 'USD', 'ACTIVE', now()),
            (gen_random_uuid(), $1, 'Baseline', 'baseline', 'https://shop.example', ARRAY['shop.example'], 'USD', 'ACTIVE', now())
     RETURNING id, slug`,
    [merchant!.id],
  );
  const [programId, baselineProgramId] = programs.map((p) => p.id) as [string, string];
  // 10% of each sale; renewals (a known customer buying again) earn the sale rate for life, so
  // every attributed sale, new or repeat, earns exactly one commission.
  await sql(
    databaseUrl,
    `INSERT INTO "CommissionTerms" (id, "programId", version, "effectiveAt", "saleType", "saleRateBps", "recurringMode", "cookieWindowDays", "holdingDays")
     VALUES (gen_random_uuid(), $1, 1, now() - interval '30 days', 'PERCENTAGE', 1000, 'LIFETIME', 30, 30)`,
    [programId],
  );
  const enrollments = await sql<{ id: string }>(
    databaseUrl,
    `WITH ${benchAffiliatesSql} SELECT id FROM enrollments`,
    [programId, affiliateCount],
  );
  const enrollmentIds = enrollments.map((e) => e.id);
  const links = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Link" (id, "programId", "enrollmentId", code, "updatedAt")
     SELECT gen_random_uuid(), $1, e, 'bench-' || i, now() FROM unnest($2::uuid[]) WITH ORDINALITY AS t(e, i)
     ORDER BY i RETURNING id`,
    [programId, enrollmentIds],
  );
  // Stored as createApiKey stores it: the hash, never the key.
  const { key, keyHash, prefix } = generateApiKey('SECRET');
  await sql(
    databaseUrl,
    `INSERT INTO "ApiKey" (id, "organizationId", kind, name, prefix, "keyHash") VALUES (gen_random_uuid(), $1, 'SECRET', 'bench', $2, $3)`,
    [merchant!.id, prefix, keyHash],
  );
  return { programId, baselineProgramId, enrollmentIds, linkIds: links.map((l) => l.id), secret: key };
}

// ── the sales ──

interface Sale {
  orderId: string;
  amount: number;
  clickId: string | null;
  customerId: string | null;
}

const clickRows: { id: string; enrollmentId: string; linkId: string; createdAt: Date }[] = [];

/**
 * The i-th sale of a phase. Nine in ten carry the click id their visitor brought (a click of the
 * past ten days, in the cookie window); the tenth is unattributed (recorded, no commission). One in
 * four carries a customer id, `customer-<i>`: new customers in the first round, the same customers
 * buying again (a renewal, attributed to the customer's affiliate) in the next ones. Within a round
 * no two sales share a customer, so concurrent requests never race to create the same one.
 */
function sale(seeded: Seeded, phase: string, i: number): Sale {
  let clickId: string | null = null;
  if (i % 10 !== 9) {
    const e = clickRows.length % seeded.enrollmentIds.length;
    const createdAt = new Date(Date.now() - (clickRows.length % 10) * dayMs - 60_000);
    clickId = uuidv7(createdAt.getTime());
    clickRows.push({
      id: clickId,
      enrollmentId: seeded.enrollmentIds[e]!,
      linkId: seeded.linkIds[e]!,
      createdAt,
    });
  }
  return {
    orderId: `bench-${phase}-${i}`,
    amount: 1_000 + (i % 97) * 137,
    clickId,
    customerId: phase !== 'warmup' && i % 4 === 0 ? `customer-${i}` : null,
  };
}

/** The clicks the sales refer to, stored as the redirect stores them (no foreign keys, batched). */
async function storeClicks(programId: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let i = 0; i < clickRows.length; i += 5_000) {
      const chunk = clickRows.slice(i, i + 5_000);
      await client.query(
        `INSERT INTO "Click" (id, "programId", "enrollmentId", "linkId", source, "createdAt", "isUnique")
         SELECT id, $1, e, l, 'REDIRECT', c, true FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[]) AS t(id, e, l, c)`,
        [
          programId,
          chunk.map((c) => c.id),
          chunk.map((c) => c.enrollmentId),
          chunk.map((c) => c.linkId),
          chunk.map((c) => c.createdAt),
        ],
      );
    }
  } finally {
    await client.end();
  }
}

// ── the load ──

// A plain keep-alive agent: cheaper per request than fetch, so the load costs the 2 cores less.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function post(port: number, path: string, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// What a back end asks for: the id and whether it was new (the SDK's trackSale does the same).
const TRACK_SALE = `mutation($input: TrackSaleInput!) { trackSale(input: $input) { replayed conversionId } }`;

interface Run {
  ms: number;
  latencies: number[];
  ok: number;
  replayed: number;
  attributed: number;
  errors: number;
  firstError?: string;
}

/** `count` jobs, `concurrency` at a time; each job's latency is kept. */
async function runConcurrently(
  count: number,
  job: (i: number) => Promise<'ok' | 'replayed' | string>,
  attributed: (i: number) => boolean = () => false,
): Promise<Run> {
  const run: Run = { ms: 0, latencies: [], ok: 0, replayed: 0, attributed: 0, errors: 0 };
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      let outcome: string;
      try {
        outcome = await job(i);
      } catch (error) {
        outcome = error instanceof Error ? error.message : String(error);
      }
      run.latencies.push(performance.now() - t);
      if (outcome === 'ok') {
        run.ok++;
        if (attributed(i)) run.attributed++;
      } else if (outcome === 'replayed') run.replayed++;
      else {
        run.errors++;
        run.firstError ??= outcome;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  run.ms = performance.now() - started;
  return run;
}

const conversionIds = new Map<string, string>();

function sendSales(port: number, seeded: Seeded, sales: Sale[]) {
  return runConcurrently(
    sales.length,
    async (i) => {
      const s = sales[i]!;
      const input = {
        programId: seeded.programId,
        orderId: s.orderId,
        amount: s.amount,
        currency: 'USD',
        ...(s.clickId ? { clickId: s.clickId } : {}),
        ...(s.customerId ? { customerId: s.customerId } : {}),
      };
      const response = await post(
        port,
        '/graphql',
        JSON.stringify({ query: TRACK_SALE, variables: { input } }),
        {
          authorization: `Bearer ${seeded.secret}`,
        },
      );
      const body = JSON.parse(response.text);
      if (response.status !== 200 || body.errors || !body.data?.trackSale)
        return `HTTP ${response.status}: ${response.text.slice(0, 300)}`;
      const { replayed, conversionId } = body.data.trackSale;
      const first = conversionIds.get(s.orderId);
      if (first && first !== conversionId) return `${s.orderId} answered ${conversionId}, first ${first}`;
      conversionIds.set(s.orderId, conversionId);
      return replayed ? 'replayed' : 'ok';
    },
    (i) => sales[i]!.clickId !== null,
  );
}

// The baseline is the row the sale ends up as, written alone: same table, same indexes and
// foreign key, same client and pool, same concurrency. What the API path costs beyond it is
// HTTP, GraphQL, the key check, attribution, the commission and its ledger entry.
const db = connectDb(databaseUrl, poolSize);
let baselineSeq = 0;
const insertRows = (programId: string, count: number) =>
  runConcurrently(count, async () => {
    await db.conversion.create({
      data: {
        programId,
        kind: 'SALE',
        externalId: `baseline-${baselineSeq++}`,
        source: 'API',
        occurredAt: new Date(),
        amount: 1_000,
        currency: 'USD',
      },
    });
    return 'ok';
  });

// ── processes and CPU ──

/** CPU time per row of the API, this process and PostgreSQL (Linux /proc). */
async function measured(apiPid: number, run: () => Promise<Run>) {
  const before = [ticks(apiPid), ticks(process.pid), postgresTicks()];
  const result = await run();
  const after = [ticks(apiPid), ticks(process.pid), postgresTicks()];
  const per = (i: number) => ((after[i]! - before[i]!) * tickUs) / Math.max(1, result.ok + result.replayed);
  return { result, cpu: { api: per(0), bench: per(1), postgres: per(2) } };
}

// ── figures ──

const rate = (r: Run) => ((r.ok + r.replayed) / r.ms) * 1000;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const median = (runs: Run[]) => [...runs].sort((a, b) => rate(a) - rate(b))[Math.floor(runs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(1).padStart(5)} ms`;
const row = (label: string, r: Run, unit: string) =>
  `${label.padEnd(26)} ${String(Math.round(rate(r))).padStart(6)} ${unit}   p50 ${ms(percentile(r.latencies, 50))}   p99 ${ms(percentile(r.latencies, 99))}   (${r.ok + r.replayed} ok, ${r.errors} errors)`;
const us = (n: number) => `${Math.round(n)} µs`;

async function counts(programId: string) {
  const [c] = await sql<{
    conversions: string;
    attributed: string;
    commissions: string;
    distinct: string;
    ledger: string;
  }>(
    databaseUrl,
    `SELECT (SELECT count(*) FROM "Conversion" WHERE "programId" = $1) AS conversions,
            (SELECT count(*) FROM "Conversion" WHERE "programId" = $1 AND "enrollmentId" IS NOT NULL) AS attributed,
            (SELECT count(*) FROM "Commission" WHERE "programId" = $1) AS commissions,
            (SELECT count(DISTINCT "conversionId") FROM "Commission" WHERE "programId" = $1) AS distinct,
            (SELECT count(*) FROM "LedgerEntry" WHERE "programId" = $1 AND type = 'EARNED') AS ledger`,
    [programId],
  );
  return {
    conversions: Number(c!.conversions),
    attributed: Number(c!.attributed),
    commissions: Number(c!.commissions),
    distinct: Number(c!.distinct),
    ledger: Number(c!.ledger),
  };
}

await sql(serverUrl, `CREATE DATABASE "${name}"`);
let api: Awaited<ReturnType<typeof startApi>> | undefined;
let failed = true;
try {
  await migrate(databaseUrl);
  const seeded = await seed();
  const warmup = Array.from({ length: warmupCount }, (_, i) => sale(seeded, 'warmup', i));
  const roundSales = Array.from({ length: rounds }, (_, r) =>
    Array.from({ length: perRound }, (_, i) => sale(seeded, `r${r + 1}`, i)),
  );
  await storeClicks(seeded.programId);

  api = await startApi(databaseUrl, { DATABASE_POOL_SIZE: String(poolSize) });
  const port = api.port;
  const pid = api.child.pid!;

  console.log(
    `${affiliateCount} affiliates, ${clickRows.length} clicks. Warming up (${warmupCount} sales, ${warmupCount} inserts), then ${rounds} alternating rounds of ${perRound} each at concurrency ${concurrency}, pool ${poolSize}...`,
  );
  const sent: Run[] = [];
  const warm = await sendSales(port, seeded, warmup);
  sent.push(warm);
  if (warm.errors) console.log(`  warm-up: ${warm.errors} errors, first: ${warm.firstError}`);
  await insertRows(seeded.baselineProgramId, warmupCount);

  // Alternating rounds, compared by their medians: this machine's speed drifts from run to run.
  const apiRuns: Run[] = [];
  const insertRuns: Run[] = [];
  const serverCpu: number[] = []; // µs of API + PostgreSQL CPU per sale
  for (let round = 0; round < rounds; round++) {
    const b = await measured(pid, () => insertRows(seeded.baselineProgramId, perRound));
    const a = await measured(pid, () => sendSales(port, seeded, roundSales[round]!));
    insertRuns.push(b.result);
    apiRuns.push(a.result);
    sent.push(a.result);
    serverCpu.push(a.cpu.api + a.cpu.postgres);
    console.log(
      `  round ${round + 1}: inserts ${Math.round(rate(b.result))}/s, conversions ${Math.round(rate(a.result))}/s, ratio ${((rate(a.result) / rate(b.result)) * 100).toFixed(1)}%`,
    );
    console.log(
      `    CPU per row: inserts: bench ${us(b.cpu.bench)} + PostgreSQL ${us(b.cpu.postgres)}; conversions: API ${us(a.cpu.api)} + bench ${us(a.cpu.bench)} + PostgreSQL ${us(a.cpu.postgres)}`,
    );
    if (a.result.errors) console.log(`    ${a.result.errors} errors, first: ${a.result.firstError}`);
  }
  const conversions = median(apiRuns);
  const inserts = median(insertRuns);
  const paired = apiRuns.map((a, round) => rate(a) / rate(insertRuns[round]!));
  const pairedMedian = [...paired].sort((a, b) => a - b)[Math.floor(rounds / 2)]!;

  console.log('\nmedian round:');
  console.log(row('trackSale over HTTP (API)', conversions, 'conv/s'));
  console.log(row('conversion.create (Prisma)', inserts, 'rows/s'));
  console.log(`ratio of the medians       ${((rate(conversions) / rate(inserts)) * 100).toFixed(1)}%`);
  console.log(`median of the round ratios ${(pairedMedian * 100).toFixed(1)}%`);
  // What the CPU figures allow, whatever else the machine is running: other load only lowers rates.
  const cpuPerSale = [...serverCpu].sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
  console.log(
    `CPU per sale (API + PostgreSQL, median) ${us(cpuPerSale)}: at most ${Math.round((availableParallelism() * 1e6) / cpuPerSale)} conv/s on ${availableParallelism()} idle cores`,
  );
  const speedOk = rate(conversions) >= target;
  console.log(
    `conversions/s ${Math.round(rate(conversions))}   target ≥ ${target}${speedOk ? '  ✓' : '  ✗ BELOW TARGET'}`,
  );

  // Every sale answered is one conversion; every attributed one, one commission and its ledger entry.
  const written = await counts(seeded.programId);
  const answered = sent.reduce((sum, r) => sum + r.ok, 0);
  const attributed = sent.reduce((sum, r) => sum + r.attributed, 0);
  const errors = sent.reduce((sum, r) => sum + r.errors + r.replayed, 0);
  const rowsOk =
    errors === 0 &&
    written.conversions === answered &&
    written.attributed === attributed &&
    written.commissions === attributed &&
    written.distinct === written.commissions &&
    written.ledger === written.commissions;
  console.log(
    `\nconversions stored ${written.conversions} / sales answered ${answered} (warm-up included; ${errors} errors or unexpected replays)\n` +
      `commissions ${written.commissions} (on ${written.distinct} conversions), EARNED ledger entries ${written.ledger} / attributed sales ${attributed} (stored as attributed ${written.attributed})${rowsOk ? '  ✓ one each' : '  ✗ MISMATCH'}`,
  );

  // Order ids already recorded, sent again at once: each answers its first result, nothing is written.
  const replays = roundSales[0]!.slice(0, replayCount);
  const replayed = await sendSales(port, seeded, replays);
  const after = await counts(seeded.programId);
  const replayOk =
    replayed.replayed === replays.length &&
    replayed.errors === 0 &&
    JSON.stringify(after) === JSON.stringify(written);
  console.log(
    `replays: ${replayed.replayed} / ${replays.length} answered as replayed (${replayed.errors} errors, first: ${replayed.firstError ?? 'none'}); new conversions ${after.conversions - written.conversions}, new commissions ${after.commissions - written.commissions}, new ledger entries ${after.ledger - written.ledger}${replayOk ? '  ✓ nothing written' : '  ✗ MISMATCH'}`,
  );

  failed = !speedOk || !rowsOk || !replayOk;
  console.log(failed ? '\nMISSED a target' : '\nAll targets met');
} finally {
  agent.destroy();
  await db.$disconnect();
  if (api && api.child.exitCode === null) {
    const exited = new Promise((resolve) => api!.child.on('exit', resolve));
    api.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  }
  await sql(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
process.exit(failed ? 1 : 0);
