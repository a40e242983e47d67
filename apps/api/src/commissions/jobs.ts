import type { Logger } from 'pino';
import { bookClickCommissions } from './clicks.ts';
import { approveDue } from './lifecycle.ts';

/**
 * The commission jobs of this process, every `intervalMs`: book the click commissions of finished
 * days, then approve commissions whose holding period has ended. Every instance may run them:
 * approvals take rows with SKIP LOCKED and a click day is booked under a unique key, so
 * instances share the work and never repeat it. A run never overlaps the previous one; a failed
 * run is logged and retried at the next tick.
 */
export function startCommissionJobs(intervalMs: number, log: Pick<Logger, 'info' | 'error'>) {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= (async () => {
      const clickDays = await bookClickCommissions();
      const approved = await approveDue();
      if (clickDays || approved) log.info({ clickDays, approved }, 'commission jobs ran');
    })()
      .catch((error) => log.error({ err: error }, 'commission jobs failed; will retry'))
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
