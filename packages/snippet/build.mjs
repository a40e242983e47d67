// Builds the snippet (esbuild, minified), prints its gzipped size and fails above the budget.
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildSnippet, gzipSize, SIZE_BUDGET } from './index.mjs';

const code = await buildSnippet();
const size = gzipSize(code);
mkdirSync(new URL('./dist/', import.meta.url), { recursive: true });
writeFileSync(new URL('./dist/v1.js', import.meta.url), code);
console.log(`snippet: ${code.length} bytes minified, ${size} bytes gzipped (budget ${SIZE_BUDGET})`);
if (size > SIZE_BUDGET) {
  console.error(`snippet is over budget by ${size - SIZE_BUDGET} bytes`);
  process.exit(1);
}
