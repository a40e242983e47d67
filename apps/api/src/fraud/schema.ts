import { actsFor } from '../auth/scopes.ts';
import { builder } from '../builder.ts';
import { ConversionRef, canSeeConversion } from '../conversions/schema.ts';
import { prisma } from '../db.ts';
import type { FraudFlag } from '../generated/prisma/client.ts';
import { type AffiliateRisk, affiliateRisk } from './risk.ts';
import { type Action, RULES, type Rule, type RuleSetting } from './rules.ts';
import { loadSettings } from './settings.ts';

export const FraudRuleEnum = builder.enumType('FraudRule', {
  values: {
    SELF_REFERRAL: {
      description:
        "The customer is the affiliate: the customer's email or id matches the affiliate's account (its members, contact or PayPal email, its ids), or the click or the conversion came from an IP one of its members signed in from that day.",
    },
    CLICK_FLOODING: {
      description:
        'The attributed click came from an IP that clicked the same link, or any link of the affiliate, more than maxClicks times within windowMinutes.',
    },
    CONVERSION_VELOCITY: {
      description:
        'More than maxConversions conversions within windowMinutes from one click, one IP or one customer.',
    },
    TOO_FAST: { description: 'The conversion came less than minSeconds after its click.' },
    DUPLICATE_CUSTOMER: {
      description: 'The customer (by id or email) already converted for another affiliate of the program.',
    },
    DISPOSABLE_EMAIL: {
      description:
        "The customer's email is at a disposable-email domain (a maintained list, plus extraDomains).",
    },
    AMOUNT_OUTLIER: {
      description:
        "The sale is at least `multiple` times the program's average accepted sale over lookbackDays (once there are minSamples of them).",
    },
    BOT_USER_AGENT: { description: "The click's or the conversion's user agent is a bot's." },
  } satisfies Record<Rule, { description: string }>,
});

export const FraudActionEnum = builder.enumType('FraudAction', {
  values: {
    FLAG: { description: 'Record the flag; the conversion goes on as usual.' },
    HOLD: {
      description:
        'Hold the conversion for review: its commissions stay pending until a reviewer approves it.',
    },
    REJECT: { description: 'Reject the conversion: it earns nothing.' },
  } satisfies Record<Action, { description: string }>,
});

export const ReviewOutcomeEnum = builder.enumType('ReviewOutcome', {
  values: ['APPROVE', 'REJECT'] as const,
});

const param =
  (name: string) =>
  (s: RuleSetting): number | null =>
    ((s.params as Record<string, unknown>)[name] as number | undefined) ?? null;

export const FraudRuleSettingRef = builder.objectRef<RuleSetting>('FraudRuleSetting').implement({
  description: 'One fraud rule as a program runs it. Thresholds that do not apply to the rule are null.',
  fields: (t) => ({
    rule: t.field({ type: FraudRuleEnum, resolve: (s) => s.rule }),
    enabled: t.exposeBoolean('enabled'),
    action: t.field({ type: FraudActionEnum, resolve: (s) => s.action }),
    maxClicks: t.int({ nullable: true, description: 'CLICK_FLOODING.', resolve: param('maxClicks') }),
    windowMinutes: t.int({
      nullable: true,
      description: 'CLICK_FLOODING and CONVERSION_VELOCITY.',
      resolve: param('windowMinutes'),
    }),
    maxConversions: t.int({
      nullable: true,
      description: 'CONVERSION_VELOCITY.',
      resolve: param('maxConversions'),
    }),
    minSeconds: t.int({ nullable: true, description: 'TOO_FAST.', resolve: param('minSeconds') }),
    multiple: t.int({ nullable: true, description: 'AMOUNT_OUTLIER.', resolve: param('multiple') }),
    minSamples: t.int({ nullable: true, description: 'AMOUNT_OUTLIER.', resolve: param('minSamples') }),
    lookbackDays: t.int({ nullable: true, description: 'AMOUNT_OUTLIER.', resolve: param('lookbackDays') }),
    extraDomains: t.stringList({
      nullable: true,
      description: 'DISPOSABLE_EMAIL: your own additions to the list.',
      resolve: (s) =>
        s.rule === 'DISPOSABLE_EMAIL' ? (s.params as { extraDomains: string[] }).extraDomains : null,
    }),
  }),
});

export const FraudFlagRef = builder.objectRef<FraudFlag>('FraudFlag').implement({
  description: 'A rule that fired on a conversion, with what it saw.',
  fields: (t) => ({
    id: t.exposeID('id'),
    rule: t.field({ type: FraudRuleEnum, resolve: (f) => f.rule }),
    action: t.field({ type: FraudActionEnum, resolve: (f) => f.action }),
    evidence: t.field({
      type: 'JSONObject',
      description: 'The figures the rule compared (counts, thresholds, matches). IPs appear only as hashes.',
      resolve: (f) => f.evidence as Record<string, unknown>,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('ReviewDecision', {
  include: {
    conversion: {
      select: {
        program: { select: { organizationId: true } },
        enrollment: { select: { affiliate: { select: { organizationId: true } } } },
      },
    },
  },
  // Whoever sees the conversion: its merchant, and the affiliate it is attributed to.
  authScopes: (d, { viewer }) => canSeeConversion(viewer, d.conversion),
  description: 'A reviewer’s decision on a held conversion.',
  fields: (t) => ({
    id: t.exposeID('id'),
    outcome: t.field({ type: ReviewOutcomeEnum, resolve: (d) => d.outcome }),
    reason: t.exposeString('reason'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    decidedBy: t.string({
      nullable: true,
      description: "The reviewer's name (the merchant's view; null for a secret key).",
      select: { decidedBy: { select: { name: true } } },
      resolve: (d, _args, { viewer }) =>
        actsFor(viewer, d.conversion.program.organizationId) ? (d.decidedBy?.name ?? null) : null,
    }),
  }),
});

const RuleCountRef = builder.objectRef<{ rule: Rule; count: number }>('FraudRuleCount').implement({
  fields: (t) => ({
    rule: t.field({ type: FraudRuleEnum, resolve: (r) => r.rule }),
    count: t.exposeInt('count'),
  }),
});

const AffiliateRiskRef = builder.objectRef<AffiliateRisk>('AffiliateRisk').implement({
  description: "An affiliate's conversions in a program as the fraud rules saw them.",
  fields: (t) => ({
    enrollment: t.prismaField({
      type: 'Enrollment',
      resolve: (query, r) => prisma.enrollment.findUniqueOrThrow({ ...query, where: { id: r.enrollmentId } }),
    }),
    affiliateName: t.exposeString('affiliateName'),
    conversions: t.exposeInt('conversions'),
    flagged: t.exposeInt('flagged', { description: 'Conversions at least one rule fired on.' }),
    held: t.exposeInt('held', {
      description: 'Conversions held for review: waiting now, or already decided.',
    }),
    awaitingReview: t.exposeInt('awaitingReview'),
    rejected: t.exposeInt('rejected', { description: 'Rejected by a rule or on review.' }),
    heldShare: t.float({
      description: 'held / conversions, from 0 to 1.',
      resolve: (r) => (r.conversions ? r.held / r.conversions : 0),
    }),
    flags: t.field({
      type: [RuleCountRef],
      description: 'Flags by rule, most frequent first.',
      resolve: (r) => r.flags,
    }),
  }),
});

builder.prismaObjectFields('Conversion', (t) => ({
  fraudFlags: t.field({
    type: [FraudFlagRef],
    nullable: true,
    description:
      "The fraud rules that fired, with their evidence: the merchant's view (null for the affiliate, who sees the status and the review's reason).",
    select: { program: { select: { organizationId: true } } },
    resolve: (c, _args, { viewer }) =>
      actsFor(viewer, c.program.organizationId) || (viewer.kind === 'user' && viewer.isNetworkAdmin)
        ? prisma.fraudFlag.findMany({ where: { conversionId: c.id }, orderBy: { id: 'asc' } })
        : null,
  }),
  reviews: t.relation('reviews', {
    description: 'Review decisions, oldest first: who decided, when and why.',
    query: { orderBy: { id: 'asc' } },
  }),
}));

builder.prismaObjectFields('Program', (t) => ({
  fraudRules: t.field({
    type: [FraudRuleSettingRef],
    description: 'Every fraud rule with its settings (the defaults until changed): the merchant’s view.',
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    resolve: async (program) => {
      const settings = await loadSettings(program.id);
      return RULES.map((rule) => settings[rule] as RuleSetting);
    },
  }),
  reviewQueue: t.prismaConnection({
    type: ConversionRef,
    cursor: 'id',
    description: 'Conversions held by a fraud rule, waiting for a decision, oldest first.',
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    resolve: (query, program) =>
      prisma.conversion.findMany({
        ...query,
        where: { programId: program.id, status: 'HELD' },
        orderBy: { id: 'asc' },
      }),
  }),
  affiliateRisk: t.field({
    type: [AffiliateRiskRef],
    description:
      'Per affiliate: conversions, flags by rule and the share held for review; most flagged first (the merchant’s view).',
    authScopes: (program) => ({ member: program.organizationId, networkAdmin: true }),
    args: { first: t.arg.int({ defaultValue: 50, description: 'At most 500.' }) },
    resolve: (program, args) => affiliateRisk(program.id, null, Math.min(Math.max(args.first ?? 50, 1), 500)),
  }),
}));

builder.prismaObjectFields('Enrollment', (t) => ({
  risk: t.field({
    type: AffiliateRiskRef,
    nullable: true,
    description:
      "This affiliate's risk summary in the program: the merchant's view (null for the affiliate).",
    select: { programId: true, program: { select: { organizationId: true } } },
    resolve: async (e, _args, { viewer }) => {
      if (!actsFor(viewer, e.program.organizationId) && !(viewer.kind === 'user' && viewer.isNetworkAdmin))
        return null;
      const [risk] = await affiliateRisk(e.programId, e.id, 1);
      return risk!;
    },
  }),
}));
