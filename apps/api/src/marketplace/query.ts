import { prisma } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { programEpc } from '../reports/epc.ts';

export type MarketplaceSort =
  | 'NEWEST'
  | 'HIGHEST_RATE'
  | 'HIGHEST_FLAT_AMOUNT'
  | 'LONGEST_COOKIE_WINDOW'
  | 'HIGHEST_EARNINGS_PER_CLICK';

export interface MarketplaceFilter {
  search?: string | null;
  category?: string | null;
  currency?: string | null;
  saleType?: 'PERCENTAGE' | 'FLAT' | null;
  minRateBps?: number | null;
  minFlatAmount?: number | null;
  minCookieWindowDays?: number | null;
  hasLeadCommission?: boolean | null;
}

// The sort value of a program under its current terms; -1 puts programs the sort does not
// apply to (a flat commission when sorting by rate) after the others. NEWEST sorts by id,
// which is time-ordered (UUIDv7).
const sortValue: Record<MarketplaceSort, Prisma.Sql> = {
  NEWEST: Prisma.sql`0`,
  HIGHEST_RATE: Prisma.sql`CASE WHEN t."saleType" = 'PERCENTAGE' THEN t."saleRateBps" ELSE -1 END`,
  HIGHEST_FLAT_AMOUNT: Prisma.sql`CASE WHEN t."saleType" = 'FLAT' THEN t."saleFlatAmount" ELSE -1 END`,
  LONGEST_COOKIE_WINDOW: Prisma.sql`t."cookieWindowDays"`,
  HIGHEST_EARNINGS_PER_CLICK: Prisma.sql`coalesce(${programEpc(Prisma.sql`p.id`)}, -1)`,
};

/** One page of listed programs (public and active) under their terms in force now. */
export async function marketplacePage(
  filter: MarketplaceFilter,
  sort: MarketplaceSort,
  limit: number,
  after?: { value: number; id: string },
): Promise<{ id: string; value: number }[]> {
  const value = sortValue[sort];
  const where: Prisma.Sql[] = [Prisma.sql`p.status = 'ACTIVE'`, Prisma.sql`p.visibility = 'PUBLIC'`];
  if (filter.search)
    where.push(
      Prisma.sql`(p.name ILIKE ${`%${filter.search}%`} OR p.description ILIKE ${`%${filter.search}%`})`,
    );
  if (filter.category) where.push(Prisma.sql`p.category = ${filter.category}`);
  if (filter.currency) where.push(Prisma.sql`p.currency = ${filter.currency}`);
  if (filter.saleType) where.push(Prisma.sql`t."saleType" = ${filter.saleType}::"SaleCommissionType"`);
  if (filter.minRateBps != null)
    where.push(Prisma.sql`t."saleType" = 'PERCENTAGE' AND t."saleRateBps" >= ${filter.minRateBps}`);
  if (filter.minFlatAmount != null)
    where.push(Prisma.sql`t."saleType" = 'FLAT' AND t."saleFlatAmount" >= ${filter.minFlatAmount}`);
  if (filter.minCookieWindowDays != null)
    where.push(Prisma.sql`t."cookieWindowDays" >= ${filter.minCookieWindowDays}`);
  if (filter.hasLeadCommission) where.push(Prisma.sql`t."leadAmount" > 0`);
  if (after)
    where.push(
      Prisma.sql`(${value} < ${after.value} OR (${value} = ${after.value} AND p.id < ${after.id}::uuid))`,
    );
  return prisma.$queryRaw<{ id: string; value: number }[]>`
    SELECT p.id, (${value})::int AS value
    FROM "Program" p
    JOIN LATERAL (
      SELECT * FROM "CommissionTerms" ct
      WHERE ct."programId" = p.id AND ct."enrollmentId" IS NULL AND ct."effectiveAt" <= now()
      ORDER BY ct."effectiveAt" DESC, ct.version DESC
      LIMIT 1
    ) t ON true
    WHERE ${Prisma.join(where, ' AND ')}
    ORDER BY value DESC, p.id DESC
    LIMIT ${limit}`;
}
