import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { logger } from './logger.ts';

/**
 * What changed: a link (by code), everything under a program or an enrollment, an API key (by id),
 * or an organization's webhook endpoints.
 */
export type Invalidation =
  | { link: string }
  | { program: string }
  | { enrollment: string }
  | { apiKey: string }
  | { webhooks: string };

const local = new EventEmitter();
const channel = 'link-cache-invalidation';
let publisher: Redis | null = null;

/**
 * Tells every cache that something changed: in this process at once, and in other API instances
 * through Redis pub/sub when REDIS_URL is set (without Redis, other instances catch up when
 * their cache entries expire).
 */
export function invalidate(what: Invalidation) {
  local.emit('invalidate', what);
  publisher
    ?.publish(channel, JSON.stringify(what))
    .catch((error) => logger.warn({ err: error }, 'invalidation publish failed'));
}

export function onInvalidate(listener: (what: Invalidation) => void) {
  local.on('invalidate', listener);
  return () => local.off('invalidate', listener);
}

/** Joins the shared channel: `pub` publishes, a duplicate connection subscribes. */
export async function shareInvalidations(pub: Redis): Promise<() => Promise<void>> {
  publisher = pub;
  const sub = pub.duplicate();
  sub.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));
  // Joined on every (re)connection. Start-up waits for the first join, but not for long: Redis
  // may be down, and the API serves meanwhile (other instances' changes then reach this one's
  // caches when the entries expire).
  await new Promise<void>((resolve) => {
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => resolve(),
        (error) =>
          logger.warn({ err: error }, 'invalidation channel: subscribe failed; retrying on reconnect'),
      );
    });
    setTimeout(resolve, 2_000).unref();
  });
  sub.on('message', (_channel, message) => {
    try {
      local.emit('invalidate', JSON.parse(message) as Invalidation);
    } catch {}
  });
  return async () => {
    publisher = null;
    await sub.quit().catch(() => {});
  };
}
