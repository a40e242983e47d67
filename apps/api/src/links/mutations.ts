import { z } from 'zod';
import { actsFor } from '../auth/scopes.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { enrollmentParties } from '../enrollments/schema.ts';
import { actingSide } from '../enrollments/side.ts';
import { conflict, invalidInput, notFound } from '../errors.ts';
import { invalidate } from '../invalidation.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { httpUrl, isAllowedUrl } from '../programs/urls.ts';
import { id, input } from '../validation.ts';
import { alias, shortCode } from './codes.ts';
import { LinkRef } from './schema.ts';

const tag = z.string().trim().min(1).max(256).nullish();

const UtmInput = builder.inputType('UtmInput', {
  fields: (t) => ({
    source: t.string({ required: false }),
    medium: t.string({ required: false }),
    campaign: t.string({ required: false }),
    term: t.string({ required: false }),
    content: t.string({ required: false }),
  }),
});
const utm = z.object({ source: tag, medium: tag, campaign: tag, term: tag, content: tag }).nullish();

const CreateLinkInput = builder.inputType('CreateLinkInput', {
  fields: (t) => ({
    enrollmentId: t.id(),
    alias: t.string({
      required: false,
      description: 'A custom code instead of a random one; unique across the network.',
    }),
    destinationUrl: t.string({
      required: false,
      description: "A deep link inside the program's domains; its default page when left out.",
    }),
    subIds: t.stringList({
      required: { list: false, items: false },
      description: 'Up to 5 sub-IDs, by position (sub1-sub5; null skips one), recorded with each click.',
    }),
    utm: t.field({
      type: UtmInput,
      required: false,
      description: 'Added to the destination as utm_* parameters.',
    }),
  }),
  validate: input({
    enrollmentId: id,
    alias: alias.nullish(),
    destinationUrl: httpUrl.nullish(),
    subIds: z.array(tag).max(5, 'at most 5 sub-IDs').nullish(),
    utm,
  }),
});

const UpdateLinkInput = builder.inputType('UpdateLinkInput', {
  description: 'Fields left out keep their value; a null destinationUrl returns to the default page.',
  fields: (t) => ({
    linkId: t.id(),
    destinationUrl: t.string({ required: false }),
    subIds: t.stringList({ required: { list: false, items: false } }),
    utm: t.field({ type: UtmInput, required: false }),
  }),
  validate: input({
    linkId: id,
    destinationUrl: httpUrl.nullish(),
    subIds: z.array(tag).max(5, 'at most 5 sub-IDs').nullish(),
    utm,
  }),
});

const subColumns = (subs: (string | null | undefined)[]) => ({
  sub1: subs[0] ?? null,
  sub2: subs[1] ?? null,
  sub3: subs[2] ?? null,
  sub4: subs[3] ?? null,
  sub5: subs[4] ?? null,
});

const utmColumns = (u: z.output<typeof utm>) => ({
  utmSource: u?.source ?? null,
  utmMedium: u?.medium ?? null,
  utmCampaign: u?.campaign ?? null,
  utmTerm: u?.term ?? null,
  utmContent: u?.content ?? null,
});

function checkDestination(url: string | null | undefined, domains: string[]) {
  if (url && !isAllowedUrl(url, domains)) {
    throw invalidInput([
      {
        path: 'input.destinationUrl',
        message: `must be inside the program's allowed domains (${domains.join(', ')})`,
      },
    ]);
  }
}

/** A link the viewer may change: an admin of its merchant or of its affiliate. */
async function ownLink(viewer: Viewer, linkId: string) {
  const link = await prisma.link.findUnique({
    where: { id: linkId },
    include: {
      program: { select: { organizationId: true, allowedDomains: true } },
      enrollment: { select: { affiliate: { select: { organizationId: true } } } },
    },
  });
  if (
    !link ||
    !(
      actsFor(viewer, link.program.organizationId) ||
      actsFor(viewer, link.enrollment.affiliate.organizationId)
    )
  ) {
    throw notFound('Link');
  }
  actingSide(viewer, { program: link.program, affiliate: link.enrollment.affiliate });
  return link;
}

builder.mutationFields((t) => ({
  createLink: t.prismaField({
    type: LinkRef,
    description:
      'A tracking link for an approved enrollment, made by the affiliate or by the merchant for it.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateLinkInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const enrollment = await enrollmentParties(viewer, String(input.enrollmentId));
      actingSide(viewer, enrollment);
      if (enrollment.status !== 'APPROVED')
        throw conflict(`Links need an approved enrollment; this one is ${enrollment.status.toLowerCase()}`);
      const program = await prisma.program.findUniqueOrThrow({
        where: { id: enrollment.programId },
        select: { allowedDomains: true },
      });
      checkDestination(input.destinationUrl, program.allowedDomains);
      const value = input as { utm?: z.output<typeof utm>; subIds?: (string | null)[] | null };
      for (let attempt = 0; ; attempt++) {
        try {
          return await prisma.link.create({
            ...query,
            data: {
              programId: enrollment.programId,
              enrollmentId: enrollment.id,
              code: input.alias ?? shortCode(),
              destinationUrl: input.destinationUrl ?? null,
              createdById: viewer.kind === 'user' ? viewer.userId : null,
              ...subColumns(value.subIds ?? []),
              ...utmColumns(value.utm),
            },
          });
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          if (input.alias) throw conflict(`The alias "${input.alias}" is taken`, { field: 'alias' });
          if (attempt >= 3) throw error;
        }
      }
    },
  }),
  updateLink: t.prismaField({
    type: LinkRef,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateLinkInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const link = await ownLink(viewer, String(input.linkId));
      checkDestination(input.destinationUrl, link.program.allowedDomains);
      const value = input as {
        subIds?: (string | null)[] | null;
        utm?: z.output<typeof utm>;
        destinationUrl?: string | null;
      };
      const updated = await prisma.link.update({
        ...query,
        where: { id: link.id },
        data: {
          ...('destinationUrl' in value ? { destinationUrl: value.destinationUrl ?? null } : {}),
          ...(value.subIds ? subColumns(value.subIds) : {}),
          ...(value.utm ? utmColumns(value.utm) : {}),
        },
      });
      invalidate({ link: link.code });
      return updated;
    },
  }),
  ...Object.fromEntries(
    (
      [
        [
          'disableLink',
          false,
          "Stops a link: visitors go to the program's fallback page (or get 404) and no click is counted.",
        ],
        ['enableLink', true, 'Starts a disabled link again.'],
      ] as const
    ).map(([name, enabled, description]) => [
      name,
      t.prismaField({
        type: LinkRef,
        description,
        authScopes: { authenticated: true },
        args: { id: t.arg.id({ validate: id }) },
        resolve: async (query, _root, args, { viewer }) => {
          const link = await ownLink(viewer, String(args.id));
          const updated = await prisma.link.update({
            ...query,
            where: { id: link.id },
            data: { disabledAt: enabled ? null : (link.disabledAt ?? new Date()) },
          });
          invalidate({ link: link.code });
          return updated;
        },
      }),
    ]),
  ),
}));
