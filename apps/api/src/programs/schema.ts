import { hasEnrollmentIn } from '../auth/access.ts';
import { actsFor } from '../auth/scopes.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { notFound } from '../errors.ts';
import type { Program } from '../generated/prisma/client.ts';
import { id } from '../validation.ts';
import { EnrollmentStatusEnum, ProgramStatusEnum, ProgramVisibilityEnum } from './enums.ts';
import { CommissionTermsRef } from './terms-schema.ts';
import { isListed } from './visibility.ts';

export const ProgramRef = builder.prismaObject('Program', {
  authScopes: (program) => ({
    member: program.organizationId,
    networkAdmin: true,
    enrolledIn: program.id,
    ...(isListed(program) ? { authenticated: true } : {}),
  }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    description: t.exposeString('description'),
    category: t.exposeString('category', { nullable: true }),
    websiteUrl: t.exposeString('websiteUrl'),
    defaultUrl: t.string({
      description: 'Where links without a deep link send visitors.',
      resolve: (program) => program.defaultUrl ?? program.websiteUrl,
    }),
    fallbackUrl: t.exposeString('fallbackUrl', {
      nullable: true,
      description: 'Where disabled links and a paused program send visitors.',
    }),
    allowedDomains: t.exposeStringList('allowedDomains', {
      description: 'Links may only send visitors to these domains and their subdomains.',
    }),
    currency: t.exposeString('currency'),
    status: t.expose('status', { type: ProgramStatusEnum }),
    visibility: t.expose('visibility', { type: ProgramVisibilityEnum }),
    autoApprove: t.exposeBoolean('autoApprove'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    merchantName: t.string({
      select: { organization: { select: { name: true } } },
      resolve: (program) => program.organization.name,
    }),
    currentTerms: t.prismaField({
      type: CommissionTermsRef,
      description:
        "The program's terms in force now (an affiliate's negotiated terms are on its enrollment).",
      resolve: (query, program) =>
        prisma.commissionTerms.findFirstOrThrow({
          ...query,
          where: { programId: program.id, enrollmentId: null, effectiveAt: { lte: new Date() } },
          orderBy: [{ effectiveAt: 'desc' }, { version: 'desc' }],
        }),
    }),
    termsVersions: t.relatedConnection('terms', {
      cursor: 'id',
      description: "Every version of the program's terms, scheduled ones included, newest first.",
      authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
      query: { where: { enrollmentId: null }, orderBy: { version: 'desc' } },
    }),
    enrollments: t.relatedConnection('enrollments', {
      cursor: 'id',
      authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
      args: { status: t.arg({ type: EnrollmentStatusEnum, required: false }) },
      query: ({ status }) => ({ where: status ? { status } : {}, orderBy: { id: 'desc' } }),
    }),
  }),
});

builder.prismaObjectField('Organization', 'programs', (t) =>
  t.relatedConnection('programs', { cursor: 'id', query: { orderBy: { id: 'desc' } } }),
);

builder.queryField('program', (t) =>
  t.prismaField({
    type: ProgramRef,
    description: 'A program the caller runs, is enrolled in, or can find in the marketplace.',
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      const program = await prisma.program.findUnique({ ...query, where: { id: String(args.id) } });
      // A program the caller may not see is reported as missing, not forbidden.
      if (!program || !(await canSeeProgram(viewer, program))) throw notFound('Program');
      return program;
    },
  }),
);

export async function canSeeProgram(
  viewer: Viewer,
  program: Pick<Program, 'id' | 'organizationId' | 'status' | 'visibility'>,
) {
  return (
    actsFor(viewer, program.organizationId) ||
    (viewer.kind === 'user' && viewer.isNetworkAdmin) ||
    isListed(program) ||
    (await hasEnrollmentIn(viewer, program.id))
  );
}
