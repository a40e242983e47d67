import { prisma } from '../db.ts';
import { ExpiringCache } from '../expiring-cache.ts';
import { onInvalidate } from '../invalidation.ts';

// The program's average sale, for the outlier rule. It moves slowly, so one read per program
// every few minutes is enough, whatever the traffic.
const cache = new ExpiringCache<Promise<{ amount: number; samples: number } | null>>(5 * 60_000);

// A rule change starts from a fresh average.
onInvalidate((what) => {
  if ('program' in what) cache.deleteWhere((_, key) => key.startsWith(`${what.program}:`));
});

export function programAverage(programId: string, days: number) {
  const key = `${programId}:${days}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const value = prisma.$queryRaw<{ amount: number | null; samples: number }[]>`
      SELECT round(avg("programAmount"))::int AS amount, count(*)::int AS samples FROM "Conversion"
      WHERE "programId" = ${programId}::uuid AND kind = 'SALE' AND status = 'ACCEPTED'
        AND "programAmount" IS NOT NULL AND "createdAt" > now() - make_interval(days => ${days}::int)`.then(
    ([row]) => (row?.amount != null ? { amount: row.amount, samples: row.samples } : null),
  );
  value.catch(() => cache.delete(key));
  cache.set(key, value);
  return value;
}
