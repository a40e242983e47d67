import { type DocumentNode, print } from 'graphql';
import { AffiliateApiError, errorFor, NetworkError } from './errors.ts';
import { getSdk, type RefundSaleInput, type TrackLeadInput, type TrackSaleInput } from './generated.ts';

export * from './errors.ts';
export type * from './generated.ts';
export { type ClickCookieOptions, setClickCookie } from './server.ts';

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

interface Page<T> {
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
    /** Every commission of an enrollment, newest first, fetched page by page. */
    commissions: (enrollmentId: string, pageSize = 50) =>
      paginate(async (after) => {
        const data = await sdk.EnrollmentCommissions({ enrollmentId, first: pageSize, after });
        return data.enrollment.commissions;
      }),
    /** Every conversion of a program, newest first (the merchant's view). */
    conversions: (programId: string, pageSize = 50) =>
      paginate(
        async (after) =>
          (await sdk.ProgramConversions({ programId, first: pageSize, after })).program.conversions,
      ),
    /** An affiliate organization's statement: every ledger entry, newest first. */
    statement: (organizationId: string, pageSize = 50) =>
      paginate(async (after) => {
        const data = await sdk.AffiliateStatement({ organizationId, first: pageSize, after });
        return (
          data.organization.affiliateProfile?.statement ?? { pageInfo: { hasNextPage: false }, edges: [] }
        );
      }),
    /** Every public program of the marketplace, page by page. */
    marketplace: (pageSize = 50) =>
      paginate(async (after) => (await sdk.Marketplace({ first: pageSize, after })).marketplace),
  };
}

export type Client = ReturnType<typeof createClient>;
