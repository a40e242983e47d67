// Rate limits on log-in, sign-up and the API: per IP, per account and per credential, counted in
// memory or, shared by every instance, in Redis (TEST_REDIS_URL, default the local one).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';
import { type Config, config } from '../../src/config.ts';
import { prisma } from '../../src/db.ts';
import { rateLimits } from '../../src/rate-limits.ts';
import { createApp } from '../../src/yoga.ts';
import { createApiKey, createOrganization, signUp } from '../helpers.ts';
import { approvedEnrollment } from '../programs.ts';
import { browser, createLink, startHttp } from '../tracking.ts';

const settings: Config = {
  ...config(),
  TRUST_PROXY: true,
  RATE_LIMIT_LOGIN_PER_IP: 3,
  RATE_LIMIT_LOGIN_PER_ACCOUNT: 2,
  RATE_LIMIT_SIGNUP_PER_IP: 2,
  RATE_LIMIT_API_PER_CREDENTIAL: 5,
  RATE_LIMIT_API_PER_IP: 8,
};

type App = ReturnType<typeof createApp>;

async function call(
  app: App,
  query: string,
  variables: Record<string, unknown>,
  ip: string,
  credential?: string,
) {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': ip,
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

const LOG_IN = 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }';
const logIn = (app: App, email: string, password: string, ip: string) =>
  call(app, LOG_IN, { input: { email, password } }, ip);

const codeOf = (r: Awaited<ReturnType<typeof call>>) => r.body.errors?.[0]?.extensions?.code ?? null;

function expectLimited(r: Awaited<ReturnType<typeof call>>) {
  expect(codeOf(r)).toBe('RATE_LIMITED');
  expect(r.status).toBe(429);
  const seconds = r.body.errors[0].extensions.retryAfterSeconds;
  expect(seconds).toBeGreaterThan(0);
  expect(r.retryAfter).toBe(String(seconds));
}

// A new address for each call (documentation ranges), so no two callers share an allowance by chance.
let addresses = 0;
const ip = () => {
  addresses++;
  return `198.18.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`;
};

describe('rate limits, counted in memory', () => {
  test('log-ins per account: even the right password waits once the attempts are spent', async () => {
    const app = createApp({ settings, rateLimits: rateLimits(settings, null) });
    const user = await signUp('Limited');
    expect(codeOf(await logIn(app, user.email, 'wrong password', ip()))).toBe('UNAUTHENTICATED');
    expect(codeOf(await logIn(app, user.email, 'wrong again', ip()))).toBe('UNAUTHENTICATED');
    const sessions = await prisma.refreshToken.count({ where: { userId: user.userId } });
    const third = await logIn(app, user.email, 'a long enough password', ip());
    expectLimited(third);
    expect(third.body.data ?? null).toBeNull();
    expect(await prisma.refreshToken.count({ where: { userId: user.userId } })).toBe(sessions);
  });

  test('log-ins and sign-ups per IP, whatever the account', async () => {
    const app = createApp({ settings, rateLimits: rateLimits(settings, null) });
    const from = ip();
    for (let i = 0; i < 3; i++)
      expect(codeOf(await logIn(app, `nobody-${i}-${randomUUID()}@example.com`, 'x', from))).toBe(
        'UNAUTHENTICATED',
      );
    expectLimited(await logIn(app, `nobody-${randomUUID()}@example.com`, 'x', from));
    // Another IP is not held back by this one.
    expect(codeOf(await logIn(app, `nobody-${randomUUID()}@example.com`, 'x', ip()))).toBe('UNAUTHENTICATED');

    const signUpFrom = ip();
    const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
    const account = () => ({
      input: { email: `rl-${randomUUID()}@example.com`, password: 'a long enough password', name: 'R' },
    });
    for (let i = 0; i < 2; i++) expect(codeOf(await call(app, SIGN_UP, account(), signUpFrom))).toBeNull();
    const refused = account();
    expectLimited(await call(app, SIGN_UP, refused, signUpFrom));
    expect(await prisma.user.count({ where: { email: refused.input.email } })).toBe(0);
  });

  test('API requests per API key and per IP', async () => {
    const app = createApp({ settings, rateLimits: rateLimits(settings, null) });
    const owner = await signUp('Keyed');
    const org = await createOrganization(owner.token, { name: `Keyed ${randomUUID().slice(0, 6)}` });
    const { key } = await createApiKey(owner.token, org.id, 'SECRET');
    const ME = '{ __typename }';
    // Different IPs: only the key's allowance (5 a minute) counts.
    for (let i = 0; i < 5; i++) expect(codeOf(await call(app, ME, {}, ip(), key))).toBeNull();
    expectLimited(await call(app, ME, {}, ip(), key));

    const from = ip();
    for (let i = 0; i < 8; i++) expect(codeOf(await call(app, ME, {}, from))).toBeNull();
    expectLimited(await call(app, ME, {}, from));
  });
});

describe("the snippet's endpoints", () => {
  test('landing and conversion reports are limited per visitor IP, with 429 and Retry-After', async () => {
    const http = await startHttp({ TRUST_PROXY: true, RATE_LIMIT_SNIPPET_PER_IP: 2 });
    try {
      const report = (path: string, from: string) =>
        fetch(`${http.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'x-forwarded-for': from },
          body: '{}',
        });
      const visitor = ip();
      expect((await report('/track/conversion', visitor)).status).toBe(400);
      expect((await report('/track/click', visitor)).status).toBe(400);
      const refused = await report('/track/conversion', visitor);
      expect(refused.status).toBe(429);
      const body = await refused.json();
      expect(body).toEqual({ error: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(refused.headers.get('retry-after')).toBe(String(body.retryAfterSeconds));
      expect((await report('/track/conversion', ip())).status).toBe(400);
    } finally {
      await http.close();
    }
  });
});

describe("the redirect's click counting", () => {
  test('beyond the allowance per visitor IP and program, redirects still answer but are not counted', async () => {
    const http = await startHttp({ TRUST_PROXY: true, RATE_LIMIT_CLICKS_PER_IP: 3 });
    try {
      const setup = await approvedEnrollment();
      const link = await createLink(setup.enrollmentId, setup.aff.user.token);
      const flooder = ip();
      const redirects = [];
      for (let i = 0; i < 5; i++)
        redirects.push(
          await http.get(`/r/${link.code}`, { 'user-agent': browser, 'x-forwarded-for': flooder }),
        );
      expect(redirects.map((r) => r.status)).toEqual([302, 302, 302, 302, 302]);
      const other = await http.get(`/r/${link.code}`, { 'user-agent': browser, 'x-forwarded-for': ip() });
      await http.tracking.recorder.flush();
      const stored = await prisma.click.findMany({ where: { linkId: link.id }, orderBy: { id: 'asc' } });
      const idOf = (location: string | null) => new URL(location!).searchParams.get('ref_id');
      // The first three of the flooder's clicks, and the other visitor's.
      expect(stored.map((c) => c.id)).toEqual([...redirects.slice(0, 3), other].map((r) => idOf(r.location)));
      expect(http.tracking.recorder.overAllowance).toBe(2);
      const metrics = await (await fetch(`${http.url}/metrics`)).text();
      expect(metrics).toMatch(/^clicks_over_allowance_total [1-9]\d*$/m);
    } finally {
      await http.close();
    }
  });
});

describe('rate limits shared through Redis', () => {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const clients: Redis[] = [];
  const client = (target = url) => {
    const c = new Redis(target, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of clients) c.disconnect();
  });

  test('two API instances count against one allowance', async () => {
    const prefix = `rl-test-${randomUUID()}`;
    const first = createApp({ settings, rateLimits: rateLimits(settings, client(), prefix) });
    const second = createApp({ settings, rateLimits: rateLimits(settings, client(), prefix) });
    await Promise.all(clients.map((c) => c.connect().catch(() => {})));
    const email = `shared-${randomUUID()}@example.com`;
    expect(codeOf(await logIn(first, email, 'x', ip()))).toBe('UNAUTHENTICATED');
    expect(codeOf(await logIn(second, email, 'x', ip()))).toBe('UNAUTHENTICATED');
    expectLimited(await logIn(first, email, 'x', ip()));
    expectLimited(await logIn(second, email, 'x', ip()));
    // A third instance with its own prefix (another deployment) counts on its own.
    const other = createApp({ settings, rateLimits: rateLimits(settings, client(), `${prefix}-other`) });
    await clients
      .at(-1)!
      .connect()
      .catch(() => {});
    expect(codeOf(await logIn(other, email, 'x', ip()))).toBe('UNAUTHENTICATED');
  });

  test('with Redis unreachable, each instance still limits in its own memory', async () => {
    const down = client('redis://127.0.0.1:1');
    const app = createApp({ settings, rateLimits: rateLimits(settings, down, `rl-down-${randomUUID()}`) });
    const email = `down-${randomUUID()}@example.com`;
    expect(codeOf(await logIn(app, email, 'x', ip()))).toBe('UNAUTHENTICATED');
    expect(codeOf(await logIn(app, email, 'x', ip()))).toBe('UNAUTHENTICATED');
    expectLimited(await logIn(app, email, 'x', ip()));
  });
});
