import type { Db } from '../db.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { ConversionReport } from './record.ts';

type Tx = Prisma.TransactionClient;

export interface TermsCandidate {
  id: string;
  version: number;
  effectiveAt: Date;
  enrollmentId: string | null;
}

/** Everything attribution needs to know, read in one statement. */
export interface ConversionFacts {
  existing: { id: string; enrollmentId: string | null } | null;
  customer: { id: string; enrollmentId: string | null; approved: boolean | null } | null;
  /** The customer's first sale with its affiliate: a later one is a renewal. */
  firstSaleAt: Date | null;
  coupon: { id: string; enrollmentId: string | null; approved: boolean | null } | null;
  /** The reported clicks of this program whose affiliate is approved. */
  clicks: { id: string; enrollmentId: string; createdAt: Date }[];
  /** Terms versions effective by then: the program's, and those of the enrollments above. */
  terms: TermsCandidate[];
  /** The affiliate of each enrollment above. */
  affiliates: Record<string, string>;
}

interface Raw {
  existing: unknown;
  customer: unknown;
  firstSaleAt: Date | null;
  coupon: unknown;
  clicks: unknown;
  terms: unknown;
  affiliates: unknown;
}

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export async function readFacts(db: Db | Tx, r: ConversionReport): Promise<ConversionFacts> {
  const [raw] = await db.$queryRaw<Raw[]>`
    WITH clicks AS (
      SELECT k.id, k."enrollmentId", k."createdAt"
      FROM "Click" k JOIN "Enrollment" e ON e.id = k."enrollmentId" AND e.status = 'APPROVED'
      WHERE k.id = ANY(${r.clickIds}::uuid[]) AND k."programId" = ${r.programId}::uuid
    ), customer AS (
      SELECT c.id, c."enrollmentId", e.status = 'APPROVED' AS approved
      FROM "Customer" c LEFT JOIN "Enrollment" e ON e.id = c."enrollmentId"
      WHERE c."programId" = ${r.programId}::uuid AND c."externalId" = ${r.customerId}
    ), coupon AS (
      SELECT k.id, k."enrollmentId", e.status = 'APPROVED' AS approved
      FROM "CouponCode" k LEFT JOIN "Enrollment" e ON e.id = k."enrollmentId"
      WHERE k."programId" = ${r.programId}::uuid AND k.code = ${r.couponCode?.toUpperCase() ?? null}
        AND k."disabledAt" IS NULL
      LIMIT 1
    )
    SELECT
      (SELECT json_build_object('id', v.id, 'enrollmentId', v."enrollmentId") FROM "Conversion" v
        WHERE v."programId" = ${r.programId}::uuid AND v.kind = ${r.kind}::"ConversionKind"
          AND v."externalId" = ${r.externalId}) AS existing,
      (SELECT row_to_json(c) FROM customer c) AS customer,
      (SELECT min(v."occurredAt") FROM "Conversion" v JOIN customer c ON v."customerId" = c.id
        WHERE v.kind = 'SALE' AND v."enrollmentId" = c."enrollmentId" AND v.status <> 'REJECTED') AS "firstSaleAt",
      (SELECT row_to_json(k) FROM coupon k) AS coupon,
      (SELECT coalesce(json_agg(k), '[]') FROM clicks k) AS clicks,
      (SELECT coalesce(json_object_agg(e.id, e."affiliateId"), '{}') FROM "Enrollment" e
        WHERE e.id IN (SELECT "enrollmentId" FROM clicks UNION SELECT "enrollmentId" FROM customer
          UNION SELECT "enrollmentId" FROM coupon)) AS affiliates,
      (SELECT coalesce(json_agg(json_build_object(
          'id', t.id, 'version', t.version, 'effectiveAt', t."effectiveAt", 'enrollmentId', t."enrollmentId")), '[]')
        FROM "CommissionTerms" t
        WHERE t."programId" = ${r.programId}::uuid AND t."effectiveAt" <= ${r.occurredAt}
          AND (t."enrollmentId" IS NULL OR t."enrollmentId" IN (
            SELECT "enrollmentId" FROM clicks UNION SELECT "enrollmentId" FROM customer
            UNION SELECT "enrollmentId" FROM coupon))) AS terms`;
  const clicks = json<{ id: string; enrollmentId: string; createdAt: string }[]>(raw!.clicks);
  const terms = json<(Omit<TermsCandidate, 'effectiveAt'> & { effectiveAt: string })[]>(raw!.terms);
  return {
    existing: json(raw!.existing),
    customer: json(raw!.customer),
    firstSaleAt: raw!.firstSaleAt ? new Date(raw!.firstSaleAt) : null,
    coupon: json(raw!.coupon),
    clicks: clicks.map((c) => ({ ...c, createdAt: new Date(c.createdAt) })),
    terms: terms.map((t) => ({ ...t, effectiveAt: new Date(t.effectiveAt) })),
    affiliates: json(raw!.affiliates),
  };
}
