import { actsFor } from '../auth/scopes.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { notFound } from '../errors.ts';
import { PayoutItemStatus, PayoutStatus } from '../generated/prisma/client.ts';
import { type Balance, balances } from '../ledger/check.ts';
import { PayoutMethodEnum } from '../programs/enums.ts';
import { id } from '../validation.ts';
import { payoutCsv, paypalPayoutFile } from './csv.ts';

const PayoutStatusEnum = builder.enumType(PayoutStatus, {
  name: 'PayoutStatus',
  description: 'DRAFT → APPROVED → PROCESSING → PAID, FAILED or PARTIALLY_PAID once every item is settled.',
});
const PayoutItemStatusEnum = builder.enumType(PayoutItemStatus, { name: 'PayoutItemStatus' });

export const PayoutRef = builder.prismaObject('Payout', {
  authScopes: (payout) => ({ member: payout.organizationId, networkAdmin: true }),
  description: "A merchant's batch of payments to affiliates.",
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: PayoutStatusEnum }),
    cutoffAt: t.expose('cutoffAt', {
      type: 'DateTime',
      description: 'Commissions whose holding period ended by then were included.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    approvedAt: t.expose('approvedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    program: t.relation('program', { nullable: true }),
    items: t.relation('items', { query: { orderBy: { id: 'asc' } } }),
    paypalFile: t.field({
      type: PaypalFile,
      description: "The open items to be paid through PayPal, in PayPal Payouts' mass-payment format.",
      select: {
        id: true,
        items: {
          orderBy: { id: 'asc' },
          include: { payout: { select: { program: { select: { name: true } } } } },
        },
      },
      resolve: (payout) => {
        const open = payout.items.filter((i) => i.status === 'PENDING' || i.status === 'PROCESSING');
        const paypal = open.filter((i) => i.payoutMethod === 'PAYPAL' && i.paypalEmail);
        return {
          file: paypalPayoutFile(
            paypal.map((i) => ({
              itemId: i.id,
              paypalEmail: i.paypalEmail!,
              amount: i.amount,
              currency: i.currency,
              note: `Affiliate commissions${i.payout.program ? ` (${i.payout.program.name})` : ''}`,
            })),
          ),
          included: paypal.length,
          left: open.filter((i) => !paypal.includes(i)).map((i) => i.id),
        };
      },
    }),
    csv: t.string({
      description: 'The batch as CSV, one row per item, amounts in major and minor units.',
      select: {
        id: true,
        items: {
          orderBy: { id: 'asc' },
          include: { affiliate: { select: { displayName: true, contactEmail: true } } },
        },
      },
      resolve: (payout) =>
        payoutCsv(
          payout.items.map((i) => ({
            payoutId: payout.id,
            itemId: i.id,
            affiliateId: i.affiliateId,
            affiliateName: i.affiliate.displayName,
            affiliateEmail: i.affiliate.contactEmail,
            currency: i.currency,
            amount: i.amount,
            payoutMethod: i.payoutMethod,
            payoutReference: i.payoutReference,
            status: i.status,
            externalReference: i.externalReference,
          })),
        ),
    }),
  }),
});

const PaypalFile = builder
  .objectRef<{ file: string; included: number; left: string[] }>('PaypalPayoutFile')
  .implement({
    fields: (t) => ({
      file: t.exposeString('file', { description: 'Upload as a PayPal Payouts CSV file.' }),
      included: t.exposeInt('included', { description: 'Items in the file.' }),
      left: t.exposeIDList('left', {
        description: 'Items not paid by PayPal, or with no PayPal address: pay them another way.',
      }),
    }),
  });

export const PayoutItemRef = builder.prismaObject('PayoutItem', {
  include: {
    payout: { select: { organizationId: true } },
    affiliate: { select: { organizationId: true } },
  },
  // The merchant that pays and the affiliate that is paid.
  authScopes: (item, { viewer }) =>
    actsFor(viewer, item.payout.organizationId) ||
    actsFor(viewer, item.affiliate.organizationId) ||
    (viewer.kind === 'user' && viewer.isNetworkAdmin),
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: PayoutItemStatusEnum }),
    currency: t.exposeString('currency'),
    amount: t.exposeInt('amount', {
      description: 'Paid, in minor units: the approved commissions less what the affiliate owed back.',
    }),
    payoutMethod: t.expose('payoutMethod', { type: PayoutMethodEnum, nullable: true }),
    payoutReference: t.exposeString('payoutReference', {
      nullable: true,
      description: "Masked, as on the affiliate's profile when the batch was made.",
    }),
    externalReference: t.exposeString('externalReference', {
      nullable: true,
      description: "The bank's or provider's reference, recorded when paid.",
    }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    paidAt: t.expose('paidAt', { type: 'DateTime', nullable: true }),
    // The merchant that pays an affiliate may read its profile, as through an enrollment.
    affiliate: t.relation('affiliate', { grantScopes: ['readAffiliate'] }),
    commissions: t.relation('commissions', { query: { orderBy: { id: 'asc' } } }),
  }),
});

const BalanceRef = builder.objectRef<Balance>('Balance').implement({
  description: 'Money of one affiliate in one program and currency, summed from the ledger (minor units).',
  fields: (t) => ({
    affiliateId: t.exposeID('affiliateId'),
    programId: t.exposeID('programId'),
    currency: t.exposeString('currency'),
    pending: t.exposeInt('pending', { description: 'Earned, in the holding period.' }),
    approved: t.exposeInt('approved', { description: 'Approved, not yet paid.' }),
    paid: t.exposeInt('paid', { description: 'Paid out, net of recovered clawbacks.' }),
    owed: t.exposeInt('owed', { description: 'Refunded after payment: recovered from the next payout.' }),
  }),
});

builder.prismaObjectFields('Organization', (t) => ({
  payouts: t.relatedConnection('payouts', {
    cursor: 'id',
    description: "The merchant's payout batches, newest first.",
    query: { orderBy: { id: 'desc' } },
  }),
}));

builder.prismaObjectFields('Program', (t) => ({
  balances: t.field({
    type: [BalanceRef],
    description: "Every affiliate's balances in this program (the merchant's view).",
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    resolve: (program) => balances(prisma, { programId: program.id }),
  }),
}));

builder.prismaObjectFields('AffiliateProfile', (t) => ({
  balances: t.field({
    type: [BalanceRef],
    description: 'The affiliate’s balances, per program and currency.',
    authScopes: (profile) => ({ member: profile.organizationId, networkAdmin: true }),
    resolve: (profile) => balances(prisma, { affiliateId: profile.id }),
  }),
  payoutItems: t.relatedConnection('payoutItems', {
    cursor: 'id',
    description: 'What the affiliate was paid, or is about to be, newest first.',
    authScopes: (profile) => ({ member: profile.organizationId, networkAdmin: true }),
    query: { orderBy: { id: 'desc' } },
  }),
  statement: t.relatedConnection('ledgerEntries', {
    cursor: 'id',
    description: "The affiliate's statement: every ledger entry, newest first.",
    authScopes: (profile) => ({ member: profile.organizationId, networkAdmin: true }),
    query: { orderBy: { id: 'desc' } },
  }),
}));

builder.queryField('payout', (t) =>
  t.prismaField({
    type: PayoutRef,
    description: "One of the merchant's payout batches.",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      const payout = await prisma.payout.findUnique({ ...query, where: { id: String(args.id) } });
      if (!payout || !actsFor(viewer, payout.organizationId)) throw notFound('Payout');
      return payout;
    },
  }),
);
