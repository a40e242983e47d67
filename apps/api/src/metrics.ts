import { Counter, Gauge, Registry } from 'prom-client';

// Prometheus metrics at GET /metrics. One registry per process.
export const registry = new Registry();

// Counted in plain numbers and handed to prom-client when /metrics is scraped: even a bound
// child's inc() hashes its labels, and this runs on every redirect.
const redirectCounts = { counted: 0, not_counted: 0, inactive: 0, not_found: 0, error: 0 };
type Outcome = keyof typeof redirectCounts;
new Counter({
  name: 'redirects_total',
  help: 'Link redirects answered, by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const outcome of Object.keys(redirectCounts) as Outcome[])
      this.inc({ outcome }, redirectCounts[outcome]);
  },
});
const counter = (outcome: Outcome) => ({
  inc() {
    redirectCounts[outcome]++;
  },
});
export const redirects = {
  counted: counter('counted'),
  notCounted: counter('not_counted'),
  inactive: counter('inactive'),
  notFound: counter('not_found'),
  error: counter('error'),
};

export const clicksRecorded = new Counter({
  name: 'clicks_recorded_total',
  help: 'Clicks written to the database',
  registers: [registry],
});

export const clicksOverAllowance = new Counter({
  name: 'clicks_over_allowance_total',
  help: 'Redirects answered but not counted as clicks: beyond their visitor IP allowance for the program',
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
