import { z } from 'zod';
import { requireRole, userIdOrNull } from '../auth/access.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { id, input } from '../validation.ts';
import { approvePayout, markItemFailed, markItemPaid, startProcessing } from './lifecycle.ts';
import { runPayout } from './run.ts';
import { PayoutItemRef, PayoutRef } from './schema.ts';

const RunPayoutInput = builder.inputType('RunPayoutInput', {
  fields: (t) => ({
    organizationId: t.id({ description: 'The merchant.' }),
    programId: t.id({ required: false, description: 'One program; all of the merchant’s when left out.' }),
    cutoffAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'Pay commissions whose holding period ended by then. Defaults to now.',
    }),
  }),
  validate: input({
    organizationId: id,
    programId: id.nullish(),
    cutoffAt: z
      .date()
      .refine((d) => d.getTime() <= Date.now(), 'must not be in the future')
      .nullish(),
  }),
});

const RunPayoutPayload = builder
  .objectRef<{ payoutId: string | null; items: number; rolledOver: number }>('RunPayoutPayload')
  .implement({
    fields: (t) => ({
      payout: t.field({
        type: PayoutRef,
        nullable: true,
        description: 'The new draft batch; null when no affiliate reached its payout threshold.',
        resolve: (p) => (p.payoutId ? prisma.payout.findUniqueOrThrow({ where: { id: p.payoutId } }) : null),
      }),
      items: t.exposeInt('items'),
      rolledOver: t.exposeInt('rolledOver', {
        description: 'Affiliates whose balance stays below the threshold, carried to a later run.',
      }),
    }),
  });

async function payoutForAdmin(viewer: Viewer, payoutId: string) {
  const payout = await prisma.payout.findUnique({
    where: { id: payoutId },
    select: { organizationId: true },
  });
  requireRole(viewer, payout?.organizationId, 'ADMIN', 'Payout');
}

async function itemForAdmin(viewer: Viewer, itemId: string) {
  const item = await prisma.payoutItem.findUnique({
    where: { id: itemId },
    select: { payout: { select: { organizationId: true } } },
  });
  requireRole(viewer, item?.payout.organizationId, 'ADMIN', 'Payout item');
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

builder.mutationFields((t) => ({
  runPayout: t.field({
    type: RunPayoutPayload,
    description:
      'Makes a draft batch of what the merchant owes its affiliates: approved commissions past their holding period, less clawbacks, one item per affiliate and currency at or above the payout threshold. A commission is never in two batches, even when runs are started together.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RunPayoutInput }) },
    resolve: async (_root, { input }, { viewer }) => {
      const organizationId = String(input.organizationId);
      requireRole(viewer, organizationId, 'ADMIN', 'Organization');
      if (input.programId) {
        const program = await prisma.program.findUnique({
          where: { id: String(input.programId) },
          select: { organizationId: true },
        });
        if (program?.organizationId !== organizationId) requireRole(viewer, undefined, 'ADMIN', 'Program');
      }
      return runPayout({
        organizationId,
        programId: input.programId ? String(input.programId) : null,
        cutoffAt: input.cutoffAt ?? new Date(),
        createdById: userIdOrNull(viewer),
      });
    },
  }),
  approvePayout: t.prismaField({
    type: PayoutRef,
    description: 'DRAFT → APPROVED.',
    authScopes: { authenticated: true },
    args: { payoutId: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      await payoutForAdmin(viewer, String(args.payoutId));
      await approvePayout(String(args.payoutId));
      return prisma.payout.findUniqueOrThrow({ ...query, where: { id: String(args.payoutId) } });
    },
  }),
  startPayoutProcessing: t.prismaField({
    type: PayoutRef,
    description: 'APPROVED → PROCESSING: the file went to the bank or provider.',
    authScopes: { authenticated: true },
    args: { payoutId: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      await payoutForAdmin(viewer, String(args.payoutId));
      await startProcessing(String(args.payoutId));
      return prisma.payout.findUniqueOrThrow({ ...query, where: { id: String(args.payoutId) } });
    },
  }),
  markPayoutItemPaid: t.prismaField({
    type: PayoutItemRef,
    description: "Records a payment with the bank's or provider's reference; its commissions become PAID.",
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('MarkPayoutItemPaidInput', {
          fields: (f) => ({ itemId: f.id(), externalReference: f.string() }),
          validate: input({ itemId: id, externalReference: text(128) }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, { viewer }) => {
      const itemId = String(input.itemId);
      await itemForAdmin(viewer, itemId);
      await markItemPaid(itemId, input.externalReference, userIdOrNull(viewer));
      return prisma.payoutItem.findUniqueOrThrow({ ...query, where: { id: itemId } });
    },
  }),
  markPayoutItemFailed: t.prismaField({
    type: PayoutItemRef,
    description: 'Records a failed payment: its commissions return to the approved balance for a later run.',
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('MarkPayoutItemFailedInput', {
          fields: (f) => ({ itemId: f.id(), reason: f.string() }),
          validate: input({ itemId: id, reason: text(500) }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, { viewer }) => {
      const itemId = String(input.itemId);
      await itemForAdmin(viewer, itemId);
      await markItemFailed(itemId, input.reason);
      return prisma.payoutItem.findUniqueOrThrow({ ...query, where: { id: itemId } });
    },
  }),
}));
