import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepMessageGroupsTogether } from './pglite-queue.ts';

export interface EmbeddedDatabase {
  url: string;
  db: PGlite;
  stop(): Promise<void>;
}

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// PGlite is single-process: two processes on one data folder would corrupt it. The pid file
// is created exclusively; one left by a process that is gone is taken over.
function lock(dataDir: string): () => void {
  const path = join(dataDir, 'embedded.pid');
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8'));
    if (owner && owner !== process.pid && isAlive(owner)) {
      throw new DataDirInUseError(
        `The embedded database in ${dataDir} is in use by process ${owner}. Stop that process, or set DATABASE_URL to use a PostgreSQL server.`,
      );
    }
    rmSync(path, { force: true });
  }
}

/**
 * Starts PGlite (PostgreSQL in WebAssembly) and serves it on a loopback port over the
 * PostgreSQL wire protocol, so the app talks to it through the same driver as to a real
 * server. `dataDir` undefined keeps the database in memory; `loadDataDir` seeds it from a dump.
 */
export async function startEmbedded(
  options: { dataDir?: string; loadDataDir?: Blob; maxConnections?: number } = {},
): Promise<EmbeddedDatabase> {
  let unlock = () => {};
  let dataDir: string | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    unlock = lock(options.dataDir);
    dataDir = join(options.dataDir, 'pgdata');
  }
  const db = await PGlite.create({ dataDir, loadDataDir: options.loadDataDir });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 20,
  });
  keepMessageGroupsTogether(server);
  await server.start();
  return {
    url: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    db,
    async stop() {
      await server.stop();
      await db.close();
      unlock();
    },
  };
}
