import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';

/** What is counted, and by what key (an IP, an account's email, a user or an API key). */
export type Bucket =
  | 'logInByIp'
  | 'logInByAccount'
  | 'signUpByIp'
  | 'apiByCredential'
  | 'apiByIp'
  | 'snippetByIp';

const windows: Record<Bucket, { points: (c: Config) => number; seconds: number }> = {
  logInByIp: { points: (c) => c.RATE_LIMIT_LOGIN_PER_IP, seconds: 900 },
  logInByAccount: { points: (c) => c.RATE_LIMIT_LOGIN_PER_ACCOUNT, seconds: 900 },
  signUpByIp: { points: (c) => c.RATE_LIMIT_SIGNUP_PER_IP, seconds: 3600 },
  apiByCredential: { points: (c) => c.RATE_LIMIT_API_PER_CREDENTIAL, seconds: 60 },
  apiByIp: { points: (c) => c.RATE_LIMIT_API_PER_IP, seconds: 60 },
  snippetByIp: { points: (c) => c.RATE_LIMIT_SNIPPET_PER_IP, seconds: 60 },
};

export interface RateLimits {
  /**
   * Counts one request against `bucket` for `key`; throws RATE_LIMITED (with the seconds to
   * wait, and HTTP 429 with Retry-After) once the window's allowance is spent.
   */
  take(bucket: Bucket, key: string): Promise<void>;
}

/** RATE_LIMITED, answered with HTTP 429 and Retry-After. */
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', `Too many requests; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
  });

/**
 * The limits, counted in this process's memory, or in Redis when there is a client, so that
 * every API instance behind a load balancer counts against the same allowance. If Redis fails,
 * each instance falls back to counting in its own memory rather than refusing or waving through.
 */
export function rateLimits(c: Config, store: Redis | null, prefix = 'rl'): RateLimits {
  const limiters = new Map<Bucket, RateLimiterAbstract>();
  for (const [bucket, w] of Object.entries(windows) as [Bucket, (typeof windows)[Bucket]][]) {
    const options = { points: w.points(c), duration: w.seconds, keyPrefix: `${prefix}:${bucket}` };
    const memory = new RateLimiterMemory(options);
    limiters.set(
      bucket,
      store ? new RateLimiterRedis({ ...options, storeClient: store, insuranceLimiter: memory }) : memory,
    );
  }
  return {
    async take(bucket, key) {
      try {
        await limiters.get(bucket)!.consume(key);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes)
          throw rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        throw rejection;
      }
    },
  };
}
