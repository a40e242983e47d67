// pnpm load:faults — clicks and sales under load while the API is killed, PostgreSQL restarts
// and connections break right after a commit.
//
// Brings its own PostgreSQL cluster (initdb in a temporary folder, deleted at the end), seeds a
// merchant, a program paying 10%, an approved affiliate, a link and a secret key, and starts the
// API as `pnpm start` does, reaching PostgreSQL through a proxy of this script. Then, for
// BENCH_SECONDS, it follows the link from several connections (keeping every click id answered)
// and reports sales with `trackSale`, each with its own order id; a sale that got no answer is
// sent again with the same order id, as a merchant's server would. Meanwhile it injects faults,
// in turn: SIGKILL of the API (started again at once on the same port, as a supervisor would);
// PostgreSQL stopped and started (`-m fast`, the last time `-m immediate`: a crash, recovered
// from the WAL), never restarting the API for it; and the API's connections cut by the proxy
// right after a click batch and a sale committed, before the answers arrive. Each fault waits
// until the system recovered from the one before: sales go through and stored clicks caught up.
//
// At the end it stops the load, re-sends order ids (each twice at once), sends SIGTERM, and
// checks what the database holds: every sale answered ok is stored exactly once, with its amount
// and the id it was answered with; no order id twice; re-sent ones write nothing; one commission
// and ledger entry per attributed sale; every stored click was answered; every answered click
// that is missing was recorded less than BENCH_LOSS_BOUND_MS before a SIGKILL (none lost to
// PostgreSQL, to a cut or to SIGTERM); the API recovered from each fault by itself within
// BENCH_RECOVERY_LIMIT_MS. It prints the figures and exits 1 when a check fails.
//
// BENCH_SECONDS (75) of load; BENCH_KILLS (3), BENCH_PG_RESTARTS (2), BENCH_CUTS (1);
// BENCH_PG_DOWN_MS (2000) between PostgreSQL's stop and start (0: one `pg_ctl restart`);
// BENCH_CLICK_RATE (1500/s) over BENCH_CLICK_CONNECTIONS (8), BENCH_SALE_RATE (150/s) over
// BENCH_SALE_CONCURRENCY (8), a rate of 0 meaning as fast as they go; BENCH_LOSS_BOUND_MS (2000);
// BENCH_RECOVERY_LIMIT_MS (10000); BENCH_PG_BIN (default: Debian's newest PostgreSQL).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { generateApiKey } from '../src/auth/api-keys.ts';
import { migrate } from '../src/database/migrations.ts';
import {
  benchAffiliatesSql,
  type Cluster,
  freePort,
  postgresProxy,
  sql,
  startApi,
  startCluster,
} from './common.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const seconds = env('BENCH_SECONDS', 75);
const kills = env('BENCH_KILLS', 3);
const pgRestarts = env('BENCH_PG_RESTARTS', 2);
const pgDownMs = env('BENCH_PG_DOWN_MS', 2000);
const cuts = env('BENCH_CUTS', 1);
const clickConnections = env('BENCH_CLICK_CONNECTIONS', 8);
const saleConcurrency = env('BENCH_SALE_CONCURRENCY', 8);
const clickRate = env('BENCH_CLICK_RATE', 1500);
const saleRate = env('BENCH_SALE_RATE', 150);
const lossBoundMs = env('BENCH_LOSS_BOUND_MS', 2000);
const recoveryLimitMs = env('BENCH_RECOVERY_LIMIT_MS', 10_000);
// The stored clicks have caught up when the newest is younger than this.
const caughtUpMs = 1_000;
const saleAmount = 4_200;
const maxAttempts = 6;
const requestTimeoutMs = 15_000; // above the API's own 10 s wait for a database connection
const userAgent =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const run = randomBytes(3).toString('hex');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The millisecond a UUIDv7 click id was made: when the API recorded the click. */
const idTime = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

// ── the cluster, the seed and the API ──

let cluster: Cluster | undefined;
let proxy: Awaited<ReturnType<typeof postgresProxy>> | undefined;
let api: Awaited<ReturnType<typeof startApi>> | undefined;
// Whatever happens (a failed check, an exception, Ctrl-C), leave no process and no folder behind.
const cleanUp = () => {
  if (api?.child.exitCode === null) api.child.kill('SIGKILL');
  proxy?.close();
  cluster?.destroy();
  cluster = undefined;
};
process.on('exit', cleanUp);
// On a signal, PostgreSQL is stopped without blocking the event loop: `tsx bench/faults.ts` runs
// this script in a child process and SIGKILLs it when its loop does not acknowledge a relayed
// signal within 30 ms, which would leave the cluster's folder behind.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping`);
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    void (cluster?.stop('immediate') ?? Promise.resolve()).catch(() => {}).finally(() => process.exit(130));
  });

async function seed(url: string) {
  const [merchant] = await sql<{ id: string }>(
    url,
    `INSERT INTO "Organization" (id, name, slug, "isMerchant", "isAffiliate", "updatedAt")
     VALUES (gen_random_uuid(), 'Faults Merchant', 'faults-merchant', true, false, now()) RETURNING id`,
  );
  const [program] = await sql<{ id: string }>(
    url,
    `INSERT INTO "Program" (id, "organizationId", name, slug, "websiteUrl", "allowedDomains", currency, status, "updatedAt")
     VALUES (gen_random_uuid(), $1, 'Faults', 'faults', 'https://shop.example', ARRAY['shop.example'], 'USD', 'ACTIVE', now()) RETURNING id`,
    [merchant!.id],
  );
  const programId = program!.id;
  await sql(
    url,
    `INSERT INTO "CommissionTerms" (id, "programId", version, "effectiveAt", "saleType", "saleRateBps", "cookieWindowDays", "holdingDays")
     VALUES (gen_random_uuid(), $1, 1, now() - interval '1 day', 'PERCENTAGE', 1000, 30, 30)`,
    [programId],
  );
  const [enrollment] = await sql<{ id: string }>(
    url,
    `WITH ${benchAffiliatesSql} SELECT id FROM enrollments`,
    [programId, 1],
  );
  await sql(
    url,
    `INSERT INTO "Link" (id, "programId", "enrollmentId", code, "updatedAt") VALUES (gen_random_uuid(), $1, $2, 'faults', now())`,
    [programId, enrollment!.id],
  );
  // Stored as createApiKey stores it: the hash, never the key.
  const { key, keyHash, prefix } = generateApiKey('SECRET');
  await sql(
    url,
    `INSERT INTO "ApiKey" (id, "organizationId", kind, name, prefix, "keyHash") VALUES (gen_random_uuid(), $1, 'SECRET', 'faults', $2, $3)`,
    [merchant!.id, prefix, keyHash],
  );
  return { programId, secret: key };
}

/** The API's warnings and errors, by message, to print at the end (the rest is one line per request). */
const apiLog = new Map<string, number>();
let unexpectedExits = 0;
let expectingExit = false;

function watch(child: ChildProcess) {
  let partial = '';
  const read = (chunk: Buffer) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"level":4') && !line.includes('"level":5') && !line.includes('"level":6')) continue;
      try {
        const entry = JSON.parse(line);
        const key = `${entry.level >= 50 ? 'error' : 'warn'}: ${entry.msg}${entry.err?.message ? ` (${entry.err.message.split('\n')[0].slice(0, 120)})` : ''}`;
        apiLog.set(key, (apiLog.get(key) ?? 0) + 1);
      } catch {
        // not a log line
      }
    }
  };
  child.stdout!.on('data', read);
  child.stderr!.on('data', read);
  child.on('exit', (code, signal) => {
    if (expectingExit) return;
    unexpectedExits++;
    console.log(`  ✗ the API exited by itself (${code ?? signal}):\n${api?.output().slice(-3_000)}`);
  });
}

/** Starts the API on `port`, trying again while it refuses to (a supervisor would, too). */
async function launch(databaseUrl: string, port: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      api = await startApi(databaseUrl, {
        PORT: String(port),
        REDIS_URL: '', // one instance: memory counters, nothing shared with other runs
        // All load comes from 127.0.0.1 with one key: lift the allowances so none is refused.
        RATE_LIMIT_CLICKS_PER_IP: '100000000',
        RATE_LIMIT_API_PER_IP: '1000000',
        RATE_LIMIT_API_PER_CREDENTIAL: '10000000',
      });
      expectingExit = false;
      watch(api.child);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

// ── the load ──

const clickAgent = new http.Agent({ keepAlive: true, maxSockets: clickConnections });
const saleAgent = new http.Agent({ keepAlive: true, maxSockets: saleConcurrency * 2 });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request; null when no answer came (refused, reset, timed out). */
function request(port: number, options: http.RequestOptions, body?: string) {
  return new Promise<Answer | null>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', () => resolve(null));
    });
    req.setTimeout(requestTimeoutMs, () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

let stopping = false;
let port = 0;

// Every click id answered, with when the answer arrived.
const clicksAnswered = new Map<string, number>();
let clicksUnanswered = 0;
let clicksOther = 0;
// Every hundredth click id answered, for the sales to carry.
const recentClicks: { id: string; at: number }[] = [];

/**
 * Paces requests to `rate` a second across workers (0: as fast as they go), never catching up
 * on a backlog in a burst.
 */
function pacer(rate: number) {
  let next = 0;
  return async () => {
    if (rate <= 0) return;
    const now = Date.now();
    next = Math.max(next, now - 50);
    const due = next;
    next += 1000 / rate;
    if (due > now) await sleep(due - now);
  };
}

const clickPace = pacer(clickRate);
const salePace = pacer(saleRate);

async function clickWorker() {
  while (!stopping) {
    await clickPace();
    const answer = await request(port, {
      path: '/r/faults',
      agent: clickAgent,
      headers: { 'user-agent': userAgent },
    });
    const id =
      answer?.status === 302 ? /[?&]ref_id=([0-9a-f-]{36})/.exec(answer.headers.location ?? '')?.[1] : null;
    if (id) {
      const at = Date.now();
      clicksAnswered.set(id, at);
      if (clicksAnswered.size % 100 === 0) recentClicks.push({ id, at });
    } else if (answer) clicksOther++;
    else {
      clicksUnanswered++;
      await sleep(20); // the API is down: do not spin
    }
  }
}

const TRACK_SALE = `mutation($input: TrackSaleInput!) { trackSale(input: $input) { replayed conversionId } }`;

type Attempt =
  | { sentAt: number; at: number; kind: 'ok'; conversionId: string; replayed: boolean }
  | { sentAt: number; at: number; kind: 'error'; detail: string }
  | { sentAt: number; at: number; kind: 'none' };

interface Sale {
  orderId: string;
  attempts: Attempt[];
}

const sales: Sale[] = [];
let saleSeq = 0;

async function sendSale(
  seeded: { programId: string; secret: string },
  orderId: string,
  clickId: string | null,
) {
  const input = { programId: seeded.programId, orderId, amount: saleAmount, currency: 'USD', clickId };
  const body = JSON.stringify({ query: TRACK_SALE, variables: { input } });
  const sentAt = Date.now();
  const answer = await request(
    port,
    {
      path: '/graphql',
      method: 'POST',
      agent: saleAgent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${seeded.secret}`,
      },
    },
    body,
  );
  const at = Date.now();
  if (!answer) return { sentAt, at, kind: 'none' } as const;
  try {
    const parsed = JSON.parse(answer.body);
    const result = parsed.data?.trackSale;
    if (answer.status === 200 && !parsed.errors && result?.conversionId)
      return {
        sentAt,
        at,
        kind: 'ok',
        conversionId: result.conversionId,
        replayed: result.replayed,
      } as const;
    const codes = parsed.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code).join(',');
    return { sentAt, at, kind: 'error', detail: `HTTP ${answer.status} ${codes ?? ''}` } as const;
  } catch {
    return {
      sentAt,
      at,
      kind: 'error',
      detail: `HTTP ${answer.status} ${answer.body.slice(0, 80)}`,
    } as const;
  }
}

/** A click answered 2 to 3 seconds ago, long enough to be stored (while nothing fails). */
function visitorClick() {
  const now = Date.now();
  while (recentClicks.length > 1 && recentClicks[1]!.at < now - 2_000) recentClicks.shift();
  return recentClicks[0]?.id ?? null;
}

/** A sale sent until it gets an answer (success or error), up to `maxAttempts` times. */
async function saleWorker(seeded: { programId: string; secret: string }) {
  while (!stopping) {
    await salePace();
    const sale: Sale = { orderId: `order-${run}-${saleSeq++}`, attempts: [] };
    sales.push(sale);
    // Nine in ten carry the click id their visitor brought a few seconds earlier.
    const clickId = saleSeq % 10 === 0 ? null : visitorClick();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) await sleep(250 * 2 ** (attempt - 1));
      const result = await sendSale(seeded, sale.orderId, clickId);
      sale.attempts.push(result);
      if (result.kind === 'error') await sleep(100); // the database is down: do not spin
      if (result.kind !== 'none') break;
    }
  }
}

// ── how far the stored clicks trail the answered ones ──

/**
 * Every 100 ms: how old the newest stored click is. Clicks are written in the order they were
 * answered, one batch at a time, so every click not yet stored is younger than that: it bounds
 * what a SIGKILL at that moment could lose.
 */
interface Lag {
  at: number;
  ms: number;
}
const lags: Lag[] = [];

async function watchLag(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 1_000 });
  pool.on('error', () => {});
  while (!stopping) {
    try {
      const [row] = (
        await pool.query<{ id: string | null }>('SELECT id::text AS id FROM "Click" ORDER BY id DESC LIMIT 1')
      ).rows;
      const at = Date.now();
      if (row?.id) lags.push({ at, ms: at - idTime(row.id) });
    } catch {
      // PostgreSQL is down
    }
    await sleep(100);
  }
  await pool.end();
}

// ── the faults ──

interface Fault {
  kind: 'kill' | 'postgres' | 'cut';
  mode?: 'fast' | 'immediate';
  at: number;
  /** SIGKILL: the API listens again; PostgreSQL: it accepts connections again; cut: both cut. */
  back?: number;
  /** Which cuts happened. */
  cut?: { clickBatch: boolean; conversion: boolean };
  /** After `back`: the first sale answered ok (sent after it). */
  saleOk?: number;
  /** After `back`: the first click recorded after it is stored. */
  clickStored?: number;
  /** After `clickStored`: the stored clicks trail the answered ones by less than `caughtUpMs`. */
  caughtUp?: number;
}
const faults: Fault[] = [];

async function kill(databaseUrl: string) {
  expectingExit = true;
  const exited = new Promise((resolve) => api!.child.once('exit', resolve));
  const fault: Fault = { kind: 'kill', at: Date.now() };
  faults.push(fault);
  api!.child.kill('SIGKILL');
  await exited;
  await launch(databaseUrl, port);
  fault.back = Date.now();
}

async function restartPostgres(mode: 'fast' | 'immediate') {
  const fault: Fault = { kind: 'postgres', mode, at: Date.now() };
  faults.push(fault);
  if (pgDownMs > 0) {
    await cluster!.stop(mode);
    await sleep(pgDownMs);
    await cluster!.start();
  } else await cluster!.restart(mode);
  fault.back = Date.now();
}

/**
 * The nastiest network fault: a write commits, and the connection breaks before its answer
 * arrives. The API cannot know the write happened; what it does next must not store it twice.
 */
async function cutAfterCommit() {
  const cut = { clickBatch: false, conversion: false };
  const fault: Fault = { kind: 'cut', at: Date.now(), cut };
  faults.push(fault);
  const both = Promise.all([
    proxy!.cut('click-batch').then(() => (cut.clickBatch = true)),
    proxy!.cut('conversion').then(() => (cut.conversion = true)),
  ]);
  await Promise.race([both, sleep(10_000)]);
  fault.back = Date.now();
}

/** The first sale sent after `t` that got a success answer. */
const firstSaleOkAfter = (t: number) =>
  Math.min(
    ...sales.flatMap((s) => s.attempts.filter((a) => a.kind === 'ok' && a.sentAt >= t).map((a) => a.at)),
  );

/** Waits until the system has recovered from fault `f`: sales go through, clicks are written. */
async function recovered(f: Fault) {
  const deadline = Date.now() + recoveryLimitMs * 3;
  let seen = lags.length;
  while (Date.now() < deadline) {
    const ok = firstSaleOkAfter(f.back!);
    if (Number.isFinite(ok)) f.saleOk ??= ok;
    for (; seen < lags.length; seen++) {
      const l = lags[seen]!;
      if (l.at < f.back!) continue;
      if (f.clickStored === undefined && l.at - l.ms > f.back!) f.clickStored = l.at;
      if (f.clickStored !== undefined && l.ms < caughtUpMs) f.caughtUp ??= l.at;
    }
    if (f.saleOk && f.caughtUp) return;
    await sleep(50);
  }
}

/**
 * Faults spread over the run, in turn: SIGKILL, PostgreSQL, cut, and again; the last PostgreSQL
 * restart is a crash (`-m immediate`). Each waits until the system recovered from the one before
 * (so a SIGKILL comes when the clicks kept through an outage are written).
 */
async function injectFaults(databaseUrl: string, startedAt: number) {
  const plan: Fault['kind'][] = [];
  for (let i = 0; i < Math.max(kills, pgRestarts, cuts); i++) {
    if (i < kills) plan.push('kill');
    if (i < pgRestarts) plan.push('postgres');
    if (i < cuts) plan.push('cut');
  }
  const spacing = (seconds * 1000) / (plan.length + 1);
  let postgresDone = 0;
  for (const [i, kind] of plan.entries()) {
    await sleep(startedAt + spacing * (i + 1) - Date.now());
    const at = `  ${((Date.now() - startedAt) / 1000).toFixed(1)} s:`;
    if (kind === 'kill') {
      console.log(`${at} SIGKILL`);
      await kill(databaseUrl);
    } else if (kind === 'postgres') {
      postgresDone++;
      const mode = postgresDone === pgRestarts ? 'immediate' : 'fast';
      console.log(`${at} PostgreSQL stopped (-m ${mode})`);
      await restartPostgres(mode);
    } else {
      console.log(`${at} connections cut right after a click batch and a sale committed`);
      await cutAfterCommit();
    }
    await recovered(faults.at(-1)!);
    await sleep(500);
  }
}

// ── the checks ──

const checks: { ok: boolean; text: string }[] = [];
const check = (ok: boolean, text: string) => {
  checks.push({ ok, text });
  console.log(`${ok ? '  ✓' : '  ✗'} ${text}`);
};

const round = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'never');
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** The program's conversions by order id, with their commissions and EARNED ledger entries. */
async function storedConversions(url: string, programId: string) {
  return sql<{
    externalId: string;
    id: string;
    amount: number;
    n: number;
    attributed: boolean;
    commissions: number;
    ledger: number;
  }>(
    url,
    `SELECT c."externalId", min(c.id::text) AS id, min(c.amount)::int AS amount, count(*)::int AS n,
            bool_or(c."enrollmentId" IS NOT NULL) AS attributed,
            sum(m.commissions)::int AS commissions, sum(m.ledger)::int AS ledger
     FROM "Conversion" c
     CROSS JOIN LATERAL (
       SELECT count(DISTINCT k.id) AS commissions, count(l.id) AS ledger
       FROM "Commission" k LEFT JOIN "LedgerEntry" l ON l."commissionId" = k.id AND l.type = 'EARNED'
       WHERE k."conversionId" = c.id
     ) m
     WHERE c."programId" = $1 GROUP BY c."externalId"`,
    [programId],
  );
}

// ── the run ──

let failed = true;
try {
  cluster = await startCluster();
  await sql(cluster.url(), 'CREATE DATABASE faults');
  const databaseUrl = cluster.url('faults');
  await migrate(databaseUrl);
  const seeded = await seed(databaseUrl);
  // The API reaches PostgreSQL through a proxy that can cut its connections; the checks do not.
  proxy = await postgresProxy(cluster.port);
  const apiDatabaseUrl = `postgresql://postgres@127.0.0.1:${proxy.port}/faults`;
  port = await freePort();
  await launch(apiDatabaseUrl, port);
  console.log(
    `PostgreSQL ${cluster.dir} on port ${cluster.port}, API on ${port}. ${seconds} s of load (${clickConnections} click connections, ${saleConcurrency} sales in flight), ${kills} SIGKILLs, ${pgRestarts} PostgreSQL restarts (${pgDownMs} ms down), ${cuts} cuts...`,
  );

  const loadStart = Date.now();
  const load = [
    ...Array.from({ length: clickConnections }, clickWorker),
    ...Array.from({ length: saleConcurrency }, () => saleWorker(seeded)),
  ];
  const lagWatch = watchLag(databaseUrl);
  // Warm-up: until a sale went through and the stored clicks keep up (the writer thread is up).
  // The faults and the steady-state figures count from there.
  const warm = Date.now() + 60_000;
  while (
    (!Number.isFinite(firstSaleOkAfter(0)) || !((lags.at(-1)?.ms ?? caughtUpMs) < caughtUpMs)) &&
    Date.now() < warm
  )
    await sleep(50);
  const startedAt = Date.now();
  console.log(`  warm after ${round(startedAt - loadStart)}`);
  await injectFaults(apiDatabaseUrl, startedAt);
  // Load goes on a while after the last fault, so recovery is seen under load.
  const last = faults.at(-1);
  await sleep(Math.max(startedAt + seconds * 1000, (last?.caughtUp ?? last?.back ?? 0) + 2_000) - Date.now());
  stopping = true;
  await Promise.all(load);
  const loadMs = Date.now() - loadStart;
  await lagWatch;

  // Idempotency: order ids already stored, each sent twice at once, answer their first id and
  // write nothing. Among them those stored although their answer was an error (the connection
  // broke after the commit): a merchant would send those again.
  const before = await storedConversions(databaseUrl, seeded.programId);
  const firstIds = new Map(before.map((r) => [r.externalId, r.id]));
  const sample = [
    ...sales.filter((s) => s.attempts.some((a) => a.kind === 'ok')).slice(0, 300),
    ...sales.filter((s) => firstIds.has(s.orderId) && !s.attempts.some((a) => a.kind === 'ok')),
  ];
  const replays = await Promise.all(
    sample.flatMap((s) => [sendSale(seeded, s.orderId, null), sendSale(seeded, s.orderId, null)]),
  );
  const replayOk = replays.filter(
    (a, i) =>
      a.kind === 'ok' && a.replayed && a.conversionId === firstIds.get(sample[Math.floor(i / 2)]!.orderId),
  ).length;
  const replayWritten = (await storedConversions(databaseUrl, seeded.programId)).length - before.length;

  // A clean stop: SIGTERM writes every buffered click before the process exits.
  expectingExit = true;
  const exited = new Promise<number | null>((resolve) => api!.child.once('exit', resolve));
  api!.child.kill('SIGTERM');
  const exitCode = await exited;
  const flushed = JSON.parse(
    api!
      .output()
      .split('\n')
      .find((line) => line.includes('clicks flushed')) ?? '{}',
  );

  // ── clicks ──
  const stored = (await sql<{ id: string }>(databaseUrl, 'SELECT id::text AS id FROM "Click"')).map(
    (r) => r.id,
  );
  const storedSet = new Set(stored);
  const unanswered = stored.filter((id) => !clicksAnswered.has(id));
  const killFaults = faults.filter((f) => f.kind === 'kill');
  const lost = [...clicksAnswered.keys()].filter((id) => !storedSet.has(id));
  const windows: number[] = []; // per lost click: ms from its recording to the SIGKILL that lost it
  let lostOutside = 0;
  let lostWithoutKill = 0;
  const lostPerKill = new Map<Fault, number>();
  for (const id of lost) {
    const recordedAt = idTime(id);
    const killer = killFaults.find((k) => k.at >= recordedAt);
    if (!killer) {
      lostWithoutKill++;
      continue;
    }
    lostPerKill.set(killer, (lostPerKill.get(killer) ?? 0) + 1);
    windows.push(killer.at - recordedAt);
    if (killer.at - recordedAt > lossBoundMs) lostOutside++;
  }
  // The lag in steady state: outside the faults and the time the system takes to catch up after.
  const disturbed = (t: number) =>
    faults.some((f, i) => t >= f.at - 200 && t <= (f.caughtUp ?? faults[i + 1]?.at ?? t));
  const steady = lags.filter((l) => l.at > startedAt && !disturbed(l.at)).map((l) => l.ms);
  const lagBefore = (t: number) => lags.filter((l) => l.at <= t).at(-1)?.ms ?? Number.NaN;

  console.log('\nClicks');
  console.log(
    `  answered ${clicksAnswered.size} (${Math.round(clicksAnswered.size / (loadMs / 1000))}/s), stored ${stored.length}, lost ${lost.length}; ${clicksUnanswered} requests without an answer, ${clicksOther} other answers`,
  );
  console.log(
    `  stored clicks trail the answered ones (steady state, sampled every 100 ms): p50 ${round(percentile(steady, 50))}, p99 ${round(percentile(steady, 99))}, max ${round(Math.max(...steady))}`,
  );
  for (const k of killFaults)
    console.log(
      `  SIGKILL at ${((k.at - startedAt) / 1000).toFixed(1)} s: ${lostPerKill.get(k) ?? 0} clicks lost; trailing by ${round(lagBefore(k.at))} just before`,
    );
  console.log(
    `  lost clicks were recorded ${windows.length ? `${round(Math.min(...windows))} to ${round(Math.max(...windows))}` : '-'} before the SIGKILL; bound ${lossBoundMs} ms`,
  );
  check(unanswered.length === 0, `every stored click was answered (${unanswered.length} not)`);
  check(stored.length === storedSet.size, `no click stored twice`);
  check(
    lostOutside === 0 && lostWithoutKill === 0,
    `every lost click was recorded < ${lossBoundMs} ms before a SIGKILL (${lostOutside} earlier, ${lostWithoutKill} with no SIGKILL after: lost to PostgreSQL, a cut or SIGTERM)`,
  );
  check(
    exitCode === 0 && flushed.dropped === 0,
    flushed.accepted === undefined
      ? `SIGTERM at the end: exit code ${exitCode}, without flushing the clicks`
      : `SIGTERM at the end: exit code ${exitCode}, ${flushed.dropped} clicks dropped of ${flushed.accepted} in the last process`,
  );

  // ── sales ──
  const rows = await storedConversions(databaseUrl, seeded.programId);
  const byOrder = new Map(rows.map((r) => [r.externalId, r]));
  const final = (s: Sale) =>
    s.attempts.some((a) => a.kind === 'ok')
      ? 'ok'
      : s.attempts.some((a) => a.kind === 'error')
        ? 'error'
        : 'none';
  const ok = sales.filter((s) => final(s) === 'ok');
  const errors = sales.filter((s) => final(s) === 'error');
  const none = sales.filter((s) => final(s) === 'none');
  const retried = sales.filter((s) => s.attempts.length > 1);
  const replayedRetries = ok.filter((s) => s.attempts.some((a) => a.kind === 'ok' && a.replayed));
  let missing = 0;
  let wrong = 0;
  for (const s of ok) {
    const row = byOrder.get(s.orderId);
    const ids = new Set(s.attempts.flatMap((a) => (a.kind === 'ok' ? [a.conversionId] : [])));
    // A first attempt answered "replayed" would mean another sale had taken the order id.
    const first = s.attempts[0]!;
    if (!row) missing++;
    else if (row.n !== 1 || row.amount !== saleAmount || ids.size !== 1 || !ids.has(row.id)) wrong++;
    else if (first.kind === 'ok' && first.replayed) wrong++;
  }
  const sent = new Set(sales.map((s) => s.orderId));
  const twice = rows.filter((r) => r.n > 1).length;
  const unknown = rows.filter((r) => !sent.has(r.externalId)).length;
  const badMoney = rows.filter(
    (r) => r.commissions !== (r.attributed ? 1 : 0) || r.ledger !== r.commissions,
  ).length;
  const storedAfterError = errors.filter((s) => byOrder.has(s.orderId)).length;
  const storedWithoutAnswer = none.filter((s) => byOrder.has(s.orderId)).length;
  const errorKinds = new Map<string, number>();
  for (const s of sales)
    for (const a of s.attempts)
      if (a.kind === 'error') errorKinds.set(a.detail, (errorKinds.get(a.detail) ?? 0) + 1);
  const attempts = sales.reduce((n, s) => n + s.attempts.length, 0);

  console.log('\nSales');
  console.log(
    `  ${sales.length} order ids in ${attempts} requests (${Math.round(attempts / (loadMs / 1000))}/s): ${ok.length} answered ok, ${errors.length} answered with an error, ${none.length} never answered`,
  );
  console.log(
    `  ${retried.length} sent again after no answer; ${replayedRetries.length} of those answered "replayed" (the first try had been stored)`,
  );
  if (errorKinds.size) console.log(`  errors: ${[...errorKinds].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  console.log(
    `  stored ${rows.length} (${rows.filter((r) => r.attributed).length} attributed); of the errors ${storedAfterError} stored, of the unanswered ${storedWithoutAnswer}`,
  );
  check(
    missing === 0 && wrong === 0,
    `every sale answered ok is stored exactly once with its amount and answered id (${missing} missing, ${wrong} wrong)`,
  );
  check(
    twice === 0 && unknown === 0,
    `no order id stored twice (${twice}), none that was not sent (${unknown})`,
  );
  check(
    badMoney === 0,
    `one commission and one EARNED entry per attributed sale, none otherwise (${badMoney} off)`,
  );

  check(
    replayOk === replays.length && replayWritten === 0,
    `re-sent order ids: ${replayOk} of ${replays.length} answered "replayed" with the first id; ${replayWritten} new conversions`,
  );

  // ── recovery ──
  console.log('\nRecovery');
  const since = (t: number | undefined, from: number) => (t === undefined ? 'never' : round(t - from));
  const within = (t: number | undefined, from: number) => t !== undefined && t - from <= recoveryLimitMs;
  for (const f of faults) {
    const at = `${((f.at - startedAt) / 1000).toFixed(1)} s`;
    const then = `first sale ok after ${since(f.saleOk, f.back!)}, stored clicks caught up after ${since(f.caughtUp, f.back!)}`;
    if (f.kind === 'kill')
      console.log(
        `  SIGKILL at ${at}: listening again after ${round(f.back! - f.at)}; from then, ${then} (first click stored after ${since(f.clickStored, f.back!)})`,
      );
    else if (f.kind === 'postgres')
      console.log(
        `  PostgreSQL -m ${f.mode} at ${at}: down ${round(f.back! - f.at)}; from its return, ${then}`,
      );
    else {
      console.log(
        `  cut at ${at}: after a click batch's COMMIT ${f.cut!.clickBatch ? 'yes' : 'NO'}, after a sale's ${f.cut!.conversion ? 'yes' : 'NO'}; from then, ${then}`,
      );
      check(f.cut!.clickBatch && f.cut!.conversion, 'both connections were cut right after their commit');
    }
    check(
      within(f.saleOk, f.back!) && within(f.caughtUp, f.back!),
      `recovered by itself within ${recoveryLimitMs} ms: sales go through and clicks are written`,
    );
  }
  check(unexpectedExits === 0, `the API never exited by itself (${unexpectedExits})`);
  check(
    faults.filter((f) => f.kind === 'kill').length === kills &&
      faults.filter((f) => f.kind === 'postgres').length === pgRestarts &&
      faults.filter((f) => f.kind === 'cut').length === cuts,
    `all faults injected (${faults.length})`,
  );

  if (apiLog.size) {
    console.log('\nAPI warnings and errors');
    for (const [message, n] of [...apiLog].sort((a, b) => b[1] - a[1]).slice(0, 15))
      console.log(`  ${n} × ${message}`);
  }

  failed = checks.some((c) => !c.ok);
  console.log(
    `\nsummary ${JSON.stringify({
      seconds: Math.round(loadMs / 1000),
      kills: killFaults.length,
      postgresRestarts: faults.filter((f) => f.kind === 'postgres').length,
      cuts: faults.filter((f) => f.kind === 'cut').length,
      clicksAnswered: clicksAnswered.size,
      clicksStored: stored.length,
      clicksLost: lost.length,
      clicksLostOutsideBound: lostOutside + lostWithoutKill,
      lossBoundMs,
      salesOk: ok.length,
      salesError: errors.length,
      salesNoAnswer: none.length,
      salesStored: rows.length,
      duplicates: twice,
      failedChecks: checks.filter((c) => !c.ok).length,
    })}`,
  );
  console.log(failed ? '\nFAILED' : '\nAll checks passed');
} catch (error) {
  console.error(error);
} finally {
  stopping = true;
  clickAgent.destroy();
  saleAgent.destroy();
  cleanUp();
}
process.exit(failed ? 1 : 0);
