import { stringify } from 'csv-stringify/sync';

/** Minor units as a decimal string in the currency's own precision (1234 USD → "12.34", JPY → "1234"). */
export function majorUnits(amount: number, currency: string): string {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  if (digits === 0) return String(amount);
  const scale = 10 ** digits;
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(digits, '0')}`;
}

export interface PayoutRow {
  payoutId: string;
  itemId: string;
  affiliateId: string;
  affiliateName: string;
  affiliateEmail: string;
  currency: string;
  amount: number;
  payoutMethod: string | null;
  payoutReference: string | null;
  status: string;
  externalReference: string | null;
}

const columns = [
  'payout_id',
  'item_id',
  'affiliate_id',
  'affiliate_name',
  'affiliate_email',
  'currency',
  'amount',
  'amount_minor_units',
  'payout_method',
  'payout_reference',
  'status',
  'external_reference',
];

/** The batch as CSV (RFC 4180, one row per item), for a bank's or a provider's bulk upload. */
export function payoutCsv(rows: readonly PayoutRow[]): string {
  return stringify(
    rows.map((r) => [
      r.payoutId,
      r.itemId,
      r.affiliateId,
      r.affiliateName,
      r.affiliateEmail,
      r.currency,
      majorUnits(r.amount, r.currency),
      r.amount,
      r.payoutMethod ?? '',
      r.payoutReference ?? '',
      r.status,
      r.externalReference ?? '',
    ]),
    { header: true, columns },
  );
}

export interface PaypalRow {
  itemId: string;
  paypalEmail: string;
  amount: number;
  currency: string;
  note: string;
}

/**
 * PayPal Payouts' mass-payment upload (CSV, no header): recipient email, amount, currency, the
 * item id as reference (PayPal refuses a repeated reference, so a file cannot pay twice), a note
 * to the recipient, and the wallet.
 */
export function paypalPayoutFile(rows: readonly PaypalRow[]): string {
  return stringify(
    rows.map((r) => [
      r.paypalEmail,
      majorUnits(r.amount, r.currency),
      r.currency,
      r.itemId,
      r.note,
      'PayPal',
    ]),
  );
}
