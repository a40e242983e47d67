import { stringify } from 'csv-stringify/sync';
import { majorUnits } from '../payouts/csv.ts';
import type { Figures } from './figures.ts';

const figureColumns = [
  'clicks',
  'unique_clicks',
  'leads',
  'sales',
  'conversion_rate',
  'currency',
  'revenue',
  'revenue_minor_units',
  'commission',
  'commission_minor_units',
  'average_order_value',
  'earnings_per_click',
  'earnings_per_100_clicks',
];

// A spreadsheet runs a cell that starts with = + - @ (or a tab or return) as a formula: names
// come from affiliates, so such a cell is quoted as text (OWASP's CSV injection advice).
const text = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const money = (amount: number | null, currency: string) =>
  amount === null ? '' : majorUnits(amount, currency);

/**
 * Report rows as CSV (RFC 4180): the label columns, then the figures; money in major units and,
 * for sums, also in minor units, so a spreadsheet and a script both read it exactly.
 */
export function reportCsv(
  labels: readonly string[],
  rows: readonly { label: readonly string[]; figures: Figures }[],
  currency: string,
): string {
  return stringify(
    rows.map(({ label, figures: f }) => [
      ...label.map(text),
      f.clicks,
      f.uniqueClicks,
      f.leads,
      f.sales,
      f.conversionRate === null ? '' : f.conversionRate.toFixed(4),
      currency,
      majorUnits(f.revenue, currency),
      f.revenue,
      majorUnits(f.commission, currency),
      f.commission,
      money(f.averageOrderValue, currency),
      money(f.earningsPerClick, currency),
      money(f.earningsPer100Clicks, currency),
    ]),
    { header: true, columns: [...labels, ...figureColumns] },
  );
}
