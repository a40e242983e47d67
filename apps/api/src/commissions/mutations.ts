import { z } from 'zod';
import { requireRole, userIdOrNull } from '../auth/access.ts';
import { builder } from '../builder.ts';
import { CommissionRef } from '../conversions/schema.ts';
import { prisma } from '../db.ts';
import { MAX_AMOUNT } from '../programs/money.ts';
import { programForAdmin } from '../programs/mutations.ts';
import { id, input } from '../validation.ts';
import { adjustBalance, approveDue, decideCommission } from './lifecycle.ts';

const reason = z.string().trim().min(1).max(500);

const ApproveCommissionInput = builder.inputType('ApproveCommissionInput', {
  fields: (t) => ({
    commissionId: t.id(),
    reason: t.string({ required: false, description: 'Kept in the commission’s history.' }),
  }),
  validate: input({ commissionId: id, reason: reason.nullish() }),
});

/** The commission, if the viewer administers its program. */
async function commissionForAdmin(viewer: Parameters<typeof requireRole>[0], commissionId: string) {
  const row = await prisma.commission.findUnique({
    where: { id: commissionId },
    select: { program: { select: { organizationId: true } } },
  });
  requireRole(viewer, row?.program.organizationId, 'ADMIN', 'Commission');
}

const ApproveDueCommissionsPayload = builder
  .objectRef<{ approved: number }>('ApproveDueCommissionsPayload')
  .implement({
    fields: (t) => ({
      approved: t.exposeInt('approved', { description: 'How many commissions this call approved.' }),
    }),
  });

builder.mutationFields((t) => ({
  approveCommission: t.prismaField({
    type: CommissionRef,
    description:
      'The merchant approves a pending commission before its holding period ends. CONFLICT unless it is pending.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: ApproveCommissionInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const commissionId = String(input.commissionId);
      await commissionForAdmin(viewer, commissionId);
      await decideCommission(commissionId, 'APPROVE', input.reason ?? null, userIdOrNull(viewer));
      return prisma.commission.findUniqueOrThrow({ ...query, where: { id: commissionId } });
    },
  }),
  rejectCommission: t.prismaField({
    type: CommissionRef,
    description:
      'The merchant rejects a pending commission, with a reason the affiliate can read: it earns nothing. CONFLICT unless it is pending.',
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('RejectCommissionInput', {
          fields: (f) => ({
            commissionId: f.id(),
            reason: f.string({ description: 'Kept in the commission’s history, which the affiliate sees.' }),
          }),
          validate: input({ commissionId: id, reason }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, { viewer }) => {
      const commissionId = String(input.commissionId);
      await commissionForAdmin(viewer, commissionId);
      await decideCommission(commissionId, 'REJECT', input.reason, userIdOrNull(viewer));
      return prisma.commission.findUniqueOrThrow({ ...query, where: { id: commissionId } });
    },
  }),
  approveDueCommissions: t.field({
    type: ApproveDueCommissionsPayload,
    description:
      'Runs the scheduled approval now for one program: pending commissions whose holding period has ended become approved. The server also does this on its own every COMMISSION_JOBS_INTERVAL_MS.',
    authScopes: { authenticated: true },
    args: { programId: t.arg.id({ validate: id }) },
    resolve: async (_root, args, { viewer }) => {
      const program = await programForAdmin(viewer, String(args.programId));
      return { approved: await approveDue({ programId: program.id }) };
    },
  }),
  adjustAffiliateBalance: t.field({
    type: builder.objectRef<{ commissionId: string | null }>('AdjustAffiliateBalancePayload').implement({
      fields: (f) => ({
        commission: f.field({
          type: CommissionRef,
          nullable: true,
          description: 'The approved ADJUSTMENT commission of a credit; null for a debit.',
          resolve: (p) =>
            p.commissionId
              ? prisma.commission.findUniqueOrThrow({
                  where: { id: p.commissionId },
                  include: {
                    program: { select: { organizationId: true } },
                    enrollment: { select: { affiliate: { select: { organizationId: true } } } },
                  },
                })
              : null,
        }),
      }),
    }),
    description:
      'The merchant credits an affiliate (an approved ADJUSTMENT commission, paid with the next payout) or debits it (owed back, recovered from the next payout), with a reason kept in the ledger.',
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('AdjustAffiliateBalanceInput', {
          fields: (f) => ({
            enrollmentId: f.id(),
            amount: f.int({
              description: 'Minor units of the program currency: positive credits, negative debits.',
            }),
            reason: f.string(),
          }),
          validate: input({
            enrollmentId: id,
            amount: z
              .number()
              .int('must be a whole number of minor units')
              .refine((n) => n !== 0, 'must not be 0')
              .refine(
                (n) => Math.abs(n) <= MAX_AMOUNT,
                `must be at most ${MAX_AMOUNT} minor units either way`,
              ),
            reason,
          }),
        }),
      }),
    },
    resolve: async (_root, { input }, { viewer }) => {
      const enrollment = await prisma.enrollment.findUnique({
        where: { id: String(input.enrollmentId) },
        select: { status: true, program: { select: { organizationId: true } } },
      });
      requireRole(viewer, enrollment?.program.organizationId, 'ADMIN', 'Enrollment');
      return adjustBalance(String(input.enrollmentId), input.amount, input.reason, userIdOrNull(viewer));
    },
  }),
}));
