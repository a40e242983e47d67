import { randomBytes } from 'node:crypto';
import { prisma } from '../db.ts';
import { unauthenticated } from '../errors.ts';
import { ExpiringCache } from '../expiring-cache.ts';
import type { ApiKeyKind } from '../generated/prisma/client.ts';
import { onInvalidate } from '../invalidation.ts';
import { sha256 } from './tokens.ts';

const prefixes = { PUBLISHABLE: 'pk_', SECRET: 'sk_' } as const satisfies Record<ApiKeyKind, string>;

export function isApiKey(token: string): boolean {
  return token.startsWith(prefixes.PUBLISHABLE) || token.startsWith(prefixes.SECRET);
}

/** A new key (192 random bits): the full key is returned once, the hash is what is stored. */
export function generateApiKey(kind: ApiKeyKind) {
  const key = `${prefixes[kind]}${randomBytes(24).toString('base64url')}`;
  return { key, keyHash: sha256(key), prefix: key.slice(0, 11) };
}

// lastUsedAt is written at most once a minute per key, to keep reads from becoming writes.
const lastUsedResolutionMs = 60_000;

type Found = {
  id: string;
  organizationId: string;
  kind: ApiKeyKind;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
};

// Keys are checked on every tracking call, so a key read from the database is kept for a while.
// Revoking one drops it here at once, and in other instances through the invalidation channel
// (Redis); without Redis, other instances notice within 30 s.
const cache = new ExpiringCache<Found>(30_000);
onInvalidate((what) => {
  if ('apiKey' in what) cache.deleteWhere((key) => key.id === what.apiKey);
});

async function lookup(keyHash: string): Promise<Found | null> {
  const hit = cache.get(keyHash);
  if (hit) return hit;
  const found = await prisma.apiKey.findUnique({
    where: { keyHash },
    select: { id: true, organizationId: true, kind: true, revokedAt: true, lastUsedAt: true },
  });
  if (found) cache.set(keyHash, found);
  else cache.delete(keyHash);
  return found;
}

/** The key, if it exists and is not revoked: one cached lookup for the API and the snippet's endpoints. */
export async function liveApiKey(key: string): Promise<Found | null> {
  const found = await lookup(sha256(key));
  return found && !found.revokedAt ? found : null;
}

export async function authenticateApiKey(key: string) {
  const found = await liveApiKey(key);
  if (!found) throw unauthenticated('Invalid or revoked API key');
  const now = new Date();
  if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > lastUsedResolutionMs) {
    found.lastUsedAt = now;
    await prisma.apiKey.updateMany({
      where: {
        id: found.id,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - lastUsedResolutionMs) } }],
      },
      data: { lastUsedAt: now },
    });
  }
  return found;
}
