import { prisma } from '../db.ts';
import { unauthenticated } from '../errors.ts';
import type { ApiKeyKind, MembershipRole } from '../generated/prisma/client.ts';
import { authenticateApiKey, isApiKey } from './api-keys.ts';
import { verifyAccessToken } from './tokens.ts';

/** Who is asking: nobody, a logged-in user, or an organization's API key. */
export type Viewer =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; isNetworkAdmin: boolean; roles: Map<string, MembershipRole> }
  | { kind: 'apiKey'; apiKeyId: string; organizationId: string; keyKind: ApiKeyKind };

export const anonymous: Viewer = { kind: 'anonymous' };

/** The bearer credential of a request: `Authorization: Bearer …` or `X-Api-Key: …`. */
export function credentialOf(headers: Headers): string | undefined {
  const apiKey = headers.get('x-api-key');
  if (apiKey) return apiKey.trim();
  const authorization = headers.get('authorization');
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw unauthenticated('Authorization header must be "Bearer <token or API key>"');
  return match[1];
}

// A credential that is present but wrong is an error, never a silent fall-back to anonymous.
export async function resolveViewer(headers: Headers): Promise<Viewer> {
  const credential = credentialOf(headers);
  if (!credential) return anonymous;
  if (isApiKey(credential)) {
    const key = await authenticateApiKey(credential);
    return { kind: 'apiKey', apiKeyId: key.id, organizationId: key.organizationId, keyKind: key.kind };
  }
  return resolveUserViewer(await verifyAccessToken(credential));
}

export async function resolveUserViewer(userId: string): Promise<Viewer> {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: {
      isNetworkAdmin: true,
      deletedAt: true,
      memberships: { select: { organizationId: true, role: true } },
    },
  });
  if (!user || user.deletedAt) throw unauthenticated('Account no longer exists');
  return {
    kind: 'user',
    userId,
    isNetworkAdmin: user.isNetworkAdmin,
    roles: new Map(user.memberships.map((m) => [m.organizationId, m.role])),
  };
}
