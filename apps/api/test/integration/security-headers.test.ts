// Every answer but the click redirect carries the security headers; only the snippet and its
// reports may be read cross-origin; HSTS is sent where the API is served over HTTPS.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHttp } from '../tracking.ts';

describe('security headers', () => {
  let http: Awaited<ReturnType<typeof startHttp>>;
  let https: Awaited<ReturnType<typeof startHttp>>;
  beforeAll(async () => {
    http = await startHttp();
    https = await startHttp({ PUBLIC_URL: 'https://api.example' });
  });
  afterAll(async () => {
    await http.close();
    await https.close();
  });

  const headersOf = async (base: string, path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
    await response.arrayBuffer();
    return response.headers;
  };

  test('the API, GraphiQL, health and the snippet', async () => {
    const graphql = await headersOf(http.url, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    for (const headers of [
      graphql,
      await headersOf(http.url, '/healthz'),
      await headersOf(http.url, '/graphql', { headers: { accept: 'text/html' } }),
    ]) {
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(headers.get('strict-transport-security')).toBeNull();
    }
    const snippet = await headersOf(http.url, '/snippet/v1.js');
    expect(snippet.get('x-content-type-options')).toBe('nosniff');
    expect(snippet.get('cross-origin-resource-policy')).toBe('cross-origin');
    const redirect = await headersOf(http.url, '/r/no-such-link');
    expect(redirect.get('x-frame-options')).toBeNull();

    const secure = await headersOf(https.url, '/healthz');
    expect(secure.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });
});
