import type { Logger } from 'pino';
import { approveDue } from './lifecycle.ts';

/**
 * Approves due commissions every `intervalMs` in this process. Every instance may run it: the
 * approval itself takes rows with SKIP LOCKED, so instances share the work, never repeat it.
 * A run never overlaps the previous one; a failed run is logged and retried at the next tick.
 */
export function startApprovals(intervalMs: number, log: Pick<Logger, 'info' | 'error'>) {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= approveDue()
      .then((approved) => {
        if (approved) log.info({ approved }, 'approved commissions whose holding period ended');
      })
      .catch((error) => log.error({ err: error }, 'approving due commissions failed; will retry'))
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
