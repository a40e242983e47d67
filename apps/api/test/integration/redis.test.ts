// What several API instances share through Redis: unique clicks and link-cache invalidation.
// Uses the local Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379), which CI runs.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';
import { RedisClickAllowance } from '../../src/clicks/allowance.ts';
import { RedisUniqueTracker } from '../../src/clicks/unique.ts';
import { type Invalidation, onInvalidate, shareInvalidations } from '../../src/invalidation.ts';

const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const a = new Redis(url);
const b = new Redis(url);
afterAll(async () => {
  await a.quit();
  await b.quit();
});

describe('through Redis', () => {
  test('a visitor is unique once per window across instances', async () => {
    const key = `link:${randomUUID()}`;
    const first = new RedisUniqueTracker(a);
    const second = new RedisUniqueTracker(b);
    expect(await first.claim([key, key, `${key}:other`], 60_000)).toEqual([true, false, true]);
    expect(await second.claim([key], 60_000)).toEqual([false]);
    const short = `link:${randomUUID()}`;
    expect(await first.claim([short], 50)).toEqual([true]);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await second.claim([short], 50)).toEqual([true]);
  });

  test("a visitor's click allowance is one across instances, and memory stands in while Redis is down", async () => {
    const visitor = `p:${randomUUID()}`;
    const first = new RedisClickAllowance(a, 5, 60_000);
    const second = new RedisClickAllowance(b, 5, 60_000);
    const counts = (n: number) => new Map([[visitor, n]]);
    expect(await first.take(counts(3))).toEqual(counts(3));
    expect(await second.take(counts(3))).toEqual(counts(2));
    expect(await first.take(counts(1))).toEqual(counts(0));
    const down = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    down.on('error', () => {});
    const failures: unknown[] = [];
    const alone = new RedisClickAllowance(down, 5, 60_000, (error) => failures.push(error));
    expect(await alone.take(counts(4))).toEqual(counts(4));
    expect(await alone.take(counts(4))).toEqual(counts(1));
    expect(failures).toHaveLength(2);
    // Unique visitors too are decided in memory meanwhile, so clicks keep flowing.
    const unique = new RedisUniqueTracker(down, (error) => failures.push(error));
    expect(await unique.claim([visitor, visitor], 60_000)).toEqual([true, false]);
    expect(failures).toHaveLength(3);
    down.disconnect();
  });

  test("another instance's invalidation reaches this instance's caches", async () => {
    const stop = await shareInvalidations(a);
    const received: Invalidation[] = [];
    const off = onInvalidate((what) => received.push(what));
    const program = randomUUID();
    // What another instance's invalidate() publishes.
    await b.publish('link-cache-invalidation', JSON.stringify({ program }));
    for (let i = 0; i < 50 && received.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual([{ program }]);
    off();
    await stop();
  });
});
