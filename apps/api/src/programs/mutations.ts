import type { z } from 'zod';
import { requireRole, userIdOrNull } from '../auth/access.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { conflict, invalidInput } from '../errors.ts';
import { invalidate } from '../invalidation.ts';
import { slugify } from '../organizations/slug.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { id, input } from '../validation.ts';
import { ProgramStatusEnum, ProgramVisibilityEnum } from './enums.ts';
import { categories, createProgramSchema, effectiveAt, updateProgramSchema, urlIssues } from './inputs.ts';
import { ProgramRef } from './schema.ts';
import { canChangeStatus } from './status.ts';
import { type Terms, termsSchema, termsToColumns } from './terms.ts';
import { CommissionTermsInput, CommissionTermsRef } from './terms-schema.ts';
import { hostOf } from './urls.ts';

const categoryNote = `One of: ${categories.join(', ')}.`;

const CreateProgramInput = builder.inputType('CreateProgramInput', {
  fields: (t) => ({
    organizationId: t.id({ description: 'The merchant organization that runs the program.' }),
    name: t.string(),
    slug: t.string({ required: false, description: 'Derived from the name when left out; unique.' }),
    description: t.string({ required: false }),
    category: t.string({ required: false, description: categoryNote }),
    websiteUrl: t.string(),
    allowedDomains: t.stringList({ required: false, description: "Defaults to the website's domain." }),
    defaultUrl: t.string({ required: false }),
    fallbackUrl: t.string({ required: false }),
    currency: t.string({ description: 'ISO 4217; fixed once the program exists.' }),
    visibility: t.field({ type: ProgramVisibilityEnum, defaultValue: 'PUBLIC' }),
    autoApprove: t.boolean({ defaultValue: false }),
    terms: t.field({ type: CommissionTermsInput }),
  }),
  validate: createProgramSchema,
});

const UpdateProgramInput = builder.inputType('UpdateProgramInput', {
  description: 'Fields left out keep their value. The slug and the currency cannot change.',
  fields: (t) => ({
    programId: t.id(),
    name: t.string({ required: false }),
    description: t.string({ required: false }),
    category: t.string({ required: false, description: categoryNote }),
    websiteUrl: t.string({ required: false }),
    allowedDomains: t.stringList({ required: false }),
    defaultUrl: t.string({ required: false }),
    fallbackUrl: t.string({ required: false }),
    visibility: t.field({ type: ProgramVisibilityEnum, required: false }),
    autoApprove: t.boolean({ required: false }),
  }),
  validate: updateProgramSchema,
});

const UpdateProgramTermsInput = builder.inputType('UpdateProgramTermsInput', {
  fields: (t) => ({
    programId: t.id(),
    terms: t.field({ type: CommissionTermsInput }),
    effectiveAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'Now when left out; never in the past.',
    }),
  }),
  validate: input({ programId: id, terms: termsSchema, effectiveAt }),
});

/** The program, once the viewer is known to be an admin (or the secret key) of its merchant. */
export async function programForAdmin(viewer: Parameters<typeof requireRole>[0], programId: string) {
  const program = await prisma.program.findUnique({ where: { id: programId } });
  requireRole(viewer, program?.organizationId, 'ADMIN', 'Program');
  return program!;
}

/** Adds the next version of a program's terms, effective from `at`. */
export async function addProgramTerms(programId: string, terms: Terms, at: Date, createdById: string | null) {
  return prisma.$transaction(async (tx) => {
    // Serialize versioning per program; the partial unique index backs this up.
    await tx.$queryRaw`SELECT id FROM "Program" WHERE id = ${programId}::uuid FOR UPDATE`;
    const last = await tx.commissionTerms.findFirst({
      where: { programId, enrollmentId: null },
      orderBy: { version: 'desc' },
      select: { version: true },
    });
    return tx.commissionTerms.create({
      data: {
        ...termsToColumns(terms),
        programId,
        version: (last?.version ?? 0) + 1,
        effectiveAt: at,
        createdById,
      },
    });
  });
}

builder.mutationFields((t) => ({
  createProgram: t.prismaField({
    type: ProgramRef,
    description:
      'Creates a program in DRAFT with its first terms version. Activate it with setProgramStatus.',
    authScopes: (_root, args) => ({ admin: String(args.input.organizationId) }),
    args: { input: t.arg({ type: CreateProgramInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const value = input as unknown as z.output<typeof createProgramSchema>;
      const slug = value.slug ?? slugify(value.name);
      try {
        const program = await prisma.$transaction(async (tx) => {
          await tx.organization.update({ where: { id: value.organizationId }, data: { isMerchant: true } });
          return tx.program.create({
            data: {
              organizationId: value.organizationId,
              name: value.name,
              slug,
              description: value.description ?? '',
              category: value.category ?? null,
              websiteUrl: value.websiteUrl,
              allowedDomains: value.allowedDomains ?? [hostOf(value.websiteUrl)],
              defaultUrl: value.defaultUrl ?? null,
              fallbackUrl: value.fallbackUrl ?? null,
              currency: value.currency,
              visibility: input.visibility ?? 'PUBLIC',
              autoApprove: input.autoApprove ?? false,
              terms: {
                create: {
                  ...termsToColumns(value.terms),
                  version: 1,
                  effectiveAt: new Date(),
                  createdById: userIdOrNull(viewer),
                },
              },
            },
            select: { id: true },
          });
        });
        return prisma.program.findUniqueOrThrow({ ...query, where: { id: program.id } });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`The slug "${slug}" is taken`, { field: 'slug' });
        throw error;
      }
    },
  }),
  updateProgram: t.prismaField({
    type: ProgramRef,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateProgramInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const value = input as unknown as z.output<typeof updateProgramSchema>;
      const program = await programForAdmin(viewer, value.programId);
      const next = {
        websiteUrl: value.websiteUrl ?? program.websiteUrl,
        defaultUrl: value.defaultUrl === undefined ? program.defaultUrl : value.defaultUrl,
        fallbackUrl: value.fallbackUrl === undefined ? program.fallbackUrl : value.fallbackUrl,
      };
      const issues = urlIssues(next, value.allowedDomains ?? program.allowedDomains);
      if (issues.length)
        throw invalidInput(
          issues.map((issue) => ({ path: `input.${issue.path.join('.')}`, message: issue.message })),
        );
      const updated = await prisma.program.update({
        ...query,
        where: { id: program.id },
        data: {
          name: value.name ?? undefined,
          description: value.description ?? undefined,
          category: value.category ?? undefined,
          allowedDomains: value.allowedDomains ?? undefined,
          ...next,
          visibility: input.visibility ?? undefined,
          autoApprove: input.autoApprove ?? undefined,
        },
      });
      invalidate({ program: program.id }); // links cache the program's URLs and domains
      return updated;
    },
  }),
  setProgramStatus: t.prismaField({
    type: ProgramRef,
    description: 'DRAFT → ACTIVE ⇄ PAUSED; any → ARCHIVED (final). A paused program stops counting clicks.',
    authScopes: { authenticated: true },
    args: { programId: t.arg.id({ validate: id }), status: t.arg({ type: ProgramStatusEnum }) },
    resolve: async (query, _root, args, { viewer }) => {
      const program = await programForAdmin(viewer, String(args.programId));
      if (program.status === args.status)
        return prisma.program.findUniqueOrThrow({ ...query, where: { id: program.id } });
      if (!canChangeStatus(program.status, args.status)) {
        throw conflict(
          `A ${program.status.toLowerCase()} program cannot become ${args.status.toLowerCase()}`,
        );
      }
      const updated = await prisma.program.updateMany({
        where: { id: program.id, status: program.status },
        data: { status: args.status },
      });
      if (updated.count === 0) throw conflict('The program changed meanwhile; try again');
      invalidate({ program: program.id }); // links of a paused program stop counting at once
      return prisma.program.findUniqueOrThrow({ ...query, where: { id: program.id } });
    },
  }),
  updateProgramTerms: t.prismaField({
    type: CommissionTermsRef,
    description:
      'Adds a new version of the program terms. Earlier versions stay and keep applying to earlier conversions.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateProgramTermsInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const program = await programForAdmin(viewer, String(input.programId));
      if (program.status === 'ARCHIVED') throw conflict('An archived program cannot change');
      const created = await addProgramTerms(
        program.id,
        input.terms as unknown as Terms,
        (input.effectiveAt as Date | null) ?? new Date(),
        userIdOrNull(viewer),
      );
      return prisma.commissionTerms.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
}));
