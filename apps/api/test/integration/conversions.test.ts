import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { uuidv7 } from '../../src/ids.ts';
import { createApiKey, failsWith, gql, ok } from '../helpers.ts';
import { affiliate, apply, approvedEnrollment, decide } from '../programs.ts';
import { startHttp } from '../tracking.ts';

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp();
});
afterAll(() => http.close());

const CONVERSION = `id kind externalId status attribution clickId amount currency programAmount exchangeRate isRenewal
  contact { name email } enrollment { id } commissions { kind amount currency status holdUntil reason }`;
const TRACK_SALE = `mutation($input: TrackSaleInput!) { trackSale(input: $input) { replayed conversion { ${CONVERSION} } } }`;
const TRACK_LEAD = `mutation($input: TrackLeadInput!) { trackLead(input: $input) { replayed conversion { ${CONVERSION} } } }`;
const dayMs = 86_400_000;

/** A program (8% base, tiers from 20 sales a month) with one approved affiliate, and the merchant's secret key. */
async function setup(overrides: Record<string, unknown> = {}) {
  const s = await approvedEnrollment(overrides);
  const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  return { ...s, secret };
}

/** A click stored as the redirect stores it, made `daysAgo` days ago. */
async function click(s: { program: { id: string }; enrollmentId: string }, daysAgo = 0) {
  const id = uuidv7(Date.now() - daysAgo * dayMs);
  await prisma.click.create({
    data: {
      id,
      programId: s.program.id,
      enrollmentId: s.enrollmentId,
      source: 'REDIRECT',
      createdAt: new Date(Date.now() - daysAgo * dayMs),
      isUnique: true,
    },
  });
  return id;
}

const sale = (programId: string, extra: Record<string, unknown> = {}) => ({
  programId,
  orderId: `order-${randomUUID()}`,
  amount: 12_345,
  currency: 'USD',
  ...extra,
});

async function secondAffiliate(s: Awaited<ReturnType<typeof setup>>) {
  const other = await affiliate('Other');
  const applied = await apply(other.user.token, s.program.id, other.org.id);
  await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, s.merchant.token);
  return { ...other, enrollmentId: applied.id as string };
}

describe('server-to-server sales', () => {
  test('a click followed through the redirect earns its affiliate the commission, to the cent, with a ledger entry', async () => {
    const s = await setup();
    const link = await ok(
      'mutation($input: CreateLinkInput!) { createLink(input: $input) { code } }',
      { input: { enrollmentId: s.enrollmentId } },
      s.aff.user.token,
    );
    const response = await http.get(`/r/${link.createLink.code}`);
    const clickId = new URL(response.location!).searchParams.get('ref_id');
    await http.tracking.recorder.flush();

    const data = await ok(TRACK_SALE, { input: sale(s.program.id, { clickId }) }, s.secret);
    const conversion = data.trackSale.conversion;
    expect(data.trackSale.replayed).toBe(false);
    expect(conversion).toMatchObject({
      kind: 'SALE',
      status: 'ACCEPTED',
      attribution: 'CLICK',
      clickId,
      amount: 12_345,
      programAmount: 12_345,
      enrollment: { id: s.enrollmentId },
    });
    // 8% of 123.45 = 9.876 → 9.88 (half up)
    expect(conversion.commissions).toEqual([
      expect.objectContaining({ kind: 'SALE', amount: 988, currency: 'USD', status: 'PENDING' }),
    ]);
    const holdUntil = Date.parse(conversion.commissions[0].holdUntil);
    expect(Math.abs(holdUntil - (Date.now() + 30 * dayMs))).toBeLessThan(60_000);

    const entries = await prisma.ledgerEntry.findMany({ where: { enrollmentId: s.enrollmentId } });
    expect(entries).toEqual([
      expect.objectContaining({
        type: 'EARNED',
        account: 'PENDING',
        amount: 988,
        currency: 'USD',
        affiliateId: s.aff.profile.id,
      }),
    ]);

    // The affiliate sees its commission, the merchant the conversion.
    const mine = await ok(
      `query($id: ID!) { enrollment(id: $id) { commissions(first: 5) { edges { node { amount kind conversion { externalId } } } } } }`,
      { id: s.enrollmentId },
      s.aff.user.token,
    );
    expect(mine.enrollment.commissions.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { amount: 988, kind: 'SALE', conversion: { externalId: conversion.externalId } },
    ]);
  });

  test('the same order id is recorded once: a replay returns the first result, and so do concurrent duplicates', async () => {
    const s = await setup();
    const clickId = await click(s);
    const input = sale(s.program.id, { clickId });
    const first = await ok(TRACK_SALE, { input }, s.secret);
    const again = await ok(TRACK_SALE, { input: { ...input, amount: 99_999 } }, s.secret);
    expect(again.trackSale).toMatchObject({
      replayed: true,
      conversion: { id: first.trackSale.conversion.id, amount: 12_345 },
    });

    const racing = sale(s.program.id, { clickId });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => gql(TRACK_SALE, { input: racing }, s.secret)),
    );
    for (const r of results) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(new Set(results.map((r) => r.data.trackSale.conversion.id)).size).toBe(1);
    expect(results.filter((r) => !r.data.trackSale.replayed)).toHaveLength(1);
    expect(await prisma.conversion.count({ where: { externalId: racing.orderId } })).toBe(1);
    expect(await prisma.commission.count({ where: { conversion: { externalId: racing.orderId } } })).toBe(1);
    expect(await prisma.ledgerEntry.count({ where: { enrollmentId: s.enrollmentId } })).toBe(2);
  });

  test('clicks outside the cookie window, unknown click ids and unknown coupons leave the sale unattributed', async () => {
    const s = await setup(); // a 45-day window
    const old = await click(s, 46);
    const inside = await click(s, 44);
    for (const extra of [{ clickId: old }, { clickId: randomUUID() }, { couponCode: 'NOSUCHCODE' }]) {
      const data = await ok(TRACK_SALE, { input: sale(s.program.id, extra) }, s.secret);
      expect(data.trackSale.conversion).toMatchObject({
        attribution: 'NONE',
        enrollment: null,
        commissions: [],
      });
    }
    const data = await ok(TRACK_SALE, { input: sale(s.program.id, { clickId: inside }) }, s.secret);
    expect(data.trackSale.conversion.attribution).toBe('CLICK');
    // the merchant still sees every one of them
    const list = await ok(
      `query($id: ID!) { program(id: $id) { conversions(first: 10) { edges { node { attribution } } } } }`,
      { id: s.program.id },
      s.merchant.token,
    );
    expect(list.program.conversions.edges).toHaveLength(4);
  });

  test('last click by default; first click when the program says so', async () => {
    const last = await setup();
    const other = await secondAffiliate(last);
    const early = await click(last, 10);
    const late = await click({ program: last.program, enrollmentId: other.enrollmentId }, 1);
    const byLast = await ok(
      TRACK_SALE,
      { input: sale(last.program.id, { clickIds: [early, late] }) },
      last.secret,
    );
    expect(byLast.trackSale.conversion).toMatchObject({
      clickId: late,
      enrollment: { id: other.enrollmentId },
    });

    const first = await setup({
      terms: {
        sale: { type: 'FLAT', flatAmount: 1500 },
        cookieWindowDays: 30,
        attributionModel: 'FIRST_CLICK',
        holdingDays: 0,
        minPayoutAmount: 0,
      },
    });
    const second = await secondAffiliate(first);
    const a = await click(first, 10);
    const b = await click({ program: first.program, enrollmentId: second.enrollmentId }, 1);
    const byFirst = await ok(
      TRACK_SALE,
      { input: sale(first.program.id, { clickIds: [b, a] }) },
      first.secret,
    );
    expect(byFirst.trackSale.conversion).toMatchObject({
      clickId: a,
      enrollment: { id: first.enrollmentId },
    });
    expect(byFirst.trackSale.conversion.commissions).toEqual([
      expect.objectContaining({ kind: 'SALE', amount: 1500 }),
    ]);
  });

  test("an affiliate's coupon code wins over another affiliate's click", async () => {
    const s = await setup();
    const other = await secondAffiliate(s);
    await ok(
      'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { code } }',
      { input: { enrollmentId: other.enrollmentId, code: 'other10' } },
      s.merchant.token,
    );
    const clickId = await click(s);
    const data = await ok(
      TRACK_SALE,
      { input: sale(s.program.id, { clickId, couponCode: 'Other10' }) },
      s.secret,
    );
    expect(data.trackSale.conversion).toMatchObject({
      attribution: 'COUPON',
      clickId: null,
      enrollment: { id: other.enrollmentId },
    });
  });

  test('a customer stays with its affiliate: later sales earn the recurring commission within its months', async () => {
    const s = await setup({
      terms: {
        sale: { type: 'PERCENTAGE', rateBps: 2000 },
        recurring: { mode: 'MONTHS', months: 3, rateBps: 1000 },
        cookieWindowDays: 30,
        holdingDays: 14,
        minPayoutAmount: 0,
      },
    });
    const other = await secondAffiliate(s);
    const clickId = await click(s);
    const customerId = `cus-${randomUUID()}`;
    const start = new Date(Date.now() - 100 * dayMs);
    const first = await ok(
      TRACK_SALE,
      { input: sale(s.program.id, { clickId, customerId, amount: 5_000, occurredAt: start }) },
      s.secret,
    );
    // the click is newer than this back-dated sale: the sale is unattributed, so the customer is not tied yet
    expect(first.trackSale.conversion.attribution).toBe('NONE');

    const tie = await ok(
      TRACK_SALE,
      { input: sale(s.program.id, { clickId, customerId, amount: 5_000 }) },
      s.secret,
    );
    expect(tie.trackSale.conversion.commissions).toEqual([
      expect.objectContaining({ kind: 'SALE', amount: 1_000 }),
    ]);

    // Next sale: another affiliate's click does not take the customer away; 10% recurring.
    const otherClick = await click({ program: s.program, enrollmentId: other.enrollmentId });
    const renewal = await ok(
      TRACK_SALE,
      { input: sale(s.program.id, { clickId: otherClick, customerId, amount: 5_000 }) },
      s.secret,
    );
    expect(renewal.trackSale.conversion).toMatchObject({
      attribution: 'CUSTOMER',
      isRenewal: true,
      enrollment: { id: s.enrollmentId },
    });
    expect(renewal.trackSale.conversion.commissions).toEqual([
      expect.objectContaining({ kind: 'RECURRING', amount: 500 }),
    ]);
  });

  test('first sales of one new customer arriving together are all recorded, with one customer', async () => {
    const s = await setup();
    const clickId = await click(s);
    const customerId = `cus-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        gql(TRACK_SALE, { input: sale(s.program.id, { clickId, customerId }) }, s.secret),
      ),
    );
    for (const r of results) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const customers = await prisma.customer.findMany({
      where: { programId: s.program.id, externalId: customerId },
    });
    expect(customers).toHaveLength(1);
    expect(customers[0]!.enrollmentId).toBe(s.enrollmentId);
    expect(await prisma.conversion.count({ where: { customerId: customers[0]!.id } })).toBe(6);
  });

  test('another currency needs the merchant’s exchange rate; without one the sale is refused and nothing is written', async () => {
    const s = await setup();
    const clickId = await click(s);
    const eur = sale(s.program.id, { clickId, currency: 'eur', amount: 10_000 });
    expect(await failsWith(TRACK_SALE, { input: eur }, s.secret)).toBe('CONFLICT');
    expect(await prisma.conversion.count({ where: { programId: s.program.id } })).toBe(0);

    await ok(
      'mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { rate } }',
      {
        input: {
          organizationId: s.merchantOrg.id,
          fromCurrency: 'EUR',
          toCurrency: 'USD',
          rate: '1.0842',
          effectiveAt: new Date(Date.now() - dayMs).toISOString(),
        },
      },
      s.merchant.token,
    );
    const data = await ok(TRACK_SALE, { input: eur }, s.secret);
    // 100.00 EUR × 1.0842 = 108.42 USD; 8% = 8.6736 → 8.67
    expect(data.trackSale.conversion).toMatchObject({
      currency: 'EUR',
      amount: 10_000,
      programAmount: 10_842,
      exchangeRate: '1.0842',
    });
    expect(data.trackSale.conversion.commissions[0]).toMatchObject({ amount: 867, currency: 'USD' });
  });

  test('bad input and wrong credentials get typed errors and write nothing', async () => {
    const s = await setup();
    const other = await setup();
    const { key: publishable } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'PUBLISHABLE');
    const bad: [Record<string, unknown>, string][] = [
      [{ amount: -1 }, 'input.amount'],
      [{ amount: 1.5 }, 'input.amount'],
      [{ amount: 10_000_000_000 }, 'input.amount'],
      [{ amount: 1_000_000_001 }, 'input.amount'],
      [{ currency: 'XYZ' }, 'input.currency'],
      [{ orderId: '   ' }, 'input.orderId'],
      [{ orderId: 'x'.repeat(129) }, 'input.orderId'],
      [{ clickId: 'not-a-uuid' }, 'input.clickId'],
      [{ email: 'nope' }, 'input.email'],
      [{ occurredAt: new Date(Date.now() + dayMs).toISOString() }, 'input.occurredAt'],
    ];
    for (const [extra, path] of bad) {
      const result = await gql(TRACK_SALE, { input: sale(s.program.id, extra) }, s.secret);
      expect(result.errors?.[0]?.extensions.code, JSON.stringify(result.errors)).toBe('INVALID_INPUT');
      expect(result.errors?.[0]?.extensions.issues?.[0]?.path).toBe(path);
    }
    expect(await failsWith(TRACK_SALE, { input: sale(s.program.id) })).toBe('UNAUTHENTICATED');
    expect(await failsWith(TRACK_SALE, { input: sale(s.program.id) }, publishable)).toBe('FORBIDDEN');
    expect(await failsWith(TRACK_SALE, { input: sale(s.program.id) }, other.secret)).toBe('NOT_FOUND');
    // A key in use (so remembered by the server) stops working the moment it is revoked.
    const revoked = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
    await ok(TRACK_SALE, { input: sale(s.program.id, { amount: 0 }) }, revoked.key);
    await ok('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: revoked.id }, s.merchant.token);
    expect(await failsWith(TRACK_SALE, { input: sale(s.program.id) }, revoked.key)).toBe('UNAUTHENTICATED');
    expect(await failsWith(TRACK_SALE, { input: sale(randomUUID()) }, s.secret)).toBe('NOT_FOUND');
    expect(await failsWith(TRACK_SALE, { input: sale(s.program.id) }, s.aff.user.token)).toBe('NOT_FOUND');
    expect(
      await prisma.conversion.count({ where: { programId: { in: [s.program.id, other.program.id] } } }),
    ).toBe(1); // the one sale made with the key before it was revoked
  });

  test('a paused program still records sales; an archived one refuses them at once', async () => {
    const s = await setup();
    const status = (value: string) =>
      ok(
        'mutation($id: ID!, $status: ProgramStatus!) { setProgramStatus(programId: $id, status: $status) { status } }',
        { id: s.program.id, status: value },
        s.merchant.token,
      );
    await ok(TRACK_SALE, { input: sale(s.program.id) }, s.secret);
    await status('PAUSED');
    await ok(TRACK_SALE, { input: sale(s.program.id) }, s.secret);
    await status('ARCHIVED');
    expect(await failsWith(TRACK_SALE, { input: sale(s.program.id) }, s.secret)).toBe('CONFLICT');
    expect(await prisma.conversion.count({ where: { programId: s.program.id } })).toBe(2);
  });
});

describe('leads', () => {
  test('a lead earns the lead commission; contact details are kept only with consent and shown only to the merchant', async () => {
    const s = await setup({
      terms: {
        sale: { type: 'NONE' },
        leadAmount: 250,
        cookieWindowDays: 30,
        holdingDays: 0,
        minPayoutAmount: 0,
      },
    });
    const clickId = await click(s);
    const lead = (consent: boolean) => ({
      programId: s.program.id,
      leadId: `lead-${randomUUID()}`,
      email: 'Jo@Example.com',
      name: 'Jo Doe',
      consent,
      clickId,
    });
    const withConsent = await ok(TRACK_LEAD, { input: lead(true) }, s.secret);
    expect(withConsent.trackLead.conversion).toMatchObject({
      kind: 'LEAD',
      attribution: 'CLICK',
      contact: { name: 'Jo Doe', email: 'jo@example.com' },
      commissions: [expect.objectContaining({ kind: 'LEAD', amount: 250 })],
    });
    const without = await ok(TRACK_LEAD, { input: lead(false) }, s.secret);
    expect(without.trackLead.conversion.contact).toBeNull();
    const row = await prisma.conversion.findUniqueOrThrow({ where: { id: without.trackLead.conversion.id } });
    expect(row.contact).toBeNull();
    expect(row.emailHash).toMatch(/^[\w-]{43}$/);

    const seen = await ok(
      `query($id: ID!) { enrollment(id: $id) { conversions(first: 5) { edges { node { kind contact { name } } } } } }`,
      { id: s.enrollmentId },
      s.aff.user.token,
    );
    expect(seen.enrollment.conversions.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { kind: 'LEAD', contact: null },
      { kind: 'LEAD', contact: null },
    ]);
  });
});

describe('the snippet endpoint', () => {
  test('POST /track/conversion: a text/plain sale with the publishable key takes the same path, once, with CORS for the program', async () => {
    const s = await setup();
    const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'PUBLISHABLE');
    const clickId = await click(s);
    const post = (payload: unknown, origin = 'https://tiered.example') =>
      fetch(`${http.url}/track/conversion`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const order = {
      type: 'sale',
      key,
      orderId: `web-${randomUUID()}`,
      amount: 5_000,
      currency: 'USD',
      clickId,
    };

    const first = await post(order);
    expect(first.status).toBe(201);
    expect(first.headers.get('access-control-allow-origin')).toBe('https://tiered.example');
    const body = await first.json();
    expect(body).toMatchObject({ replayed: false, attributed: true });
    const again = await post(order);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ conversionId: body.conversionId, replayed: true });

    const row = await prisma.conversion.findUniqueOrThrow({
      where: { id: body.conversionId },
      include: { commissions: true },
    });
    expect(row).toMatchObject({ source: 'SNIPPET', attribution: 'CLICK', enrollmentId: s.enrollmentId });
    expect(row.commissions.map((c) => c.amount)).toEqual([400]); // 8% of 50.00

    // bad input, wrong keys and foreign origins write nothing
    expect((await post({ ...order, orderId: 'x', amount: -5 })).status).toBe(400);
    expect((await post({ ...order, orderId: 'x', currency: 'ZZZ' })).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ ...order, orderId: 'x', key: `pk_${'x'.repeat(32)}` })).status).toBe(401);
    const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
    expect((await post({ ...order, orderId: 'x', key: secret })).status).toBe(400);
    expect((await post({ ...order, orderId: 'x' }, 'https://evil.example')).status).toBe(403);
    expect((await post({ ...order, orderId: 'x', programId: randomUUID() })).status).toBe(404);
    expect((await post({ ...order, orderId: 'x', currency: 'EUR' })).status).toBe(409);
    expect((await post({ ...order, orderId: 'x'.repeat(40_000) })).status).toBe(413);
    // Another merchant's program, even on its own domain, is not this key's.
    const other = await setup();
    const foreign = await post(
      { ...order, orderId: 'x', programId: other.program.id },
      'https://tiered.example',
    );
    expect(foreign.status).toBe(404);
    // A revoked key stops working at once.
    const revoked = await createApiKey(s.merchant.token, s.merchantOrg.id, 'PUBLISHABLE');
    await ok('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: revoked.id }, s.merchant.token);
    expect((await post({ ...order, orderId: 'x', key: revoked.key })).status).toBe(401);
    expect(await prisma.conversion.count({ where: { programId: s.program.id } })).toBe(1);
    expect(await prisma.conversion.count({ where: { programId: other.program.id } })).toBe(0);

    const leadResponse = await post({
      type: 'lead',
      key,
      leadId: `lead-${randomUUID()}`,
      email: 'a@b.example',
      consent: false,
      clickId,
    });
    expect(leadResponse.status).toBe(201);
  });
});
