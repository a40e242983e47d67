// pnpm schema:print — writes schema.graphql from the code; with --check, fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const path = fileURLToPath(new URL('../schema.graphql', import.meta.url));
const { printedSchema } = await import('../src/schema/index.ts');
const printed = printedSchema();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {}
  if (committed !== printed) {
    console.error('schema.graphql is stale. Run: pnpm schema:print');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  writeFileSync(path, printed);
  console.log(`Wrote ${path}`);
}
