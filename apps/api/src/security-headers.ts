import type { ServerResponse } from 'node:http';
import type { Config } from './config.ts';

/**
 * Headers every answer carries (the redirect aside: a 302 has no body to protect, and it is
 * the hot path). Nothing the API serves is meant to be framed or sniffed. The snippet and its
 * reports are fetched from merchants' pages, so only they may be read cross-origin.
 */
export function securityHeaders(settings: Pick<Config, 'PUBLIC_URL'>) {
  const https = settings.PUBLIC_URL?.startsWith('https://') ?? false;
  return (res: ServerResponse, crossOrigin: boolean) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('content-security-policy', "frame-ancestors 'none'");
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cross-origin-resource-policy', crossOrigin ? 'cross-origin' : 'same-origin');
    // Only where the API is served over HTTPS: over plain HTTP the header is ignored anyway.
    if (https) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
  };
}
