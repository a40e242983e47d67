import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { unauthenticated } from '../errors.ts';

export const isSelf = (viewer: Viewer, userId: string) => viewer.kind === 'user' && viewer.userId === userId;

export const userIdOf = (viewer: Viewer): string => {
  if (viewer.kind !== 'user') throw unauthenticated('Log in as a user for this');
  return viewer.userId;
};

builder.prismaObject('User', {
  // Visible to the user, to network admins, and (granted by Membership.user) to fellow members.
  authScopes: (user, { viewer }) => isSelf(viewer, user.id) || { networkAdmin: true, $granted: 'readUser' },
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    isNetworkAdmin: t.exposeBoolean('isNetworkAdmin'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    memberships: t.relatedConnection('memberships', {
      cursor: 'id',
      description: "The user's organizations and roles; visible to the user only.",
      authScopes: (user, _args, { viewer }) => isSelf(viewer, user.id) || { networkAdmin: true },
    }),
  }),
});

builder.queryField('me', (t) =>
  t.prismaField({
    type: 'User',
    description: 'The logged-in user.',
    authScopes: { user: true },
    resolve: (query, _root, _args, { viewer }) =>
      prisma.user.findUniqueOrThrow({ ...query, where: { id: userIdOf(viewer) } }),
  }),
);
