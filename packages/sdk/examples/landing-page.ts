// The shop's landing page keeps the click id in a cookie set by its own server, so it lasts the
// whole cookie window (Safari caps cookies set by scripts at 7 days). The checkout snippet and
// the back end then read `aff_cid`.
//   PORT=3000 pnpm --filter @affiliate/sdk example examples/landing-page.ts
import { createServer } from 'node:http';
import { setClickCookie } from '@affiliate/sdk';

const server = createServer((req, res) => {
  const clickId = setClickCookie(req, res, { maxAgeDays: Number(process.env.COOKIE_DAYS ?? 90) });
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<h1>Tents</h1><p>${clickId ? 'Welcome, reader of our partner.' : 'Welcome.'}</p>`);
});
server.listen(Number(process.env.PORT ?? 3000), () => {
  const address = server.address();
  console.log(`listening on ${typeof address === 'object' && address ? address.port : address}`);
});
