// How far the stored clicks trail the answered ones.
import pg from 'pg';
import { stopping } from './requests.ts';
import { idTime, sleep } from './time.ts';

interface Lag {
  at: number;
  ms: number;
}
export const lags: Lag[] = [];

/** How far the stored clicks trailed at `t`, as last seen before it. */
export const lagBefore = (t: number) => lags.filter((l) => l.at <= t).at(-1)?.ms ?? Number.NaN;

/**
 * Every 100 ms: how old the newest stored click is. Clicks are written in the order they were
 * answered, one batch at a time, so every click not yet stored is younger than that: it bounds
 * what a SIGKILL at that moment could lose.
 */
export async function watchLag(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 1_000 });
  pool.on('error', () => {});
  while (!stopping) {
    try {
      const [row] = (
        await pool.query<{ id: string | null }>('SELECT id::text AS id FROM "Click" ORDER BY id DESC LIMIT 1')
      ).rows;
      const at = Date.now();
      if (row?.id) lags.push({ at, ms: at - idTime(row.id) });
    } catch {
      // PostgreSQL is down
    }
    await sleep(100);
  }
  await pool.end();
}
