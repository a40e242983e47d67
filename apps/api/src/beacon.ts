import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { liveApiKey } from './auth/api-keys.ts';
import { BodyTooLarge, readBody } from './clicks/body.ts';
import { nulMessage, nulPath } from './text-input.ts';

// What the snippet's endpoints share: JSON sent as text/plain (a "simple" request, so no CORS
// preflight), the organization's publishable key in the body, answers as JSON with CORS for the
// calling origin once it is known to be one of the program's.

export const corsFor = (origin: string | null) =>
  origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};

export function reply(res: ServerResponse, status: number, payload: object, origin: string | null) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...corsFor(origin),
  });
  res.end(JSON.stringify(payload));
}

export const originOf = (req: IncomingMessage) =>
  typeof req.headers.origin === 'string' ? req.headers.origin : null;

/** Answers a preflight (a client that sends application/json anyway) and anything but POST. */
export function refuseOtherMethods(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...corsFor(originOf(req)),
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '86400',
    });
    res.end();
    return true;
  }
  if (req.method !== 'POST') {
    reply(res, 405, { error: 'METHOD_NOT_ALLOWED' }, null);
    return true;
  }
  return false;
}

/** The body parsed with `schema`, or null once a 400/413 has been sent. */
export async function parseBody<S extends z.ZodType>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: S,
  limit: number,
): Promise<z.output<S> | null> {
  try {
    const body: unknown = JSON.parse(await readBody(req, limit));
    const nulAt = nulPath(body);
    if (nulAt !== null) {
      reply(res, 400, { error: 'INVALID_INPUT', issues: [{ path: nulAt, message: nulMessage }] }, null);
      return null;
    }
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    reply(res, 400, { error: 'INVALID_INPUT', issues }, null);
  } catch (error) {
    if (error instanceof BodyTooLarge) reply(res, 413, { error: 'PAYLOAD_TOO_LARGE' }, null);
    else
      reply(
        res,
        400,
        { error: 'INVALID_INPUT', issues: [{ path: '', message: 'must be a JSON object' }] },
        null,
      );
  }
  return null;
}

/** The organization of a live publishable key, or null (the caller answers 401). */
export async function publishableKeyOrg(key: string): Promise<string | null> {
  const found = await liveApiKey(key);
  return found?.kind === 'PUBLISHABLE' ? found.organizationId : null;
}
