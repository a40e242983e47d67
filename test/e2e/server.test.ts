// The API as a user runs it: a process started from the command line, on the embedded
// database by default, or on PostgreSQL when TEST_DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { run, startServer } from './server-process.ts';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'aff-e2e-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }`;

async function firstSession(server: Awaited<ReturnType<typeof startServer>>) {
  const email = `founder.${randomBytes(3).toString('hex')}@example.com`;
  const signUp = await server.gql(SIGN_UP, {
    input: { email, password: 'a long enough password', name: 'Founder' },
  });
  const token = signUp.data.signUp.accessToken as string;
  const org = await server.gql(
    `mutation { createOrganization(input: { name: "First Merchant", isMerchant: true }) { id } }`,
    {},
    token,
  );
  const key = await server.gql(
    `mutation($id: ID!) { createApiKey(input: { organizationId: $id, kind: SECRET, name: "backend" }) { key } }`,
    { id: org.data.createOrganization.id },
    token,
  );
  return {
    email,
    token,
    orgId: org.data.createOrganization.id as string,
    key: key.data.createApiKey.key as string,
  };
}

describe('on the embedded database', () => {
  test('starts with no configuration, keeps data and tokens across a restart, and stops cleanly on SIGTERM', async () => {
    const dataDir = freshDir();
    const first = await startServer({ DATA_DIR: dataDir });
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    expect(first.output()).toContain('applied migrations');
    const session = await firstSession(first);
    expect(session.key).toMatch(/^sk_/);
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await startServer({ DATA_DIR: dataDir });
    expect(second.output()).not.toContain('applied migrations');
    // the access token signed before the restart is still valid: the secret was kept
    const me = await second.gql(`{ me { id } }`, {}, session.token);
    expect(me.data.me.id).toBeTruthy();
    const org = await second.gql(
      `query($id: ID!) { organization(id: $id) { name } }`,
      { id: session.orgId },
      session.key,
    );
    expect(org.data.organization.name).toBe('First Merchant');
    const login = await second.gql(LOG_IN, {
      input: { email: session.email, password: 'a long enough password' },
    });
    expect(login.data.logIn.accessToken).toBeTruthy();
    expect(await second.stop()).toBe(0);
  });

  test('db:seed loads the demo network once, and its users can log in', async () => {
    const dataDir = freshDir();
    const seed = run('scripts/seed.ts', { DATA_DIR: dataDir });
    expect(await seed.exited).toBe(0);
    expect(seed.output()).toMatch(
      /Loaded the demo network: 4 organizations, 3 programs, \d+ clicks, \d+ conversions/,
    );
    const again = run('scripts/seed.ts', { DATA_DIR: dataDir });
    expect(await again.exited).toBe(0);
    expect(again.output()).toContain('already loaded');

    const server = await startServer({ DATA_DIR: dataDir });
    const login = await server.gql(LOG_IN, {
      input: { email: 'maya@trailhead.test', password: 'demo-password-123' },
    });
    const orgs = await server.gql(
      `{ me { memberships { edges { node { organization { slug } } } } } }`,
      {},
      login.data.logIn.accessToken,
    );
    expect(orgs.data.me.memberships.edges[0].node.organization.slug).toBe('trailhead-outfitters');
    expect(await server.stop()).toBe(0);
  });

  test('the short-link redirect of the running server stores its click (written from the writer thread)', async () => {
    const dataDir = freshDir();
    expect(await run('scripts/seed.ts', { DATA_DIR: dataDir }).exited).toBe(0);
    const CLICKS = `{ me { memberships { edges { node { organization { programs { edges { node { slug enrollments { edges { node { clickCounts { total } } } } } } } } } } } } }`;
    type Edges<T> = { edges: { node: T }[] };
    type Mine = {
      me: {
        memberships: Edges<{
          organization: { programs: Edges<{ enrollments: Edges<{ clickCounts: { total: number } }> }> };
        }>;
      };
    };
    const total = (data: Mine) =>
      data.me.memberships.edges[0]!.node.organization.programs.edges.flatMap(
        (program) => program.node.enrollments.edges,
      ).reduce((sum, enrollment) => sum + enrollment.node.clickCounts.total, 0);
    const login = { input: { email: 'maya@trailhead.test', password: 'demo-password-123' } };

    const first = await startServer({ DATA_DIR: dataDir });
    const token = (await first.gql(LOG_IN, login)).data.logIn.accessToken;
    const before = total((await first.gql(CLICKS, {}, token)).data);
    const response = await fetch(`${first.url}/r/gear-trailhead-gear-home`, {
      redirect: 'manual',
      headers: {
        'user-agent':
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      },
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(
      /^https:\/\/trailhead\.example\/\?utm_source=gear-reviews-weekly&utm_medium=affiliate&ref_id=[0-9a-f-]{36}$/,
    );
    expect(await first.stop()).toBe(0);
    expect(first.output()).toMatch(/"accepted":1,"recorded":1,"dropped":0/);

    const second = await startServer({ DATA_DIR: dataDir });
    expect(total((await second.gql(CLICKS, {}, token)).data)).toBe(before + 1);
    expect(await second.stop()).toBe(0);
  });

  test('webhook events written before a crash are delivered after the restart', async () => {
    const dataDir = freshDir();
    expect(await run('scripts/seed.ts', { DATA_DIR: dataDir }).exited).toBe(0);
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    try {
      // The first process has no webhook worker: the event can only wait in the outbox.
      const first = await startServer({ DATA_DIR: dataDir, WEBHOOK_WORKER_INTERVAL_MS: '0' });
      const token = (
        await first.gql(LOG_IN, { input: { email: 'maya@trailhead.test', password: 'demo-password-123' } })
      ).data.logIn.accessToken;
      const mine = await first.gql(
        `{ me { memberships { edges { node { organization { id programs { edges { node { id slug } } } } } } } } }`,
        {},
        token,
      );
      const org = mine.data.me.memberships.edges[0].node.organization;
      const programId = org.programs.edges.find(
        (e: { node: { slug: string } }) => e.node.slug === 'trailhead-gear',
      ).node.id;
      const endpoint = await first.gql(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`,
        { input: { organizationId: org.id, url: hookUrl, events: ['CONVERSION_CREATED'] } },
        token,
      );
      expect(endpoint.errors).toBeUndefined();
      const sale = await first.gql(
        `mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversionId } }`,
        { input: { programId, orderId: 'crash-1', amount: 5_000, currency: 'USD' } },
        token,
      );
      const conversionId = sale.data.trackSale.conversionId;
      first.child.kill('SIGKILL');
      await first.exited;
      expect(bodies).toHaveLength(0);

      const second = await startServer({ DATA_DIR: dataDir, WEBHOOK_WORKER_INTERVAL_MS: '50' });
      await expect.poll(() => bodies.length, { timeout: 10_000 }).toBe(1);
      expect(JSON.parse(bodies[0]!)).toMatchObject({ type: 'conversion.created', data: { conversionId } });
      expect(await second.stop()).toBe(0);
    } finally {
      receiver.close();
    }
  });

  test('with Redis unreachable from the start, the server still starts, serves and limits in memory', async () => {
    const server = await startServer({
      DATA_DIR: freshDir(),
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '2',
    });
    const session = await firstSession(server);
    expect(session.key).toMatch(/^sk_/);
    const wrong = { input: { email: session.email, password: 'not the password' } };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await server.gql(LOG_IN, wrong)).errors[0].extensions.code);
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('redis error');
  });

  test('a second process on the same data folder is refused with a clear message', async () => {
    const dataDir = freshDir();
    const first = await startServer({ DATA_DIR: dataDir });
    const second = run('src/server.ts', { PORT: '0', DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/The embedded database in .* is in use by process \d+/);
    expect(await first.stop()).toBe(0);
  });
});

describe('bad configuration stops the server with a message that names the setting', () => {
  test.each([
    [
      { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' },
      /DATABASE_URL: cannot connect to postgresql:\/\/nobody@127\.0\.0\.1:1\/none/,
    ],
    [
      { DATABASE_URL: 'mysql://localhost/db' },
      /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [{ NODE_ENV: 'production' }, /JWT_SECRET: is required when NODE_ENV=production/],
    [{ PORT: 'http' }, /PORT: /],
  ])('%o', async (env, message) => {
    const server = run('src/server.ts', { DATA_DIR: freshDir(), ...env });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(message);
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;

describe.runIf(serverUrl)('on PostgreSQL (TEST_DATABASE_URL)', () => {
  const name = `aff_e2e_${randomBytes(4).toString('hex')}`;
  const databaseUrl = (() => {
    if (!serverUrl) return '';
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  })();
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  afterAll(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

  test('refuses an unmigrated database, migrates from empty with db:migrate, then serves', async () => {
    await admin(`CREATE DATABASE "${name}"`);
    const early = run('src/server.ts', { PORT: '0', DATABASE_URL: databaseUrl, JWT_SECRET: 'e'.repeat(40) });
    expect(await early.exited).toBe(1);
    expect(early.output()).toMatch(/migration\(s\) not applied .* Run: pnpm db:migrate/);

    const migrate = run('scripts/migrate.ts', { DATABASE_URL: databaseUrl });
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toMatch(/Applied to .*_init/s);
    const again = run('scripts/migrate.ts', { DATABASE_URL: databaseUrl });
    expect(await again.exited).toBe(0);
    expect(again.output()).toContain('is up to date');

    const server = await startServer({ DATABASE_URL: databaseUrl, JWT_SECRET: 'e'.repeat(40) });
    const session = await firstSession(server);
    expect(session.orgId).toBeTruthy();
    expect(await server.stop()).toBe(0);
  });
});
