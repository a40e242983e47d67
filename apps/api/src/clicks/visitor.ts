import type { IncomingMessage } from 'node:http';
import { isbot } from 'isbot';

/** What a click keeps of its request. */
export interface Visitor {
  /** Not a person: a bot or link-preview fetcher (by user agent), or a browser prefetch. */
  automated: boolean;
  /** The first X-Forwarded-For hop behind a trusted proxy, else the socket's address. */
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  /** A two-letter country from the trusted proxy's header, when there is one. */
  country: string | null;
}

export interface VisitorSettings {
  trustProxy: boolean;
  /** Lower case. */
  countryHeader: string;
}

// isbot's pattern costs microseconds per match, and the same few user agents make most traffic.
const verdicts = new Map<string, boolean>();
export function isBotAgent(agent: string): boolean {
  let verdict = verdicts.get(agent);
  if (verdict === undefined) {
    verdict = isbot(agent);
    if (verdicts.size >= 20_000) verdicts.clear();
    verdicts.set(agent, verdict);
  }
  return verdict;
}

/**
 * Reads the visitor from the raw header list in one pass: this runs on every redirect, and
 * `req.headers` would build an object of every header to read four of them.
 */
export function readVisitor(req: IncomingMessage, settings: VisitorSettings): Visitor {
  const raw = req.rawHeaders;
  let userAgent: string | null = null;
  let referrer: string | null = null;
  let forwarded: string | null = null;
  let country: string | null = null;
  let purpose: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'user-agent') userAgent ??= value;
    else if (name === 'referer') referrer ??= value;
    else if (name === 'x-forwarded-for') forwarded ??= value;
    else if (name === settings.countryHeader) country ??= value;
    else if (name === 'sec-purpose' || name === 'purpose' || name === 'x-purpose') purpose ??= value;
  }
  const trusted = settings.trustProxy;
  const first = trusted ? forwarded?.split(',')[0]?.trim() : undefined;
  const code = trusted ? country?.trim().toUpperCase() : undefined;
  return {
    automated: (purpose !== null && /prefetch|preview/i.test(purpose)) || !userAgent || isBotAgent(userAgent),
    ip: first || (req.socket.remoteAddress ?? null),
    userAgent: userAgent?.slice(0, 512) ?? null,
    referrer: referrer?.slice(0, 2048) ?? null,
    country: code && /^[A-Z]{2}$/.test(code) && code !== 'XX' && code !== 'T1' ? code : null,
  };
}
