import { createOrganization, ok, signUp } from './helpers.ts';

// Program fixtures shared by the integration tests.

export const TERMS_FIELDS = `
  id version effectiveAt negotiated currency
  sale { type rateBps flatAmount }
  leadAmount clickAmount
  tiers { basis period levels { threshold rateBps flatAmount } }
  bonus { amount basis threshold period }
  recurring { mode months rateBps }
  cookieWindowDays attributionModel holdingDays minPayoutAmount`;

export const PROGRAM_FIELDS = `id name slug status visibility currency allowedDomains autoApprove merchantName currentTerms { ${TERMS_FIELDS} }`;

export const CREATE_PROGRAM = `mutation($input: CreateProgramInput!) { createProgram(input: $input) { ${PROGRAM_FIELDS} } }`;

export const tieredTerms = {
  sale: { type: 'PERCENTAGE', rateBps: 800 },
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
};

export function programInput(organizationId: string, overrides: Record<string, unknown> = {}) {
  return {
    organizationId,
    name: 'Tiered Gear',
    description: 'Tents and packs',
    category: 'Outdoor & Sports',
    websiteUrl: 'https://tiered.example',
    currency: 'USD',
    terms: tieredTerms,
    ...overrides,
  };
}

export const ENROLLMENT_FIELDS = `id status referralCode applicationMessage history { fromStatus toStatus reason actorName }`;

/** A merchant user with a merchant organization and an ACTIVE program. */
export async function activeProgram(overrides: Record<string, unknown> = {}, name = 'Merchant') {
  const merchant = await signUp(name);
  const org = await createOrganization(merchant.token, {
    name: `${name} Co ${Math.random().toString(36).slice(2, 7)}`,
  });
  const created = await ok(
    CREATE_PROGRAM,
    {
      input: programInput(org.id, {
        name: `${name} Program`,
        slug: `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 9)}`,
        ...overrides,
      }),
    },
    merchant.token,
  );
  const program = created.createProgram;
  await ok(
    `mutation($id: ID!) { setProgramStatus(programId: $id, status: ACTIVE) { status } }`,
    { id: program.id },
    merchant.token,
  );
  return { merchant, org, program };
}

/** An affiliate user with an organization and an affiliate profile. */
export async function affiliate(name = 'Affiliate') {
  const user = await signUp(name);
  const org = await createOrganization(user.token, {
    name: `${name} Media ${Math.random().toString(36).slice(2, 7)}`,
  });
  const data = await ok(
    `mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) { id displayName contactEmail payoutReference } }`,
    {
      input: {
        organizationId: org.id,
        displayName: `${name} Reviews`,
        websiteUrl: 'https://reviews.example',
        channels: ['blog', 'newsletter'],
        country: 'us',
        contactEmail: `partners@${name.toLowerCase()}.example`,
        payoutMethod: 'PAYPAL',
        payoutAccount: `${name.toLowerCase()}@pay.example`,
      },
    },
    user.token,
  );
  return { user, org, profile: data.upsertAffiliateProfile as { id: string; displayName: string } };
}

export async function apply(
  token: string,
  programId: string,
  affiliateOrganizationId: string,
  message = 'We write about gear',
) {
  const data = await ok(
    `mutation($input: ApplyToProgramInput!) { applyToProgram(input: $input) { ${ENROLLMENT_FIELDS} } }`,
    { input: { programId, affiliateOrganizationId, message } },
    token,
  );
  return data.applyToProgram;
}

export const decide = (mutation: string) =>
  `mutation($input: EnrollmentDecisionInput!) { ${mutation}(input: $input) { ${ENROLLMENT_FIELDS} } }`;

/** A program with one approved affiliate. */
export async function approvedEnrollment(overrides: Record<string, unknown> = {}) {
  const { merchant, org, program } = await activeProgram(overrides);
  const aff = await affiliate();
  const applied = await apply(aff.user.token, program.id, aff.org.id);
  await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token);
  return { merchant, merchantOrg: org, program, aff, enrollmentId: applied.id as string };
}
