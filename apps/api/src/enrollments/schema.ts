import { actsFor } from '../auth/scopes.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { notFound } from '../errors.ts';
import { EnrollmentStatusEnum } from '../programs/enums.ts';
import { termsIdInForce } from '../programs/terms-in-force.ts';
import { CommissionTermsRef } from '../programs/terms-schema.ts';
import { id } from '../validation.ts';

export interface EnrollmentParties {
  program: { organizationId: string };
  affiliate: { organizationId: string };
}

/** The enrollment is visible to both sides: the merchant's and the affiliate's members. */
export const canSeeEnrollment = (viewer: Viewer, enrollment: EnrollmentParties) =>
  actsFor(viewer, enrollment.program.organizationId) ||
  actsFor(viewer, enrollment.affiliate.organizationId) ||
  (viewer.kind === 'user' && viewer.isNetworkAdmin);

export const EnrollmentRef = builder.prismaObject('Enrollment', {
  include: { program: { select: { organizationId: true } }, affiliate: { select: { organizationId: true } } },
  authScopes: (enrollment, { viewer }) => canSeeEnrollment(viewer, enrollment),
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: EnrollmentStatusEnum }),
    referralCode: t.exposeString('referralCode', {
      description: 'The affiliate code for landing-page links (`?via=<code>`); unique within the program.',
    }),
    applicationMessage: t.exposeString('applicationMessage', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    program: t.relation('program'),
    affiliate: t.relation('affiliate', { grantScopes: ['readAffiliate'] }),
    history: t.relation('events', {
      description: 'Every status change: from, to, who, when and why; oldest first.',
      query: { orderBy: { createdAt: 'asc' } },
    }),
    currentTerms: t.prismaField({
      type: CommissionTermsRef,
      description: "The terms in force now: the affiliate's negotiated version, else the program's.",
      resolve: (query, enrollment) => termsInForce(query, enrollment, new Date()),
    }),
    termsAt: t.prismaField({
      type: CommissionTermsRef,
      nullable: true,
      description: 'The terms that applied at a moment (those a conversion at that time earns under).',
      args: { at: t.arg({ type: 'DateTime' }) },
      resolve: (query, enrollment, args) => termsInForce(query, enrollment, args.at),
    }),
    termsVersions: t.relatedConnection('terms', {
      cursor: 'id',
      description: "The affiliate's negotiated terms versions, newest first.",
      query: { orderBy: { version: 'desc' } },
    }),
  }),
});

async function termsInForce(
  query: { include?: object; select?: object },
  enrollment: { id: string; programId: string },
  at: Date,
) {
  const id = await termsIdInForce(prisma, enrollment, at);
  return id ? prisma.commissionTerms.findUniqueOrThrow({ ...query, where: { id } }) : (null as never);
}

builder.prismaObject('EnrollmentEvent', {
  include: {
    enrollment: {
      include: {
        program: { select: { organizationId: true } },
        affiliate: { select: { organizationId: true } },
      },
    },
  },
  authScopes: (event, { viewer }) => canSeeEnrollment(viewer, event.enrollment),
  fields: (t) => ({
    id: t.exposeID('id'),
    fromStatus: t.expose('fromStatus', { type: EnrollmentStatusEnum, nullable: true }),
    toStatus: t.expose('toStatus', { type: EnrollmentStatusEnum }),
    reason: t.exposeString('reason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    actorName: t.string({
      description: 'Who made the change: a person, an API key, or "automatic".',
      select: { actorUser: { select: { name: true } }, actorApiKeyId: true },
      resolve: (event) => event.actorUser?.name ?? (event.actorApiKeyId ? 'API key' : 'automatic'),
    }),
  }),
});

/**
 * Loads who is on each side of an enrollment; NOT_FOUND when the viewer is on neither. Inside
 * a transaction pass its client: on the embedded database a second connection would wait for
 * the transaction, which waits for it.
 */
export async function enrollmentParties(
  viewer: Viewer,
  enrollmentId: string,
  db: Pick<typeof prisma, 'enrollment'> = prisma,
) {
  const enrollment = await db.enrollment.findUnique({
    where: { id: enrollmentId },
    include: {
      program: { select: { organizationId: true, status: true, currency: true } },
      affiliate: { select: { organizationId: true } },
    },
  });
  if (!enrollment || !canSeeEnrollment(viewer, enrollment)) throw notFound('Enrollment');
  return enrollment;
}

builder.queryField('enrollment', (t) =>
  t.prismaField({
    type: EnrollmentRef,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      await enrollmentParties(viewer, String(args.id));
      return prisma.enrollment.findUniqueOrThrow({ ...query, where: { id: String(args.id) } });
    },
  }),
);
