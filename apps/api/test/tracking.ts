import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, config } from '../src/config.ts';
import { requestListener } from '../src/http.ts';
import { startTracking } from '../src/tracking.ts';
import { createApp } from '../src/yoga.ts';
import { ok } from './helpers.ts';

export const browser =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

/** The API's HTTP listener on a free port, with its own click pipeline. */
export async function startHttp(overrides: Partial<Config> = {}) {
  const database = {
    url: process.env.TEST_DB_URL!,
    kind: process.env.TEST_DATABASE_URL ? ('postgresql' as const) : ('embedded' as const),
  };
  const tracking = await startTracking({ ...config(), ...overrides }, database);
  const server = createServer(requestListener(createApp(), tracking, { ...config(), ...overrides }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tracking,
    /** Follows nothing: returns the status and Location of one request. */
    async get(path: string, headers: Record<string, string> = { 'user-agent': browser }, method = 'GET') {
      const response = await fetch(`${url}${path}`, { method, headers, redirect: 'manual' });
      await response.arrayBuffer();
      return { status: response.status, location: response.headers.get('location') };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tracking.stop(1_000);
    },
  };
}

/** A link for the enrollment, created by the affiliate's credential. */
export async function createLink(enrollmentId: string, credential: string, subIds: (string | null)[] = []) {
  const data = await ok(
    'mutation($input: CreateLinkInput!) { createLink(input: $input) { id code } }',
    { input: { enrollmentId, subIds } },
    credential,
  );
  return data.createLink as { id: string; code: string };
}

/** One redirect click from `ip`, flushed to the database; returns the click id. */
export async function clickThrough(http: Awaited<ReturnType<typeof startHttp>>, code: string, ip: string) {
  const { location } = await http.get(`/r/${code}`, { 'user-agent': browser, 'x-forwarded-for': ip });
  await http.tracking.recorder.flush();
  return new URL(location!).searchParams.get('ref_id')!;
}

/** A USD sale or a lead for the program, with a fresh order (or lead) id. */
export async function trackConversion(
  programId: string,
  secretKey: string,
  kind: 'Sale' | 'Lead',
  input: Record<string, unknown>,
) {
  const orderId = `o-${randomUUID()}`;
  const data = await ok(
    `mutation($input: Track${kind}Input!) { track${kind}(input: $input) { conversionId } }`,
    {
      input: {
        programId,
        ...(kind === 'Sale' ? { orderId, currency: 'USD' } : { leadId: orderId }),
        ...input,
      },
    },
    secretKey,
  );
  return { id: data[`track${kind}`].conversionId as string, orderId };
}
