import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createOrganization, failsWith, gql, ok, signUp } from '../helpers.ts';
import {
  activeProgram,
  affiliate,
  CREATE_PROGRAM,
  PROGRAM_FIELDS,
  programInput,
  tieredTerms,
} from '../programs.ts';

const UPDATE = `mutation($input: UpdateProgramInput!) { updateProgram(input: $input) { ${PROGRAM_FIELDS} } }`;
const STATUS = `mutation($id: ID!, $status: ProgramStatus!) { setProgramStatus(programId: $id, status: $status) { status } }`;
const TERMS = `mutation($input: UpdateProgramTermsInput!) { updateProgramTerms(input: $input) { version effectiveAt sale { rateBps } } }`;
const PROGRAM = `query($id: ID!) { program(id: $id) { id name status currentTerms { version } } }`;

describe('creating programs', () => {
  test('with tiered terms: a draft with terms version 1; the organization becomes a merchant', async () => {
    const merchant = await signUp('Merchant');
    const org = await createOrganization(merchant.token, { name: 'Tiered Gear' });
    const data = await ok(
      CREATE_PROGRAM,
      { input: programInput(org.id, { slug: 'tiered-gear' }) },
      merchant.token,
    );
    expect(data.createProgram).toMatchObject({
      slug: 'tiered-gear',
      status: 'DRAFT',
      currency: 'USD',
      allowedDomains: ['tiered.example'],
      merchantName: 'Tiered Gear',
      currentTerms: {
        version: 1,
        negotiated: false,
        currency: 'USD',
        sale: { type: 'PERCENTAGE', rateBps: 800, flatAmount: null },
        tiers: {
          basis: 'COUNT',
          period: 'MONTH',
          levels: [
            { threshold: 20, rateBps: 1000, flatAmount: null },
            { threshold: 50, rateBps: 1200, flatAmount: null },
          ],
        },
        recurring: { mode: 'NONE', months: null, rateBps: null },
        cookieWindowDays: 45,
        attributionModel: 'LAST_CLICK',
        holdingDays: 30,
        minPayoutAmount: 5000,
      },
    });
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).isMerchant).toBe(true);
    const tiers = await prisma.commissionTier.findMany({ orderBy: { threshold: 'asc' } });
    expect(tiers.map((tier) => [Number(tier.threshold), tier.rateBps])).toEqual([
      [20, 1000],
      [50, 1200],
    ]);
  });

  test('every invalid field is reported at once, and nothing is written', async () => {
    const merchant = await signUp('Careless');
    const org = await createOrganization(merchant.token, { name: 'Careless Co' });
    const before = await prisma.program.count();
    const result = await gql(
      CREATE_PROGRAM,
      {
        input: programInput(org.id, {
          name: '',
          slug: 'Bad Slug',
          websiteUrl: 'https://shop.example',
          allowedDomains: ['shop.example'],
          defaultUrl: 'https://evil.example/phish',
          fallbackUrl: 'javascript:alert(1)',
          currency: 'XYZ',
          category: 'Weapons',
          terms: {
            ...tieredTerms,
            sale: { type: 'PERCENTAGE', rateBps: 12_000 },
            cookieWindowDays: 400,
            minPayoutAmount: -5,
          },
        }),
      },
      merchant.token,
    );
    expect(result.errors?.[0]?.extensions.code).toBe('INVALID_INPUT');
    expect(result.errors?.[0]?.extensions.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(
      [
        'input.category',
        'input.currency',
        'input.defaultUrl',
        'input.fallbackUrl',
        'input.name',
        'input.slug',
        'input.terms.cookieWindowDays',
        'input.terms.minPayoutAmount',
        'input.terms.sale.rateBps',
      ],
    );
    expect(await prisma.program.count()).toBe(before);
  });

  test('slugs are unique across the network', async () => {
    const a = await signUp('A');
    const b = await signUp('B');
    const orgA = await createOrganization(a.token, { name: 'Slug A' });
    const orgB = await createOrganization(b.token, { name: 'Slug B' });
    await ok(CREATE_PROGRAM, { input: programInput(orgA.id, { slug: 'same-slug' }) }, a.token);
    const result = await gql(
      CREATE_PROGRAM,
      { input: programInput(orgB.id, { slug: 'same-slug' }) },
      b.token,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'slug' });
  });
});

describe('managing programs', () => {
  test('status: draft → active → paused → active → archived, which is final', async () => {
    const { merchant, program } = await activeProgram();
    expect(
      (await ok(STATUS, { id: program.id, status: 'PAUSED' }, merchant.token)).setProgramStatus.status,
    ).toBe('PAUSED');
    expect(
      (await ok(STATUS, { id: program.id, status: 'ACTIVE' }, merchant.token)).setProgramStatus.status,
    ).toBe('ACTIVE');
    expect(
      (await ok(STATUS, { id: program.id, status: 'ARCHIVED' }, merchant.token)).setProgramStatus.status,
    ).toBe('ARCHIVED');
    expect(await failsWith(STATUS, { id: program.id, status: 'ACTIVE' }, merchant.token)).toBe('CONFLICT');
  });

  test('updates keep every URL inside the allowed domains', async () => {
    const { merchant, program } = await activeProgram();
    const updated = await ok(
      UPDATE,
      {
        input: {
          programId: program.id,
          name: 'Renamed',
          allowedDomains: ['tiered.example', 'shop.tiered.example'],
          autoApprove: true,
        },
      },
      merchant.token,
    );
    expect(updated.updateProgram).toMatchObject({ name: 'Renamed', autoApprove: true });
    const result = await gql(
      UPDATE,
      { input: { programId: program.id, defaultUrl: 'https://other.example/' } },
      merchant.token,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_INPUT',
      issues: [{ path: 'input.defaultUrl' }],
    });
    // narrowing the domains must not strand the website
    const narrowed = await gql(
      UPDATE,
      { input: { programId: program.id, allowedDomains: ['shop.tiered.example'] } },
      merchant.token,
    );
    expect(narrowed.errors?.[0]?.extensions.issues).toEqual([
      { path: 'input.websiteUrl', message: 'must be inside the allowed domains (shop.tiered.example)' },
    ]);
  });

  test('new terms are a new version; scheduled versions wait for their time; the past cannot change', async () => {
    const { merchant, program } = await activeProgram();
    const now = await ok(
      TERMS,
      {
        input: {
          programId: program.id,
          terms: { ...tieredTerms, sale: { type: 'PERCENTAGE', rateBps: 900 } },
        },
      },
      merchant.token,
    );
    expect(now.updateProgramTerms).toMatchObject({ version: 2, sale: { rateBps: 900 } });
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await ok(
      TERMS,
      {
        input: {
          programId: program.id,
          terms: { sale: { type: 'FLAT', flatAmount: 1500 } },
          effectiveAt: later,
        },
      },
      merchant.token,
    );
    expect((await ok(PROGRAM, { id: program.id }, merchant.token)).program.currentTerms.version).toBe(2);
    const past = new Date(Date.now() - 86_400_000).toISOString();
    expect(
      await failsWith(
        TERMS,
        { input: { programId: program.id, terms: tieredTerms, effectiveAt: past } },
        merchant.token,
      ),
    ).toBe('INVALID_INPUT');
    const versions = await prisma.commissionTerms.findMany({
      where: { programId: program.id },
      orderBy: { version: 'asc' },
    });
    expect(versions.map((v) => [v.version, v.saleRateBps ?? v.saleFlatAmount])).toEqual([
      [1, 800],
      [2, 900],
      [3, 1500],
    ]);
  });
});

describe('who sees and changes programs', () => {
  test('another merchant cannot read a draft or change anything; an affiliate cannot manage', async () => {
    const owner = await signUp('Owner');
    const org = await createOrganization(owner.token, { name: 'Owner Org' });
    const draft = (
      await ok(CREATE_PROGRAM, { input: programInput(org.id, { slug: 'hidden-draft' }) }, owner.token)
    ).createProgram;
    const rival = await activeProgram({}, 'Rival');
    const aff = await affiliate('Nosy');

    for (const token of [rival.merchant.token, aff.user.token]) {
      expect(await failsWith(PROGRAM, { id: draft.id }, token)).toBe('NOT_FOUND');
      expect(await failsWith(UPDATE, { input: { programId: draft.id, name: 'Pwned' } }, token)).toBe(
        'NOT_FOUND',
      );
      expect(await failsWith(STATUS, { id: draft.id, status: 'ACTIVE' }, token)).toBe('NOT_FOUND');
      expect(await failsWith(TERMS, { input: { programId: draft.id, terms: tieredTerms } }, token)).toBe(
        'NOT_FOUND',
      );
    }
    expect(
      await failsWith(
        CREATE_PROGRAM,
        { input: programInput(org.id, { slug: 'intruder' }) },
        rival.merchant.token,
      ),
    ).toBe('FORBIDDEN');
    const row = await prisma.program.findUniqueOrThrow({ where: { id: draft.id } });
    expect(row).toMatchObject({ name: 'Tiered Gear', status: 'DRAFT' });
    expect(await prisma.commissionTerms.count({ where: { programId: draft.id } })).toBe(1);
  });

  test('a listed program is visible to any signed-in user, but its enrollments and history only to the merchant', async () => {
    const { program } = await activeProgram();
    const aff = await affiliate('Browser');
    expect((await ok(PROGRAM, { id: program.id }, aff.user.token)).program.name).toBe('Merchant Program');
    const result = await gql(
      `query($id: ID!) { program(id: $id) { enrollments { edges { node { id } } } } }`,
      { id: program.id },
      aff.user.token,
    );
    expect(result.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(await failsWith(PROGRAM, { id: program.id })).toBe('UNAUTHENTICATED');
  });

  test('members without the admin role read but cannot change', async () => {
    const { merchant, org, program } = await activeProgram();
    const staff = await signUp('Staff');
    await ok(
      `mutation($input: AddMemberInput!) { addMember(input: $input) { id } }`,
      { input: { organizationId: org.id, email: staff.email } },
      merchant.token,
    );
    expect((await ok(PROGRAM, { id: program.id }, staff.token)).program.id).toBe(program.id);
    expect(
      await failsWith(UPDATE, { input: { programId: program.id, name: 'Staff edit' } }, staff.token),
    ).toBe('FORBIDDEN');
  });
});
