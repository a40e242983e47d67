// The figures printed between the checks, and the summary line test/e2e/faults.test.ts reads.
import { failedChecks } from './checks.ts';
import { clicks } from './clicks.ts';
import { type Fault, faultsOf } from './inject.ts';
import { lagBefore } from './lag.ts';
import type { ClickOutcome, SaleOutcome } from './outcome.ts';
import { apiLog } from './processes.ts';
import { lossBoundMs } from './settings.ts';
import { round, secondsIn } from './time.ts';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const perSecond = (n: number, loadMs: number) => Math.round(n / (loadMs / 1000));

export function printClicks(c: ClickOutcome, loadMs: number, startedAt: number) {
  const answered = clicks.answered.size;
  console.log('\nClicks');
  console.log(
    `  answered ${answered} (${perSecond(answered, loadMs)}/s), stored ${c.stored}, lost ${c.lost}; ${clicks.unanswered} requests without an answer, ${clicks.other} other answers`,
  );
  console.log(
    `  stored clicks trail the answered ones (steady state, sampled every 100 ms): p50 ${round(percentile(c.steady, 50))}, p99 ${round(percentile(c.steady, 99))}, max ${round(Math.max(...c.steady))}`,
  );
  for (const k of c.killFaults)
    console.log(
      `  SIGKILL at ${secondsIn(k.at, startedAt)}: ${c.lostPerKill.get(k) ?? 0} clicks lost; trailing by ${round(lagBefore(k.at))} just before`,
    );
  console.log(
    `  lost clicks were recorded ${c.windows.length ? `${round(Math.min(...c.windows))} to ${round(Math.max(...c.windows))}` : '-'} before the SIGKILL; bound ${lossBoundMs} ms`,
  );
  for (const stray of c.strays.slice(0, 10))
    console.log(
      `  lost outside the bound: recorded at ${secondsIn(stray.recordedAt, startedAt)}, answered at ${secondsIn(stray.answeredAt, startedAt)}`,
    );
}

export function printSales(s: SaleOutcome, loadMs: number) {
  console.log('\nSales');
  console.log(
    `  ${s.orderIds} order ids in ${s.attempts} requests (${perSecond(s.attempts, loadMs)}/s): ${s.ok} answered ok, ${s.errors} answered with an error, ${s.none} never answered`,
  );
  console.log(
    `  ${s.retried} sent again after no answer; ${s.replayedRetries} of those answered "replayed" (the first try had been stored)`,
  );
  if (s.errorKinds.size)
    console.log(`  errors: ${[...s.errorKinds].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  console.log(
    `  stored ${s.stored} (${s.attributed} attributed); of the errors ${s.storedAfterError} stored, of the unanswered ${s.storedWithoutAnswer}`,
  );
}

export function printFault(f: Fault, startedAt: number) {
  const since = (t: number | undefined) => (t === undefined ? 'never' : round(t - f.back!));
  const at = secondsIn(f.at, startedAt);
  const then = `first sale ok after ${since(f.saleOk)}, stored clicks caught up after ${since(f.caughtUp)}`;
  if (f.kind === 'kill')
    console.log(
      `  SIGKILL at ${at}: listening again after ${round(f.back! - f.at)}; from then, ${then} (first click stored after ${since(f.clickStored)})`,
    );
  else if (f.kind === 'postgres')
    console.log(
      `  PostgreSQL -m ${f.mode} at ${at}: down ${round(f.back! - f.at)}; from its return, ${then}`,
    );
  else
    console.log(
      `  cut at ${at}: after a click batch's COMMIT ${f.cut!.clickBatch ? 'yes' : 'NO'}, after a sale's ${f.cut!.conversion ? 'yes' : 'NO'}; from then, ${then}`,
    );
}

export function printApiLog() {
  if (!apiLog.size) return;
  console.log('\nAPI warnings and errors');
  for (const [message, n] of [...apiLog].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${n} × ${message}`);
}

export function printSummary(c: ClickOutcome, s: SaleOutcome, loadMs: number) {
  console.log(
    `\nsummary ${JSON.stringify({
      seconds: Math.round(loadMs / 1000),
      kills: c.killFaults.length,
      postgresRestarts: faultsOf('postgres').length,
      cuts: faultsOf('cut').length,
      clicksAnswered: clicks.answered.size,
      clicksStored: c.stored,
      clicksLost: c.lost,
      clicksLostOutsideBound: c.lostOutside + c.lostWithoutKill,
      lossBoundMs,
      salesOk: s.ok,
      salesError: s.errors,
      salesNoAnswer: s.none,
      salesStored: s.stored,
      duplicates: s.twice,
      failedChecks: failedChecks(),
    })}`,
  );
}
