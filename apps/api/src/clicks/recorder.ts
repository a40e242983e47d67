import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClickSource } from '../generated/prisma/client.ts';
import {
  clicksDropped,
  clicksOverAllowance,
  clicksRecorded,
  clickWriteFailures,
  reportBufferedClicks,
} from '../metrics.ts';
import type { ClickAllowance } from './allowance.ts';
import { type ClickBatch, emptyBatch } from './batch.ts';
import type { UniqueTracker } from './unique.ts';

/** A click as the redirect saw it. The raw IP lives only here, in memory, until the flush. */
export interface PendingClick {
  id: string;
  programId: string;
  enrollmentId: string;
  linkId: string | null;
  source: ClickSource;
  /** Epoch milliseconds. */
  createdAt: number;
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  country: string | null;
  landingUrl: string | null;
  subs: (string | null)[];
  /** Whether it fit its visitor's allowance, once asked (a retried batch must not ask again). */
  counted?: boolean;
}

export interface RecorderOptions {
  write(batch: ClickBatch): Promise<void>;
  saltFor(at: Date): Promise<string>;
  unique: UniqueTracker;
  /** Clicks counted per visitor IP and program; those beyond it are not stored. */
  allowance: ClickAllowance;
  log: Pick<Logger, 'warn' | 'error' | 'info'>;
  limit: number;
  batchSize: number;
  intervalMs: number;
}

const uniqueWindowMs = 3_600_000;
const maxBackoffMs = 5_000;
const sliceSize = 250;
const dayMs = 86_400_000;

/**
 * Collects clicks from redirects (which never wait for it) and writes them in batches. While the
 * database is unreachable it keeps them, retrying with backoff, up to `limit`; beyond that new
 * clicks are dropped, counted in `clicks_dropped_total` and logged. `stop()` writes what is left.
 */
export class ClickRecorder {
  private pending: PendingClick[] = [];
  private ready: ClickBatch | null = null; // prepared (hashed, uniqueness claimed), not yet written
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private backoffMs = 0;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  accepted = 0;
  recorded = 0;
  dropped = 0;
  /** Not stored: beyond their visitor's allowance. */
  overAllowance = 0;

  constructor(private readonly options: RecorderOptions) {
    // Read when /metrics is scraped, not kept up to date on every click.
    reportBufferedClicks(() => this.buffered);
  }

  get buffered() {
    return this.pending.length + (this.ready?.size ?? 0);
  }

  record(click: PendingClick): boolean {
    if (this.buffered >= this.options.limit) {
      this.dropped++;
      this.droppedSinceLog++;
      clicksDropped.inc();
      const now = Date.now();
      if (now - this.lastDropLog > 10_000) {
        this.options.log.error(
          { dropped: this.droppedSinceLog, buffered: this.buffered },
          'click buffer full: dropping clicks',
        );
        this.droppedSinceLog = 0;
        this.lastDropLog = now;
      }
      return false;
    }
    this.pending.push(click);
    this.accepted++;
    if (this.pending.length >= this.options.batchSize) this.kick();
    return true;
  }

  start() {
    this.timer ??= setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Starts a flush unless a retry is not due yet. */
  kick() {
    if (Date.now() >= this.retryAt) void this.flush();
  }

  /**
   * Writes everything buffered, stopping at the first failure (the rest waits for a retry).
   * One flush at a time: a call while one runs joins it, and it drains what arrived meanwhile.
   */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.buffered > 0) {
      try {
        if (!this.ready) {
          // Taken off `pending` only once prepared: a failure leaves the batch where it was.
          const batch = this.pending.slice(0, this.options.batchSize);
          this.ready = await this.prepare(batch);
          this.pending.splice(0, batch.length);
        }
        if (this.ready.size > 0) await this.options.write(this.ready);
      } catch (error) {
        clickWriteFailures.inc();
        this.backoffMs = Math.min(maxBackoffMs, Math.max(this.options.intervalMs, this.backoffMs * 2));
        this.retryAt = Date.now() + this.backoffMs;
        this.options.log.warn(
          { err: error, buffered: this.buffered, retryInMs: this.backoffMs },
          'writing clicks failed; will retry',
        );
        return;
      }
      this.recorded += this.ready.size;
      clicksRecorded.inc(this.ready.size);
      this.ready = null;
      this.backoffMs = 0;
      this.retryAt = 0;
    }
  }

  /** Stops the timer and writes what is left, retrying until the deadline. */
  async stop(deadlineMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const deadline = Date.now() + deadlineMs;
    await this.flushing;
    while (this.buffered > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.buffered > 0)
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(this.backoffMs || 100, deadline - Date.now())),
        );
    }
    if (this.buffered > 0) {
      this.dropped += this.buffered;
      clicksDropped.inc(this.buffered);
      this.options.log.error({ dropped: this.buffered }, 'clicks still unwritten at shutdown were dropped');
      this.pending = [];
      this.ready = null;
    }
  }

  // Salted IP hashes of the current day by address (visitors repeat, and an HMAC is the costliest
  // step), and user agents as small numbers for the visitor keys. Both bounded.
  private hashes = new Map<string, string>();
  private hashesDay = -1;
  private readonly agents = new Map<string, number>();

  private agentId(agent: string | null): number {
    if (!agent) return 0;
    let id = this.agents.get(agent);
    if (id === undefined) {
      if (this.agents.size >= 50_000) this.agents.clear();
      id = this.agents.size + 1;
      this.agents.set(agent, id);
    }
    return id;
  }

  /**
   * Hashes IPs, drops the clicks beyond their visitor's allowance, and decides uniqueness. The
   * salts are fetched once per batch, then the work is synchronous, in slices that yield to the
   * event loop so redirects are never held up long.
   */
  private async prepare(batch: PendingClick[]): Promise<ClickBatch> {
    const salts = new Map<number, string>();
    for (const click of batch) {
      const day = Math.floor(click.createdAt / dayMs);
      if (!salts.has(day)) salts.set(day, await this.options.saltFor(new Date(click.createdAt)));
    }
    const ipHashes: (string | null)[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      if (i > 0 && i % sliceSize === 0) await new Promise((resolve) => setImmediate(resolve));
      const click = batch[i]!;
      ipHashes[i] = click.ip ? this.hashIp(click.ip, click.createdAt, salts) : null;
    }
    await this.count(batch, ipHashes);
    const kept = batch.reduce((n, click) => n + (click.counted ? 1 : 0), 0);
    const out = emptyBatch(kept);
    const visitors: string[] = [];
    for (let i = 0; i < batch.length; i++) {
      const click = batch[i]!;
      if (!click.counted) continue;
      const ipHash = ipHashes[i]!;
      // A visitor is an address and a browser; the address in the key is already hashed.
      visitors.push(`${click.linkId ?? click.enrollmentId}:${ipHash ?? ''}:${this.agentId(click.userAgent)}`);
      const subs = click.subs;
      out.id.push(click.id);
      out.programId.push(click.programId);
      out.enrollmentId.push(click.enrollmentId);
      out.linkId.push(click.linkId);
      out.source.push(click.source);
      out.createdAt.push(click.createdAt);
      out.ipHash.push(ipHash);
      out.userAgent.push(click.userAgent);
      out.referrer.push(click.referrer);
      out.country.push(click.country);
      out.landingUrl.push(click.landingUrl);
      out.sub1.push(subs[0] ?? null);
      out.sub2.push(subs[1] ?? null);
      out.sub3.push(subs[2] ?? null);
      out.sub4.push(subs[3] ?? null);
      out.sub5.push(subs[4] ?? null);
    }
    const unique = await this.options.unique.claim(visitors, uniqueWindowMs);
    for (let i = 0; i < kept; i++) out.isUnique.push(unique[i]!);
    return out;
  }

  private hashIp(ip: string, at: number, salts: Map<number, string>): string {
    const day = Math.floor(at / dayMs);
    if (day !== this.hashesDay) {
      this.hashes = new Map();
      this.hashesDay = day;
    }
    let ipHash = this.hashes.get(ip);
    if (!ipHash) {
      ipHash = createHmac('sha256', salts.get(day)!).update(ip).digest('base64url');
      if (this.hashes.size >= 100_000) this.hashes.clear();
      this.hashes.set(ip, ipHash);
    }
    return ipHash;
  }

  /**
   * Asks the allowance, once per click, for every click of the batch not asked yet; the first
   * clicks of a visitor in the batch are the ones that fit. Clicks without an address are counted.
   */
  private async count(batch: PendingClick[], ipHashes: (string | null)[]) {
    const asked = new Map<string, number>();
    const keys: (string | null)[] = new Array(batch.length).fill(null);
    for (let i = 0; i < batch.length; i++) {
      const click = batch[i]!;
      if (click.counted !== undefined) continue;
      if (!ipHashes[i]) {
        click.counted = true;
        continue;
      }
      const key = `${click.programId}:${ipHashes[i]}`;
      keys[i] = key;
      asked.set(key, (asked.get(key) ?? 0) + 1);
    }
    if (asked.size === 0) return;
    const allowed = await this.options.allowance.take(asked);
    let over = 0;
    for (let i = 0; i < batch.length; i++) {
      const key = keys[i];
      if (!key) continue;
      const left = allowed.get(key) ?? 0;
      batch[i]!.counted = left > 0;
      if (left > 0) allowed.set(key, left - 1);
      else over++;
    }
    if (over > 0) {
      this.overAllowance += over;
      clicksOverAllowance.inc(over);
    }
  }
}
