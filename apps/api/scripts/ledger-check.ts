// pnpm ledger:check — proves the ledger of DATABASE_URL (or the embedded database) is consistent:
// commissions, payouts and balances all agree with the entries. Exits 1 and lists what does not.
import { loadConfig } from '../src/config.ts';
import { startEmbedded } from '../src/database/embedded.ts';
import { migrate } from '../src/database/migrations.ts';
import { checkDatabase } from '../src/database/open.ts';
import { connectDb, disconnectDb, prisma } from '../src/db.ts';
import { checkLedger } from '../src/ledger/check.ts';

const config = loadConfig();
const embedded = config.DATABASE_URL ? undefined : await startEmbedded({ dataDir: config.DATA_DIR });
const url = config.DATABASE_URL ?? embedded!.url;
try {
  if (embedded) await migrate(url);
  else await checkDatabase(url);
  connectDb(url, 2, { embedded: embedded !== undefined });
  const issues = await checkLedger(prisma);
  const entries = await prisma.ledgerEntry.count();
  if (issues.length) {
    for (const issue of issues) console.error(`✗ ${issue.rule}: ${issue.subject}: ${issue.detail}`);
    console.error(`${issues.length} problem(s) in ${entries} ledger entries`);
    process.exitCode = 1;
  } else {
    console.log(`✓ ${entries} ledger entries: commissions, payouts and balances agree`);
  }
} catch (error) {
  console.error(`Ledger check failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await disconnectDb();
  await embedded?.stop();
  process.exit();
}
