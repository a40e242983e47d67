// The migration commands as a developer uses them, on a scratch copy of prisma/.
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { apiDir, run } from './server-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'aff-migrations-'));
const prismaDir = join(scratch, 'prisma');
cpSync(join(apiDir, 'prisma'), prismaDir, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('db:migrate:create writes the SQL for a schema change, and db:migrate applies it', async () => {
  const env = { PRISMA_DIR: prismaDir, DATA_DIR: join(scratch, 'data') };
  const before = readdirSync(join(prismaDir, 'migrations'));

  const unchanged = run('scripts/migrate-create.ts', env, ['nothing']);
  expect(await unchanged.exited).toBe(0);
  expect(unchanged.output()).toContain('nothing to write');

  appendFileSync(
    join(prismaDir, 'schema.prisma'),
    '\nmodel Widget {\n  id   String @id @db.Uuid\n  name String @unique\n}\n',
  );
  const check = run('scripts/migrate-create.ts', env, ['--check']);
  expect(await check.exited).toBe(1);
  expect(check.output()).toContain('schema.prisma has changes without a migration');

  const bad = run('scripts/migrate-create.ts', env, ['Add Widget']);
  expect(await bad.exited).toBe(2);

  const create = run('scripts/migrate-create.ts', env, ['add_widget']);
  expect(await create.exited).toBe(0);
  const added = readdirSync(join(prismaDir, 'migrations')).filter((name) => !before.includes(name));
  expect(added).toHaveLength(1);
  expect(added[0]).toMatch(/^\d{14}_add_widget$/);
  const sql = readFileSync(join(prismaDir, 'migrations', added[0]!, 'migration.sql'), 'utf8');
  expect(sql).toContain('CREATE TABLE "Widget"');
  expect(sql).toContain('CREATE UNIQUE INDEX "Widget_name_key"');
  expect(sql).not.toContain('CREATE TABLE "User"');

  const recheck = run('scripts/migrate-create.ts', env, ['--check']);
  expect(await recheck.exited).toBe(0);

  const migrate = run('scripts/migrate.ts', env);
  expect(await migrate.exited).toBe(0);
  expect(migrate.output()).toMatch(/_init\n(?:\s+\d{14}_\w+\n)*\s+\d{14}_add_widget\s*$/);
});
