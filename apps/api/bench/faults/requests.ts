// What the click and sale workers share: HTTP requests that never throw, pacing, and the stop.
import http from 'node:http';
import { clickConnections, saleConcurrency } from './settings.ts';
import { sleep } from './time.ts';

const requestTimeoutMs = 15_000; // above the API's own 10 s wait for a database connection

export const clickAgent = new http.Agent({ keepAlive: true, maxSockets: clickConnections });
export const saleAgent = new http.Agent({ keepAlive: true, maxSockets: saleConcurrency * 2 });

export let stopping = false;
export const stopLoad = () => {
  stopping = true;
};
export const closeConnections = () => {
  stopLoad();
  clickAgent.destroy();
  saleAgent.destroy();
};

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request; null when no answer came (refused, reset, timed out). */
export function request(port: number, options: http.RequestOptions, body?: string) {
  return new Promise<Answer | null>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', () => resolve(null));
    });
    req.setTimeout(requestTimeoutMs, () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

/**
 * Paces requests to `rate` a second across workers (0: as fast as they go), never catching up
 * on a backlog in a burst.
 */
export function pacer(rate: number) {
  let next = 0;
  return async () => {
    if (rate <= 0) return;
    const now = Date.now();
    next = Math.max(next, now - 50);
    const due = next;
    next += 1000 / rate;
    if (due > now) await sleep(due - now);
  };
}
