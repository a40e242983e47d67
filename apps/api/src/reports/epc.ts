import { Prisma } from '../generated/prisma/client.ts';

/** How far back a program's earnings per click look, in UTC days (today included). */
export const epcDays = 30;

/**
 * A program's commission per 100 clicks over the last `epcDays` days, all affiliates, in its
 * currency's minor units rounded half up; NULL without clicks. Reads the program's day rows only.
 */
export const programEpc = (programId: Prisma.Sql) => Prisma.sql`(
  SELECT CASE WHEN sum(r.clicks) > 0
    THEN floor((sum(r.commission) * 200 + sum(r.clicks)) / (2 * sum(r.clicks)))::bigint END
  FROM "DailyRollup" r
  WHERE r."programId" = ${programId} AND r.scope = 'PROGRAM'
    AND r.day > (now() AT TIME ZONE 'UTC')::date - ${epcDays}::int)`;
