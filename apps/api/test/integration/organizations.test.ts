import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createOrganization, failsWith, gql, ok, signUp } from '../helpers.ts';

const ORG = `query($id: ID!) { organization(id: $id) { id name members { edges { node { role user { email } } } } } }`;
const UPDATE = `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { name } }`;
const ADD = `mutation($input: AddMemberInput!) { addMember(input: $input) { role user { id } } }`;
const REMOVE = `mutation($input: RemoveMemberInput!) { removeMember(input: $input) }`;

describe('organizations', () => {
  test('the creator becomes its owner; the slug is derived from the name and unique', async () => {
    const owner = await signUp('Owner');
    const org = await createOrganization(owner.token, { name: 'Trailhead Outfitters', isMerchant: true });
    expect(org.slug).toBe('trailhead-outfitters');
    const membership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id } });
    expect(membership).toMatchObject({ userId: owner.userId, role: 'OWNER' });

    const data = await ok(ORG, { id: org.id }, owner.token);
    expect(data.organization.members.edges).toEqual([
      { node: { role: 'OWNER', user: { email: owner.email } } },
    ]);

    const again = await gql(
      `mutation { createOrganization(input: { name: "Trailhead Outfitters" }) { id } }`,
      {},
      (await signUp('Other')).token,
    );
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'slug' });
    expect(await prisma.organization.count({ where: { name: 'Trailhead Outfitters' } })).toBe(1);
  });

  test('one organization cannot read or change another', async () => {
    const alice = await signUp('Alice');
    const bob = await signUp('Bob');
    const aliceOrg = await createOrganization(alice.token, { name: 'Alice Gear', isMerchant: true });
    await createOrganization(bob.token, { name: 'Bob Reviews', isAffiliate: true });

    expect(await failsWith(ORG, { id: aliceOrg.id }, bob.token)).toBe('NOT_FOUND');
    expect(
      await failsWith(UPDATE, { input: { organizationId: aliceOrg.id, name: 'Pwned' } }, bob.token),
    ).toBe('FORBIDDEN');
    expect(
      await failsWith(
        ADD,
        { input: { organizationId: aliceOrg.id, email: bob.email, role: 'OWNER' } },
        bob.token,
      ),
    ).toBe('FORBIDDEN');
    expect(
      await failsWith(REMOVE, { input: { organizationId: aliceOrg.id, userId: alice.userId } }, bob.token),
    ).toBe('FORBIDDEN');

    const row = await prisma.organization.findUniqueOrThrow({ where: { id: aliceOrg.id } });
    expect(row.name).toBe('Alice Gear');
    expect(await prisma.membership.count({ where: { organizationId: aliceOrg.id } })).toBe(1);
  });

  test('roles: members read, admins manage members, only owners touch owners, one owner always remains', async () => {
    const owner = await signUp('Olga');
    const admin = await signUp('Adam');
    const member = await signUp('Mia');
    const org = await createOrganization(owner.token, { name: 'Roles Inc' });

    await ok(ADD, { input: { organizationId: org.id, email: admin.email, role: 'ADMIN' } }, owner.token);
    await ok(ADD, { input: { organizationId: org.id, email: member.email } }, admin.token);
    expect(
      await failsWith(ADD, { input: { organizationId: org.id, email: member.email } }, admin.token),
    ).toBe('CONFLICT');

    expect((await ok(ORG, { id: org.id }, member.token)).organization.members.edges).toHaveLength(3);
    expect(await failsWith(UPDATE, { input: { organizationId: org.id, name: 'Mine' } }, member.token)).toBe(
      'FORBIDDEN',
    );
    expect(
      await failsWith(
        ADD,
        { input: { organizationId: org.id, email: member.email, role: 'OWNER' } },
        admin.token,
      ),
    ).toBe('FORBIDDEN');
    expect(
      await failsWith(REMOVE, { input: { organizationId: org.id, userId: owner.userId } }, admin.token),
    ).toBe('FORBIDDEN');
    expect(
      await failsWith(REMOVE, { input: { organizationId: org.id, userId: owner.userId } }, owner.token),
    ).toBe('CONFLICT');

    expect(
      (await ok(REMOVE, { input: { organizationId: org.id, userId: member.userId } }, admin.token))
        .removeMember,
    ).toBe(true);
    expect(await failsWith(ORG, { id: org.id }, member.token)).toBe('NOT_FOUND');
  });

  test('a user sees only their own memberships', async () => {
    const owner = await signUp('Private');
    const peer = await signUp('Peer');
    const org = await createOrganization(owner.token, { name: 'Private Ltd' });
    await createOrganization(owner.token, { name: 'Secret Side Project' });
    await ok(ADD, { input: { organizationId: org.id, email: peer.email } }, owner.token);

    const mine = await ok(
      `{ me { memberships { edges { node { organization { name } } } } } }`,
      {},
      owner.token,
    );
    expect(mine.me.memberships.edges).toHaveLength(2);
    // A fellow member sees the owner's name and email, but not the owner's other organizations.
    const result = await gql(
      `query($id: ID!) { organization(id: $id) { members { edges { node { user { email memberships { edges { node { id } } } } } } } } }`,
      { id: org.id },
      peer.token,
    );
    expect(result.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });

  test('an invalid name or slug is refused with every issue listed, and nothing is written', async () => {
    const user = await signUp('Sloppy');
    const before = await prisma.organization.count();
    const result = await gql(
      `mutation { createOrganization(input: { name: "  ", slug: "Not A Slug!" }) { id } }`,
      {},
      user.token,
    );
    expect(result.errors?.[0]?.extensions.code).toBe('INVALID_INPUT');
    expect(result.errors?.[0]?.extensions.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(
      ['input.name', 'input.slug'],
    );
    expect(await prisma.organization.count()).toBe(before);
  });

  test('invalid ids are invalid input, not errors', async () => {
    const user = await signUp('Typo');
    expect(await failsWith(ORG, { id: 'not-a-uuid' }, user.token)).toBe('INVALID_INPUT');
  });
});
