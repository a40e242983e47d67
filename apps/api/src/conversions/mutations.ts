import { z } from 'zod';
import { requireRole, userIdOrNull } from '../auth/access.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { notFound } from '../errors.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { assertCouponFree, couponCodeFormat } from '../programs/coupons.ts';
import { programFacts } from '../programs/facts-cache.ts';
import { currency } from '../programs/money.ts';
import { id, input } from '../validation.ts';
import { adjustConversion } from './adjust.ts';
import {
  clickIdsOf,
  type LeadInput,
  leadInput,
  type RefundInput,
  refundInput,
  type SaleInput,
  saleInput,
} from './inputs.ts';
import { type ConversionReport, recordConversion } from './record.ts';
import { AdjustmentKindEnum, ConversionAdjustmentRef, ConversionRef } from './schema.ts';

const LineItemInput = builder.inputType('LineItemInput', {
  fields: (t) => ({
    sku: t.string({ required: false }),
    name: t.string({ required: false }),
    quantity: t.int(),
    amount: t.int({ description: 'Minor units, for the whole line.' }),
  }),
});

// The customer's browser, which a back end may pass on for the fraud rules.
type InputFields = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];
const visitorFields = (t: InputFields) => ({
  ip: t.string({
    required: false,
    description: "The customer's IP address, for the fraud rules; kept only as a hash salted per day.",
  }),
  userAgent: t.string({
    required: false,
    description: "The customer's browser user agent, for the fraud rules.",
  }),
});

const TrackSaleInput = builder.inputType('TrackSaleInput', {
  fields: (t) => ({
    programId: t.id(),
    orderId: t.string({ description: 'Your order id: a sale is recorded once per order id and program.' }),
    amount: t.int({ description: 'Minor units (cents) of `currency`.' }),
    currency: t.string({
      description: 'ISO 4217; converted with your exchange rate when not the program currency.',
    }),
    occurredAt: t.field({ type: 'DateTime', required: false, description: 'Defaults to now.' }),
    customerId: t.string({
      required: false,
      description: 'Your customer id: later sales of this customer follow the same affiliate.',
    }),
    email: t.string({ required: false, description: "The customer's email; stored only as a SHA-256 hash." }),
    couponCode: t.string({ required: false }),
    clickId: t.id({ required: false, description: 'The click id from the landing URL (ref_id by default).' }),
    clickIds: t.idList({
      required: false,
      description: 'More click ids the visitor brought (first-click programs).',
    }),
    lineItems: t.field({ type: [LineItemInput], required: false }),
    ...visitorFields(t),
  }),
  validate: saleInput,
});

const TrackLeadInput = builder.inputType('TrackLeadInput', {
  fields: (t) => ({
    programId: t.id(),
    leadId: t.string({ description: 'Your lead id: a lead is recorded once per lead id and program.' }),
    occurredAt: t.field({ type: 'DateTime', required: false }),
    customerId: t.string({ required: false }),
    email: t.string({ required: false }),
    name: t.string({ required: false }),
    phone: t.string({ required: false }),
    company: t.string({ required: false }),
    consent: t.boolean({
      description:
        'Whether the person agreed to their contact details being kept. Without it only a hash of the email is.',
    }),
    couponCode: t.string({ required: false }),
    clickId: t.id({ required: false }),
    clickIds: t.idList({ required: false }),
    ...visitorFields(t),
  }),
  validate: leadInput,
});

const TrackConversionPayload = builder
  .objectRef<{ conversionId: string; replayed: boolean; attributed: boolean }>('TrackConversionPayload')
  .implement({
    fields: (t) => ({
      conversionId: t.exposeID('conversionId', {
        description: 'All a back end usually needs: answered without reading the conversion again.',
      }),
      attributed: t.exposeBoolean('attributed', { description: 'Whether an affiliate earned it.' }),
      conversion: t.prismaField({
        type: ConversionRef,
        resolve: (query, payload) =>
          prisma.conversion.findUniqueOrThrow({ ...query, where: { id: payload.conversionId } }),
      }),
      replayed: t.exposeBoolean('replayed', {
        description:
          'true when this id was recorded before: nothing new was written, and this is the first result.',
      }),
    }),
  });

const RefundSaleInput = builder.inputType('RefundSaleInput', {
  fields: (t) => ({
    programId: t.id(),
    orderId: t.string({ description: 'The order id the sale was reported with.' }),
    refundId: t.string({ description: 'Your refund id: a refund is recorded once per id and sale.' }),
    amount: t.int({
      required: false,
      description: 'Minor units of the sale’s currency; defaults to everything not refunded yet.',
    }),
    kind: t.field({ type: AdjustmentKindEnum, required: false, description: 'Defaults to REFUND.' }),
    reason: t.string({ required: false }),
  }),
  validate: refundInput,
});

const RefundSalePayload = builder
  .objectRef<{ conversionId: string; adjustmentId: string; replayed: boolean }>('RefundSalePayload')
  .implement({
    fields: (t) => ({
      conversion: t.prismaField({
        type: ConversionRef,
        resolve: (query, payload) =>
          prisma.conversion.findUniqueOrThrow({ ...query, where: { id: payload.conversionId } }),
      }),
      adjustment: t.prismaField({
        type: ConversionAdjustmentRef,
        resolve: (query, payload) =>
          prisma.conversionAdjustment.findUniqueOrThrow({ ...query, where: { id: payload.adjustmentId } }),
      }),
      replayed: t.exposeBoolean('replayed', {
        description: 'true when this refund id was recorded before: nothing new was written.',
      }),
    }),
  });

/** The program, if the viewer may report its conversions (an admin or the merchant's secret key). */
async function trackingProgram(viewer: Parameters<typeof requireRole>[0], programId: string) {
  const program = await programFacts(programId);
  requireRole(viewer, program?.organizationId, 'ADMIN', 'Program');
  return program!;
}

export const saleReport = (v: SaleInput, source: ConversionReport['source']): ConversionReport => ({
  programId: v.programId,
  kind: 'SALE',
  externalId: v.orderId,
  source,
  occurredAt: v.occurredAt ?? new Date(),
  amount: v.amount,
  currency: v.currency,
  lineItems: v.lineItems ?? null,
  customerId: v.customerId ?? null,
  email: v.email ?? null,
  couponCode: v.couponCode ?? null,
  clickIds: clickIdsOf(v),
  contact: null,
  consent: false,
  visitor: { ip: v.ip ?? null, userAgent: v.userAgent ?? null },
});

export const leadReport = (v: LeadInput, source: ConversionReport['source']): ConversionReport => {
  const contact = Object.fromEntries(
    Object.entries({ name: v.name, email: v.email, phone: v.phone, company: v.company }).filter(
      ([, value]) => value,
    ),
  ) as Record<string, string>;
  return {
    programId: v.programId,
    kind: 'LEAD',
    externalId: v.leadId,
    source,
    occurredAt: v.occurredAt ?? new Date(),
    amount: null,
    currency: null,
    lineItems: null,
    customerId: v.customerId ?? null,
    email: v.email ?? null,
    couponCode: v.couponCode ?? null,
    clickIds: clickIdsOf(v),
    contact: Object.keys(contact).length ? contact : null,
    consent: v.consent,
    visitor: { ip: v.ip ?? null, userAgent: v.userAgent ?? null },
  };
};

builder.mutationFields((t) => ({
  trackSale: t.field({
    type: TrackConversionPayload,
    description:
      'Server to server (secret key, or an admin of the merchant): records a sale once per order id, attributes it and computes its commissions. Safe to retry.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: TrackSaleInput }) },
    resolve: async (_root, { input }, { viewer }) => {
      const value = input as unknown as SaleInput;
      return recordConversion(saleReport(value, 'API'), await trackingProgram(viewer, value.programId));
    },
  }),
  refundSale: t.field({
    type: RefundSalePayload,
    description:
      'Server to server: a full or partial refund, or a chargeback, of a recorded sale. Its commissions are reversed in proportion by new ledger entries; a commission already paid is clawed back from the next payout. Safe to retry with the same refundId.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RefundSaleInput }) },
    resolve: async (_root, { input }, { viewer }) => {
      const value = input as unknown as RefundInput;
      await trackingProgram(viewer, value.programId);
      const sale = await prisma.conversion.findUnique({
        where: {
          programId_kind_externalId: { programId: value.programId, kind: 'SALE', externalId: value.orderId },
        },
        select: { id: true },
      });
      if (!sale) throw notFound('Sale');
      const adjusted = await adjustConversion({
        conversionId: sale.id,
        kind: value.kind ?? 'REFUND',
        externalId: value.refundId,
        amount: value.amount ?? null,
        reason: value.reason ?? null,
        createdById: userIdOrNull(viewer),
      });
      return { conversionId: sale.id, ...adjusted };
    },
  }),
  trackLead: t.field({
    type: TrackConversionPayload,
    description: 'Like trackSale, for a lead (a sign-up, a contact request): records it once per lead id.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: TrackLeadInput }) },
    resolve: async (_root, { input }, { viewer }) => {
      const value = input as unknown as LeadInput;
      return recordConversion(leadReport(value, 'API'), await trackingProgram(viewer, value.programId));
    },
  }),
}));

// ── what attribution and conversion need from the merchant: coupon codes and exchange rates ──

const CouponCodeRef = builder.prismaObject('CouponCode', {
  include: { program: { select: { organizationId: true } } },
  authScopes: (row) => ({ member: row.program.organizationId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    code: t.exposeString('code'),
    description: t.exposeString('description', { nullable: true }),
    enrollment: t.relation('enrollment', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const CreateCouponCodeInput = builder.inputType('CreateCouponCodeInput', {
  fields: (t) => ({
    enrollmentId: t.id({ description: "The affiliate's enrollment: sales with this code are theirs." }),
    code: t.string({ description: 'Stored upper-cased; unique within the program.' }),
    description: t.string({ required: false }),
  }),
  validate: input({
    enrollmentId: id,
    code: couponCodeFormat,
    description: z.string().trim().max(256).nullish(),
  }),
});

const ExchangeRateRef = builder.prismaObject('ExchangeRate', {
  authScopes: (row) => ({ member: row.organizationId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    fromCurrency: t.exposeString('fromCurrency'),
    toCurrency: t.exposeString('toCurrency'),
    rate: t.string({ resolve: (r) => r.rate.toString() }),
    effectiveAt: t.expose('effectiveAt', { type: 'DateTime' }),
  }),
});

const rate = z
  .string()
  .trim()
  .regex(/^\d{1,10}(\.\d{1,8})?$/, 'must be a decimal such as 1.0842 (up to 8 places)')
  .refine((r) => Number(r) > 0, 'must be more than 0');

const SetExchangeRateInput = builder.inputType('SetExchangeRateInput', {
  fields: (t) => ({
    organizationId: t.id(),
    fromCurrency: t.string(),
    toCurrency: t.string(),
    rate: t.string({
      description: 'How many `toCurrency` units one `fromCurrency` unit is worth, as a decimal string.',
    }),
    effectiveAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'Defaults to now; conversions use the latest rate effective at their time.',
    }),
  }),
  validate: input({
    organizationId: id,
    fromCurrency: currency,
    toCurrency: currency,
    rate,
    effectiveAt: z.date().nullish(),
  }).refine((v) => v.fromCurrency !== v.toCurrency, {
    message: 'must differ from fromCurrency',
    path: ['toCurrency'],
  }),
});

builder.mutationFields((t) => ({
  createCouponCode: t.prismaField({
    type: CouponCodeRef,
    description:
      "Ties a coupon code to an affiliate: a sale using it is theirs, even over another affiliate's click.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateCouponCodeInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const enrollment = await prisma.enrollment.findUnique({
        where: { id: String(input.enrollmentId) },
        select: { programId: true, program: { select: { organizationId: true } } },
      });
      requireRole(viewer, enrollment?.program.organizationId, 'ADMIN', 'Enrollment');
      const code = String(input.code);
      await assertCouponFree(prisma, enrollment!.programId, code, 'code');
      try {
        return await prisma.couponCode.create({
          ...query,
          data: {
            programId: enrollment!.programId,
            enrollmentId: String(input.enrollmentId),
            code,
            description: input.description ?? null,
          },
        });
      } catch (error) {
        // Taken between the check and the insert: the unique constraint has the last word.
        if (isUniqueViolation(error)) await assertCouponFree(prisma, enrollment!.programId, code, 'code');
        throw error;
      }
    },
  }),
  setExchangeRate: t.prismaField({
    type: ExchangeRateRef,
    description:
      'Adds a rate for converting conversions reported in another currency than the program’s. Rates are never edited: a new one takes over from its effectiveAt.',
    authScopes: (_root, args) => ({ admin: String(args.input.organizationId) }),
    args: { input: t.arg({ type: SetExchangeRateInput }) },
    resolve: (query, _root, { input }) => {
      const v = input as unknown as {
        organizationId: string;
        fromCurrency: string;
        toCurrency: string;
        rate: string;
        effectiveAt?: Date | null;
      };
      return prisma.exchangeRate.create({
        ...query,
        data: {
          organizationId: v.organizationId,
          fromCurrency: v.fromCurrency,
          toCurrency: v.toCurrency,
          rate: v.rate,
          effectiveAt: v.effectiveAt ?? new Date(),
        },
      });
    },
  }),
}));
