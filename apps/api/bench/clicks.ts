// pnpm bench:clicks — how close the click redirect comes to a bare node:http redirect, and
// whether every answered redirect became exactly one stored click.
//
// Starts PostgreSQL-backed API and a bare 302 server as separate processes, loads both with
// autocannon (same settings, same run), prints requests/s, p50 and p99 for both and the ratio,
// then counts stored clicks against redirects answered, also across a SIGTERM in mid-load.
// BENCH_DATABASE_URL: a PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres);
// a scratch database is created on it and dropped afterwards.
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { migrate } from '../src/database/migrations.ts';
import { postgresTicks, scratchDatabase, sql, start, startApi, ticks, tickUs } from './common.ts';

const { serverUrl, name, url: databaseUrl } = scratchDatabase();
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const userAgent =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

async function seed() {
  const orgs = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Organization" (id, name, slug, "isMerchant", "isAffiliate", "updatedAt") VALUES
       (gen_random_uuid(), 'Bench Merchant', 'bench-merchant', true, false, now()),
       (gen_random_uuid(), 'Bench Affiliate', 'bench-affiliate', false, true, now()) RETURNING id`,
  );
  const [merchant, affiliate] = orgs.map((o) => o.id);
  const [program] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Program" (id, "organizationId", name, slug, "websiteUrl", "allowedDomains", currency, status, "updatedAt")
     VALUES (gen_random_uuid(), $1, 'Bench', 'bench', 'https://tiered.example', ARRAY['tiered.example'], 'USD', 'ACTIVE', now()) RETURNING id`,
    [merchant],
  );
  const [profile] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "AffiliateProfile" (id, "organizationId", "displayName", "contactEmail", "updatedAt")
     VALUES (gen_random_uuid(), $1, 'Bench', 'bench@example.com', now()) RETURNING id`,
    [affiliate],
  );
  const [enrollment] = await sql<{ id: string }>(
    databaseUrl,
    `INSERT INTO "Enrollment" (id, "programId", "affiliateId", status, "referralCode", "updatedAt")
     VALUES (gen_random_uuid(), $1, $2, 'APPROVED', 'bench', now()) RETURNING id`,
    [program!.id, profile!.id],
  );
  await sql(
    databaseUrl,
    `INSERT INTO "Link" (id, "programId", "enrollmentId", code, "updatedAt") VALUES (gen_random_uuid(), $1, $2, 'bench', now())`,
    [program!.id, enrollment!.id],
  );
}

/** CPU time per answered request of the server, the load tool and PostgreSQL (Linux /proc). */
async function measured(pid: number, run: () => Promise<autocannon.Result>) {
  const before = [ticks(pid), ticks(process.pid), postgresTicks()];
  const result = await run();
  const after = [ticks(pid), ticks(process.pid), postgresTicks()];
  const per = (i: number) => ((after[i]! - before[i]!) * tickUs) / Math.max(1, result.requests.total);
  return { result, cpu: { server: per(0), loadTool: per(1), postgres: per(2) } };
}

const load = (port: number, duration: number) =>
  autocannon({
    url: `http://127.0.0.1:${port}/r/bench`,
    connections,
    duration,
    headers: { 'user-agent': userAgent },
  });

const clicksStored = async () =>
  Number((await sql<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM "Click"'))[0]!.n);

async function waitForClicks(expected: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let stored = await clicksStored();
  while (stored < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    stored = await clicksStored();
  }
  return stored;
}

/** The run with the median requests/s. */
const median = (runs: autocannon.Result[]) =>
  [...runs].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(runs.length / 2)]!;

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', resolve));
const row = (label: string, r: autocannon.Result) =>
  `${label.padEnd(22)} ${String(Math.round(r.requests.average)).padStart(9)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(3)} ms   (${r['3xx']} redirects, ${r.errors} errors, ${r.non2xx - r['3xx']} other)`;

await sql(serverUrl, `CREATE DATABASE "${name}"`);
const children: ChildProcess[] = [];
let failed = false;
try {
  await migrate(databaseUrl);
  await seed();
  const bare = await start('node', ['bench/bare-server.mjs'], {}, /^(\d+)\s*$/m);
  // All load comes from one address: its allowance is lifted (it is still counted) so that every
  // answered redirect must become a stored click.
  const api = await startApi(databaseUrl, { RATE_LIMIT_CLICKS_PER_IP: '100000000' });
  children.push(bare.child, api.child);

  console.log(
    `Warming up both servers (3 s each), then ${rounds} alternating rounds of ${seconds} s each at ${connections} connections...`,
  );
  await load(bare.port, 3);
  await load(api.port, 3);
  // Alternating rounds, compared by their medians: this machine's speed drifts from run to run.
  const bareRuns: autocannon.Result[] = [];
  const apiRuns: autocannon.Result[] = [];
  const cpu: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const b = await measured(bare.child.pid!, () => load(bare.port, seconds));
    const a = await measured(api.child.pid!, () => load(api.port, seconds));
    bareRuns.push(b.result);
    apiRuns.push(a.result);
    const us = (n: number) => `${n.toFixed(1)} µs`;
    cpu.push(
      `    CPU per request: bare ${us(b.cpu.server)} + load tool ${us(b.cpu.loadTool)}; API ${us(a.cpu.server)} + load tool ${us(a.cpu.loadTool)} + PostgreSQL ${us(a.cpu.postgres)}`,
    );
  }
  const baseline = median(bareRuns);
  const redirect = median(apiRuns);
  // Each API round against the bare round just before it: the pairs share the machine's state.
  const paired = bareRuns.map((bare, round) => apiRuns[round]!.requests.average / bare.requests.average);
  for (let round = 0; round < rounds; round++) {
    console.log(
      `  round ${round + 1}: bare ${Math.round(bareRuns[round]!.requests.average)} req/s, API ${Math.round(apiRuns[round]!.requests.average)} req/s, ratio ${(paired[round]! * 100).toFixed(1)}%`,
    );
    console.log(cpu[round]);
  }
  const pairedMedian = [...paired].sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
  // What the server answered (the load tool stops counting responses in flight at the end).
  const metrics = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
  const answered = Number(/redirects_total\{outcome="counted"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const ratio = redirect.requests.average / baseline.requests.average;

  console.log('\nmedian round:');
  console.log(row('bare node:http 302', baseline));
  console.log(row('GET /r/:code (API)', redirect));
  console.log(`ratio of the medians   ${(ratio * 100).toFixed(1)}%`);
  console.log(`median of the round ratios ${(pairedMedian * 100).toFixed(1)}%   target ≥ 50%, p99 < 10 ms`);
  const speedOk = pairedMedian >= 0.5 && redirect.latency.p99 < 10;

  const stored = await waitForClicks(answered);
  const seen = apiRuns.reduce((sum, run) => sum + run['3xx'], 0);
  console.log(
    `\nclicks stored ${stored} / redirects answered ${answered} (warm-up included; the load tool saw ${seen} in the measured rounds)${stored === answered ? '  ✓ none lost' : '  ✗ MISMATCH'}`,
  );

  // SIGTERM in the middle of the load: every redirect answered before exit must be stored.
  const before = await clicksStored();
  const during = load(api.port, 6);
  await new Promise((r) => setTimeout(r, 2_500));
  api.child.kill('SIGTERM');
  const code = await exited(api.child);
  const result = await during;
  const afterStop = await clicksStored();
  const flushed = JSON.parse(
    api
      .output()
      .split('\n')
      .find((line) => line.includes('clicks flushed')) ?? '{}',
  );
  const acceptedDuring = (flushed.accepted ?? Number.NaN) - answered;
  const sigtermOk = code === 0 && flushed.dropped === 0 && afterStop - before === acceptedDuring;
  console.log(
    `SIGTERM mid-load: exit code ${code}; clicks stored ${afterStop - before} / redirects answered ${acceptedDuring} (the load tool saw ${result['3xx']}); dropped ${flushed.dropped}${sigtermOk ? '  ✓ none lost' : '  ✗ MISMATCH'}`,
  );

  failed = !speedOk || stored !== answered || !sigtermOk;
  console.log(failed ? '\nMISSED a target' : '\nAll targets met');
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await sql(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
process.exit(failed ? 1 : 0);
