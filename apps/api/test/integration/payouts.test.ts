import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { approveDue } from '../../src/commissions/lifecycle.ts';
import { prisma } from '../../src/db.ts';
import { checkLedger } from '../../src/ledger/check.ts';
import { createApiKey, failsWith, gql, ok } from '../helpers.ts';
import { affiliate, apply, approvedEnrollment, decide } from '../programs.ts';

// The default terms of test programs: 8% of sales, 30 holding days, payouts from 50.00.
const RUN = `mutation($input: RunPayoutInput!) { runPayout(input: $input) {
  items rolledOver payout { id status items { id amount currency status affiliate { id } } } } }`;
const REFUND = `mutation($input: RefundSaleInput!) { refundSale(input: $input) { replayed } }`;
const PAID = `mutation($input: MarkPayoutItemPaidInput!) { markPayoutItemPaid(input: $input) {
  status externalReference commissions { status amount } } }`;
const FAILED = `mutation($input: MarkPayoutItemFailedInput!) { markPayoutItemFailed(input: $input) { status failureReason } }`;
const APPROVE = 'mutation($id: ID!) { approvePayout(payoutId: $id) { status } }';
const PROCESS = 'mutation($id: ID!) { startPayoutProcessing(payoutId: $id) { status } }';
const BALANCES = `query($id: ID!) { organization(id: $id) { affiliateProfile { balances { programId currency pending approved paid owed } } } }`;

async function setup() {
  const s = await approvedEnrollment();
  const { key: secret } = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const code = `P${randomUUID().slice(0, 8)}`.toUpperCase();
  await ok(
    'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
    { input: { enrollmentId: s.enrollmentId, code } },
    s.merchant.token,
  );
  return { ...s, secret, code };
}
type Setup = Awaited<ReturnType<typeof setup>>;

async function sale(s: Setup, amount: number, couponCode = s.code) {
  const orderId = `order-${randomUUID()}`;
  await ok(
    'mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversionId } }',
    { input: { programId: s.program.id, orderId, amount, currency: 'USD', couponCode } },
    s.secret,
  );
  return orderId;
}

/** Lets the holding period of everything earned so far end, and the scheduled approval run. */
async function holdingPeriodEnds(programId: string) {
  await prisma.commission.updateMany({
    where: { programId, status: 'PENDING' },
    data: { holdUntil: new Date(Date.now() - 1_000) },
  });
  await approveDue({ programId });
}

const run = (s: Setup) =>
  gql(RUN, { input: { organizationId: s.merchantOrg.id, programId: s.program.id } }, s.secret);

async function pay(s: Setup, payout: { id: string; items: { id: string }[] }, reference: string) {
  await ok(APPROVE, { id: payout.id }, s.secret);
  await ok(PROCESS, { id: payout.id }, s.secret);
  for (const item of payout.items)
    await ok(PAID, { input: { itemId: item.id, externalReference: reference } }, s.secret);
}

async function balance(s: Setup) {
  const data = await ok(BALANCES, { id: s.aff.org.id }, s.aff.user.token);
  return data.organization.affiliateProfile.balances.find(
    (b: { programId: string }) => b.programId === s.program.id,
  );
}

describe('payouts', () => {
  test('a month of commissions with a refund, then a clawback after payment, pays out to the cent', async () => {
    const s = await setup();
    // 8%: 12,345 → 988; 50,000 → 4,000; 20,000 → 1,600
    await sale(s, 12_345);
    const refunded = await sale(s, 50_000);
    const laterRefunded = await sale(s, 20_000);
    // A fifth of the second sale comes back before anything is paid: 4,000 → 3,200.
    await ok(
      REFUND,
      { input: { programId: s.program.id, orderId: refunded, refundId: 'r1', amount: 10_000 } },
      s.secret,
    );
    expect(await balance(s)).toMatchObject({ pending: 5_788, approved: 0, paid: 0, owed: 0 });
    await holdingPeriodEnds(s.program.id);
    expect(await balance(s)).toMatchObject({ pending: 0, approved: 5_788 });

    const first = (await run(s)).data.runPayout;
    expect(first).toMatchObject({ items: 1, rolledOver: 0, payout: { status: 'DRAFT' } });
    expect(first.payout.items).toEqual([
      expect.objectContaining({
        amount: 5_788,
        currency: 'USD',
        status: 'PENDING',
        affiliate: { id: s.aff.profile.id },
      }),
    ]);
    // Nothing is left to pay until more is earned.
    expect((await run(s)).data.runPayout).toMatchObject({ items: 0, payout: null });
    await pay(s, first.payout, 'BANK-0001');
    expect(await balance(s)).toMatchObject({ approved: 0, paid: 5_788, owed: 0 });
    expect(await checkLedger(prisma, { organizationId: s.merchantOrg.id })).toEqual([]);

    // Refunded in full after payment: 1,600 is owed back and comes off the next payout.
    await ok(
      REFUND,
      { input: { programId: s.program.id, orderId: laterRefunded, refundId: 'r2' } },
      s.secret,
    );
    expect(await balance(s)).toMatchObject({ paid: 5_788, owed: 1_600 });
    await sale(s, 30_000); // 2,400
    await sale(s, 100_000); // 8,000
    await holdingPeriodEnds(s.program.id);
    const second = (await run(s)).data.runPayout;
    expect(second.payout.items.map((i: { amount: number }) => i.amount)).toEqual([10_400 - 1_600]);
    await pay(s, second.payout, 'BANK-0002');
    expect(await balance(s)).toMatchObject({ pending: 0, approved: 0, paid: 5_788 + 8_800, owed: 0 });
    const statuses = await prisma.commission.groupBy({
      by: ['status'],
      where: { enrollmentId: s.enrollmentId },
      _sum: { amount: true },
    });
    expect(Object.fromEntries(statuses.map((g) => [g.status, g._sum.amount]))).toEqual({
      PAID: 988 + 3_200 + 0 + 2_400 + 8_000,
    });
    expect(await checkLedger(prisma, { organizationId: s.merchantOrg.id })).toEqual([]);

    const payouts = await ok(
      'query($id: ID!) { organization(id: $id) { payouts(first: 5) { edges { node { status items { amount externalReference } } } } } }',
      { id: s.merchantOrg.id },
      s.merchant.token,
    );
    expect(payouts.organization.payouts.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { status: 'PAID', items: [{ amount: 8_800, externalReference: 'BANK-0002' }] },
      { status: 'PAID', items: [{ amount: 5_788, externalReference: 'BANK-0001' }] },
    ]);
  });

  test('a balance below the threshold rolls over to a later run', async () => {
    const s = await setup();
    await sale(s, 12_345); // 988, below 50.00
    await holdingPeriodEnds(s.program.id);
    expect((await run(s)).data.runPayout).toMatchObject({ items: 0, rolledOver: 1, payout: null });
    await sale(s, 60_000); // 4,800: together 5,788
    await holdingPeriodEnds(s.program.id);
    expect((await run(s)).data.runPayout).toMatchObject({ items: 1, rolledOver: 0 });
  });

  test('two runs started together never pay a commission twice', async () => {
    const s = await setup();
    for (const amount of [70_000, 80_000, 90_000]) await sale(s, amount);
    await holdingPeriodEnds(s.program.id);
    const runs = await Promise.all([run(s), run(s), run(s)]);
    for (const r of runs) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(runs.map((r) => r.data.runPayout.items).sort()).toEqual([0, 0, 1]);
    const items = await prisma.payoutItem.findMany({ where: { affiliateId: s.aff.profile.id } });
    expect(items.map((i) => i.amount)).toEqual([5_600 + 6_400 + 7_200]);
    expect(
      await prisma.commission.count({ where: { enrollmentId: s.enrollmentId, payoutItemId: items[0]!.id } }),
    ).toBe(3);
  });

  test('a failed payment returns its commissions to the balance, and a later run pays them', async () => {
    const s = await setup();
    await sale(s, 100_000); // 8,000
    await holdingPeriodEnds(s.program.id);
    const payout = (await run(s)).data.runPayout.payout;
    // Not before the batch is approved.
    expect(
      await failsWith(PAID, { input: { itemId: payout.items[0].id, externalReference: 'X' } }, s.secret),
    ).toBe('CONFLICT');
    await ok(APPROVE, { id: payout.id }, s.secret);
    expect(await failsWith(APPROVE, { id: payout.id }, s.secret)).toBe('CONFLICT');
    const failed = await ok(
      FAILED,
      { input: { itemId: payout.items[0].id, reason: 'Account closed' } },
      s.secret,
    );
    expect(failed.markPayoutItemFailed).toEqual({ status: 'FAILED', failureReason: 'Account closed' });
    expect(
      await failsWith(PAID, { input: { itemId: payout.items[0].id, externalReference: 'X' } }, s.secret),
    ).toBe('CONFLICT');
    expect((await prisma.payout.findUniqueOrThrow({ where: { id: payout.id } })).status).toBe('FAILED');
    expect(await balance(s)).toMatchObject({ approved: 8_000, paid: 0 });

    const again = (await run(s)).data.runPayout.payout;
    expect(again.items.map((i: { amount: number }) => i.amount)).toEqual([8_000]);
    await pay(s, again, 'BANK-9');
    expect(await balance(s)).toMatchObject({ approved: 0, paid: 8_000 });
    expect(await checkLedger(prisma, { organizationId: s.merchantOrg.id })).toEqual([]);
  });

  test('the batch exports as CSV; each side sees only its own payouts and statements', async () => {
    const s = await setup();
    const other = await affiliate('Other');
    const applied = await apply(other.user.token, s.program.id, other.org.id);
    await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, s.merchant.token);
    await sale(s, 123_456); // 9,876.48 → 9,876
    await holdingPeriodEnds(s.program.id);
    const payout = (await run(s)).data.runPayout.payout;

    const csv = (await ok('query($id: ID!) { payout(id: $id) { csv } }', { id: payout.id }, s.merchant.token))
      .payout.csv;
    const [header, row, end] = csv.split('\n');
    expect(header).toBe(
      'payout_id,item_id,affiliate_id,affiliate_name,affiliate_email,currency,amount,amount_minor_units,payout_method,payout_reference,status,external_reference',
    );
    expect(row).toContain(`${payout.id},${payout.items[0].id},${s.aff.profile.id},`);
    expect(row).toContain(',USD,98.76,9876,');
    expect(end).toBe('');

    expect(
      await failsWith('query($id: ID!) { payout(id: $id) { id } }', { id: payout.id }, s.aff.user.token),
    ).toBe('NOT_FOUND');
    expect(await failsWith(RUN, { input: { organizationId: s.merchantOrg.id } }, s.aff.user.token)).toBe(
      'NOT_FOUND',
    );
    const mine = await ok(
      'query($id: ID!) { organization(id: $id) { affiliateProfile { payoutItems(first: 5) { edges { node { amount status } } } statement(first: 10) { edges { node { type account amount } } } } } }',
      { id: s.aff.org.id },
      s.aff.user.token,
    );
    const profile = mine.organization.affiliateProfile;
    expect(profile.payoutItems.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { amount: 9_876, status: 'PENDING' },
    ]);
    expect(profile.statement.edges.map((e: { node: { type: string } }) => e.node.type).sort()).toEqual([
      'APPROVED',
      'APPROVED',
      'EARNED',
    ]);
    expect(
      await failsWith(
        'query($id: ID!) { organization(id: $id) { affiliateProfile { balances { approved } } } }',
        { id: s.aff.org.id },
        other.user.token,
      ),
    ).toBe('NOT_FOUND');
  });

  test('the consistency check catches books that do not add up', async () => {
    const s = await setup();
    await sale(s, 100_000); // 8,000 pending
    const scope = { organizationId: s.merchantOrg.id };
    expect(await checkLedger(prisma, scope)).toEqual([]);
    const [entry] = await prisma.ledgerEntry.findMany({ where: { enrollmentId: s.enrollmentId } });
    // An entry moved by hand: the commission no longer matches, nor does half a movement.
    await prisma.ledgerEntry.create({
      data: {
        ...entry!,
        id: undefined,
        groupId: randomUUID(),
        type: 'APPROVED',
        amount: -1,
        idempotencyKey: null,
      },
    });
    const issues = await checkLedger(prisma, scope);
    expect(issues.map((i) => i.rule).sort()).toEqual([
      'a movement between accounts nets to zero',
      'commission entries match its state',
    ]);
    expect(issues.find((i) => i.rule === 'commission entries match its state')?.detail).toBe(
      'PENDING: entries sum to 7999, expected 8000',
    );
  });

  test("PayPal items export in PayPal Payouts' mass-payment format; only a masked account is shown", async () => {
    const s = await setup();
    const PROFILE = `mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) {
      payoutMethod payoutReference paypalEmail } }`;
    const profile = {
      organizationId: s.aff.org.id,
      displayName: 'Gear Reviews',
      contactEmail: 'team@gear.example',
    };
    expect(
      await failsWith(
        PROFILE,
        { input: { ...profile, payoutMethod: 'PAYPAL', payoutAccount: 'DE89 3704 0044' } },
        s.aff.user.token,
      ),
    ).toBe('INVALID_INPUT');
    const saved = await ok(
      PROFILE,
      { input: { ...profile, payoutMethod: 'PAYPAL', payoutAccount: 'Payouts@Gear.example' } },
      s.aff.user.token,
    );
    expect(saved.upsertAffiliateProfile).toEqual({
      payoutMethod: 'PAYPAL',
      payoutReference: 'P•••@Gear.example',
      paypalEmail: 'payouts@gear.example',
    });
    await sale(s, 100_000); // 8,000
    await holdingPeriodEnds(s.program.id);
    const payout = (await run(s)).data.runPayout.payout;
    const file = await ok(
      'query($id: ID!) { payout(id: $id) { paypalFile { file included left } } }',
      { id: payout.id },
      s.merchant.token,
    );
    expect(file.payout.paypalFile).toEqual({
      file: `payouts@gear.example,80.00,USD,${payout.items[0].id},Affiliate commissions (${s.program.name}),PayPal\n`,
      included: 1,
      left: [],
    });
    // A later change of address does not redirect this payment.
    await ok(
      PROFILE,
      { input: { ...profile, payoutMethod: 'BANK_TRANSFER', payoutAccount: 'DE89370400440532013000' } },
      s.aff.user.token,
    );
    const again = await ok(
      'query($id: ID!) { payout(id: $id) { paypalFile { included } } }',
      { id: payout.id },
      s.merchant.token,
    );
    expect(again.payout.paypalFile.included).toBe(1);
  });

  test('a manual credit is paid with the next payout and a debit is recovered from it', async () => {
    const s = await setup();
    const ADJUST = `mutation($input: AdjustAffiliateBalanceInput!) { adjustAffiliateBalance(input: $input) {
      commission { kind status amount reason } } }`;
    const credit = await ok(
      ADJUST,
      { input: { enrollmentId: s.enrollmentId, amount: 2_000, reason: 'Launch bonus' } },
      s.secret,
    );
    expect(credit.adjustAffiliateBalance.commission).toEqual({
      kind: 'ADJUSTMENT',
      status: 'APPROVED',
      amount: 2_000,
      reason: 'Launch bonus',
    });
    const debit = await ok(
      ADJUST,
      { input: { enrollmentId: s.enrollmentId, amount: -500, reason: 'Duplicate order' } },
      s.secret,
    );
    expect(debit.adjustAffiliateBalance.commission).toBeNull();
    expect(
      await failsWith(ADJUST, { input: { enrollmentId: s.enrollmentId, amount: 0, reason: 'x' } }, s.secret),
    ).toBe('INVALID_INPUT');
    expect(
      await failsWith(
        ADJUST,
        { input: { enrollmentId: s.enrollmentId, amount: 100, reason: 'me' } },
        s.aff.user.token,
      ),
    ).toBe('NOT_FOUND');
    await sale(s, 100_000); // 8,000
    await holdingPeriodEnds(s.program.id);
    expect(await balance(s)).toMatchObject({ approved: 10_000, owed: 500 });
    const payout = (await run(s)).data.runPayout.payout;
    expect(payout.items.map((i: { amount: number }) => i.amount)).toEqual([9_500]);
    await pay(s, payout, 'BANK-ADJ');
    expect(await balance(s)).toMatchObject({ approved: 0, paid: 9_500, owed: 0 });
    expect(await checkLedger(prisma, { organizationId: s.merchantOrg.id })).toEqual([]);
  });
});
