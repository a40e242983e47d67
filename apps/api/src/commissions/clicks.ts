import { prisma } from '../db.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { termsById } from '../programs/terms-cache.ts';
import { termsIdInForce } from '../programs/terms-in-force.ts';
import { commissionsFor } from './engine.ts';
import { book } from './ledger.ts';

const dayMs = 86_400_000;
/** How far back a first run looks for unpaid click days. */
const lookbackDays = 35;
const zero = { count: 0, revenue: 0 };

const dayKey = (day: Date) => day.toISOString().slice(0, 10);

/**
 * Books click commissions (cost per click) for finished UTC days: one commission per affiliate
 * and day, for that day's unique clicks at the click amount of the terms in force that day.
 * A day is paid once (its dedupe key is unique), so every instance may run this at any time.
 * The clicks of the current day wait until it ends.
 */
export async function bookClickCommissions(now = new Date()): Promise<number> {
  const today = new Date(Math.floor(now.getTime() / dayMs) * dayMs);
  // Enrollments whose terms (the program's or their own) pay clicks at some point.
  const paying = await prisma.commissionTerms.findMany({
    where: { clickAmount: { gt: 0 } },
    select: { programId: true, enrollmentId: true },
    distinct: ['programId', 'enrollmentId'],
  });
  if (!paying.length) return 0;
  const enrollments = await prisma.enrollment.findMany({
    where: {
      status: { in: ['APPROVED', 'SUSPENDED'] },
      OR: [
        { programId: { in: paying.filter((t) => !t.enrollmentId).map((t) => t.programId) } },
        { id: { in: paying.flatMap((t) => (t.enrollmentId ? [t.enrollmentId] : [])) } },
      ],
    },
    select: { id: true, programId: true, affiliateId: true, program: { select: { currency: true } } },
  });
  let booked = 0;
  for (const enrollment of enrollments) {
    const last = await prisma.commission.findFirst({
      where: { enrollmentId: enrollment.id, kind: 'CLICK' },
      orderBy: { dedupeKey: 'desc' },
      select: { dedupeKey: true },
    });
    const lastDay = last?.dedupeKey ? Date.parse(last.dedupeKey.slice(-10)) : Number.NaN;
    const from = new Date(Number.isNaN(lastDay) ? today.getTime() - lookbackDays * dayMs : lastDay + dayMs);
    if (from >= today) continue;
    const days = await prisma.$queryRaw<{ day: Date; clicks: number }[]>`
      SELECT date_trunc('day', "createdAt" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, count(*)::int AS clicks
      FROM "Click"
      WHERE "enrollmentId" = ${enrollment.id}::uuid AND "isUnique"
        AND "createdAt" >= ${from} AND "createdAt" < ${today}
      GROUP BY 1 ORDER BY 1`;
    for (const { day, clicks } of days) {
      if (await bookDay(enrollment, new Date(day), clicks)) booked++;
    }
  }
  return booked;
}

async function bookDay(
  enrollment: { id: string; programId: string; affiliateId: string; program: { currency: string } },
  day: Date,
  clicks: number,
): Promise<boolean> {
  const end = new Date(day.getTime() + dayMs);
  const termsId = await termsIdInForce(prisma, enrollment, new Date(end.getTime() - 1));
  if (!termsId) return false;
  const { terms } = await termsById(termsId);
  const [line] = commissionsFor(
    terms,
    { kind: 'CLICK', count: clicks },
    { tier: zero, bonus: zero },
    {
      enrollmentId: enrollment.id,
      at: day,
    },
  );
  if (!line) return false;
  try {
    await prisma.$transaction(async (tx) => {
      const commission = await tx.commission.create({
        data: {
          programId: enrollment.programId,
          enrollmentId: enrollment.id,
          termsId,
          kind: 'CLICK',
          amount: line.amount,
          currency: enrollment.program.currency,
          holdUntil: new Date(end.getTime() + terms.holdingDays * dayMs),
          reason: `${dayKey(day)}: ${line.detail}`,
          dedupeKey: `click:${enrollment.id}:${dayKey(day)}`,
        },
        select: { id: true },
      });
      await book(tx, [
        {
          commission: {
            id: commission.id,
            programId: enrollment.programId,
            enrollmentId: enrollment.id,
            affiliateId: enrollment.affiliateId,
            currency: enrollment.program.currency,
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
    });
    return true;
  } catch (error) {
    // Another instance booked this day first.
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
