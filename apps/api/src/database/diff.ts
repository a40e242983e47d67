import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { startEmbedded } from './embedded.ts';
import { noFilters, schemaPath, snapshotPath } from './migrations.ts';
import { withSchemaEngine } from './schema-engine.ts';

/**
 * The SQL that takes a database from the last migrated schema (the committed snapshot) to
 * schema.prisma; empty when they match. A throwaway in-memory database hosts the engine:
 * the diff itself compares two schema files and reads no database.
 */
export async function pendingSchemaSql(): Promise<string> {
  const target = await readFile(schemaPath, 'utf8');
  const from = existsSync(snapshotPath)
    ? {
        tag: 'schemaDatamodel' as const,
        files: [{ path: 'schema.prisma', content: await readFile(snapshotPath, 'utf8') }],
      }
    : { tag: 'empty' as const };
  const scratch = await startEmbedded();
  try {
    const result = await withSchemaEngine(scratch.url, target, (engine) =>
      engine.diff({
        from,
        to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: target }] },
        script: true,
        exitCode: null,
        filters: noFilters,
      }),
    );
    const sql = result.stdout ?? '';
    return /^\s*(--[^\n]*\s*)*$/.test(sql) ? '' : sql;
  } finally {
    await scratch.stop();
  }
}
