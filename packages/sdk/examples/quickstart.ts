// The whole story against a running API: a merchant opens a program, an affiliate joins it and
// shares a link, a visitor clicks, the shop's back end reports the sale, the affiliate sees its
// commission. Run it with the API started (`pnpm dev` at the repository root):
//   API_URL=http://localhost:4000 pnpm --filter @affiliate/sdk example examples/quickstart.ts
import { randomUUID } from 'node:crypto';
import { createClient } from '@affiliate/sdk';

const api = process.env.API_URL ?? 'http://localhost:4000';
const url = `${api}/graphql`;
const run = randomUUID().slice(0, 8);

async function signUp(name: string) {
  const anonymous = createClient({ url });
  const { signUp } = await anonymous.SignUp({
    input: { email: `${name.toLowerCase()}-${run}@example.com`, name, password: `a long secret ${run}` },
  });
  return createClient({ url, token: signUp.accessToken });
}

// The merchant: an organization, a program paying 10% of each sale, and a secret key for the shop.
const merchant = await signUp('Merchant');
const shop = (await merchant.CreateOrganization({ input: { name: `Tent Shop ${run}`, isMerchant: true } }))
  .createOrganization;
const { createProgram: program } = await merchant.CreateProgram({
  input: {
    organizationId: shop.id,
    name: `Tents ${run}`,
    description: 'Tents and packs for every season',
    category: 'Outdoor & Sports',
    websiteUrl: 'https://tents.example',
    currency: 'USD',
    terms: { sale: { type: 'PERCENTAGE', rateBps: 1000 }, cookieWindowDays: 30, holdingDays: 30 },
  },
});
await merchant.SetProgramStatus({ programId: program.id, status: 'ACTIVE' });
const { createApiKey } = await merchant.CreateApiKey({
  input: { organizationId: shop.id, kind: 'SECRET', name: 'shop back end' },
});

// The affiliate: a profile, an application, and a tracking link once approved.
const affiliate = await signUp('Affiliate');
const media = (
  await affiliate.CreateOrganization({ input: { name: `Trail Reviews ${run}`, isAffiliate: true } })
).createOrganization;
await affiliate.UpsertAffiliateProfile({
  input: { organizationId: media.id, displayName: 'Trail Reviews', contactEmail: 'partners@trail.example' },
});
const { applyToProgram } = await affiliate.ApplyToProgram({
  input: { programId: program.id, affiliateOrganizationId: media.id, message: 'We review tents' },
});
for await (const enrollment of merchant.enrollments({ programId: program.id, status: 'PENDING' })) {
  await merchant.ApproveEnrollment({ input: { enrollmentId: enrollment.id } });
}
const { createLink: link } = await affiliate.CreateLink({ input: { enrollmentId: applyToProgram.id } });
console.log(`link: ${link.shortUrl}`);

// A visitor clicks: the redirect hands the click id to the shop in ?ref_id=.
const redirect = await fetch(`${api}/r/${link.code}`, {
  redirect: 'manual',
  headers: {
    'user-agent':
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15',
  },
});
const clickId = new URL(redirect.headers.get('location') ?? '').searchParams.get('ref_id');
if (!clickId) throw new Error('the redirect carried no click id');
// Clicks are written in batches (CLICK_FLUSH_INTERVAL_MS); wait until this one is counted.
for (let tries = 0; (await affiliate.Link({ id: link.id })).link.clickCounts.total === 0; tries++) {
  if (tries === 50) throw new Error('the click was not recorded');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// The shop's back end reports the order (amounts are in cents). Retrying it is safe.
const backend = createClient({ url, apiKey: createApiKey.key });
const sale = await backend.trackSale({
  programId: program.id,
  orderId: `order-${run}`,
  amount: 18_900,
  currency: 'USD',
  clickId,
});
console.log(`sale: ${sale.conversionId} attributed=${sale.attributed}`);

for await (const commission of affiliate.commissions({ enrollmentId: applyToProgram.id })) {
  console.log(
    `commission: ${commission.kind} ${commission.amount} ${commission.currency} ${commission.status}`,
  );
}
