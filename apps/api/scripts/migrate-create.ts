// pnpm db:migrate:create NAME — writes prisma/migrations/<timestamp>_NAME/migration.sql with the
// SQL from the last migrated schema to schema.prisma, and records schema.prisma as migrated.
// pnpm db:migrate:create --check — fails when schema.prisma has changes without a migration.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pendingSchemaSql } from '../src/database/diff.ts';
import { migrationsDir, schemaPath, snapshotPath } from '../src/database/migrations.ts';

const arg = process.argv[2];
const sql = await pendingSchemaSql();

if (arg === '--check') {
  if (sql) {
    console.error(
      `schema.prisma has changes without a migration. Run: pnpm db:migrate:create <name>\n\n${sql}`,
    );
    process.exit(1);
  }
  console.log('Migrations match schema.prisma.');
  process.exit(0);
}

if (!arg || !/^[a-z0-9_]+$/.test(arg)) {
  console.error('Usage: pnpm db:migrate:create <name>   (lower-case letters, digits and _)');
  process.exit(2);
}
if (!sql) {
  console.log('schema.prisma matches the last migration: nothing to write.');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const folder = join(migrationsDir, `${stamp}_${arg}`);
await mkdir(folder, { recursive: true });
await writeFile(join(folder, 'migration.sql'), sql);
await writeFile(join(migrationsDir, 'migration_lock.toml'), 'provider = "postgresql"\n');
await copyFile(schemaPath, snapshotPath);
console.log(`Wrote ${join(folder, 'migration.sql')}. Review it, then run: pnpm db:migrate`);
process.exit(0);
