import type { Prisma } from '../generated/prisma/client.ts';

type Tx = Prisma.TransactionClient;

// Reports read day rows (DailyRollup) that every write of a click or a conversion keeps up to
// date in its own transaction, through the rollup_add SQL function (see the report_rollups
// migration). A new conversion updates one of a few program rows at random: with one, every
// conversion of a program would queue behind the one before. Everything else (click batches,
// refunds, rejections) uses row 0, so a transaction that makes several changes takes one
// program row, always before the affiliate's: writers queue and never deadlock.
const shards = 4;
export const programShard = () => Math.floor(Math.random() * shards);
const changeShard = 0;

export interface Change {
  /** A refund: the sale's refunded total before and after it (revenue changes by the difference). */
  refunded?: { before: number; after: number };
  commission?: number;
}

/**
 * Adds a change of a conversion's figures (a refund, a rejected commission) to its rollups, on
 * the day it occurred. A rejected or unattributed conversion counts nowhere, so it changes nothing.
 */
export async function rollupChange(tx: Tx, conversionId: string, c: Change) {
  await tx.$queryRaw`
    SELECT rollup_add(v."programId", v."enrollmentId", k."linkId", k.sub1, v."occurredAt", ${changeShard}::int,
      0, 0, 0, 0,
      sale_net(v."programAmount", v.amount, ${c.refunded?.after ?? 0}::bigint)
        - sale_net(v."programAmount", v.amount, ${c.refunded?.before ?? 0}::bigint),
      ${c.commission ?? 0}::bigint) AS done
    FROM "Conversion" v LEFT JOIN "Click" k ON k.id = v."clickId"
    WHERE v.id = ${conversionId}::uuid AND v."enrollmentId" IS NOT NULL AND v.status <> 'REJECTED'`;
}

/** Takes a conversion out of the rollups, before it is rejected: all it counted for. */
export async function rollupRemove(tx: Tx, conversionId: string) {
  await tx.$queryRaw`
    SELECT rollup_add("programId", "enrollmentId", "linkId", sub1, "occurredAt", ${changeShard}::int,
      0, 0, -leads, -sales, -revenue, -commission) AS done
    FROM rollup_conversion WHERE id = ${conversionId}::uuid`;
}
