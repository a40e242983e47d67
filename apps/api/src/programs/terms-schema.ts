import { builder } from '../builder.ts';
import {
  AttributionModelEnum,
  PeriodEnum,
  RecurringModeEnum,
  SaleCommissionTypeEnum,
  TierBasisEnum,
} from './enums.ts';
import { type Terms, termsFromRow } from './terms.ts';
import { isListed } from './visibility.ts';

// Output: a terms version, shown as grouped objects built from the row.

type Sale = Terms['sale'];
type Tiers = NonNullable<Terms['tiers']>;
type Bonus = NonNullable<Terms['bonus']>;
type Recurring = Terms['recurring'];

const rateNote = 'Basis points: 1250 = 12.5%.';
const amountNote = 'Minor units (cents) of the program currency.';

export const SaleCommission = builder.objectRef<Sale>('SaleCommission').implement({
  fields: (t) => ({
    type: t.expose('type', { type: SaleCommissionTypeEnum }),
    rateBps: t.exposeInt('rateBps', { nullable: true, description: rateNote }),
    flatAmount: t.exposeInt('flatAmount', { nullable: true, description: amountNote }),
  }),
});

const TierLevel = builder.objectRef<Tiers['levels'][number]>('TierLevel').implement({
  fields: (t) => ({
    threshold: t.exposeInt('threshold', {
      description: 'Approved sales (COUNT) or revenue in minor units (REVENUE) in the period.',
    }),
    rateBps: t.exposeInt('rateBps', { nullable: true, description: rateNote }),
    flatAmount: t.exposeInt('flatAmount', { nullable: true, description: amountNote }),
  }),
});

export const CommissionTiers = builder.objectRef<Tiers>('CommissionTiers').implement({
  description: 'The sale commission rises to a level once the affiliate reaches its threshold in the period.',
  fields: (t) => ({
    basis: t.expose('basis', { type: TierBasisEnum }),
    period: t.expose('period', { type: PeriodEnum }),
    levels: t.expose('levels', { type: [TierLevel] }),
  }),
});

export const PerformanceBonus = builder.objectRef<Bonus>('PerformanceBonus').implement({
  description: 'A one-time amount when the affiliate reaches the threshold in a period.',
  fields: (t) => ({
    amount: t.exposeInt('amount', { description: amountNote }),
    basis: t.expose('basis', { type: TierBasisEnum }),
    threshold: t.exposeInt('threshold'),
    period: t.expose('period', { type: PeriodEnum }),
  }),
});

export const RecurringCommission = builder.objectRef<Recurring>('RecurringCommission').implement({
  fields: (t) => ({
    mode: t.expose('mode', { type: RecurringModeEnum }),
    months: t.exposeInt('months', { nullable: true }),
    rateBps: t.exposeInt('rateBps', { nullable: true, description: `${rateNote} The sale rate when null.` }),
  }),
});

export const CommissionTermsRef = builder.prismaObject('CommissionTerms', {
  description: 'One version of commission terms. Versions are never edited; a change is a new version.',
  include: {
    tiers: true,
    program: { select: { organizationId: true, currency: true, status: true, visibility: true } },
    enrollment: { select: { affiliate: { select: { organizationId: true } } } },
  },
  // The merchant sees every version; an affiliate sees its own negotiated versions and the
  // program's (as does anyone, for a program listed in the marketplace).
  authScopes: (terms) => {
    if (terms.enrollment)
      return {
        member: terms.program.organizationId,
        networkAdmin: true,
        $any: { member: terms.enrollment.affiliate.organizationId },
      };
    const listed = isListed(terms.program);
    return {
      member: terms.program.organizationId,
      networkAdmin: true,
      enrolledIn: terms.programId,
      ...(listed ? { authenticated: true } : {}),
    };
  },
  fields: (t) => ({
    id: t.exposeID('id'),
    version: t.exposeInt('version'),
    effectiveAt: t.expose('effectiveAt', { type: 'DateTime' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    negotiated: t.boolean({
      description: "True for an enrollment's own terms.",
      resolve: (row) => row.enrollmentId !== null,
    }),
    currency: t.string({ resolve: (row) => row.program.currency }),
    sale: t.field({ type: SaleCommission, resolve: (row) => termsFromRow(row).sale }),
    leadAmount: t.exposeInt('leadAmount', {
      nullable: true,
      description: `Per qualified lead. ${amountNote}`,
    }),
    clickAmount: t.exposeInt('clickAmount', {
      nullable: true,
      description: `Per click (CPC). ${amountNote}`,
    }),
    tiers: t.field({ type: CommissionTiers, nullable: true, resolve: (row) => termsFromRow(row).tiers }),
    bonus: t.field({ type: PerformanceBonus, nullable: true, resolve: (row) => termsFromRow(row).bonus }),
    recurring: t.field({ type: RecurringCommission, resolve: (row) => termsFromRow(row).recurring }),
    cookieWindowDays: t.exposeInt('cookieWindowDays'),
    attributionModel: t.expose('attributionModel', { type: AttributionModelEnum }),
    holdingDays: t.exposeInt('holdingDays', {
      description: 'Days a commission is held before it can be paid.',
    }),
    minPayoutAmount: t.exposeInt('minPayoutAmount', {
      description: `Minimum balance for a payout. ${amountNote}`,
    }),
  }),
});

// Input: the same groups.

const SaleCommissionInput = builder.inputType('SaleCommissionInput', {
  fields: (t) => ({
    type: t.field({ type: SaleCommissionTypeEnum }),
    rateBps: t.int({ required: false, description: rateNote }),
    flatAmount: t.int({ required: false, description: amountNote }),
  }),
});

const TierLevelInput = builder.inputType('TierLevelInput', {
  fields: (t) => ({
    threshold: t.int(),
    rateBps: t.int({ required: false }),
    flatAmount: t.int({ required: false }),
  }),
});

const TiersInput = builder.inputType('TiersInput', {
  fields: (t) => ({
    basis: t.field({ type: TierBasisEnum }),
    period: t.field({ type: PeriodEnum }),
    levels: t.field({ type: [TierLevelInput] }),
  }),
});

const BonusInput = builder.inputType('BonusInput', {
  fields: (t) => ({
    amount: t.int(),
    basis: t.field({ type: TierBasisEnum }),
    threshold: t.int(),
    period: t.field({ type: PeriodEnum }),
  }),
});

const RecurringInput = builder.inputType('RecurringInput', {
  fields: (t) => ({
    mode: t.field({ type: RecurringModeEnum }),
    months: t.int({ required: false }),
    rateBps: t.int({ required: false }),
  }),
});

export const CommissionTermsInput = builder.inputType('CommissionTermsInput', {
  description: `Rates in basis points (${rateNote}); amounts in minor units of the program currency.`,
  fields: (t) => ({
    sale: t.field({ type: SaleCommissionInput }),
    leadAmount: t.int({ required: false }),
    clickAmount: t.int({ required: false }),
    tiers: t.field({ type: TiersInput, required: false }),
    bonus: t.field({ type: BonusInput, required: false }),
    recurring: t.field({ type: RecurringInput, required: false }),
    cookieWindowDays: t.int({ defaultValue: 30, description: '1-365' }),
    attributionModel: t.field({ type: AttributionModelEnum, defaultValue: 'LAST_CLICK' }),
    holdingDays: t.int({ defaultValue: 30, description: '0-365' }),
    minPayoutAmount: t.int({ defaultValue: 0 }),
  }),
});

export const TermsChangesInput = builder.inputType('TermsChangesInput', {
  description:
    'Proposed changes to the terms in force: a field left out keeps its value; a group given (sale, tiers, bonus, recurring) replaces that group; null removes an optional one.',
  fields: (t) => ({
    sale: t.field({ type: SaleCommissionInput, required: false }),
    leadAmount: t.int({ required: false }),
    clickAmount: t.int({ required: false }),
    tiers: t.field({ type: TiersInput, required: false }),
    bonus: t.field({ type: BonusInput, required: false }),
    recurring: t.field({ type: RecurringInput, required: false }),
    cookieWindowDays: t.int({ required: false }),
    attributionModel: t.field({ type: AttributionModelEnum, required: false }),
    holdingDays: t.int({ required: false }),
    minPayoutAmount: t.int({ required: false }),
    couponCode: t.string({ required: false, description: 'An exclusive coupon code for this affiliate.' }),
  }),
});
