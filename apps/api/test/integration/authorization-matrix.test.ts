// Every root query and mutation in the schema, called as each of eight personas against merchant
// X's and affiliate A's data. A call the persona is not allowed must be refused with
// UNAUTHENTICATED, FORBIDDEN or NOT_FOUND and change no row; no answer may carry another
// tenant's private data (canaries, see ../tenants.ts). A new operation is called too: with
// arguments made from the schema and the fixtures' ids, and by default only X's own
// credentials may succeed.
import { randomUUID } from 'node:crypto';
import type { GraphQLInputType } from 'graphql';
import { beforeAll, describe, expect, test } from 'vitest';
import { config } from '../../src/config.ts';
import { prisma } from '../../src/db.ts';
import { rateLimits } from '../../src/rate-limits.ts';
import { schema } from '../../src/schema/index.ts';
import { createApp } from '../../src/yoga.ts';
import { ok } from '../helpers.ts';
import { apply, decide } from '../programs.ts';
import { type Fill, operationsFor, type Values } from '../schema-calls.ts';
import { leaks, type Persona, partnership, personas, program, sale, type World, world } from '../tenants.ts';

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
const app = createApp({ settings, rateLimits: rateLimits(settings, null) });

async function call(query: string, variables: Values, credential: string | undefined) {
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

const denials = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']);

/** Every row of every table, hashed: what a refused call must leave as it was. */
async function fingerprint(): Promise<Map<string, string>> {
  const tables = await prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
     ORDER BY 1`,
  );
  // A key's last use is written by any request made with it, refused or not.
  const sql = tables
    .map(
      ({ name }) =>
        `SELECT '${name}' AS name, md5(coalesce(string_agg(md5((to_jsonb(t) - 'lastUsedAt')::text), ',' ORDER BY md5((to_jsonb(t) - 'lastUsedAt')::text)), '')) AS hash FROM "${name}" t`,
    )
    .join(' UNION ALL ');
  const rows = await prisma.$queryRawUnsafe<{ name: string; hash: string }[]>(sql);
  return new Map(rows.map((r) => [r.name, r.hash]));
}

const changed = (before: Map<string, string>, after: Map<string, string>) =>
  [...after].filter(([name, hash]) => before.get(name) !== hash).map(([name]) => name);

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

let w: World;

/** Values by argument or input-field name, from the fixtures; the rest comes from the schema. */
function fillFrom(overrides: Values): Fill {
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

interface Case {
  /** The personas that may do it; everyone else must be refused. */
  allowed: Persona[];
  /** Arguments (or input fields, dotted from the input) to use instead of the defaults. */
  args?: () => Promise<Values> | Values;
  /** Whose data the answer is, when the arguments are a credential (a password, a token). */
  seenAs?: (caller: Persona) => Persona;
}

const merchant: Persona[] = ['merchantX', 'secretKey'];
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
async function payout(status: 'DRAFT' | 'APPROVED' | 'PROCESSING') {
  const programId = await freshProgram();
  const p = await partnership(w.x, w.a, programId, 'ax');
  const { commissionId } = await sale(w.x, programId, p.coupon, 'ax');
  await ok(
    'mutation($input: ApproveCommissionInput!) { approveCommission(input: $input) { id } }',
    { input: { commissionId } },
    w.x.owner.token,
  );
  if (status === 'DRAFT') return { programId };
  const run = await ok(
    'mutation($input: RunPayoutInput!) { runPayout(input: $input) { payout { id items { id } } } }',
    { input: { organizationId: w.x.organizationId, programId } },
    w.x.owner.token,
  );
  const payoutId = run.runPayout.payout.id as string;
  const itemId = run.runPayout.payout.items[0].id as string;
  await ok('mutation($id: ID!) { approvePayout(payoutId: $id) { id } }', { id: payoutId }, w.x.owner.token);
  if (status === 'PROCESSING')
    await ok(
      'mutation($id: ID!) { startPayoutProcessing(payoutId: $id) { id } }',
      { id: payoutId },
      w.x.owner.token,
    );
  return { programId, payoutId, itemId };
}
async function draftPayout() {
  const programId = await freshProgram();
  const p = await partnership(w.x, w.a, programId, 'ax');
  const { commissionId } = await sale(w.x, programId, p.coupon, 'ax');
  await ok(
    'mutation($input: ApproveCommissionInput!) { approveCommission(input: $input) { id } }',
    { input: { commissionId } },
    w.x.owner.token,
  );
  const run = await ok(
    'mutation($input: RunPayoutInput!) { runPayout(input: $input) { payout { id } } }',
    { input: { organizationId: w.x.organizationId, programId } },
    w.x.owner.token,
  );
  return run.runPayout.payout.id as string;
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

const mutations: Record<string, Case> = {
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
  runPayout: { allowed: merchant, args: async () => ({ programId: (await payout('DRAFT')).programId }) },
  approvePayout: { allowed: merchant, args: async () => ({ payoutId: await draftPayout() }) },
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
const queries: Record<string, Case | Case[]> = {
  me: { allowed: users },
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

const print = process.env.MATRIX_PRINT === '1';
const observed: string[] = [];
/** The kinds of canary that reached an answer (group and what), to show the check has teeth. */
const seen = new Set<string>();

type Body = Awaited<ReturnType<typeof call>>;

/** The root field's own refusal, if any; errors deeper down are about nested fields. */
function outcome(name: string, bodies: Body[]) {
  for (const body of bodies) {
    const root = body.errors?.find((e) => e.path?.length === 1 && e.path[0] === name);
    if (root) return { code: root.extensions?.code ?? 'NO_CODE', message: root.message };
    // A request refused as a whole (its shape, a variable) has no path.
    const whole = body.errors?.find((e) => !e.path);
    if (whole) return { code: whole.extensions?.code ?? 'NO_CODE', message: whole.message };
  }
  return { code: 'OK', message: '' };
}

async function check(kind: 'query' | 'mutation', name: string, c: Case) {
  const documents = async () =>
    operationsFor(
      schema,
      kind,
      name,
      kind === 'query' ? 3 : 1,
      fillFrom(c.args ? await c.args() : {}),
      kind === 'query',
    );
  const failures: string[] = [];
  const outcomes: string[] = [];
  // Refused callers first, on one set of arguments; each allowed caller then gets fresh ones, as
  // a call may use its fixture up.
  const refused = personas.filter((p) => !c.allowed.includes(p));
  const shared = await documents();
  for (const persona of [...refused, ...c.allowed]) {
    const allowed = c.allowed.includes(persona);
    const { queries, variables } = allowed ? await documents() : shared;
    const before = kind === 'mutation' && !allowed ? await fingerprint() : null;
    const bodies: Body[] = [];
    for (const query of queries) bodies.push(await call(query, variables, w.credentials[persona]));
    const { code, message } = outcome(name, bodies);
    outcomes.push(`${persona}=${code}`);
    for (const m of JSON.stringify(bodies).matchAll(/cnry-(ax|by|x|y|a|b)-(\w+)/g))
      seen.add(`${m[1]}-${m[2]}`);
    const leaked = leaks(c.seenAs?.(persona) ?? persona, bodies);
    if (leaked.length) failures.push(`${persona} saw ${leaked.join(', ')}`);
    for (const body of bodies) {
      const internal = body.errors?.find(
        (e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || !e.extensions?.code,
      );
      if (internal)
        failures.push(`${persona} got an internal error at ${internal.path?.join('.')}: ${internal.message}`);
    }
    if (allowed) {
      if (denials.has(code) || code === 'INVALID_INPUT')
        failures.push(`${persona} may, but got ${code}: ${message}`);
    } else {
      if (!denials.has(code)) failures.push(`${persona} may not, but got ${code}`);
      if (before) {
        const touched = changed(before, await fingerprint());
        if (touched.length) failures.push(`${persona}'s refused call changed ${touched.join(', ')}`);
      }
    }
  }
  if (print) observed.push(`${kind} ${name}: ${outcomes.join(' ')}`);
  return failures;
}

beforeAll(async () => {
  w = await world();
  payoutId = (await payout('APPROVED')).payoutId!;
}, 120_000);

describe('the authorization matrix', () => {
  const queryType = schema.getQueryType()!;
  const mutationType = schema.getMutationType()!;

  test.each(Object.keys(queryType.getFields()))('query %s', async (name) => {
    const failures = [];
    for (const c of [queries[name] ?? { allowed: merchant }].flat())
      failures.push(...(await check('query', name, c)));
    expect(failures).toEqual([]);
  });

  test.each(Object.keys(mutationType.getFields()))('mutation %s', async (name) => {
    const failures = await check('mutation', name, mutations[name] ?? { allowed: merchant });
    expect(failures).toEqual([]);
  });

  test('the private data the check looks for did reach the callers allowed to see it', () => {
    // X's keys, hooks and fraud settings, A's and B's own email, key names and sign-up, the
    // partnerships' order ids, sub-ids, and payout details.
    for (const kind of [
      'x-key',
      'x-hook',
      'x-fraud',
      'x-order',
      'a-email',
      'a-key',
      'ax-order',
      'ax-sub',

      'ax-paypal',
      'ax-contact',
      'ax-application',
    ])
      expect(seen, kind).toContain(kind);
  });

  test.runIf(print)('print', () => {
    console.log(observed.join('\n'));
  });
});
