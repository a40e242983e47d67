// pnpm db:migrate — applies pending migrations to DATABASE_URL, or to the embedded database.
import { loadConfig } from '../src/config.ts';
import { startEmbedded } from '../src/database/embedded.ts';
import { migrate } from '../src/database/migrations.ts';
import { redactUrl } from '../src/database/open.ts';

const config = loadConfig();
const embedded = config.DATABASE_URL ? undefined : await startEmbedded({ dataDir: config.DATA_DIR });
const url = config.DATABASE_URL ?? embedded!.url;
try {
  const applied = await migrate(url);
  const target = embedded ? `the embedded database in ${config.DATA_DIR}` : redactUrl(url);
  console.log(
    applied.length ? `Applied to ${target}:\n  ${applied.join('\n  ')}` : `${target} is up to date.`,
  );
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await embedded?.stop();
  // the wasm engine leaves a timer behind; the work is done
  process.exit();
}
