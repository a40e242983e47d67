// PostgreSQL, the proxy in front of it and the API: started by main.ts, acted on by the faults,
// and never left behind.
import type { ChildProcess } from 'node:child_process';
import { type Cluster, type postgresProxy, startApi } from '../common.ts';
import { sleep } from './time.ts';

export const running: {
  cluster?: Cluster;
  proxy?: Awaited<ReturnType<typeof postgresProxy>>;
  api?: Awaited<ReturnType<typeof startApi>>;
  port: number;
} = { port: 0 };

const killApi = () => {
  if (running.api?.child.exitCode === null) running.api.child.kill('SIGKILL');
};

// Whatever happens (a failed check, an exception, Ctrl-C), leave no process and no folder behind.
const cleanUp = () => {
  killApi();
  running.proxy?.close();
  running.cluster?.destroy();
  running.cluster = undefined;
};
process.on('exit', cleanUp);
// On a signal, PostgreSQL is stopped without blocking the event loop: `tsx bench/faults/main.ts`
// runs this script in a child process and SIGKILLs it when its loop does not acknowledge a relayed
// signal within 30 ms, which would leave the cluster's folder behind.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping`);
    killApi();
    void (running.cluster?.stop('immediate') ?? Promise.resolve())
      .catch(() => {})
      .finally(() => process.exit(130));
  });

/** The API's warnings and errors, by message, to print at the end (the rest is one line per request). */
export const apiLog = new Map<string, number>();
export let unexpectedExits = 0;
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
    console.log(`  ✗ the API exited by itself (${code ?? signal}):\n${running.api?.output().slice(-3_000)}`);
  });
}

/** Starts the API on `running.port`, trying again while it refuses to (a supervisor would, too). */
export async function launch(databaseUrl: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      running.api = await startApi(databaseUrl, {
        PORT: String(running.port),
        REDIS_URL: '', // one instance: memory counters, nothing shared with other runs
        // All load comes from 127.0.0.1 with one key: lift the allowances so none is refused.
        RATE_LIMIT_CLICKS_PER_IP: '100000000',
        RATE_LIMIT_API_PER_IP: '1000000',
        RATE_LIMIT_API_PER_CREDENTIAL: '10000000',
      });
      expectingExit = false;
      watch(running.api.child);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** Sends the API `signal`, as a fault or at the end, and resolves with its exit code. */
export async function stopApi(signal: 'SIGKILL' | 'SIGTERM') {
  expectingExit = true;
  const exited = new Promise<number | null>((resolve) => running.api!.child.once('exit', resolve));
  running.api!.child.kill(signal);
  return exited;
}

/** A clean stop: SIGTERM writes every buffered click before the process exits. */
export async function stopApiCleanly() {
  const exitCode = await stopApi('SIGTERM');
  const flushed = JSON.parse(
    running
      .api!.output()
      .split('\n')
      .find((line) => line.includes('clicks flushed')) ?? '{}',
  );
  return { exitCode, flushed };
}
export type CleanStop = Awaited<ReturnType<typeof stopApiCleanly>>;
