import { Counter, Gauge, Registry } from 'prom-client';

// Prometheus metrics at GET /metrics. One registry per process.
export const registry = new Registry();

const redirectsTotal = new Counter({
  name: 'redirects_total',
  help: 'Link redirects answered, by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
// Bound once: a labelled inc() hashes its labels on every call, and this one runs per redirect.
export const redirects = {
  counted: redirectsTotal.labels('counted'),
  notCounted: redirectsTotal.labels('not_counted'),
  inactive: redirectsTotal.labels('inactive'),
  notFound: redirectsTotal.labels('not_found'),
  error: redirectsTotal.labels('error'),
};

export const clicksRecorded = new Counter({
  name: 'clicks_recorded_total',
  help: 'Clicks written to the database',
  registers: [registry],
});

export const clicksDropped = new Counter({
  name: 'clicks_dropped_total',
  help: 'Clicks dropped because the buffer was full (the database was unreachable for too long)',
  registers: [registry],
});

let buffered: () => number = () => 0;
/** Where the clicks_buffered gauge reads its value at scrape time. */
export const reportBufferedClicks = (source: () => number) => {
  buffered = source;
};

new Gauge({
  name: 'clicks_buffered',
  help: 'Clicks waiting to be written',
  registers: [registry],
  collect() {
    this.set(buffered());
  },
});

export const clickWriteFailures = new Counter({
  name: 'click_write_failures_total',
  help: 'Failed attempts to write a batch of clicks (retried)',
  registers: [registry],
});
