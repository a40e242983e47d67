// The operations of the schema as the tests call them: for each root field, who may call it and
// arguments that reach its logic (fixtures made fresh where a call uses them up). The
// authorization matrix and the fuzz test share them.
import { randomUUID } from 'node:crypto';
import type { GraphQLInputType } from 'graphql';
import { expect } from 'vitest';
import { config } from '../src/config.ts';
import { rateLimits } from '../src/rate-limits.ts';
import { createApp } from '../src/yoga.ts';
import { ok } from './helpers.ts';
import { apply, decide } from './programs.ts';
import type { Fill, Values } from './schema-calls.ts';
import { type Persona, partnership, personas, program, sale, type World, world } from './tenants.ts';

// Deep selections of every field cost more than a client's query may: the limits are raised here
// (they have tests of their own).
const settings = {
  ...config(),
  GRAPHQL_MAX_COST: 1_000_000,
  GRAPHQL_MAX_DEPTH: 100,
  GRAPHQL_MAX_TOKENS: 1_000_000,
  GRAPHQL_MAX_ALIASES: 1000,
  // Every persona logs in as A, and each needs a session of its own.
  RATE_LIMIT_LOGIN_PER_ACCOUNT: 10_000,
};
export const app = createApp({ settings, rateLimits: rateLimits(settings, null) });

export async function call(query: string, variables: Values, credential: string | undefined) {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export let w: World;

/** Values by argument or input-field name, from the fixtures; the rest comes from the schema. */
export function fillFrom(overrides: Values): Fill {
  return (name: string, _type: GraphQLInputType, path: string[]) => {
    const key = [...path.slice(1), name].join('.');
    if (key in overrides) return overrides[key];
    if (path.length === 0 && name in overrides) return overrides[name];
    switch (name) {
      case 'programId':
        return w.x.programId;
      case 'enrollmentId':
        return w.ax.enrollmentId;
      case 'organizationId':
        return w.x.organizationId;
      case 'affiliateOrganizationId':
        return w.a.organizationId;
      case 'affiliateId':
        return w.a.profileId;
      case 'linkId':
        return w.ax.linkId;
      case 'endpointId':
        return w.x.webhookEndpointId;
      case 'email':
      case 'contactEmail':
        return `${unique('matrix')}@example.com`;
      case 'password':
        return 'a long enough password';
      case 'url':
      case 'websiteUrl':
      case 'destinationUrl':
        return 'https://tiered.example/matrix';
      case 'currency':
      case 'fromCurrency':
        return 'USD';
      case 'toCurrency':
        return 'EUR';
      case 'rate':
        return '0.9';
      case 'orderId':
      case 'leadId':
      case 'refundId':
      case 'externalReference':
        return unique('matrix');
      case 'code':
        return unique('MATRIX').toUpperCase().replace(/-/g, '');
      case 'amount':
        return 1000;
      case 'from':
      case 'to':
        return path.length ? new Date().toISOString().slice(0, 10) : undefined;
      case 'subId':
        return 'matrix';
      case 'reason':
      case 'message':
      case 'name':
      case 'displayName':
        return 'Matrix';
      default:
        return undefined;
    }
  };
}

export interface Case {
  /** The personas that may do it; everyone else must be refused. */
  allowed: Persona[];
  /** Arguments (or input fields, dotted from the input) to use instead of the defaults. */
  args?: () => Promise<Values> | Values;
  /** Whose data the answer is, when the arguments are a credential (a password, a token). */
  seenAs?: (caller: Persona) => Persona;
  /** Codes that also count as a refusal here (besides UNAUTHENTICATED, FORBIDDEN, NOT_FOUND). */
  refusedAlso?: string[];
  /** Who the fuzz test calls as, when no persona may make the call on these arguments. */
  fuzzAs?: () => string;
}

export const merchant: Persona[] = ['merchantX', 'secretKey'];
const parties: Persona[] = ['merchantX', 'secretKey', 'affiliateA'];
const users: Persona[] = ['affiliateA', 'affiliateB', 'merchantX', 'merchantY', 'networkAdmin'];
const everyone = personas;

// --- fixtures made fresh for a case, so that each call meets the state it needs --------------

async function freshProgram() {
  return program(w.x.owner.token, w.x.organizationId);
}
async function application() {
  const programId = await freshProgram();
  return (await apply(w.a.owner.token, programId, w.a.organizationId)).id as string;
}
async function approved() {
  const enrollmentId = await application();
  await ok(decide('approveEnrollment'), { input: { enrollmentId } }, w.x.owner.token);
  return enrollmentId;
}
async function proposal() {
  const enrollmentId = await approved();
  const data = await ok(
    'mutation($input: ProposeTermsInput!) { proposeTerms(input: $input) { id } }',
    { input: { enrollmentId, changes: { cookieWindowDays: 60 } } },
    w.x.owner.token,
  );
  return data.proposeTerms.id as string;
}
async function freshSale() {
  return sale(w.x, w.x.programId, w.ax.coupon, 'ax');
}
/** A payout of a new program of X's, moved along to `status`. */
/**
 * A new program of X's whose affiliate has an approved commission, and a payout of it moved
 * along to `status` (`NONE`: not run yet).
 */
async function payout(status: 'NONE' | 'DRAFT' | 'APPROVED' | 'PROCESSING') {
  const programId = await freshProgram();
  const p = await partnership(w.x, w.a, programId, 'ax');
  const { commissionId } = await sale(w.x, programId, p.coupon, 'ax');
  await ok(
    'mutation($input: ApproveCommissionInput!) { approveCommission(input: $input) { id } }',
    { input: { commissionId } },
    w.x.owner.token,
  );
  if (status === 'NONE') return { programId };
  const run = await ok(
    'mutation($input: RunPayoutInput!) { runPayout(input: $input) { payout { id items { id } } } }',
    { input: { organizationId: w.x.organizationId, programId } },
    w.x.owner.token,
  );
  const payoutId = run.runPayout.payout.id as string;
  const itemId = run.runPayout.payout.items[0].id as string;
  const step = async (mutation: string) =>
    ok(`mutation($id: ID!) { ${mutation}(payoutId: $id) { id } }`, { id: payoutId }, w.x.owner.token);
  if (status !== 'DRAFT') await step('approvePayout');
  if (status === 'PROCESSING') await step('startPayoutProcessing');
  return { programId, payoutId, itemId };
}
async function session() {
  const body = await call(
    'mutation($input: LogInInput!) { logIn(input: $input) { refreshToken } }',
    { input: { email: w.a.owner.email, password: w.a.owner.password } },
    undefined,
  );
  expect(body.errors).toBeUndefined();
  return (body.data!.logIn as { refreshToken: string }).refreshToken;
}
async function member() {
  const email = `${unique('member')}@example.com`;
  const data = await ok('mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }', {
    input: { email, password: 'a long enough password', name: 'Member' },
  });
  await ok(
    'mutation($input: AddMemberInput!) { addMember(input: $input) { id } }',
    { input: { organizationId: w.x.organizationId, email } },
    w.x.owner.token,
  );
  return data.signUp.user.id as string;
}

/** A user of its own, for the calls that act on the caller's account itself. */
let throwaway = { email: '', token: '' };
async function ownAccount() {
  const email = `${unique('throwaway')}@example.com`;
  const data = await ok('mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', {
    input: { email, password: 'a long enough password', name: 'Throwaway' },
  });
  throwaway = { email, token: data.signUp.accessToken };
  return { email, password: 'a long enough password' };
}

export const mutations: Record<string, Case> = {
  // Deletes the caller's own account: the personas may not delete another's (the email and
  // password are a throwaway user's), so it is refused for all; privacy.test.ts deletes for real.
  deleteMyAccount: {
    allowed: [],
    refusedAlso: ['INVALID_INPUT'],
    args: ownAccount,
    fuzzAs: () => throwaway.token,
  },
  signUp: { allowed: everyone },
  logIn: {
    allowed: everyone,
    args: () => ({ email: w.a.owner.email, password: w.a.owner.password }),
    seenAs: () => 'affiliateA',
  },
  refreshToken: {
    allowed: everyone,
    args: async () => ({ refreshToken: await session() }),
    seenAs: () => 'affiliateA',
  },
  logOut: { allowed: everyone, args: async () => ({ refreshToken: await session() }) },
  createOrganization: { allowed: users, args: () => ({ name: unique('Matrix Org') }) },
  updateOrganization: { allowed: merchant },
  addMember: {
    allowed: merchant,
    args: async () => {
      const email = `${unique('invitee')}@example.com`;
      await ok('mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', {
        input: { email, password: 'a long enough password', name: 'Invitee' },
      });
      return { email };
    },
  },
  removeMember: { allowed: merchant, args: async () => ({ userId: await member() }) },
  createApiKey: { allowed: merchant },
  revokeApiKey: {
    allowed: merchant,
    args: async () => {
      const data = await ok(
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }',
        { input: { organizationId: w.x.organizationId, kind: 'SECRET', name: 'Spare' } },
        w.x.owner.token,
      );
      return { id: data.createApiKey.apiKey.id };
    },
  },
  upsertAffiliateProfile: { allowed: ['affiliateA'], args: () => ({ organizationId: w.a.organizationId }) },
  createProgram: {
    allowed: merchant,
    args: () => ({ slug: unique('matrix'), terms: { sale: { type: 'PERCENTAGE', rateBps: 500 } } }),
  },
  updateProgram: { allowed: merchant },
  updateProgramTerms: {
    allowed: merchant,
    args: () => ({ terms: { sale: { type: 'PERCENTAGE', rateBps: 900 } } }),
  },
  setProgramStatus: {
    allowed: merchant,
    args: async () => ({ programId: await freshProgram(), status: 'PAUSED' }),
  },
  applyToProgram: { allowed: ['affiliateA'], args: async () => ({ programId: await freshProgram() }) },
  inviteAffiliate: { allowed: merchant, args: async () => ({ programId: await freshProgram() }) },
  acceptInvitation: {
    allowed: ['affiliateA'],
    args: async () => {
      const programId = await freshProgram();
      const data = await ok(
        'mutation($input: InviteAffiliateInput!) { inviteAffiliate(input: $input) { id } }',
        { input: { programId, affiliateId: w.a.profileId } },
        w.x.owner.token,
      );
      return { enrollmentId: data.inviteAffiliate.id };
    },
  },
  approveEnrollment: { allowed: merchant, args: async () => ({ enrollmentId: await application() }) },
  rejectEnrollment: { allowed: merchant, args: async () => ({ enrollmentId: await application() }) },
  suspendEnrollment: { allowed: merchant, args: async () => ({ enrollmentId: await approved() }) },
  reinstateEnrollment: {
    allowed: merchant,
    args: async () => {
      const enrollmentId = await approved();
      await ok(decide('suspendEnrollment'), { input: { enrollmentId, reason: 'Matrix' } }, w.x.owner.token);
      return { enrollmentId };
    },
  },
  withdrawEnrollment: { allowed: ['affiliateA'], args: async () => ({ enrollmentId: await approved() }) },
  proposeTerms: {
    allowed: ['merchantX', 'secretKey', 'affiliateA'],
    args: async () => ({ enrollmentId: await approved(), changes: { cookieWindowDays: 50 } }),
  },
  acceptProposal: { allowed: ['affiliateA'], args: async () => ({ proposalId: await proposal() }) },
  rejectProposal: { allowed: ['affiliateA'], args: async () => ({ proposalId: await proposal() }) },
  counterProposal: {
    allowed: ['affiliateA'],
    args: async () => ({ proposalId: await proposal(), changes: { cookieWindowDays: 40 } }),
  },
  withdrawProposal: { allowed: merchant, args: async () => ({ proposalId: await proposal() }) },
  // The merchant may make and change links for its affiliates too.
  createLink: { allowed: parties },
  updateLink: { allowed: parties },
  disableLink: { allowed: parties, args: () => ({ id: w.ax.linkId }) },
  enableLink: { allowed: parties, args: () => ({ id: w.ax.linkId }) },
  createCouponCode: { allowed: merchant },
  createCreative: { allowed: merchant, args: () => ({ kind: 'COPY', body: 'Matrix' }) },
  archiveCreative: {
    allowed: merchant,
    args: async () => {
      const data = await ok(
        'mutation($input: CreateCreativeInput!) { createCreative(input: $input) { id } }',
        { input: { programId: w.x.programId, kind: 'COPY', name: 'Spare', body: 'Spare' } },
        w.x.owner.token,
      );
      return { id: data.createCreative.id };
    },
  },
  trackSale: { allowed: merchant },
  trackLead: { allowed: merchant, args: () => ({ consent: false }) },
  refundSale: {
    allowed: merchant,
    args: async () => ({ orderId: (await freshSale()).orderId, amount: 500 }),
  },
  reviewConversion: {
    allowed: merchant,
    args: async () => ({ conversionId: (await freshSale()).conversionId }),
  },
  updateFraudRule: { allowed: merchant, args: () => ({ rule: 'TOO_FAST', action: 'FLAG' }) },
  approveCommission: {
    allowed: merchant,
    args: async () => ({ commissionId: (await freshSale()).commissionId }),
  },
  rejectCommission: {
    allowed: merchant,
    args: async () => ({ commissionId: (await freshSale()).commissionId }),
  },
  approveDueCommissions: { allowed: merchant },
  adjustAffiliateBalance: { allowed: merchant },
  setExchangeRate: { allowed: merchant },
  runPayout: { allowed: merchant, args: async () => ({ programId: (await payout('NONE')).programId }) },
  approvePayout: { allowed: merchant, args: async () => ({ payoutId: (await payout('DRAFT')).payoutId }) },
  startPayoutProcessing: {
    allowed: merchant,
    args: async () => {
      const p = await payout('APPROVED');
      return { payoutId: p.payoutId };
    },
  },
  markPayoutItemPaid: {
    allowed: merchant,
    args: async () => ({ itemId: (await payout('PROCESSING')).itemId }),
  },
  markPayoutItemFailed: {
    allowed: merchant,
    args: async () => ({ itemId: (await payout('PROCESSING')).itemId }),
  },
  createWebhookEndpoint: { allowed: merchant },
  updateWebhookEndpoint: { allowed: merchant },
  setWebhookEndpointEnabled: { allowed: merchant, args: () => ({ enabled: true }) },
  rotateWebhookSecret: { allowed: merchant },
  deleteWebhookEndpoint: {
    allowed: merchant,
    args: async () => {
      const data = await ok(
        'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
        {
          input: {
            organizationId: w.x.organizationId,
            url: 'https://tiered.example/spare',
            events: ['CONVERSION_CREATED'],
          },
        },
        w.x.owner.token,
      );
      return { endpointId: data.createWebhookEndpoint.endpoint.id };
    },
  },
};

let payoutId = '';
export const queries: Record<string, Case | Case[]> = {
  me: { allowed: users },
  // Each user's own data only; the canaries show that it holds nothing of another tenant.
  myDataExport: { allowed: users },
  // Programs are shown to signed-in users and secret keys; what they may see inside differs.
  marketplace: { allowed: [...users, 'secretKey'] },
  program: { allowed: [...users, 'secretKey'], args: () => ({ id: w.x.programId }) },
  organization: [
    { allowed: [...merchant, 'networkAdmin'], args: () => ({ id: w.x.organizationId }) },
    { allowed: ['affiliateA', 'networkAdmin'], args: () => ({ id: w.a.organizationId }) },
  ],
  enrollment: {
    allowed: ['merchantX', 'secretKey', 'affiliateA', 'networkAdmin'],
    args: () => ({ id: w.ax.enrollmentId }),
  },
  link: { allowed: [...parties, 'networkAdmin'], args: () => ({ id: w.ax.linkId }) },
  payout: { allowed: merchant, args: () => ({ id: payoutId }) },
};

/** Builds the tenants (see ./tenants.ts) and the fixtures the cases start from. */
export async function useWorld() {
  w = await world();
  payoutId = (await payout('APPROVED')).payoutId!;
  return w;
}
