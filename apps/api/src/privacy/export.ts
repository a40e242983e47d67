import { z } from 'zod';
import { prisma } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { balances } from '../ledger/check.ts';

/** Rows of each long list per part of the export; the rest follows with `next`. */
export const EXPORT_PAGE_ROWS = 5_000;
export const EXPORT_FORMAT = 'affiliate-network/personal-data-export/v1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Database values as JSON: times in ISO 8601, decimals as strings, big integers as numbers when exact. */
export function plain(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (Prisma.Decimal.isDecimal(value)) return (value as Prisma.Decimal).toString();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value as Json;
}

// The long lists (an affiliate's commissions and ledger entries grow with every sale) come in
// parts; the cursor says where each left off: a list missing from it is complete.
const Lists = z.object({ commissions: z.uuid().nullable(), ledgerEntries: z.uuid().nullable() }).partial();
type Lists = z.infer<typeof Lists>;

export function encodeCursor(lists: Lists): string | null {
  return Object.keys(lists).length ? Buffer.from(JSON.stringify(lists)).toString('base64url') : null;
}

export function decodeCursor(cursor: string): Lists | null {
  try {
    const parsed = Lists.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success && Object.keys(parsed.data).length ? parsed.data : null;
  } catch {
    return null;
  }
}

const NOT_INCLUDED = [
  'Secrets are never exported: the password hash, refresh token hashes, API key hashes and webhook signing secrets.',
  "Clicks and conversions are records of visitors and of merchants' customers, not of you: read them through enrollment.clicks and enrollment.conversions. Commissions name the conversion they were earned on.",
  "Merchant organizations' programs, customers and reports are business records: read them through the API.",
];

/**
 * Everything the platform holds about a user: the account, sessions and sign-in IP hashes, the
 * organizations and roles (with API key metadata where the user is an admin), and for each
 * affiliate organization its profile, enrollments with their history, terms, proposals, links
 * and coupon codes, payout items, balances, commissions and ledger entries; plus what the user
 * did in any organization. One JSON document per part: the first part has everything, with at
 * most EXPORT_PAGE_ROWS commissions and ledger entries; `next` fetches the rest.
 */
export async function exportUserData(userId: string, after: Lists | null, pageRows = EXPORT_PAGE_ROWS) {
  const generatedAt = new Date();
  const user = await prisma.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      id: true,
      email: true,
      name: true,
      isNetworkAdmin: true,
      createdAt: true,
      updatedAt: true,
      memberships: {
        orderBy: { id: 'asc' },
        select: { role: true, createdAt: true, organizationId: true },
      },
    },
  });
  const organizationIds = user.memberships.map((m) => m.organizationId);
  const adminOf = user.memberships.filter((m) => m.role !== 'MEMBER').map((m) => m.organizationId);
  const profiles = await prisma.affiliateProfile.findMany({
    where: { organizationId: { in: organizationIds } },
    orderBy: { id: 'asc' },
  });
  const affiliateIds = profiles.map((p) => p.id);
  const lists: Lists = after ?? { commissions: null, ledgerEntries: null };
  const next: Lists = {};

  const commissions =
    'commissions' in lists
      ? await prisma.commission.findMany({
          where: {
            enrollment: { affiliateId: { in: affiliateIds } },
            ...(lists.commissions ? { id: { gt: lists.commissions } } : {}),
          },
          orderBy: { id: 'asc' },
          take: pageRows + 1,
          select: {
            id: true,
            programId: true,
            enrollmentId: true,
            conversionId: true,
            termsId: true,
            kind: true,
            status: true,
            amount: true,
            currency: true,
            holdUntil: true,
            payoutItemId: true,
            reason: true,
            createdAt: true,
            updatedAt: true,
          },
        })
      : null;
  if (commissions && commissions.length > pageRows) {
    commissions.length = pageRows;
    next.commissions = commissions.at(-1)!.id;
  }
  const ledgerEntries =
    'ledgerEntries' in lists
      ? await prisma.ledgerEntry.findMany({
          where: {
            affiliateId: { in: affiliateIds },
            ...(lists.ledgerEntries ? { id: { gt: lists.ledgerEntries } } : {}),
          },
          orderBy: { id: 'asc' },
          take: pageRows + 1,
          select: {
            id: true,
            groupId: true,
            type: true,
            account: true,
            amount: true,
            currency: true,
            programId: true,
            enrollmentId: true,
            affiliateId: true,
            commissionId: true,
            payoutItemId: true,
            memo: true,
            createdAt: true,
          },
        })
      : null;
  if (ledgerEntries && ledgerEntries.length > pageRows) {
    ledgerEntries.length = pageRows;
    next.ledgerEntries = ledgerEntries.at(-1)!.id;
  }

  const document: Record<string, unknown> = {
    format: EXPORT_FORMAT,
    generatedAt,
    userId,
    part: after ? 'continued' : 'first',
  };
  if (!after) Object.assign(document, await firstPart(user, organizationIds, adminOf, profiles));
  if (commissions) document.commissions = commissions;
  if (ledgerEntries) document.ledgerEntries = ledgerEntries;
  const cursor = encodeCursor(next);
  document.next = cursor;
  return { generatedAt, document: plain(document) as Record<string, Json>, next: cursor };
}

type UserRow = {
  id: string;
  email: string;
  name: string;
  isNetworkAdmin: boolean;
  createdAt: Date;
  updatedAt: Date;
  memberships: { role: string; createdAt: Date; organizationId: string }[];
};

async function firstPart(
  user: UserRow,
  organizationIds: string[],
  adminOf: string[],
  profiles: Awaited<ReturnType<typeof prisma.affiliateProfile.findMany>>,
) {
  const userId = user.id;
  const affiliateIds = profiles.map((p) => p.id);
  const [
    sessions,
    signInIpHashes,
    invitations,
    organizations,
    apiKeys,
    enrollments,
    payoutItems,
    affiliateBalances,
    activity,
  ] = await Promise.all([
    prisma.refreshToken.findMany({
      where: { userId },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        familyId: true,
        createdAt: true,
        expiresAt: true,
        replacedAt: true,
        revokedAt: true,
      },
    }),
    prisma.accountIpHash.findMany({
      where: { userId },
      orderBy: { seenAt: 'asc' },
      select: { ipHash: true, seenAt: true },
    }),
    prisma.invitation.findMany({
      where: { email: { equals: user.email, mode: 'insensitive' } },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        organizationId: true,
        organization: { select: { name: true } },
        programId: true,
        role: true,
        createdAt: true,
        expiresAt: true,
        acceptedAt: true,
      },
    }),
    prisma.organization.findMany({
      where: { id: { in: organizationIds } },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        name: true,
        slug: true,
        isMerchant: true,
        isAffiliate: true,
        createdAt: true,
        updatedAt: true,
      },
    }),
    // Metadata only: the hash is omitted by the client and never selected.
    prisma.apiKey.findMany({
      where: { OR: [{ organizationId: { in: adminOf } }, { createdById: userId }] },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        organizationId: true,
        kind: true,
        name: true,
        prefix: true,
        createdById: true,
        createdAt: true,
        lastUsedAt: true,
        revokedAt: true,
      },
    }),
    prisma.enrollment.findMany({
      where: { affiliateId: { in: affiliateIds } },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        affiliateId: true,
        programId: true,
        program: { select: { name: true, organization: { select: { name: true } } } },
        status: true,
        referralCode: true,
        applicationMessage: true,
        createdAt: true,
        updatedAt: true,
        events: {
          orderBy: { createdAt: 'asc' },
          select: {
            id: true,
            fromStatus: true,
            toStatus: true,
            reason: true,
            actorUserId: true,
            createdAt: true,
          },
        },
        proposals: {
          orderBy: { createdAt: 'asc' },
          select: {
            id: true,
            side: true,
            authorId: true,
            counterOfId: true,
            status: true,
            changes: true,
            message: true,
            effectiveAt: true,
            createdAt: true,
            decidedAt: true,
            decisionReason: true,
          },
        },
        links: {
          orderBy: { id: 'asc' },
          select: {
            id: true,
            code: true,
            destinationUrl: true,
            sub1: true,
            sub2: true,
            sub3: true,
            sub4: true,
            sub5: true,
            utmSource: true,
            utmMedium: true,
            utmCampaign: true,
            utmTerm: true,
            utmContent: true,
            createdAt: true,
            updatedAt: true,
            disabledAt: true,
          },
        },
        couponCodes: {
          orderBy: { id: 'asc' },
          select: { id: true, code: true, description: true, createdAt: true, disabledAt: true },
        },
      },
    }),
    prisma.payoutItem.findMany({
      where: { affiliateId: { in: affiliateIds } },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        payoutId: true,
        affiliateId: true,
        payout: { select: { programId: true, organization: { select: { name: true } } } },
        currency: true,
        amount: true,
        status: true,
        payoutMethod: true,
        payoutReference: true,
        paypalEmail: true,
        externalReference: true,
        failureReason: true,
        paidAt: true,
        createdAt: true,
      },
    }),
    Promise.all(affiliateIds.map((affiliateId) => balances(prisma, { affiliateId }))),
    activityOf(userId),
  ]);
  const programIds = [...new Set(enrollments.map((e) => e.programId))];
  const enrollmentIds = enrollments.map((e) => e.id);
  // The terms the affiliate earns under: each program's versions and its own negotiated ones.
  const terms = await prisma.commissionTerms.findMany({
    where: {
      programId: { in: programIds },
      OR: [{ enrollmentId: null }, { enrollmentId: { in: enrollmentIds } }],
    },
    orderBy: [{ programId: 'asc' }, { version: 'asc' }],
    include: {
      tiers: { select: { threshold: true, rateBps: true, flatAmount: true }, orderBy: { threshold: 'asc' } },
    },
  });
  const roleIn = new Map(user.memberships.map((m) => [m.organizationId, m]));
  return {
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      isNetworkAdmin: user.isNetworkAdmin,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    },
    sessions,
    signInIpHashes,
    invitations: invitations.map(({ organization, ...i }) => ({ ...i, organizationName: organization.name })),
    organizations: organizations.map((org) => {
      const profile = profiles.find((p) => p.organizationId === org.id);
      const index = profile ? affiliateIds.indexOf(profile.id) : -1;
      return {
        ...org,
        role: roleIn.get(org.id)?.role,
        memberSince: roleIn.get(org.id)?.createdAt,
        affiliateProfile: profile ? { ...profile, balances: affiliateBalances[index] } : null,
      };
    }),
    apiKeys: apiKeys.map(({ createdById, ...key }) => ({ ...key, createdByYou: createdById === userId })),
    enrollments: enrollments.map(({ program, events, proposals, ...e }) => ({
      ...e,
      programName: program.name,
      merchantName: program.organization.name,
      history: events.map(({ actorUserId, ...event }) => ({ ...event, byYou: actorUserId === userId })),
      terms: terms
        .filter((t) => t.programId === e.programId && (t.enrollmentId === null || t.enrollmentId === e.id))
        .map(({ createdById: _createdBy, ...t }) => ({ ...t, negotiated: t.enrollmentId !== null })),
      proposals: proposals.map(({ authorId, ...p }) => ({ ...p, byYou: authorId === userId })),
    })),
    payoutItems: payoutItems.map(({ payout, ...item }) => ({
      ...item,
      programId: payout.programId,
      merchantName: payout.organization.name,
    })),
    activity,
    notIncluded: NOT_INCLUDED,
  };
}

/** What the user did in any organization, as recorded by the rows that name them. */
async function activityOf(userId: string) {
  const [
    enrollmentChanges,
    proposalsAuthored,
    proposalsDecided,
    reviewDecisions,
    termsCreated,
    payoutsCreated,
    ledgerEntriesCreated,
  ] = await Promise.all([
    prisma.enrollmentEvent.findMany({
      where: { actorUserId: userId },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        enrollmentId: true,
        fromStatus: true,
        toStatus: true,
        reason: true,
        createdAt: true,
      },
    }),
    prisma.termsProposal.findMany({
      where: { authorId: userId },
      orderBy: { createdAt: 'asc' },
      select: { id: true, enrollmentId: true, side: true, status: true, message: true, createdAt: true },
    }),
    prisma.termsProposal.findMany({
      where: { decidedById: userId },
      orderBy: { createdAt: 'asc' },
      select: { id: true, enrollmentId: true, status: true, decisionReason: true, decidedAt: true },
    }),
    prisma.reviewDecision.findMany({
      where: { decidedById: userId },
      orderBy: { id: 'asc' },
      select: { id: true, conversionId: true, outcome: true, reason: true, createdAt: true },
    }),
    prisma.commissionTerms.findMany({
      where: { createdById: userId },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        programId: true,
        enrollmentId: true,
        version: true,
        effectiveAt: true,
        createdAt: true,
      },
    }),
    prisma.payout.findMany({
      where: { createdById: userId },
      orderBy: { id: 'asc' },
      select: { id: true, organizationId: true, programId: true, status: true, createdAt: true },
    }),
    prisma.ledgerEntry.findMany({
      where: { createdById: userId },
      orderBy: { id: 'asc' },
      select: {
        id: true,
        type: true,
        account: true,
        amount: true,
        currency: true,
        programId: true,
        enrollmentId: true,
        memo: true,
        createdAt: true,
      },
    }),
  ]);
  return {
    enrollmentChanges,
    proposalsAuthored,
    proposalsDecided,
    reviewDecisions,
    termsCreated,
    payoutsCreated,
    ledgerEntriesCreated,
  };
}
