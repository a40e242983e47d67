import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from '../builder.ts';
import '../affiliates/schema.ts';
import '../api-keys/schema.ts';
import '../auth/schema.ts';
import '../commissions/mutations.ts';
import '../commissions/schema.ts';
import '../conversions/mutations.ts';
import '../conversions/schema.ts';
import '../creatives/schema.ts';
import '../enrollments/mutations.ts';
import '../enrollments/schema.ts';
import '../fraud/mutations.ts';
import '../fraud/schema.ts';
import '../links/mutations.ts';
import '../links/schema.ts';
import '../marketplace/schema.ts';
import '../organizations/schema.ts';
import '../payouts/mutations.ts';
import '../payouts/schema.ts';
import '../privacy/schema.ts';
import '../programs/mutations.ts';
import '../proposals/mutations.ts';
import '../proposals/schema.ts';
import '../reports/schema.ts';
import '../programs/schema.ts';
import '../users/schema.ts';
import '../webhooks/schema.ts';
import './errors.ts';

export const schema = builder.toSchema();

/** The schema as committed in schema.graphql: sorted, so diffs show real changes only. */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
