// Runs before each integration test file: gives the file a database of its own, migrated,
// and points the app's Prisma client at it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { startEmbedded } from '../../src/database/embedded.ts';
import { connectDb, disconnectDb } from '../../src/db.ts';
import { withDatabase } from './global.ts';

const database = inject('database');
let url: string;
let cleanup: () => Promise<void>;

if (database.kind === 'postgresql') {
  const name = `${database.prefix}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: database.serverUrl });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}" TEMPLATE "${database.template}"`);
  await client.end();
  url = withDatabase(database.serverUrl, name);
  cleanup = async () => {
    const admin = new pg.Client({ connectionString: database.serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  };
} else {
  const embedded = await startEmbedded({ loadDataDir: new Blob([readFileSync(database.dumpPath)]) });
  url = embedded.url;
  cleanup = () => embedded.stop();
}

connectDb(url, 4, { embedded: database.kind !== 'postgresql' });
process.env.TEST_DB_URL = url;

afterAll(async () => {
  await disconnectDb();
  await cleanup();
});
