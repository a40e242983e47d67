import type { Db } from '../db.ts';
import { versionInForce } from './terms.ts';

/**
 * The id of the terms version that applies to an enrollment at `at`: every version that could
 * (the program's and the enrollment's own, effective by then), and the rule picks one.
 */
export async function termsIdInForce(
  db: Pick<Db, 'commissionTerms'>,
  enrollment: { id: string; programId: string },
  at: Date,
): Promise<string | null> {
  const candidates = await db.commissionTerms.findMany({
    where: {
      programId: enrollment.programId,
      OR: [{ enrollmentId: null }, { enrollmentId: enrollment.id }],
      effectiveAt: { lte: at },
    },
    select: { id: true, version: true, effectiveAt: true, enrollmentId: true },
  });
  return versionInForce(candidates, at)?.id ?? null;
}
