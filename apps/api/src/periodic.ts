import type { Logger } from 'pino';

/**
 * Runs `work` now and then every `intervalMs` in this process, never two runs at once; a failed
 * run is logged and the next tick tries again. `intervalMs` 0 turns it off. `stop()` waits for
 * the run in progress.
 */
export function every(
  intervalMs: number,
  work: () => Promise<void>,
  log: Pick<Logger, 'error'>,
  what: string,
): { stop(): Promise<void> } {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= work()
      .catch((error) => log.error({ err: error }, `${what} failed; will retry`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
