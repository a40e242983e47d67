import { MemoryClickAllowance, RedisClickAllowance } from './clicks/allowance.ts';
import { ClickRecorder } from './clicks/recorder.ts';
import { SaltSource } from './clicks/salts.ts';
import { threadedClickWriter } from './clicks/threaded-writer.ts';
import { MemoryUniqueTracker, RedisUniqueTracker } from './clicks/unique.ts';
import { clickWriter } from './clicks/writer.ts';
import type { Config } from './config.ts';
import { prisma } from './db.ts';
import { shareInvalidations } from './invalidation.ts';
import { LinkCache } from './links/cache.ts';
import { logger } from './logger.ts';
import { redis } from './redis.ts';

/** The click pipeline of one API process: the link cache and the click recorder. */
export async function startTracking(
  config: Config,
  database: { url: string; kind: 'embedded' | 'postgresql' },
  options: { writerThread?: boolean } = {},
) {
  const shared = redis();
  const stopSharing = shared ? await shareInvalidations(shared) : async () => {};
  const salts = new SaltSource(() => prisma);
  const method = database.kind === 'embedded' ? 'insert' : 'copy';
  // The server writes from a thread of its own; tests (whose loader workers do not inherit) inline.
  const threaded = options.writerThread ? threadedClickWriter(database.url, method) : null;
  threaded?.start();
  const writer = threaded ?? clickWriter(database.url, method);
  const perIp = config.RATE_LIMIT_CLICKS_PER_IP;
  const allowance = shared
    ? new RedisClickAllowance(shared, perIp, 60_000, (error) =>
        logger.warn({ err: error }, 'click allowance: redis failed; counting in memory'),
      )
    : new MemoryClickAllowance(perIp, 60_000);
  const recorder = new ClickRecorder({
    write: writer.write,
    saltFor: (at) => salts.saltFor(at),
    unique: shared
      ? new RedisUniqueTracker(shared, (error) =>
          logger.warn({ err: error }, 'unique clicks: redis failed; deciding in memory'),
        )
      : new MemoryUniqueTracker(),
    allowance,
    log: logger,
    limit: config.CLICK_BUFFER_LIMIT,
    batchSize: config.CLICK_BATCH_SIZE,
    intervalMs: config.CLICK_FLUSH_INTERVAL_MS,
  });
  recorder.start();
  const cache = new LinkCache(() => prisma, config.LINK_CACHE_TTL_SECONDS * 1000);
  const settings = {
    clickIdParam: config.CLICK_ID_PARAM,
    trustProxy: config.TRUST_PROXY,
    countryHeader: config.COUNTRY_HEADER,
  };
  return {
    cache,
    recorder,
    settings,
    async stop(deadlineMs: number) {
      await recorder.stop(deadlineMs);
      await writer.close();
      cache.close();
      await stopSharing();
    },
  };
}

export type Tracking = Awaited<ReturnType<typeof startTracking>>;
