import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { approveDue } from '../../src/commissions/lifecycle.ts';
import { prisma } from '../../src/db.ts';
import { uuidv7 } from '../../src/ids.ts';
import { balances, checkLedger } from '../../src/ledger/check.ts';
import { deletedEmail, FORFEIT_MEMO, tagOf } from '../../src/privacy/deletion.ts';
import { decodeCursor, exportUserData } from '../../src/privacy/export.ts';
import { clickPurge, purgeBefore, purgePersonalData } from '../../src/privacy/retention.ts';
import { createApiKey, createOrganization, failsWith, gql, type Json, ok, signUp } from '../helpers.ts';
import { affiliate, apply, approvedEnrollment, decide } from '../programs.ts';
import { createLink, startHttp } from '../tracking.ts';

const PASSWORD = 'a long enough password';
const DAY = 86_400_000;
const DELETE = `mutation($input: DeleteMyAccountInput!) {
  deleteMyAccount(input: $input) { deletedAt closedOrganizationIds forfeitedCommissions } }`;
const EXPORT = 'query($after: String) { myDataExport(after: $after) { generatedAt document next } }';
const RUN = `mutation($input: RunPayoutInput!) { runPayout(input: $input) { payout { id items { id } } } }`;

const deleteAs = (user: { email: string; token: string }, extra: Record<string, unknown> = {}) =>
  gql(DELETE, { input: { email: user.email, password: PASSWORD, ...extra } }, user.token);

/** A merchant with a secret key and an ACTIVE program, and an approved affiliate with a link,
 *  a coupon code, an open proposal and a key of its own. */
async function partnership() {
  const s = await approvedEnrollment();
  const secret = await createApiKey(s.merchant.token, s.merchantOrg.id, 'SECRET');
  const affiliateKey = await createApiKey(s.aff.user.token, s.aff.org.id, 'SECRET');
  const code = `P${randomUUID().slice(0, 8)}`.toUpperCase();
  await ok(
    'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
    { input: { enrollmentId: s.enrollmentId, code, description: 'Spring deal' } },
    s.merchant.token,
  );
  const link = await createLink(s.enrollmentId, s.aff.user.token, ['newsletter-may']);
  await ok(
    'mutation($input: ProposeTermsInput!) { proposeTerms(input: $input) { id } }',
    {
      input: {
        enrollmentId: s.enrollmentId,
        changes: { cookieWindowDays: 60 },
        message: 'Our readers buy late',
      },
    },
    s.aff.user.token,
  );
  return { ...s, secret: secret.key, affiliateKey, code, link };
}
type Partnership = Awaited<ReturnType<typeof partnership>>;

async function sale(s: Partnership, amount: number, extra: Record<string, unknown> = {}) {
  const data = await ok(
    'mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversionId } }',
    {
      input: {
        programId: s.program.id,
        orderId: `order-${randomUUID()}`,
        amount,
        currency: 'USD',
        couponCode: s.code,
        ...extra,
      },
    },
    s.secret,
  );
  return data.trackSale.conversionId as string;
}

async function holdingPeriodEnds(programId: string) {
  await prisma.commission.updateMany({
    where: { programId, status: 'PENDING' },
    data: { holdUntil: new Date(Date.now() - 1_000) },
  });
  await approveDue({ programId });
}

/** A payout batch of the program, taken to PROCESSING: its item is open. */
async function openPayout(s: Partnership) {
  const run = await ok(
    RUN,
    { input: { organizationId: s.merchantOrg.id, programId: s.program.id } },
    s.secret,
  );
  const payout = run.runPayout.payout as { id: string; items: { id: string }[] };
  await ok('mutation($id: ID!) { approvePayout(payoutId: $id) { status } }', { id: payout.id }, s.secret);
  await ok(
    'mutation($id: ID!) { startPayoutProcessing(payoutId: $id) { status } }',
    { id: payout.id },
    s.secret,
  );
  return payout;
}

async function payItems(s: Partnership, payout: { items: { id: string }[] }, reference: string) {
  for (const item of payout.items)
    await ok(
      'mutation($input: MarkPayoutItemPaidInput!) { markPayoutItemPaid(input: $input) { status } }',
      { input: { itemId: item.id, externalReference: reference } },
      s.secret,
    );
}

/** Everything a deletion could touch, to prove a refused one wrote nothing. */
async function fingerprint() {
  const [users, organizations, profiles, enrollments, events, links, coupons, proposals] = await Promise.all([
    prisma.user.findMany({ orderBy: { id: 'asc' }, omit: { passwordHash: false } }),
    prisma.organization.findMany({ orderBy: { id: 'asc' } }),
    prisma.affiliateProfile.findMany({ orderBy: { id: 'asc' } }),
    prisma.enrollment.findMany({ orderBy: { id: 'asc' } }),
    prisma.enrollmentEvent.count(),
    prisma.link.findMany({ orderBy: { id: 'asc' } }),
    prisma.couponCode.findMany({ orderBy: { id: 'asc' } }),
    prisma.termsProposal.findMany({ orderBy: { id: 'asc' } }),
  ]);
  const [commissions, ledger, items, keys, memberships, tokens, programs, endpoints] = await Promise.all([
    prisma.commission.findMany({ orderBy: { id: 'asc' } }),
    prisma.ledgerEntry.count(),
    prisma.payoutItem.findMany({ orderBy: { id: 'asc' } }),
    prisma.apiKey.findMany({ orderBy: { id: 'asc' } }),
    prisma.membership.findMany({ orderBy: { id: 'asc' } }),
    prisma.refreshToken.count(),
    prisma.program.findMany({ orderBy: { id: 'asc' } }),
    prisma.webhookEndpoint.count(),
  ]);
  return JSON.stringify({
    users,
    organizations,
    profiles,
    enrollments,
    events,
    links,
    coupons,
    proposals,
    commissions,
    ledger,
    items,
    keys: keys.map(({ lastUsedAt: _lastUsed, ...k }) => k),
    memberships,
    tokens,
    programs,
    endpoints,
  });
}

describe('exporting my data', () => {
  test("the export holds the user's account, organizations and affiliate records, no secrets and nothing of other tenants", async () => {
    const s = await partnership();
    const other = await affiliate('Othello');
    const applied = await apply(other.user.token, s.program.id, other.org.id, 'Other pitch');
    await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, s.merchant.token);
    await sale(s, 70_000); // 5,600 to A
    await sale(s, 12_345); // 988 to A
    await holdingPeriodEnds(s.program.id);
    const payout = await openPayout(s);
    await payItems(s, payout, 'PP-EXPORT-1');
    await sale(s, 20_000); // 1,600 pending

    const { myDataExport: exported } = await ok(EXPORT, {}, s.aff.user.token);
    const doc = exported.document as Json;
    expect(exported.next).toBeNull();
    expect(doc).toMatchObject({
      format: 'affiliate-network/personal-data-export/v1',
      generatedAt: exported.generatedAt,
      part: 'first',
      user: { id: s.aff.user.userId, email: s.aff.user.email, name: 'Affiliate' },
    });
    expect(doc.sessions.length).toBeGreaterThan(0);
    expect(doc.sessions[0]).not.toHaveProperty('tokenHash');
    const org = doc.organizations.find((o: Json) => o.id === s.aff.org.id);
    expect(org).toMatchObject({
      role: 'OWNER',
      affiliateProfile: {
        id: s.aff.profile.id,
        contactEmail: 'partners@affiliate.example',
        payoutMethod: 'PAYPAL',
        paypalEmail: 'affiliate@pay.example',
        payoutReference: 'a•••@pay.example',
        balances: [
          expect.objectContaining({ programId: s.program.id, pending: 1_600, approved: 0, paid: 6_588 }),
        ],
      },
    });
    expect(doc.enrollments).toHaveLength(1);
    expect(doc.enrollments[0]).toMatchObject({
      id: s.enrollmentId,
      status: 'APPROVED',
      applicationMessage: 'We write about gear',
      programName: s.program.name,
      links: [expect.objectContaining({ code: s.link.code, sub1: 'newsletter-may' })],
      couponCodes: [expect.objectContaining({ code: s.code, description: 'Spring deal' })],
      proposals: [expect.objectContaining({ message: 'Our readers buy late', byYou: true, status: 'OPEN' })],
    });
    expect(doc.enrollments[0].history.map((h: Json) => h.toStatus)).toEqual(['PENDING', 'APPROVED']);
    expect(doc.enrollments[0].terms[0]).toMatchObject({ version: 1, negotiated: false, saleRateBps: 800 });
    expect(doc.payoutItems).toEqual([
      expect.objectContaining({
        amount: 6_588,
        status: 'PAID',
        paypalEmail: 'affiliate@pay.example',
        externalReference: 'PP-EXPORT-1',
      }),
    ]);
    expect(doc.commissions.map((c: Json) => c.amount).sort()).toEqual([1_600, 5_600, 988].sort());
    expect(doc.ledgerEntries.length).toBe(
      await prisma.ledgerEntry.count({ where: { affiliateId: s.aff.profile.id } }),
    );
    expect(doc.apiKeys).toEqual([
      expect.objectContaining({ id: s.affiliateKey.id, kind: 'SECRET', createdByYou: true, revokedAt: null }),
    ]);

    // No secret in any form, and nothing of the other affiliate, the merchant's keys or people.
    const text = JSON.stringify(exported);
    const secrets = await prisma.apiKey.findMany({ select: { keyHash: true } });
    const hashes = await prisma.user.findMany({ select: { passwordHash: true } });
    const tokenHashes = await prisma.refreshToken.findMany({ select: { tokenHash: true } });
    for (const value of [
      s.affiliateKey.key,
      s.secret,
      s.aff.user.refreshToken,
      ...secrets.map((k) => k.keyHash),
      ...hashes.map((u) => u.passwordHash),
      ...tokenHashes.map((t) => t.tokenHash),
      other.user.email,
      'Othello Reviews',
      'othello@pay.example',
      'Other pitch',
      s.merchant.email,
    ])
      expect(text).not.toContain(value);
    expect(text).not.toMatch(/scrypt\$|keyHash|passwordHash|tokenHash/);
  });

  test('long lists come in parts that add up to the whole, and a bad cursor is invalid input', async () => {
    const s = await partnership();
    for (const amount of [10_000, 20_000, 30_000]) await sale(s, amount);
    await holdingPeriodEnds(s.program.id); // 3 EARNED + 6 APPROVED entries
    const commissionIds = new Set<string>();
    const entryIds = new Set<string>();
    let part = await exportUserData(s.aff.user.userId, null, 2);
    expect(part.document.user).toBeDefined();
    let parts = 1;
    for (;;) {
      const doc = part.document as Json;
      for (const c of doc.commissions ?? []) commissionIds.add(c.id);
      for (const e of doc.ledgerEntries ?? []) entryIds.add(e.id);
      if (!part.next) break;
      // Parts after the first carry only the lists, through the same GraphQL field.
      const next = await ok(EXPORT, { after: part.next }, s.aff.user.token);
      expect(next.myDataExport.document).toMatchObject({ part: 'continued' });
      expect(next.myDataExport.document.user).toBeUndefined();
      part = await exportUserData(s.aff.user.userId, decodeCursor(part.next), 2);
      parts++;
    }
    expect(parts).toBe(5); // 9 ledger entries, 2 a part
    expect(commissionIds.size).toBe(3);
    expect(entryIds.size).toBe(9);

    for (const after of ['nope', Buffer.from('{"commissions":"x"}').toString('base64url'), 'e30'])
      expect(await failsWith(EXPORT, { after }, s.aff.user.token)).toBe('INVALID_INPUT');
  });

  test('only the signed-in user exports: not a key, not anonymously; an admin gets only its own', async () => {
    const s = await partnership();
    const publishable = await createApiKey(s.merchant.token, s.merchantOrg.id, 'PUBLISHABLE');
    const anonymous = await gql(EXPORT, {});
    expect(anonymous.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(await failsWith(EXPORT, {}, s.secret)).toBe('FORBIDDEN');
    expect(await failsWith(EXPORT, {}, s.affiliateKey.key)).toBe('FORBIDDEN');
    expect(await failsWith(EXPORT, {}, publishable.key)).toBe('FORBIDDEN');

    const admin = await signUp('Admin');
    await prisma.user.update({ where: { id: admin.userId }, data: { isNetworkAdmin: true } });
    const { myDataExport } = await ok(EXPORT, {}, admin.token);
    expect(myDataExport.document.user).toMatchObject({ email: admin.email, isNetworkAdmin: true });
    expect(myDataExport.document.organizations).toEqual([]);
    const text = JSON.stringify(myDataExport);
    for (const value of [s.aff.user.email, s.merchant.email, 'partners@affiliate.example', s.link.code])
      expect(text).not.toContain(value);

    // The merchant's export names its organization and keys, none of its affiliate's data.
    const merchant = (await ok(EXPORT, {}, s.merchant.token)).myDataExport.document;
    expect(merchant.organizations.map((o: Json) => o.id)).toEqual([s.merchantOrg.id]);
    expect(merchant.apiKeys.map((k: Json) => k.kind).sort()).toEqual(['PUBLISHABLE', 'SECRET']);
    expect(merchant.enrollments).toEqual([]);
    expect(JSON.stringify(merchant)).not.toContain('affiliate@pay.example');
  });
});

describe('deleting my account', () => {
  test('an affiliate is refused while owed money or paid in a batch, then deleted: personal data erased, books kept to the cent', async () => {
    const s = await partnership();
    await sale(s, 70_000, { email: 'shopper@example.com' }); // 5,600
    await sale(s, 12_345); // 988
    await holdingPeriodEnds(s.program.id);
    const payout = await openPayout(s); // 6,588, processing
    await sale(s, 20_000); // 1,600, pending
    const http = await startHttp();
    try {
      expect((await http.get(`/r/${s.link.code}`)).status).toBe(302);

      // Refusals, each writing nothing.
      const before = await fingerprint();
      const wrong = await gql(
        DELETE,
        { input: { email: s.aff.user.email, password: 'not my password' } },
        s.aff.user.token,
      );
      expect(wrong.errors?.[0]?.extensions).toMatchObject({
        code: 'INVALID_INPUT',
        issues: [{ path: 'input.password', message: 'is not the current password' }],
      });
      const otherEmail = await gql(
        DELETE,
        { input: { email: 'someone@example.com', password: PASSWORD } },
        s.aff.user.token,
      );
      expect(otherEmail.errors?.[0]?.extensions).toMatchObject({
        code: 'INVALID_INPUT',
        issues: [{ path: 'input.email' }],
      });
      const empty = await gql(DELETE, { input: { email: '', password: '' } }, s.aff.user.token);
      expect(empty.errors?.[0]?.extensions.code).toBe('INVALID_INPUT');
      expect(
        (await gql(DELETE, { input: { email: s.aff.user.email, password: PASSWORD } })).errors?.[0]
          ?.extensions.code,
      ).toBe('UNAUTHENTICATED');
      expect(
        await failsWith(
          DELETE,
          { input: { email: s.aff.user.email, password: PASSWORD } },
          s.affiliateKey.key,
        ),
      ).toBe('FORBIDDEN');

      const inBatch = await deleteAs(s.aff.user, { forfeitBalance: true });
      expect(inBatch.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'PAYOUT_IN_PROGRESS',
        blockers: [{ reason: 'PAYOUT_IN_PROGRESS', organizationId: s.aff.org.id }],
      });
      const owed = await deleteAs(s.aff.user);
      expect(owed.errors?.[0]?.extensions.blockers).toEqual([
        expect.objectContaining({ reason: 'PAYOUT_IN_PROGRESS' }),
        expect.objectContaining({
          reason: 'BALANCE_OWED',
          amounts: [{ programId: s.program.id, currency: 'USD', pending: 1_600, approved: 6_588 }],
        }),
      ]);
      expect(await fingerprint()).toBe(before);

      await payItems(s, payout, 'PP-0001');
      const stillOwed = await deleteAs(s.aff.user);
      expect(stillOwed.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'BALANCE_OWED',
        blockers: [{ amounts: [{ pending: 1_600, approved: 0 }] }],
      });

      const ledgerBefore = await prisma.ledgerEntry.findMany({ where: { affiliateId: s.aff.profile.id } });
      const deleted = (
        await ok(
          DELETE,
          {
            input: { email: s.aff.user.email, password: PASSWORD, forfeitBalance: true },
          },
          s.aff.user.token,
        )
      ).deleteMyAccount;
      expect(deleted).toMatchObject({ closedOrganizationIds: [s.aff.org.id], forfeitedCommissions: 1 });

      // The person: erased, sessions and sign-in IPs gone, no organization left.
      const user = await prisma.user.findUniqueOrThrow({
        where: { id: s.aff.user.userId },
        omit: { passwordHash: false },
      });
      expect(user).toMatchObject({
        email: deletedEmail(s.aff.user.userId),
        name: 'Deleted user',
        passwordHash: '!',
        isNetworkAdmin: false,
        deletedAt: new Date(deleted.deletedAt),
      });
      expect(await prisma.refreshToken.count({ where: { userId: user.id } })).toBe(0);
      expect(await prisma.accountIpHash.count({ where: { userId: user.id } })).toBe(0);
      expect(await prisma.membership.count({ where: { userId: user.id } })).toBe(0);

      // The affiliate: a pseudonym, no contact or payout details, partnerships ended.
      const pseudonym = `Deleted affiliate ${tagOf(s.aff.org.id)}`;
      expect(pseudonym).toMatch(/^Deleted affiliate [0-9a-f]{6}$/);
      expect(await prisma.organization.findUniqueOrThrow({ where: { id: s.aff.org.id } })).toMatchObject({
        name: pseudonym,
        slug: `deleted-${s.aff.org.id.replace(/-/g, '')}`,
        deletedAt: new Date(deleted.deletedAt),
      });
      expect(
        await prisma.affiliateProfile.findUniqueOrThrow({ where: { id: s.aff.profile.id } }),
      ).toMatchObject({
        displayName: pseudonym,
        websiteUrl: null,
        channels: [],
        audience: null,
        country: null,
        contactEmail: '',
        payoutMethod: null,
        payoutReference: null,
        paypalEmail: null,
      });
      const enrollment = await prisma.enrollment.findUniqueOrThrow({
        where: { id: s.enrollmentId },
        include: { events: { orderBy: { createdAt: 'desc' }, take: 1 } },
      });
      expect(enrollment).toMatchObject({ status: 'WITHDRAWN', applicationMessage: null });
      expect(enrollment.events[0]).toMatchObject({
        fromStatus: 'APPROVED',
        toStatus: 'WITHDRAWN',
        reason: 'The affiliate deleted its account',
      });
      expect((await prisma.link.findUniqueOrThrow({ where: { id: s.link.id } })).disabledAt).not.toBeNull();
      expect(
        await prisma.couponCode.count({ where: { enrollmentId: s.enrollmentId, disabledAt: null } }),
      ).toBe(0);
      expect(await prisma.termsProposal.findMany({ where: { enrollmentId: s.enrollmentId } })).toEqual([
        expect.objectContaining({
          status: 'WITHDRAWN',
          message: null,
          changes: expect.objectContaining({ cookieWindowDays: 60 }),
        }),
      ]);
      expect(await prisma.apiKey.count({ where: { organizationId: s.aff.org.id, revokedAt: null } })).toBe(0);
      expect((await http.get(`/r/${s.link.code}`)).status).toBe(404);

      // The books: every amount to the cent, the ledger only added to, and consistent.
      const commissions = await prisma.commission.findMany({
        where: { enrollmentId: s.enrollmentId },
        orderBy: { amount: 'asc' },
        select: { amount: true, status: true },
      });
      expect(commissions).toEqual([
        { amount: 988, status: 'PAID' },
        { amount: 1_600, status: 'REJECTED' },
        { amount: 5_600, status: 'PAID' },
      ]);
      const ledgerAfter = await prisma.ledgerEntry.findMany({ where: { affiliateId: s.aff.profile.id } });
      expect(ledgerAfter.filter((e) => !ledgerBefore.some((b) => b.id === e.id))).toEqual([
        expect.objectContaining({ type: 'REJECTED', account: 'PENDING', amount: -1_600, memo: FORFEIT_MEMO }),
      ]);
      expect(
        ledgerBefore.every((b) => ledgerAfter.some((a) => JSON.stringify(a) === JSON.stringify(b))),
      ).toBe(true);
      expect(await balances(prisma, { affiliateId: s.aff.profile.id })).toEqual([
        expect.objectContaining({ pending: 0, approved: 0, paid: 6_588, owed: 0 }),
      ]);
      expect(await checkLedger(prisma)).toEqual([]);
      const item = await prisma.payoutItem.findFirstOrThrow({ where: { affiliateId: s.aff.profile.id } });
      expect(item).toMatchObject({
        amount: 6_588,
        currency: 'USD',
        status: 'PAID',
        payoutMethod: 'PAYPAL',
        payoutReference: null,
        paypalEmail: null,
        externalReference: 'PP-0001',
      });
      expect(await prisma.conversion.count({ where: { enrollmentId: s.enrollmentId } })).toBe(3);

      // The merchant still sees its payout and partnership, under the pseudonym.
      const merchantView = await ok(
        `query($payout: ID!, $enrollment: ID!) {
          payout(id: $payout) { csv items { amount affiliate { displayName } } }
          enrollment(id: $enrollment) { status affiliate { displayName } } }`,
        { payout: payout.id, enrollment: s.enrollmentId },
        s.merchant.token,
      );
      expect(merchantView.payout.items).toEqual([{ amount: 6_588, affiliate: { displayName: pseudonym } }]);
      expect(merchantView.enrollment).toEqual({
        status: 'WITHDRAWN',
        affiliate: { displayName: pseudonym },
      });
      expect(merchantView.payout.csv).toContain(pseudonym);
      for (const gone of ['Affiliate Reviews', 'affiliate@pay.example', 'partners@affiliate.example'])
        expect(merchantView.payout.csv).not.toContain(gone);
      // ... and cannot invite the closed affiliate back.
      expect(
        await failsWith(
          'mutation($input: InviteAffiliateInput!) { inviteAffiliate(input: $input) { id } }',
          { input: { programId: s.program.id, affiliateId: s.aff.profile.id } },
          s.merchant.token,
        ),
      ).toBe('NOT_FOUND');

      // No way back in with anything old; the email is free for a new account.
      const oldToken = await gql('{ me { id } }', {}, s.aff.user.token);
      expect(oldToken.status).toBe(401);
      expect(oldToken.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect(
        await failsWith(
          'mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }',
          { input: { refreshToken: s.aff.user.refreshToken } },
        ),
      ).toBe('UNAUTHENTICATED');
      expect(
        await failsWith('mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }', {
          input: { email: s.aff.user.email, password: PASSWORD },
        }),
      ).toBe('UNAUTHENTICATED');
      expect(await failsWith('{ me { id } }', {}, s.affiliateKey.key)).toBe('UNAUTHENTICATED');
      const again = await ok(
        'mutation($input: SignUpInput!) { signUp(input: $input) { user { id email } } }',
        { input: { email: s.aff.user.email, password: PASSWORD, name: 'Back again' } },
      );
      expect(again.signUp.user).toMatchObject({ email: s.aff.user.email });
      expect(again.signUp.user.id).not.toBe(s.aff.user.userId);
    } finally {
      await http.close();
    }
  });

  test('the only owner of a merchant is refused while it has members, live programs or money owed; once wound down it closes', async () => {
    const s = await partnership();
    await sale(s, 20_000); // 1,600 pending: the merchant owes it
    const member = await signUp('Colleague');
    await ok(
      'mutation($input: AddMemberInput!) { addMember(input: $input) { id } }',
      { input: { organizationId: s.merchantOrg.id, email: member.email, role: 'ADMIN' } },
      s.merchant.token,
    );
    const before = await fingerprint();
    const refused = await deleteAs(s.merchant, { forfeitBalance: true });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'SOLE_OWNER_WITH_MEMBERS',
    });
    expect(refused.errors?.[0]?.extensions.blockers.map((b: Json) => b.reason)).toEqual([
      'SOLE_OWNER_WITH_MEMBERS',
      'LIVE_PROGRAMS',
      'OWES_AFFILIATES',
    ]);
    expect(await fingerprint()).toBe(before);

    // Wound down: no other member, the program archived, what affiliates earned settled.
    await ok(
      'mutation($input: RemoveMemberInput!) { removeMember(input: $input) }',
      { input: { organizationId: s.merchantOrg.id, userId: member.userId } },
      s.merchant.token,
    );
    await ok(
      'mutation($id: ID!) { setProgramStatus(programId: $id, status: ARCHIVED) { status } }',
      { id: s.program.id },
      s.merchant.token,
    );
    expect((await deleteAs(s.merchant)).errors?.[0]?.extensions.reason).toBe('OWES_AFFILIATES');
    const [pending] = await prisma.commission.findMany({ where: { programId: s.program.id } });
    await ok(
      'mutation($input: RejectCommissionInput!) { rejectCommission(input: $input) { status } }',
      { input: { commissionId: pending!.id, reason: 'Closing down' } },
      s.merchant.token,
    );
    const { name } = await prisma.organization.findUniqueOrThrow({ where: { id: s.merchantOrg.id } });
    const deleted = (
      await ok(DELETE, { input: { email: s.merchant.email, password: PASSWORD } }, s.merchant.token)
    ).deleteMyAccount;
    expect(deleted).toMatchObject({ closedOrganizationIds: [s.merchantOrg.id], forfeitedCommissions: 0 });
    const org = await prisma.organization.findUniqueOrThrow({ where: { id: s.merchantOrg.id } });
    expect(org.deletedAt).not.toBeNull();
    expect(org.name).toBe(name); // a merchant keeps its name: affiliates' records name it
    expect(await failsWith('{ me { id } }', {}, s.secret)).toBe('UNAUTHENTICATED');
    // The affiliate keeps its records of the partnership.
    const view = await ok(
      'query($id: ID!) { enrollment(id: $id) { status program { status merchantName } commissions { edges { node { status amount } } } } }',
      { id: s.enrollmentId },
      s.aff.user.token,
    );
    expect(view.enrollment).toMatchObject({
      status: 'APPROVED',
      program: { status: 'ARCHIVED' },
      commissions: { edges: [{ node: { status: 'REJECTED', amount: 1_600 } }] },
    });
    expect(await checkLedger(prisma)).toEqual([]);
  });

  test('a co-owner leaves an organization that carries on; a fresh user with nothing to settle is simply deleted', async () => {
    const first = await signUp('First');
    const second = await signUp('Second');
    const org = await createOrganization(first.token, { name: `Shared ${randomUUID().slice(0, 6)}` });
    await ok(
      'mutation($input: AddMemberInput!) { addMember(input: $input) { id } }',
      { input: { organizationId: org.id, email: second.email, role: 'OWNER' } },
      first.token,
    );
    const shared = await prisma.organization.findUniqueOrThrow({ where: { id: org.id } });
    const deleted = (await ok(DELETE, { input: { email: first.email, password: PASSWORD } }, first.token))
      .deleteMyAccount;
    expect(deleted).toMatchObject({ closedOrganizationIds: [], forfeitedCommissions: 0 });
    expect(await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).toEqual(shared);
    expect(await prisma.membership.findMany({ where: { organizationId: org.id } })).toEqual([
      expect.objectContaining({ userId: second.userId, role: 'OWNER' }),
    ]);
    const members = await ok(
      'query($id: ID!) { organization(id: $id) { members { edges { node { role user { email } } } } } }',
      { id: org.id },
      second.token,
    );
    expect(members.organization.members.edges).toEqual([
      { node: { role: 'OWNER', user: { email: second.email } } },
    ]);

    const lone = await signUp('Lone');
    const own = await createOrganization(lone.token, { name: `Lone ${randomUUID().slice(0, 6)}` });
    const key = await createApiKey(lone.token, own.id, 'SECRET');
    const gone = (await ok(DELETE, { input: { email: lone.email, password: PASSWORD } }, lone.token))
      .deleteMyAccount;
    expect(gone.closedOrganizationIds).toEqual([own.id]);
    expect(await prisma.organization.findUniqueOrThrow({ where: { id: own.id } })).toMatchObject({
      name: `Deleted organization ${tagOf(own.id)}`,
    });
    expect(await failsWith('{ me { id } }', {}, key.key)).toBe('UNAUTHENTICATED');
  });
});

describe('retention of personal data', () => {
  test("after the window, conversions and clicks lose exactly the personal columns; the books' columns and newer rows stay", async () => {
    const s = await partnership();
    const visitor = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };
    const oldSale = await sale(s, 50_000, {
      ...visitor,
      email: 'buyer@example.com',
      customerId: 'cus-1',
      lineItems: [{ sku: 'TENT-1', name: 'Tent', quantity: 1, amount: 50_000 }],
    });
    const lead = (consent: boolean) =>
      ok(
        'mutation($input: TrackLeadInput!) { trackLead(input: $input) { conversionId } }',
        {
          input: {
            programId: s.program.id,
            leadId: `lead-${randomUUID()}`,
            email: 'lead@example.com',
            name: 'Jo Lead',
            consent,
            couponCode: s.code,
            ...visitor,
          },
        },
        s.secret,
      ).then((d) => d.trackLead.conversionId as string);
    const consented = await lead(true);
    const unconsented = await lead(false);
    const click = (at: number) => ({
      id: uuidv7(at),
      programId: s.program.id,
      enrollmentId: s.enrollmentId,
      linkId: s.link.id,
      createdAt: new Date(at),
      isUnique: true,
      ipHash: 'hash-of-an-ip',
      userAgent: 'Mozilla/5.0 (test)',
      referrer: 'https://blog.example/tents?utm_source=mail&email=jo@example.com#top',
      country: 'US',
      landingUrl: 'https://tiered.example/tents?ref_id=1&via=abc',
      sub1: 'newsletter-may',
    });
    const oldClick = click(Date.now() - 100 * DAY);
    await prisma.click.createMany({ data: [oldClick] });

    await new Promise((resolve) => setTimeout(resolve, 5));
    const cutoff = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newSale = await sale(s, 30_000, { ...visitor, email: 'new@example.com' });
    const newClick = click(Date.now());
    await prisma.click.createMany({ data: [newClick] });

    const columns = {
      id: true,
      externalId: true,
      status: true,
      amount: true,
      currency: true,
      programAmount: true,
      occurredAt: true,
      enrollmentId: true,
      couponCodeId: true,
      customerId: true,
      attribution: true,
      consent: true,
      contact: true,
      ipHash: true,
      userAgent: true,
      emailHash: true,
      lineItems: true,
      commissions: { select: { id: true, amount: true, status: true } },
    } as const;
    const read = (id: string) => prisma.conversion.findUniqueOrThrow({ where: { id }, select: columns });
    const before = {
      oldSale: await read(oldSale),
      consented: await read(consented),
      unconsented: await read(unconsented),
      newSale: await read(newSale),
    };
    expect(before.oldSale).toMatchObject({ ipHash: expect.any(String), userAgent: visitor.userAgent });
    expect(before.oldSale.emailHash).not.toBeNull();
    expect(before.oldSale.lineItems).not.toBeNull();
    expect(before.consented.contact).toMatchObject({ name: 'Jo Lead', email: 'lead@example.com' });
    expect(before.unconsented.contact).toBeNull();

    // Inside the window, nothing changes.
    const settings = { conversionDays: 30, clickDays: 90 };
    expect(await purgePersonalData(settings, new Date(cutoff + 29 * DAY))).toMatchObject({
      conversions: 0,
      clicks: 1, // the 100-day-old click is past its 90 days already
    });
    expect(await read(oldSale)).toEqual(before.oldSale);

    // Every conversion made before the cutoff that holds personal data, this test's three included.
    const holding = await prisma.conversion.count({
      where: {
        createdAt: { lt: new Date(cutoff) },
        OR: [{ ipHash: { not: null } }, { userAgent: { not: null } }, { emailHash: { not: null } }],
      },
    });
    expect(holding).toBeGreaterThanOrEqual(3);
    const purged = await purgePersonalData(settings, new Date(cutoff + 30 * DAY));
    expect(purged).toMatchObject({ conversions: holding, clicks: 0 });
    const personal = { ipHash: null, userAgent: null, emailHash: null, lineItems: null };
    expect(await read(oldSale)).toEqual({ ...before.oldSale, ...personal });
    expect(await read(consented)).toEqual({ ...before.consented, ...personal });
    expect((await read(consented)).contact).toMatchObject({ name: 'Jo Lead' });
    expect(await read(unconsented)).toEqual({ ...before.unconsented, ...personal });
    expect(await read(newSale)).toEqual(before.newSale);

    const clicks = await prisma.click.findMany({ where: { id: { in: [oldClick.id, newClick.id] } } });
    expect(clicks.find((c) => c.id === oldClick.id)).toEqual({
      ...oldClick,
      source: 'REDIRECT',
      sub2: null,
      sub3: null,
      sub4: null,
      sub5: null,
      ipHash: null,
      userAgent: null,
      referrer: 'https://blog.example/tents',
      landingUrl: 'https://tiered.example/tents',
    });
    expect(clicks.find((c) => c.id === newClick.id)).toMatchObject({
      ipHash: 'hash-of-an-ip',
      referrer: newClick.referrer,
    });

    // Idempotent, and two instances at once share the work without clearing anything twice.
    expect(await purgePersonalData(settings, new Date(cutoff + 30 * DAY))).toMatchObject({
      conversions: 0,
      clicks: 0,
    });
    const many = Array.from({ length: 7 }, (_, i) => click(Date.now() - 200 * DAY + i));
    await prisma.click.createMany({ data: many });
    await prisma.jobCursor.update({
      where: { job: clickPurge.job },
      data: { position: '00000000-0000-0000-0000-000000000000' },
    });
    const runs = await Promise.all([
      purgeBefore(clickPurge, new Date(Date.now() - 90 * DAY), { batchSize: 2 }),
      purgeBefore(clickPurge, new Date(Date.now() - 90 * DAY), { batchSize: 2 }),
    ]);
    expect(runs[0]! + runs[1]!).toBe(7);
    expect(
      await prisma.click.count({ where: { id: { in: many.map((c) => c.id) }, ipHash: { not: null } } }),
    ).toBe(0);
    expect(await checkLedger(prisma)).toEqual([]);
  });

  test('expired refresh tokens are deleted by the same job', async () => {
    const user = await signUp('Expiring');
    await prisma.refreshToken.updateMany({
      where: { userId: user.userId },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    const fresh = await signUp('Fresh');
    const result = await purgePersonalData({ conversionDays: 30, clickDays: 90 });
    expect(result.refreshTokens).toBeGreaterThanOrEqual(1);
    expect(await prisma.refreshToken.count({ where: { userId: user.userId } })).toBe(0);
    expect(await prisma.refreshToken.count({ where: { userId: fresh.userId } })).toBe(1);
  });
});
