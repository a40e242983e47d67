import { createRequire } from 'node:module';
import { isBotAgent } from '../clicks/visitor.ts';
import type { ConversionFacts } from '../conversions/facts.ts';
import { type Settings, type Signals, windows } from './rules.ts';

// The signals are read in the statement that reads attribution's facts (conversions/facts.ts), for
// every candidate click and affiliate, so screening a conversion costs no round trip of its own.
// These fragments use that statement's $1 program, $5 customer id, $7 time and the values below.

/** $8 conversion IP hash, $9 email hash, $10 flood window (minutes), $11 velocity window
 *  (minutes), $12 self-referral on, $13 duplicate customer on. A rule that is off passes null
 *  (or false) and its subqueries are not run. */
export type SignalInputs = [string | null, string | null, number | null, number | null, boolean, boolean];

export function signalInputs(
  settings: Settings,
  ipHash: string | null,
  emailHash: string | null,
): SignalInputs {
  const w = windows(settings);
  return [ipHash, emailHash, w.floodMinutes, w.velocityMinutes, w.selfReferral, w.duplicateCustomer];
}

// sha256, base64url: how record.ts hashes a customer's email.
const hashOf = (column: string) =>
  `translate(rtrim(encode(sha256(convert_to(lower(trim(${column})), 'UTF8')), 'base64'), '='), '+/', '-_')`;

const membersOf = (organizationId: string) =>
  `SELECT 1 FROM "Membership" m JOIN "User" u ON u.id = m."userId" WHERE m."organizationId" = ${organizationId}`;

const signedInFrom = (organizationId: string, ipHash: string) =>
  `SELECT 1 FROM "AccountIpHash" h JOIN "Membership" m ON m."userId" = h."userId"
   WHERE m."organizationId" = ${organizationId} AND h."ipHash" = ${ipHash}`;

/** json_build_object fields of a candidate click `k` (a row of "Click"). */
export const clickSignals = (k: string) => `
  'userAgent', ${k}."userAgent",
  'flood', CASE WHEN $10::int IS NOT NULL AND ${k}."ipHash" IS NOT NULL THEN (
    SELECT json_build_object('link', count(*) FILTER (WHERE f."linkId" = ${k}."linkId"), 'affiliate', count(*))
    FROM "Click" f
    WHERE f."enrollmentId" = ${k}."enrollmentId" AND f."ipHash" = ${k}."ipHash"
      AND f."createdAt" > ${k}."createdAt" - make_interval(mins => $10::int) AND f."createdAt" <= ${k}."createdAt"
  ) END,
  'byClick', CASE WHEN $11::int IS NOT NULL THEN (
    SELECT count(*)::int + 1 FROM "Conversion" v
    WHERE v."enrollmentId" = ${k}."enrollmentId" AND v."clickId" = ${k}.id
      AND v."occurredAt" > $7::timestamptz - make_interval(mins => $11::int) AND v."occurredAt" <= $7::timestamptz
  ) END,
  'ownIp', $12::boolean AND ${k}."ipHash" IS NOT NULL AND EXISTS (
    SELECT 1 FROM "Enrollment" e JOIN "AffiliateProfile" a ON a.id = e."affiliateId"
    WHERE e.id = ${k}."enrollmentId" AND EXISTS (${signedInFrom('a."organizationId"', `${k}."ipHash"`)}))`;

/** json_build_object fields of a candidate enrollment `e` and its affiliate profile `a`. */
export const affiliateSignals = (e: string, a: string) => `
  'selfReferral', CASE WHEN $12::boolean THEN array_remove(ARRAY[
    CASE WHEN $9::text IS NOT NULL AND ($9::text IN (${hashOf(`${a}."contactEmail"`)}, ${hashOf(`${a}."paypalEmail"`)})
      OR EXISTS (${membersOf(`${a}."organizationId"`)} AND ${hashOf('u.email')} = $9::text)) THEN 'EMAIL' END,
    CASE WHEN $5::text IS NOT NULL AND (lower($5::text) IN (${a}.id::text, lower(${a}."contactEmail"), ${a}."organizationId"::text)
      OR EXISTS (${membersOf(`${a}."organizationId"`)} AND lower($5::text) IN (u.id::text, lower(u.email)))) THEN 'CUSTOMER_ID' END,
    CASE WHEN $8::text IS NOT NULL AND EXISTS (${signedInFrom(`${a}."organizationId"`, '$8::text')}) THEN 'CONVERSION_IP' END
  ], NULL) ELSE '{}' END,
  'otherEnrollmentId', CASE WHEN $13::boolean THEN (
    SELECT c."enrollmentId" FROM "Customer" c
    WHERE c."programId" = $1::uuid AND c."enrollmentId" <> ${e}.id
      AND (c."externalId" = $5::text OR c."emailHash" = $9::text)
    LIMIT 1
  ) END`;

/** Columns for the program-wide velocity counts, run only when `attributable` holds. */
export const programSignals = (attributable: string, customer: string) => `
  CASE WHEN $11::int IS NOT NULL AND $8::text IS NOT NULL AND ${attributable} THEN (
    SELECT count(*)::int + 1 FROM "Conversion" v
    WHERE v."programId" = $1::uuid AND v."ipHash" = $8::text
      AND v."occurredAt" > $7::timestamptz - make_interval(mins => $11::int) AND v."occurredAt" <= $7::timestamptz
  ) END AS "byIp",
  CASE WHEN $11::int IS NOT NULL AND $5::text IS NOT NULL AND ${attributable} THEN (
    SELECT count(*)::int + 1 FROM "Conversion" v JOIN ${customer} c ON c.id = v."customerId"
    WHERE v."occurredAt" > $7::timestamptz - make_interval(mins => $11::int) AND v."occurredAt" <= $7::timestamptz
  ) END AS "byCustomer"`;

// mailchecker is CommonJS whose exports Node cannot detect statically.
const mailchecker = createRequire(import.meta.url)('mailchecker') as typeof import('mailchecker');
const disposable = mailchecker.blacklist();
const isDisposable = (domain: string) => {
  // The list names registrable domains; a subdomain of one is as disposable.
  for (let d = domain; d.includes('.'); d = d.slice(d.indexOf('.') + 1)) if (disposable.has(d)) return true;
  return false;
};

/** The conversion as attribution left it. */
export interface Suspect {
  enrollmentId: string;
  clickId: string | null;
  occurredAt: Date;
  email: string | null;
  userAgent: string | null;
  /** A sale's amount in the program currency. */
  amount: number | null;
}

/** The signals of the attributed affiliate and click, picked from the facts read for all candidates. */
export function signalsOf(facts: ConversionFacts, s: Suspect, average: Signals['average']): Signals {
  const affiliate = facts.affiliates[s.enrollmentId]!;
  const click = s.clickId ? facts.clicks.find((k) => k.id === s.clickId) : undefined;
  const emailDomain = s.email?.trim().toLowerCase().split('@')[1] ?? null;
  return {
    selfReferral: click?.ownIp ? [...affiliate.selfReferral, 'CLICK_IP'] : affiliate.selfReferral,
    click: click
      ? {
          id: click.id,
          secondsBeforeConversion: Math.floor((s.occurredAt.getTime() - click.createdAt.getTime()) / 1000),
          userAgent: click.userAgent,
          fromIpOnLink: click.flood?.link ?? null,
          fromIpOnAffiliate: click.flood?.affiliate ?? null,
          bot: click.userAgent !== null && isBotAgent(click.userAgent),
        }
      : null,
    velocity: { byClick: click?.byClick ?? null, byIp: facts.byIp, byCustomer: facts.byCustomer },
    otherEnrollmentId: affiliate.otherEnrollmentId,
    emailDomain,
    disposableDomain: emailDomain !== null && isDisposable(emailDomain),
    amount: s.amount,
    average,
    conversionUserAgent: s.userAgent,
    conversionBot: s.userAgent !== null && isBotAgent(s.userAgent),
  };
}
