import { z } from 'zod';

// The fraud rules as pure functions of a conversion's signals and a program's settings. The
// database gathers the signals (signals.ts) in one statement; this decides what fired and what
// happens to the conversion, so every rule is testable without a clock or a database.

export const RULES = [
  'SELF_REFERRAL',
  'CLICK_FLOODING',
  'CONVERSION_VELOCITY',
  'TOO_FAST',
  'DUPLICATE_CUSTOMER',
  'DISPOSABLE_EMAIL',
  'AMOUNT_OUTLIER',
  'BOT_USER_AGENT',
] as const;
export type Rule = (typeof RULES)[number];
export type Action = 'FLAG' | 'HOLD' | 'REJECT';

const count = (max: number) =>
  z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain name');

/** Each rule's thresholds, with the defaults a program starts with. */
export const paramsSchema = {
  SELF_REFERRAL: z.object({}),
  CLICK_FLOODING: z.object({
    maxClicks: count(100_000).default(20),
    windowMinutes: count(10_080).default(60),
  }),
  CONVERSION_VELOCITY: z.object({
    maxConversions: count(100_000).default(5),
    windowMinutes: count(10_080).default(60),
  }),
  TOO_FAST: z.object({ minSeconds: count(86_400).default(10) }),
  DUPLICATE_CUSTOMER: z.object({}),
  DISPOSABLE_EMAIL: z.object({ extraDomains: z.array(domain).max(500, 'at most 500 domains').default([]) }),
  AMOUNT_OUTLIER: z.object({
    multiple: z.number().int().min(2, 'must be at least 2').max(1_000).default(10),
    minSamples: count(100_000).default(20),
    lookbackDays: count(365).default(90),
  }),
  BOT_USER_AGENT: z.object({}),
} satisfies Record<Rule, z.ZodType>;

export type Params = { [R in Rule]: z.output<(typeof paramsSchema)[R]> };
export interface RuleSetting<R extends Rule = Rule> {
  rule: R;
  enabled: boolean;
  action: Action;
  params: Params[R];
}
export type Settings = { [R in Rule]: RuleSetting<R> };

/** Every rule on, flagging only: merchants see what would be caught before they hold or reject. */
export function defaultSettings(): Settings {
  const entries = RULES.map((rule) => [
    rule,
    { rule, enabled: true, action: 'FLAG', params: paramsSchema[rule].parse({}) },
  ]);
  return Object.fromEntries(entries) as Settings;
}

/** What the database knows about one attributed conversion, for the rules to judge. */
export interface Signals {
  /** How the customer or the visitor matched the affiliate's own account, if at all. */
  selfReferral: ('EMAIL' | 'CUSTOMER_ID' | 'CONVERSION_IP' | 'CLICK_IP')[];
  /** The attributed click, when the conversion came through one. */
  click: {
    id: string;
    secondsBeforeConversion: number;
    userAgent: string | null;
    /** Clicks from the click's IP hash in the window before it (itself included). */
    fromIpOnLink: number | null;
    fromIpOnAffiliate: number | null;
    bot: boolean;
  } | null;
  /** Conversions in the window before this one, this one included. */
  velocity: { byClick: number | null; byIp: number | null; byCustomer: number | null };
  /** Another affiliate of the program that this customer (id or email) converted for. */
  otherEnrollmentId: string | null;
  emailDomain: string | null;
  disposableDomain: boolean;
  /** The sale in the program currency, against the program's recent average. */
  amount: number | null;
  average: { amount: number; samples: number } | null;
  conversionUserAgent: string | null;
  conversionBot: boolean;
}

export interface Fired {
  rule: Rule;
  action: Action;
  evidence: Record<string, unknown>;
}

type Check<R extends Rule> = (s: Signals, p: Params[R]) => Record<string, unknown> | null;

const checks: { [R in Rule]: Check<R> } = {
  SELF_REFERRAL: (s) => (s.selfReferral.length ? { matched: s.selfReferral } : null),
  CLICK_FLOODING: (s, p) => {
    if (!s.click) return null;
    const clicks = Math.max(s.click.fromIpOnLink ?? 0, s.click.fromIpOnAffiliate ?? 0);
    return clicks > p.maxClicks
      ? {
          clickId: s.click.id,
          clicksFromIpOnLink: s.click.fromIpOnLink,
          clicksFromIpOnAffiliate: s.click.fromIpOnAffiliate,
          maxClicks: p.maxClicks,
          windowMinutes: p.windowMinutes,
        }
      : null;
  },
  CONVERSION_VELOCITY: (s, p) => {
    const over = Object.entries(s.velocity).filter(([, n]) => n !== null && n > p.maxConversions);
    return over.length
      ? { ...Object.fromEntries(over), maxConversions: p.maxConversions, windowMinutes: p.windowMinutes }
      : null;
  },
  TOO_FAST: (s, p) =>
    s.click && s.click.secondsBeforeConversion < p.minSeconds
      ? { clickId: s.click.id, secondsAfterClick: s.click.secondsBeforeConversion, minSeconds: p.minSeconds }
      : null,
  DUPLICATE_CUSTOMER: (s) => (s.otherEnrollmentId ? { otherEnrollmentId: s.otherEnrollmentId } : null),
  DISPOSABLE_EMAIL: (s, p) =>
    s.emailDomain && (s.disposableDomain || p.extraDomains.some((d) => isWithin(s.emailDomain!, d)))
      ? { domain: s.emailDomain }
      : null,
  AMOUNT_OUTLIER: (s, p) =>
    s.amount !== null &&
    s.average &&
    s.average.samples >= p.minSamples &&
    s.amount >= s.average.amount * p.multiple
      ? {
          amount: s.amount,
          averageAmount: s.average.amount,
          samples: s.average.samples,
          multiple: p.multiple,
        }
      : null,
  BOT_USER_AGENT: (s) =>
    s.conversionBot || s.click?.bot
      ? {
          ...(s.conversionBot ? { conversionUserAgent: s.conversionUserAgent } : {}),
          ...(s.click?.bot ? { clickUserAgent: s.click.userAgent } : {}),
        }
      : null,
};

/** `domain` is `parent` or one of its subdomains. */
export const isWithin = (domain: string, parent: string) =>
  domain === parent || domain.endsWith(`.${parent}`);

/** The enabled rules that fire, each with its action and the evidence a reviewer reads. */
export function evaluate(signals: Signals, settings: Settings): Fired[] {
  const fired: Fired[] = [];
  for (const rule of RULES) {
    const setting = settings[rule];
    if (!setting.enabled) continue;
    const evidence = (checks[rule] as Check<Rule>)(signals, setting.params);
    if (evidence) fired.push({ rule, action: setting.action, evidence });
  }
  return fired;
}

/** The strongest action decides: any REJECT rejects, else any HOLD holds for review. */
export function outcome(fired: readonly Fired[]): 'ACCEPTED' | 'HELD' | 'REJECTED' {
  if (fired.some((f) => f.action === 'REJECT')) return 'REJECTED';
  if (fired.some((f) => f.action === 'HOLD')) return 'HELD';
  return 'ACCEPTED';
}

/** The windows the signals query needs, null for rules that are off. */
export function windows(settings: Settings) {
  const on = <R extends Rule>(rule: R) => (settings[rule].enabled ? settings[rule].params : null);
  return {
    floodMinutes: on('CLICK_FLOODING')?.windowMinutes ?? null,
    velocityMinutes: on('CONVERSION_VELOCITY')?.windowMinutes ?? null,
    outlierDays: on('AMOUNT_OUTLIER')?.lookbackDays ?? null,
    selfReferral: settings.SELF_REFERRAL.enabled,
    duplicateCustomer: settings.DUPLICATE_CUSTOMER.enabled,
  };
}

export const anyEnabled = (settings: Settings) => RULES.some((rule) => settings[rule].enabled);
