// The faults, in turn, each once the system has recovered from the one before: SIGKILL of the API
// (started again at once on the same port, as a supervisor would), PostgreSQL stopped and started,
// and the API's connections cut right after a commit.
import { lags } from './lag.ts';
import { launch, running, stopApi } from './processes.ts';
import { firstSaleOkAfter } from './sales.ts';
import { cuts, kills, pgDownMs, pgRestarts, recoveryLimitMs, seconds } from './settings.ts';
import { secondsIn, sleep } from './time.ts';

// The stored clicks have caught up when the newest is younger than this.
const caughtUpMs = 1_000;

export interface Fault {
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
export const faults: Fault[] = [];
export const faultsOf = (kind: Fault['kind']) => faults.filter((f) => f.kind === kind);

async function kill(databaseUrl: string) {
  const fault: Fault = { kind: 'kill', at: Date.now() };
  faults.push(fault);
  await stopApi('SIGKILL');
  await launch(databaseUrl);
  fault.back = Date.now();
}

async function restartPostgres(mode: 'fast' | 'immediate') {
  const fault: Fault = { kind: 'postgres', mode, at: Date.now() };
  faults.push(fault);
  const cluster = running.cluster!;
  if (pgDownMs > 0) {
    await cluster.stop(mode);
    await sleep(pgDownMs);
    await cluster.start();
  } else await cluster.restart(mode);
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
    running.proxy!.cut('click-batch').then(() => (cut.clickBatch = true)),
    running.proxy!.cut('conversion').then(() => (cut.conversion = true)),
  ]);
  await Promise.race([both, sleep(10_000)]);
  fault.back = Date.now();
}

/** Until a sale went through and the stored clicks keep up (the writer thread is up). */
export async function warmUp() {
  const warm = Date.now() + 60_000;
  while (
    (!Number.isFinite(firstSaleOkAfter(0)) || !((lags.at(-1)?.ms ?? caughtUpMs) < caughtUpMs)) &&
    Date.now() < warm
  )
    await sleep(50);
}

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
export async function injectFaults(databaseUrl: string, startedAt: number) {
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
    const at = `  ${secondsIn(Date.now(), startedAt)}:`;
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
