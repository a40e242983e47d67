import { hashIp } from '../clicks/ip-hash.ts';
import { prisma } from '../db.ts';

/**
 * Keeps the hash of the IP a user signs in from (or refreshes a session from), for the
 * self-referral rule. The hash uses the day's click salt, so it matches only that day's clicks
 * and conversions from the same address, and means nothing once the salt is gone.
 */
export async function rememberSignInIp(userId: string, ip: string | null | undefined) {
  if (!ip) return;
  const ipHash = await hashIp(ip);
  await prisma.$executeRaw`
    INSERT INTO "AccountIpHash" ("userId", "ipHash", "seenAt") VALUES (${userId}::uuid, ${ipHash}, now())
    ON CONFLICT ("userId", "ipHash") DO UPDATE SET "seenAt" = excluded."seenAt"`;
}

/** Hashes older than the salts that made them can match nothing: drop them. */
export const forgetOldSignInIps = () =>
  prisma.$executeRaw`DELETE FROM "AccountIpHash" WHERE "seenAt" < now() - interval '3 days'`;
