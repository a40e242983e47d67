import { z } from 'zod';
import { amount, currency } from '../programs/money.ts';
import { email, id, input } from '../validation.ts';

// What every way of reporting a conversion accepts; the snippet's endpoint and the mutations
// share these pieces, so they refuse the same things with the same messages.

const externalId = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const maxSkewMs = 5 * 60_000;
const yearMs = 366 * 86_400_000;

export const occurredAt = z
  .date()
  .refine((d) => d.getTime() <= Date.now() + maxSkewMs, 'must not be in the future')
  .refine((d) => d.getTime() >= Date.now() - yearMs, 'must be within the last year');

const lineItem = z.object({
  sku: z.string().trim().max(128).nullish(),
  name: z.string().trim().max(256).nullish(),
  quantity: z.number().int().min(1, 'must be at least 1').max(1_000_000),
  amount,
});

export const couponCode = z.string().trim().toUpperCase().min(1).max(32, 'must be at most 32 characters');
const clickIds = z.array(id).max(10, 'at most 10 click ids');

// The customer's browser, for the fraud rules: the IP is kept only as a daily-salted hash.
const visitorFields = {
  ip: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }).nullish(),
  userAgent: z.string().trim().max(512, 'must be at most 512 characters').nullish(),
};

export const saleFields = {
  programId: id,
  orderId: externalId,
  amount,
  currency,
  occurredAt: occurredAt.nullish(),
  customerId: externalId.nullish(),
  email: email.nullish(),
  couponCode: couponCode.nullish(),
  clickId: id.nullish(),
  clickIds: clickIds.nullish(),
  lineItems: z.array(lineItem).max(100, 'at most 100 line items').nullish(),
  ...visitorFields,
};

const contactField = z.string().trim().max(256, 'must be at most 256 characters').nullish();

export const leadFields = {
  programId: id,
  leadId: externalId,
  occurredAt: occurredAt.nullish(),
  customerId: externalId.nullish(),
  email: email.nullish(),
  name: contactField,
  phone: contactField,
  company: contactField,
  consent: z.boolean(),
  couponCode: couponCode.nullish(),
  clickId: id.nullish(),
  clickIds: clickIds.nullish(),
  ...visitorFields,
};

export const refundFields = {
  programId: id,
  orderId: externalId,
  refundId: externalId,
  amount: amount.min(1, 'must be at least 1 minor unit').nullish(),
  kind: z.enum(['REFUND', 'CHARGEBACK']).nullish(),
  reason: z.string().trim().max(500, 'must be at most 500 characters').nullish(),
};

export const saleInput = input(saleFields);
export const refundInput = input(refundFields);
export type RefundInput = z.output<typeof refundInput>;
export const leadInput = input(leadFields);
export type SaleInput = z.output<typeof saleInput>;
export type LeadInput = z.output<typeof leadInput>;

/** The click ids to consider: the single one and the list (the snippet may keep several). */
export const clickIdsOf = (value: { clickId?: string | null; clickIds?: string[] | null }) => [
  ...new Set([...(value.clickId ? [value.clickId] : []), ...(value.clickIds ?? [])]),
];
