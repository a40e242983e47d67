import { z } from 'zod';
import { requireRole } from '../auth/access.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { EnrollmentStatusEnum, PayoutMethodEnum } from '../programs/enums.ts';
import { httpUrl } from '../programs/urls.ts';
import { email, id, input, name } from '../validation.ts';
import { maskReference } from './mask.ts';

// Contact and payout details: the affiliate itself, and merchants it is enrolled with.
const privateField = (profile: { id: string; organizationId: string }) => ({
  member: profile.organizationId,
  merchantOfAffiliate: profile.id,
  networkAdmin: true,
});

export const AffiliateProfileRef = builder.prismaObject('AffiliateProfile', {
  // Public to merchants through an enrollment (Enrollment.affiliate grants it).
  authScopes: (profile) => ({
    member: profile.organizationId,
    networkAdmin: true,
    $granted: 'readAffiliate',
  }),
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.exposeString('displayName'),
    websiteUrl: t.exposeString('websiteUrl', { nullable: true }),
    channels: t.exposeStringList('channels'),
    audience: t.exposeString('audience', { nullable: true }),
    country: t.exposeString('country', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    contactEmail: t.exposeString('contactEmail', {
      description: 'Visible to the affiliate and to the merchants it is enrolled with.',
      authScopes: privateField,
    }),
    payoutMethod: t.expose('payoutMethod', {
      type: PayoutMethodEnum,
      nullable: true,
      authScopes: privateField,
    }),
    payoutReference: t.exposeString('payoutReference', {
      nullable: true,
      description: 'Masked: only the last characters of the account are kept.',
      authScopes: privateField,
    }),
    paypalEmail: t.exposeString('paypalEmail', {
      nullable: true,
      description: 'With the PAYPAL method: the address PayPal pays to, kept in full for the payout file.',
      authScopes: privateField,
    }),
    enrollments: t.relatedConnection('enrollments', {
      cursor: 'id',
      description: "The affiliate's applications, invitations and memberships in programs.",
      authScopes: (profile) => ({ member: profile.organizationId, networkAdmin: true }),
      args: { status: t.arg({ type: EnrollmentStatusEnum, required: false }) },
      query: ({ status }) => ({ where: status ? { status } : {}, orderBy: { id: 'desc' } }),
    }),
  }),
});

builder.prismaObjectField('Organization', 'affiliateProfile', (t) =>
  t.relation('affiliateProfile', { nullable: true }),
);

const country = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 two-letter country code');

const channel = z.string().trim().min(1).max(40);

const AffiliateProfileInput = builder.inputType('AffiliateProfileInput', {
  fields: (t) => ({
    organizationId: t.id({ description: 'The organization that acts as the affiliate.' }),
    displayName: t.string(),
    websiteUrl: t.string({ required: false }),
    channels: t.stringList({ defaultValue: [], description: 'e.g. blog, newsletter, youtube, instagram' }),
    audience: t.string({ required: false }),
    country: t.string({ required: false }),
    contactEmail: t.string(),
    payoutMethod: t.field({ type: PayoutMethodEnum, required: false }),
    payoutAccount: t.string({
      required: false,
      description: 'The account to pay (IBAN, PayPal email…). Only a masked form is stored.',
    }),
  }),
  validate: input({
    organizationId: id,
    displayName: name,
    websiteUrl: httpUrl.nullish(),
    channels: z.array(channel).max(20).nullish(),
    audience: z.string().trim().max(500).nullish(),
    country: country.nullish(),
    contactEmail: email,
    payoutAccount: z.string().trim().min(4, 'must be at least 4 characters').max(64).nullish(),
  }).refine(
    (v) => v.payoutMethod !== 'PAYPAL' || !v.payoutAccount || email.safeParse(v.payoutAccount).success,
    {
      message: 'must be the PayPal account’s email address',
      path: ['payoutAccount'],
    },
  ),
});

builder.mutationField('upsertAffiliateProfile', (t) =>
  t.prismaField({
    type: AffiliateProfileRef,
    description: 'Creates or updates the affiliate profile of an organization, which makes it an affiliate.',
    authScopes: (_root, args) => ({ admin: String(args.input.organizationId) }),
    args: { input: t.arg({ type: AffiliateProfileInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const organizationId = String(input.organizationId);
      requireRole(viewer, organizationId, 'ADMIN', 'Organization');
      const fields = {
        displayName: input.displayName,
        websiteUrl: input.websiteUrl ?? null,
        channels: input.channels ?? [],
        audience: input.audience ?? null,
        country: input.country ?? null,
        contactEmail: input.contactEmail,
        payoutMethod: input.payoutMethod ?? null,
        ...(input.payoutAccount
          ? {
              payoutReference: maskReference(input.payoutAccount),
              // PayPal pays to an address, which its mass-payment file must name in full.
              paypalEmail: input.payoutMethod === 'PAYPAL' ? input.payoutAccount.trim().toLowerCase() : null,
            }
          : {}),
        ...(input.payoutMethod !== 'PAYPAL' ? { paypalEmail: null } : {}),
      };
      const [, profile] = await prisma.$transaction([
        prisma.organization.update({ where: { id: organizationId }, data: { isAffiliate: true } }),
        prisma.affiliateProfile.upsert({
          ...query,
          where: { organizationId },
          create: { organizationId, ...fields },
          update: fields,
        }),
      ]);
      return profile;
    },
  }),
);
