import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { config } from '../config.ts';
import { prisma } from '../db.ts';
import { unauthenticated } from '../errors.ts';
import { resolveJwtSecret } from './secret.ts';

const algorithm = 'HS256';
let secret: Uint8Array | undefined;
const key = () => {
  secret ??= resolveJwtSecret(config());
  return secret;
};

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

export async function signAccessToken(userId: string): Promise<{ token: string; expiresAt: Date }> {
  const { JWT_ISSUER, JWT_AUDIENCE, ACCESS_TOKEN_TTL_SECONDS } = config();
  const expiresAt = new Date(Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key());
  return { token, expiresAt };
}

/** The user id in a valid access token; UNAUTHENTICATED for anything else. */
export async function verifyAccessToken(token: string): Promise<string> {
  const { JWT_ISSUER, JWT_AUDIENCE } = config();
  try {
    const { payload } = await jwtVerify(token, key(), {
      algorithms: [algorithm],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    return payload.sub!;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw unauthenticated('Access token expired; refresh it');
    throw unauthenticated('Invalid access token');
  }
}

/** An opaque refresh token; only its hash is stored. */
export async function issueRefreshToken(userId: string, familyId: string = randomUUID()) {
  const token = `rt_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + config().REFRESH_TOKEN_TTL_DAYS * 86_400_000);
  await prisma.refreshToken.create({ data: { userId, familyId, tokenHash: sha256(token), expiresAt } });
  return { token, expiresAt };
}

/**
 * Exchanges a refresh token for a new one (rotation). A token that was already exchanged is
 * a sign of theft: the whole family is revoked and the caller must log in again.
 */
export async function rotateRefreshToken(token: string) {
  const now = new Date();
  const stored = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(token) } });
  if (!stored || stored.revokedAt || stored.expiresAt <= now) throw unauthenticated('Invalid refresh token');
  // Only one of several concurrent exchanges of the same token wins this conditional update.
  const claimed = await prisma.refreshToken.updateMany({
    where: { id: stored.id, replacedAt: null, revokedAt: null },
    data: { replacedAt: now },
  });
  if (claimed.count === 0) {
    await prisma.refreshToken.updateMany({
      where: { familyId: stored.familyId, revokedAt: null },
      data: { revokedAt: now },
    });
    throw unauthenticated('Refresh token already used; log in again');
  }
  return { userId: stored.userId, ...(await issueRefreshToken(stored.userId, stored.familyId)) };
}

export async function revokeRefreshToken(token: string): Promise<void> {
  const stored = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(token) } });
  if (!stored) return;
  await prisma.refreshToken.updateMany({
    where: { familyId: stored.familyId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}
