import { type DocumentNode, print } from 'graphql';
import { AffiliateApiError, errorFor, NetworkError, RateLimitedError } from './errors.ts';
import { getSdk, type RefundSaleInput, type TrackLeadInput, type TrackSaleInput } from './generated.ts';

export * from './errors.ts';
export type * from './generated.ts';
export { type ClickCookieOptions, setClickCookie } from './server.ts';
export * from './webhooks.ts';

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql */
  url: string;
  /** A user's access token (from logIn)… */
  token?: string;
  /** …or an API key: sk_… for servers. */
  apiKey?: string;
  /** Defaults to the global fetch (Node 20, browsers). */
  fetch?: typeof fetch;
  /** Tracking calls are retried this many times on network errors (the server is idempotent). */
  retries?: number;
}

export interface Page<T> {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: T }[];
}

/** Walks a relay connection page by page for the caller. */
export async function* paginate<T>(
  fetchPage: (after: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await fetchPage(after);
    for (const edge of page.edges) yield edge.node;
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
    after = page.pageInfo.endCursor;
  }
}

type PageVariables = { first?: number | null; after?: string | null };
type Rest<V> = Omit<V, keyof PageVariables>;
// Paged queries whose variables are all optional can be iterated with no arguments.
type IteratorArgs<V> =
  Partial<Rest<V>> extends Rest<V>
    ? [variables?: Rest<V>, pageSize?: number]
    : [variables: Rest<V>, pageSize?: number];

const empty = { pageInfo: { hasNextPage: false }, edges: [] };

/** Turns a paged query and where its connection sits into an async iterator over its nodes. */
function pages<V extends PageVariables, D, T>(
  query: (variables: V) => Promise<D>,
  connection: (data: D) => Page<T> | null | undefined,
) {
  return (...[variables, pageSize = 50]: IteratorArgs<V>): AsyncGenerator<T, void, undefined> =>
    paginate<T>(
      async (after) => connection(await query({ ...variables, first: pageSize, after } as V)) ?? empty,
    );
}

const tracking = new Set(['TrackSale', 'TrackLead', 'RefundSale']);

export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch;
  const credential = options.token ?? options.apiKey;
  const request = async <R, V>(document: DocumentNode, variables?: V): Promise<R> => {
    const name = (document.definitions[0] as { name?: { value: string } }).name?.value ?? '';
    const attempts = tracking.has(name) ? 1 + (options.retries ?? 2) : 1;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await doFetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(credential ? { authorization: `Bearer ${credential}` } : {}),
          },
          body: JSON.stringify({ query: print(document), variables }),
        });
      } catch (error) {
        if (attempt < attempts) continue;
        throw new NetworkError(error instanceof Error ? error.message : String(error), 'NETWORK_ERROR');
      }
      let body: { data?: R; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      try {
        body = await response.json();
      } catch {
        if (response.status === 429) {
          const retryAfterSeconds = Number(response.headers.get('retry-after')) || null;
          throw new RateLimitedError('Too many requests', 'RATE_LIMITED', {
            code: 'RATE_LIMITED',
            retryAfterSeconds,
          });
        }
        if (attempt < attempts && response.status >= 500) continue;
        throw new NetworkError(`HTTP ${response.status} without a GraphQL answer`, 'NETWORK_ERROR');
      }
      if (body.errors?.length) throw errorFor(body.errors[0]!);
      if (!body.data) throw new AffiliateApiError('Empty answer', 'INTERNAL_SERVER_ERROR');
      return body.data;
    }
  };
  const sdk = getSdk(request);
  return {
    ...sdk,
    /** For merchants' back ends: records a sale once per order id (retries are safe). */
    trackSale: async (input: TrackSaleInput) => (await sdk.TrackSale({ input })).trackSale,
    /** Records a lead once per lead id. */
    trackLead: async (input: TrackLeadInput) => (await sdk.TrackLead({ input })).trackLead,
    /** A full or partial refund, or a chargeback, once per refund id. */
    refund: async (input: RefundSaleInput) => (await sdk.RefundSale({ input })).refundSale,

    // Every list as an async iterator that fetches the next page when the caller needs it:
    // `for await (const c of client.commissions({ enrollmentId })) …`.
    /** The public, active programs. */
    marketplace: pages(sdk.Marketplace, (d) => d.marketplace),
    /** The signed-in user's organizations, with the role in each. */
    memberships: pages(sdk.Me, (d) => d.me.memberships),
    members: pages(sdk.OrganizationMembers, (d) => d.organization.members),
    apiKeys: pages(sdk.OrganizationApiKeys, (d) => d.organization.apiKeys),
    /** A merchant organization's programs. */
    programs: pages(sdk.OrganizationPrograms, (d) => d.organization.programs),
    termsVersions: pages(sdk.ProgramTermsVersions, (d) => d.program.termsVersions),
    creatives: pages(sdk.ProgramCreatives, (d) => d.program.creatives),
    /** A program's affiliates (the merchant's view), by status if given. */
    enrollments: pages(sdk.ProgramEnrollments, (d) => d.program.enrollments),
    /** An affiliate organization's programs. */
    affiliateEnrollments: pages(
      sdk.AffiliateEnrollments,
      (d) => d.organization.affiliateProfile?.enrollments,
    ),
    /** A program's conversions, newest first, attributed or not (the merchant's view). */
    conversions: pages(sdk.ProgramConversions, (d) => d.program.conversions),
    enrollmentConversions: pages(sdk.EnrollmentConversions, (d) => d.enrollment.conversions),
    /** An enrollment's commissions, newest first. */
    commissions: pages(sdk.EnrollmentCommissions, (d) => d.enrollment.commissions),
    proposals: pages(sdk.EnrollmentProposals, (d) => d.enrollment.proposals),
    links: pages(sdk.EnrollmentLinks, (d) => d.enrollment.links),
    clicks: pages(sdk.LinkClicks, (d) => d.link.clicks),
    /** Conversions held by a fraud rule, oldest first, with the rules that fired. */
    reviewQueue: pages(sdk.ReviewQueue, (d) => d.program.reviewQueue),
    /** An affiliate organization's statement: every ledger entry, newest first. */
    statement: pages(sdk.AffiliateStatement, (d) => d.organization.affiliateProfile?.statement),
    payoutItems: pages(sdk.AffiliatePayoutItems, (d) => d.organization.affiliateProfile?.payoutItems),
    /** A merchant organization's payout batches. */
    payouts: pages(sdk.OrganizationPayouts, (d) => d.organization.payouts),
  };
}

export type Client = ReturnType<typeof createClient>;
