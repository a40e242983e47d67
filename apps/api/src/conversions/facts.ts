import { statementName, statements } from '../db.ts';
import type { ConversionReport } from './record.ts';

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
  /** The affiliate (profile and organization) of each enrollment above. */
  affiliates: Record<string, { affiliateId: string; organizationId: string }>;
}

interface Raw {
  existing: ConversionFacts['existing'];
  customer: ConversionFacts['customer'];
  firstSaleAt: Date | null;
  coupon: ConversionFacts['coupon'];
  clicks: { id: string; enrollmentId: string; createdAt: string }[];
  terms: (Omit<TermsCandidate, 'effectiveAt'> & { effectiveAt: string })[];
  affiliates: ConversionFacts['affiliates'];
}

// $1 program, $2 kind, $3 order or lead id, $4 click ids, $5 customer id, $6 coupon code, $7 time
const text = `
  WITH clicks AS (
    SELECT k.id, k."enrollmentId", k."createdAt"
    FROM "Click" k JOIN "Enrollment" e ON e.id = k."enrollmentId" AND e.status = 'APPROVED'
    WHERE k.id = ANY($4::uuid[]) AND k."programId" = $1::uuid
  ), customer AS (
    SELECT c.id, c."enrollmentId", e.status = 'APPROVED' AS approved
    FROM "Customer" c LEFT JOIN "Enrollment" e ON e.id = c."enrollmentId"
    WHERE c."programId" = $1::uuid AND c."externalId" = $5::text
  ), coupon AS (
    SELECT k.id, k."enrollmentId", e.status = 'APPROVED' AS approved
    FROM "CouponCode" k LEFT JOIN "Enrollment" e ON e.id = k."enrollmentId"
    WHERE k."programId" = $1::uuid AND k.code = $6::text AND k."disabledAt" IS NULL
    LIMIT 1
  ), enrollments AS (
    SELECT "enrollmentId" AS id FROM clicks UNION SELECT "enrollmentId" FROM customer
    UNION SELECT "enrollmentId" FROM coupon
  )
  SELECT
    (SELECT json_build_object('id', v.id, 'enrollmentId', v."enrollmentId") FROM "Conversion" v
      WHERE v."programId" = $1::uuid AND v.kind = $2::"ConversionKind" AND v."externalId" = $3::text) AS existing,
    (SELECT row_to_json(c) FROM customer c) AS customer,
    (SELECT min(v."occurredAt") FROM "Conversion" v JOIN customer c ON v."customerId" = c.id
      WHERE v.kind = 'SALE' AND v."enrollmentId" = c."enrollmentId" AND v.status <> 'REJECTED') AS "firstSaleAt",
    (SELECT row_to_json(k) FROM coupon k) AS coupon,
    (SELECT coalesce(json_agg(k), '[]') FROM clicks k) AS clicks,
    (SELECT coalesce(json_object_agg(e.id, json_build_object(
        'affiliateId', e."affiliateId", 'organizationId', a."organizationId")), '{}')
      FROM "Enrollment" e JOIN "AffiliateProfile" a ON a.id = e."affiliateId"
      WHERE e.id IN (SELECT id FROM enrollments)) AS affiliates,
    (SELECT coalesce(json_agg(json_build_object(
        'id', t.id, 'version', t.version, 'effectiveAt', t."effectiveAt", 'enrollmentId', t."enrollmentId")), '[]')
      FROM "CommissionTerms" t
      WHERE t."programId" = $1::uuid AND t."effectiveAt" <= $7::timestamptz
        AND (t."enrollmentId" IS NULL OR t."enrollmentId" IN (SELECT id FROM enrollments))) AS terms`;

export async function readFacts(r: ConversionReport): Promise<ConversionFacts> {
  const { rows } = await statements.query<Raw>({
    name: statementName('conversion-facts'),
    text,
    values: [
      r.programId,
      r.kind,
      r.externalId,
      r.clickIds,
      r.customerId,
      r.couponCode?.toUpperCase() ?? null,
      r.occurredAt,
    ],
  });
  const raw = rows[0]!;
  return {
    existing: raw.existing,
    customer: raw.customer,
    firstSaleAt: raw.firstSaleAt,
    coupon: raw.coupon,
    clicks: raw.clicks.map((c) => ({ ...c, createdAt: new Date(c.createdAt) })),
    terms: raw.terms.map((t) => ({ ...t, effectiveAt: new Date(t.effectiveAt) })),
    affiliates: raw.affiliates,
  };
}
