import { z } from 'zod';
import type { Prisma } from '../generated/prisma/client.ts';
import { couponCodeFormat } from './coupons.ts';
import { amount, rateBps } from './money.ts';

// Commission terms as the rules see them: plain data, validated here, stored as CommissionTerms
// rows (plus CommissionTier rows) and never edited: a change is a new version.

const saleType = z.enum(['NONE', 'PERCENTAGE', 'FLAT']);
const basis = z.enum(['COUNT', 'REVENUE']);
const period = z.enum(['MONTH', 'QUARTER', 'YEAR']);
const threshold = z.number().int().min(1, 'must be at least 1').max(2_000_000_000);

const sale = z.object({
  type: saleType,
  rateBps: rateBps.nullish().transform((v) => v ?? null),
  flatAmount: amount.nullish().transform((v) => v ?? null),
});

const level = z.object({
  threshold,
  rateBps: rateBps.nullish().transform((v) => v ?? null),
  flatAmount: amount.nullish().transform((v) => v ?? null),
});

const tiers = z.object({
  basis,
  period,
  levels: z.array(level).min(1, 'needs at least one level').max(10, 'at most 10 levels'),
});

const bonus = z.object({ amount, basis, threshold, period });

const recurring = z.object({
  mode: z.enum(['NONE', 'MONTHS', 'LIFETIME']),
  months: z
    .number()
    .int()
    .min(1)
    .max(120)
    .nullish()
    .transform((v) => v ?? null),
  rateBps: rateBps.nullish().transform((v) => v ?? null),
});

const fields = {
  sale,
  leadAmount: amount.nullish().transform((v) => v ?? null),
  clickAmount: amount.nullish().transform((v) => v ?? null),
  tiers: tiers.nullish().transform((v) => v ?? null),
  bonus: bonus.nullish().transform((v) => v ?? null),
  recurring: recurring
    .nullish()
    .transform((v) => v ?? { mode: 'NONE' as const, months: null, rateBps: null }),
  cookieWindowDays: z.number().int().min(1, 'must be 1-365 days').max(365, 'must be 1-365 days'),
  attributionModel: z.enum(['LAST_CLICK', 'FIRST_CLICK']),
  holdingDays: z.number().int().min(0, 'must be 0-365 days').max(365, 'must be 0-365 days'),
  minPayoutAmount: amount,
};

type Issue = { path: (string | number)[]; message: string };

// Rules that span fields: what the sale type needs, and tiers that agree with it.
function consistency(terms: z.output<z.ZodObject<typeof fields>>): Issue[] {
  const issues: Issue[] = [];
  const { sale, tiers, recurring } = terms;
  if (sale.type === 'PERCENTAGE' && sale.rateBps === null)
    issues.push({ path: ['sale', 'rateBps'], message: 'is required for a percentage commission' });
  if (sale.type === 'FLAT' && sale.flatAmount === null)
    issues.push({ path: ['sale', 'flatAmount'], message: 'is required for a flat commission' });
  if (tiers) {
    if (sale.type === 'NONE') issues.push({ path: ['tiers'], message: 'need a sale commission to raise' });
    tiers.levels.forEach((lvl, index) => {
      if (index > 0 && lvl.threshold <= tiers.levels[index - 1]!.threshold)
        issues.push({
          path: ['tiers', 'levels', index, 'threshold'],
          message: 'must be higher than the previous level',
        });
      const needed = sale.type === 'FLAT' ? 'flatAmount' : 'rateBps';
      if (sale.type !== 'NONE' && lvl[needed] === null)
        issues.push({
          path: ['tiers', 'levels', index, needed],
          message: `is required: the sale commission is ${sale.type.toLowerCase()}`,
        });
    });
  }
  if (recurring.mode === 'MONTHS' && recurring.months === null)
    issues.push({
      path: ['recurring', 'months'],
      message: 'is required when recurring for a number of months',
    });
  if (recurring.mode !== 'NONE' && sale.type !== 'PERCENTAGE' && recurring.rateBps === null)
    issues.push({
      path: ['recurring', 'rateBps'],
      message: 'is required unless the sale commission is a percentage',
    });
  return issues;
}

export const termsSchema = z.object(fields).superRefine((terms, ctx) => {
  for (const issue of consistency(terms)) ctx.addIssue({ code: 'custom', ...issue });
});

export type Terms = z.output<typeof termsSchema>;
export type TermsInput = z.input<typeof termsSchema>;

/** A proposal: any subset of the terms (a group given replaces that group), and a coupon code. */
export const termsChangesSchema = z
  .object({
    sale: sale.optional(),
    leadAmount: amount.nullish(),
    clickAmount: amount.nullish(),
    tiers: tiers.nullish(),
    bonus: bonus.nullish(),
    recurring: recurring.optional(),
    cookieWindowDays: fields.cookieWindowDays.optional(),
    attributionModel: fields.attributionModel.optional(),
    holdingDays: fields.holdingDays.optional(),
    minPayoutAmount: amount.optional(),
    couponCode: couponCodeFormat.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'must change at least one term');

export type TermsChanges = z.output<typeof termsChangesSchema>;

/** The terms after a proposal: keys present in `changes` replace the base's (null clears). */
export function applyChanges(base: Terms, changes: TermsChanges): { terms: Terms; issues: Issue[] } {
  const { couponCode: _, ...termChanges } = changes;
  const merged = { ...base, ...termChanges };
  const parsed = termsSchema.safeParse(merged);
  if (parsed.success) return { terms: parsed.data, issues: [] };
  return {
    terms: base,
    issues: parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })),
  };
}

export interface TermsVersion {
  effectiveAt: Date;
  version: number;
  enrollmentId: string | null;
}

/**
 * The version in force at `at` for an enrollment: its own latest negotiated version effective
 * by then, else the program's latest. Negotiated versions are whole snapshots, so later changes
 * to the program's terms do not reach an affiliate with negotiated terms.
 */
export function versionInForce<V extends TermsVersion>(versions: readonly V[], at: Date): V | undefined {
  const effective = versions.filter((v) => v.effectiveAt.getTime() <= at.getTime());
  const latest = (list: V[]) =>
    list.reduce<V | undefined>(
      (best, v) =>
        !best ||
        v.effectiveAt > best.effectiveAt ||
        (v.effectiveAt.getTime() === best.effectiveAt.getTime() && v.version > best.version)
          ? v
          : best,
      undefined,
    );
  return (
    latest(effective.filter((v) => v.enrollmentId !== null)) ??
    latest(effective.filter((v) => v.enrollmentId === null))
  );
}

type TermsRow = Prisma.CommissionTermsGetPayload<{ include: { tiers: true } }>;

export function termsFromRow(row: TermsRow): Terms {
  return {
    sale: { type: row.saleType, rateBps: row.saleRateBps, flatAmount: row.saleFlatAmount },
    leadAmount: row.leadAmount,
    clickAmount: row.clickAmount,
    tiers:
      row.tierBasis && row.tierPeriod && row.tiers.length
        ? {
            basis: row.tierBasis,
            period: row.tierPeriod,
            levels: [...row.tiers]
              .sort((a, b) => Number(a.threshold - b.threshold))
              .map((t) => ({ threshold: Number(t.threshold), rateBps: t.rateBps, flatAmount: t.flatAmount })),
          }
        : null,
    bonus:
      row.bonusAmount !== null && row.bonusBasis && row.bonusThreshold !== null && row.bonusPeriod
        ? {
            amount: row.bonusAmount,
            basis: row.bonusBasis,
            threshold: Number(row.bonusThreshold),
            period: row.bonusPeriod,
          }
        : null,
    recurring: { mode: row.recurringMode, months: row.recurringMonths, rateBps: row.recurringRateBps },
    cookieWindowDays: row.cookieWindowDays,
    attributionModel: row.attributionModel,
    holdingDays: row.holdingDays,
    minPayoutAmount: row.minPayoutAmount,
  };
}

/** The columns of a CommissionTerms row (without its keys) holding these terms. */
export function termsToColumns(terms: Terms) {
  return {
    saleType: terms.sale.type,
    saleRateBps: terms.sale.rateBps,
    saleFlatAmount: terms.sale.flatAmount,
    leadAmount: terms.leadAmount,
    clickAmount: terms.clickAmount,
    tierBasis: terms.tiers?.basis ?? null,
    tierPeriod: terms.tiers?.period ?? null,
    bonusAmount: terms.bonus?.amount ?? null,
    bonusBasis: terms.bonus?.basis ?? null,
    bonusThreshold: terms.bonus ? BigInt(terms.bonus.threshold) : null,
    bonusPeriod: terms.bonus?.period ?? null,
    recurringMode: terms.recurring.mode,
    recurringMonths: terms.recurring.months,
    recurringRateBps: terms.recurring.rateBps,
    cookieWindowDays: terms.cookieWindowDays,
    attributionModel: terms.attributionModel,
    holdingDays: terms.holdingDays,
    minPayoutAmount: terms.minPayoutAmount,
    tiers: {
      create: (terms.tiers?.levels ?? []).map((l) => ({
        threshold: BigInt(l.threshold),
        rateBps: l.rateBps,
        flatAmount: l.flatAmount,
      })),
    },
  } satisfies Omit<Prisma.CommissionTermsCreateWithoutProgramInput, 'version' | 'effectiveAt'>;
}
