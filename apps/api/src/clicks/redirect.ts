import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { uuidv7 } from '../ids.ts';
import type { CachedLink, LinkCache } from '../links/cache.ts';
import { redirects } from '../metrics.ts';
import type { ClickRecorder } from './recorder.ts';
import { readVisitor } from './visitor.ts';

export interface TrackingSettings {
  clickIdParam: string;
  trustProxy: boolean;
  countryHeader: string;
}

function send(res: ServerResponse, status: number, location?: string) {
  if (location) {
    res.writeHead(status, { location, 'cache-control': 'no-store', 'content-length': '0' });
    res.end();
  } else {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(status === 404 ? 'Link not found\n' : 'Service unavailable\n');
  }
}

/**
 * GET|HEAD /r/:code — answers 302 to the link's target with a new click id, and hands the click
 * to the recorder, which writes it later: the answer never waits for the database (except the
 * first lookup of a code this process has not seen).
 */
export function redirectHandler(
  cache: LinkCache,
  recorder: ClickRecorder,
  settings: TrackingSettings,
  log: Logger,
) {
  const answer = (req: IncomingMessage, res: ServerResponse, link: CachedLink | null) => {
    if (!link) {
      redirects.notFound.inc();
      return send(res, 404);
    }
    if (!link.live) {
      redirects.inactive.inc();
      return link.fallbackUrl ? send(res, 302, link.fallbackUrl) : send(res, 404);
    }
    // HEAD requests, bots and prefetches are redirected but not counted.
    const visitor = req.method === 'GET' ? readVisitor(req, settings) : null;
    if (!visitor || visitor.automated) {
      redirects.notCounted.inc();
      return send(res, 302, link.plain);
    }
    const now = Date.now();
    const id = uuidv7(now);
    recorder.record({
      id,
      programId: link.programId,
      enrollmentId: link.enrollmentId,
      linkId: link.linkId,
      source: 'REDIRECT',
      createdAt: now,
      ip: visitor.ip,
      userAgent: visitor.userAgent,
      referrer: visitor.referrer,
      country: visitor.country,
      landingUrl: null,
      subs: link.subs,
    });
    redirects.counted.inc();
    send(res, 302, `${link.prefix}${settings.clickIdParam}=${id}${link.suffix}`);
  };

  return (req: IncomingMessage, res: ServerResponse, code: string) => {
    const cached = cache.peek(code);
    if (cached !== undefined) return answer(req, res, cached);
    cache.load(code).then(
      (link) => answer(req, res, link),
      (error) => {
        log.error({ err: error, code }, 'link lookup failed');
        redirects.error.inc();
        send(res, 503);
      },
    );
  };
}
