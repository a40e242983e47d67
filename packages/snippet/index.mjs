import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';

/** The conversion-tracking build must stay at or under this many bytes gzipped. */
export const SIZE_BUDGET = 1024;

/** The snippet, minified for browsers from 2020 on. */
export async function buildSnippet() {
  const source = await readFile(new URL('./src/snippet.js', import.meta.url), 'utf8');
  const { code } = await transform(source, { minify: true, target: 'es2020', legalComments: 'none' });
  return code;
}

export const gzipSize = (code) => gzipSync(code, { level: 9 }).length;
