import { builder } from '../builder.ts';
import { config } from '../config.ts';
import { prisma } from '../db.ts';
import { canSeeEnrollment } from '../enrollments/schema.ts';
import { notFound } from '../errors.ts';
import { ClickSource } from '../generated/prisma/client.ts';
import { id } from '../validation.ts';
import { splitTarget } from './destination.ts';

const parties = {
  program: { select: { organizationId: true } },
  enrollment: { select: { affiliate: { select: { organizationId: true } } } },
} as const;

const seeOwn = (
  row: { program: { organizationId: string }; enrollment: { affiliate: { organizationId: string } } },
  viewer: Parameters<typeof canSeeEnrollment>[0],
) => canSeeEnrollment(viewer, { program: row.program, affiliate: row.enrollment.affiliate });

export const shortUrl = (code: string) =>
  `${config().PUBLIC_URL ?? `http://localhost:${config().PORT}`}/r/${code}`;

const ClickSourceEnum = builder.enumType(ClickSource, {
  name: 'ClickSource',
  description:
    'REDIRECT: through a short link (/r/code). LANDING: a landing page with ?via=code, reported by the snippet.',
});

interface Utm {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  content: string | null;
}

const UtmParameters = builder.objectRef<Utm>('UtmParameters').implement({
  fields: (t) => ({
    source: t.exposeString('source', { nullable: true }),
    medium: t.exposeString('medium', { nullable: true }),
    campaign: t.exposeString('campaign', { nullable: true }),
    term: t.exposeString('term', { nullable: true }),
    content: t.exposeString('content', { nullable: true }),
  }),
});

const ClickCounts = builder.objectRef<{ total: number; unique: number }>('ClickCounts').implement({
  description: 'Clicks counted, and of those the first by each visitor within an hour.',
  fields: (t) => ({ total: t.exposeInt('total'), unique: t.exposeInt('unique') }),
});

const ClickRangeInput = builder.inputType('ClickRange', {
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: false }),
    to: t.field({ type: 'DateTime', required: false, description: 'Exclusive.' }),
  }),
});

const range = (r?: { from?: Date | null; to?: Date | null } | null) =>
  r?.from || r?.to
    ? { createdAt: { ...(r.from ? { gte: r.from } : {}), ...(r.to ? { lt: r.to } : {}) } }
    : {};

/**
 * Click counts. Without a range they are the sums of the day rollups (a cost that grows with
 * days, not traffic); a range is exact to the millisecond, so it counts the clicks themselves
 * (through the (linkId | enrollmentId, createdAt) indexes).
 */
async function counts(
  owner: { programId: string; scope: 'LINK' | 'AFFILIATE'; key: string },
  r?: Parameters<typeof range>[0],
) {
  if (!r?.from && !r?.to) {
    const [row] = await prisma.$queryRaw<{ total: bigint | null; unique: bigint | null }[]>`
      SELECT sum(clicks) AS total, sum("uniqueClicks") AS unique FROM "DailyRollup"
      WHERE "programId" = ${owner.programId}::uuid AND scope = ${owner.scope}::"RollupScope" AND key = ${owner.key}`;
    return { total: Number(row?.total ?? 0), unique: Number(row?.unique ?? 0) };
  }
  const where = owner.scope === 'LINK' ? { linkId: owner.key } : { enrollmentId: owner.key };
  const [total, unique] = await Promise.all([
    prisma.click.count({ where: { ...where, ...range(r) } }),
    prisma.click.count({ where: { ...where, ...range(r), isUnique: true } }),
  ]);
  return { total, unique };
}

export const ClickRef = builder.prismaObject('Click', {
  // Clicks keep no foreign keys: who may see one is decided by its enrollment (cached per request).
  authScopes: (click) => ({ partyTo: click.enrollmentId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The click id passed to the landing page.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    source: t.expose('source', { type: ClickSourceEnum }),
    isUnique: t.exposeBoolean('isUnique'),
    country: t.exposeString('country', { nullable: true }),
    referrer: t.exposeString('referrer', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    landingUrl: t.exposeString('landingUrl', { nullable: true }),
    subIds: t.stringList({
      nullable: { list: false, items: true },
      resolve: (c) => [c.sub1, c.sub2, c.sub3, c.sub4, c.sub5],
    }),
    link: t.prismaField({
      type: 'Link',
      nullable: true,
      resolve: (query, click) =>
        click.linkId ? prisma.link.findUnique({ ...query, where: { id: click.linkId } }) : null,
    }),
  }),
});

export const LinkRef = builder.prismaObject('Link', {
  include: {
    ...parties,
    program: { select: { organizationId: true, websiteUrl: true, defaultUrl: true, allowedDomains: true } },
  },
  authScopes: (link, { viewer }) => seeOwn(link, viewer),
  fields: (t) => ({
    id: t.exposeID('id'),
    code: t.exposeString('code'),
    shortUrl: t.string({
      description: 'The link to share: /r/<code> on this API.',
      resolve: (link) => shortUrl(link.code),
    }),
    destinationUrl: t.exposeString('destinationUrl', {
      nullable: true,
      description: "A deep link; the program's default page when null.",
    }),
    target: t.string({
      nullable: true,
      description:
        'Where a visitor lands (before the click id is added); null if it left the allowed domains.',
      resolve: (link) =>
        splitTarget(
          {
            destinationUrl: link.destinationUrl,
            utm: {
              source: link.utmSource,
              medium: link.utmMedium,
              campaign: link.utmCampaign,
              term: link.utmTerm,
              content: link.utmContent,
            },
          },
          link.program,
        )?.plain ?? null,
    }),
    subIds: t.stringList({
      nullable: { list: false, items: true },
      resolve: (l) => [l.sub1, l.sub2, l.sub3, l.sub4, l.sub5],
    }),
    utm: t.field({
      type: UtmParameters,
      resolve: (l) => ({
        source: l.utmSource,
        medium: l.utmMedium,
        campaign: l.utmCampaign,
        term: l.utmTerm,
        content: l.utmContent,
      }),
    }),
    enabled: t.boolean({ resolve: (link) => link.disabledAt === null }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    enrollment: t.relation('enrollment'),
    clicks: t.prismaConnection({
      type: 'Click',
      cursor: 'id',
      resolve: (query, link) =>
        prisma.click.findMany({ ...query, where: { linkId: link.id }, orderBy: { id: 'desc' } }),
    }),
    clickCounts: t.field({
      type: ClickCounts,
      args: { range: t.arg({ type: ClickRangeInput, required: false }) },
      resolve: (link, args) => counts({ programId: link.programId, scope: 'LINK', key: link.id }, args.range),
    }),
  }),
});

builder.prismaObjectFields('Enrollment', (t) => ({
  links: t.relatedConnection('links', { cursor: 'id', query: { orderBy: { id: 'desc' } } }),
  clicks: t.prismaConnection({
    type: 'Click',
    cursor: 'id',
    description: 'Every click for this affiliate in the program: through links and landing pages.',
    resolve: (query, enrollment) =>
      prisma.click.findMany({ ...query, where: { enrollmentId: enrollment.id }, orderBy: { id: 'desc' } }),
  }),
  clickCounts: t.field({
    type: ClickCounts,
    args: { range: t.arg({ type: ClickRangeInput, required: false }) },
    resolve: (enrollment, args) =>
      counts({ programId: enrollment.programId, scope: 'AFFILIATE', key: enrollment.id }, args.range),
  }),
}));

builder.queryField('link', (t) =>
  t.prismaField({
    type: LinkRef,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      const link = await prisma.link.findUnique({ where: { id: String(args.id) }, include: parties });
      if (!link || !seeOwn(link, viewer)) throw notFound('Link');
      return prisma.link.findUniqueOrThrow({ ...query, where: { id: link.id } });
    },
  }),
);
