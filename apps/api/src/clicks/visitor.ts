import type { IncomingMessage } from 'node:http';
import { isbot } from 'isbot';

/** The visitor's address: the first X-Forwarded-For hop behind a trusted proxy, else the socket's. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? null;
}

/** A two-letter country from the trusted proxy's header, when there is one. */
export function countryOf(req: IncomingMessage, trustProxy: boolean, header: string): string | null {
  if (!trustProxy) return null;
  const value = req.headers[header];
  const code = (Array.isArray(value) ? value[0] : value)?.trim().toUpperCase();
  return code && /^[A-Z]{2}$/.test(code) && code !== 'XX' && code !== 'T1' ? code : null;
}

// isbot's pattern costs microseconds per match, and the same few user agents make most traffic.
const verdicts = new Map<string, boolean>();
function isBotAgent(agent: string): boolean {
  let verdict = verdicts.get(agent);
  if (verdict === undefined) {
    verdict = isbot(agent);
    if (verdicts.size >= 20_000) verdicts.clear();
    verdicts.set(agent, verdict);
  }
  return verdict;
}

/** Not a person: a bot or link-preview fetcher (by user agent), or a browser prefetch. */
export function isAutomated(req: IncomingMessage): boolean {
  const purpose = req.headers['sec-purpose'] ?? req.headers.purpose ?? req.headers['x-purpose'];
  if (purpose && /prefetch|preview/i.test(String(purpose))) return true;
  const agent = req.headers['user-agent'];
  return !agent || isBotAgent(agent);
}

/** A redirect that counts as a click: a person's GET. HEAD requests and bots are redirected, uncounted. */
export const isCountable = (req: IncomingMessage) => req.method === 'GET' && !isAutomated(req);
