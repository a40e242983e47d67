import { z } from 'zod';
import { actsFor } from '../auth/scopes.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { MembershipRole } from '../generated/prisma/client.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { userIdOf } from '../users/schema.ts';
import { email, id, input, name } from '../validation.ts';
import { slugify } from './slug.ts';

export const MembershipRoleEnum = builder.enumType(MembershipRole, { name: 'MembershipRole' });

builder.prismaObject('Organization', {
  authScopes: (org) => ({ member: org.id, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    isMerchant: t.exposeBoolean('isMerchant', { description: 'Runs affiliate programs.' }),
    isAffiliate: t.exposeBoolean('isAffiliate', { description: "Promotes other members' programs." }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    members: t.relatedConnection('memberships', { cursor: 'id' }),
  }),
});

builder.prismaObject('Membership', {
  authScopes: (membership) => ({ member: membership.organizationId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    role: t.expose('role', { type: MembershipRoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    user: t.relation('user', { grantScopes: ['readUser'] }),
    organization: t.relation('organization'),
  }),
});

const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'must be 1-48 lower-case letters, digits or hyphens');

const CreateOrganizationInput = builder.inputType('CreateOrganizationInput', {
  fields: (t) => ({
    name: t.string(),
    slug: t.string({ required: false, description: 'Derived from the name when left out.' }),
    isMerchant: t.boolean({ defaultValue: false }),
    isAffiliate: t.boolean({ defaultValue: false }),
  }),
  validate: input({ name, slug: slug.nullish() }),
});

const UpdateOrganizationInput = builder.inputType('UpdateOrganizationInput', {
  fields: (t) => ({
    organizationId: t.id(),
    name: t.string({ required: false }),
    isMerchant: t.boolean({ required: false }),
    isAffiliate: t.boolean({ required: false }),
  }),
  validate: input({ organizationId: id, name: name.nullish() }),
});

const AddMemberInput = builder.inputType('AddMemberInput', {
  fields: (t) => ({
    organizationId: t.id(),
    email: t.string(),
    role: t.field({ type: MembershipRoleEnum, defaultValue: 'MEMBER' }),
  }),
  validate: input({ organizationId: id, email }),
});

const RemoveMemberInput = builder.inputType('RemoveMemberInput', {
  fields: (t) => ({ organizationId: t.id(), userId: t.id() }),
  validate: input({ organizationId: id, userId: id }),
});

builder.queryField('organization', (t) =>
  t.prismaField({
    type: 'Organization',
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, args, { viewer }) => {
      const isAdmin = viewer.kind === 'user' && viewer.isNetworkAdmin;
      // Someone else's organization is reported as missing, not as forbidden.
      if (!isAdmin && !actsFor(viewer, String(args.id))) throw notFound('Organization');
      const org = await prisma.organization.findUnique({ ...query, where: { id: String(args.id) } });
      if (!org) throw notFound('Organization');
      return org;
    },
  }),
);

builder.mutationFields((t) => ({
  createOrganization: t.prismaField({
    type: 'Organization',
    description: 'Creates an organization owned by the logged-in user.',
    authScopes: { user: true },
    args: { input: t.arg({ type: CreateOrganizationInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const userId = userIdOf(viewer);
      const orgSlug = input.slug ?? slugify(input.name);
      try {
        const org = await prisma.organization.create({
          ...query,
          data: {
            name: input.name.trim(),
            slug: orgSlug,
            isMerchant: input.isMerchant ?? false,
            isAffiliate: input.isAffiliate ?? false,
            memberships: { create: { userId, role: 'OWNER' } },
          },
        });
        if (viewer.kind === 'user') viewer.roles.set(org.id, 'OWNER');
        return org;
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`The slug "${orgSlug}" is taken`, { field: 'slug' });
        throw error;
      }
    },
  }),
  updateOrganization: t.prismaField({
    type: 'Organization',
    authScopes: (_root, { input }) => ({ admin: String(input.organizationId) }),
    args: { input: t.arg({ type: UpdateOrganizationInput }) },
    resolve: (query, _root, { input }) =>
      prisma.organization.update({
        ...query,
        where: { id: String(input.organizationId) },
        data: {
          name: input.name?.trim() ?? undefined,
          isMerchant: input.isMerchant ?? undefined,
          isAffiliate: input.isAffiliate ?? undefined,
        },
      }),
  }),
  addMember: t.prismaField({
    type: 'Membership',
    description: 'Adds an existing user to the organization. Only owners may add owners.',
    authScopes: (_root, { input }) => ({ admin: String(input.organizationId) }),
    args: { input: t.arg({ type: AddMemberInput }) },
    resolve: async (query, _root, { input }, { viewer }) => {
      const organizationId = String(input.organizationId);
      if (input.role === 'OWNER' && !(viewer.kind === 'user' && actsFor(viewer, organizationId, 'OWNER'))) {
        throw forbidden('Only an owner may add an owner');
      }
      const user = await prisma.user.findUnique({
        where: { email: input.email.trim().toLowerCase() },
        select: { id: true },
      });
      if (!user) throw notFound('User');
      try {
        return await prisma.membership.create({
          ...query,
          data: { organizationId, userId: user.id, role: input.role ?? 'MEMBER' },
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('The user is already a member');
        throw error;
      }
    },
  }),
  removeMember: t.boolean({
    description: 'Removes a member. Only owners may remove owners; the last owner cannot be removed.',
    authScopes: (_root, { input }) => ({ admin: String(input.organizationId) }),
    args: { input: t.arg({ type: RemoveMemberInput }) },
    resolve: async (_root, { input }, { viewer }) => {
      const organizationId = String(input.organizationId);
      return prisma.$transaction(async (tx) => {
        // Lock the organization's memberships so two removals cannot both leave it ownerless.
        await tx.$queryRaw`SELECT id FROM "Membership" WHERE "organizationId" = ${organizationId}::uuid FOR UPDATE`;
        const membership = await tx.membership.findUnique({
          where: { userId_organizationId: { userId: String(input.userId), organizationId } },
        });
        if (!membership) throw notFound('Membership');
        if (membership.role === 'OWNER') {
          if (!(viewer.kind === 'user' && actsFor(viewer, organizationId, 'OWNER'))) {
            throw forbidden('Only an owner may remove an owner');
          }
          const owners = await tx.membership.count({ where: { organizationId, role: 'OWNER' } });
          if (owners <= 1) throw conflict('An organization needs at least one owner');
        }
        await tx.membership.delete({ where: { id: membership.id } });
        return true;
      });
    },
  }),
}));
