import type { Redis } from 'ioredis';

/**
 * How many clicks a visitor may have counted per window. Asked once per click batch with every
 * key's count in it, so the redirect never waits on it and Redis sees one round trip per batch.
 */
export interface ClickAllowance {
  /** For each key, how many of its `counts` clicks still fit in the current window. */
  take(counts: Map<string, number>): Promise<Map<string, number>>;
}

const fits = (limit: number, total: number, asked: number) =>
  Math.max(0, Math.min(asked, limit - (total - asked)));

/** Fixed windows aligned to the clock, so every instance agrees on where one starts. */
const windowOf = (windowMs: number) => Math.floor(Date.now() / windowMs);

/** One process's memory. */
export class MemoryClickAllowance implements ClickAllowance {
  private used = new Map<string, number>();
  private window = -1;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async take(counts: Map<string, number>) {
    const window = windowOf(this.windowMs);
    if (window !== this.window) {
      this.used = new Map();
      this.window = window;
    }
    const allowed = new Map<string, number>();
    for (const [key, asked] of counts) {
      const total = (this.used.get(key) ?? 0) + asked;
      this.used.set(key, total);
      allowed.set(key, fits(this.limit, total, asked));
    }
    return allowed;
  }
}

/**
 * Shared by every instance through Redis: one INCRBY per key, pipelined per batch. If Redis
 * fails, this instance counts in its own memory until it answers again, rather than stopping the
 * click pipeline or counting everything.
 */
export class RedisClickAllowance implements ClickAllowance {
  private readonly fallback: MemoryClickAllowance;

  constructor(
    private readonly redis: Redis,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly onFallback: (error: unknown) => void = () => {},
  ) {
    this.fallback = new MemoryClickAllowance(limit, windowMs);
  }

  async take(counts: Map<string, number>) {
    const window = windowOf(this.windowMs);
    const pipeline = this.redis.pipeline();
    for (const [key, asked] of counts) {
      const name = `click-allowance:${window}:${key}`;
      pipeline.incrby(name, asked).pexpire(name, this.windowMs * 2);
    }
    try {
      const replies = (await pipeline.exec()) ?? [];
      const allowed = new Map<string, number>();
      let i = 0;
      for (const [key, asked] of counts) {
        const [error, total] = replies[i]!;
        if (error) throw error;
        allowed.set(key, fits(this.limit, Number(total), asked));
        i += 2;
      }
      return allowed;
    } catch (error) {
      this.onFallback(error);
      return this.fallback.take(counts);
    }
  }
}
