import { z } from 'zod';
import { requireRole } from '../auth/access.ts';
import { actsFor } from '../auth/scopes.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { conflict, invalidInput, notFound } from '../errors.ts';
import type { Creative } from '../generated/prisma/client.ts';
import { CreativeKindEnum } from '../programs/enums.ts';
import { httpUrl, isAllowedUrl } from '../programs/urls.ts';
import { id, input, name } from '../validation.ts';
import { withReferral } from './tracking.ts';

const CreativeRef = builder.prismaObject('Creative', {
  include: { program: { select: { organizationId: true } } },
  authScopes: (creative) => ({ member: creative.program.organizationId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: CreativeKindEnum }),
    name: t.exposeString('name'),
    body: t.exposeString('body', {
      nullable: true,
      description: 'Copy or link text; `{{link}}` marks where the tracking link goes.',
    }),
    imageUrl: t.exposeString('imageUrl', { nullable: true }),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    destinationUrl: t.exposeString('destinationUrl', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.prismaObjectField('Program', 'creatives', (t) =>
  t.relatedConnection('creatives', {
    cursor: 'id',
    description:
      "The program's creatives as the merchant manages them (affiliates read them on their enrollment).",
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    args: { includeArchived: t.arg.boolean({ defaultValue: false }) },
    query: ({ includeArchived }) => ({
      where: includeArchived ? {} : { archivedAt: null },
      orderBy: { id: 'desc' },
    }),
  }),
);

interface ForAffiliate {
  creative: Creative;
  trackingUrl: string;
}

const AffiliateCreative = builder.objectRef<ForAffiliate>('AffiliateCreative').implement({
  description: "A creative with the affiliate's own tracking link filled in.",
  fields: (t) => ({
    id: t.id({ resolve: ({ creative }) => creative.id }),
    kind: t.field({ type: CreativeKindEnum, resolve: ({ creative }) => creative.kind }),
    name: t.string({ resolve: ({ creative }) => creative.name }),
    imageUrl: t.string({ nullable: true, resolve: ({ creative }) => creative.imageUrl }),
    width: t.int({ nullable: true, resolve: ({ creative }) => creative.width }),
    height: t.int({ nullable: true, resolve: ({ creative }) => creative.height }),
    trackingUrl: t.exposeString('trackingUrl'),
    body: t.string({
      nullable: true,
      description: 'The copy with `{{link}}` replaced by the tracking link.',
      resolve: ({ creative, trackingUrl }) => creative.body?.replaceAll('{{link}}', trackingUrl) ?? null,
    }),
    html: t.string({
      description: 'Ready-to-paste HTML: the banner or the text, linked to the tracking link.',
      resolve: ({ creative, trackingUrl }) => renderHtml(creative, trackingUrl),
    }),
  }),
});

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function renderHtml(creative: Creative, link: string): string {
  const href = escapeHtml(link);
  if (creative.imageUrl) {
    const size =
      creative.width && creative.height ? ` width="${creative.width}" height="${creative.height}"` : '';
    return `<a href="${href}" rel="sponsored"><img src="${escapeHtml(creative.imageUrl)}" alt="${escapeHtml(creative.name)}"${size}></a>`;
  }
  const text = escapeHtml(creative.body ?? creative.name).replaceAll('{{link}}', href);
  return creative.kind === 'TEXT_LINK' ? `<a href="${href}" rel="sponsored">${text}</a>` : text;
}

builder.prismaObjectFields('Enrollment', (t) => ({
  creatives: t.field({
    type: [AffiliateCreative],
    description:
      'The program creatives with this affiliate’s tracking link; empty unless the enrollment is approved.',
    select: {
      status: true,
      referralCode: true,
      program: { select: { id: true, websiteUrl: true, defaultUrl: true } },
    },
    resolve: async (enrollment) => {
      if (enrollment.status !== 'APPROVED') return [];
      const creatives = await prisma.creative.findMany({
        where: { programId: enrollment.program.id, archivedAt: null },
        orderBy: { id: 'asc' },
      });
      const landing = enrollment.program.defaultUrl ?? enrollment.program.websiteUrl;
      return creatives.map((creative) => ({
        creative,
        trackingUrl: withReferral(creative.destinationUrl ?? landing, enrollment.referralCode),
      }));
    },
  }),
}));

const CreateCreativeInput = builder.inputType('CreateCreativeInput', {
  fields: (t) => ({
    programId: t.id(),
    kind: t.field({ type: CreativeKindEnum }),
    name: t.string(),
    body: t.string({
      required: false,
      description: 'Required for TEXT_LINK and COPY; may contain {{link}}.',
    }),
    imageUrl: t.string({ required: false, description: 'Required for BANNER and IMAGE.' }),
    width: t.int({ required: false }),
    height: t.int({ required: false }),
    destinationUrl: t.string({ required: false, description: "A deep link inside the program's domains." }),
  }),
  validate: input({
    programId: id,
    name,
    body: z.string().trim().min(1).max(5000).nullish(),
    imageUrl: httpUrl.nullish(),
    width: z.number().int().min(1).max(4000).nullish(),
    height: z.number().int().min(1).max(4000).nullish(),
    destinationUrl: httpUrl.nullish(),
  }),
});

builder.mutationFields((t) => ({
  createCreative: t.prismaField({
    type: CreativeRef,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: CreateCreativeInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const program = await prisma.program.findUnique({ where: { id: String(input.programId) } });
      requireRole(viewer, program?.organizationId, 'ADMIN', 'Program');
      const issues = [];
      if ((input.kind === 'BANNER' || input.kind === 'IMAGE') && !input.imageUrl)
        issues.push({ path: 'input.imageUrl', message: `is required for ${input.kind}` });
      if ((input.kind === 'TEXT_LINK' || input.kind === 'COPY') && !input.body)
        issues.push({ path: 'input.body', message: `is required for ${input.kind}` });
      if (input.destinationUrl && !isAllowedUrl(input.destinationUrl, program!.allowedDomains)) {
        issues.push({
          path: 'input.destinationUrl',
          message: `must be inside the allowed domains (${program!.allowedDomains.join(', ')})`,
        });
      }
      if (issues.length) throw invalidInput(issues);
      return prisma.creative.create({
        ...query,
        data: {
          programId: program!.id,
          kind: input.kind,
          name: input.name,
          body: input.body ?? null,
          imageUrl: input.imageUrl ?? null,
          width: input.width ?? null,
          height: input.height ?? null,
          destinationUrl: input.destinationUrl ?? null,
        },
      });
    },
  }),
  archiveCreative: t.prismaField({
    type: CreativeRef,
    description: 'Hides a creative from affiliates; it stays in the merchant’s list with includeArchived.',
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      const creative = await prisma.creative.findUnique({
        where: { id: String(args.id) },
        include: { program: true },
      });
      if (!creative || !actsFor(viewer, creative.program.organizationId)) throw notFound('Creative');
      requireRole(viewer, creative.program.organizationId, 'ADMIN', 'Creative');
      if (creative.archivedAt) throw conflict('The creative is already archived');
      return prisma.creative.update({
        ...query,
        where: { id: creative.id },
        data: { archivedAt: new Date() },
      });
    },
  }),
}));
