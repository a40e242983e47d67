import type { Logger } from 'pino';
import { every } from '../periodic.ts';
import { purgePersonalData, type RetentionSettings } from './retention.ts';

/** A run stops starting batches after this long; the next run carries on where it stopped. */
const runBudgetMs = 60_000;

/**
 * The retention job of this process, every `intervalMs`: clears conversions' and clicks' personal
 * data past their windows and drops expired refresh tokens. Every instance may run it: the purge
 * keeps its place in a locked row that other instances skip, and its updates are idempotent.
 * `stop()` lets the batch in progress finish (one short transaction) and starts no other.
 */
export function startRetentionJobs(
  intervalMs: number,
  settings: RetentionSettings,
  log: Pick<Logger, 'info' | 'error'>,
) {
  let stopping = false;
  const job = every(
    intervalMs,
    async () => {
      const deadline = Date.now() + runBudgetMs;
      const purged = await purgePersonalData(settings, new Date(), {
        keepGoing: () => !stopping && Date.now() < deadline,
      });
      if (purged.conversions || purged.clicks || purged.refreshTokens)
        log.info(purged, 'retention purge ran');
    },
    log,
    'retention purge',
  );
  return {
    async stop() {
      stopping = true;
      await job.stop();
    },
  };
}
