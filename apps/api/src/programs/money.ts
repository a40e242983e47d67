import { z } from 'zod';

// ISO 4217 codes as the runtime's ICU data knows them (about 300, including historic ones).
const currencies = new Set(Intl.supportedValuesOf('currency'));

export const currency = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => currencies.has(code), 'must be an ISO 4217 currency code such as USD or EUR');

/** The largest amount accepted anywhere, in minor units: 10 million major units. */
export const MAX_AMOUNT = 1_000_000_000;

export const amount = z
  .number()
  .int('must be a whole number of minor units (cents)')
  .min(0, 'must not be negative')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} minor units`);

/** A rate in basis points: 10000 = 100%. */
export const rateBps = z
  .number()
  .int('must be whole basis points (1250 = 12.5%)')
  .min(0, 'must be between 0 and 10000 basis points (0-100%)')
  .max(10_000, 'must be between 0 and 10000 basis points (0-100%)');
