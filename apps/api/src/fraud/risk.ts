import { prisma } from '../db.ts';
import type { Rule } from './rules.ts';

export interface AffiliateRisk {
  enrollmentId: string;
  affiliateName: string;
  conversions: number;
  /** Conversions at least one rule fired on. */
  flagged: number;
  /** Conversions held for review at some point: waiting now, or decided. */
  held: number;
  awaitingReview: number;
  rejected: number;
  flags: { rule: Rule; count: number }[];
}

/** The risk summary of every affiliate of a program (or of one enrollment), most flagged first. */
export async function affiliateRisk(programId: string, enrollmentId: string | null, limit: number) {
  return prisma.$queryRaw<AffiliateRisk[]>`
    WITH stats AS (
      SELECT v."enrollmentId",
        count(*)::int AS conversions,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "FraudFlag" f WHERE f."conversionId" = v.id))::int AS flagged,
        count(*) FILTER (WHERE v.status = 'HELD'
          OR EXISTS (SELECT 1 FROM "ReviewDecision" d WHERE d."conversionId" = v.id))::int AS held,
        count(*) FILTER (WHERE v.status = 'HELD')::int AS "awaitingReview",
        count(*) FILTER (WHERE v.status = 'REJECTED')::int AS rejected
      FROM "Conversion" v
      WHERE v."programId" = ${programId}::uuid AND v."enrollmentId" IS NOT NULL
        AND (${enrollmentId}::uuid IS NULL OR v."enrollmentId" = ${enrollmentId}::uuid)
      GROUP BY v."enrollmentId"
    ), rules AS (
      SELECT f."enrollmentId", json_agg(json_build_object('rule', f.rule, 'count', f.n) ORDER BY f.n DESC, f.rule) AS flags
      FROM (SELECT "enrollmentId", rule, count(*)::int AS n FROM "FraudFlag"
            WHERE "programId" = ${programId}::uuid AND "enrollmentId" IS NOT NULL
              AND (${enrollmentId}::uuid IS NULL OR "enrollmentId" = ${enrollmentId}::uuid)
            GROUP BY 1, 2) f
      GROUP BY f."enrollmentId"
    )
    SELECT e.id AS "enrollmentId", a."displayName" AS "affiliateName", coalesce(s.conversions, 0) AS conversions,
      coalesce(s.flagged, 0) AS flagged, coalesce(s.held, 0) AS held,
      coalesce(s."awaitingReview", 0) AS "awaitingReview", coalesce(s.rejected, 0) AS rejected,
      coalesce(r.flags, '[]'::json) AS flags
    FROM "Enrollment" e JOIN "AffiliateProfile" a ON a.id = e."affiliateId"
    LEFT JOIN stats s ON s."enrollmentId" = e.id
    LEFT JOIN rules r ON r."enrollmentId" = e.id
    WHERE e."programId" = ${programId}::uuid AND (${enrollmentId}::uuid IS NULL OR e.id = ${enrollmentId}::uuid)
    ORDER BY flagged DESC, conversions DESC, e.id
    LIMIT ${limit}`;
}
