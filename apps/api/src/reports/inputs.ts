import { z } from 'zod';
import { builder } from '../builder.ts';
import { input } from '../validation.ts';

export const maxReportDays = 366;

// An IANA zone name, which Node and PostgreSQL read alike. Offsets such as "+05:00" are refused:
// PostgreSQL reads them POSIX-style, with the sign the other way round.
const isZone = (zone: string) => {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const day = z.iso
  .date('must be a date as YYYY-MM-DD')
  .refine((d) => d >= '2000-01-01', 'must be in 2000 or later');

const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;

export const ReportRangeInput = builder.inputType('ReportRange', {
  description: 'Calendar days, both included, in a time zone: what a day means in every report.',
  fields: (t) => ({
    from: t.string({ description: 'The first day, YYYY-MM-DD.' }),
    to: t.string({ description: 'The last day, YYYY-MM-DD (included).' }),
    timeZone: t.string({
      defaultValue: 'UTC',
      description: 'An IANA time zone such as "Europe/Paris"; days start at its local midnight.',
    }),
  }),
  validate: input({
    from: day,
    to: day,
    timeZone: z.string().max(64).refine(isZone, 'must be an IANA time zone such as Europe/Paris'),
  })
    .refine((r) => r.to >= r.from, { message: 'must not be before from', path: ['to'] })
    .refine((r) => daysBetween(r.from, r.to) <= maxReportDays, {
      message: `must be at most ${maxReportDays} days after from`,
      path: ['to'],
    }),
});

export const ReportOrderEnum = builder.enumType('ReportOrder', {
  values: ['REVENUE', 'COMMISSION', 'SALES', 'CLICKS'] as const,
  description: 'What a top list puts first (ties go to the most clicks).',
});

export const ReportBreakdownEnum = builder.enumType('ReportBreakdown', {
  description: "A CSV's rows: one per day, or one per affiliate, link or sub-ID over the whole range.",
  values: ['DAYS', 'AFFILIATES', 'LINKS', 'SUB_IDS'] as const,
});
