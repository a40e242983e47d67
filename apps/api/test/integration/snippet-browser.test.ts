// The checkout snippet in a real headless Chromium (Debian's package, driven by playwright-core):
// a shop on one origin (http://shop.test:<port>), the API on another (http://api.test:<port>),
// both mapped to 127.0.0.1 by the browser.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createApiKey, ok } from '../helpers.ts';
import { approvedEnrollment } from '../programs.ts';
import { startHttp } from '../tracking.ts';

// Headless Chromium says so in its user agent, and bots are not counted: browse as a person.
const userAgent =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
let http: Awaited<ReturnType<typeof startHttp>>;
let browser: Browser;
let site: Server;
let shop = '';
let api = '';

/** Pages of the fixture shop; `?key=` and `?mode=` choose the snippet's attributes. */
function page(path: string, query: URLSearchParams) {
  const key = query.get('key') ?? '';
  const consent = query.get('mode') === 'consent' ? ' data-consent="required"' : '';
  // mode=first-party: the script and the API both through the shop's own /aff path.
  const base = query.get('mode') === 'first-party' ? `${shop}/aff` : api;
  const proxied = base === api ? '' : ` data-api="${base}"`;
  const tag = `<script async src="${base}/snippet/v1.js" data-key="${key}"${consent}${proxied}></script>`;
  const stub = '<script>window.aff=window.aff||function(){(aff.q=aff.q||[]).push(arguments)}</script>';
  if (path === '/checkout') {
    const order = query.get('order') ?? 'A-1';
    if (query.get('mode') === 'careless')
      // What a hurried integration might do: none of it may break the page.
      return `<!doctype html><title>Checkout</title>${stub}<script>aff('conversion');aff('nope',1);aff('conversion',{orderId:${JSON.stringify(order)},amount:'x'});aff('lead',null)</script>${tag}<p id="ok">Thanks</p><script>document.getElementById('ok').dataset.after='yes'</script>`;
    // The call is queued before the script has loaded.
    return `<!doctype html><title>Checkout</title>${stub}<script>aff('conversion',{orderId:${JSON.stringify(order)},amount:5000,currency:'USD'})</script>${tag}<p>Thanks</p>`;
  }
  return `<!doctype html><title>Landing</title>${stub}${tag}<p>Tents</p>`;
}

beforeAll(async () => {
  http = await startHttp();
  api = http.url.replace('127.0.0.1', 'api.test');
  site = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop.test');
    if (url.pathname.startsWith('/aff/')) {
      // The merchant's own proxy: a first-party path to the API, out of ad blockers' way.
      const body = await new Promise<string>((resolve) => {
        let data = '';
        req.on('data', (chunk) => (data += chunk));
        req.on('end', () => resolve(data));
      });
      const upstream = await fetch(`${http.url}${url.pathname.slice(4)}${url.search}`, {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'text/plain',
          origin: shop,
          'user-agent': userAgent,
        },
        body: req.method === 'POST' ? body : undefined,
      });
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain',
      });
      return res.end(await upstream.text());
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(url.pathname, url.searchParams));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  shop = `http://shop.test:${(site.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP shop.test 127.0.0.1, MAP api.test 127.0.0.1',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => site.close(() => resolve()));
  await http.close();
});

/** A program on the shop's domain with one approved affiliate, a link to its landing page and a publishable key. */
async function setup() {
  const s = await approvedEnrollment({ websiteUrl: 'http://shop.test', allowedDomains: ['shop.test'] });
  const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'PUBLISHABLE');
  const link = await ok(
    'mutation($input: CreateLinkInput!) { createLink(input: $input) { code } }',
    { input: { enrollmentId: s.enrollmentId, destinationUrl: `${shop}/landing` } },
    s.aff.user.token,
  );
  const enrollment = await prisma.enrollment.findUniqueOrThrow({ where: { id: s.enrollmentId } });
  return { ...s, key, code: link.createLink.code as string, referralCode: enrollment.referralCode };
}

const conversions = (programId: string) => prisma.conversion.findMany({ where: { programId } });

/** Opens a page and waits until the snippet and its calls are done (the network is quiet). */
async function visit(context: BrowserContext, url: string) {
  const tab = await context.newPage();
  await tab.goto(url, { waitUntil: 'networkidle' });
  return tab;
}

describe('the checkout snippet in a browser', () => {
  test('a tracking link, the landing page, then checkout: the sale is recorded and attributed to the click', async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    const landing = await visit(context, `${api}/r/${s.code}`);
    const clickId = new URL(landing.url()).searchParams.get('ref_id');
    expect(landing.url()).toMatch(new RegExp(`^${shop}/landing\\?ref_id=`));
    const cookies = await context.cookies(shop);
    expect(cookies.find((c) => c.name === 'aff_cid')).toMatchObject({ value: clickId, sameSite: 'Lax' });
    await http.tracking.recorder.flush();

    await visit(context, `${shop}/checkout?key=${s.key}&order=web-1`);
    await expect.poll(async () => (await conversions(s.program.id)).length, { timeout: 10_000 }).toBe(1);
    const [sale] = await conversions(s.program.id);
    expect(sale).toMatchObject({
      externalId: 'web-1',
      source: 'SNIPPET',
      attribution: 'CLICK',
      clickId,
      amount: 5_000,
    });
    await context.close();
  });

  test('an affiliate-code landing registers a click that the sale is attributed to', async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    const landing = await visit(context, `${shop}/landing?key=${s.key}&via=${s.referralCode}`);
    await expect
      .poll(async () => (await context.cookies(shop)).find((c) => c.name === 'aff_cid')?.value)
      .toBeTruthy();
    const cookie = (await context.cookies(shop)).find((c) => c.name === 'aff_cid')!;
    const clickId = cookie.value;
    // It lasts as long as the program's cookie window (45 days in the test terms).
    expect(Math.round((cookie.expires * 1000 - Date.now()) / 86_400_000)).toBe(45);
    expect(await landing.evaluate(() => localStorage.getItem('aff_cid'))).toBe(clickId);
    await http.tracking.recorder.flush();
    expect(await prisma.click.findUnique({ where: { id: clickId } })).toMatchObject({
      source: 'LANDING',
      enrollmentId: s.enrollmentId,
    });

    await visit(context, `${shop}/checkout?key=${s.key}&order=web-2`);
    await expect
      .poll(async () => (await conversions(s.program.id))[0]?.clickId, { timeout: 10_000 })
      .toBe(clickId);
    await context.close();
  });

  test('reloading the checkout page does not report the order again', async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    const sent: string[] = [];
    context.on('request', (r) => {
      if (r.url().endsWith('/track/conversion')) sent.push(r.url());
    });
    const checkout = await visit(context, `${shop}/checkout?key=${s.key}&order=web-3`);
    await expect.poll(async () => (await conversions(s.program.id)).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => checkout.evaluate(() => localStorage.getItem('aff_web-3'))).toBe('1');
    await checkout.reload({ waitUntil: 'networkidle' });
    expect(sent).toHaveLength(1);
    expect(await conversions(s.program.id)).toHaveLength(1);
    await context.close();
  });

  test('in consent mode nothing is stored until the page grants consent', async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    const clickId = '019ab5e0-0000-7000-8000-000000000001';
    const landing = await visit(context, `${shop}/landing?key=${s.key}&mode=consent&ref_id=${clickId}`);
    expect(await context.cookies(shop)).toEqual([]);
    expect(await landing.evaluate(() => localStorage.length)).toBe(0);
    await landing.evaluate(() => (window as unknown as { aff: (call: string) => void }).aff('consent'));
    expect((await context.cookies(shop)).find((c) => c.name === 'aff_cid')?.value).toBe(clickId);
    expect(await landing.evaluate(() => localStorage.getItem('aff_cid'))).toBe(clickId);
    await context.close();
  });

  test('a failed network call is retried', async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    let failed = 0;
    await context.route('**/track/conversion', (route) => {
      if (failed++ === 0) return route.abort('connectionreset');
      return route.continue();
    });
    await visit(context, `${shop}/checkout?key=${s.key}&order=web-5`);
    await expect.poll(async () => (await conversions(s.program.id)).length, { timeout: 15_000 }).toBe(1);
    expect(failed).toBe(2);
    await context.close();
  });

  test('the snippet is served versioned and cacheable, with an ETag', async () => {
    const first = await fetch(`${http.url}/snippet/v1.js`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('public, max-age=3600, stale-while-revalidate=86400');
    const code = await first.text();
    expect(code).toContain('/track/conversion');
    const again = await fetch(`${http.url}/snippet/v1.js`, {
      headers: { 'if-none-match': first.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${http.url}/snippet/v1.js`, { method: 'POST' })).status).toBe(405);
  });

  test("through a first-party path on the shop's own domain, the same calls arrive", async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    const hosts = new Set<string>();
    context.on('request', (r) => hosts.add(new URL(r.url()).host));
    await visit(context, `${shop}/landing?key=${s.key}&mode=first-party&via=${s.referralCode}`);
    await expect
      .poll(async () => (await context.cookies(shop)).find((c) => c.name === 'aff_cid')?.value)
      .toBeTruthy();
    await http.tracking.recorder.flush();
    await visit(context, `${shop}/checkout?key=${s.key}&mode=first-party&order=web-6`);
    await expect
      .poll(async () => (await conversions(s.program.id))[0]?.attribution, { timeout: 10_000 })
      .toBe('CLICK');
    // The browser never spoke to the API's own host.
    expect([...hosts]).toEqual([new URL(shop).host]);
    await context.close();
  });

  test('careless calls never throw into the page', async () => {
    const s = await setup();
    const context = await browser.newContext({ userAgent });
    const errors: string[] = [];
    context.on('weberror', (e) => errors.push(e.error().message));
    const checkout = await visit(context, `${shop}/checkout?key=${s.key}&mode=careless&order=web-7`);
    expect(await checkout.evaluate(() => document.getElementById('ok')?.dataset.after)).toBe('yes');
    await checkout.evaluate(() => {
      const aff = (window as unknown as { aff: (...args: unknown[]) => void }).aff;
      aff();
      aff('conversion', { orderId: {} });
      aff(undefined, undefined);
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
