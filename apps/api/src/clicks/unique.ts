import type { Redis } from 'ioredis';

/** Claims visitor keys for a window: true the first time a key is seen in the window. */
export interface UniqueTracker {
  claim(keys: string[], windowMs: number): Promise<boolean[]>;
}

/** One process's memory: exact for a single instance. */
export class MemoryUniqueTracker implements UniqueTracker {
  private readonly seen = new Map<string, number>();
  private sweptAt = Date.now();

  async claim(keys: string[], windowMs: number): Promise<boolean[]> {
    const now = Date.now();
    if (now - this.sweptAt > 60_000) this.sweep(now);
    return keys.map((key) => {
      const until = this.seen.get(key);
      if (until !== undefined && until > now) return false;
      this.seen.set(key, now + windowMs);
      return true;
    });
  }

  private sweep(now: number) {
    this.sweptAt = now;
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}

/**
 * Shared by every instance through Redis: SET NX with an expiry, pipelined per batch. If Redis
 * fails, this instance decides in its own memory until it answers again, rather than holding
 * every click back.
 */
export class RedisUniqueTracker implements UniqueTracker {
  private readonly fallback = new MemoryUniqueTracker();

  constructor(
    private readonly redis: Redis,
    private readonly onFallback: (error: unknown) => void = () => {},
  ) {}

  async claim(keys: string[], windowMs: number): Promise<boolean[]> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(`unique-click:${key}`, '1', 'PX', windowMs, 'NX');
    try {
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, reply]) => {
        if (error) throw error;
        return reply === 'OK';
      });
    } catch (error) {
      this.onFallback(error);
      return this.fallback.claim(keys, windowMs);
    }
  }
}
