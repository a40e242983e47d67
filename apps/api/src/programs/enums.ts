import { builder } from '../builder.ts';
import {
  AttributionModel,
  CreativeKind,
  EnrollmentStatus,
  PayoutMethod,
  Period,
  ProgramStatus,
  ProgramVisibility,
  ProposalStatus,
  RecurringMode,
  SaleCommissionType,
  Side,
  TierBasis,
} from '../generated/prisma/client.ts';

export const ProgramStatusEnum = builder.enumType(ProgramStatus, { name: 'ProgramStatus' });
export const ProgramVisibilityEnum = builder.enumType(ProgramVisibility, {
  name: 'ProgramVisibility',
  description:
    'PUBLIC programs are listed in the marketplace while active; INVITE_ONLY ones only reach invited affiliates.',
});
export const SaleCommissionTypeEnum = builder.enumType(SaleCommissionType, { name: 'SaleCommissionType' });
export const TierBasisEnum = builder.enumType(TierBasis, {
  name: 'TierBasis',
  description: 'What a threshold counts: approved sales (COUNT) or their revenue in minor units (REVENUE).',
});
export const PeriodEnum = builder.enumType(Period, { name: 'Period' });
export const RecurringModeEnum = builder.enumType(RecurringMode, { name: 'RecurringMode' });
export const AttributionModelEnum = builder.enumType(AttributionModel, { name: 'AttributionModel' });
export const EnrollmentStatusEnum = builder.enumType(EnrollmentStatus, { name: 'EnrollmentStatus' });
export const ProposalStatusEnum = builder.enumType(ProposalStatus, { name: 'ProposalStatus' });
export const SideEnum = builder.enumType(Side, { name: 'Side' });
export const CreativeKindEnum = builder.enumType(CreativeKind, { name: 'CreativeKind' });
export const PayoutMethodEnum = builder.enumType(PayoutMethod, { name: 'PayoutMethod' });
