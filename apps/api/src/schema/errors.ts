import { builder } from '../builder.ts';
import { ErrorCode } from '../errors.ts';

// Listed in the schema so clients can generate types for `extensions.code`.
builder.enumType('ErrorCode', {
  description: 'The values of `extensions.code` on errors this API returns.',
  values: Object.fromEntries(
    Object.entries(ErrorCode).map(([code, description]) => [code, { description }]),
  ) as Record<keyof typeof ErrorCode, { description: string }>,
});
