import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createApiKey, createOrganization, failsWith, gql, ok, signUp } from '../helpers.ts';

const ORG = `query($id: ID!) { organization(id: $id) { name apiKeys { edges { node { id prefix kind lastUsedAt } } } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`;

describe('API keys', () => {
  test('shown once, stored only as a SHA-256 hash, prefixed by kind', async () => {
    const owner = await signUp('Keys');
    const org = await createOrganization(owner.token, { name: 'Key Holder', isMerchant: true });
    const secret = await createApiKey(owner.token, org.id, 'SECRET');
    const publishable = await createApiKey(owner.token, org.id, 'PUBLISHABLE');
    expect(secret.key).toMatch(/^sk_[\w-]{32}$/);
    expect(publishable.key).toMatch(/^pk_[\w-]{32}$/);

    const row = await prisma.apiKey.findUniqueOrThrow({
      where: { id: secret.id },
      select: { keyHash: true, prefix: true },
    });
    expect(row.keyHash).toBe(createHash('sha256').update(secret.key).digest('base64url'));
    expect(row.prefix).toBe(secret.key.slice(0, 11));
    // the key is nowhere in the database
    const all = JSON.stringify(await prisma.apiKey.findMany({ omit: { keyHash: false } }));
    expect(all).not.toContain(secret.key);
  });

  test('a secret key acts for its organization only, and records when it was used', async () => {
    const a = await signUp('A');
    const b = await signUp('B');
    const orgA = await createOrganization(a.token, { name: 'Org A', isMerchant: true });
    const orgB = await createOrganization(b.token, { name: 'Org B', isMerchant: true });
    const keyA = await createApiKey(a.token, orgA.id, 'SECRET');

    const data = await ok(ORG, { id: orgA.id }, keyA.key);
    expect(data.organization.name).toBe('Org A');
    expect(data.organization.apiKeys.edges[0].node.lastUsedAt).not.toBeNull();

    expect(await failsWith(ORG, { id: orgB.id }, keyA.key)).toBe('NOT_FOUND');
    expect(
      await failsWith(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`,
        { input: { organizationId: orgB.id, kind: 'SECRET', name: 'stolen' } },
        keyA.key,
      ),
    ).toBe('FORBIDDEN');
    expect(await prisma.apiKey.count({ where: { organizationId: orgB.id } })).toBe(0);
    // keys cannot do what only a person can
    expect(
      await failsWith(`mutation { createOrganization(input: { name: "By key" }) { id } }`, {}, keyA.key),
    ).toBe('FORBIDDEN');
  });

  test('a publishable key cannot read its organization', async () => {
    const owner = await signUp('Pub');
    const org = await createOrganization(owner.token, { name: 'Pub Org', isMerchant: true });
    const pk = await createApiKey(owner.token, org.id, 'PUBLISHABLE');
    expect(await failsWith(ORG, { id: org.id }, pk.key)).toBe('FORBIDDEN');
    expect(await failsWith(`{ me { id } }`, {}, pk.key)).toBe('FORBIDDEN');
  });

  test('revoked keys stop working at once; other organizations cannot revoke them', async () => {
    const owner = await signUp('Revoker');
    const stranger = await signUp('Stranger');
    await createOrganization(stranger.token, { name: 'Stranger Org' });
    const org = await createOrganization(owner.token, { name: 'Revoking Org' });
    const key = await createApiKey(owner.token, org.id, 'SECRET');

    expect(await failsWith(REVOKE, { id: key.id }, stranger.token)).toBe('NOT_FOUND');
    await ok(ORG, { id: org.id }, key.key);

    const revoked = await ok(REVOKE, { id: key.id }, owner.token);
    expect(revoked.revokeApiKey.revokedAt).not.toBeNull();
    const result = await gql(ORG, { id: org.id }, key.key);
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');

    const listed = await ok(ORG, { id: org.id }, owner.token);
    expect(listed.organization.apiKeys.edges).toEqual([]);
    const all = await ok(
      `query($id: ID!) { organization(id: $id) { apiKeys(includeRevoked: true) { edges { node { id } } } } }`,
      { id: org.id },
      owner.token,
    );
    expect(all.organization.apiKeys.edges).toEqual([{ node: { id: key.id } }]);
  });

  test('members who are not admins cannot create keys', async () => {
    const owner = await signUp('Boss');
    const member = await signUp('Staff');
    const org = await createOrganization(owner.token, { name: 'Staffed' });
    await ok(
      `mutation($input: AddMemberInput!) { addMember(input: $input) { id } }`,
      { input: { organizationId: org.id, email: member.email } },
      owner.token,
    );
    expect(
      await failsWith(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`,
        { input: { organizationId: org.id, kind: 'SECRET', name: 'mine' } },
        member.token,
      ),
    ).toBe('FORBIDDEN');
  });
});
