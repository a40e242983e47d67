import pg from 'pg';
import type { Config } from '../config.ts';
import { type EmbeddedDatabase, startEmbedded } from './embedded.ts';
import { migrate, readMigrationList } from './migrations.ts';

export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

export interface OpenDatabase {
  url: string;
  kind: 'embedded' | 'postgresql';
  embedded?: EmbeddedDatabase;
  appliedMigrations: string[];
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function appliedMigrationNames(client: pg.Client): Promise<string[]> {
  const table = await client.query("SELECT to_regclass('_prisma_migrations') AS name");
  if (!table.rows[0]?.name) return [];
  const rows = await client.query(
    'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  return rows.rows.map((row: { migration_name: string }) => row.migration_name);
}

/** Connects to DATABASE_URL and refuses to go on when it is unreachable or not fully migrated. */
export async function checkDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    await client.end().catch(() => {});
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new DatabaseError(`DATABASE_URL: cannot connect to ${redactUrl(url)}: ${reason}`);
  }
  try {
    const applied = new Set(await appliedMigrationNames(client));
    const { migrationDirectories } = await readMigrationList();
    const pending = migrationDirectories.map((dir) => dir.path).filter((name) => !applied.has(name));
    if (pending.length > 0) {
      throw new DatabaseError(
        `DATABASE_URL: ${pending.length} migration(s) not applied to ${redactUrl(url)} (${pending.join(', ')}). Run: pnpm db:migrate`,
      );
    }
  } finally {
    await client.end();
  }
}

/**
 * The database the API runs on: DATABASE_URL when set (it must be migrated with
 * `pnpm db:migrate`), otherwise the embedded PGlite in DATA_DIR, migrated on start.
 */
export async function openDatabase(config: Config): Promise<OpenDatabase> {
  if (config.DATABASE_URL) {
    await checkDatabase(config.DATABASE_URL);
    return { url: config.DATABASE_URL, kind: 'postgresql', appliedMigrations: [] };
  }
  const embedded = await startEmbedded({ dataDir: config.DATA_DIR });
  try {
    const appliedMigrations = await migrate(embedded.url);
    return { url: embedded.url, kind: 'embedded', embedded, appliedMigrations };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
