import type { CORSOptions } from 'graphql-yoga';
import type { Config } from './config.ts';
import { prisma } from './db.ts';
import { isAllowedUrl } from './programs/urls.ts';

const ttlMs = 60_000;
let cached: { at: number; domains: Promise<string[]> } | undefined;

// Every live program's domains, read at most once a minute per instance: a new program's site
// may call the API from then on.
function programDomains(): Promise<string[]> {
  if (!cached || Date.now() - cached.at > ttlMs) {
    const domains = prisma.program
      .findMany({ where: { status: { in: ['ACTIVE', 'PAUSED'] } }, select: { allowedDomains: true } })
      .then((programs) => [...new Set(programs.flatMap((p) => p.allowedDomains))]);
    cached = { at: Date.now(), domains };
    domains.catch(() => {
      cached = undefined;
    });
  }
  return cached.domains;
}

/**
 * The GraphQL API's CORS policy: a browser may call it from an origin in CORS_ORIGINS (the
 * dashboards) or on a program's domains (its pages, with a publishable key); from anywhere else
 * the answer has no CORS headers, so the browser keeps it from the page. Credentials are bearer
 * tokens, never cookies, so none are allowed.
 */
export function corsPolicy(settings: Pick<Config, 'CORS_ORIGINS'>) {
  return async (request: Request): Promise<CORSOptions> => {
    const origin = request.headers.get('origin');
    if (!origin) return false;
    const allowed = settings.CORS_ORIGINS.includes(origin) || isAllowedUrl(origin, await programDomains());
    if (!allowed) return false;
    return {
      origin: [origin],
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
      maxAge: 600,
    };
  };
}
