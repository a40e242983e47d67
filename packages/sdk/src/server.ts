import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ClickCookieOptions {
  /** The landing URL's parameter with the click id (the API's CLICK_ID_PARAM). */
  param?: string;
  /** The snippet reads this cookie too. */
  cookieName?: string;
  /** The program's cookie window. */
  maxAgeDays?: number;
  /** e.g. "shop.example" to share it across subdomains. */
  domain?: string;
}

const clickId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * For the merchant's own server (node:http, Express, Fastify's raw request): keeps the click id
 * of a landing URL in a first-party cookie set by the server, which Safari does not cut to 7 days
 * as it does cookies set by scripts. Call it before answering the landing page. Returns the click
 * id, or null when the URL has none (or not a valid one).
 */
export function setClickCookie(
  req: Pick<IncomingMessage, 'url' | 'headers'>,
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  options: ClickCookieOptions = {},
): string | null {
  const id = new URL(req.url ?? '/', 'http://local').searchParams.get(options.param ?? 'ref_id');
  if (!id || !clickId.test(id)) return null;
  const secure =
    req.headers['x-forwarded-proto'] === 'https' ||
    (req as { socket?: { encrypted?: boolean } }).socket?.encrypted;
  const cookie = [
    `${options.cookieName ?? 'aff_cid'}=${id}`,
    'Path=/',
    `Max-Age=${Math.round((options.maxAgeDays ?? 90) * 86_400)}`,
    'SameSite=Lax',
    ...(options.domain ? [`Domain=${options.domain}`] : []),
    ...(secure ? ['Secure'] : []),
  ].join('; ');
  const existing = res.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('set-cookie', [...list, cookie]);
  return id;
}
