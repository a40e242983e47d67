import { Redis } from 'ioredis';
import { config } from './config.ts';
import { logger } from './logger.ts';

let client: Redis | null | undefined;

/** The shared Redis client when REDIS_URL is set; null otherwise (one instance, memory only). */
export function redis(): Redis | null {
  if (client === undefined) {
    const url = config().REDIS_URL;
    client = url
      ? new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false })
      : null;
    client?.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  }
  return client;
}

export async function closeRedis() {
  await client?.quit().catch(() => {});
  client = undefined;
}
