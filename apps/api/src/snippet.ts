import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildSnippet } from '@affiliate/snippet';

let built: Promise<{ code: string; etag: string }> | null = null;

/**
 * GET /snippet/v1.js — the checkout snippet, built once per process. Versioned path, cacheable
 * for an hour (and served stale for a day while revalidating), with an ETag for cheap checks.
 */
export async function serveSnippet(req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    return res.end();
  }
  built ??= buildSnippet().then((code) => ({
    code,
    etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`,
  }));
  const { code, etag } = await built;
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=3600, stale-while-revalidate=86400',
    etag,
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    return res.end();
  }
  res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(code) });
  res.end(req.method === 'HEAD' ? undefined : code);
}
