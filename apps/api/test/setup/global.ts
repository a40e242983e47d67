// Builds one migrated database per run; each test file then gets its own copy (database.ts).
// Embedded: a PGlite data-folder dump. PostgreSQL (TEST_DATABASE_URL): a template database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbedded } from '../../src/database/embedded.ts';
import { migrate } from '../../src/database/migrations.ts';

export type TestDatabase =
  | { kind: 'embedded'; dumpPath: string }
  | { kind: 'postgresql'; serverUrl: string; template: string; prefix: string };

declare module 'vitest' {
  export interface ProvidedContext {
    database: TestDatabase;
  }
}

export const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

async function admin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const prefix = `aff_test_${randomBytes(4).toString('hex')}`;
    const template = `${prefix}_template`;
    await admin(serverUrl, (client) => client.query(`CREATE DATABASE "${template}"`));
    await migrate(withDatabase(serverUrl, template));
    project.provide('database', { kind: 'postgresql', serverUrl, template, prefix });
    return async () => {
      await admin(serverUrl, async (client) => {
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datname LIKE $1',
          [`${prefix}%`],
        );
        for (const { datname } of rows)
          await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      });
    };
  }
  const embedded = await startEmbedded();
  await migrate(embedded.url);
  const dump = await embedded.db.dumpDataDir('none');
  await embedded.stop();
  const dir = mkdtempSync(join(tmpdir(), 'aff-test-'));
  const dumpPath = join(dir, 'migrated.tar');
  writeFileSync(dumpPath, Buffer.from(await dump.arrayBuffer()));
  project.provide('database', { kind: 'embedded', dumpPath });
  return () => rmSync(dir, { recursive: true, force: true });
}
