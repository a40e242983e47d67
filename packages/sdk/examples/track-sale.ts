// A shop's back end reporting an order, and later a partial refund. Both are recorded once per
// id, so the script can be run twice with the same ids: the second run prints replayed=true.
//   AFF_SECRET_KEY=sk_… PROGRAM_ID=… ORDER_ID=A-1001 CLICK_ID=… \
//   pnpm --filter @affiliate/sdk example examples/track-sale.ts
import { ConflictError, createClient, InvalidInputError, NotFoundError } from '@affiliate/sdk';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const client = createClient({
  url: `${process.env.API_URL ?? 'http://localhost:4000'}/graphql`,
  apiKey: env('AFF_SECRET_KEY'),
  retries: 3,
});
const order = { programId: env('PROGRAM_ID'), orderId: env('ORDER_ID') };

try {
  const sale = await client.trackSale({
    ...order,
    amount: Number(process.env.AMOUNT ?? 12_345),
    currency: process.env.CURRENCY ?? 'USD',
    clickId: process.env.CLICK_ID,
    customerId: process.env.CUSTOMER_ID,
  });
  console.log(`sale ${sale.conversionId}: attributed=${sale.attributed} replayed=${sale.replayed}`);
  if (process.env.REFUND_AMOUNT) {
    const refund = await client.refund({
      ...order,
      refundId: `${order.orderId}-refund`,
      amount: Number(process.env.REFUND_AMOUNT),
      reason: 'returned',
    });
    console.log(`refund: refunded=${refund.conversion.refundedAmount} replayed=${refund.replayed}`);
  }
} catch (error) {
  if (error instanceof InvalidInputError) {
    for (const issue of error.issues) console.error(`${issue.path}: ${issue.message}`);
  } else if (error instanceof NotFoundError || error instanceof ConflictError) {
    console.error(`${error.code}: ${error.message}`);
  } else {
    throw error;
  }
  process.exitCode = 1;
}
