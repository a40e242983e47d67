import { SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/password.ts';
import { actsFor } from '../../src/auth/scopes.ts';
import { signAccessToken, verifyAccessToken } from '../../src/auth/tokens.ts';
import type { Viewer } from '../../src/auth/viewer.ts';
import { slugify } from '../../src/organizations/slug.ts';

describe('passwords', () => {
  test('hash with a fresh salt and verify only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('hunter2 hunter2'), hashPassword('hunter2 hunter2')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter2 hunter2', a)).toBe(true);
    expect(await verifyPassword('hunter2 hunter3', a)).toBe(false);
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false);
  });
});

describe('access tokens', () => {
  const secret = new TextEncoder().encode(process.env.JWT_SECRET);

  test('a token round-trips to its user id', async () => {
    const { token, expiresAt } = await signAccessToken('user-1');
    expect(await verifyAccessToken(token)).toBe('user-1');
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  test.each([
    [
      'expired',
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u')
        .setIssuer('affiliate-network')
        .setAudience('affiliate-network-api')
        .setIssuedAt(1)
        .setExpirationTime(2),
    ],
    [
      'wrong audience',
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u')
        .setIssuer('affiliate-network')
        .setAudience('elsewhere')
        .setIssuedAt()
        .setExpirationTime('5m'),
    ],
    [
      'wrong issuer',
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u')
        .setIssuer('evil')
        .setAudience('affiliate-network-api')
        .setIssuedAt()
        .setExpirationTime('5m'),
    ],
    [
      'another algorithm',
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS512' })
        .setSubject('u')
        .setIssuer('affiliate-network')
        .setAudience('affiliate-network-api')
        .setIssuedAt()
        .setExpirationTime('5m'),
    ],
    [
      'no expiry',
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u')
        .setIssuer('affiliate-network')
        .setAudience('affiliate-network-api')
        .setIssuedAt(),
    ],
  ])('refuses a token with %s', async (_case, jwt) => {
    const token = await jwt.sign(secret);
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  test('refuses a token signed with another secret', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('affiliate-network')
      .setAudience('affiliate-network-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(48)));
    await expect(verifyAccessToken(token)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe('acting for an organization', () => {
  const user: Viewer = {
    kind: 'user',
    userId: 'u',
    isNetworkAdmin: false,
    roles: new Map([['org', 'ADMIN']]),
  };
  const secretKey: Viewer = { kind: 'apiKey', apiKeyId: 'k', organizationId: 'org', keyKind: 'SECRET' };
  const publishable: Viewer = {
    kind: 'apiKey',
    apiKeyId: 'k',
    organizationId: 'org',
    keyKind: 'PUBLISHABLE',
  };

  test.each([
    [user, 'org', 'MEMBER', true],
    [user, 'org', 'ADMIN', true],
    [user, 'org', 'OWNER', false],
    [user, 'other', 'MEMBER', false],
    [secretKey, 'org', 'OWNER', true],
    [secretKey, 'other', 'MEMBER', false],
    [publishable, 'org', 'MEMBER', false],
    [{ kind: 'anonymous' } as Viewer, 'org', 'MEMBER', false],
  ] as const)('%o for %s as %s: %s', (viewer, org, role, expected) => {
    expect(actsFor(viewer, org, role)).toBe(expected);
  });
});

describe('slugs', () => {
  test.each([
    ['Trailhead Outfitters', 'trailhead-outfitters'],
    ['  Crème Brûlée & Co.  ', 'creme-brulee-co'],
    ['A'.repeat(60), 'a'.repeat(40)],
  ])('%s → %s', (name, slug) => expect(slugify(name)).toBe(slug));

  test('a name with nothing usable gets a random slug', () => {
    expect(slugify('★★★')).toMatch(/^org-[0-9a-f]{6}$/);
  });
});
