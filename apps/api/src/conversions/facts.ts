import { statementName, statements } from '../db.ts';
import { affiliateSignals, clickSignals, programSignals, type SignalInputs } from '../fraud/signals.ts';
import type { ConversionReport } from './record.ts';

export interface TermsCandidate {
  id: string;
  version: number;
  effectiveAt: Date;
  enrollmentId: string | null;
}

/** A reported click of the program whose affiliate is approved, with its fraud signals. */
export interface ClickFacts {
  id: string;
  enrollmentId: string;
  createdAt: Date;
  linkId: string | null;
  sub1: string | null;
  userAgent: string | null;
  /** Clicks from its IP hash on its link and its affiliate, in the flood window before it. */
  flood: { link: number; affiliate: number } | null;
  /** Conversions through it in the velocity window, this one included. */
  byClick: number | null;
  /** Its IP hash is one the affiliate's own members signed in from. */
  ownIp: boolean;
}

/** The affiliate of a candidate enrollment, with the fraud signals that depend on it. */
export interface AffiliateFacts {
  affiliateId: string;
  organizationId: string;
  selfReferral: ('EMAIL' | 'CUSTOMER_ID' | 'CONVERSION_IP')[];
  /** Another affiliate of the program that this customer (id or email) converted for. */
  otherEnrollmentId: string | null;
}

/** Everything attribution and the fraud rules need to know, read in one statement. */
export interface ConversionFacts {
  existing: { id: string; enrollmentId: string | null } | null;
  customer: { id: string; enrollmentId: string | null; approved: boolean | null } | null;
  /** The customer's first sale with its affiliate: a later one is a renewal. */
  firstSaleAt: Date | null;
  coupon: { id: string; enrollmentId: string | null; approved: boolean | null } | null;
  clicks: ClickFacts[];
  /** Terms versions effective by then: the program's, and those of the enrollments above. */
  terms: TermsCandidate[];
  /** The affiliate of each enrollment above (clicks, customer, coupon). */
  affiliates: Record<string, AffiliateFacts>;
  /** The program's conversions from this IP hash and from this customer in the velocity window. */
  byIp: number | null;
  byCustomer: number | null;
}

interface Raw extends Omit<ConversionFacts, 'clicks' | 'terms'> {
  clicks: (Omit<ClickFacts, 'createdAt'> & { createdAt: string })[];
  terms: (Omit<TermsCandidate, 'effectiveAt'> & { effectiveAt: string })[];
}

// $1 program, $2 kind, $3 order or lead id, $4 click ids, $5 customer id, $6 coupon code, $7 time;
// $8–$13 are the fraud signals' inputs (signals.ts).
const text = `
  WITH clicks AS (
    SELECT k.id, k."enrollmentId", k."createdAt", k."linkId", k.sub1, k."ipHash", k."userAgent"
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
    (SELECT coalesce(json_agg(json_build_object(
        'id', k.id, 'enrollmentId', k."enrollmentId", 'createdAt', k."createdAt", 'linkId', k."linkId",
        'sub1', k.sub1, ${clickSignals('k')})), '[]')
      FROM clicks k) AS clicks,
    (SELECT coalesce(json_object_agg(e.id, json_build_object(
        'affiliateId', e."affiliateId", 'organizationId', a."organizationId", ${affiliateSignals('e', 'a')})), '{}')
      FROM "Enrollment" e JOIN "AffiliateProfile" a ON a.id = e."affiliateId"
      WHERE e.id IN (SELECT id FROM enrollments)) AS affiliates,
    (SELECT coalesce(json_agg(json_build_object(
        'id', t.id, 'version', t.version, 'effectiveAt', t."effectiveAt", 'enrollmentId', t."enrollmentId")), '[]')
      FROM "CommissionTerms" t
      WHERE t."programId" = $1::uuid AND t."effectiveAt" <= $7::timestamptz
        AND (t."enrollmentId" IS NULL OR t."enrollmentId" IN (SELECT id FROM enrollments))) AS terms,
    ${programSignals('EXISTS (SELECT 1 FROM enrollments WHERE id IS NOT NULL)', 'customer')}`;

export async function readFacts(r: ConversionReport, fraud: SignalInputs): Promise<ConversionFacts> {
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
      ...fraud,
    ],
  });
  const raw = rows[0]!;
  return {
    ...raw,
    clicks: raw.clicks.map((c) => ({ ...c, createdAt: new Date(c.createdAt) })),
    terms: raw.terms.map((t) => ({ ...t, effectiveAt: new Date(t.effectiveAt) })),
  };
}
