import { Redis } from 'ioredis';
import { config } from './config.ts';
import { logger } from './logger.ts';

let client: Redis | null | undefined;

/** The shared Redis client when REDIS_URL is set; null otherwise (one instance, memory only). */
export function redis(): Redis | null {
  if (client === undefined) {
    const url = config().REDIS_URL;
    client = url
      ? // No offline queue: while Redis is unreachable a command fails at once and its caller
        // falls back to this instance's memory, instead of every request waiting on reconnects.
        new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false })
      : null;
    client?.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  }
  return client;
}

export async function closeRedis() {
  await client?.quit().catch(() => {});
  client = undefined;
}
