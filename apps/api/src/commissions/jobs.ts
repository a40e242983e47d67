import type { Logger } from 'pino';
import { forgetOldSignInIps } from '../fraud/account-ips.ts';
import { every } from '../periodic.ts';
import { bookClickCommissions } from './clicks.ts';
import { approveDue } from './lifecycle.ts';

/**
 * The commission jobs of this process, every `intervalMs`: book the click commissions of finished
 * days, then approve commissions whose holding period has ended. Every instance may run them:
 * approvals take rows with SKIP LOCKED and a click day is booked under a unique key, so
 * instances share the work and never repeat it.
 */
export function startCommissionJobs(intervalMs: number, log: Pick<Logger, 'info' | 'error'>) {
  return every(
    intervalMs,
    async () => {
      const clickDays = await bookClickCommissions();
      const approved = await approveDue();
      await forgetOldSignInIps();
      if (clickDays || approved) log.info({ clickDays, approved }, 'commission jobs ran');
    },
    log,
    'commission jobs',
  );
}
