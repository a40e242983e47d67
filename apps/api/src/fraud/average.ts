import { prisma } from '../db.ts';
import { onInvalidate } from '../invalidation.ts';

// The program's average sale, for the outlier rule. It moves slowly, so one read per program
// every few minutes is enough, whatever the traffic.
const ttlMs = 5 * 60_000;
const cache = new Map<
  string,
  { value: Promise<{ amount: number; samples: number } | null>; until: number }
>();

// A rule change starts from a fresh average.
onInvalidate((what) => {
  if ('program' in what)
    for (const key of cache.keys()) if (key.startsWith(`${what.program}:`)) cache.delete(key);
});

export function programAverage(programId: string, days: number) {
  const key = `${programId}:${days}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.value;
  const value = prisma.$queryRaw<{ amount: number | null; samples: number }[]>`
      SELECT round(avg("programAmount"))::int AS amount, count(*)::int AS samples FROM "Conversion"
      WHERE "programId" = ${programId}::uuid AND kind = 'SALE' AND status = 'ACCEPTED'
        AND "programAmount" IS NOT NULL AND "createdAt" > now() - make_interval(days => ${days}::int)`.then(
    ([row]) => (row?.amount != null ? { amount: row.amount, samples: row.samples } : null),
  );
  value.catch(() => cache.delete(key));
  if (cache.size >= 10_000) cache.clear();
  cache.set(key, { value, until: now + ttlMs });
  return value;
}
