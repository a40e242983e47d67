import { randomBytes } from 'node:crypto';
import { prisma } from '../db.ts';
import { unauthenticated } from '../errors.ts';
import type { ApiKeyKind } from '../generated/prisma/client.ts';
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

export async function authenticateApiKey(key: string) {
  const found = await prisma.apiKey.findUnique({
    where: { keyHash: sha256(key) },
    select: { id: true, organizationId: true, kind: true, revokedAt: true, lastUsedAt: true },
  });
  if (!found || found.revokedAt) throw unauthenticated('Invalid or revoked API key');
  const now = new Date();
  if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > lastUsedResolutionMs) {
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
