import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, config } from '../src/config.ts';
import { requestListener } from '../src/http.ts';
import { startTracking } from '../src/tracking.ts';
import { createApp } from '../src/yoga.ts';

export const browser =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

/** The API's HTTP listener on a free port, with its own click pipeline. */
export async function startHttp(overrides: Partial<Config> = {}) {
  const database = {
    url: process.env.TEST_DB_URL!,
    kind: process.env.TEST_DATABASE_URL ? ('postgresql' as const) : ('embedded' as const),
  };
  const tracking = await startTracking({ ...config(), ...overrides }, database);
  const server = createServer(requestListener(createApp(), tracking));
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
