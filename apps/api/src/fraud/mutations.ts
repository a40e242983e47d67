import { z } from 'zod';
import { requireRole, userIdOrNull } from '../auth/access.ts';
import { builder } from '../builder.ts';
import { ConversionRef } from '../conversions/schema.ts';
import { prisma } from '../db.ts';
import { invalidInput } from '../errors.ts';
import { invalidate } from '../invalidation.ts';
import { programForAdmin } from '../programs/mutations.ts';
import { id, input } from '../validation.ts';
import { reviewConversion } from './review.ts';
import { paramsSchema, type Rule } from './rules.ts';
import { FraudActionEnum, FraudRuleEnum, FraudRuleSettingRef, ReviewOutcomeEnum } from './schema.ts';
import { loadSettings } from './settings.ts';

const PARAMS = [
  'maxClicks',
  'windowMinutes',
  'maxConversions',
  'minSeconds',
  'multiple',
  'minSamples',
  'lookbackDays',
] as const;

const UpdateFraudRuleInput = builder.inputType('UpdateFraudRuleInput', {
  description: 'Changes one rule of a program; fields left out keep their value.',
  fields: (t) => ({
    programId: t.id(),
    rule: t.field({ type: FraudRuleEnum }),
    enabled: t.boolean({ required: false }),
    action: t.field({ type: FraudActionEnum, required: false }),
    maxClicks: t.int({ required: false }),
    windowMinutes: t.int({ required: false }),
    maxConversions: t.int({ required: false }),
    minSeconds: t.int({ required: false }),
    multiple: t.int({ required: false }),
    minSamples: t.int({ required: false }),
    lookbackDays: t.int({ required: false }),
    extraDomains: t.stringList({ required: false }),
  }),
  validate: input({ programId: id }),
});

interface RuleUpdate {
  programId: string;
  rule: Rule;
  enabled?: boolean | null;
  action?: 'FLAG' | 'HOLD' | 'REJECT' | null;
  extraDomains?: string[] | null;
  [param: string]: unknown;
}

/** The rule's params after the update, validated against that rule's own thresholds. */
function nextParams(update: RuleUpdate, current: Record<string, unknown>) {
  const schema = paramsSchema[update.rule];
  const allowed = Object.keys(schema.shape);
  const given = [...PARAMS, 'extraDomains'].filter(
    (name) => update[name] !== undefined && update[name] !== null,
  );
  const foreign = given.filter((name) => !allowed.includes(name));
  if (foreign.length)
    throw invalidInput(
      foreign.map((name) => ({ path: `input.${name}`, message: `does not apply to ${update.rule}` })),
    );
  const parsed = schema.safeParse({
    ...current,
    ...Object.fromEntries(given.map((name) => [name, update[name]])),
  });
  if (!parsed.success)
    throw invalidInput(
      parsed.error.issues.map((issue) => ({
        path: ['input', ...issue.path].join('.'),
        message: issue.message,
      })),
    );
  return parsed.data;
}

builder.mutationFields((t) => ({
  updateFraudRule: t.field({
    type: FraudRuleSettingRef,
    description:
      "Turns a program's fraud rule on or off, sets what it does (FLAG, HOLD, REJECT) and its thresholds. Applies to conversions recorded from now on.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: UpdateFraudRuleInput }) },
    resolve: async (_root, args, { viewer }) => {
      const update = args.input as unknown as RuleUpdate;
      const program = await programForAdmin(viewer, String(update.programId));
      const current = (await loadSettings(program.id))[update.rule];
      const params = nextParams(update, current.params as Record<string, unknown>);
      const enabled = update.enabled ?? current.enabled;
      const action = update.action ?? current.action;
      await prisma.fraudRuleSetting.upsert({
        where: { programId_rule: { programId: program.id, rule: update.rule } },
        create: { programId: program.id, rule: update.rule, enabled, action, params },
        update: { enabled, action, params },
      });
      invalidate({ program: program.id });
      return { rule: update.rule, enabled, action, params };
    },
  }),
  reviewConversion: t.prismaField({
    type: ConversionRef,
    description:
      'Decides a conversion held by a fraud rule. APPROVE: it continues (its commissions are approved when their holding period ends). REJECT: its commissions are rejected and it earns nothing. The reason is kept with the reviewer; the affiliate reads it. CONFLICT unless the conversion is held.',
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('ReviewConversionInput', {
          fields: (f) => ({
            conversionId: f.id(),
            outcome: f.field({ type: ReviewOutcomeEnum }),
            reason: f.string(),
          }),
          validate: input({
            conversionId: id,
            reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, { viewer }) => {
      const conversionId = String(input.conversionId);
      const row = await prisma.conversion.findUnique({
        where: { id: conversionId },
        select: { program: { select: { organizationId: true } } },
      });
      requireRole(viewer, row?.program.organizationId, 'ADMIN', 'Conversion');
      await reviewConversion(conversionId, input.outcome, input.reason, userIdOrNull(viewer));
      return prisma.conversion.findUniqueOrThrow({ ...query, where: { id: conversionId } });
    },
  }),
}));
