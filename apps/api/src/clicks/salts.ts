import { randomBytes } from 'node:crypto';
import type { Db } from '../db.ts';

const day = 86_400_000;

/**
 * The salt for hashing visitor IPs on a given UTC day, shared by every API instance through the
 * HashSalt table. Salts older than two days are deleted, after which the hashes they made can no
 * longer be tied to an address.
 */
export class SaltSource {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly db: () => Db) {}

  saltFor(at: Date): Promise<string> {
    const period = at.toISOString().slice(0, 10);
    let salt = this.cache.get(period);
    if (!salt) {
      salt = this.load(period);
      this.cache.set(period, salt);
      salt.catch(() => this.cache.delete(period));
      for (const key of this.cache.keys()) if (key < period && this.cache.size > 2) this.cache.delete(key);
    }
    return salt;
  }

  private async load(period: string): Promise<string> {
    const db = this.db();
    await db.$executeRaw`INSERT INTO "HashSalt" (period, salt) VALUES (${period}, ${randomBytes(32).toString('base64url')}) ON CONFLICT (period) DO NOTHING`;
    const { salt } = await db.hashSalt.findUniqueOrThrow({ where: { period } });
    const expired = new Date(Date.parse(period) - 2 * day).toISOString().slice(0, 10);
    await db.hashSalt.deleteMany({ where: { period: { lt: expired } } });
    return salt;
  }
}
