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
import { migrate } from '../../src/database/migrations.ts';
import { freePort, postgresProxy, sql, startCluster } from '../common.ts';
import { checkClicks, checkRecovered, checkRun, checkSales, failedChecks } from './checks.ts';
import { clickWorker } from './clicks.ts';
import { faults, injectFaults, warmUp } from './inject.ts';
import { watchLag } from './lag.ts';
import { clickOutcome, resendStored, saleOutcome } from './outcome.ts';
import { launch, running, stopApiCleanly } from './processes.ts';
import { printApiLog, printClicks, printFault, printSales, printSummary } from './report.ts';
import { closeConnections, stopLoad } from './requests.ts';
import { saleWorker } from './sales.ts';
import { seed } from './seed.ts';
import { clickConnections, cuts, kills, pgDownMs, pgRestarts, saleConcurrency, seconds } from './settings.ts';
import { round, sleep } from './time.ts';

let failed = true;
try {
  const cluster = await startCluster();
  running.cluster = cluster;
  await sql(cluster.url(), 'CREATE DATABASE faults');
  const databaseUrl = cluster.url('faults');
  await migrate(databaseUrl);
  const seeded = await seed(databaseUrl);
  // The API reaches PostgreSQL through a proxy that can cut its connections; the checks do not.
  running.proxy = await postgresProxy(cluster.port);
  const apiDatabaseUrl = `postgresql://postgres@127.0.0.1:${running.proxy.port}/faults`;
  running.port = await freePort();
  await launch(apiDatabaseUrl);
  console.log(
    `PostgreSQL ${cluster.dir} on port ${cluster.port}, API on ${running.port}. ${seconds} s of load (${clickConnections} click connections, ${saleConcurrency} sales in flight), ${kills} SIGKILLs, ${pgRestarts} PostgreSQL restarts (${pgDownMs} ms down), ${cuts} cuts...`,
  );

  const loadStart = Date.now();
  const load = Promise.all([
    ...Array.from({ length: clickConnections }, clickWorker),
    ...Array.from({ length: saleConcurrency }, () => saleWorker(seeded)),
  ]);
  const lagWatch = watchLag(databaseUrl);
  // The faults and the steady-state figures count from the end of the warm-up.
  await warmUp();
  const startedAt = Date.now();
  console.log(`  warm after ${round(startedAt - loadStart)}`);
  await injectFaults(apiDatabaseUrl, startedAt);
  // Load goes on a while after the last fault, so recovery is seen under load.
  const last = faults.at(-1);
  await sleep(Math.max(startedAt + seconds * 1000, (last?.caughtUp ?? last?.back ?? 0) + 2_000) - Date.now());
  stopLoad();
  await load;
  const loadMs = Date.now() - loadStart;
  await lagWatch;

  const resent = await resendStored(databaseUrl, seeded);
  const stop = await stopApiCleanly();

  const clicks = await clickOutcome(databaseUrl, startedAt);
  printClicks(clicks, loadMs, startedAt);
  checkClicks(clicks, stop);

  const sales = await saleOutcome(databaseUrl, seeded.programId);
  printSales(sales, loadMs);
  checkSales(sales, resent);

  console.log('\nRecovery');
  for (const f of faults) {
    printFault(f, startedAt);
    checkRecovered(f);
  }
  checkRun();

  printApiLog();
  failed = failedChecks() > 0;
  printSummary(clicks, sales, loadMs);
  console.log(failed ? '\nFAILED' : '\nAll checks passed');
} catch (error) {
  console.error(error);
} finally {
  closeConnections();
}
process.exit(failed ? 1 : 0);
