// The load test with faults (`pnpm load:faults`, apps/api/bench/faults/main.ts) in a short form: 15 s
// of clicks and sales, longer as each fault waits for the recovery from the one before, while the
// API is killed once, PostgreSQL crashes once (`-m immediate`) and the API's connections are cut
// right after a commit. The script checks what the database holds and exits non-zero when a check
// fails; this test runs it and reads its summary line.
import { afterAll, describe, expect, test } from 'vitest';
import { type Run, run } from './server-process.ts';

let script: Run | undefined;
afterAll(() => {
  // On a timeout: SIGINT lets the script stop its API and delete its PostgreSQL cluster.
  if (script?.child.exitCode === null) script.child.kill('SIGINT');
});

// The script brings its own PostgreSQL cluster, so one of the two CI passes is enough. It runs in
// the PostgreSQL pass (TEST_DATABASE_URL set): a machine set up for that pass has PostgreSQL's
// server binaries, and `pnpm test` on the embedded database, the one developers run most, stays
// quick.
describe.skipIf(!process.env.TEST_DATABASE_URL)('under load, with faults', () => {
  test('every sale answered ok is stored once, clicks are lost only just before a SIGKILL, and the API recovers by itself', async () => {
    script = run('bench/faults/main.ts', {
      BENCH_SECONDS: '15',
      BENCH_KILLS: '1',
      BENCH_PG_RESTARTS: '1',
      BENCH_PG_DOWN_MS: '1000',
      BENCH_CUTS: '1',
      BENCH_PG_BIN: process.env.BENCH_PG_BIN,
    });
    const code = await script.exited;
    const output = script.output();
    expect(code, output).toBe(0);
    const line = /^summary (.*)$/m.exec(output)?.[1];
    expect(line, output).toBeDefined();
    const summary = JSON.parse(line!);
    expect(summary, output).toMatchObject({
      kills: 1,
      postgresRestarts: 1,
      cuts: 1,
      clicksLostOutsideBound: 0,
      duplicates: 0,
      failedChecks: 0,
    });
    expect(summary.clicksAnswered).toBeGreaterThan(5_000);
    expect(summary.clicksStored).toBe(summary.clicksAnswered - summary.clicksLost);
    expect(summary.salesOk).toBeGreaterThan(300);
    expect(summary.salesStored).toBeGreaterThanOrEqual(summary.salesOk);
    expect(output).toContain('All checks passed');
  }, 300_000);
});
