import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveDue } from '../../src/commissions/lifecycle.ts';
import { prisma } from '../../src/db.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { deliverDue, fanOut, startWebhookWorker } from '../../src/webhooks/worker.ts';
import { createApiKey, failsWith, ok } from '../helpers.ts';
import { activeProgram, affiliate, apply, approvedEnrollment, decide } from '../programs.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers with the statuses queued in `replies`, then 200. */
let received: Received[] = [];
let replies: number[] = [];
let receiverUrl = '';
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.writeHead(replies.shift() ?? 200, { 'content-type': 'text/plain' });
    res.end('thanks');
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  secret endpoint { id url events enabled } } }`;
const LOG = `query($id: ID!) { organization(id: $id) { webhookEndpoints { id enabled consecutiveFailures disabledReason
  deliveries(first: 10) { edges { node { eventType status attemptCount attempts { statusCode error } } } } } } }`;

async function setup(events = ['CONVERSION_CREATED']) {
  const s = await approvedEnrollment();
  const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const created = await ok(
    CREATE,
    { input: { organizationId: s.merchantOrg.id, url: receiverUrl, events } },
    s.merchant.token,
  );
  received = [];
  replies = [];
  return { ...s, secret, endpoint: created.createWebhookEndpoint };
}

async function sale(s: Awaited<ReturnType<typeof setup>>, amount = 12_345) {
  const code = `W${randomUUID().slice(0, 8)}`.toUpperCase();
  await ok(
    'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
    { input: { enrollmentId: s.enrollmentId, code } },
    s.merchant.token,
  );
  const data = await ok(
    'mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversionId } }',
    {
      input: {
        programId: s.program.id,
        orderId: `o-${randomUUID()}`,
        amount,
        currency: 'USD',
        couponCode: code,
      },
    },
    s.secret,
  );
  return data.trackSale.conversionId as string;
}

const deliverAll = async (now?: Date) => {
  while ((await fanOut()) > 0);
  return deliverDue({ now, baseDelayMs: 1_000 });
};

describe('webhooks', () => {
  test('a conversion is delivered once, signed with the documented algorithm', async () => {
    const s = await setup();
    expect(s.endpoint.endpoint).toMatchObject({
      url: receiverUrl,
      events: ['CONVERSION_CREATED'],
      enabled: true,
    });
    expect(s.endpoint.secret).toMatch(/^whsec_/);
    const conversionId = await sale(s);
    expect(await deliverAll()).toBe(1);
    expect(await deliverAll()).toBe(0);
    expect(received).toHaveLength(1);
    const [request] = received;
    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({
      type: 'conversion.created',
      data: {
        conversionId,
        programId: s.program.id,
        amount: 12_345,
        attribution: 'COUPON',
        commissions: [{ kind: 'SALE', amount: 988, currency: 'USD' }],
      },
    });
    expect(request!.headers['webhook-id']).toBe(body.id);
    const header = String(request!.headers['webhook-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(s.endpoint.secret, header, request!.body)).toBe(true);
    expect(verifySignature(s.endpoint.secret, header, request!.body.replace('12345', '99999'))).toBe(false);
    expect(verifySignature('whsec_other', header, request!.body)).toBe(false);
    expect(verifySignature(s.endpoint.secret, header, request!.body, Date.now() + 3_600_000)).toBe(false);
  });

  test('a receiver that fails twice then succeeds gets the event, marked delivered once, with every attempt logged', async () => {
    const s = await setup();
    replies = [500, 503];
    await sale(s);
    await fanOut();
    const start = Date.now();
    expect(await deliverAll(new Date(start))).toBe(1);
    // Not due again before its backoff (1 s, then 2 s).
    expect(await deliverAll(new Date(start + 500))).toBe(0);
    expect(await deliverAll(new Date(start + 1_100))).toBe(1);
    expect(await deliverAll(new Date(start + 2_200))).toBe(0);
    expect(await deliverAll(new Date(start + 3_200))).toBe(1);
    expect(await deliverAll(new Date(start + 3_600_000))).toBe(0);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const log = await ok(LOG, { id: s.merchantOrg.id }, s.merchant.token);
    const [endpoint] = log.organization.webhookEndpoints;
    expect(endpoint.consecutiveFailures).toBe(0);
    expect(endpoint.deliveries.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        eventType: 'CONVERSION_CREATED',
        status: 'DELIVERED',
        attemptCount: 3,
        attempts: [
          { statusCode: 500, error: 'HTTP 500' },
          { statusCode: 503, error: 'HTTP 503' },
          { statusCode: 200, error: null },
        ],
      },
    ]);
  });

  test('two instances sending at once deliver each event once', async () => {
    const s = await setup();
    for (let i = 0; i < 5; i++) await sale(s);
    await Promise.all([fanOut(), fanOut()]);
    await Promise.all([deliverDue(), deliverDue(), deliverDue()]);
    const mine = received.filter((r) => JSON.parse(r.body).data.programId === s.program.id);
    expect(mine).toHaveLength(5);
    expect(new Set(mine.map((r) => r.headers['webhook-id'])).size).toBe(5);
  });

  test('a sent delivery whose outcome cannot be recorded at first is recorded once, and not sent again', async () => {
    const s = await setup();
    await sale(s);
    await fanOut();
    // The database refuses the first two tries to record the attempt, as a connection pool too
    // busy to start a transaction would. A sequence counts them: it is not rolled back.
    await prisma.$executeRawUnsafe('CREATE SEQUENCE refused_records');
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_twice() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval('refused_records') <= 2 THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe(
      'CREATE TRIGGER refuse_twice BEFORE INSERT ON "WebhookAttempt" FOR EACH ROW EXECUTE FUNCTION refuse_twice()',
    );
    try {
      expect(await deliverDue()).toBe(1);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_twice ON "WebhookAttempt"');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_twice');
      await prisma.$executeRawUnsafe('DROP SEQUENCE refused_records');
    }
    // Long after its lease would have ended, nothing is sent again.
    expect(await deliverAll(new Date(Date.now() + 3_600_000))).toBe(0);
    expect(received.filter((r) => JSON.parse(r.body).data.programId === s.program.id)).toHaveLength(1);
    const [delivery] = await prisma.webhookDelivery.findMany({
      where: { endpointId: s.endpoint.endpoint.id },
      include: { attempts: true },
    });
    expect(delivery).toMatchObject({ status: 'DELIVERED', attemptCount: 1 });
    expect(delivery!.attempts).toHaveLength(1);
  });

  test('events written while no worker runs are delivered by the next one to start', async () => {
    const s = await setup();
    await sale(s);
    await sale(s);
    expect(received).toHaveLength(0);
    // What a restart leaves: the outbox in the database, nothing in memory.
    expect(await prisma.webhookEvent.count({ where: { organizationId: s.merchantOrg.id } })).toBe(2);
    const worker = startWebhookWorker(20, { error: () => {} });
    try {
      await expect
        .poll(() => received.filter((r) => JSON.parse(r.body).data.programId === s.program.id).length)
        .toBe(2);
    } finally {
      await worker.stop();
    }
  });

  test('an endpoint failing again and again is disabled; enabled again, its deliveries resume', async () => {
    const s = await setup();
    replies = [500, 500, 500];
    await sale(s);
    await fanOut();
    const start = Date.now();
    for (const after of [0, 1_100, 3_200])
      await deliverDue({ now: new Date(start + after), baseDelayMs: 1_000, disableAfter: 3 });
    const before = await ok(LOG, { id: s.merchantOrg.id }, s.merchant.token);
    expect(before.organization.webhookEndpoints[0]).toMatchObject({
      enabled: false,
      disabledReason: '3 failed attempts in a row',
    });
    expect(await deliverDue({ now: new Date(start + 3_600_000) })).toBe(0);
    await ok(
      'mutation($id: ID!) { setWebhookEndpointEnabled(endpointId: $id, enabled: true) { enabled consecutiveFailures } }',
      { id: s.endpoint.endpoint.id },
      s.merchant.token,
    );
    expect(await deliverDue({ now: new Date(start + 3_600_000) })).toBe(1);
    expect(received.at(-1)).toBeDefined();
    const after = await ok(LOG, { id: s.merchantOrg.id }, s.merchant.token);
    expect(after.organization.webhookEndpoints[0].deliveries.edges[0].node).toMatchObject({
      status: 'DELIVERED',
      attemptCount: 4,
    });
  });

  test('each change tells the merchant and the affiliate that listen for it', async () => {
    const s = await setup([
      'CONVERSION_CREATED',
      'COMMISSION_APPROVED',
      'COMMISSION_REVERSED',
      'PAYOUT_CREATED',
      'PAYOUT_PAID',
    ]);
    await ok(
      CREATE,
      {
        input: {
          organizationId: s.aff.org.id,
          url: receiverUrl,
          events: ['COMMISSION_APPROVED', 'PAYOUT_PAID'],
        },
      },
      s.aff.user.token,
    );
    // Another organization's endpoint cannot be touched.
    expect(
      await failsWith(
        'mutation($id: ID!) { deleteWebhookEndpoint(endpointId: $id) }',
        { id: s.endpoint.endpoint.id },
        s.aff.user.token,
      ),
    ).toBe('NOT_FOUND');
    const conversionIds = [await sale(s, 100_000), await sale(s, 50_000)];
    await prisma.commission.updateMany({
      where: { programId: s.program.id },
      data: { holdUntil: new Date() },
    });
    await approveDue({ programId: s.program.id });
    const conversion = await prisma.conversion.findUniqueOrThrow({ where: { id: conversionIds[1] } });
    await ok(
      'mutation($input: RefundSaleInput!) { refundSale(input: $input) { replayed } }',
      { input: { programId: s.program.id, orderId: conversion.externalId, refundId: 'r', amount: 25_000 } },
      s.secret,
    );
    const run = await ok(
      'mutation($input: RunPayoutInput!) { runPayout(input: $input) { payout { id items { id } } } }',
      { input: { organizationId: s.merchantOrg.id } },
      s.secret,
    );
    const payout = run.runPayout.payout;
    await ok('mutation($id: ID!) { approvePayout(payoutId: $id) { status } }', { id: payout.id }, s.secret);
    await ok(
      'mutation($input: MarkPayoutItemPaidInput!) { markPayoutItemPaid(input: $input) { status } }',
      { input: { itemId: payout.items[0].id, externalReference: 'BANK-1' } },
      s.secret,
    );
    const events = await prisma.webhookEvent.findMany({
      where: { organizationId: { in: [s.merchantOrg.id, s.aff.org.id] } },
      orderBy: { createdAt: 'asc' },
    });
    const of = (org: string) => events.filter((e) => e.organizationId === org).map((e) => e.type);
    expect(of(s.merchantOrg.id)).toEqual([
      'CONVERSION_CREATED',
      'CONVERSION_CREATED',
      'COMMISSION_APPROVED',
      'COMMISSION_APPROVED',
      'COMMISSION_REVERSED',
      'PAYOUT_CREATED',
      'PAYOUT_PAID',
    ]);
    expect(of(s.aff.org.id)).toEqual(['COMMISSION_APPROVED', 'COMMISSION_APPROVED', 'PAYOUT_PAID']);
    const reversed = events.find((e) => e.type === 'COMMISSION_REVERSED')!.payload as {
      data: Record<string, unknown>;
    };
    expect(reversed.data).toMatchObject({ amount: 2_000, reversed: 2_000, clawback: false });
  });

  test('enrollment approvals and terms negotiations reach both sides', async () => {
    const { merchant, org, program } = await activeProgram();
    const aff = await affiliate();
    const events = ['ENROLLMENT_APPROVED', 'TERMS_PROPOSED', 'TERMS_ACCEPTED'];
    await ok(CREATE, { input: { organizationId: org.id, url: receiverUrl, events } }, merchant.token);
    await ok(CREATE, { input: { organizationId: aff.org.id, url: receiverUrl, events } }, aff.user.token);
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token);
    const proposed = await ok(
      'mutation($input: ProposeTermsInput!) { proposeTerms(input: $input) { id } }',
      { input: { enrollmentId: applied.id, changes: { sale: { type: 'PERCENTAGE', rateBps: 1200 } } } },
      aff.user.token,
    );
    await ok(
      'mutation($input: AnswerProposalInput!) { acceptProposal(input: $input) { id } }',
      { input: { proposalId: proposed.proposeTerms.id } },
      merchant.token,
    );
    for (const organizationId of [org.id, aff.org.id]) {
      const written = await prisma.webhookEvent.findMany({
        where: { organizationId },
        orderBy: { createdAt: 'asc' },
      });
      expect(written.map((e) => e.type)).toEqual(events);
      expect((written[2]!.payload as { data: Record<string, unknown> }).data).toMatchObject({
        proposalId: proposed.proposeTerms.id,
        enrollmentId: applied.id,
        changes: { sale: { type: 'PERCENTAGE', rateBps: 1200 } },
      });
    }
  });
});
