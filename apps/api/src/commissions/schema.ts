import { builder } from '../builder.ts';
import { canSeeEnrollment } from '../enrollments/schema.ts';
import { LedgerAccount, LedgerEntryType } from '../generated/prisma/client.ts';

builder.enumType(LedgerEntryType, {
  name: 'LedgerEntryType',
  description:
    'EARNED: a new commission (pending). APPROVED / REJECTED: its holding period ended or the merchant decided. REVERSED: a refund or chargeback before payment. CLAWBACK: the same after payment, owed back.',
});
builder.enumType(LedgerAccount, {
  name: 'LedgerAccount',
  description: 'PENDING, APPROVED, PAID: where the money stands. OWED: paid commissions reversed since.',
});

export const LedgerEntryRef = builder.prismaObject('LedgerEntry', {
  include: {
    program: { select: { organizationId: true } },
    affiliate: { select: { organizationId: true } },
  },
  authScopes: (row, { viewer }) =>
    canSeeEnrollment(viewer, { program: row.program, affiliate: row.affiliate }),
  description: 'An immutable money movement: a movement between accounts is a pair sharing `groupId`.',
  fields: (t) => ({
    id: t.exposeID('id'),
    groupId: t.exposeID('groupId'),
    type: t.expose('type', { type: LedgerEntryType }),
    account: t.expose('account', { type: LedgerAccount }),
    amount: t.exposeInt('amount', { description: 'Signed minor units: positive into the account.' }),
    currency: t.exposeString('currency'),
    memo: t.exposeString('memo', {
      nullable: true,
      description: 'Why: the reason of a decision, the refund it follows.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectFields('Commission', (t) => ({
  history: t.relation('ledgerEntries', {
    description: 'Every movement of this commission, oldest first: its whole history.',
    // Rows of one movement share a time; money leaving an account is listed before it arrives.
    query: { orderBy: [{ createdAt: 'asc' }, { amount: 'asc' }] },
  }),
}));
