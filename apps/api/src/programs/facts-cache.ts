import { prisma } from '../db.ts';
import { onInvalidate } from '../invalidation.ts';

/** What tracking needs of a program: whose it is, its currency, whether it records. */
export interface ProgramFacts {
  organizationId: string;
  currency: string;
  status: string;
}

// Read on every tracked conversion. A change to the program drops it at once here, and in other
// instances through the invalidation channel (Redis); without Redis, within `ttlMs`.
const ttlMs = 30_000;
const cache = new Map<string, { facts: ProgramFacts; until: number }>();
onInvalidate((what) => {
  if ('program' in what) cache.delete(what.program);
});

export async function programFacts(programId: string): Promise<ProgramFacts | null> {
  const now = Date.now();
  const hit = cache.get(programId);
  if (hit && hit.until > now) return hit.facts;
  const facts = await prisma.program.findUnique({
    where: { id: programId },
    select: { organizationId: true, currency: true, status: true },
  });
  if (facts) {
    if (cache.size >= 10_000) cache.clear();
    cache.set(programId, { facts, until: now + ttlMs });
  }
  return facts;
}
