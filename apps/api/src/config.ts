import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const apiRoot = fileURLToPath(new URL('..', import.meta.url));

const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL with a host, e.g. postgresql://user:pass@localhost:5432/db');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default(`${apiRoot}.data`),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_ISSUER: z.string().min(1).default('affiliate-network'),
  JWT_AUDIENCE: z.string().min(1).default('affiliate-network-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  NETWORK_ADMIN_EMAILS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((email) => email.trim().toLowerCase())
        .filter(Boolean),
    ),
  // Browser origins (dashboards) that may call the GraphQL API, besides the programs' domains.
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim().replace(/\/$/, ''))
        .filter(Boolean),
    ),
  PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      message: 'must be the http(s) base URL where this API is reached, e.g. https://go.example.com',
    })
    .optional(),
  CLICK_ID_PARAM: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lower-case query parameter name')
    .default('ref_id'),
  TRUST_PROXY: flag.default(false),
  COUNTRY_HEADER: z.string().toLowerCase().default('cf-ipcountry'),
  REDIS_URL: z
    .string()
    .refine((value) => /^rediss?:\/\/[^/]/.test(value), 'must be a redis:// or rediss:// URL')
    .optional(),
  CLICK_BUFFER_LIMIT: z.coerce.number().int().min(1000).max(10_000_000).default(200_000),
  CLICK_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  CLICK_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  // How often each instance books click commissions and approves those whose holding period has
  // ended; 0 turns it off.
  COMMISSION_JOBS_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  // How often each instance fans out new webhook events and sends due deliveries; 0 turns it off.
  WEBHOOK_WORKER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
  // How long conversions and clicks keep what only fraud screening and review need (IP hashes,
  // user agents, email hashes, line items, query strings of URLs), in days; then the retention
  // job clears it (src/privacy/retention.ts). At least 8: the fraud rules look back up to 7 days.
  CONVERSION_PERSONAL_DATA_DAYS: z.coerce.number().int().min(8).max(3650).default(30),
  CLICK_PERSONAL_DATA_DAYS: z.coerce.number().int().min(8).max(3650).default(90),
  // How often each instance runs that retention job; 0 turns it off here.
  RETENTION_JOBS_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  LINK_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  GRAPHIQL: flag.default(true),
  // Limits on one GraphQL request (src/limits.ts); the defaults leave room for the SDK's largest
  // operations.
  GRAPHQL_INTROSPECTION: flag.default(true),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(16),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(10).max(1_000_000).default(5000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(50),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(3000),
  GRAPHQL_MAX_BATCH: z.coerce.number().int().min(1).max(100).default(10),
  // Requests per window (src/rate-limits.ts): log-ins per IP and per account in 15 minutes,
  // sign-ups per IP in an hour, API requests per user or secret key (a guard against runaway
  // loops: 2,000 a second, twice the tracking target) and per IP for anonymous callers, in a minute.
  RATE_LIMIT_LOGIN_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(30),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000_000).default(10),
  RATE_LIMIT_SIGNUP_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(20),
  RATE_LIMIT_API_PER_CREDENTIAL: z.coerce.number().int().min(1).max(10_000_000).default(120_000),
  RATE_LIMIT_API_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(600),
  // The snippet's landing and conversion reports per visitor IP, in a minute.
  RATE_LIMIT_SNIPPET_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(120),
  // Clicks counted per visitor IP and program in a minute; the redirect still answers beyond it.
  RATE_LIMIT_CLICKS_PER_IP: z.coerce.number().int().min(1).max(100_000_000).default(120),
  GRAPHQL_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(100_000_000).default(1_048_576),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Empty strings count as unset, so `FOO= pnpm start` behaves like leaving FOO out.
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.NODE_ENV === 'production' && !config.JWT_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_SECRET: is required when NODE_ENV=production (at least 32 random characters)',
    );
  }
  return config;
}

let current: Config | undefined;

export function config(): Config {
  current ??= loadConfig();
  return current;
}

export function setConfig(next: Config): void {
  current = next;
}
