import { actsFor } from '../auth/scopes.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { canSeeEnrollment } from '../enrollments/schema.ts';
import {
  AdjustmentKind,
  AttributionMethod,
  CommissionKind,
  CommissionStatus,
  ConversionKind,
  ConversionSource,
  ConversionStatus,
} from '../generated/prisma/client.ts';

const parties = {
  program: { select: { organizationId: true } },
} as const;

builder.enumType(ConversionKind, { name: 'ConversionKind' });
builder.enumType(ConversionSource, {
  name: 'ConversionSource',
  description: 'SNIPPET: the browser snippet. API: server to server.',
});
builder.enumType(ConversionStatus, {
  name: 'ConversionStatus',
  description: 'HELD: waiting in the fraud review queue. REJECTED: earns nothing.',
});
builder.enumType(AttributionMethod, {
  name: 'AttributionMethod',
  description:
    "How the conversion found its affiliate: CLICK (a click id inside the cookie window), COUPON (an affiliate's coupon code), CUSTOMER (a customer already attributed), NONE (unattributed).",
});
builder.enumType(CommissionKind, { name: 'CommissionKind' });
export const AdjustmentKindEnum = builder.enumType(AdjustmentKind, { name: 'AdjustmentKind' });
builder.enumType(CommissionStatus, {
  name: 'CommissionStatus',
  description:
    'PENDING until the holding period ends, then APPROVED; PAID by a payout; REJECTED or REVERSED earn nothing.',
});

interface Contact {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  company?: string | null;
}

const LeadContact = builder.objectRef<Contact>('LeadContact').implement({
  fields: (t) => ({
    name: t.string({ nullable: true, resolve: (c) => c.name ?? null }),
    email: t.string({ nullable: true, resolve: (c) => c.email ?? null }),
    phone: t.string({ nullable: true, resolve: (c) => c.phone ?? null }),
    company: t.string({ nullable: true, resolve: (c) => c.company ?? null }),
  }),
});

/** Visible to the merchant, and to the affiliate it is attributed to. */
export const canSeeConversion = (
  viewer: Parameters<typeof actsFor>[0],
  row: { program: { organizationId: string }; enrollment: { affiliate: { organizationId: string } } | null },
) =>
  actsFor(viewer, row.program.organizationId) ||
  (row.enrollment !== null && actsFor(viewer, row.enrollment.affiliate.organizationId)) ||
  (viewer.kind === 'user' && viewer.isNetworkAdmin);

export const ConversionRef = builder.prismaObject('Conversion', {
  include: { ...parties, enrollment: { select: { affiliate: { select: { organizationId: true } } } } },
  authScopes: (row, { viewer }) => canSeeConversion(viewer, row),
  fields: (t) => {
    // What the merchant knows about its customer stays with the merchant.
    const merchantOnly = <T>(
      row: { program: { organizationId: string } },
      viewer: Parameters<typeof actsFor>[0],
      value: T,
    ) => (actsFor(viewer, row.program.organizationId) ? value : null);
    return {
      id: t.exposeID('id'),
      kind: t.expose('kind', { type: ConversionKind }),
      externalId: t.exposeString('externalId', { description: "The merchant's order id or lead id." }),
      status: t.expose('status', { type: ConversionStatus }),
      source: t.expose('source', { type: ConversionSource }),
      occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
      attribution: t.expose('attribution', { type: AttributionMethod }),
      clickId: t.exposeID('clickId', { nullable: true }),
      amount: t.exposeInt('amount', { nullable: true, description: 'In `currency`, minor units.' }),
      currency: t.exposeString('currency', { nullable: true }),
      programAmount: t.exposeInt('programAmount', {
        nullable: true,
        description:
          "The amount in the program's currency (converted with the merchant's rate when it differs).",
      }),
      exchangeRate: t.string({ nullable: true, resolve: (c) => c.exchangeRate?.toString() ?? null }),
      isRenewal: t.exposeBoolean('isRenewal', {
        description: 'A repeat sale of a customer already attributed: it earns the recurring commission.',
      }),
      consent: t.exposeBoolean('consent'),
      contact: t.field({
        type: LeadContact,
        nullable: true,
        description: "A lead's contact details, kept only with consent; the merchant's eyes only.",
        resolve: (c, _args, { viewer }) => merchantOnly(c, viewer, (c.contact as Contact | null) ?? null),
      }),
      enrollment: t.relation('enrollment', { nullable: true }),
      commissions: t.relation('commissions', { query: { orderBy: { id: 'asc' } } }),
      adjustments: t.relation('adjustments', { query: { orderBy: { id: 'asc' } } }),
      refundedAmount: t.int({
        description: 'Refunded and charged back so far, in `currency`.',
        select: { adjustments: { select: { amount: true } } },
        resolve: (c) => c.adjustments.reduce((sum, a) => sum + a.amount, 0),
      }),
    };
  },
});

export const ConversionAdjustmentRef = builder.prismaObject('ConversionAdjustment', {
  include: {
    conversion: {
      select: {
        program: { select: { organizationId: true } },
        enrollment: { select: { affiliate: { select: { organizationId: true } } } },
      },
    },
  },
  authScopes: (row, { viewer }) => canSeeConversion(viewer, row.conversion),
  description: 'A refund or chargeback of a sale.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: AdjustmentKindEnum }),
    refundId: t.exposeString('externalId', { description: "The merchant's refund id." }),
    amount: t.exposeInt('amount', { description: 'Minor units of the sale’s currency.' }),
    reason: t.exposeString('reason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const CommissionRef = builder.prismaObject('Commission', {
  include: {
    program: { select: { organizationId: true } },
    enrollment: { select: { affiliate: { select: { organizationId: true } } } },
  },
  authScopes: (row, { viewer }) =>
    canSeeEnrollment(viewer, { program: row.program, affiliate: row.enrollment.affiliate }),
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: CommissionKind }),
    status: t.expose('status', { type: CommissionStatus }),
    amount: t.exposeInt('amount', {
      description: 'Minor units of `currency` (the program currency), net of reversals.',
    }),
    currency: t.exposeString('currency'),
    holdUntil: t.expose('holdUntil', {
      type: 'DateTime',
      description: 'Approved automatically after this time.',
    }),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'How it was computed, or why it was rejected.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    conversion: t.relation('conversion', { nullable: true }),
    enrollment: t.relation('enrollment'),
  }),
});

builder.prismaObjectFields('Program', (t) => ({
  conversions: t.prismaConnection({
    type: ConversionRef,
    cursor: 'id',
    description: "The program's conversions, newest first, attributed or not (the merchant's view).",
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    resolve: (query, program) =>
      prisma.conversion.findMany({ ...query, where: { programId: program.id }, orderBy: { id: 'desc' } }),
  }),
}));

builder.prismaObjectFields('Enrollment', (t) => ({
  conversions: t.relatedConnection('conversions', { cursor: 'id', query: { orderBy: { id: 'desc' } } }),
  commissions: t.relatedConnection('commissions', { cursor: 'id', query: { orderBy: { id: 'desc' } } }),
}));
