import { type Db, prisma } from '../db.ts';
import { type Terms, termsFromRow } from './terms.ts';

// A terms version is never changed once written (a change is a new version), so a version read
// once can be kept: recording a conversion then needs no query for its terms.
const cache = new Map<string, Promise<{ id: string; terms: Terms }>>();
const limit = 10_000;

/** The terms of one version, by id, from memory after the first read. */
export function termsById(id: string, db: Pick<Db, 'commissionTerms'> = prisma) {
  let found = cache.get(id);
  if (!found) {
    found = db.commissionTerms
      .findUniqueOrThrow({ where: { id }, include: { tiers: true } })
      .then((row) => ({ id, terms: termsFromRow(row) }));
    found.catch(() => cache.delete(id));
    if (cache.size >= limit) cache.clear();
    cache.set(id, found);
  }
  return found;
}
