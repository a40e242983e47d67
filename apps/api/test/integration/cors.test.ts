// The GraphQL API answers browsers only from CORS_ORIGINS and the programs' own domains.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { config } from '../../src/config.ts';
import { createApp } from '../../src/yoga.ts';
import { activeProgram } from '../programs.ts';

describe('CORS on the GraphQL API', () => {
  test('a program’s domain and a configured dashboard may call it; any other origin may not', async () => {
    const site = `shop-${randomUUID().slice(0, 8)}.example`;
    await activeProgram({ websiteUrl: `https://${site}` });
    const app = createApp({ settings: { ...config(), CORS_ORIGINS: ['https://dashboard.example'] } });
    const preflight = (origin: string) =>
      app.fetch('http://api.test/graphql', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    for (const origin of [`https://${site}`, `https://www.${site}`, 'https://dashboard.example']) {
      const response = await preflight(origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-headers')).toBe(
        'authorization, content-type, x-request-id',
      );
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toBe('Origin');
    }
    for (const origin of ['https://evil.example', `https://${site}.evil.example`, 'null']) {
      const response = await preflight(origin);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    // A plain POST from a foreign page gets its answer without CORS headers: the browser hides it.
    const post = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });
});
