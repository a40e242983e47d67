import { z } from 'zod';
import type { Db } from '../db.ts';
import { conflict } from '../errors.ts';

/** A coupon code as merchants and proposals give it: stored upper-cased, unique per program. */
export const couponCodeFormat = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{2,31}$/, 'must be 3-32 letters, digits, - or _');

export async function assertCouponFree(
  db: Pick<Db, 'couponCode'>,
  programId: string,
  code: string,
  field: string,
) {
  if (await db.couponCode.count({ where: { programId, code } }))
    throw conflict(`The coupon code ${code} is taken in this program`, { field });
}
