import { z } from 'zod';
import { userIdOrNull } from '../auth/access.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { enrollmentParties } from '../enrollments/schema.ts';
import { actingSide } from '../enrollments/side.ts';
import { AppError, conflict, invalidInput, notFound } from '../errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { assertCouponFree } from '../programs/coupons.ts';
import { effectiveAt } from '../programs/inputs.ts';
import {
  applyChanges,
  type TermsChanges,
  termsChangesSchema,
  termsFromRow,
  termsToColumns,
} from '../programs/terms.ts';
import { termsIdInForce } from '../programs/terms-in-force.ts';
import { TermsChangesInput } from '../programs/terms-schema.ts';
import { id, input } from '../validation.ts';
import { emit, toEach } from '../webhooks/outbox.ts';
import { mayAnswer, type ProposalAction } from './rules.ts';
import { TermsProposalRef } from './schema.ts';

type Tx = Prisma.TransactionClient;
const negotiable = ['INVITED', 'PENDING', 'APPROVED'];

/** The terms that apply to the enrollment at `at`, as data. */
async function termsFor(tx: Tx, enrollment: { id: string; programId: string }, at: Date) {
  const id = await termsIdInForce(tx, enrollment, at);
  if (!id) throw conflict('The program has no terms in force yet');
  return termsFromRow(
    await tx.commissionTerms.findUniqueOrThrow({ where: { id }, include: { tiers: true } }),
  );
}

// Checks the proposal against the terms in force now, so an impossible combination (tiers in
// flat amounts on a percentage commission, say) is refused when proposed, not when accepted.
async function checkChanges(tx: Tx, enrollment: { id: string; programId: string }, changes: TermsChanges) {
  const { issues } = applyChanges(await termsFor(tx, enrollment, new Date()), changes);
  if (issues.length)
    throw invalidInput(
      issues.map((i) => ({ path: `input.changes.${i.path.join('.')}`, message: i.message })),
    );
  if (changes.couponCode) await assertCouponFree(tx, enrollment.programId, changes.couponCode, 'couponCode');
}

// One open proposal per enrollment: the row lock makes two concurrent proposals queue.
async function lockEnrollment(tx: Tx, enrollmentId: string) {
  await tx.$queryRaw`SELECT id FROM "Enrollment" WHERE id = ${enrollmentId}::uuid FOR UPDATE`;
}

async function createProposal(
  tx: Tx,
  viewer: Viewer,
  enrollment: Awaited<ReturnType<typeof enrollmentParties>>,
  values: { changes: TermsChanges; message?: string | null; effectiveAt?: Date | null },
  counterOfId: string | null,
) {
  const side = actingSide(viewer, enrollment);
  const proposal = await tx.termsProposal.create({
    data: {
      enrollmentId: enrollment.id,
      side,
      organizationId:
        side === 'MERCHANT' ? enrollment.program.organizationId : enrollment.affiliate.organizationId,
      authorId: userIdOrNull(viewer),
      counterOfId,
      changes: values.changes as Prisma.InputJsonValue,
      message: values.message ?? null,
      effectiveAt: values.effectiveAt ?? null,
    },
  });
  await emit(
    tx,
    toEach([enrollment.program.organizationId, enrollment.affiliate.organizationId], 'TERMS_PROPOSED', {
      proposalId: proposal.id,
      enrollmentId: enrollment.id,
      side,
      changes: values.changes,
      counterOfId,
    }),
  );
  return proposal;
}

/** Loads a proposal the viewer may answer with `action`, and locks its enrollment. */
async function answerable(tx: Tx, viewer: Viewer, proposalId: string, action: ProposalAction) {
  const proposal = await tx.termsProposal.findUnique({ where: { id: proposalId } });
  if (!proposal) throw notFound('Proposal');
  const enrollment = await enrollmentParties(viewer, proposal.enrollmentId, tx);
  await lockEnrollment(tx, enrollment.id);
  const current = await tx.termsProposal.findUniqueOrThrow({ where: { id: proposalId } });
  const allowed = mayAnswer(action, current, actingSide(viewer, enrollment));
  if (!allowed.ok) throw new AppError(allowed.code, allowed.message);
  return { proposal: current, enrollment };
}

const decide = (
  tx: Tx,
  viewer: Viewer,
  proposalId: string,
  status: 'ACCEPTED' | 'REJECTED' | 'COUNTERED' | 'WITHDRAWN',
  reason?: string | null,
) =>
  tx.termsProposal.update({
    where: { id: proposalId },
    data: {
      status,
      decidedAt: new Date(),
      decidedById: userIdOrNull(viewer),
      decisionReason: reason ?? null,
    },
  });

/** Accepting creates the enrollment's next terms version (and its coupon code) in one step. */
async function accept(tx: Tx, viewer: Viewer, proposalId: string) {
  const { proposal, enrollment } = await answerable(tx, viewer, proposalId, 'accept');
  const now = new Date();
  const at = proposal.effectiveAt && proposal.effectiveAt > now ? proposal.effectiveAt : now;
  const changes = proposal.changes as TermsChanges;
  const { terms, issues } = applyChanges(await termsFor(tx, enrollment, at), changes);
  if (issues.length)
    throw conflict('The terms changed since this proposal was made; counter it with valid terms', { issues });
  const last = await tx.commissionTerms.findFirst({
    where: { enrollmentId: enrollment.id },
    orderBy: { version: 'desc' },
    select: { version: true },
  });
  await tx.commissionTerms.create({
    data: {
      ...termsToColumns(terms),
      programId: enrollment.programId,
      enrollmentId: enrollment.id,
      version: (last?.version ?? 0) + 1,
      effectiveAt: at,
      createdById: userIdOrNull(viewer),
      proposalId: proposal.id,
    },
  });
  if (changes.couponCode) {
    await tx.couponCode.create({
      data: {
        programId: enrollment.programId,
        enrollmentId: enrollment.id,
        code: changes.couponCode,
        description: 'Negotiated exclusive code',
      },
    });
  }
  await emit(
    tx,
    toEach([enrollment.program.organizationId, enrollment.affiliate.organizationId], 'TERMS_ACCEPTED', {
      proposalId: proposal.id,
      enrollmentId: enrollment.id,
      effectiveAt: at.toISOString(),
      changes,
    }),
  );
  return decide(tx, viewer, proposal.id, 'ACCEPTED');
}

const message = z.string().trim().max(2000, 'must be at most 2000 characters').nullish();
const reason = z.string().trim().max(1000, 'must be at most 1000 characters').nullish();

const ProposeInput = builder.inputType('ProposeTermsInput', {
  fields: (t) => ({
    enrollmentId: t.id(),
    changes: t.field({ type: TermsChangesInput }),
    message: t.string({ required: false }),
    effectiveAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'On acceptance when left out; never in the past.',
    }),
  }),
  validate: input({ enrollmentId: id, changes: termsChangesSchema, message, effectiveAt }),
});

const CounterInput = builder.inputType('CounterProposalInput', {
  fields: (t) => ({
    proposalId: t.id(),
    changes: t.field({ type: TermsChangesInput }),
    message: t.string({ required: false }),
    effectiveAt: t.field({ type: 'DateTime', required: false }),
  }),
  validate: input({ proposalId: id, changes: termsChangesSchema, message, effectiveAt }),
});

const AnswerInput = builder.inputType('AnswerProposalInput', {
  fields: (t) => ({ proposalId: t.id(), reason: t.string({ required: false }) }),
  validate: input({ proposalId: id, reason }),
});

type Changes = z.output<typeof termsChangesSchema>;

async function run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await prisma.$transaction(work);
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('That coupon code or terms version already exists; reload and try again');
    throw error;
  }
}

builder.mutationFields((t) => ({
  proposeTerms: t.prismaField({
    type: TermsProposalRef,
    description:
      'Either side proposes different terms for one enrollment; the other side accepts, rejects or counters.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: ProposeInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const enrollment = await enrollmentParties(viewer, String(input.enrollmentId));
      const created = await run(async (tx) => {
        actingSide(viewer, enrollment);
        await lockEnrollment(tx, enrollment.id);
        const { status } = await tx.enrollment.findUniqueOrThrow({
          where: { id: enrollment.id },
          select: { status: true },
        });
        if (!negotiable.includes(status))
          throw conflict(`A ${status.toLowerCase()} enrollment cannot negotiate terms`);
        const open = await tx.termsProposal.count({ where: { enrollmentId: enrollment.id, status: 'OPEN' } });
        if (open)
          throw conflict('A proposal is already open: accept, reject or counter it, or withdraw your own');
        await checkChanges(tx, enrollment, input.changes as Changes);
        return createProposal(tx, viewer, enrollment, { ...input, changes: input.changes as Changes }, null);
      });
      return prisma.termsProposal.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
  counterProposal: t.prismaField({
    type: TermsProposalRef,
    description: 'Answers an open proposal with different terms: the original becomes COUNTERED.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CounterInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const created = await run(async (tx) => {
        const { proposal, enrollment } = await answerable(tx, viewer, String(input.proposalId), 'counter');
        await checkChanges(tx, enrollment, input.changes as Changes);
        await decide(tx, viewer, proposal.id, 'COUNTERED');
        return createProposal(
          tx,
          viewer,
          enrollment,
          { ...input, changes: input.changes as Changes },
          proposal.id,
        );
      });
      return prisma.termsProposal.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
  acceptProposal: t.prismaField({
    type: TermsProposalRef,
    description:
      "Accepts an open proposal: the enrollment gets a new terms version from the proposal's effective time.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: AnswerInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const accepted = await run((tx) => accept(tx, viewer, String(input.proposalId)));
      return prisma.termsProposal.findUniqueOrThrow({ ...query, where: { id: accepted.id } });
    },
  }),
  ...Object.fromEntries(
    (
      [
        [
          'rejectProposal',
          'reject',
          'REJECTED',
          'The other side declines an open proposal; the reason is kept.',
        ],
        ['withdrawProposal', 'withdraw', 'WITHDRAWN', 'Its author takes back an open proposal.'],
      ] as const
    ).map(([name, action, status, description]) => [
      name,
      t.prismaField({
        type: TermsProposalRef,
        description,
        authScopes: { authenticated: true },
        args: { input: t.arg({ type: AnswerInput }) },
        resolve: async (query, _root, { input }, { viewer }) => {
          const answered = await run(async (tx) => {
            const { proposal } = await answerable(tx, viewer, String(input.proposalId), action);
            return decide(tx, viewer, proposal.id, status, input.reason);
          });
          return prisma.termsProposal.findUniqueOrThrow({ ...query, where: { id: answered.id } });
        },
      }),
    ]),
  ),
}));
