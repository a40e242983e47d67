import type { MembershipRole } from '../generated/prisma/client.ts';
import type { Viewer } from './viewer.ts';

const rank: Record<MembershipRole, number> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

/**
 * Whether the viewer may act for an organization with at least `role`. A secret key acts
 * with the organization's full scope; a publishable key never does (it only reports
 * clicks and conversions, through its own endpoints).
 */
export function actsFor(viewer: Viewer, organizationId: string, role: MembershipRole = 'MEMBER'): boolean {
  if (viewer.kind === 'apiKey')
    return viewer.keyKind === 'SECRET' && viewer.organizationId === organizationId;
  if (viewer.kind === 'user') {
    const held = viewer.roles.get(organizationId);
    return held !== undefined && rank[held] >= rank[role];
  }
  return false;
}

export const isUser = (viewer: Viewer): viewer is Extract<Viewer, { kind: 'user' }> => viewer.kind === 'user';
