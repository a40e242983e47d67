import { sha256 } from '../auth/tokens.ts';
import { type CommissionLine, commissionsFor, periodOf } from '../commissions/engine.ts';
import { book } from '../commissions/ledger.ts';
import { type Db, prisma } from '../db.ts';
import { conflict } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { MAX_AMOUNT } from '../programs/money.ts';
import { termsFromRow } from '../programs/terms.ts';
import { termsIdInForce } from '../programs/terms-in-force.ts';
import { attribute, type ClickCandidate } from './attribution.ts';
import { convert } from './exchange.ts';

type Tx = Prisma.TransactionClient;

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
}

export interface Recorded {
  conversionId: string;
  /** true when this order or lead id was already recorded: the first result is returned. */
  replayed: boolean;
  attributed: boolean;
}

const dayMs = 86_400_000;

const existing = (db: Db | Tx, r: ConversionReport) =>
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
 * computes its commissions, all in one transaction. A concurrent duplicate loses on the unique
 * constraint and gets the winner's result, as a replay does.
 */
export async function recordConversion(report: ConversionReport, program?: ProgramFacts): Promise<Recorded> {
  const found = await existing(prisma, report);
  if (found) return replay(found);
  try {
    const row = await prisma.$transaction((tx) => write(tx, report, program));
    return { conversionId: row.id, replayed: false, attributed: row.enrollmentId !== null };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const winner = await existing(prisma, report);
    if (!winner) throw error;
    return replay(winner);
  }
}

/** What recording needs of the program; callers that have just read it pass it on. */
export interface ProgramFacts {
  organizationId: string;
  currency: string;
  status: string;
}

async function write(tx: Tx, r: ConversionReport, known?: ProgramFacts) {
  const program =
    known ??
    (await tx.program.findUniqueOrThrow({
      where: { id: r.programId },
      select: { organizationId: true, currency: true, status: true },
    }));
  const terms = termsMemo(tx, r);
  // A paused program still owes commissions on conversions from earlier clicks.
  if (program.status !== 'ACTIVE' && program.status !== 'PAUSED')
    throw conflict(`The program is ${program.status.toLowerCase()}: it does not record conversions`);

  const money = r.kind === 'SALE' ? await inProgramCurrency(tx, program, r) : null;
  const customer = r.customerId
    ? await tx.customer.findUnique({
        where: { programId_externalId: { programId: r.programId, externalId: r.customerId } },
        select: { id: true, enrollmentId: true },
      })
    : null;
  const firstSale = customer?.enrollmentId
    ? await tx.conversion.findFirst({
        where: {
          customerId: customer.id,
          kind: 'SALE',
          enrollmentId: customer.enrollmentId,
          status: { not: 'REJECTED' },
        },
        orderBy: { occurredAt: 'asc' },
        select: { occurredAt: true },
      })
    : null;
  const coupon = r.couponCode
    ? await tx.couponCode.findFirst({
        where: { programId: r.programId, code: r.couponCode.toUpperCase(), disabledAt: null },
        select: { id: true, enrollmentId: true },
      })
    : null;
  const programTerms = await tx.commissionTerms.findFirst({
    where: { programId: r.programId, enrollmentId: null, effectiveAt: { lte: r.occurredAt } },
    orderBy: [{ effectiveAt: 'desc' }, { version: 'desc' }],
    select: { attributionModel: true },
  });
  const attribution = attribute({
    at: r.occurredAt,
    model: programTerms?.attributionModel ?? 'LAST_CLICK',
    clicks: await clickCandidates(tx, r, terms),
    coupon: coupon?.enrollmentId && (await isApproved(tx, coupon.enrollmentId)) ? coupon : null,
    customerEnrollmentId:
      customer?.enrollmentId && (await isApproved(tx, customer.enrollmentId)) ? customer.enrollmentId : null,
    repeatCustomer: r.kind === 'SALE' && firstSale !== null,
  });

  const emailHash = r.email ? sha256(r.email.trim().toLowerCase()) : null;
  const customerId = r.customerId
    ? await customerFor(tx, r, emailHash, customer, attribution.enrollmentId)
    : null;
  const conversion = await tx.conversion.create({
    data: {
      programId: r.programId,
      kind: r.kind,
      externalId: r.externalId,
      source: r.source,
      occurredAt: r.occurredAt,
      enrollmentId: attribution.enrollmentId,
      clickId: attribution.clickId,
      couponCodeId: attribution.couponCodeId,
      customerId,
      attribution: attribution.method,
      amount: r.amount,
      currency: r.currency,
      programAmount: money?.amount ?? null,
      exchangeRate: money?.rate ?? null,
      isRenewal: attribution.method === 'CUSTOMER' && firstSale !== null,
      lineItems: r.lineItems ?? Prisma.DbNull,
      emailHash,
      // A lead's contact details are kept only with the person's consent.
      contact: r.consent && r.contact ? r.contact : Prisma.DbNull,
      consent: r.consent,
    },
    select: { id: true, enrollmentId: true },
  });
  if (attribution.enrollmentId) {
    await earn(tx, terms, {
      conversionId: conversion.id,
      programId: r.programId,
      enrollmentId: attribution.enrollmentId,
      currency: program.currency,
      at: r.occurredAt,
      sale: money
        ? {
            amount: money.amount,
            renewalOf: attribution.method === 'CUSTOMER' && firstSale ? firstSale.occurredAt : null,
          }
        : null,
    });
  }
  return conversion;
}

async function inProgramCurrency(
  tx: Tx,
  program: { organizationId: string; currency: string },
  r: ConversionReport,
): Promise<{ amount: number; rate: string | null }> {
  const amount = r.amount ?? 0;
  const currency = r.currency ?? program.currency;
  if (currency === program.currency) return { amount, rate: null };
  const rate = await tx.exchangeRate.findFirst({
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

async function isApproved(tx: Tx, enrollmentId: string) {
  const e = await tx.enrollment.findUnique({ where: { id: enrollmentId }, select: { status: true } });
  return e?.status === 'APPROVED';
}

type TermsMemo = ReturnType<typeof termsMemo>;

/** The terms in force at the conversion for each enrollment, read once per conversion. */
function termsMemo(tx: Tx, r: ConversionReport) {
  const read = new Map<string, ReturnType<typeof readTerms>>();
  const readTerms = async (enrollmentId: string) => {
    const id = await termsIdInForce(tx, { id: enrollmentId, programId: r.programId }, r.occurredAt);
    if (!id) return null;
    return { row: await tx.commissionTerms.findUniqueOrThrow({ where: { id }, include: { tiers: true } }) };
  };
  return (enrollmentId: string) => {
    let terms = read.get(enrollmentId);
    if (!terms) {
      terms = readTerms(enrollmentId);
      read.set(enrollmentId, terms);
    }
    return terms;
  };
}

/** The reported clicks of this program, of approved affiliates, each with its cookie window. */
async function clickCandidates(tx: Tx, r: ConversionReport, terms: TermsMemo): Promise<ClickCandidate[]> {
  if (!r.clickIds.length) return [];
  const clicks = await tx.click.findMany({
    where: { id: { in: r.clickIds }, programId: r.programId },
    select: { id: true, enrollmentId: true, createdAt: true },
  });
  const windows = new Map<string, number | null>();
  for (const enrollmentId of new Set(clicks.map((c) => c.enrollmentId))) {
    if (!(await isApproved(tx, enrollmentId))) continue;
    windows.set(enrollmentId, (await terms(enrollmentId))?.row.cookieWindowDays ?? null);
  }
  return clicks.flatMap((c) => {
    const windowDays = windows.get(c.enrollmentId);
    return windowDays ? [{ ...c, windowDays }] : [];
  });
}

/** The customer's row, created on first sight; it keeps the first affiliate it was attributed to. */
async function customerFor(
  tx: Tx,
  r: ConversionReport,
  emailHash: string | null,
  found: { id: string; enrollmentId: string | null } | null,
  enrollmentId: string | null,
) {
  let customer = found;
  if (!customer) {
    // Two first sales of one new customer may race: ON CONFLICT DO NOTHING waits for the other
    // insert and keeps its row, and both sales go on with it.
    await tx.customer.createMany({
      data: { programId: r.programId, externalId: r.customerId!, enrollmentId, emailHash },
      skipDuplicates: true,
    });
    customer = await tx.customer.findUniqueOrThrow({
      where: { programId_externalId: { programId: r.programId, externalId: r.customerId! } },
      select: { id: true, enrollmentId: true },
    });
  }
  if (!customer.enrollmentId && enrollmentId)
    await tx.customer.update({ where: { id: customer.id }, data: { enrollmentId } });
  return customer.id;
}

interface Earning {
  conversionId: string;
  programId: string;
  enrollmentId: string;
  currency: string;
  at: Date;
  sale: { amount: number; renewalOf: Date | null } | null;
}

/** Commissions under the terms in force at the conversion, each with its EARNED ledger entry. */
async function earn(tx: Tx, termsInForce: TermsMemo, e: Earning) {
  // One conversion at a time per affiliate and program: volumes, tiers and bonuses see each other.
  // NO KEY UPDATE, not UPDATE: this transaction's inserts already hold the KEY SHARE locks of their
  // foreign keys on this row, and two of them upgrading to FOR UPDATE would deadlock.
  const [enrollment] = await tx.$queryRaw<{ affiliateId: string }[]>`
    SELECT "affiliateId" FROM "Enrollment" WHERE id = ${e.enrollmentId}::uuid FOR NO KEY UPDATE`;
  const inForce = await termsInForce(e.enrollmentId);
  if (!inForce || !enrollment) return;
  const termsId = inForce.row.id;
  const terms = termsFromRow(inForce.row);
  // The affiliate's sales in the period, net of refunds: a sale refunded in full does not count,
  // a partly refunded one counts for what was kept (in the program currency, rounded down).
  const volume = async (period: 'MONTH' | 'QUARTER' | 'YEAR' | undefined) => {
    if (!period) return { count: 0, revenue: 0 };
    const { start, end } = periodOf(period, e.at);
    const [sum] = await tx.$queryRaw<{ count: number; revenue: bigint }[]>`
      SELECT count(*) FILTER (WHERE s.amount = 0 OR s.refunded < s.amount)::int AS count,
             coalesce(sum(s."programAmount"::bigint * (s.amount - s.refunded) / NULLIF(s.amount, 0)), 0)::bigint AS revenue
      FROM (
        SELECT v."programAmount", v.amount,
               coalesce((SELECT sum(a.amount) FROM "ConversionAdjustment" a WHERE a."conversionId" = v.id), 0) AS refunded
        FROM "Conversion" v
        WHERE v."enrollmentId" = ${e.enrollmentId}::uuid AND v.kind = 'SALE' AND v.status = 'ACCEPTED'
          AND v."occurredAt" >= ${start} AND v."occurredAt" < ${end} AND v.id <> ${e.conversionId}::uuid
      ) s`;
    return { count: sum?.count ?? 0, revenue: Number(sum?.revenue ?? 0) };
  };
  const facts = !e.sale
    ? ({ kind: 'LEAD' } as const)
    : e.sale.renewalOf
      ? ({
          kind: 'SALE',
          amount: e.sale.amount,
          isRenewal: true,
          monthsSinceFirstSale: monthsBetween(e.sale.renewalOf, e.at),
        } as const)
      : ({ kind: 'SALE', amount: e.sale.amount, isRenewal: false } as const);
  const lines = commissionsFor(
    terms,
    facts,
    { tier: await volume(terms.tiers?.period), bonus: await volume(terms.bonus?.period) },
    { enrollmentId: e.enrollmentId, at: e.at },
  );
  const holdUntil = new Date(Date.now() + terms.holdingDays * dayMs);
  for (const line of lines) await addCommission(tx, e, enrollment.affiliateId, termsId, holdUntil, line);
}

async function addCommission(
  tx: Tx,
  e: Earning,
  affiliateId: string,
  termsId: string,
  holdUntil: Date,
  line: CommissionLine,
) {
  // A bonus is earned once per period: its key is unique, and the enrollment lock orders the check.
  if (line.dedupeKey && (await tx.commission.findUnique({ where: { dedupeKey: line.dedupeKey } }))) return;
  const commission = await tx.commission.create({
    data: {
      programId: e.programId,
      enrollmentId: e.enrollmentId,
      conversionId: e.conversionId,
      termsId,
      kind: line.kind,
      amount: line.amount,
      currency: e.currency,
      holdUntil,
      reason: line.detail,
      dedupeKey: line.dedupeKey ?? null,
    },
    select: { id: true },
  });
  await book(tx, [
    {
      commission: {
        id: commission.id,
        programId: e.programId,
        enrollmentId: e.enrollmentId,
        affiliateId,
        currency: e.currency,
      },
      movement: {
        type: 'EARNED',
        from: null,
        to: 'PENDING',
        amount: line.amount,
        key: `earned:${commission.id}`,
      },
    },
  ]);
}

/** Whole calendar months from `from` to `to` (UTC): 0 within the first month. */
export function monthsBetween(from: Date, to: Date): number {
  const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
  return to.getUTCDate() < from.getUTCDate() ? months - 1 : months;
}
