// Runs `prisma generate` without Prisma's native schema engine, which cannot be downloaded
// here: generation does not need it, and a stub that exits 1 keeps any command that would
// need it failing loudly instead of silently doing nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const stub = join(mkdtempSync(join(tmpdir(), 'prisma-engine-')), 'schema-engine');
writeFileSync(
  stub,
  '#!/bin/sh\necho "the native schema engine is not used; see scripts/migrate.ts" >&2\nexit 1\n',
);
chmodSync(stub, 0o755);

const result = spawnSync('prisma', ['generate', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
process.exit(result.status ?? 1);
