// The SDK as partners install it: the built package (ESM and CJS), against a live API.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as esm from '@affiliate/sdk';
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { createApiKey, ok } from '../helpers.ts';
import { activeProgram, affiliate, approvedEnrollment } from '../programs.ts';
import { startHttp } from '../tracking.ts';

const cjs = createRequire(import.meta.url)('@affiliate/sdk') as typeof esm;

const linkOf = async (s: { enrollmentId: string; aff: { user: { token: string } } }) =>
  (
    await ok(
      'mutation($input: CreateLinkInput!) { createLink(input: $input) { code } }',
      { input: { enrollmentId: s.enrollmentId } },
      s.aff.user.token,
    )
  ).createLink as { code: string };

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp();
});
afterAll(() => http.close());

describe.each([
  ['ESM', esm],
  ['CJS', cjs],
])('the SDK (%s build)', (_, sdk) => {
  test('an affiliate gets a link, a click is followed, the merchant tracks the sale, the affiliate reads its commission', async () => {
    const s = await approvedEnrollment();
    const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
    const url = `${http.url}/graphql`;
    const affiliate = sdk.createClient({ url, token: s.aff.user.token });
    const merchant = sdk.createClient({ url, apiKey: key });

    const link = (await affiliate.CreateLink({ input: { enrollmentId: s.enrollmentId } })).createLink;
    expect(link.shortUrl).toContain(link.code);
    const clickId = new URL((await http.get(`/r/${link.code}`)).location!).searchParams.get('ref_id')!;
    await http.tracking.recorder.flush();

    const sale = await merchant.TrackSale({
      input: { programId: s.program.id, orderId: `sdk-${clickId}`, amount: 12_345, currency: 'USD', clickId },
    });
    expect(sale.trackSale).toMatchObject({ attributed: true, replayed: false });
    // Retrying is safe: the same order is a replay.
    const again = await merchant.TrackSale({
      input: { programId: s.program.id, orderId: `sdk-${clickId}`, amount: 12_345, currency: 'USD', clickId },
    });
    expect(again.trackSale).toEqual({ ...sale.trackSale, replayed: true });

    const commissions = [];
    for await (const commission of affiliate.commissions({ enrollmentId: s.enrollmentId }, 1))
      commissions.push(commission);
    expect(commissions.map((c) => [c.kind, c.amount, c.currency, c.status])).toEqual([
      ['SALE', 988, 'USD', 'PENDING'],
    ]);
    expect(await prisma.conversion.count({ where: { programId: s.program.id } })).toBe(1);
  });

  test("the back-end helpers: trackSale, refund, and the click cookie set by the merchant's own server", async () => {
    const s = await approvedEnrollment();
    const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
    const merchant = sdk.createClient({ url: `${http.url}/graphql`, apiKey: key });
    const clickId = new URL((await http.get(`/r/${(await linkOf(s)).code}`)).location!).searchParams.get(
      'ref_id',
    )!;
    await http.tracking.recorder.flush();

    // The merchant's landing page, on its own node:http server.
    const shop = createServer((req, res) => {
      sdk.setClickCookie(req, res, { maxAgeDays: 45 });
      res.setHeader('content-type', 'text/html');
      res.end('<p>Tents</p>');
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    const shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    const landed = await fetch(`${shopUrl}/tents?ref_id=${clickId}`);
    expect(landed.headers.getSetCookie()).toEqual([
      `aff_cid=${clickId}; Path=/; Max-Age=3888000; SameSite=Lax`,
    ]);
    expect((await fetch(`${shopUrl}/tents?ref_id=not-an-id`)).headers.getSetCookie()).toEqual([]);
    shop.close();

    const sale = await merchant.trackSale({
      programId: s.program.id,
      orderId: `helper-${clickId}`,
      amount: 10_000,
      currency: 'USD',
      clickId,
    });
    expect(sale).toMatchObject({ attributed: true, replayed: false });
    const refund = await merchant.refund({
      programId: s.program.id,
      orderId: `helper-${clickId}`,
      refundId: 'r-1',
      amount: 2_500,
    });
    expect(refund).toMatchObject({
      replayed: false,
      adjustment: { amount: 2_500 },
      conversion: { refundedAmount: 2_500 },
    });
  });

  test('the merchant approves an application, sees the conversion; the affiliate reads its statement', async () => {
    const { merchant: owner, org, program } = await activeProgram();
    const aff = await affiliate();
    const url = `${http.url}/graphql`;
    const merchant = sdk.createClient({ url, token: owner.token });
    const partner = sdk.createClient({ url, token: aff.user.token });
    const applied = (
      await partner.ApplyToProgram({ input: { programId: program.id, affiliateOrganizationId: aff.org.id } })
    ).applyToProgram;
    expect(applied.status).toBe('PENDING');
    expect(
      (await merchant.ApproveEnrollment({ input: { enrollmentId: applied.id } })).approveEnrollment.status,
    ).toBe('APPROVED');
    const code = (await partner.CreateLink({ input: { enrollmentId: applied.id } })).createLink.code;
    const clickId = new URL((await http.get(`/r/${code}`)).location!).searchParams.get('ref_id')!;
    await http.tracking.recorder.flush();
    const { key } = await createApiKey(owner.token, org.id, 'SECRET');
    await sdk.createClient({ url, apiKey: key }).trackSale({
      programId: program.id,
      orderId: `o-${clickId}`,
      amount: 5_000,
      currency: 'USD',
      clickId,
    });
    const seen = [];
    for await (const conversion of merchant.conversions({ programId: program.id })) seen.push(conversion);
    expect(
      seen.map((c) => [c.externalId, c.attribution, c.enrollment?.id, c.commissions.map((m) => m.amount)]),
    ).toEqual([[`o-${clickId}`, 'CLICK', applied.id, [400]]]);
    const balances = (await merchant.ProgramBalances({ programId: program.id })).program.balances;
    expect(balances).toEqual([expect.objectContaining({ currency: 'USD', pending: 400, approved: 0 })]);
    const lines = [];
    for await (const line of partner.statement({ organizationId: aff.org.id })) lines.push(line);
    expect(lines.map((l) => [l.type, l.account, l.amount])).toEqual([['EARNED', 'PENDING', 400]]);
  });

  test('errors are typed by their code, with the fields that failed', async () => {
    const s = await approvedEnrollment();
    const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
    const url = `${http.url}/graphql`;
    const merchant = sdk.createClient({ url, apiKey: key });
    const input = { programId: s.program.id, orderId: 'bad', amount: -1, currency: 'USD' };
    const invalid = await merchant.TrackSale({ input }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(sdk.InvalidInputError);
    expect((invalid as esm.InvalidInputError).issues).toEqual([
      expect.objectContaining({ path: 'input.amount' }),
    ]);
    const stranger = sdk.createClient({ url, apiKey: `sk_${'x'.repeat(32)}` });
    await expect(stranger.TrackSale({ input: { ...input, amount: 1 } })).rejects.toBeInstanceOf(
      sdk.UnauthenticatedError,
    );
    const other = await approvedEnrollment();
    await expect(
      merchant.TrackSale({ input: { ...input, programId: other.program.id, amount: 1 } }),
    ).rejects.toBeInstanceOf(sdk.NotFoundError);
    const offline = sdk.createClient({ url: 'http://127.0.0.1:9/graphql', apiKey: key, retries: 1 });
    await expect(offline.TrackSale({ input: { ...input, amount: 1 } })).rejects.toBeInstanceOf(
      sdk.NetworkError,
    );
  });
});

test('results and inputs are typed', () => {
  type Client = ReturnType<typeof esm.createClient>;
  expectTypeOf<Awaited<ReturnType<Client['TrackSale']>>['trackSale']>().toEqualTypeOf<{
    conversionId: string;
    attributed: boolean;
    replayed: boolean;
  }>();
  expectTypeOf<Parameters<Client['TrackSale']>[0]['input']['amount']>().toEqualTypeOf<number>();
  expectTypeOf<esm.InvalidInputError['issues']>().toEqualTypeOf<esm.Issue[]>();
});

test('the build runs in browsers too: no Node built-ins, graphql its only import', async () => {
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const built = readFileSync(fileURLToPath(import.meta.resolve('@affiliate/sdk')), 'utf8');
  const imports = [...built.matchAll(/^import .* from ['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  expect(imports).toEqual(['graphql']);
  expect(built).not.toMatch(/require\(|node:/);
});
