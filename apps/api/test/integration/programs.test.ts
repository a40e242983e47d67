import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createOrganization, failsWith, gql, ok, signUp } from '../helpers.ts';
import { CREATE_PROGRAM, programInput, TERMS_FIELDS } from '../programs.ts';

describe('programs', () => {
  test('a merchant creates a program with tiered terms; it starts as a draft with terms version 1', async () => {
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
      currentTerms: {
        version: 1,
        negotiated: false,
        sale: { type: 'PERCENTAGE', rateBps: 800, flatAmount: null },
        tiers: {
          basis: 'COUNT',
          period: 'MONTH',
          levels: [
            { threshold: 20, rateBps: 1000 },
            { threshold: 50, rateBps: 1200 },
          ],
        },
        cookieWindowDays: 45,
        holdingDays: 30,
        minPayoutAmount: 5000,
      },
    });
    const row = await prisma.organization.findUniqueOrThrow({ where: { id: org.id } });
    expect(row.isMerchant).toBe(true);
    const tiers = await prisma.commissionTier.findMany({ orderBy: { threshold: 'asc' } });
    expect(tiers.map((tier) => [Number(tier.threshold), tier.rateBps])).toEqual([
      [20, 1000],
      [50, 1200],
    ]);
    void failsWith;
    void gql;
    void TERMS_FIELDS;
  });
});
