import { buildSnippet, gzipSize, SIZE_BUDGET } from '@affiliate/snippet';
import { expect, test } from 'vitest';

test('the conversion-tracking snippet stays within 1,024 bytes gzipped', async () => {
  const code = await buildSnippet();
  expect(SIZE_BUDGET).toBe(1024);
  expect(gzipSize(code)).toBeLessThanOrEqual(SIZE_BUDGET);
  // One statement, no imports: it runs as a classic script on any page.
  expect(code).not.toMatch(/\bimport\b|\brequire\(/);
});
