import type { IncomingMessage, ServerResponse } from 'node:http';
import { corsFor, originOf } from './beacon.ts';
import { landingHandler } from './clicks/landing.ts';
import { redirectHandler } from './clicks/redirect.ts';
import { readVisitor } from './clicks/visitor.ts';
import { config } from './config.ts';
import { conversionBeacon } from './conversions/beacon.ts';
import { prisma } from './db.ts';
import { AppError } from './errors.ts';
import { logger } from './logger.ts';
import { registry } from './metrics.ts';
import { type RateLimits, rateLimits } from './rate-limits.ts';
import { redis } from './redis.ts';
import { securityHeaders } from './security-headers.ts';
import { serveSnippet } from './snippet.ts';
import type { Tracking } from './tracking.ts';
import type { App } from './yoga.ts';

const code = /^\/r\/([A-Za-z0-9_-]{1,64})\/?(?:\?|$)/;

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * The HTTP entry point. The tracking endpoints are plain handlers in front of GraphQL, so a
 * redirect costs a map lookup and a string concatenation, not a trip through Yoga.
 */
export function requestListener(
  app: App,
  tracking: Tracking,
  settings = config(),
  limits: RateLimits = rateLimits(settings, redis()),
) {
  const maxBodyBytes = settings.GRAPHQL_MAX_BODY_BYTES;
  const secure = securityHeaders(settings);
  const redirect = redirectHandler(tracking.cache, tracking.recorder, tracking.settings, logger);
  const landing = landingHandler(() => prisma, tracking.recorder, tracking.settings, logger);
  const conversion = conversionBeacon(logger, tracking.settings);
  // The snippet's reports, per visitor IP: a page can be scripted to send them in a loop.
  const limited = async (req: IncomingMessage, res: ServerResponse, handler: Handler) => {
    const { ip } = readVisitor(req, tracking.settings);
    if (ip && req.method === 'POST') {
      try {
        await limits.take('snippetByIp', ip);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'RATE_LIMITED') throw error;
        const seconds = error.extensions.retryAfterSeconds as number;
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': String(seconds),
          ...corsFor(originOf(req)),
        });
        return res.end(JSON.stringify({ error: 'RATE_LIMITED', retryAfterSeconds: seconds }));
      }
    }
    return handler(req, res);
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url.startsWith('/r/')) {
      const match = code.exec(url);
      if (match && (req.method === 'GET' || req.method === 'HEAD')) return redirect(req, res, match[1]!);
      res.writeHead(match ? 405 : 404, { 'content-type': 'text/plain' });
      return res.end(match ? 'Method not allowed\n' : 'Link not found\n');
    }
    const snippet = url.startsWith('/track/') || url.startsWith('/snippet/');
    secure(res, snippet);
    if (url === '/track/click' || url.startsWith('/track/click?')) return void limited(req, res, landing);
    if (url === '/track/conversion' || url.startsWith('/track/conversion?'))
      return void limited(req, res, conversion);
    if (url === '/snippet/v1.js' || url.startsWith('/snippet/v1.js?')) return void serveSnippet(req, res);
    if (url === '/metrics') {
      return void registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      });
    }
    if (req.method === 'POST' && tooLarge(req, res, maxBodyBytes)) return;
    return app(req, res);
  };
}

/**
 * Refuses a request body over the limit before anything reads it: by its Content-Length, and a
 * body without one (chunked) is refused too, since its size is unknown until read.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  const length = req.headers['content-length'];
  const status = length === undefined ? 411 : Number(length) > limit ? 413 : 0;
  if (!status) return false;
  const message =
    status === 411 ? 'A request body needs a Content-Length' : `The request body is over ${limit} bytes`;
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(
    JSON.stringify({ errors: [{ message, extensions: { code: 'REQUEST_TOO_LARGE', limit: 'body' } }] }),
  );
  req.resume();
  return true;
}
