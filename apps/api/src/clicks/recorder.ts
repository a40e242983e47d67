import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClickSource } from '../generated/prisma/client.ts';
import { clicksBuffered, clicksDropped, clicksRecorded, clickWriteFailures } from '../metrics.ts';
import type { UniqueTracker } from './unique.ts';

/** A click as the redirect saw it. The raw IP lives only here, in memory, until the flush. */
export interface PendingClick {
  id: string;
  programId: string;
  enrollmentId: string;
  linkId: string | null;
  source: ClickSource;
  createdAt: Date;
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  country: string | null;
  landingUrl: string | null;
  subs: (string | null)[];
}

/** A click as it is stored: the IP replaced by a salted hash, uniqueness decided. */
export interface ClickRow extends Omit<PendingClick, 'ip' | 'subs'> {
  ipHash: string | null;
  isUnique: boolean;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

export interface RecorderOptions {
  write(rows: ClickRow[]): Promise<void>;
  saltFor(at: Date): Promise<string>;
  unique: UniqueTracker;
  log: Pick<Logger, 'warn' | 'error' | 'info'>;
  limit: number;
  batchSize: number;
  intervalMs: number;
}

const uniqueWindowMs = 3_600_000;
const maxBackoffMs = 5_000;

/**
 * Collects clicks from redirects (which never wait for it) and writes them in batches. While the
 * database is unreachable it keeps them, retrying with backoff, up to `limit`; beyond that new
 * clicks are dropped, counted in `clicks_dropped_total` and logged. `stop()` writes what is left.
 */
export class ClickRecorder {
  private pending: PendingClick[] = [];
  private ready: ClickRow[] = []; // prepared (hashed, uniqueness claimed) but not yet written
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private backoffMs = 0;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  recorded = 0;
  dropped = 0;

  constructor(private readonly options: RecorderOptions) {}

  get buffered() {
    return this.pending.length + this.ready.length;
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
    clicksBuffered.set(this.buffered);
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
        if (this.ready.length === 0) {
          // Taken off `pending` only once prepared: a failure leaves the batch where it was.
          const batch = this.pending.slice(0, this.options.batchSize);
          this.ready = await this.prepare(batch);
          this.pending.splice(0, batch.length);
        }
        await this.options.write(this.ready);
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
      this.recorded += this.ready.length;
      clicksRecorded.inc(this.ready.length);
      this.ready = [];
      this.backoffMs = 0;
      this.retryAt = 0;
      clicksBuffered.set(this.buffered);
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
      this.ready = [];
    }
  }

  private async prepare(batch: PendingClick[]): Promise<ClickRow[]> {
    const salts = new Map<string, string>();
    for (const click of batch) {
      const day = click.createdAt.toISOString().slice(0, 10);
      if (!salts.has(day)) salts.set(day, await this.options.saltFor(click.createdAt));
    }
    const hashed = batch.map((click) => {
      const salt = salts.get(click.createdAt.toISOString().slice(0, 10))!;
      const hmac = (value: string) => createHmac('sha256', salt).update(value).digest('base64url');
      return {
        ipHash: click.ip ? hmac(click.ip) : null,
        visitor: `${click.linkId ?? click.enrollmentId}:${hmac(`${click.ip ?? ''}|${click.userAgent ?? ''}`)}`,
      };
    });
    const unique = await this.options.unique.claim(
      hashed.map((h) => h.visitor),
      uniqueWindowMs,
    );
    return batch.map(({ ip: _ip, subs, ...click }, index) => ({
      ...click,
      ipHash: hashed[index]!.ipHash,
      isUnique: unique[index]!,
      sub1: subs[0] ?? null,
      sub2: subs[1] ?? null,
      sub3: subs[2] ?? null,
      sub4: subs[3] ?? null,
      sub5: subs[4] ?? null,
    }));
  }
}
