import { prisma } from '../db.ts';
import { forbidden, notFound } from '../errors.ts';
import type { MembershipRole } from '../generated/prisma/client.ts';
import { actsFor } from './scopes.ts';
import type { Viewer } from './viewer.ts';

/** The organizations the viewer acts for: a user's memberships, or a secret key's organization. */
export function viewerOrganizationIds(viewer: Viewer): string[] {
  if (viewer.kind === 'user') return [...viewer.roles.keys()];
  if (viewer.kind === 'apiKey' && viewer.keyKind === 'SECRET') return [viewer.organizationId];
  return [];
}

/** Who performed a change, for history rows. */
export function actorOf(viewer: Viewer) {
  return {
    actorUserId: viewer.kind === 'user' ? viewer.userId : null,
    actorApiKeyId: viewer.kind === 'apiKey' ? viewer.apiKeyId : null,
  };
}

export const userIdOrNull = (viewer: Viewer) => (viewer.kind === 'user' ? viewer.userId : null);

/**
 * Loads an object that belongs to an organization and checks the viewer may act on it with
 * `role`: NOT_FOUND when the viewer has nothing to do with that organization (existence does
 * not leak), FORBIDDEN when it is a member without the role.
 */
export function requireRole(
  viewer: Viewer,
  organizationId: string | undefined,
  role: MembershipRole,
  what: string,
) {
  if (!organizationId || !actsFor(viewer, organizationId, 'MEMBER')) throw notFound(what);
  if (!actsFor(viewer, organizationId, role))
    throw forbidden(`This needs the ${role.toLowerCase()} role in the organization`);
}

/** Whether the viewer's affiliate organizations hold an enrollment in the program (any status). */
export async function hasEnrollmentIn(viewer: Viewer, programId: string): Promise<boolean> {
  const organizationIds = viewerOrganizationIds(viewer);
  if (!organizationIds.length) return false;
  const count = await prisma.enrollment.count({
    where: { programId, affiliate: { organizationId: { in: organizationIds } } },
  });
  return count > 0;
}

/** Whether the viewer is a merchant with this affiliate enrolled (approved or suspended). */
export async function isEnrolledAffiliateOf(viewer: Viewer, affiliateId: string): Promise<boolean> {
  const organizationIds = viewerOrganizationIds(viewer);
  if (!organizationIds.length) return false;
  const count = await prisma.enrollment.count({
    where: {
      affiliateId,
      status: { in: ['APPROVED', 'SUSPENDED'] },
      program: { organizationId: { in: organizationIds } },
    },
  });
  return count > 0;
}

/** Whether the viewer acts for the merchant or the affiliate of an enrollment. */
export async function isPartyTo(viewer: Viewer, enrollmentId: string): Promise<boolean> {
  const organizationIds = viewerOrganizationIds(viewer);
  if (!organizationIds.length) return false;
  const count = await prisma.enrollment.count({
    where: {
      id: enrollmentId,
      OR: [
        { program: { organizationId: { in: organizationIds } } },
        { affiliate: { organizationId: { in: organizationIds } } },
      ],
    },
  });
  return count > 0;
}
