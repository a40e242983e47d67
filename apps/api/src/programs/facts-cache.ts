import { prisma } from '../db.ts';
import { ExpiringCache } from '../expiring-cache.ts';
import { onInvalidate } from '../invalidation.ts';

/** What tracking needs of a program: whose it is, its currency, whether it records. */
export interface ProgramFacts {
  organizationId: string;
  currency: string;
  status: string;
}

// Read on every tracked conversion. A change to the program drops it at once here, and in other
// instances through the invalidation channel (Redis); without Redis, within 30 s.
const cache = new ExpiringCache<ProgramFacts>(30_000);
onInvalidate((what) => {
  if ('program' in what) cache.delete(what.program);
});

export async function programFacts(programId: string): Promise<ProgramFacts | null> {
  const hit = cache.get(programId);
  if (hit) return hit;
  const facts = await prisma.program.findUnique({
    where: { id: programId },
    select: { organizationId: true, currency: true, status: true },
  });
  if (facts) cache.set(programId, facts);
  return facts;
}
