import { builder } from '../builder.ts';
import { canSeeEnrollment } from '../enrollments/schema.ts';
import { AttributionModelEnum, ProposalStatusEnum, SideEnum } from '../programs/enums.ts';
import type { TermsChanges } from '../programs/terms.ts';
import {
  CommissionTiers,
  PerformanceBonus,
  RecurringCommission,
  SaleCommission,
} from '../programs/terms-schema.ts';

const groups = ['sale', 'leadAmount', 'clickAmount', 'tiers', 'bonus', 'recurring'] as const;

const ProposedChanges = builder.objectRef<TermsChanges>('ProposedChanges').implement({
  description: 'What a proposal changes; a field that is null and not in `removed` is unchanged.',
  fields: (t) => ({
    sale: t.field({ type: SaleCommission, nullable: true, resolve: (c) => c.sale ?? null }),
    leadAmount: t.int({ nullable: true, resolve: (c) => c.leadAmount ?? null }),
    clickAmount: t.int({ nullable: true, resolve: (c) => c.clickAmount ?? null }),
    tiers: t.field({ type: CommissionTiers, nullable: true, resolve: (c) => c.tiers ?? null }),
    bonus: t.field({ type: PerformanceBonus, nullable: true, resolve: (c) => c.bonus ?? null }),
    recurring: t.field({ type: RecurringCommission, nullable: true, resolve: (c) => c.recurring ?? null }),
    cookieWindowDays: t.int({ nullable: true, resolve: (c) => c.cookieWindowDays ?? null }),
    attributionModel: t.field({
      type: AttributionModelEnum,
      nullable: true,
      resolve: (c) => c.attributionModel ?? null,
    }),
    holdingDays: t.int({ nullable: true, resolve: (c) => c.holdingDays ?? null }),
    minPayoutAmount: t.int({ nullable: true, resolve: (c) => c.minPayoutAmount ?? null }),
    couponCode: t.string({ nullable: true, resolve: (c) => c.couponCode ?? null }),
    removed: t.stringList({
      description: 'Optional terms the proposal removes (e.g. "tiers").',
      resolve: (c) => groups.filter((key) => key in c && c[key] === null),
    }),
  }),
});

export const TermsProposalRef = builder.prismaObject('TermsProposal', {
  include: {
    enrollment: {
      select: {
        program: { select: { organizationId: true } },
        affiliate: { select: { organizationId: true } },
      },
    },
  },
  authScopes: (proposal, { viewer }) => canSeeEnrollment(viewer, proposal.enrollment),
  fields: (t) => ({
    id: t.exposeID('id'),
    side: t.expose('side', { type: SideEnum, description: 'Who proposed it.' }),
    status: t.expose('status', { type: ProposalStatusEnum }),
    changes: t.field({ type: ProposedChanges, resolve: (proposal) => proposal.changes as TermsChanges }),
    message: t.exposeString('message', { nullable: true }),
    effectiveAt: t.expose('effectiveAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When accepted terms take effect; on acceptance when null.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    decisionReason: t.exposeString('decisionReason', { nullable: true }),
    authorName: t.string({
      nullable: true,
      select: { author: { select: { name: true } } },
      resolve: (proposal) => proposal.author?.name ?? null,
    }),
    enrollment: t.relation('enrollment'),
    counterOf: t.relation('counterOf', { nullable: true, description: 'The proposal this one counters.' }),
    counteredBy: t.relation('counteredBy', { nullable: true }),
    resultingTerms: t.relation('result', {
      nullable: true,
      description: 'The terms version created when the proposal was accepted.',
    }),
  }),
});

builder.prismaObjectField('Enrollment', 'proposals', (t) =>
  t.relatedConnection('proposals', {
    cursor: 'id',
    description: 'Every proposal of terms for this enrollment, newest first.',
    query: { orderBy: { id: 'desc' } },
  }),
);
