import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { bookClickCommissions } from '../../src/commissions/clicks.ts';
import { startCommissionJobs } from '../../src/commissions/jobs.ts';
import { book } from '../../src/commissions/ledger.ts';
import { approveDue, lockCommissions } from '../../src/commissions/lifecycle.ts';
import { prisma } from '../../src/db.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { uuidv7 } from '../../src/ids.ts';
import { createApiKey, failsWith, gql, ok } from '../helpers.ts';
import { approvedEnrollment, tieredTerms } from '../programs.ts';

const dayMs = 86_400_000;
const COMMISSION = 'id kind status amount history { type account amount memo }';
const TRACK_SALE = `mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversion { id commissions { ${COMMISSION} } } } }`;
const REFUND = `mutation($input: RefundSaleInput!) { refundSale(input: $input) {
  replayed adjustment { kind refundId amount reason } conversion { refundedAmount commissions { ${COMMISSION} } } } }`;
const APPROVE = `mutation($input: ApproveCommissionInput!) { approveCommission(input: $input) { ${COMMISSION} } }`;
const REJECT = `mutation($input: RejectCommissionInput!) { rejectCommission(input: $input) { ${COMMISSION} } }`;
const APPROVE_DUE = 'mutation($programId: ID!) { approveDueCommissions(programId: $programId) { approved } }';

/** A program paying 8% with one approved affiliate, and the merchant's secret key. */
async function setup() {
  const s = await approvedEnrollment();
  const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  return { ...s, secret };
}
type Setup = Awaited<ReturnType<typeof setup>>;

/** A sale attributed by coupon to the affiliate; returns its order id and its one commission. */
async function sale(s: Setup, amount = 12_345) {
  const code = `C${randomUUID().slice(0, 8)}`.toUpperCase();
  await ok(
    'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
    { input: { enrollmentId: s.enrollmentId, code } },
    s.merchant.token,
  );
  const orderId = `order-${randomUUID()}`;
  const data = await ok(
    TRACK_SALE,
    { input: { programId: s.program.id, orderId, amount, currency: 'USD', couponCode: code } },
    s.secret,
  );
  const [commission] = data.trackSale.conversion.commissions;
  return { orderId, commission, conversionId: data.trackSale.conversion.id as string };
}

const refund = (s: Setup, orderId: string, extra: Record<string, unknown> = {}) =>
  gql(
    REFUND,
    { input: { programId: s.program.id, orderId, refundId: `re-${randomUUID()}`, ...extra } },
    s.secret,
  );

/** Balances from the ledger must equal what the commissions say. */
async function expectBalancesMatch(enrollmentId: string) {
  const sums = await prisma.ledgerEntry.groupBy({
    by: ['account'],
    where: { enrollmentId },
    _sum: { amount: true },
  });
  const ledger = (account: string) => sums.find((s) => s.account === account)?._sum.amount ?? 0;
  const commissions = await prisma.commission.findMany({ where: { enrollmentId } });
  const total = (status: string) =>
    commissions.filter((c) => c.status === status).reduce((sum, c) => sum + c.amount, 0);
  expect(ledger('PENDING')).toBe(total('PENDING'));
  expect(ledger('APPROVED')).toBe(total('APPROVED'));
  // What was paid stays paid; reversals after payment are owed back.
  const clawbacks = await prisma.ledgerEntry.aggregate({
    where: { enrollmentId, type: 'CLAWBACK' },
    _sum: { amount: true },
  });
  expect(ledger('OWED')).toBe(clawbacks._sum.amount ?? 0);
  expect(ledger('PAID') - ledger('OWED')).toBe(total('PAID'));
}

describe('approval after the holding period', () => {
  test('due commissions are approved once each, even when two runs race; others wait', async () => {
    const s = await setup();
    const sales = await Promise.all([sale(s), sale(s), sale(s, 50_000)]);
    // The last one is not due: its holding period ends later.
    await prisma.commission.update({
      where: { id: sales[2]!.commission.id },
      data: { holdUntil: new Date(Date.now() + 90 * dayMs) },
    });
    const later = new Date(Date.now() + 31 * dayMs);
    const [a, b] = await Promise.all([
      approveDue({ now: later, programId: s.program.id }),
      approveDue({ now: later, programId: s.program.id }),
    ]);
    expect(a + b).toBe(2);
    const rows = await prisma.commission.findMany({
      where: { enrollmentId: s.enrollmentId },
      orderBy: { amount: 'asc' },
    });
    expect(rows.map((c) => [c.amount, c.status])).toEqual([
      [988, 'APPROVED'],
      [988, 'APPROVED'],
      [4000, 'PENDING'],
    ]);
    const approvals = await prisma.ledgerEntry.findMany({
      where: { enrollmentId: s.enrollmentId, type: 'APPROVED' },
    });
    expect(approvals.map((e) => [e.account, e.amount]).sort()).toEqual([
      ['APPROVED', 988],
      ['APPROVED', 988],
      ['PENDING', -988],
      ['PENDING', -988],
    ]);
    expect(await approveDue({ now: later, programId: s.program.id })).toBe(0);
    await expectBalancesMatch(s.enrollmentId);
  });

  test('a commission whose conversion waits in review is not approved by the clock', async () => {
    const s = await setup();
    const held = await sale(s);
    await prisma.conversion.update({ where: { id: held.conversionId }, data: { status: 'HELD' } });
    expect(await approveDue({ now: new Date(Date.now() + 31 * dayMs), programId: s.program.id })).toBe(0);
  });

  test('the server approves on its own schedule, and the merchant can run it on demand', async () => {
    const s = await setup();
    const due = await sale(s);
    await prisma.commission.update({ where: { id: due.commission.id }, data: { holdUntil: new Date() } });
    const approvals = startCommissionJobs(20, { info: () => {}, error: () => {} });
    try {
      await expect
        .poll(async () => (await prisma.commission.findUnique({ where: { id: due.commission.id } }))?.status)
        .toBe('APPROVED');
    } finally {
      await approvals.stop();
    }

    const next = await sale(s);
    await prisma.commission.update({ where: { id: next.commission.id }, data: { holdUntil: new Date() } });
    expect(await failsWith(APPROVE_DUE, { programId: s.program.id }, s.aff.user.token)).toBe('NOT_FOUND');
    expect((await ok(APPROVE_DUE, { programId: s.program.id }, s.secret)).approveDueCommissions).toEqual({
      approved: 1,
    });
  });
});

describe("the merchant's decisions", () => {
  test('approve early or reject with a reason the affiliate reads; a decided commission stays decided', async () => {
    const s = await setup();
    const first = await sale(s);
    const second = await sale(s);

    const approved = await ok(
      APPROVE,
      { input: { commissionId: first.commission.id, reason: 'Shipped' } },
      s.merchant.token,
    );
    expect(approved.approveCommission).toMatchObject({
      status: 'APPROVED',
      amount: 988,
      history: [
        { type: 'EARNED', account: 'PENDING', amount: 988, memo: null },
        { type: 'APPROVED', account: 'PENDING', amount: -988, memo: 'Shipped' },
        { type: 'APPROVED', account: 'APPROVED', amount: 988, memo: 'Shipped' },
      ],
    });

    expect(
      await failsWith(REJECT, { input: { commissionId: second.commission.id, reason: ' ' } }, s.secret),
    ).toBe('INVALID_INPUT');
    expect(
      await failsWith(
        REJECT,
        { input: { commissionId: second.commission.id, reason: 'Mine' } },
        s.aff.user.token,
      ),
    ).toBe('NOT_FOUND');
    await ok(REJECT, { input: { commissionId: second.commission.id, reason: 'Order cancelled' } }, s.secret);
    const seen = await ok(
      `query($id: ID!) { enrollment(id: $id) { commissions(first: 5) { edges { node { ${COMMISSION} } } } } }`,
      { id: s.enrollmentId },
      s.aff.user.token,
    );
    expect(seen.enrollment.commissions.edges[0].node).toMatchObject({
      id: second.commission.id,
      status: 'REJECTED',
      history: [
        { type: 'EARNED', amount: 988 },
        { type: 'REJECTED', account: 'PENDING', amount: -988, memo: 'Order cancelled' },
      ],
    });

    for (const commissionId of [first.commission.id, second.commission.id]) {
      expect(await failsWith(REJECT, { input: { commissionId, reason: 'Again' } }, s.secret)).toBe(
        'CONFLICT',
      );
      expect(await failsWith(APPROVE, { input: { commissionId } }, s.secret)).toBe('CONFLICT');
    }
    expect(await prisma.ledgerEntry.count({ where: { enrollmentId: s.enrollmentId } })).toBe(5);
    await expectBalancesMatch(s.enrollmentId);
  });
});

describe('refunds, chargebacks and clawbacks', () => {
  test('a partial then a full refund reverses the commission in proportion, to the cent; a replay changes nothing', async () => {
    const s = await setup();
    const { orderId, commission } = await sale(s);
    const refundId = 're-1';
    const partial = await gql(
      REFUND,
      { input: { programId: s.program.id, orderId, refundId, amount: 4_000, reason: 'One item back' } },
      s.secret,
    );
    expect(partial.errors).toBeUndefined();
    // 988 × 4,000 / 12,345 = 320.13 → 320
    expect(partial.data.refundSale).toMatchObject({
      replayed: false,
      adjustment: { kind: 'REFUND', refundId, amount: 4_000, reason: 'One item back' },
      conversion: {
        refundedAmount: 4_000,
        commissions: [
          {
            status: 'PENDING',
            amount: 668,
            history: [
              { type: 'EARNED', account: 'PENDING', amount: 988 },
              { type: 'REVERSED', account: 'PENDING', amount: -320, memo: 'refund re-1: One item back' },
            ],
          },
        ],
      },
    });

    const replay = await gql(
      REFUND,
      { input: { programId: s.program.id, orderId, refundId, amount: 4_000 } },
      s.secret,
    );
    expect(replay.data.refundSale).toMatchObject({ replayed: true, conversion: { refundedAmount: 4_000 } });
    expect(
      (await refund(s, orderId, { amount: 8_346 })).errors?.[0]?.extensions,
      'more than what is left',
    ).toMatchObject({ code: 'INVALID_INPUT', issues: [{ path: 'amount' }] });
    expect(
      (await gql(REFUND, { input: { programId: s.program.id, orderId, refundId, amount: 5 } }, s.secret))
        .errors?.[0]?.extensions.code,
    ).toBe('CONFLICT');

    const rest = await refund(s, orderId);
    expect(rest.data.refundSale.conversion).toMatchObject({
      refundedAmount: 12_345,
      commissions: [{ id: commission.id, status: 'REVERSED', amount: 0 }],
    });
    expect(rest.data.refundSale.conversion.commissions[0].history.at(-1)).toMatchObject({
      type: 'REVERSED',
      amount: -668,
    });
    expect((await refund(s, orderId, { amount: 1 })).errors?.[0]?.extensions.code).toBe('CONFLICT');
    expect(await prisma.conversionAdjustment.count({ where: { conversion: { externalId: orderId } } })).toBe(
      2,
    );
    await expectBalancesMatch(s.enrollmentId);
  });

  test('after approval the reversal leaves the approved balance; after payment it is a clawback owed back', async () => {
    const s = await setup();
    const approvedSale = await sale(s);
    await ok(APPROVE, { input: { commissionId: approvedSale.commission.id } }, s.secret);
    const afterApproval = await refund(s, approvedSale.orderId, { amount: 12_345 });
    expect(afterApproval.data.refundSale.conversion.commissions[0]).toMatchObject({
      status: 'REVERSED',
      amount: 0,
    });
    expect(afterApproval.data.refundSale.conversion.commissions[0].history.at(-1)).toMatchObject({
      type: 'REVERSED',
      account: 'APPROVED',
      amount: -988,
    });

    // Paid by a payout (the payouts issue builds the run; here the state is set directly).
    const paidSale = await sale(s, 20_000);
    await ok(APPROVE, { input: { commissionId: paidSale.commission.id } }, s.secret);
    await prisma.$transaction(async (tx) => {
      await tx.commission.update({ where: { id: paidSale.commission.id }, data: { status: 'PAID' } });
      const [locked] = await lockCommissions(tx, Prisma.sql`c.id = ${paidSale.commission.id}::uuid`);
      await book(tx, [
        {
          commission: locked!,
          movement: { type: 'PAYOUT', from: 'APPROVED', to: 'PAID', amount: 1_600, key: 'test-payout' },
        },
      ]);
    });
    const chargeback = await refund(s, paidSale.orderId, { kind: 'CHARGEBACK', reason: 'Disputed' });
    expect(chargeback.data.refundSale).toMatchObject({
      adjustment: { kind: 'CHARGEBACK', amount: 20_000 },
      conversion: { commissions: [{ status: 'PAID', amount: 0 }] },
    });
    expect(chargeback.data.refundSale.conversion.commissions[0].history.at(-1)).toMatchObject({
      type: 'CLAWBACK',
      account: 'OWED',
      amount: 1_600,
    });
    const owed = await prisma.ledgerEntry.aggregate({
      where: { enrollmentId: s.enrollmentId, account: 'OWED' },
      _sum: { amount: true },
    });
    expect(owed._sum.amount).toBe(1_600);
    await expectBalancesMatch(s.enrollmentId);
  });

  test('refunded sales leave the volume that tiers count', async () => {
    const s = await approvedEnrollment({
      terms: {
        ...tieredTerms,
        tiers: { basis: 'COUNT', period: 'MONTH', levels: [{ threshold: 2, rateBps: 1000 }] },
      },
    });
    const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
    const t = { ...s, secret };
    await sale(t);
    const second = await sale(t);
    await refund(t, second.orderId);
    // One sale kept this month: the next one is still below the 2-sale tier (8%, not 10%).
    expect((await sale(t)).commission.amount).toBe(988);
    expect((await sale(t)).commission.amount).toBe(1_235);
  });

  test('concurrent reports of one refund record it once', async () => {
    const s = await setup();
    const { orderId } = await sale(s);
    const input = { programId: s.program.id, orderId, refundId: 'dup', amount: 6_000 };
    const results = await Promise.all(Array.from({ length: 8 }, () => gql(REFUND, { input }, s.secret)));
    for (const r of results) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(results.filter((r) => !r.data.refundSale.replayed)).toHaveLength(1);
    expect(await prisma.conversionAdjustment.count({ where: { conversion: { externalId: orderId } } })).toBe(
      1,
    );
    // 988 × 6,000 / 12,345 = 480.2 → 480, reversed once.
    expect(
      await prisma.ledgerEntry.findMany({
        where: { enrollmentId: s.enrollmentId, type: 'REVERSED' },
        select: { amount: true },
      }),
    ).toEqual([{ amount: -480 }]);
  });

  test('refunds of unknown orders, of leads, of another merchant’s sale, or with bad amounts are refused and write nothing', async () => {
    const s = await setup();
    const other = await setup();
    const { orderId } = await sale(s);
    const lead = await ok(
      'mutation($input: TrackLeadInput!) { trackLead(input: $input) { conversion { id } } }',
      { input: { programId: s.program.id, leadId: 'lead-1', consent: false } },
      s.secret,
    );
    expect(lead.trackLead.conversion.id).toBeTruthy();
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ orderId: 'no-such-order' }, 'NOT_FOUND'],
      [{ orderId: 'lead-1' }, 'NOT_FOUND'],
      [{ orderId, amount: -5 }, 'INVALID_INPUT'],
      [{ orderId, amount: 0 }, 'INVALID_INPUT'],
      [{ orderId, amount: 1.5 }, 'INVALID_INPUT'],
      [{ orderId, refundId: '' }, 'INVALID_INPUT'],
      [{ orderId }, 'NOT_FOUND', other.secret],
    ];
    for (const [extra, code, credential] of cases) {
      const result = await gql(
        REFUND,
        { input: { programId: s.program.id, refundId: 'r', ...extra } },
        credential ?? s.secret,
      );
      expect(result.errors?.[0]?.extensions.code, JSON.stringify(extra)).toBe(code);
    }
    expect(
      await prisma.conversionAdjustment.count({ where: { conversion: { programId: s.program.id } } }),
    ).toBe(0);
    expect(
      await prisma.ledgerEntry.count({ where: { enrollmentId: s.enrollmentId, type: { not: 'EARNED' } } }),
    ).toBe(0);
  });
});

describe('click commissions', () => {
  test("each finished day's unique clicks are paid once, at the click amount of the terms in force", async () => {
    const s = await approvedEnrollment({ terms: { ...tieredTerms, clickAmount: 5 } });
    const today = Math.floor(Date.now() / dayMs) * dayMs;
    // The program started three days ago.
    await prisma.commissionTerms.updateMany({
      where: { programId: s.program.id },
      data: { effectiveAt: new Date(today - 3 * dayMs) },
    });
    const clickAt = async (at: number, isUnique = true) =>
      prisma.click.create({
        data: {
          id: uuidv7(at),
          programId: s.program.id,
          enrollmentId: s.enrollmentId,
          source: 'REDIRECT',
          createdAt: new Date(at),
          isUnique,
        },
      });
    for (const at of [today - 2 * dayMs + 1, today - 2 * dayMs + 5_000, today - dayMs, today - 1])
      await clickAt(at);
    await clickAt(today - dayMs + 60_000, false); // a repeat visit: not paid
    await clickAt(today + 1); // today: paid once the day is over

    const runs = await Promise.all([bookClickCommissions(), bookClickCommissions()]);
    expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    const rows = await prisma.commission.findMany({
      where: { enrollmentId: s.enrollmentId },
      orderBy: { dedupeKey: 'asc' },
      include: { ledgerEntries: true },
    });
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);
    expect(rows.map((c) => [c.kind, c.amount, c.status, c.reason])).toEqual([
      ['CLICK', 10, 'PENDING', `${day(today - 2 * dayMs)}: 2 unique clicks × 5`],
      ['CLICK', 10, 'PENDING', `${day(today - dayMs)}: 2 unique clicks × 5`],
    ]);
    expect(rows.map((c) => c.ledgerEntries.map((e) => [e.type, e.account, e.amount]))).toEqual([
      [['EARNED', 'PENDING', 10]],
      [['EARNED', 'PENDING', 10]],
    ]);
    // Held like any commission: 30 days after the day ends.
    expect(rows[1]!.holdUntil.getTime()).toBe(today + 30 * dayMs);

    await bookClickCommissions();
    expect(await prisma.commission.count({ where: { enrollmentId: s.enrollmentId } })).toBe(2);
    await bookClickCommissions(new Date(today + dayMs + 1_000));
    expect(
      await prisma.commission.findFirst({
        where: { enrollmentId: s.enrollmentId },
        orderBy: { dedupeKey: 'desc' },
      }),
    ).toMatchObject({ amount: 5, reason: `${day(today)}: flat 5 per click` });
  });
});
