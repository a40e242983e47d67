import { randomBytes } from 'node:crypto';

/** A URL-safe slug from a display name, with a random suffix when nothing usable is left. */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return base || `org-${randomBytes(3).toString('hex')}`;
}
