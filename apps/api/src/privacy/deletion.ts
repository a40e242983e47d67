import { lockCommissions, rejectLocked } from '../commissions/lifecycle.ts';
import { prisma } from '../db.ts';
import { transition } from '../enrollments/transitions.ts';
import { conflict, unauthenticated } from '../errors.ts';
import { type EnrollmentStatus, Prisma } from '../generated/prisma/client.ts';
import { type Invalidation, invalidate } from '../invalidation.ts';

type Tx = Prisma.TransactionClient;

/** Why an account cannot be deleted yet; each comes with what to do about it. */
export type Blocker =
  | 'SOLE_OWNER_WITH_MEMBERS'
  | 'LIVE_PROGRAMS'
  | 'MERCHANT_PAYOUTS_OPEN'
  | 'OWES_AFFILIATES'
  | 'PAYOUT_IN_PROGRESS'
  | 'BALANCE_OWED';

export interface BlockedBy {
  reason: Blocker;
  organizationId: string;
  message: string;
  /** BALANCE_OWED and OWES_AFFILIATES: the money per program and currency, in minor units. */
  amounts?: { programId: string; currency: string; pending: number; approved: number }[];
}

export interface Deleted {
  deletedAt: Date;
  /** The organizations the user owned alone, closed with the account. */
  closedOrganizationIds: string[];
  /** Pending and approved commissions given up with `forfeitBalance`. */
  forfeitedCommissions: number;
}

export const FORFEIT_MEMO = 'Forfeited: the affiliate deleted its account';
export const CLOSE_REASON = 'The affiliate deleted its account';

/** The short tag in pseudonyms: the last six hex digits of the id (its random part). */
export const tagOf = (id: string) => id.replace(/-/g, '').slice(-6);
/** The address a deleted user's email becomes: unique, undeliverable (RFC 2606), frees the real one. */
export const deletedEmail = (userId: string) => `deleted-${userId}@deleted.invalid`;

const live: EnrollmentStatus[] = ['INVITED', 'PENDING', 'APPROVED', 'SUSPENDED'];

const sumBy = (rows: { programId: string; currency: string; status: string; amount: number }[]) => {
  const out = new Map<string, { programId: string; currency: string; pending: number; approved: number }>();
  for (const r of rows) {
    const key = `${r.programId}/${r.currency}`;
    const entry = out.get(key) ?? { programId: r.programId, currency: r.currency, pending: 0, approved: 0 };
    if (r.status === 'PENDING') entry.pending += r.amount;
    else entry.approved += r.amount;
    out.set(key, entry);
  }
  return [...out.values()];
};

/**
 * Deletes the user's account, in one transaction: first every check (nothing is written when one
 * fails), then the erasure. The user's organizations that others co-own carry on without them;
 * those the user owns alone are closed (see closeOrganization). Refused with CONFLICT, listing
 * every reason in `extensions.blockers`, while closing would orphan other members, leave live
 * programs, or leave money unsettled.
 */
export async function deleteAccount(userId: string, options: { forfeitBalance: boolean }): Promise<Deleted> {
  const invalidations: Invalidation[] = [];
  const result = await prisma.$transaction(
    async (tx) => {
      const now = new Date();
      const [user] = await tx.$queryRaw<{ email: string; deletedAt: Date | null }[]>`
        SELECT email, "deletedAt" FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
      if (!user || user.deletedAt) throw unauthenticated('Account no longer exists');
      const memberships = await tx.membership.findMany({
        where: { userId },
        select: { organizationId: true, role: true },
      });
      const owned = memberships.filter((m) => m.role === 'OWNER').map((m) => m.organizationId);
      // The organizations and their memberships are locked in id order: two co-owners deleting
      // their accounts at once, or a removeMember racing this, queue here instead of both
      // leaving an organization without an owner. A payout run locks the same organization row.
      if (owned.length) {
        await tx.$queryRaw`SELECT id FROM "Organization" WHERE id = ANY(${owned}::uuid[]) ORDER BY id FOR UPDATE`;
        await tx.$queryRaw`SELECT id FROM "Membership" WHERE "organizationId" = ANY(${owned}::uuid[]) ORDER BY id FOR UPDATE`;
      }
      const blockers: BlockedBy[] = [];
      const closing: string[] = [];
      const forfeit: Awaited<ReturnType<typeof lockCommissions>> = [];
      for (const organizationId of owned) {
        const members = await tx.membership.findMany({
          where: { organizationId },
          select: { userId: true, role: true },
        });
        if (members.filter((m) => m.role === 'OWNER').length > 1) continue; // co-owned: the user just leaves
        closing.push(organizationId);
        if (members.length > 1)
          blockers.push({
            reason: 'SOLE_OWNER_WITH_MEMBERS',
            organizationId,
            message:
              'You are the only owner of an organization with other members: make one of them an owner (removeMember, then addMember with role OWNER) or remove them first',
          });
        blockers.push(...(await merchantBlockers(tx, organizationId)));
        const profile = await tx.affiliateProfile.findUnique({
          where: { organizationId },
          select: { id: true },
        });
        if (!profile) continue;
        const openItems = await tx.payoutItem.count({
          where: { affiliateId: profile.id, status: { in: ['PENDING', 'PROCESSING'] } },
        });
        if (openItems)
          blockers.push({
            reason: 'PAYOUT_IN_PROGRESS',
            organizationId,
            message:
              'A payout to you is in a batch that is not settled yet: delete the account once the merchant has paid it (or marked it failed)',
          });
        // Locked: a payout run or the approval job cannot take them while this decides.
        const earning = await lockCommissions(
          tx,
          Prisma.sql`e."affiliateId" = ${profile.id}::uuid AND c.status IN ('PENDING', 'APPROVED')`,
          1_000_000,
        );
        if (earning.length && !options.forfeitBalance)
          blockers.push({
            reason: 'BALANCE_OWED',
            organizationId,
            message:
              'You still have pending or approved commissions: wait until they are paid out, or delete with forfeitBalance: true to give them up',
            amounts: sumBy(earning),
          });
        forfeit.push(...earning);
      }
      if (blockers.length)
        throw conflict(`The account cannot be deleted yet: ${blockers.map((b) => b.message).join('; ')}`, {
          reason: blockers[0]!.reason,
          blockers,
        });

      for (const organizationId of closing)
        invalidations.push(...(await closeOrganization(tx, organizationId, userId, now)));
      await forfeitLocked(tx, forfeit);

      // The tombstone: the id stays, so history rows still point at "a deleted user".
      await tx.user.update({
        where: { id: userId },
        data: {
          email: deletedEmail(userId),
          name: 'Deleted user',
          passwordHash: '!', // no scrypt hash: no password matches
          isNetworkAdmin: false,
          deletedAt: now,
        },
      });
      await tx.refreshToken.deleteMany({ where: { userId } });
      await tx.accountIpHash.deleteMany({ where: { userId } });
      await tx.membership.deleteMany({ where: { userId } });
      await tx.invitation.deleteMany({ where: { email: { equals: user.email, mode: 'insensitive' } } });
      return { deletedAt: now, closedOrganizationIds: closing, forfeitedCommissions: forfeit.length };
    },
    { maxWait: 10_000, timeout: 120_000 },
  );
  for (const what of invalidations) invalidate(what);
  return result;
}

/** A merchant organization closes only once wound down: no live program, nothing unsettled. */
async function merchantBlockers(tx: Tx, organizationId: string): Promise<BlockedBy[]> {
  const programs = await tx.program.findMany({ where: { organizationId }, select: { status: true } });
  if (!programs.length) return [];
  const blockers: BlockedBy[] = [];
  if (programs.some((p) => p.status === 'ACTIVE' || p.status === 'PAUSED'))
    blockers.push({
      reason: 'LIVE_PROGRAMS',
      organizationId,
      message:
        'You are the only owner of a merchant with active or paused programs: add another owner (addMember with role OWNER) or archive the programs first',
    });
  const openPayouts = await tx.payout.count({
    where: { organizationId, status: { in: ['DRAFT', 'APPROVED', 'PROCESSING'] } },
  });
  if (openPayouts)
    blockers.push({
      reason: 'MERCHANT_PAYOUTS_OPEN',
      organizationId,
      message:
        'Your organization has payout batches that are not settled: pay them or mark their items failed first',
    });
  const owed = await tx.commission.findMany({
    where: { program: { organizationId }, status: { in: ['PENDING', 'APPROVED'] } },
    select: { programId: true, currency: true, status: true, amount: true },
  });
  if (owed.length)
    blockers.push({
      reason: 'OWES_AFFILIATES',
      organizationId,
      message:
        'Affiliates still have pending or approved commissions in your programs: pay them out (runPayout), or add another owner to carry on',
      amounts: sumBy(owed),
    });
  return blockers;
}

/**
 * Closes an organization with its only owner's account. Kept: its id, and for a merchant its
 * name (affiliates' statements name it) and everything its programs recorded. Its API keys are
 * revoked, its webhooks and pending invitations deleted. An affiliate profile is pseudonymized
 * (closeAffiliate).
 */
async function closeOrganization(
  tx: Tx,
  organizationId: string,
  userId: string,
  now: Date,
): Promise<Invalidation[]> {
  const org = await tx.organization.findUniqueOrThrow({
    where: { id: organizationId },
    select: { _count: { select: { programs: true } }, affiliateProfile: { select: { id: true } } },
  });
  const tag = tagOf(organizationId);
  const merchant = org._count.programs > 0;
  await tx.organization.update({
    where: { id: organizationId },
    data: merchant
      ? { deletedAt: now }
      : {
          deletedAt: now,
          name: org.affiliateProfile ? `Deleted affiliate ${tag}` : `Deleted organization ${tag}`,
          slug: `deleted-${organizationId.replace(/-/g, '')}`,
        },
  });
  const drafts = await tx.program.findMany({
    where: { organizationId, status: 'DRAFT' },
    select: { id: true },
  });
  await tx.program.updateMany({ where: { organizationId, status: 'DRAFT' }, data: { status: 'ARCHIVED' } });
  const keys = await tx.apiKey.findMany({ where: { organizationId, revokedAt: null }, select: { id: true } });
  await tx.apiKey.updateMany({ where: { organizationId, revokedAt: null }, data: { revokedAt: now } });
  await tx.webhookEndpoint.deleteMany({ where: { organizationId } });
  await tx.webhookEvent.deleteMany({ where: { organizationId } });
  await tx.invitation.deleteMany({ where: { organizationId, acceptedAt: null } });
  const enrollments = org.affiliateProfile
    ? await closeAffiliate(tx, org.affiliateProfile.id, organizationId, userId, tag, now)
    : [];
  return [
    ...drafts.map((p) => ({ program: p.id })),
    ...keys.map((k) => ({ apiKey: k.id })),
    { webhooks: organizationId },
    ...enrollments.map((id) => ({ enrollment: id })),
  ];
}

/**
 * Erases an affiliate profile's personal data (its name becomes "Deleted affiliate <tag>") and
 * ends its partnerships: open enrollments end WITHDRAWN (with a history row saying why), links
 * and coupon codes are disabled, open proposals withdrawn. Payout items keep amount, method,
 * status and the provider's reference; the account details copied into them are erased.
 * Returns the enrollments, whose cached links must be dropped.
 */
async function closeAffiliate(
  tx: Tx,
  affiliateId: string,
  organizationId: string,
  userId: string,
  tag: string,
  now: Date,
) {
  await tx.affiliateProfile.update({
    where: { id: affiliateId },
    data: {
      displayName: `Deleted affiliate ${tag}`,
      websiteUrl: null,
      channels: [],
      audience: null,
      country: null,
      contactEmail: '',
      payoutMethod: null,
      payoutReference: null,
      paypalEmail: null,
    },
  });
  await tx.payoutItem.updateMany({
    where: { affiliateId },
    data: { paypalEmail: null, payoutReference: null },
  });
  const enrollments = await tx.enrollment.findMany({
    where: { affiliateId },
    select: { id: true, status: true },
  });
  const ending = enrollments.filter((e) => live.includes(e.status));
  for (const e of ending) {
    const next = transition('close', 'AFFILIATE', e.status);
    if (!next.ok) continue;
    await tx.enrollment.updateMany({ where: { id: e.id, status: e.status }, data: { status: next.to } });
  }
  await tx.enrollmentEvent.createMany({
    data: ending.map((e) => ({
      enrollmentId: e.id,
      fromStatus: e.status,
      toStatus: 'WITHDRAWN' as const,
      reason: CLOSE_REASON,
      actorUserId: userId,
    })),
  });
  await tx.enrollment.updateMany({ where: { affiliateId }, data: { applicationMessage: null } });
  await tx.link.updateMany({
    where: { enrollment: { affiliateId }, disabledAt: null },
    data: { disabledAt: now },
  });
  await tx.couponCode.updateMany({
    where: { enrollment: { affiliateId }, disabledAt: null },
    data: { disabledAt: now },
  });
  await tx.termsProposal.updateMany({
    where: { enrollment: { affiliateId }, status: 'OPEN' },
    data: { status: 'WITHDRAWN', decidedAt: now, decisionReason: CLOSE_REASON },
  });
  // What the affiliate wrote in its own proposals; the terms they carried stay.
  await tx.termsProposal.updateMany({ where: { organizationId }, data: { message: null } });
  return enrollments.map((e) => e.id);
}

/**
 * Gives up pending and approved commissions, locked by this transaction: they become REJECTED,
 * and a REJECTED ledger entry takes the money out of the account it was in, so the balances and
 * the ledger check still add up. The reports stop counting them, as for any rejection.
 */
const forfeitLocked = (tx: Tx, commissions: Awaited<ReturnType<typeof lockCommissions>>) =>
  rejectLocked(tx, commissions, FORFEIT_MEMO, null, 'forfeited');
