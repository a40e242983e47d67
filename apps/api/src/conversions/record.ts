import { sha256 } from '../auth/tokens.ts';
import { hashIp } from '../clicks/ip-hash.ts';
import {
  commissionsFor,
  periodOf,
  type ConversionFacts as Sold,
  type Volume,
} from '../commissions/engine.ts';
import { type Db, prisma, statementName, statements, statementsTransaction } from '../db.ts';
import { conflict, notFound } from '../errors.ts';
import { screen } from '../fraud/screen.ts';
import { fraudSettings } from '../fraud/settings.ts';
import { signalInputs } from '../fraud/signals.ts';
import { uuidv7 } from '../ids.ts';
import { type ProgramFacts, programFacts } from '../programs/facts-cache.ts';
import { MAX_AMOUNT } from '../programs/money.ts';
import { type Terms, versionInForce } from '../programs/terms.ts';
import { termsById } from '../programs/terms-cache.ts';
import { eventsToWrite } from '../webhooks/outbox.ts';
import { attribute, type ClickCandidate } from './attribution.ts';
import { convert } from './exchange.ts';
import { type ConversionFacts, readFacts } from './facts.ts';
import { type Earned, insertConversion, type NewConversion, type Queryable } from './insert.ts';

/** A sale or a lead as every way in (snippet, API) reports it, once validated. */
export interface ConversionReport {
  programId: string;
  kind: 'SALE' | 'LEAD';
  externalId: string;
  source: 'SNIPPET' | 'API';
  occurredAt: Date;
  amount: number | null;
  currency: string | null;
  lineItems: { sku?: string | null; name?: string | null; quantity: number; amount: number }[] | null;
  customerId: string | null;
  email: string | null;
  couponCode: string | null;
  clickIds: string[];
  contact: Record<string, string> | null;
  consent: boolean;
  /** The customer's browser, when known: the snippet's request, or what a back end passes on. */
  visitor: { ip: string | null; userAgent: string | null };
}

export interface Recorded {
  conversionId: string;
  /** true when this order or lead id was already recorded: the first result is returned. */
  replayed: boolean;
  attributed: boolean;
}

const dayMs = 86_400_000;
const zero: Volume = { count: 0, revenue: 0 };

const existing = (db: Db, r: ConversionReport) =>
  db.conversion.findUnique({
    where: { programId_kind_externalId: { programId: r.programId, kind: r.kind, externalId: r.externalId } },
    select: { id: true, enrollmentId: true },
  });

const replay = (row: { id: string; enrollmentId: string | null }): Recorded => ({
  conversionId: row.id,
  replayed: true,
  attributed: row.enrollmentId !== null,
});

/**
 * Records a conversion exactly once per (program, kind, order or lead id), attributes it and
 * computes its commissions. One statement reads what attribution and the fraud rules need (a
 * replay stops there); one statement writes the conversion, its customer, commissions, ledger
 * entries and report rollups. Terms with tiers or a bonus depend on the affiliate's earlier
 * sales: then the write runs in a transaction that first locks the enrollment, so concurrent
 * sales of one affiliate see each other. A concurrent duplicate finds the order id taken (ON
 * CONFLICT) and answers with the first result.
 */
export async function recordConversion(report: ConversionReport, known?: ProgramFacts): Promise<Recorded> {
  const settings = await fraudSettings(report.programId);
  const ipHash = report.visitor.ip ? await hashIp(report.visitor.ip) : null;
  const emailHash = report.email ? sha256(report.email.trim().toLowerCase()) : null;
  const facts = await readFacts(report, signalInputs(settings, ipHash, emailHash));
  if (facts.existing) return replay(facts.existing);
  const program = known ?? (await programFacts(report.programId));
  if (!program) throw notFound('Program');
  // A paused program still owes commissions on conversions from earlier clicks.
  if (program.status !== 'ACTIVE' && program.status !== 'PAUSED')
    throw conflict(`The program is ${program.status.toLowerCase()}: it does not record conversions`);
  const money = report.kind === 'SALE' ? await inProgramCurrency(prisma, program, report) : null;
  const plan = await planOf(report, facts, money, emailHash);
  const c = plan.conversion;
  c.ipHash = ipHash;
  c.userAgent = report.visitor.userAgent?.slice(0, 512) || null;
  // Fraud rules guard what an affiliate is paid: an unattributed conversion pays nobody.
  const verdict = c.enrollmentId
    ? await screen(c.programId, settings, facts, {
        enrollmentId: c.enrollmentId,
        clickId: c.clickId,
        occurredAt: c.occurredAt,
        email: report.email,
        userAgent: c.userAgent,
        amount: money?.amount ?? null,
      })
    : { status: 'ACCEPTED' as const, flags: [] };
  c.status = verdict.status;
  // A rejected conversion earns nothing; a held one earns as usual, but is not approved until
  // a reviewer accepts it.
  const earns = verdict.status === 'REJECTED' ? null : plan.earns;
  const events = await eventsToWrite(
    prisma,
    [
      program.organizationId,
      ...(c.enrollmentId ? [facts.affiliates[c.enrollmentId]!.organizationId] : []),
    ].map((organizationId) => ({
      organizationId,
      type: 'CONVERSION_CREATED' as const,
      data: {
        conversionId: c.id,
        programId: c.programId,
        kind: c.kind,
        externalId: c.externalId,
        occurredAt: c.occurredAt.toISOString(),
        amount: c.amount,
        currency: c.currency,
        programAmount: c.programAmount,
        attribution: c.attribution,
        enrollmentId: c.enrollmentId,
        status: c.status,
      },
    })),
  );
  const click = facts.clicks.find((k) => k.id === c.clickId);
  const via = { linkId: click?.linkId ?? null, subId: click?.sub1 ?? null };
  const inserted =
    earns && (earns.terms.tiers || earns.terms.bonus)
      ? await statementsTransaction(async (client) => {
          // One sale at a time per affiliate: volumes, tiers and bonuses see each other.
          // NO KEY UPDATE leaves the KEY SHARE locks of other inserts' foreign keys alone.
          await client.query({
            name: statementName('enrollment-lock'),
            text: lockEnrollment,
            values: [earns.enrollmentId],
          });
          const before = {
            tier: await volume(client, earns.enrollmentId, earns.terms.tiers?.period, report.occurredAt),
            bonus: await volume(client, earns.enrollmentId, earns.terms.bonus?.period, report.occurredAt),
          };
          return insertConversion(
            client,
            plan.conversion,
            plan.customer,
            earned(earns, program.currency, before),
            events,
            verdict.flags,
            via,
          );
        })
      : await insertConversion(
          statements,
          plan.conversion,
          plan.customer,
          earns ? earned(earns, program.currency, { tier: zero, bonus: zero }) : null,
          events,
          verdict.flags,
          via,
        );
  if (inserted)
    return {
      conversionId: plan.conversion.id,
      replayed: false,
      attributed: plan.conversion.enrollmentId !== null,
    };
  // Recorded meanwhile by a concurrent duplicate: its result is the answer.
  const winner = await existing(prisma, report);
  if (!winner) throw new Error('conversion neither written nor found');
  return replay(winner);
}

interface Earning {
  enrollmentId: string;
  affiliateId: string;
  termsId: string;
  terms: Terms;
  facts: Sold;
  at: Date;
}

/** Attribution, and what the conversion earns whoever it goes to; pure but for cached terms. */
async function planOf(
  r: ConversionReport,
  facts: ConversionFacts,
  money: { amount: number; rate: string | null } | null,
  emailHash: string | null,
) {
  const termsOf = (enrollmentId: string | null) =>
    versionInForce(
      facts.terms.filter((t) => t.enrollmentId === null || t.enrollmentId === enrollmentId),
      r.occurredAt,
    );
  const programTerms = termsOf(null);
  const model = programTerms ? (await termsById(programTerms.id)).terms.attributionModel : 'LAST_CLICK';
  const clicks: ClickCandidate[] = [];
  for (const click of facts.clicks) {
    const version = termsOf(click.enrollmentId);
    if (version) clicks.push({ ...click, windowDays: (await termsById(version.id)).terms.cookieWindowDays });
  }
  const customer = facts.customer;
  const customerEnrollmentId = customer?.enrollmentId && customer.approved ? customer.enrollmentId : null;
  const firstSale = customer?.enrollmentId ? facts.firstSaleAt : null;
  const attribution = attribute({
    at: r.occurredAt,
    model,
    clicks,
    coupon: facts.coupon?.enrollmentId && facts.coupon.approved ? facts.coupon : null,
    customerEnrollmentId,
    repeatCustomer: r.kind === 'SALE' && firstSale !== null,
  });
  const renewalOf = attribution.method === 'CUSTOMER' && firstSale ? firstSale : null;
  const conversion: NewConversion = {
    id: uuidv7(),
    programId: r.programId,
    kind: r.kind,
    externalId: r.externalId,
    source: r.source,
    occurredAt: r.occurredAt,
    enrollmentId: attribution.enrollmentId,
    clickId: attribution.clickId,
    couponCodeId: attribution.couponCodeId,
    attribution: attribution.method,
    amount: r.amount,
    currency: r.currency,
    programAmount: money?.amount ?? null,
    exchangeRate: money?.rate ?? null,
    isRenewal: renewalOf !== null,
    lineItems: r.lineItems,
    emailHash,
    // A lead's contact details are kept only with the person's consent.
    contact: r.consent && r.contact ? r.contact : null,
    consent: r.consent,
    status: 'ACCEPTED',
    ipHash: null,
    userAgent: null,
  };
  const customerRow = r.customerId ? { id: uuidv7(), externalId: r.customerId, emailHash } : null;
  let earns: Earning | null = null;
  const version = attribution.enrollmentId ? termsOf(attribution.enrollmentId) : undefined;
  if (attribution.enrollmentId && version) {
    const { terms } = await termsById(version.id);
    earns = {
      enrollmentId: attribution.enrollmentId,
      affiliateId: facts.affiliates[attribution.enrollmentId]!.affiliateId,
      termsId: version.id,
      terms,
      at: r.occurredAt,
      facts: !money
        ? { kind: 'LEAD' }
        : renewalOf
          ? {
              kind: 'SALE',
              amount: money.amount,
              isRenewal: true,
              monthsSinceFirstSale: monthsBetween(renewalOf, r.occurredAt),
            }
          : { kind: 'SALE', amount: money.amount, isRenewal: false },
    };
  }
  return { conversion, customer: customerRow, earns };
}

/** The commission lines under the terms, with the ids their rows and ledger entries get. */
function earned(e: Earning, currency: string, before: { tier: Volume; bonus: Volume }): Earned {
  const lines = commissionsFor(e.terms, e.facts, before, { enrollmentId: e.enrollmentId, at: e.at });
  // Ids in the order of the lines (the sale's commission before its bonus): ids made in one
  // millisecond are random among themselves, so they are sorted.
  const ids = lines.map(() => uuidv7()).sort();
  return {
    enrollmentId: e.enrollmentId,
    affiliateId: e.affiliateId,
    termsId: e.termsId,
    currency,
    holdUntil: new Date(Date.now() + e.terms.holdingDays * dayMs),
    lines: lines.map((line, i) => ({
      id: ids[i]!,
      kind: line.kind,
      amount: line.amount,
      reason: line.detail,
      dedupeKey: line.dedupeKey ?? null,
      ledgerId: uuidv7(),
      groupId: uuidv7(),
    })),
  };
}

const lockEnrollment = 'SELECT 1 FROM "Enrollment" WHERE id = $1::uuid FOR NO KEY UPDATE';

const salesVolume = `
  SELECT count(*) FILTER (WHERE s.amount = 0 OR s.refunded < s.amount)::int AS count,
         coalesce(sum(sale_net(s."programAmount", s.amount, s.refunded)), 0)::bigint AS revenue
  FROM (
    SELECT v."programAmount", v.amount,
           coalesce((SELECT sum(a.amount) FROM "ConversionAdjustment" a WHERE a."conversionId" = v.id), 0) AS refunded
    FROM "Conversion" v
    WHERE v."enrollmentId" = $1::uuid AND v.kind = 'SALE' AND v.status = 'ACCEPTED'
      AND v."occurredAt" >= $2::timestamptz AND v."occurredAt" < $3::timestamptz
  ) s`;

/**
 * The affiliate's sales in the period before this one, net of refunds: a sale refunded in full
 * does not count, a partly refunded one counts for what was kept (program currency, rounded down).
 */
async function volume(
  client: Queryable,
  enrollmentId: string,
  period: 'MONTH' | 'QUARTER' | 'YEAR' | undefined,
  at: Date,
): Promise<Volume> {
  if (!period) return zero;
  const { start, end } = periodOf(period, at);
  const { rows } = await client.query({
    name: statementName('sales-volume'),
    text: salesVolume,
    values: [enrollmentId, start, end],
  });
  const sum = rows[0] as { count: number; revenue: string } | undefined;
  return { count: sum?.count ?? 0, revenue: Number(sum?.revenue ?? 0) };
}

async function inProgramCurrency(
  db: Db,
  program: { organizationId: string; currency: string },
  r: ConversionReport,
): Promise<{ amount: number; rate: string | null }> {
  const amount = r.amount ?? 0;
  const currency = r.currency ?? program.currency;
  if (currency === program.currency) return { amount, rate: null };
  const rate = await db.exchangeRate.findFirst({
    where: {
      organizationId: program.organizationId,
      fromCurrency: currency,
      toCurrency: program.currency,
      effectiveAt: { lte: r.occurredAt },
    },
    orderBy: { effectiveAt: 'desc' },
    select: { rate: true },
  });
  if (!rate)
    throw conflict(
      `No exchange rate from ${currency} to ${program.currency} (the program's currency) is set for this date; add one with setExchangeRate`,
      { field: 'currency' },
    );
  const converted = convert(amount, rate.rate.toString());
  if (converted > MAX_AMOUNT)
    throw conflict(`The amount is more than ${MAX_AMOUNT} minor units in ${program.currency}`, {
      field: 'amount',
    });
  return { amount: converted, rate: rate.rate.toString() };
}

/** Whole calendar months from `from` to `to` (UTC): 0 within the first month. */
export function monthsBetween(from: Date, to: Date): number {
  const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
  return to.getUTCDate() < from.getUTCDate() ? months - 1 : months;
}
