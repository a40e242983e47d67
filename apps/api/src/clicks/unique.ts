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

/** Shared by every instance through Redis: SET NX with an expiry, pipelined per batch. */
export class RedisUniqueTracker implements UniqueTracker {
  constructor(private readonly redis: Redis) {}

  async claim(keys: string[], windowMs: number): Promise<boolean[]> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(`unique-click:${key}`, '1', 'PX', windowMs, 'NX');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, reply]) => {
      if (error) throw error;
      return reply === 'OK';
    });
  }
}
