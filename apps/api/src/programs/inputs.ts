import { z } from 'zod';
import { id, input, name } from '../validation.ts';
import { currency } from './money.ts';
import { termsSchema } from './terms.ts';
import { domain, hostOf, httpUrl, isAllowedUrl } from './urls.ts';

export const categories = [
  'Apparel & Accessories',
  'Books & Media',
  'Business & Finance',
  'Education',
  'Electronics',
  'Food & Drink',
  'Health & Beauty',
  'Home & Garden',
  'Outdoor & Sports',
  'Software & SaaS',
  'Subscriptions',
  'Travel',
  'Other',
] as const;

export const programSlug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'must be 1-48 lower-case letters, digits or hyphens');

const description = z.string().trim().max(5000, 'must be at most 5000 characters');
const category = z.enum(categories, { message: `must be one of: ${categories.join(', ')}` });
const domains = z.array(domain).min(1, 'needs at least one domain').max(20, 'at most 20 domains');

type Issue = { path: (string | number)[]; message: string };

/** Every URL of a program must stay inside its allowed domains: the redirect is never open. */
export function urlIssues(
  urls: { websiteUrl?: string | null; defaultUrl?: string | null; fallbackUrl?: string | null },
  allowed: string[],
): Issue[] {
  return (['websiteUrl', 'defaultUrl', 'fallbackUrl'] as const)
    .filter((key) => urls[key] && httpUrl.safeParse(urls[key]).success && !isAllowedUrl(urls[key]!, allowed))
    .map((key) => ({ path: [key], message: `must be inside the allowed domains (${allowed.join(', ')})` }));
}

export const createProgramSchema = input({
  organizationId: id,
  name,
  slug: programSlug.nullish(),
  description: description.nullish(),
  category: category.nullish(),
  websiteUrl: httpUrl,
  allowedDomains: domains.nullish(),
  defaultUrl: httpUrl.nullish(),
  fallbackUrl: httpUrl.nullish(),
  currency,
  terms: termsSchema,
}).superRefine(
  (value, ctx) => {
    const allowed = value.allowedDomains ?? [hostOf(value.websiteUrl)];
    for (const issue of urlIssues(value, allowed)) ctx.addIssue({ code: 'custom', ...issue });
  },
  // Also when other fields failed, so every issue is reported at once; not when the
  // domains or the website themselves are invalid (they are reported already).
  {
    when: ({ issues }) =>
      !issues.some((issue) => issue.path?.[0] === 'allowedDomains' || issue.path?.[0] === 'websiteUrl'),
  },
);

export const updateProgramSchema = input({
  programId: id,
  name: name.nullish(),
  description: description.nullish(),
  category: category.nullish(),
  websiteUrl: httpUrl.nullish(),
  allowedDomains: domains.nullish(),
  defaultUrl: httpUrl.nullish(),
  fallbackUrl: httpUrl.nullish(),
});

export const effectiveAt = z
  .date()
  .nullish()
  .refine(
    (date) => !date || date.getTime() >= Date.now() - 60_000,
    'must not be in the past: terms never change retroactively',
  );
