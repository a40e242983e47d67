import type { Db } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';

type Tx = Prisma.TransactionClient;

export interface NewConversion {
  id: string;
  programId: string;
  kind: 'SALE' | 'LEAD';
  externalId: string;
  source: 'SNIPPET' | 'API';
  occurredAt: Date;
  enrollmentId: string | null;
  clickId: string | null;
  couponCodeId: string | null;
  attribution: 'NONE' | 'CLICK' | 'COUPON' | 'CUSTOMER';
  amount: number | null;
  currency: string | null;
  programAmount: number | null;
  exchangeRate: string | null;
  isRenewal: boolean;
  lineItems: unknown;
  emailHash: string | null;
  contact: Record<string, string> | null;
  consent: boolean;
}

export interface NewCustomer {
  id: string;
  externalId: string;
  emailHash: string | null;
}

export interface NewCommission {
  id: string;
  kind: string;
  amount: number;
  reason: string;
  dedupeKey: string | null;
  ledgerId: string;
  groupId: string;
}

export interface Earned {
  enrollmentId: string;
  affiliateId: string;
  termsId: string;
  currency: string;
  holdUntil: Date;
  lines: NewCommission[];
}

const noLines = Prisma.sql`SELECT NULL::uuid AS id, NULL::"CommissionKind" AS kind, NULL::int AS amount,
  NULL::text AS reason, NULL::text AS "dedupeKey", NULL::uuid AS "ledgerId", NULL::uuid AS "groupId" WHERE false`;

/**
 * Writes a conversion with its customer, its commissions and their EARNED ledger entries in one
 * statement, so one round trip, atomic. Returns false when the order or lead id was already
 * recorded (ON CONFLICT): then nothing else is written either, except that a customer seen for
 * the first time is kept. A bonus whose period was already paid is skipped by its unique key.
 */
export async function insertConversion(
  db: Db | Tx,
  c: NewConversion,
  customer: NewCustomer | null,
  earned: Earned | null,
): Promise<boolean> {
  const lines = earned?.lines.length
    ? Prisma.sql`SELECT * FROM (VALUES ${Prisma.join(
        earned.lines.map(
          (l) =>
            Prisma.sql`(${l.id}::uuid, ${l.kind}::"CommissionKind", ${l.amount}::int, ${l.reason}::text,
              ${l.dedupeKey}::text, ${l.ledgerId}::uuid, ${l.groupId}::uuid)`,
        ),
      )}) AS l(id, kind, amount, reason, "dedupeKey", "ledgerId", "groupId")`
    : noLines;
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH customer AS (
      INSERT INTO "Customer" (id, "programId", "externalId", "emailHash", "enrollmentId")
      SELECT ${customer?.id ?? null}::uuid, ${c.programId}::uuid, ${customer?.externalId ?? null},
             ${customer?.emailHash ?? null}, ${c.enrollmentId}::uuid
      WHERE ${customer !== null}::boolean
      -- A customer keeps the first affiliate it was attributed to.
      ON CONFLICT ("programId", "externalId")
        DO UPDATE SET "enrollmentId" = coalesce("Customer"."enrollmentId", excluded."enrollmentId")
      RETURNING id
    ), conversion AS (
      INSERT INTO "Conversion" (id, "programId", kind, "externalId", source, "occurredAt", "enrollmentId",
        "clickId", "couponCodeId", "customerId", attribution, amount, currency, "programAmount",
        "exchangeRate", "isRenewal", "lineItems", "emailHash", contact, consent)
      VALUES (${c.id}::uuid, ${c.programId}::uuid, ${c.kind}::"ConversionKind", ${c.externalId},
        ${c.source}::"ConversionSource", ${c.occurredAt}::timestamptz, ${c.enrollmentId}::uuid,
        ${c.clickId}::uuid, ${c.couponCodeId}::uuid, (SELECT id FROM customer),
        ${c.attribution}::"AttributionMethod", ${c.amount}::int, ${c.currency}, ${c.programAmount}::int,
        ${c.exchangeRate}::numeric, ${c.isRenewal}::boolean,
        ${c.lineItems === null ? null : JSON.stringify(c.lineItems)}::jsonb, ${c.emailHash},
        ${c.contact === null ? null : JSON.stringify(c.contact)}::jsonb, ${c.consent}::boolean)
      ON CONFLICT ("programId", kind, "externalId") DO NOTHING
      RETURNING id
    ), line AS (${lines}
    ), commission AS (
      INSERT INTO "Commission" (id, "programId", "enrollmentId", "conversionId", "termsId", kind, amount,
        currency, "holdUntil", reason, "dedupeKey", "updatedAt")
      SELECT l.id, ${c.programId}::uuid, ${earned?.enrollmentId ?? null}::uuid, conversion.id,
        ${earned?.termsId ?? null}::uuid, l.kind, l.amount, ${earned?.currency ?? null},
        ${earned?.holdUntil ?? null}::timestamptz, l.reason, l."dedupeKey", now()
      FROM line l, conversion
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING id
    ), ledger AS (
      INSERT INTO "LedgerEntry" (id, "groupId", type, account, amount, currency, "programId", "enrollmentId",
        "affiliateId", "commissionId", "idempotencyKey")
      SELECT l."ledgerId", l."groupId", 'EARNED'::"LedgerEntryType", 'PENDING'::"LedgerAccount", l.amount,
        ${earned?.currency ?? null}, ${c.programId}::uuid, ${earned?.enrollmentId ?? null}::uuid,
        ${earned?.affiliateId ?? null}::uuid, l.id, 'earned:' || l.id || ':in'
      FROM line l JOIN commission ON commission.id = l.id
    )
    SELECT id FROM conversion`;
  return rows.length === 1;
}
