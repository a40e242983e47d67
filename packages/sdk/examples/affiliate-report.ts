// An affiliate's month at a glance: balances per program and currency, then the latest
// commissions of each approved program, paging through as many as there are.
//   AFF_TOKEN=… AFF_ORGANIZATION_ID=… pnpm --filter @affiliate/sdk example examples/affiliate-report.ts
import { createClient, UnauthenticatedError } from '@affiliate/sdk';

const organizationId = process.env.AFF_ORGANIZATION_ID;
if (!organizationId || !process.env.AFF_TOKEN)
  throw new Error('AFF_TOKEN and AFF_ORGANIZATION_ID are required');
const client = createClient({
  url: `${process.env.API_URL ?? 'http://localhost:4000'}/graphql`,
  token: process.env.AFF_TOKEN,
});

const cents = (amount: number, currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount / 100);

try {
  const { organization } = await client.AffiliateAccount({ organizationId });
  for (const b of organization.affiliateProfile?.balances ?? []) {
    console.log(
      `${b.programId} ${b.currency}: pending ${cents(b.pending, b.currency)}, approved ${cents(b.approved, b.currency)}, paid ${cents(b.paid, b.currency)}, owed ${cents(b.owed, b.currency)}`,
    );
  }
  for await (const enrollment of client.affiliateEnrollments({ organizationId, status: 'APPROVED' })) {
    let total = 0;
    for await (const commission of client.commissions({ enrollmentId: enrollment.id })) {
      if (commission.status !== 'REJECTED' && commission.status !== 'REVERSED') total += commission.amount;
    }
    console.log(`${enrollment.program.name}: ${total} (minor units) earned`);
  }
} catch (error) {
  if (error instanceof UnauthenticatedError) {
    console.error('The token expired: log in again (or use RefreshToken).');
    process.exitCode = 1;
  } else {
    throw error;
  }
}
