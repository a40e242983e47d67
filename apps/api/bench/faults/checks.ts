// The checks: each prints its line, and main.ts exits 1 when one failed.
import { type Fault, faults, faultsOf } from './inject.ts';
import type { ClickOutcome, Resent, SaleOutcome } from './outcome.ts';
import { type CleanStop, unexpectedExits } from './processes.ts';
import { cuts, kills, lossBoundMs, pgRestarts, recoveryLimitMs } from './settings.ts';

const checks: { ok: boolean; text: string }[] = [];
export const failedChecks = () => checks.filter((c) => !c.ok).length;

const check = (ok: boolean, text: string) => {
  checks.push({ ok, text });
  console.log(`${ok ? '  ✓' : '  ✗'} ${text}`);
};

export function checkClicks(c: ClickOutcome, stop: CleanStop) {
  check(c.unanswered === 0, `every stored click was answered (${c.unanswered} not)`);
  check(c.storedTwice === 0, `no click stored twice`);
  check(
    c.lostOutside === 0 && c.lostWithoutKill === 0,
    `every lost click was recorded < ${lossBoundMs} ms before a SIGKILL (${c.lostOutside} earlier, ${c.lostWithoutKill} with no SIGKILL after: lost to PostgreSQL, a cut or SIGTERM)`,
  );
  const { exitCode, flushed } = stop;
  check(
    exitCode === 0 && flushed.dropped === 0,
    flushed.accepted === undefined
      ? `SIGTERM at the end: exit code ${exitCode}, without flushing the clicks`
      : `SIGTERM at the end: exit code ${exitCode}, ${flushed.dropped} clicks dropped of ${flushed.accepted} in the last process`,
  );
}

export function checkSales(s: SaleOutcome, resent: Resent) {
  check(
    s.missing === 0 && s.wrong === 0,
    `every sale answered ok is stored exactly once with its amount and answered id (${s.missing} missing, ${s.wrong} wrong)`,
  );
  check(
    s.twice === 0 && s.unknown === 0,
    `no order id stored twice (${s.twice}), none that was not sent (${s.unknown})`,
  );
  check(
    s.badMoney === 0,
    `one commission and one EARNED entry per attributed sale, none otherwise (${s.badMoney} off)`,
  );

  check(
    resent.ok === resent.sent && resent.written === 0,
    `re-sent order ids: ${resent.ok} of ${resent.sent} answered "replayed" with the first id; ${resent.written} new conversions`,
  );
}

export function checkRecovered(f: Fault) {
  const within = (t: number | undefined) => t !== undefined && t - f.back! <= recoveryLimitMs;
  if (f.kind === 'cut')
    check(f.cut!.clickBatch && f.cut!.conversion, 'both connections were cut right after their commit');
  check(
    within(f.saleOk) && within(f.caughtUp),
    `recovered by itself within ${recoveryLimitMs} ms: sales go through and clicks are written`,
  );
}

export function checkRun() {
  check(unexpectedExits === 0, `the API never exited by itself (${unexpectedExits})`);
  check(
    faultsOf('kill').length === kills &&
      faultsOf('postgres').length === pgRestarts &&
      faultsOf('cut').length === cuts,
    `all faults injected (${faults.length})`,
  );
}
