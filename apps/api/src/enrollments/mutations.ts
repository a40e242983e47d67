import { z } from 'zod';
import { actorOf, requireRole } from '../auth/access.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { AppError, conflict, invalidInput, notFound } from '../errors.ts';
import type { EnrollmentStatus, Prisma } from '../generated/prisma/client.ts';
import { invalidate } from '../invalidation.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { canSeeProgram } from '../programs/schema.ts';
import { isListed } from '../programs/visibility.ts';
import { id, input } from '../validation.ts';
import { emit, enrollmentOrganizations, toEach } from '../webhooks/outbox.ts';
import { referralCode } from './referral-code.ts';
import { EnrollmentRef, enrollmentParties } from './schema.ts';
import { actingSide } from './side.ts';
import { type EnrollmentAction, type Side, transition } from './transitions.ts';

type Tx = Prisma.TransactionClient;
const reason = z.string().trim().max(1000, 'must be at most 1000 characters').nullish();
const message = z.string().trim().max(2000, 'must be at most 2000 characters').nullish();

function refuse(result: Exclude<ReturnType<typeof transition>, { ok: true }>): never {
  if (result.reason === 'wrong-side') throw new AppError('FORBIDDEN', result.message);
  if (result.reason === 'reason-required')
    throw invalidInput([{ path: 'input.reason', message: 'is required' }]);
  throw conflict(result.message);
}

/** Moves an enrollment to `to` if it is still in `from`, and records who did it and why. */
async function move(
  tx: Tx,
  viewer: Viewer | null,
  enrollmentId: string,
  from: EnrollmentStatus,
  to: EnrollmentStatus,
  why?: string | null,
) {
  const updated = await tx.enrollment.updateMany({
    where: { id: enrollmentId, status: from },
    data: { status: to },
  });
  if (updated.count === 0) throw conflict('The enrollment changed meanwhile; reload it and try again');
  await tx.enrollmentEvent.create({
    data: {
      enrollmentId,
      fromStatus: from,
      toStatus: to,
      reason: why ?? null,
      ...(viewer ? actorOf(viewer) : {}),
    },
  });
  if (to === 'APPROVED')
    await emit(
      tx,
      toEach(await enrollmentOrganizations(tx, enrollmentId), 'ENROLLMENT_APPROVED', {
        enrollmentId,
        previousStatus: from,
      }),
    );
}

/** A status change on an existing enrollment, by the side the viewer acts for. */
async function changeStatus(
  viewer: Viewer,
  enrollmentId: string,
  action: EnrollmentAction,
  why?: string | null,
) {
  const enrollment = await enrollmentParties(viewer, enrollmentId);
  const side = actingSide(viewer, enrollment);
  const result = transition(action, side, enrollment.status, why);
  if (!result.ok) refuse(result);
  await prisma.$transaction((tx) => move(tx, viewer, enrollment.id, enrollment.status, result.to, why));
  invalidate({ enrollment: enrollment.id }); // a suspended affiliate's links stop at once
  return enrollment.id;
}

/**
 * Creates the enrollment (or revives a withdrawn or rejected one) in `to`, with a referral
 * code unique within the program; a program with auto-approve approves applications at once.
 */
async function enter(
  viewer: Viewer,
  program: { id: string; autoApprove: boolean },
  affiliate: { id: string; displayName: string },
  action: 'apply' | 'invite',
  side: Side,
  applicationMessage: string | null,
) {
  const existing = await prisma.enrollment.findUnique({
    where: { programId_affiliateId: { programId: program.id, affiliateId: affiliate.id } },
  });
  if (action === 'apply' && existing?.status === 'INVITED')
    return changeStatus(viewer, existing.id, 'accept');
  const result = transition(action, side, existing?.status ?? null);
  if (!result.ok) refuse(result);
  const autoApprove = action === 'apply' && program.autoApprove;
  for (let attempt = 0; ; attempt++) {
    try {
      const enrolled = await prisma.$transaction(async (tx) => {
        let enrollmentId: string;
        if (existing) {
          await move(tx, viewer, existing.id, existing.status, result.to);
          await tx.enrollment.update({ where: { id: existing.id }, data: { applicationMessage } });
          enrollmentId = existing.id;
        } else {
          const created = await tx.enrollment.create({
            data: {
              programId: program.id,
              affiliateId: affiliate.id,
              status: result.to,
              referralCode: referralCode(affiliate.displayName, attempt),
              applicationMessage,
              events: { create: { toStatus: result.to, ...actorOf(viewer) } },
            },
          });
          enrollmentId = created.id;
        }
        if (autoApprove)
          await move(
            tx,
            null,
            enrollmentId,
            'PENDING',
            'APPROVED',
            'The program approves applications automatically',
          );
        return enrollmentId;
      });
      invalidate({ enrollment: enrolled });
      return enrolled;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const target = `${(error as Error).message} ${JSON.stringify((error as { meta?: unknown }).meta ?? {})}`;
      if (target.includes('referralCode') && attempt < 5) continue;
      throw conflict('The affiliate already has an enrollment in this program');
    }
  }
}

const ApplyInput = builder.inputType('ApplyToProgramInput', {
  fields: (t) => ({
    programId: t.id(),
    affiliateOrganizationId: t.id({
      description: 'The organization applying, which must have an affiliate profile.',
    }),
    message: t.string({ required: false }),
  }),
  validate: input({ programId: id, affiliateOrganizationId: id, message }),
});

const InviteInput = builder.inputType('InviteAffiliateInput', {
  fields: (t) => ({
    programId: t.id(),
    affiliateId: t.id({ description: 'The affiliate profile to invite.' }),
    message: t.string({ required: false }),
  }),
  validate: input({ programId: id, affiliateId: id, message }),
});

const ReasonInput = builder.inputType('EnrollmentDecisionInput', {
  fields: (t) => ({ enrollmentId: t.id(), reason: t.string({ required: false }) }),
  validate: input({ enrollmentId: id, reason }),
});

const decisions: [string, EnrollmentAction, string][] = [
  ['approveEnrollment', 'approve', 'Merchant: approves a pending application.'],
  ['rejectEnrollment', 'reject', 'Merchant: rejects a pending application; a reason is required.'],
  ['suspendEnrollment', 'suspend', 'Merchant: suspends an approved affiliate; a reason is required.'],
  ['reinstateEnrollment', 'reinstate', 'Merchant: reinstates a suspended affiliate.'],
  ['acceptInvitation', 'accept', "Affiliate: accepts a merchant's invitation."],
  [
    'withdrawEnrollment',
    'withdraw',
    'Affiliate: withdraws an application, declines an invitation, or leaves a program.',
  ],
];

builder.mutationFields((t) => ({
  applyToProgram: t.prismaField({
    type: EnrollmentRef,
    description:
      'An affiliate applies to a listed program (or accepts its invitation to an invite-only one).',
    authScopes: (_root, args) => ({ admin: String(args.input.affiliateOrganizationId) }),
    args: { input: t.arg({ type: ApplyInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const organizationId = String(input.affiliateOrganizationId);
      const program = await prisma.program.findUnique({ where: { id: String(input.programId) } });
      if (!program || !(await canSeeProgram(viewer, program))) throw notFound('Program');
      const affiliate = await prisma.affiliateProfile.findUnique({ where: { organizationId } });
      if (!affiliate)
        throw conflict('Create an affiliate profile for the organization first (upsertAffiliateProfile)');
      if (program.organizationId === organizationId)
        throw conflict('An organization cannot join its own program');
      const invited = await prisma.enrollment.count({
        where: { programId: program.id, affiliateId: affiliate.id, status: 'INVITED' },
      });
      if (!invited && !isListed(program)) throw conflict('The program is not open for applications');
      const enrollmentId = await enter(
        viewer,
        program,
        affiliate,
        'apply',
        'AFFILIATE',
        input.message ?? null,
      );
      return prisma.enrollment.findUniqueOrThrow({ ...query, where: { id: enrollmentId } });
    },
  }),
  inviteAffiliate: t.prismaField({
    type: EnrollmentRef,
    description: 'A merchant invites an affiliate to a program; the affiliate accepts with acceptInvitation.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: InviteInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const program = await prisma.program.findUnique({ where: { id: String(input.programId) } });
      requireRole(viewer, program?.organizationId, 'ADMIN', 'Program');
      if (program!.status === 'ARCHIVED') throw conflict('The program is archived');
      // An affiliate whose account was deleted (its organization closed) cannot be invited back.
      const affiliate = await prisma.affiliateProfile.findFirst({
        where: { id: String(input.affiliateId), organization: { deletedAt: null } },
      });
      if (!affiliate) throw notFound('Affiliate');
      if (affiliate.organizationId === program!.organizationId)
        throw conflict('An organization cannot join its own program');
      const enrollmentId = await enter(
        viewer,
        program!,
        affiliate,
        'invite',
        'MERCHANT',
        input.message ?? null,
      );
      return prisma.enrollment.findUniqueOrThrow({ ...query, where: { id: enrollmentId } });
    },
  }),
  ...Object.fromEntries(
    decisions.map(([name, action, description]) => [
      name,
      t.prismaField({
        type: EnrollmentRef,
        description,
        authScopes: { authenticated: true },
        args: { input: t.arg({ type: ReasonInput }) },
        resolve: async (query, _root, { input }, { viewer }) => {
          const enrollmentId = await changeStatus(viewer, String(input.enrollmentId), action, input.reason);
          return prisma.enrollment.findUniqueOrThrow({ ...query, where: { id: enrollmentId } });
        },
      }),
    ]),
  ),
}));
