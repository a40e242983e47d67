// Two merchants and two affiliates, each with private data marked by canaries: strings that
// must only ever reach the callers allowed to see them. Used by the authorization matrix.
import { randomUUID } from 'node:crypto';
import { prisma } from '../src/db.ts';
import { createApiKey, createOrganization, ok } from './helpers.ts';
import { apply, decide, programInput } from './programs.ts';

export type Persona =
  | 'anonymous'
  | 'affiliateA'
  | 'affiliateB'
  | 'merchantX'
  | 'merchantY'
  | 'publishableKey'
  | 'secretKey'
  | 'networkAdmin';

export const personas: Persona[] = [
  'anonymous',
  'affiliateA',
  'affiliateB',
  'merchantX',
  'merchantY',
  'publishableKey',
  'secretKey',
  'networkAdmin',
];

/**
 * Whose private data a canary marks: one organization's own (x, y, a, b), or what a merchant
 * and its affiliate share about their partnership (ax, by).
 */
export type Group = 'x' | 'y' | 'a' | 'b' | 'ax' | 'by';

/** The canaries each persona may see. The keys are X's; the admin sees everything. */
export const visible: Record<Persona, Group[]> = {
  anonymous: [],
  affiliateA: ['a', 'ax'],
  affiliateB: ['b', 'by'],
  merchantX: ['x', 'ax'],
  merchantY: ['y', 'by'],
  publishableKey: [],
  secretKey: ['x', 'ax'],
  networkAdmin: ['x', 'y', 'a', 'b', 'ax', 'by'],
};

export const canary = (group: Group, what: string) => `cnry-${group}-${what}-${randomUUID().slice(0, 6)}`;
const canaryPattern = /cnry-(ax|by|x|y|a|b)-[\w-]+/g;

/** The canaries in a response that `persona` must not see. */
export function leaks(persona: Persona, response: unknown): string[] {
  const text = JSON.stringify(response);
  return [...text.matchAll(canaryPattern)]
    .filter((m) => !visible[persona].includes(m[1] as Group))
    .map((m) => m[0]);
}

const password = 'a long enough password';

async function user(group: Group | null, name: string) {
  const email = `${group ? canary(group, 'email') : `admin-${randomUUID().slice(0, 8)}`}@example.com`;
  const data = await ok(
    'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }',
    { input: { email, password, name } },
  );
  return { email, password, id: data.signUp.user.id as string, token: data.signUp.accessToken as string };
}

export const terms = {
  sale: { type: 'PERCENTAGE', rateBps: 1000 },
  cookieWindowDays: 30,
  holdingDays: 0,
  minPayoutAmount: 0,
};

/** An ACTIVE program of the merchant with holding 0 and no payout minimum. */
export async function program(token: string, organizationId: string, name = 'Matrix') {
  const slug = `matrix-${randomUUID().slice(0, 8)}`;
  const created = await ok(
    'mutation($input: CreateProgramInput!) { createProgram(input: $input) { id } }',
    { input: programInput(organizationId, { name: `${name} ${slug}`, slug, terms }) },
    token,
  );
  const id = created.createProgram.id as string;
  await ok('mutation($id: ID!) { setProgramStatus(programId: $id, status: ACTIVE) { id } }', { id }, token);
  return id;
}

async function merchant(group: 'x' | 'y') {
  const owner = await user(group, `Merchant ${group.toUpperCase()}`);
  const org = await createOrganization(owner.token, {
    name: `Merchant ${group} ${randomUUID().slice(0, 6)}`,
  });
  const programId = await program(owner.token, org.id);
  const secret = await createApiKey(owner.token, org.id, 'SECRET');
  const publishable = await createApiKey(owner.token, org.id, 'PUBLISHABLE');
  await ok(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
    { input: { organizationId: org.id, kind: 'SECRET', name: canary(group, 'key-name') } },
    owner.token,
  );
  const hook = await ok(
    'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
    {
      input: {
        organizationId: org.id,
        url: `https://${canary(group, 'hook')}.example/hooks`,
        events: ['CONVERSION_CREATED'],
      },
    },
    owner.token,
  );
  await ok(
    'mutation($input: UpdateFraudRuleInput!) { updateFraudRule(input: $input) { rule } }',
    {
      input: {
        programId,
        rule: 'DISPOSABLE_EMAIL',
        action: 'FLAG',
        extraDomains: [`${canary(group, 'fraud')}.example`],
      },
    },
    owner.token,
  );
  return {
    owner,
    organizationId: org.id,
    programId,
    secretKey: secret.key as string,
    publishableKey: publishable.key as string,
    webhookEndpointId: hook.createWebhookEndpoint.endpoint.id as string,
  };
}

async function affiliate(group: 'a' | 'b') {
  const owner = await user(group, `Affiliate ${group.toUpperCase()}`);
  const org = await createOrganization(owner.token, {
    name: `Affiliate ${group} ${randomUUID().slice(0, 6)}`,
  });
  const profile = await ok(
    'mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) { id } }',
    {
      input: {
        organizationId: org.id,
        displayName: `Affiliate ${group.toUpperCase()} Reviews`,
        contactEmail: `${canary(group === 'a' ? 'ax' : 'by', 'contact')}@example.com`,
        payoutMethod: 'PAYPAL',
        payoutAccount: `${canary(group === 'a' ? 'ax' : 'by', 'paypal')}@example.com`,
        channels: ['blog'],
      },
    },
    owner.token,
  );
  await ok(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
    { input: { organizationId: org.id, kind: 'SECRET', name: canary(group, 'key-name') } },
    owner.token,
  );
  return { owner, organizationId: org.id, profileId: profile.upsertAffiliateProfile.id as string };
}

export type Merchant = Awaited<ReturnType<typeof merchant>>;
export type Affiliate = Awaited<ReturnType<typeof affiliate>>;

/** An approved enrollment of the affiliate in the program, with a link and a coupon code. */
export async function partnership(m: Merchant, a: Affiliate, programId: string, group: 'ax' | 'by') {
  const applied = await apply(a.owner.token, programId, a.organizationId, canary(group, 'application'));
  const enrollmentId = applied.id as string;
  await ok(decide('approveEnrollment'), { input: { enrollmentId } }, m.owner.token);
  const link = await ok(
    'mutation($input: CreateLinkInput!) { createLink(input: $input) { id code } }',
    { input: { enrollmentId, subIds: [canary(group, 'sub')] } },
    a.owner.token,
  );
  const code = `C${randomUUID().slice(0, 8).toUpperCase()}`;
  await ok(
    'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
    { input: { enrollmentId, code, description: canary(group, 'coupon') } },
    m.owner.token,
  );
  return { enrollmentId, linkId: link.createLink.id as string, coupon: code };
}

/** A sale through the program (by the affiliate's coupon, or by nobody), reported with the merchant's secret key. */
export async function sale(
  m: Merchant,
  programId: string,
  coupon: string | null,
  group: 'x' | 'y' | 'ax' | 'by',
  amount = 10_000,
) {
  const orderId = canary(group, 'order');
  const data = await ok(
    `mutation($input: TrackSaleInput!) { trackSale(input: $input) {
       conversionId conversion { commissions { id } } } }`,
    { input: { programId, orderId, amount, currency: 'USD', ...(coupon ? { couponCode: coupon } : {}) } },
    m.secretKey,
  );
  return {
    orderId,
    conversionId: data.trackSale.conversionId as string,
    commissionId: data.trackSale.conversion.commissions[0]?.id as string,
  };
}

export async function world() {
  const adminUser = await user(null, 'Network Admin');
  await prisma.user.update({ where: { id: adminUser.id }, data: { isNetworkAdmin: true } });
  const [x, y, a, b] = [await merchant('x'), await merchant('y'), await affiliate('a'), await affiliate('b')];
  const ax = await partnership(x, a, x.programId, 'ax');
  const by = await partnership(y, b, y.programId, 'by');
  // The affiliate sees the order id of its own sales, not of the merchant's other sales.
  await sale(x, x.programId, ax.coupon, 'ax');
  await sale(y, y.programId, by.coupon, 'by');
  await sale(x, x.programId, null, 'x');
  await sale(y, y.programId, null, 'y');
  const credentials: Record<Persona, string | undefined> = {
    anonymous: undefined,
    affiliateA: a.owner.token,
    affiliateB: b.owner.token,
    merchantX: x.owner.token,
    merchantY: y.owner.token,
    publishableKey: x.publishableKey,
    secretKey: x.secretKey,
    networkAdmin: adminUser.token,
  };
  return { x, y, a, b, ax, by, admin: adminUser, credentials };
}

export type World = Awaited<ReturnType<typeof world>>;
