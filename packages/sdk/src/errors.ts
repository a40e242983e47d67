// Errors by `extensions.code`, the API's one table of error codes.

export interface Issue {
  path: string;
  message: string;
}

export class AffiliateApiError extends Error {
  override name = 'AffiliateApiError';
  constructor(
    message: string,
    /** The API's `extensions.code`, or NETWORK_ERROR. */
    readonly code: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
export class UnauthenticatedError extends AffiliateApiError {
  override name = 'UnauthenticatedError';
}
export class ForbiddenError extends AffiliateApiError {
  override name = 'ForbiddenError';
}
export class NotFoundError extends AffiliateApiError {
  override name = 'NotFoundError';
}
export class InvalidInputError extends AffiliateApiError {
  override name = 'InvalidInputError';
  /** Every field that failed, at once. */
  get issues(): Issue[] {
    return (this.extensions.issues as Issue[] | undefined) ?? [];
  }
}
export class ConflictError extends AffiliateApiError {
  override name = 'ConflictError';
}
export class RateLimitedError extends AffiliateApiError {
  override name = 'RateLimitedError';
  get retryAfterSeconds(): number | null {
    return (this.extensions.retryAfterSeconds as number | undefined) ?? null;
  }
}
/** The request is over one of the API's limits; `limit` says which (depth, cost, batch, body…). */
export class RequestTooLargeError extends AffiliateApiError {
  override name = 'RequestTooLargeError';
  get limit(): string | null {
    return (this.extensions.limit as string | undefined) ?? null;
  }
}
/** The request did not get an answer (or not a GraphQL one): safe to retry tracking calls. */
export class NetworkError extends AffiliateApiError {
  override name = 'NetworkError';
}

const byCode: Record<string, typeof AffiliateApiError> = {
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  NOT_FOUND: NotFoundError,
  INVALID_INPUT: InvalidInputError,
  CONFLICT: ConflictError,
  RATE_LIMITED: RateLimitedError,
  REQUEST_TOO_LARGE: RequestTooLargeError,
};

export function errorFor(error: {
  message: string;
  extensions?: Record<string, unknown>;
}): AffiliateApiError {
  const code = String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  const Type = byCode[code] ?? AffiliateApiError;
  return new Type(error.message, code, error.extensions ?? {});
}
