import { z } from 'zod';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { invalidInput } from '../errors.ts';
import { SaleCommissionTypeEnum } from '../programs/enums.ts';
import { categories } from '../programs/inputs.ts';
import { currency } from '../programs/money.ts';
import { ProgramRef } from '../programs/schema.ts';
import { input } from '../validation.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { type MarketplaceFilter, type MarketplaceSort, marketplacePage } from './query.ts';

const MarketplaceSortEnum = builder.enumType('MarketplaceSort', {
  values: {
    NEWEST: { description: 'Most recently created first.' },
    HIGHEST_RATE: { description: 'Percentage commissions, highest rate first; then the others.' },
    HIGHEST_FLAT_AMOUNT: { description: 'Flat commissions, highest amount first; then the others.' },
    LONGEST_COOKIE_WINDOW: { description: 'Longest attribution window first.' },
    HIGHEST_EARNINGS_PER_CLICK: {
      description:
        "Highest `recentEarningsPer100Clicks` first (each in its program's currency: filter by currency to compare like with like); then programs without clicks.",
    },
  } as const,
});

const MarketplaceFilterInput = builder.inputType('MarketplaceFilter', {
  fields: (t) => ({
    search: t.string({ required: false, description: 'Words in the name or description.' }),
    category: t.string({ required: false }),
    currency: t.string({ required: false }),
    saleType: t.field({ type: SaleCommissionTypeEnum, required: false }),
    minRateBps: t.int({ required: false }),
    minFlatAmount: t.int({ required: false }),
    minCookieWindowDays: t.int({ required: false }),
    hasLeadCommission: t.boolean({ required: false }),
  }),
  validate: input({
    search: z.string().trim().min(1).max(100).nullish(),
    category: z.enum(categories).nullish(),
    currency: currency.nullish(),
    saleType: z.enum(['PERCENTAGE', 'FLAT']).nullish(),
    minRateBps: z.number().int().min(0).max(10_000).nullish(),
    minFlatAmount: z.number().int().min(0).nullish(),
    minCookieWindowDays: z.number().int().min(1).max(365).nullish(),
  }),
});

builder.queryField('marketplace', (t) =>
  t.connection({
    type: ProgramRef,
    description:
      'Public, active programs, filtered and sorted by their terms in force now. Pages forward with `first`/`after`.',
    authScopes: { authenticated: true },
    args: {
      filter: t.arg({ type: MarketplaceFilterInput, required: false }),
      sort: t.arg({ type: MarketplaceSortEnum, defaultValue: 'NEWEST' }),
    },
    resolve: async (_root, args) => {
      if (args.last != null || args.before != null)
        throw invalidInput([{ path: 'last', message: 'the marketplace pages forward only' }]);
      const first = args.first ?? 20;
      if (first < 1 || first > 100) throw invalidInput([{ path: 'first', message: 'must be 1-100' }]);
      const after = args.after ? decodeCursor(args.after) : undefined;
      const rows = await marketplacePage(
        (args.filter ?? {}) as MarketplaceFilter,
        (args.sort ?? 'NEWEST') as MarketplaceSort,
        first + 1,
        after,
      );
      const page = rows.slice(0, first);
      const programs = await prisma.program.findMany({ where: { id: { in: page.map((row) => row.id) } } });
      const byId = new Map(programs.map((program) => [program.id, program]));
      const edges = page.map((row) => ({ cursor: encodeCursor(row.value, row.id), node: byId.get(row.id)! }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > first,
          hasPreviousPage: Boolean(after),
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);
