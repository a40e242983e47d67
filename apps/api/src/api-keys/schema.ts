import { generateApiKey } from '../auth/api-keys.ts';
import { actsFor } from '../auth/scopes.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { notFound } from '../errors.ts';
import { ApiKeyKind } from '../generated/prisma/client.ts';
import { invalidate } from '../invalidation.ts';
import { id, input, name } from '../validation.ts';

const ApiKeyKindEnum = builder.enumType(ApiKeyKind, {
  name: 'ApiKeyKind',
  description:
    "PUBLISHABLE (pk_…) is safe in a browser and may only report clicks and conversions; SECRET (sk_…) is for servers and acts with the organization's full scope.",
});

const ApiKey = builder.prismaObject('ApiKey', {
  authScopes: (key) => ({ admin: key.organizationId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: ApiKeyKindEnum }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to recognise it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    organization: t.relation('organization'),
  }),
});

builder.prismaObjectField('Organization', 'apiKeys', (t) =>
  t.relatedConnection('apiKeys', {
    cursor: 'id',
    authScopes: (org) => ({ admin: org.id, networkAdmin: true }),
    args: { includeRevoked: t.arg.boolean({ defaultValue: false }) },
    query: ({ includeRevoked }) => ({
      where: includeRevoked ? {} : { revokedAt: null },
      orderBy: { id: 'asc' },
    }),
  }),
);

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    organizationId: t.id(),
    kind: t.field({ type: ApiKeyKindEnum }),
    name: t.string(),
  }),
  validate: input({ organizationId: id, name }),
});

const CreatedApiKey = builder.objectRef<{ key: string; apiKeyId: string }>('CreatedApiKey').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The full key. It is shown only here: store it now.' }),
    apiKey: t.prismaField({
      type: ApiKey,
      resolve: (query, created) =>
        prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: created.apiKeyId } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKey,
    authScopes: (_root, { input }) => ({ admin: String(input.organizationId) }),
    args: { input: t.arg({ type: CreateApiKeyInput }) },
    resolve: async (_root, { input }, { viewer }) => {
      const { key, keyHash, prefix } = generateApiKey(input.kind);
      const created = await prisma.apiKey.create({
        data: {
          organizationId: String(input.organizationId),
          kind: input.kind,
          name: input.name.trim(),
          keyHash,
          prefix,
          createdById: viewer.kind === 'user' ? viewer.userId : null,
        },
        select: { id: true },
      });
      return { key, apiKeyId: created.id };
    },
  }),
  revokeApiKey: t.prismaField({
    type: ApiKey,
    description: 'Revokes a key at once; requests made with it are refused from then on.',
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ validate: id }) },
    resolve: async (query, _root, { id }, { viewer }) => {
      const key = await prisma.apiKey.findUnique({
        where: { id: String(id) },
        select: { organizationId: true },
      });
      if (!key || !actsFor(viewer, key.organizationId, 'ADMIN')) throw notFound('API key');
      await prisma.apiKey.updateMany({
        where: { id: String(id), revokedAt: null },
        data: { revokedAt: new Date() },
      });
      invalidate({ apiKey: String(id) });
      return prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
}));
