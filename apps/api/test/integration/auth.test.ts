import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { failsWith, gql, ok, signUp } from '../helpers.ts';

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id email name } } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { accessToken refreshToken user { id } } }`;
const REFRESH = `mutation($t: String!) { refreshToken(input: { refreshToken: $t }) { accessToken refreshToken user { id } } }`;
const ME = `{ me { id email } }`;

describe('sign up', () => {
  test('creates the account with a salted scrypt hash, normalizes the email and logs in', async () => {
    const data = await ok(SIGN_UP, {
      input: { email: '  Maya@Example.COM ', password: 'correct horse battery', name: ' Maya ' },
    });
    expect(data.signUp.user).toMatchObject({ email: 'maya@example.com', name: 'Maya' });

    const row = await prisma.user.findUniqueOrThrow({
      where: { email: 'maya@example.com' },
      select: { passwordHash: true },
    });
    expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(row.passwordHash).not.toContain('correct horse');

    const me = await ok(ME, {}, data.signUp.accessToken);
    expect(me.me).toEqual({ id: data.signUp.user.id, email: 'maya@example.com' });
  });

  test('refuses a second account with the same email, in any case', async () => {
    await ok(SIGN_UP, { input: { email: 'dup@example.com', password: 'a long enough password', name: 'A' } });
    const result = await gql(SIGN_UP, {
      input: { email: 'DUP@example.com', password: 'another long password', name: 'B' },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
    expect(await prisma.user.count({ where: { email: 'dup@example.com' } })).toBe(1);
  });

  test('reports every invalid field at once and writes nothing', async () => {
    const before = await prisma.user.count();
    const result = await gql(SIGN_UP, { input: { email: 'not-an-email', password: 'short', name: '   ' } });
    expect(result.errors?.[0]?.extensions.code).toBe('INVALID_INPUT');
    expect(result.errors?.[0]?.extensions.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(
      ['input.email', 'input.name', 'input.password'],
    );
    expect(await prisma.user.count()).toBe(before);
  });
});

describe('log in', () => {
  test('with the right password; the same answer for a wrong password and an unknown email', async () => {
    const { email, userId } = await signUp('Lena');
    const data = await ok(LOG_IN, {
      input: { email: email.toUpperCase(), password: 'a long enough password' },
    });
    expect(data.logIn.user.id).toBe(userId);

    const wrong = await gql(LOG_IN, { input: { email, password: 'not the password' } });
    const unknown = await gql(LOG_IN, {
      input: { email: 'nobody@example.com', password: 'not the password' },
    });
    expect(wrong.errors?.[0]).toMatchObject({
      message: 'Wrong email or password',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
  });
});

describe('tokens', () => {
  test('a refresh token works once; reusing it revokes every token of that log-in', async () => {
    const { refreshToken, userId } = await signUp('Rotating');
    const first = await ok(REFRESH, { t: refreshToken });
    expect(first.refreshToken.user.id).toBe(userId);
    const second = await ok(REFRESH, { t: first.refreshToken.refreshToken });

    expect(await failsWith(REFRESH, { t: refreshToken })).toBe('UNAUTHENTICATED');
    // the theft signal revoked the newest token too
    expect(await failsWith(REFRESH, { t: second.refreshToken.refreshToken })).toBe('UNAUTHENTICATED');
    const live = await prisma.refreshToken.count({ where: { userId, revokedAt: null } });
    expect(live).toBe(0);
  });

  test('concurrent exchanges of one refresh token: exactly one succeeds', async () => {
    const { refreshToken } = await signUp('Racer');
    const results = await Promise.all(Array.from({ length: 5 }, () => gql(REFRESH, { t: refreshToken })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
  });

  test('log out revokes the refresh token', async () => {
    const { refreshToken } = await signUp('Leaving');
    expect(
      (await ok(`mutation($t: String!) { logOut(input: { refreshToken: $t }) }`, { t: refreshToken })).logOut,
    ).toBe(true);
    expect(await failsWith(REFRESH, { t: refreshToken })).toBe('UNAUTHENTICATED');
  });

  test('a malformed or forged bearer token is refused with 401, never treated as anonymous', async () => {
    const { token } = await signUp('Forger');
    const [header, payload] = token.split('.');
    const unsigned = `${header}.${payload}.`;
    for (const credential of ['garbage', unsigned, `${token.slice(0, -2)}xx`]) {
      const result = await gql(ME, {}, credential);
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  test('anonymous callers get UNAUTHENTICATED from guarded fields', async () => {
    expect(await failsWith(ME, {})).toBe('UNAUTHENTICATED');
  });
});
