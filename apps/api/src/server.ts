// Starts the API: validates the configuration, opens the database, listens, and shuts down
// cleanly on SIGTERM/SIGINT. Everything that can fail on a bad setting fails here, with a
// message that names the setting.
import { createServer } from 'node:http';
import { ConfigError, loadConfig, setConfig } from './config.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  setConfig(config);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const { logger } = await import('./logger.ts');
const { openDatabase, DatabaseError, redactUrl } = await import('./database/open.ts');
const { DataDirInUseError } = await import('./database/embedded.ts');
const { connectDb, disconnectDb } = await import('./db.ts');

let database: Awaited<ReturnType<typeof openDatabase>>;
try {
  database = await openDatabase(config);
} catch (error) {
  if (error instanceof DatabaseError || error instanceof DataDirInUseError) {
    logger.fatal(error.message);
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
connectDb(database.url, database.kind === 'embedded' ? 4 : config.DATABASE_POOL_SIZE, {
  embedded: database.kind === 'embedded',
});
if (database.appliedMigrations.length)
  logger.info({ migrations: database.appliedMigrations }, 'applied migrations');

const { resolveJwtSecret } = await import('./auth/secret.ts');
resolveJwtSecret(config); // fail now, not on the first log-in, if DATA_DIR is not writable
if (database.kind === 'postgresql' && !config.JWT_SECRET) {
  logger.warn(
    'JWT_SECRET is not set: using a secret generated in DATA_DIR. Instances that share this database must share JWT_SECRET.',
  );
}

const { createApp } = await import('./yoga.ts');
const { startTracking } = await import('./tracking.ts');
const { requestListener } = await import('./http.ts');
const { closeRedis } = await import('./redis.ts');
const { startCommissionJobs } = await import('./commissions/jobs.ts');
const tracking = await startTracking(config, database, { writerThread: true });
const commissionJobs = startCommissionJobs(config.COMMISSION_JOBS_INTERVAL_MS, logger);
const { startWebhookWorker } = await import('./webhooks/worker.ts');
const webhooks = startWebhookWorker(config.WEBHOOK_WORKER_INTERVAL_MS, logger);
const { startRetentionJobs } = await import('./privacy/jobs.ts');
const retention = startRetentionJobs(
  config.RETENTION_JOBS_INTERVAL_MS,
  { conversionDays: config.CONVERSION_PERSONAL_DATA_DAYS, clickDays: config.CLICK_PERSONAL_DATA_DAYS },
  logger,
);
const listener = requestListener(createApp(), tracking);
let stopping = false;
const server = createServer((req, res) => {
  // While stopping, answer the requests that still arrive on open connections, then close them.
  if (stopping) res.shouldKeepAlive = false;
  listener(req, res);
});
server.keepAliveTimeout = 65_000;

server.listen(config.PORT, config.HOST, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    {
      port,
      database: database.kind === 'embedded' ? `embedded (${config.DATA_DIR})` : redactUrl(database.url),
    },
    `API listening on http://localhost:${port}/graphql`,
  );
});

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
  const deadline = setTimeout(() => {
    logger.error('shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await commissionJobs.stop();
  await webhooks.stop();
  await retention.stop();
  // Every click answered is in the buffer now: write them before the database goes.
  await tracking.stop(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - (Date.now() - started)));
  const { accepted, recorded, dropped } = tracking.recorder;
  logger.info({ accepted, recorded, dropped }, 'clicks flushed');
  await closeRedis();
  await disconnectDb();
  await database.embedded?.stop();
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
