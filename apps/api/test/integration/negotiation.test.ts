// The whole flow of issue 3: a program with tiered terms, an application, approval,
// negotiation (propose, counter, accept), and the resulting terms history.
import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { failsWith, gql, ok } from '../helpers.ts';
import { activeProgram, affiliate, apply, approvedEnrollment, decide, TERMS_FIELDS } from '../programs.ts';

const PROPOSE = `mutation($input: ProposeTermsInput!) { proposeTerms(input: $input) { id side status changes { sale { type rateBps } cookieWindowDays couponCode removed } } }`;
const COUNTER = `mutation($input: CounterProposalInput!) { counterProposal(input: $input) { id side status counterOf { id status } } }`;
const ACCEPT = `mutation($input: AnswerProposalInput!) { acceptProposal(input: $input) { id status resultingTerms { ${TERMS_FIELDS} } } }`;
const REJECT = `mutation($input: AnswerProposalInput!) { rejectProposal(input: $input) { status decisionReason } }`;
const WITHDRAW = `mutation($input: AnswerProposalInput!) { withdrawProposal(input: $input) { status } }`;
const ENROLLMENT = `query($id: ID!, $at: DateTime!) { enrollment(id: $id) {
  status
  currentTerms { ${TERMS_FIELDS} }
  termsAt(at: $at) { version negotiated sale { rateBps } }
  termsVersions { edges { node { version negotiated sale { rateBps } cookieWindowDays } } }
  proposals { edges { node { side status authorName changes { sale { rateBps } cookieWindowDays couponCode } } } }
} }`;

describe('the whole flow', () => {
  test('create, apply, approve, negotiate, accept, and read the terms history', async () => {
    const { merchant, program } = await activeProgram();
    expect(program.currentTerms.tiers.levels).toHaveLength(2);
    const aff = await affiliate('Sam');

    const applied = await apply(aff.user.token, program.id, aff.org.id, 'We review tents for 40k readers');
    expect(applied).toMatchObject({
      status: 'PENDING',
      referralCode: 'sam-reviews',
      applicationMessage: 'We review tents for 40k readers',
    });
    const approved = await ok(
      decide('approveEnrollment'),
      { input: { enrollmentId: applied.id } },
      merchant.token,
    );
    expect(approved.approveEnrollment.history).toEqual([
      { fromStatus: null, toStatus: 'PENDING', reason: null, actorName: 'Sam' },
      { fromStatus: 'PENDING', toStatus: 'APPROVED', reason: null, actorName: 'Merchant' },
    ]);

    const beforeDeal = new Date();
    const proposed = await ok(
      PROPOSE,
      {
        input: {
          enrollmentId: applied.id,
          changes: { sale: { type: 'PERCENTAGE', rateBps: 1200 } },
          message: 'We convert well',
        },
      },
      aff.user.token,
    );
    expect(proposed.proposeTerms).toMatchObject({
      side: 'AFFILIATE',
      status: 'OPEN',
      changes: { sale: { rateBps: 1200 }, cookieWindowDays: null },
    });

    // The affiliate cannot accept its own proposal, nor propose a second one while it is open.
    expect(await failsWith(ACCEPT, { input: { proposalId: proposed.proposeTerms.id } }, aff.user.token)).toBe(
      'FORBIDDEN',
    );
    expect(
      await failsWith(
        PROPOSE,
        { input: { enrollmentId: applied.id, changes: { cookieWindowDays: 90 } } },
        aff.user.token,
      ),
    ).toBe('CONFLICT');

    const countered = await ok(
      COUNTER,
      {
        input: {
          proposalId: proposed.proposeTerms.id,
          changes: { sale: { type: 'PERCENTAGE', rateBps: 1000 }, cookieWindowDays: 60, couponCode: 'sam10' },
          message: '10% and a longer window',
        },
      },
      merchant.token,
    );
    expect(countered.counterProposal).toMatchObject({
      side: 'MERCHANT',
      status: 'OPEN',
      counterOf: { status: 'COUNTERED' },
    });

    const accepted = await ok(
      ACCEPT,
      { input: { proposalId: countered.counterProposal.id } },
      aff.user.token,
    );
    expect(accepted.acceptProposal.status).toBe('ACCEPTED');
    expect(accepted.acceptProposal.resultingTerms).toMatchObject({
      version: 1,
      negotiated: true,
      sale: { type: 'PERCENTAGE', rateBps: 1000 },
      cookieWindowDays: 60,
      // what the proposal did not name is kept from the program's terms
      tiers: {
        basis: 'COUNT',
        levels: [
          { threshold: 20, rateBps: 1000 },
          { threshold: 50, rateBps: 1200 },
        ],
      },
      holdingDays: 30,
      minPayoutAmount: 5000,
    });
    const coupon = await prisma.couponCode.findFirstOrThrow({ where: { enrollmentId: applied.id } });
    expect(coupon.code).toBe('SAM10');

    // The program's own terms change later: the negotiated terms stay; a new affiliate gets them.
    await ok(
      `mutation($input: UpdateProgramTermsInput!) { updateProgramTerms(input: $input) { version } }`,
      {
        input: {
          programId: program.id,
          terms: { sale: { type: 'PERCENTAGE', rateBps: 700 }, cookieWindowDays: 30 },
        },
      },
      merchant.token,
    );
    const other = await affiliate('Olive');
    const otherApplied = await apply(other.user.token, program.id, other.org.id);
    await ok(decide('approveEnrollment'), { input: { enrollmentId: otherApplied.id } }, merchant.token);

    const mine = await ok(ENROLLMENT, { id: applied.id, at: beforeDeal.toISOString() }, aff.user.token);
    expect(mine.enrollment.currentTerms).toMatchObject({
      negotiated: true,
      sale: { rateBps: 1000 },
      cookieWindowDays: 60,
    });
    expect(mine.enrollment.termsAt).toEqual({ version: 1, negotiated: false, sale: { rateBps: 800 } });
    expect(mine.enrollment.termsVersions.edges).toEqual([
      { node: { version: 1, negotiated: true, sale: { rateBps: 1000 }, cookieWindowDays: 60 } },
    ]);
    expect(mine.enrollment.proposals.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        side: 'MERCHANT',
        status: 'ACCEPTED',
        authorName: 'Merchant',
        changes: { sale: { rateBps: 1000 }, cookieWindowDays: 60, couponCode: 'SAM10' },
      },
      {
        side: 'AFFILIATE',
        status: 'COUNTERED',
        authorName: 'Sam',
        changes: { sale: { rateBps: 1200 }, cookieWindowDays: null, couponCode: null },
      },
    ]);
    const theirs = await ok(
      ENROLLMENT,
      { id: otherApplied.id, at: new Date().toISOString() },
      other.user.token,
    );
    expect(theirs.enrollment.currentTerms).toMatchObject({
      version: 2,
      negotiated: false,
      sale: { rateBps: 700 },
    });

    const history = await ok(
      `query($id: ID!) { program(id: $id) { termsVersions { edges { node { version sale { rateBps } } } } } }`,
      { id: program.id },
      merchant.token,
    );
    expect(
      history.program.termsVersions.edges.map((e: { node: { version: number } }) => e.node.version),
    ).toEqual([2, 1]);
  });
});

describe('negotiation rules', () => {
  test('rejecting and withdrawing; only open proposals can be answered', async () => {
    const { merchant, aff, enrollmentId } = await approvedEnrollment();
    const first = await ok(
      PROPOSE,
      { input: { enrollmentId, changes: { holdingDays: 14 } } },
      merchant.token,
    );
    expect(await failsWith(WITHDRAW, { input: { proposalId: first.proposeTerms.id } }, aff.user.token)).toBe(
      'FORBIDDEN',
    );
    const rejected = await ok(
      REJECT,
      { input: { proposalId: first.proposeTerms.id, reason: 'We need 30 days' } },
      aff.user.token,
    );
    expect(rejected.rejectProposal).toEqual({ status: 'REJECTED', decisionReason: 'We need 30 days' });
    expect(await failsWith(ACCEPT, { input: { proposalId: first.proposeTerms.id } }, aff.user.token)).toBe(
      'CONFLICT',
    );

    const second = await ok(PROPOSE, { input: { enrollmentId, changes: { tiers: null } } }, merchant.token);
    expect(second.proposeTerms.changes.removed).toEqual(['tiers']);
    expect(
      (await ok(WITHDRAW, { input: { proposalId: second.proposeTerms.id } }, merchant.token)).withdrawProposal
        .status,
    ).toBe('WITHDRAWN');
    expect(await prisma.commissionTerms.count({ where: { enrollmentId } })).toBe(0);
  });

  test('invalid changes are refused and nothing is written', async () => {
    const { merchant, enrollmentId } = await approvedEnrollment();
    for (const changes of [
      { sale: { type: 'PERCENTAGE', rateBps: 15_000 } },
      { cookieWindowDays: 0 },
      { minPayoutAmount: -1 },
      {},
      { sale: { type: 'FLAT', flatAmount: 500 } }, // the program's tiers are in percent
    ]) {
      expect(await failsWith(PROPOSE, { input: { enrollmentId, changes } }, merchant.token)).toBe(
        'INVALID_INPUT',
      );
    }
    expect(await prisma.termsProposal.count({ where: { enrollmentId } })).toBe(0);
  });

  test('a coupon code already used in the program is a conflict', async () => {
    const { merchant, program, enrollmentId } = await approvedEnrollment();
    await prisma.couponCode.create({ data: { programId: program.id, code: 'TAKEN' } });
    expect(
      await failsWith(PROPOSE, { input: { enrollmentId, changes: { couponCode: 'taken' } } }, merchant.token),
    ).toBe('CONFLICT');
  });

  test('concurrent acceptances create exactly one terms version', async () => {
    const { merchant, aff, enrollmentId } = await approvedEnrollment();
    const proposal = await ok(
      PROPOSE,
      { input: { enrollmentId, changes: { cookieWindowDays: 90 } } },
      merchant.token,
    );
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        gql(ACCEPT, { input: { proposalId: proposal.proposeTerms.id } }, aff.user.token),
      ),
    );
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors).map((r) => r.errors?.[0]?.extensions.code)).toEqual([
      'CONFLICT',
      'CONFLICT',
      'CONFLICT',
    ]);
    expect(await prisma.commissionTerms.count({ where: { enrollmentId } })).toBe(1);
  });

  test('concurrent proposals: one is open, the others conflict', async () => {
    const { merchant, aff, enrollmentId } = await approvedEnrollment();
    const results = await Promise.all([
      gql(PROPOSE, { input: { enrollmentId, changes: { cookieWindowDays: 40 } } }, merchant.token),
      gql(PROPOSE, { input: { enrollmentId, changes: { cookieWindowDays: 50 } } }, aff.user.token),
      gql(PROPOSE, { input: { enrollmentId, changes: { cookieWindowDays: 60 } } }, merchant.token),
    ]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(await prisma.termsProposal.count({ where: { enrollmentId, status: 'OPEN' } })).toBe(1);
  });

  test('terms accepted with a future effective time apply from then, not before', async () => {
    const { merchant, aff, enrollmentId } = await approvedEnrollment();
    const from = new Date(Date.now() + 7 * 86_400_000);
    const proposal = await ok(
      PROPOSE,
      {
        input: {
          enrollmentId,
          changes: { sale: { type: 'PERCENTAGE', rateBps: 950 } },
          effectiveAt: from.toISOString(),
        },
      },
      merchant.token,
    );
    await ok(ACCEPT, { input: { proposalId: proposal.proposeTerms.id } }, aff.user.token);
    const data = await ok(
      ENROLLMENT,
      { id: enrollmentId, at: new Date(from.getTime() + 1000).toISOString() },
      aff.user.token,
    );
    expect(data.enrollment.currentTerms.sale.rateBps).toBe(800);
    expect(data.enrollment.termsAt).toEqual({ version: 1, negotiated: true, sale: { rateBps: 950 } });
    expect(
      await failsWith(
        PROPOSE,
        {
          input: {
            enrollmentId,
            changes: { holdingDays: 10 },
            effectiveAt: new Date(Date.now() - 86_400_000).toISOString(),
          },
        },
        merchant.token,
      ),
    ).toBe('INVALID_INPUT');
  });
});

describe('who may negotiate', () => {
  test('other merchants and other affiliates cannot see or answer proposals; members without admin cannot propose', async () => {
    const { merchant, enrollmentId } = await approvedEnrollment();
    const stranger = await affiliate('Stranger');
    const rival = await activeProgram({}, 'Rival');
    const proposal = await ok(
      PROPOSE,
      { input: { enrollmentId, changes: { holdingDays: 20 } } },
      merchant.token,
    );

    for (const token of [stranger.user.token, rival.merchant.token]) {
      expect(await failsWith(ACCEPT, { input: { proposalId: proposal.proposeTerms.id } }, token)).toBe(
        'NOT_FOUND',
      );
      expect(await failsWith(PROPOSE, { input: { enrollmentId, changes: { holdingDays: 1 } } }, token)).toBe(
        'NOT_FOUND',
      );
      expect(await failsWith(ENROLLMENT, { id: enrollmentId, at: new Date().toISOString() }, token)).toBe(
        'NOT_FOUND',
      );
    }
    expect(
      await prisma.termsProposal.findUniqueOrThrow({ where: { id: proposal.proposeTerms.id } }),
    ).toMatchObject({ status: 'OPEN' });
    void activeProgram;
  });
});
