import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';

// Secret columns are never loaded unless a query selects them by name.
export const omitted = {
  user: { passwordHash: true },
  apiKey: { keyHash: true },
  refreshToken: { tokenHash: true },
  webhookEndpoint: { secret: true },
  invitation: { tokenHash: true },
} as const;

function createClient(url: string, poolSize: number) {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 }),
    omit: omitted,
    // Prisma's defaults (2 s to get a connection, 5 s to run) fail a large payout or approval
    // batch on a busy machine with an internal error; these match the pool's own wait.
    transactionOptions: { maxWait: 10_000, timeout: 30_000 },
  });
}

export type Db = ReturnType<typeof createClient>;

// A module-level client (not a context field) keeps types simple; `connectDb` points it at the
// database chosen at start-up: the embedded one or DATABASE_URL.
export let prisma: Db = undefined as unknown as Db;

/**
 * Plain connections for the few hot statements that run as named prepared statements: each
 * connection parses and plans them once, where Prisma's raw queries are planned on every call.
 */
export let statements: pg.Pool = undefined as unknown as pg.Pool;
let named = true;

/**
 * A statement's name, under which each connection prepares it once. The embedded database's
 * socket server gives every connection the same session, where names would collide: there the
 * statements go unnamed.
 */
export const statementName = (name: string) => (named ? name : undefined);

export function connectDb(url: string, poolSize = 10, options: { embedded?: boolean } = {}): Db {
  prisma = createClient(url, poolSize);
  named = !options.embedded;
  statements = new pg.Pool({
    connectionString: url,
    max: Math.max(2, Math.ceil(poolSize / 2)),
    connectionTimeoutMillis: 10_000,
  });
  statements.on('error', () => {}); // an idle client's error is reported by its next query
  return prisma;
}

/** Runs `work` in a transaction on one of the `statements` connections. */
export async function statementsTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await statements.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export async function disconnectDb(): Promise<void> {
  await prisma?.$disconnect();
  await statements?.end();
}
