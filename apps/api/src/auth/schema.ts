import { createHash } from 'node:crypto';
import { z } from 'zod';
import { builder, type Context } from '../builder.ts';
import { config } from '../config.ts';
import { prisma } from '../db.ts';
import { conflict, unauthenticated } from '../errors.ts';
import { rememberSignInIp } from '../fraud/account-ips.ts';
import { isUniqueViolation } from '../prisma-errors.ts';
import { email, input, name } from '../validation.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';
import { issueRefreshToken, revokeRefreshToken, rotateRefreshToken, signAccessToken } from './tokens.ts';
import { resolveUserViewer } from './viewer.ts';

const password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(200, 'must be at most 200 characters');

interface Session {
  userId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

const AuthPayload = builder.objectRef<Session>('AuthPayload').implement({
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', { description: 'A JWT for `Authorization: Bearer …`.' }),
    accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime' }),
    refreshToken: t.exposeString('refreshToken', {
      description: 'Exchange it with `refreshToken` before it expires; each works once.',
    }),
    refreshTokenExpiresAt: t.expose('refreshTokenExpiresAt', { type: 'DateTime' }),
    user: t.prismaField({
      type: 'User',
      resolve: (query, session) => prisma.user.findUniqueOrThrow({ ...query, where: { id: session.userId } }),
    }),
  }),
});

// From here on the request acts as this user, so the payload's user is readable.
async function startSession(
  context: Context,
  userId: string,
  refresh?: { token: string; expiresAt: Date },
): Promise<Session> {
  const access = await signAccessToken(userId);
  const refreshToken = refresh ?? (await issueRefreshToken(userId));
  await rememberSignInIp(userId, context.clientIp);
  context.viewer = await resolveUserViewer(userId);
  return {
    userId,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken: refreshToken.token,
    refreshTokenExpiresAt: refreshToken.expiresAt,
  };
}

const SignUpInput = builder.inputType('SignUpInput', {
  fields: (t) => ({ email: t.string(), password: t.string(), name: t.string() }),
  validate: input({ email, password, name }),
});

const LogInInput = builder.inputType('LogInInput', {
  fields: (t) => ({ email: t.string(), password: t.string() }),
  validate: input({ email, password: z.string().min(1, 'must not be empty').max(200) }),
});

const RefreshTokenInput = builder.inputType('RefreshTokenInput', {
  fields: (t) => ({ refreshToken: t.string() }),
  validate: input({ refreshToken: z.string().min(1, 'must not be empty').max(200) }),
});

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    description: 'Creates an account and logs it in.',
    authScopes: { public: true },
    args: { input: t.arg({ type: SignUpInput }) },
    resolve: async (_root, { input }, context) => {
      if (context.clientIp) await context.rateLimits.take('signUpByIp', context.clientIp);
      const normalized = input.email.trim().toLowerCase();
      const admins = config().NETWORK_ADMIN_EMAILS;
      try {
        const user = await prisma.user.create({
          data: {
            email: normalized,
            name: input.name.trim(),
            passwordHash: await hashPassword(input.password),
            isNetworkAdmin: admins.includes(normalized),
          },
          select: { id: true },
        });
        return startSession(context, user.id);
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict('An account with this email already exists', { field: 'email' });
        throw error;
      }
    },
  }),
  logIn: t.field({
    type: AuthPayload,
    authScopes: { public: true },
    args: { input: t.arg({ type: LogInInput }) },
    resolve: async (_root, { input }, context) => {
      // Counted before the password is checked: guessing costs an attempt, right or wrong.
      if (context.clientIp) await context.rateLimits.take('logInByIp', context.clientIp);
      // By a hash of the email: the counters (in Redis too) hold no addresses.
      const account = createHash('sha256').update(input.email.trim().toLowerCase()).digest('base64url');
      await context.rateLimits.take('logInByAccount', account);
      const user = await prisma.user.findUnique({
        where: { email: input.email.trim().toLowerCase() },
        select: { id: true, passwordHash: true, deletedAt: true },
      });
      const valid = await verifyPassword(input.password, user?.passwordHash ?? decoyHash);
      if (!user || !valid || user.deletedAt) throw unauthenticated('Wrong email or password');
      return startSession(context, user.id);
    },
  }),
  refreshToken: t.field({
    type: AuthPayload,
    description: 'Exchanges a refresh token for a new access token and a new refresh token.',
    authScopes: { public: true },
    args: { input: t.arg({ type: RefreshTokenInput }) },
    resolve: async (_root, { input }, context) => {
      const { userId, token, expiresAt } = await rotateRefreshToken(input.refreshToken);
      return startSession(context, userId, { token, expiresAt });
    },
  }),
  logOut: t.boolean({
    description: 'Revokes the refresh token and every token rotated from the same log-in.',
    authScopes: { public: true },
    args: { input: t.arg({ type: RefreshTokenInput }) },
    resolve: async (_root, { input }) => {
      await revokeRefreshToken(input.refreshToken);
      return true;
    },
  }),
}));
