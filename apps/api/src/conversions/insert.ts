import { statementName } from '../db.ts';
import { programShard } from '../reports/rollup.ts';

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
  /** ACCEPTED, or HELD / REJECTED by a fraud rule. */
  status: 'ACCEPTED' | 'HELD' | 'REJECTED';
  ipHash: string | null;
  userAgent: string | null;
}

/** A fraud rule that fired, written with the conversion. */
export interface NewFlag {
  id: string;
  rule: string;
  action: string;
  evidence: unknown;
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

/** The link and sub-ID of the attributed click, for the reports. */
export interface Via {
  linkId: string | null;
  subId: string | null;
}

export interface Earned {
  enrollmentId: string;
  affiliateId: string;
  termsId: string;
  currency: string;
  holdUntil: Date;
  lines: NewCommission[];
}

// $1-$19 and $38-$40 the conversion, $20-$22 the customer, $23-$27 the commissions' shared
// fields, $28-$34 one array per commission field, $35-$37 the outbox events (ids, organizations,
// bodies), $41-$44 the fraud flags, $45-$47 the reports' rollup (link, sub-ID, program shard).
// Arrays and unnest keep the text fixed, so it is prepared once.
const text = `
  WITH customer AS (
    INSERT INTO "Customer" (id, "programId", "externalId", "emailHash", "enrollmentId")
    SELECT $20::uuid, $2::uuid, $21::text, $22::text, CASE WHEN $38::"ConversionStatus" <> 'REJECTED' THEN $7::uuid END
    WHERE $20::uuid IS NOT NULL
    -- A customer keeps the first affiliate it was attributed to (not one a fraud rule rejected).
    ON CONFLICT ("programId", "externalId")
      DO UPDATE SET "enrollmentId" = coalesce("Customer"."enrollmentId", excluded."enrollmentId")
    RETURNING id
  ), conversion AS (
    INSERT INTO "Conversion" (id, "programId", kind, "externalId", source, "occurredAt", "enrollmentId",
      "clickId", "couponCodeId", "customerId", attribution, amount, currency, "programAmount",
      "exchangeRate", "isRenewal", "lineItems", "emailHash", contact, consent, status, "ipHash", "userAgent")
    VALUES ($1::uuid, $2::uuid, $3::"ConversionKind", $4::text, $5::"ConversionSource", $6::timestamptz,
      $7::uuid, $8::uuid, $9::uuid, (SELECT id FROM customer), $10::"AttributionMethod", $11::int, $12::text,
      $13::int, $14::numeric, $15::boolean, $16::jsonb, $17::text, $18::jsonb, $19::boolean,
      $38::"ConversionStatus", $39::text, $40::text)
    ON CONFLICT ("programId", kind, "externalId") DO NOTHING
    RETURNING id
  ), line AS (
    SELECT * FROM unnest($28::uuid[], $29::"CommissionKind"[], $30::int[], $31::text[], $32::text[],
      $33::uuid[], $34::uuid[]) AS l(id, kind, amount, reason, "dedupeKey", "ledgerId", "groupId")
  ), commission AS (
    INSERT INTO "Commission" (id, "programId", "enrollmentId", "conversionId", "termsId", kind, amount,
      currency, "holdUntil", reason, "dedupeKey", "updatedAt")
    SELECT l.id, $2::uuid, $23::uuid, conversion.id, $25::uuid, l.kind, l.amount, $26::text,
      $27::timestamptz, l.reason, l."dedupeKey", now()
    FROM line l, conversion
    ON CONFLICT ("dedupeKey") DO NOTHING
    RETURNING id, kind, amount, currency
  ), event AS (
    -- The outbox: a conversion.created event for each organization listening, with the
    -- commissions as they were written.
    INSERT INTO "WebhookEvent" (id, "organizationId", type, payload)
    SELECT e.id, e.org, 'CONVERSION_CREATED'::"WebhookEventType", jsonb_set(e.payload::jsonb, '{data,commissions}', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'kind', m.kind, 'amount', m.amount,
        'currency', m.currency) ORDER BY m.id), '[]'::jsonb) FROM commission m))
    FROM unnest($35::uuid[], $36::uuid[], $37::text[]) AS e(id, org, payload), conversion
  ), flag AS (
    INSERT INTO "FraudFlag" (id, "programId", "enrollmentId", "conversionId", "clickId", rule, action, evidence)
    SELECT f.id, $2::uuid, $7::uuid, conversion.id, $8::uuid, f.rule, f.action, f.evidence
    FROM unnest($41::uuid[], $42::"FraudRule"[], $43::"FraudAction"[], $44::jsonb[]) AS f(id, rule, action, evidence),
      conversion
  ), ledger AS (
    INSERT INTO "LedgerEntry" (id, "groupId", type, account, amount, currency, "programId", "enrollmentId",
      "affiliateId", "commissionId", "idempotencyKey")
    SELECT l."ledgerId", l."groupId", 'EARNED'::"LedgerEntryType", 'PENDING'::"LedgerAccount", l.amount, $26::text, $2::uuid, $23::uuid,
      $24::uuid, l.id, 'earned:' || l.id || ':in'
    FROM line l JOIN commission ON commission.id = l.id
  ), rollup AS (
    -- The reports' day rows count attributed conversions that are not rejected.
    SELECT rollup_add($2::uuid, $7::uuid, $45::uuid, $46::text, $6::timestamptz, $47::int, 0, 0,
      ($3::"ConversionKind" = 'LEAD')::int, ($3::"ConversionKind" = 'SALE')::int,
      CASE WHEN $3::"ConversionKind" = 'SALE' THEN coalesce($13::bigint, 0) ELSE 0 END,
      (SELECT coalesce(sum(amount), 0) FROM commission)::bigint) AS done
    FROM conversion WHERE $7::uuid IS NOT NULL AND $38::"ConversionStatus" <> 'REJECTED'
  )
  -- Reading the rollup CTE makes it run (a LEFT JOIN whose columns go unused would be dropped).
  SELECT id FROM conversion CROSS JOIN (SELECT count(done) FROM rollup) r`;

/** Runs queries: the pool, or one client inside a transaction. */
export interface Queryable {
  query: (config: { name?: string; text: string; values: unknown[] }) => Promise<{ rows: unknown[] }>;
}

/**
 * Writes a conversion with its customer, its commissions and their EARNED ledger entries in one
 * statement, so one round trip, atomic. Returns false when the order or lead id was already
 * recorded (ON CONFLICT): then nothing else is written either, except that a customer seen for
 * the first time is kept. A bonus whose period was already paid is skipped by its unique key.
 */
export async function insertConversion(
  db: Queryable,
  c: NewConversion,
  customer: NewCustomer | null,
  earned: Earned | null,
  events: readonly { id: string; organizationId: string; payload: unknown }[] = [],
  flags: readonly NewFlag[] = [],
  via: Via = { linkId: null, subId: null },
): Promise<boolean> {
  const lines = earned?.lines ?? [];
  const { rows } = await db.query({
    name: statementName('conversion-insert'),
    text,
    values: [
      c.id,
      c.programId,
      c.kind,
      c.externalId,
      c.source,
      c.occurredAt,
      c.enrollmentId,
      c.clickId,
      c.couponCodeId,
      c.attribution,
      c.amount,
      c.currency,
      c.programAmount,
      c.exchangeRate,
      c.isRenewal,
      c.lineItems === null ? null : JSON.stringify(c.lineItems),
      c.emailHash,
      c.contact === null ? null : JSON.stringify(c.contact),
      c.consent,
      customer?.id ?? null,
      customer?.externalId ?? null,
      customer?.emailHash ?? null,
      earned?.enrollmentId ?? null,
      earned?.affiliateId ?? null,
      earned?.termsId ?? null,
      earned?.currency ?? null,
      earned?.holdUntil ?? null,
      lines.map((l) => l.id),
      lines.map((l) => l.kind),
      lines.map((l) => l.amount),
      lines.map((l) => l.reason),
      lines.map((l) => l.dedupeKey),
      lines.map((l) => l.ledgerId),
      lines.map((l) => l.groupId),
      events.map((e) => e.id),
      events.map((e) => e.organizationId),
      events.map((e) => JSON.stringify(e.payload)),
      c.status,
      c.ipHash,
      c.userAgent,
      flags.map((f) => f.id),
      flags.map((f) => f.rule),
      flags.map((f) => f.action),
      flags.map((f) => JSON.stringify(f.evidence)),
      via.linkId,
      via.subId,
      programShard(),
    ],
  });
  return rows.length === 1;
}
