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
