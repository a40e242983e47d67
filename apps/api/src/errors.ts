import { GraphQLError } from 'graphql';

// The one table of error codes. Clients (and the SDK) switch on `extensions.code`;
// these strings are part of the public API and never change meaning.
export const ErrorCode = {
  UNAUTHENTICATED: 'Missing, invalid or expired credentials.',
  FORBIDDEN: 'The credentials are valid but may not do this.',
  NOT_FOUND: 'The object does not exist, or is not visible to the caller.',
  INVALID_INPUT: 'An argument failed validation; `extensions.issues` lists each field.',
  CONFLICT: 'The change clashes with existing data (a duplicate, or a state that does not allow it).',
  RATE_LIMITED: 'Too many requests; retry after `extensions.retryAfterSeconds`.',
  REQUEST_TOO_LARGE:
    'The request is over a limit: `extensions.limit` is depth, cost, aliases, directives, tokens, batch or body.',
  INTERNAL_SERVER_ERROR: 'An unexpected error; it was logged with `extensions.requestId`.',
} as const;

export type ErrorCode = keyof typeof ErrorCode;

export interface Issue {
  path: string;
  message: string;
}

export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.code = code;
  }
}

export const unauthenticated = (message = 'Authentication required') =>
  new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'Not allowed') => new AppError('FORBIDDEN', message);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, extensions: Record<string, unknown> = {}) =>
  new AppError('CONFLICT', message, extensions);
export const invalidInput = (issues: Issue[]) =>
  new AppError('INVALID_INPUT', issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), {
    issues,
  });
