// Fraud rules and the review queue, scenario by scenario: each rule fires on the traffic it is
// about and does what the program configured; clean traffic fires none.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveDue } from '../../src/commissions/lifecycle.ts';
import { prisma } from '../../src/db.ts';
import { checkLedger } from '../../src/ledger/check.ts';
import { createApiKey, failsWith, gql, ok } from '../helpers.ts';
import { affiliate, apply, approvedEnrollment, decide } from '../programs.ts';
import { browser, startHttp } from '../tracking.ts';

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp({ TRUST_PROXY: true });
});
afterAll(() => http.close());

const minute = 60_000;
const ip = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

async function setup() {
  const s = await approvedEnrollment();
  const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const link = (
    await ok(
      'mutation($input: CreateLinkInput!) { createLink(input: $input) { id code } }',
      { input: { enrollmentId: s.enrollmentId } },
      s.aff.user.token,
    )
  ).createLink as { id: string; code: string };
  return { ...s, key, link };
}
type Setup = Awaited<ReturnType<typeof setup>>;

async function click(s: Pick<Setup, 'link'>, from = ip(), agent = browser) {
  const { location } = await http.get(`/r/${s.link.code}`, { 'user-agent': agent, 'x-forwarded-for': from });
  await http.tracking.recorder.flush();
  const id = new URL(location!).searchParams.get('ref_id')!;
  const row = await prisma.click.findUniqueOrThrow({ where: { id } });
  return { id, at: row.createdAt };
}

async function rule(s: Setup, input: Record<string, unknown>) {
  return (
    await ok(
      `mutation($input: UpdateFraudRuleInput!) { updateFraudRule(input: $input) {
        rule enabled action maxClicks windowMinutes maxConversions minSeconds multiple minSamples lookbackDays extraDomains } }`,
      { input: { programId: s.program.id, ...input } },
      s.merchant.token,
    )
  ).updateFraudRule;
}

/** A sale a minute after its click (so TOO_FAST stays quiet unless asked), from a browser. */
async function sale(s: Setup, fields: Record<string, unknown> & { click?: { id: string; at: Date } }) {
  const { click: from, ...rest } = fields;
  const occurredAt = new Date((from?.at ?? new Date(Date.now() - 2 * minute)).getTime() + minute);
  const data = await ok(
    'mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversionId attributed } }',
    {
      input: {
        programId: s.program.id,
        orderId: `o-${randomUUID()}`,
        amount: 10_000,
        currency: 'USD',
        occurredAt: occurredAt.toISOString(),
        userAgent: browser,
        ip: ip(),
        ...(from ? { clickId: from.id } : {}),
        ...rest,
      },
    },
    s.key,
  );
  const id = data.trackSale.conversionId as string;
  const row = await prisma.conversion.findUniqueOrThrow({
    where: { id },
    include: { fraudFlags: true, commissions: true },
  });
  return { ...row, rules: row.fraudFlags.map((f) => [f.rule, f.action]) };
}

const HOLD = { action: 'HOLD' };

describe('fraud rules', () => {
  test('every rule starts on, flagging only; clean traffic fires none', async () => {
    const s = await setup();
    const rules = (
      await ok(
        'query($id: ID!) { program(id: $id) { fraudRules { rule enabled action maxClicks windowMinutes minSeconds multiple extraDomains } } }',
        { id: s.program.id },
        s.merchant.token,
      )
    ).program.fraudRules;
    expect(rules.map((r: { rule: string }) => r.rule)).toEqual([
      'SELF_REFERRAL',
      'CLICK_FLOODING',
      'CONVERSION_VELOCITY',
      'TOO_FAST',
      'DUPLICATE_CUSTOMER',
      'DISPOSABLE_EMAIL',
      'AMOUNT_OUTLIER',
      'BOT_USER_AGENT',
    ]);
    expect(rules.every((r: { enabled: boolean; action: string }) => r.enabled && r.action === 'FLAG')).toBe(
      true,
    );
    expect(rules[1]).toMatchObject({ maxClicks: 20, windowMinutes: 60, minSeconds: null });
    for (const n of [1, 2, 3]) {
      const c = await click(s);
      const clean = await sale(s, {
        click: c,
        customerId: `clean-${n}-${randomUUID()}`,
        email: `shopper${n}.${randomUUID().slice(0, 6)}@gmail.com`,
      });
      expect(clean).toMatchObject({ status: 'ACCEPTED', rules: [], attribution: 'CLICK' });
      expect(clean.commissions).toHaveLength(1);
    }
  });

  test('self-referral: the affiliate’s own email, its own id, its sign-in IP', async () => {
    const s = await setup();
    await rule(s, { rule: 'SELF_REFERRAL', ...HOLD });
    const c = await click(s);
    const byEmail = await sale(s, { click: c, email: 'Partners@Affiliate.example' });
    expect(byEmail).toMatchObject({ status: 'HELD', rules: [['SELF_REFERRAL', 'HOLD']] });
    expect(byEmail.fraudFlags[0]!.evidence).toEqual({ matched: ['EMAIL'] });
    const byId = await sale(s, { click: c, customerId: s.aff.user.userId });
    expect(byId.fraudFlags[0]!.evidence).toEqual({ matched: ['CUSTOMER_ID'] });

    // The affiliate signs in over HTTP from 192.0.2.44, then clicks its own link from there.
    const response = await fetch(`${http.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.44' },
      body: JSON.stringify({
        query: 'mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }',
        variables: { input: { refreshToken: s.aff.user.refreshToken } },
      }),
    });
    expect(response.status).toBe(200);
    // Only a trusted proxy's X-Forwarded-For counts; the API's own TRUST_PROXY is off in tests, so
    // the socket's address (127.0.0.1) is what was kept.
    const own = await click(s, '127.0.0.1');
    const byIp = await sale(s, { click: own });
    expect(byIp.fraudFlags[0]!.evidence).toEqual({ matched: ['CLICK_IP'] });
    const byConversionIp = await sale(s, { click: c, ip: '127.0.0.1' });
    expect(byConversionIp.fraudFlags[0]!.evidence).toEqual({ matched: ['CONVERSION_IP'] });
    expect(await prisma.accountIpHash.count({ where: { userId: s.aff.user.userId } })).toBe(1);
  });

  test('click flooding rejects: the conversion earns nothing and does not claim its customer', async () => {
    const s = await setup();
    await rule(s, { rule: 'CLICK_FLOODING', action: 'REJECT', maxClicks: 3, windowMinutes: 30 });
    const flooder = ip();
    let last = await click(s, flooder);
    for (let i = 0; i < 4; i++) last = await click(s, flooder);
    const flooded = await sale(s, { click: last, customerId: 'cus-flood' });
    expect(flooded).toMatchObject({
      status: 'REJECTED',
      rules: [['CLICK_FLOODING', 'REJECT']],
      commissions: [],
    });
    expect(flooded.fraudFlags[0]!.evidence).toMatchObject({
      clicksFromIpOnLink: 5,
      clicksFromIpOnAffiliate: 5,
      maxClicks: 3,
    });
    const customer = await prisma.customer.findFirstOrThrow({
      where: { programId: s.program.id, externalId: 'cus-flood' },
    });
    expect(customer.enrollmentId).toBeNull();
    const fine = await click(s);
    expect((await sale(s, { click: fine })).status).toBe('ACCEPTED');
  });

  test('conversion velocity: per click, per IP, per customer', async () => {
    const s = await setup();
    await rule(s, { rule: 'CONVERSION_VELOCITY', ...HOLD, maxConversions: 2, windowMinutes: 60 });
    const c = await click(s);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await sale(s, { click: c })).status);
    expect(statuses).toEqual(['ACCEPTED', 'ACCEPTED', 'HELD']);
    const byIp = [];
    for (let i = 0; i < 3; i++) byIp.push(await sale(s, { ip: '203.0.113.9', click: await click(s) }));
    expect(byIp[2]!.fraudFlags[0]!.evidence).toMatchObject({ byIp: 3, maxConversions: 2 });
    const byCustomer = [];
    for (let i = 0; i < 3; i++)
      byCustomer.push(await sale(s, { customerId: 'cus-v', click: await click(s) }));
    expect(byCustomer.map((v) => v.status)).toEqual(['ACCEPTED', 'ACCEPTED', 'HELD']);
    expect(byCustomer[2]!.fraudFlags[0]!.evidence).toMatchObject({ byCustomer: 3 });
  });

  test('too fast: a conversion seconds after its click', async () => {
    const s = await setup();
    const c = await click(s);
    const quick = await sale(s, { click: c, occurredAt: new Date(c.at.getTime() + 3_000).toISOString() });
    expect(quick).toMatchObject({ status: 'ACCEPTED', rules: [['TOO_FAST', 'FLAG']] });
    expect(quick.fraudFlags[0]!.evidence).toEqual({ clickId: c.id, secondsAfterClick: 3, minSeconds: 10 });
    await rule(s, { rule: 'TOO_FAST', action: 'REJECT', minSeconds: 30 });
    const c2 = await click(s);
    const rejected = await sale(s, {
      click: c2,
      occurredAt: new Date(c2.at.getTime() + 20_000).toISOString(),
    });
    expect(rejected).toMatchObject({ status: 'REJECTED', commissions: [] });
  });

  test('duplicate customer across affiliates, disposable emails, bots', async () => {
    const s = await setup();
    const other = await affiliate('Other');
    const applied = await apply(other.user.token, s.program.id, other.org.id);
    await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, s.merchant.token);
    const otherLink = (
      await ok(
        'mutation($input: CreateLinkInput!) { createLink(input: $input) { id code } }',
        { input: { enrollmentId: applied.id } },
        other.user.token,
      )
    ).createLink;
    await rule(s, { rule: 'DUPLICATE_CUSTOMER', ...HOLD });
    const a = await click(s);
    await sale(s, { click: a, customerId: 'cus-a', email: 'twice@example.com' });
    const b = await click({ link: otherLink });
    const dup = await sale(s, { click: b, customerId: 'cus-b', email: 'twice@example.com' });
    expect(dup).toMatchObject({
      status: 'HELD',
      enrollmentId: applied.id,
      rules: [['DUPLICATE_CUSTOMER', 'HOLD']],
    });
    expect(dup.fraudFlags[0]!.evidence).toEqual({ otherEnrollmentId: s.enrollmentId });

    await rule(s, { rule: 'DISPOSABLE_EMAIL', extraDomains: ['Burner.test'] });
    const c = await click(s);
    expect((await sale(s, { click: c, email: 'x@mailinator.com' })).rules).toEqual([
      ['DISPOSABLE_EMAIL', 'FLAG'],
    ]);
    const own = await sale(s, { click: c, email: 'x@mail.burner.test' });
    expect(own.fraudFlags[0]!.evidence).toEqual({ domain: 'mail.burner.test' });

    const bot = await sale(s, { click: c, userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
    expect(bot.rules).toEqual([['BOT_USER_AGENT', 'FLAG']]);
  });

  test('amount outliers against the program’s average sale', async () => {
    const s = await setup();
    await rule(s, { rule: 'AMOUNT_OUTLIER', enabled: false });
    for (let i = 0; i < 5; i++) await sale(s, { click: await click(s), amount: 2_000 });
    await rule(s, { rule: 'AMOUNT_OUTLIER', enabled: true, ...HOLD, multiple: 10, minSamples: 5 });
    expect((await sale(s, { click: await click(s), amount: 19_999 })).status).toBe('ACCEPTED');
    const big = await sale(s, { click: await click(s), amount: 20_000 });
    expect(big).toMatchObject({ status: 'HELD', rules: [['AMOUNT_OUTLIER', 'HOLD']] });
    expect(big.fraudFlags[0]!.evidence).toEqual({
      amount: 20_000,
      averageAmount: 2_000,
      samples: 5,
      multiple: 10,
    });
  });

  test('the snippet’s conversions carry the visitor’s browser', async () => {
    const s = await setup();
    const { key } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'PUBLISHABLE');
    const c = await click(s);
    const response = await fetch(`${http.url}/track/conversion`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'curl/8.5.0',
        'x-forwarded-for': '203.0.113.50',
        origin: 'https://tiered.example',
      },
      body: JSON.stringify({
        type: 'sale',
        key,
        orderId: `snip-${c.id}`,
        amount: 5_000,
        currency: 'USD',
        clickId: c.id,
      }),
    });
    expect(response.status).toBe(201);
    const { conversionId } = await response.json();
    const row = await prisma.conversion.findUniqueOrThrow({
      where: { id: conversionId },
      include: { fraudFlags: true },
    });
    expect(row.userAgent).toBe('curl/8.5.0');
    expect(row.ipHash).toMatch(/^[\w-]{43}$/);
    expect(row.fraudFlags.map((f) => f.rule).sort()).toEqual(['BOT_USER_AGENT', 'TOO_FAST']);
  });

  test('bad settings are refused with the field and change nothing; only the merchant’s admins may change them', async () => {
    const s = await setup();
    const query = 'mutation($input: UpdateFraudRuleInput!) { updateFraudRule(input: $input) { rule } }';
    const wrongField = await failsWith(
      query,
      { input: { programId: s.program.id, rule: 'TOO_FAST', maxClicks: 5 } },
      s.merchant.token,
    );
    expect(wrongField).toBe('INVALID_INPUT');
    const result = await gql(
      query,
      { input: { programId: s.program.id, rule: 'TOO_FAST', minSeconds: 0 } },
      s.merchant.token,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_INPUT',
      issues: [{ path: 'input.minSeconds', message: 'must be at least 1' }],
    });
    expect(
      await failsWith(
        query,
        { input: { programId: s.program.id, rule: 'DISPOSABLE_EMAIL', extraDomains: ['not a domain'] } },
        s.merchant.token,
      ),
    ).toBe('INVALID_INPUT');
    expect(
      await failsWith(
        query,
        { input: { programId: s.program.id, rule: 'TOO_FAST', action: 'HOLD' } },
        s.aff.user.token,
      ),
    ).toBe('NOT_FOUND');
    expect(await prisma.fraudRuleSetting.count({ where: { programId: s.program.id } })).toBe(0);
  });
});

describe('the review queue', () => {
  const REVIEW = `mutation($input: ReviewConversionInput!) { reviewConversion(input: $input) {
    id status commissions { status } reviews { outcome reason decidedBy } } }`;

  async function held(s: Setup, n: number) {
    await rule(s, { rule: 'SELF_REFERRAL', ...HOLD });
    const list = [];
    for (let i = 0; i < n; i++)
      list.push(await sale(s, { click: await click(s), email: 'partners@affiliate.example' }));
    return list;
  }

  test('held conversions wait; approval lets them go on, rejection rejects their commissions', async () => {
    const s = await setup();
    await ok(
      'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
      {
        input: {
          organizationId: s.aff.org.id,
          url: 'https://hooks.example/affiliate',
          events: ['CONVERSION_REVIEWED'],
        },
      },
      s.aff.user.token,
    );
    const [keep, drop] = await held(s, 2);
    const queue = (
      await ok(
        `query($id: ID!) { program(id: $id) { reviewQueue { edges { node { id status fraudFlags { rule action evidence } } } } } }`,
        { id: s.program.id },
        s.merchant.token,
      )
    ).program.reviewQueue.edges.map((e: { node: { id: string } }) => e.node);
    expect(queue.map((n: { id: string }) => n.id)).toEqual([keep!.id, drop!.id]);
    expect(queue[0].fraudFlags).toEqual([
      { rule: 'SELF_REFERRAL', action: 'HOLD', evidence: { matched: ['EMAIL'] } },
    ]);

    // Held commissions are not approved: not when their hold ends, not by hand.
    await prisma.commission.updateMany({
      where: { programId: s.program.id },
      data: { holdUntil: new Date(Date.now() - 1) },
    });
    await approveDue({ programId: s.program.id });
    expect(await prisma.commission.count({ where: { programId: s.program.id, status: 'PENDING' } })).toBe(2);
    expect(
      await failsWith(
        'mutation($input: ApproveCommissionInput!) { approveCommission(input: $input) { id } }',
        { input: { commissionId: keep!.commissions[0]!.id } },
        s.merchant.token,
      ),
    ).toBe('CONFLICT');

    const approved = (
      await ok(
        REVIEW,
        { input: { conversionId: keep!.id, outcome: 'APPROVE', reason: 'Known reviewer, real order' } },
        s.merchant.token,
      )
    ).reviewConversion;
    expect(approved).toMatchObject({
      status: 'ACCEPTED',
      reviews: [{ outcome: 'APPROVE', reason: 'Known reviewer, real order', decidedBy: 'Merchant' }],
    });
    await approveDue({ programId: s.program.id });
    const rejected = (
      await ok(
        REVIEW,
        { input: { conversionId: drop!.id, outcome: 'REJECT', reason: 'Bought with own card' } },
        s.merchant.token,
      )
    ).reviewConversion;
    expect(rejected).toMatchObject({ status: 'REJECTED', commissions: [{ status: 'REJECTED' }] });
    expect(
      (await prisma.commission.findMany({ where: { programId: s.program.id }, orderBy: { id: 'asc' } })).map(
        (c) => [c.conversionId, c.status, c.amount],
      ),
    ).toEqual([
      [keep!.id, 'APPROVED', 800],
      [drop!.id, 'REJECTED', 800],
    ]);
    const entries = await prisma.ledgerEntry.findMany({
      where: { commissionId: drop!.commissions[0]!.id },
      orderBy: { id: 'asc' },
    });
    expect(entries.map((e) => [e.type, e.account, e.amount, e.memo])).toEqual([
      ['EARNED', 'PENDING', 800, null],
      ['REJECTED', 'PENDING', -800, 'conversion rejected on review: Bought with own card'],
    ]);
    expect(await checkLedger(prisma, { organizationId: s.merchantOrg.id })).toEqual([]);
    expect(
      await failsWith(
        REVIEW,
        { input: { conversionId: drop!.id, outcome: 'APPROVE', reason: 'again' } },
        s.merchant.token,
      ),
    ).toBe('CONFLICT');
    const events = await prisma.webhookEvent.findMany({
      where: { organizationId: s.aff.org.id, type: 'CONVERSION_REVIEWED' },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => (e.payload as { data: { outcome: string } }).data.outcome)).toEqual([
      'APPROVE',
      'REJECT',
    ]);
  });

  test('affiliates see their status and the review’s reason, never evidence; other affiliates see nothing', async () => {
    const s = await setup();
    const [conversion] = await held(s, 1);
    await ok(
      REVIEW,
      { input: { conversionId: conversion!.id, outcome: 'REJECT', reason: 'Self-purchase' } },
      s.merchant.token,
    );
    const own = (
      await ok(
        `query($id: ID!) { enrollment(id: $id) { risk { conversions } conversions { edges { node { status fraudFlags { rule } reviews { outcome reason decidedBy } } } } } }`,
        { id: s.enrollmentId },
        s.aff.user.token,
      )
    ).enrollment;
    expect(own.risk).toBeNull();
    expect(own.conversions.edges[0].node).toEqual({
      status: 'REJECTED',
      fraudFlags: null,
      reviews: [{ outcome: 'REJECT', reason: 'Self-purchase', decidedBy: null }],
    });
    const stranger = await affiliate('Stranger');
    expect(
      await failsWith(
        'query($id: ID!) { enrollment(id: $id) { conversions { edges { node { fraudFlags { evidence } } } } } }',
        { id: s.enrollmentId },
        stranger.user.token,
      ),
    ).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
    expect(
      await failsWith(
        'query($id: ID!) { program(id: $id) { reviewQueue { edges { node { id } } } } }',
        { id: s.program.id },
        s.aff.user.token,
      ),
    ).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
    expect(
      await failsWith(
        REVIEW,
        { input: { conversionId: conversion!.id, outcome: 'APPROVE', reason: 'mine' } },
        s.aff.user.token,
      ),
    ).toBe('NOT_FOUND');
  });

  test('the risk summary counts flags by rule and the share held', async () => {
    const s = await setup();
    await held(s, 2);
    await sale(s, { click: await click(s) });
    const c = await click(s);
    await sale(s, { click: c, occurredAt: new Date(c.at.getTime() + 1_000).toISOString() });
    const [risk] = (
      await ok(
        `query($id: ID!) { program(id: $id) { affiliateRisk { enrollment { id } affiliateName conversions flagged held awaitingReview rejected heldShare flags { rule count } } } }`,
        { id: s.program.id },
        s.merchant.token,
      )
    ).program.affiliateRisk;
    expect(risk).toEqual({
      enrollment: { id: s.enrollmentId },
      affiliateName: 'Affiliate Reviews',
      conversions: 4,
      flagged: 3,
      held: 2,
      awaitingReview: 2,
      rejected: 0,
      heldShare: 0.5,
      flags: [
        { rule: 'SELF_REFERRAL', count: 2 },
        { rule: 'TOO_FAST', count: 1 },
      ],
    });
  });
});
