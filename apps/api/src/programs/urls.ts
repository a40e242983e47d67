import { z } from 'zod';

/** A bare host name: lower case, no scheme, port or path. */
export const domain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value) => value.replace(/^www\./, ''))
  .pipe(
    z
      .string()
      .regex(
        /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'must be a domain name such as shop.example.com',
      ),
  );

export const httpUrl = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

/** The URL's host is one of the domains or a subdomain of one. */
export function isAllowedUrl(value: string, domains: readonly string[]): boolean {
  let host: string;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    host = url.hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return false;
  }
  return domains.some((domain) => host === domain || host === `www.${domain}` || host.endsWith(`.${domain}`));
}

export const hostOf = (value: string) => new URL(value).hostname.toLowerCase().replace(/^www\./, '');
