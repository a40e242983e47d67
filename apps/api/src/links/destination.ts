import { isAllowedUrl } from '../programs/urls.ts';

export interface LinkTarget {
  destinationUrl: string | null;
  utm: {
    source?: string | null;
    medium?: string | null;
    campaign?: string | null;
    term?: string | null;
    content?: string | null;
  };
}

export interface ProgramTarget {
  websiteUrl: string;
  defaultUrl: string | null;
  allowedDomains: string[];
}

/**
 * The redirect target split around the place where the click id goes, so a redirect only
 * concatenates strings: `${prefix}${param}=${clickId}${suffix}`. `plain` is the target without
 * a click id (for bots and HEAD requests). Null when the target left the allowed domains (they
 * were narrowed after the link was made): such a link must not redirect.
 */
export function splitTarget(
  link: LinkTarget,
  program: ProgramTarget,
): { prefix: string; suffix: string; plain: string } | null {
  const target = link.destinationUrl ?? program.defaultUrl ?? program.websiteUrl;
  if (!isAllowedUrl(target, program.allowedDomains)) return null;
  const url = new URL(target);
  for (const [key, value] of Object.entries(link.utm)) {
    if (value) url.searchParams.set(`utm_${key}`, value);
  }
  const hash = url.hash;
  url.hash = '';
  const base = url.toString();
  return { prefix: base + (url.search ? '&' : '?'), suffix: hash, plain: base + hash };
}
