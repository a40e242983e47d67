import { createHmac } from 'node:crypto';
import { prisma } from '../db.ts';
import { SaltSource } from './salts.ts';

// Visitors' and account holders' IPs outside the click pipeline (conversions, sign-ins), hashed
// with the same daily salt as clicks: hashes from one UTC day can be compared, and none can be
// tied back to an address once the day's salt is deleted.
const salts = new SaltSource(() => prisma);

export async function hashIp(ip: string, at = new Date()): Promise<string> {
  return createHmac('sha256', await salts.saltFor(at))
    .update(ip)
    .digest('base64url');
}
