import { prisma } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';

const dayMs = 86_400_000;
const zero = '00000000-0000-0000-0000-000000000000';

/** The lowest UUIDv7 of the millisecond `at`: every id made earlier sorts below it. */
export function uuidFloor(at: Date): string {
  const ms = Math.max(0, at.getTime()).toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-0000-0000-000000000000`;
}

// A URL without its query string and fragment, where tokens and visitor ids travel.
const withoutQuery = (column: string) => `regexp_replace(${column}, '[?#].*$', '')`;

interface Purge {
  /** The JobCursor row that keeps this purge's place. */
  job: string;
  table: string;
  /** What is cleared. */
  set: string;
  /** Rows that still hold something to clear. */
  holds: string;
}

/**
 * Conversions keep what the books need (ids, order id, amounts, currency, rate, status, times,
 * attribution, click, coupon, customer, consent and a consented lead's contact); what only fraud
 * screening and review used is cleared: the visitor's IP hash and user agent, the email hash,
 * the line items, and any contact kept without consent.
 */
export const conversionPurge: Purge = {
  job: 'retention:conversion',
  table: '"Conversion"',
  set: `"ipHash" = NULL, "userAgent" = NULL, "emailHash" = NULL, "lineItems" = NULL,
    contact = CASE WHEN consent THEN contact END`,
  holds: `"ipHash" IS NOT NULL OR "userAgent" IS NOT NULL OR "emailHash" IS NOT NULL
    OR "lineItems" IS NOT NULL OR (contact IS NOT NULL AND NOT consent)`,
};

/**
 * Clicks keep what attribution, click commissions and reports need (id, program, enrollment,
 * link, source, time, uniqueness, country, sub-IDs) and the pages without their query strings;
 * the visitor's IP hash and user agent are cleared.
 */
export const clickPurge: Purge = {
  job: 'retention:click',
  table: '"Click"',
  set: `"ipHash" = NULL, "userAgent" = NULL, referrer = ${withoutQuery('referrer')},
    "landingUrl" = ${withoutQuery('"landingUrl"')}`,
  holds: `"ipHash" IS NOT NULL OR "userAgent" IS NOT NULL OR referrer ~ '[?#]' OR "landingUrl" ~ '[?#]'`,
};

export interface PurgeOptions {
  /** Rows per transaction. */
  batchSize?: number;
  /** Asked before each batch: false ends the run early (a time budget, or the process stopping). */
  keepGoing?: () => boolean;
}

/**
 * Clears `purge` in the rows made before `before`, in batches by id. Ids are UUIDv7, so "made
 * before" is "id below uuidFloor(before)", and the JobCursor row remembers the last id done: a
 * run reads only rows it has not seen, through the primary key. Each batch is a transaction that
 * locks the cursor with SKIP LOCKED, so when several instances run it, one works and the others
 * skip; the UPDATE is idempotent anyway.
 */
export async function purgeBefore(purge: Purge, before: Date, options: PurgeOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 10_000;
  const keepGoing = options.keepGoing ?? (() => true);
  const boundary = uuidFloor(before);
  const table = Prisma.raw(purge.table);
  let cleared = 0;
  while (keepGoing()) {
    const batch = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`INSERT INTO "JobCursor" (job, position, "updatedAt")
        VALUES (${purge.job}, ${zero}::uuid, now()) ON CONFLICT (job) DO NOTHING`;
      const [cursor] = await tx.$queryRaw<{ position: string }[]>`
        SELECT position::text FROM "JobCursor" WHERE job = ${purge.job} FOR UPDATE SKIP LOCKED`;
      if (!cursor) return null; // another instance is on it
      const [span] = await tx.$queryRaw<{ rows: number; last: string | null }[]>`
        SELECT count(*)::int AS rows, (array_agg(id ORDER BY id DESC))[1]::text AS last
        FROM (SELECT id FROM ${table} WHERE id > ${cursor.position}::uuid AND id < ${boundary}::uuid
              ORDER BY id LIMIT ${batchSize}) s`;
      if (!span?.last) return { rows: 0, cleared: 0 };
      const count = await tx.$executeRaw`
        UPDATE ${table} SET ${Prisma.raw(purge.set)}
        WHERE id > ${cursor.position}::uuid AND id <= ${span.last}::uuid AND (${Prisma.raw(purge.holds)})`;
      await tx.$executeRaw`UPDATE "JobCursor" SET position = ${span.last}::uuid, "updatedAt" = now()
        WHERE job = ${purge.job}`;
      return { rows: span.rows, cleared: count };
    });
    if (!batch) break;
    cleared += batch.cleared;
    if (batch.rows < batchSize) break;
  }
  return cleared;
}

export interface RetentionSettings {
  conversionDays: number;
  clickDays: number;
}

/**
 * The retention job: clears conversions' and clicks' personal data once past their windows, and
 * deletes refresh tokens that have expired (a log-in's record ends with it).
 */
export async function purgePersonalData(
  settings: RetentionSettings,
  now = new Date(),
  options: PurgeOptions = {},
) {
  const conversionsBefore = new Date(now.getTime() - settings.conversionDays * dayMs);
  const conversions = await purgeBefore(conversionPurge, conversionsBefore, options);
  const clicks = await purgeBefore(clickPurge, new Date(now.getTime() - settings.clickDays * dayMs), options);
  const refreshTokens = await prisma.refreshToken.deleteMany({ where: { expiresAt: { lt: now } } });
  return { conversions, clicks, refreshTokens: refreshTokens.count };
}
