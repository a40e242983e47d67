import { randomBytes } from 'node:crypto';
import { slugify } from '../organizations/slug.ts';

/** A readable ?via= code from the affiliate's name; `attempt` > 0 adds a random suffix. */
export function referralCode(displayName: string, attempt: number): string {
  const base = slugify(displayName).slice(0, 20).replace(/-+$/, '') || 'partner';
  return attempt === 0 ? base : `${base}-${randomBytes(2).toString('hex')}`;
}
