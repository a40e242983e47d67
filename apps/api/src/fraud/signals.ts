import { createRequire } from 'node:module';
import { isBotAgent } from '../clicks/visitor.ts';
import { statementName, statements } from '../db.ts';
import { type Settings, type Signals, windows } from './rules.ts';

/** The conversion as attribution left it: what the signals are read for. */
export interface Suspect {
  programId: string;
  enrollmentId: string;
  affiliateOrganizationId: string;
  clickId: string | null;
  occurredAt: Date;
  customerId: string | null;
  email: string | null;
  emailHash: string | null;
  ipHash: string | null;
  userAgent: string | null;
  /** A sale's amount in the program currency. */
  amount: number | null;
}

// sha256, base64url: how record.ts hashes a customer's email.
const emailHash = (column: string) =>
  `translate(rtrim(encode(sha256(convert_to(lower(trim(${column})), 'UTF8')), 'base64'), '='), '+/', '-_')`;

// $1 program, $2 enrollment, $3 click, $4 conversion IP hash, $5 customer id, $6 email hash,
// $7 occurred at, $8 flood window (minutes), $9 velocity window (minutes), $10 self-referral on,
// $11 duplicate customer on, $12 the affiliate's organization. A rule that is off passes null
// (or false) and its subqueries are not run.
const text = `
  WITH click AS (
    SELECT id, "linkId", "ipHash", "userAgent", "createdAt" FROM "Click" WHERE id = $3::uuid AND "programId" = $1::uuid
  ), members AS (
    SELECT u.id, u.email FROM "Membership" m JOIN "User" u ON u.id = m."userId"
    WHERE $10::boolean AND m."organizationId" = $12::uuid
  ), profile AS (
    SELECT id, "contactEmail", "paypalEmail" FROM "AffiliateProfile" WHERE $10::boolean AND "organizationId" = $12::uuid
  ), own_emails AS (
    SELECT ${emailHash('email')} AS hash FROM members
    UNION SELECT ${emailHash('"contactEmail"')} FROM profile
    UNION SELECT ${emailHash('"paypalEmail"')} FROM profile WHERE "paypalEmail" IS NOT NULL
  ), own_ids AS (
    SELECT lower(id::text) AS v FROM members UNION SELECT lower(email) FROM members
    UNION SELECT lower(id::text) FROM profile UNION SELECT lower("contactEmail") FROM profile
    UNION SELECT lower($12::text) WHERE $10::boolean
  ), own_ips AS (
    SELECT h."ipHash" FROM "AccountIpHash" h JOIN members m ON m.id = h."userId"
    WHERE h."ipHash" IN ($4::text, (SELECT "ipHash" FROM click))
  )
  SELECT
    (SELECT row_to_json(c) FROM click c) AS click,
    array_remove(ARRAY[
      CASE WHEN $6::text IS NOT NULL AND $6::text IN (SELECT hash FROM own_emails) THEN 'EMAIL' END,
      CASE WHEN $5::text IS NOT NULL AND lower($5::text) IN (SELECT v FROM own_ids) THEN 'CUSTOMER_ID' END,
      CASE WHEN $4::text IS NOT NULL AND $4::text IN (SELECT "ipHash" FROM own_ips) THEN 'CONVERSION_IP' END,
      CASE WHEN (SELECT "ipHash" FROM click) IN (SELECT "ipHash" FROM own_ips) THEN 'CLICK_IP' END
    ], NULL) AS "selfReferral",
    -- One pass over the affiliate's clicks in the window; none without an IP hash to compare.
    (SELECT json_build_object('link', count(*) FILTER (WHERE k."linkId" = c."linkId"), 'affiliate', count(*))
      FROM "Click" k, click c
      WHERE $8::int IS NOT NULL AND c."ipHash" IS NOT NULL AND k."enrollmentId" = $2::uuid
        AND k."createdAt" > c."createdAt" - make_interval(mins => $8::int) AND k."createdAt" <= c."createdAt"
        AND k."ipHash" = c."ipHash") AS flood,
    CASE WHEN $9::int IS NOT NULL AND $3::uuid IS NOT NULL THEN (
      SELECT count(*)::int + 1 FROM "Conversion" v
      WHERE v."enrollmentId" = $2::uuid AND v."clickId" = $3::uuid AND v."occurredAt" > $7::timestamptz - make_interval(mins => $9::int)
        AND v."occurredAt" <= $7::timestamptz
    ) END AS "byClick",
    CASE WHEN $9::int IS NOT NULL AND $4::text IS NOT NULL THEN (
      SELECT count(*)::int + 1 FROM "Conversion" v
      WHERE v."programId" = $1::uuid AND v."ipHash" = $4::text
        AND v."occurredAt" > $7::timestamptz - make_interval(mins => $9::int) AND v."occurredAt" <= $7::timestamptz
    ) END AS "byIp",
    CASE WHEN $9::int IS NOT NULL AND $5::text IS NOT NULL THEN (
      SELECT count(*)::int + 1 FROM "Conversion" v JOIN "Customer" c ON c.id = v."customerId"
      WHERE c."programId" = $1::uuid AND c."externalId" = $5::text
        AND v."occurredAt" > $7::timestamptz - make_interval(mins => $9::int) AND v."occurredAt" <= $7::timestamptz
    ) END AS "byCustomer",
    CASE WHEN $11::boolean THEN (
      SELECT c."enrollmentId" FROM "Customer" c
      WHERE c."programId" = $1::uuid AND c."enrollmentId" <> $2::uuid
        AND (c."externalId" = $5::text OR c."emailHash" = $6::text)
      LIMIT 1
    ) END AS "otherEnrollmentId"`;

interface Raw {
  click: { id: string; userAgent: string | null; createdAt: string } | null;
  selfReferral: Signals['selfReferral'];
  flood: { link: number; affiliate: number } | null;
  byClick: number | null;
  byIp: number | null;
  byCustomer: number | null;
  otherEnrollmentId: string | null;
}

// mailchecker is CommonJS whose exports Node cannot detect statically.
const mailchecker = createRequire(import.meta.url)('mailchecker') as typeof import('mailchecker');
const disposable = mailchecker.blacklist();
const isDisposable = (domain: string) => {
  // The list names registrable domains; a subdomain of one is as disposable.
  for (let d = domain; d.includes('.'); d = d.slice(d.indexOf('.') + 1)) if (disposable.has(d)) return true;
  return false;
};

/** Reads every signal the enabled rules need, in one statement, plus the cached program average. */
export async function readSignals(
  s: Suspect,
  settings: Settings,
  average: () => Promise<Signals['average']>,
): Promise<Signals> {
  const w = windows(settings);
  const [{ rows }, programAverage] = await Promise.all([
    statements.query<Raw>({
      name: statementName('fraud-signals'),
      text,
      values: [
        s.programId,
        s.enrollmentId,
        s.clickId,
        s.ipHash,
        s.customerId,
        s.emailHash,
        s.occurredAt,
        w.floodMinutes,
        w.velocityMinutes,
        w.selfReferral,
        w.duplicateCustomer,
        s.affiliateOrganizationId,
      ],
    }),
    w.outlierDays !== null && s.amount !== null ? average() : Promise.resolve(null),
  ]);
  const raw = rows[0]!;
  const emailDomain = s.email?.trim().toLowerCase().split('@')[1] ?? null;
  return {
    selfReferral: raw.selfReferral,
    click: raw.click && {
      id: raw.click.id,
      secondsBeforeConversion: Math.floor((s.occurredAt.getTime() - Date.parse(raw.click.createdAt)) / 1000),
      userAgent: raw.click.userAgent,
      fromIpOnLink: raw.flood?.link ?? null,
      fromIpOnAffiliate: raw.flood?.affiliate ?? null,
      bot: raw.click.userAgent !== null && isBotAgent(raw.click.userAgent),
    },
    velocity: { byClick: raw.byClick, byIp: raw.byIp, byCustomer: raw.byCustomer },
    otherEnrollmentId: raw.otherEnrollmentId,
    emailDomain,
    disposableDomain: emailDomain !== null && isDisposable(emailDomain),
    amount: s.amount,
    average: programAverage,
    conversionUserAgent: s.userAgent,
    conversionBot: s.userAgent !== null && isBotAgent(s.userAgent),
  };
}
