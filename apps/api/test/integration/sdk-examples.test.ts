// The SDK's examples/ run as a partner would run them, against a live API.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { signatureHeader } from '../../src/webhooks/signature.ts';
import { createApiKey, ok } from '../helpers.ts';
import { approvedEnrollment } from '../programs.ts';
import { startHttp } from '../tracking.ts';

const sdk = fileURLToPath(new URL('../../../../packages/sdk/', import.meta.url));
const tsx = `${sdk}node_modules/.bin/tsx`;
const run = (example: string, env: Record<string, string>) =>
  promisify(execFile)(tsx, [`examples/${example}`], {
    cwd: sdk,
    env: { ...process.env, ...env },
    timeout: 180_000,
  });

/** Starts a long-running example and resolves with its port once it listens. */
async function serve(example: string, env: Record<string, string>) {
  const child = spawn(tsx, [`examples/${example}`], { cwd: sdk, env: { ...process.env, PORT: '0', ...env } });
  children.push(child);
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      lines.push(...chunk.trim().split('\n'));
      const listening = /listening on (\d+)/.exec(chunk);
      if (listening) resolve(Number(listening[1]));
    });
    child.on('exit', (code) => reject(new Error(`${example} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, lines };
}

let http: Awaited<ReturnType<typeof startHttp>>;
const children: ChildProcess[] = [];
beforeAll(async () => {
  http = await startHttp();
});
afterAll(async () => {
  for (const child of children) child.kill();
  await http.close();
});

test('quickstart: program, application, link, click, sale, commission', async () => {
  const { stdout } = await run('quickstart.ts', { API_URL: http.url });
  expect(stdout).toMatch(/^link: \S+\/r\/\S+$/m);
  expect(stdout).toMatch(/^sale: \S+ attributed=true$/m);
  // 10% of 189.00.
  expect(stdout).toMatch(/^commission: SALE 1890 USD PENDING$/m);
  const conversionId = /^sale: (\S+)/m.exec(stdout)![1];
  expect(await prisma.commission.findMany({ where: { conversionId }, select: { amount: true } })).toEqual([
    { amount: 1890 },
  ]);
}, 180_000);

test('track-sale records once, refunds once, and prints invalid fields', async () => {
  const s = await approvedEnrollment();
  const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const env = {
    API_URL: http.url,
    AFF_SECRET_KEY: key,
    PROGRAM_ID: s.program.id,
    ORDER_ID: `ex-${Date.now()}`,
    AMOUNT: '10000',
    REFUND_AMOUNT: '2500',
  };
  const first = await run('track-sale.ts', env);
  expect(first.stdout).toMatch(/replayed=false\nrefund: refunded=2500 replayed=false/);
  const second = await run('track-sale.ts', env);
  expect(second.stdout).toMatch(/replayed=true\nrefund: refunded=2500 replayed=true/);
  expect(await prisma.conversion.count({ where: { programId: s.program.id } })).toBe(1);
  const bad = await run('track-sale.ts', { ...env, ORDER_ID: 'ex-bad', AMOUNT: '-5' }).catch((e) => e);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/^input\.amount: /m);
}, 180_000);

test('webhook-receiver accepts signed deliveries once and refuses tampered ones', async () => {
  const secret = 'whsec_example';
  const receiver = await serve('webhook-receiver.ts', { WEBHOOK_SECRET: secret });
  const body = JSON.stringify({
    id: 'evt-1',
    type: 'conversion.created',
    createdAt: '',
    data: { amount: 100 },
  });
  const post = (signature: string, payload = body) =>
    fetch(receiver.url, { method: 'POST', headers: { 'webhook-signature': signature }, body: payload });
  const signed = signatureHeader(secret, Math.floor(Date.now() / 1000), body);
  expect((await post(signed)).status).toBe(204);
  expect((await post(signed)).status).toBe(204);
  expect((await post(signed, body.replace('100', '999'))).status).toBe(400);
  expect((await post(signatureHeader(secret, Math.floor(Date.now() / 1000) - 3600, body))).status).toBe(400);
  expect(receiver.lines.filter((line) => line.startsWith('conversion.created'))).toEqual([
    'conversion.created evt-1 {"amount":100}',
  ]);
}, 180_000);

test('landing-page sets the click cookie from its own server', async () => {
  const page = await serve('landing-page.ts', { COOKIE_DAYS: '60' });
  const clickId = '01a1fca7-7472-756d-8441-bf9e5ea53491';
  const landed = await fetch(`${page.url}/?ref_id=${clickId}`);
  expect(landed.headers.getSetCookie()).toEqual([
    `aff_cid=${clickId}; Path=/; Max-Age=5184000; SameSite=Lax`,
  ]);
  expect((await fetch(page.url)).headers.getSetCookie()).toEqual([]);
}, 180_000);

test('affiliate-report prints balances and earnings per program', async () => {
  const s = await approvedEnrollment();
  const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const link = await ok(
    'mutation($input: CreateLinkInput!) { createLink(input: $input) { code } }',
    { input: { enrollmentId: s.enrollmentId } },
    s.aff.user.token,
  );
  const clickId = new URL((await http.get(`/r/${link.createLink.code}`)).location!).searchParams.get(
    'ref_id',
  )!;
  await http.tracking.recorder.flush();
  const sale = await run('track-sale.ts', {
    API_URL: http.url,
    AFF_SECRET_KEY: key,
    PROGRAM_ID: s.program.id,
    ORDER_ID: 'report-1',
    AMOUNT: '10000',
    CLICK_ID: clickId,
  });
  expect(sale.stdout).toMatch(/attributed=true/);
  const report = await run('affiliate-report.ts', {
    API_URL: http.url,
    AFF_TOKEN: s.aff.user.token,
    AFF_ORGANIZATION_ID: s.aff.org.id,
  });
  // The fixture program pays 8%.
  expect(report.stdout.trim().split('\n')).toEqual([
    `${s.program.id} USD: pending $8.00, approved $0.00, paid $0.00, owed $0.00`,
    `${s.program.name}: 800 (minor units) earned`,
  ]);
}, 180_000);
