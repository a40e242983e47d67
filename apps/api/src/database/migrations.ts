import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withSchemaEngine } from './schema-engine.ts';

// PRISMA_DIR points the migration commands at another copy of prisma/ (the tests use one).
export const prismaDir = process.env.PRISMA_DIR ?? fileURLToPath(new URL('../../prisma/', import.meta.url));
export const migrationsDir = join(prismaDir, 'migrations');
export const schemaPath = join(prismaDir, 'schema.prisma');
// The schema as of the newest migration; a new migration is the diff from it to schema.prisma.
export const snapshotPath = join(prismaDir, 'migrated-schema.prisma');

export const noFilters = { externalTables: [], externalEnums: [] };

export async function readMigrationList(dir = migrationsDir) {
  const lockPath = join(dir, 'migration_lock.toml');
  const entries = existsSync(dir) ? await readdir(dir, { withFileTypes: true }) : [];
  const folders = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return {
    baseDir: dir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      folders.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok' as const, value: await readFile(join(dir, name, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

/** Applies every pending migration; returns the names of those applied. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const migrationsList = await readMigrationList();
  return withSchemaEngine(databaseUrl, await readFile(schemaPath, 'utf8'), async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return appliedMigrationNames;
  });
}

/** The migration names recorded in the database but absent from the folder, and the reverse. */
export async function migrationStatus(databaseUrl: string) {
  const migrationsList = await readMigrationList();
  return withSchemaEngine(databaseUrl, await readFile(schemaPath, 'utf8'), (engine) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: noFilters }),
  );
}
