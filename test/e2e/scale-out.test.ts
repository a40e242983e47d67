// Scale-out: two API processes on one PostgreSQL and one Redis behave as one instance would.
// Rate limits are counted once across both, due commissions are approved once while both
// instances' jobs race, concurrent payout runs pay each commission once, and each webhook event
// reaches its receiver once while both workers run.
//
// PostgreSQL pass only (TEST_DATABASE_URL): the embedded database (PGlite) belongs to one process,
// so two instances cannot share it. Redis is TEST_REDIS_URL, default the local one. It has no key
// prefix setting, so every key this run makes is its own: the accounts, the client and visitor
// IPs (random per run) and the program and link ids are. They expire on their own (an hour at most).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifySignature } from '../../apps/api/src/webhooks/signature.ts';
import { run, startServer } from './server-process.ts';

type Instance = Awaited<ReturnType<typeof startServer>>;
// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are checked field by field
type Json = any;

const serverUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const LOGINS_PER_ACCOUNT = 5;
const CLICKS_PER_IP = 10;
const SALES = 600; // more than one approval batch (500), so both instances get a share
const AFFILIATES = 3;
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

const runId = randomBytes(4).toString('hex');
const randomIp = () => `10.${[...randomBytes(3)].join('.')}`;
const clientIp = randomIp(); // every GraphQL call of this run comes from here (sign-ups are counted by IP)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(instance: Instance, query: string, variables: object = {}, credential?: string) {
  const response = await fetch(`${instance.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': clientIp,
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Json; errors?: { extensions: { code: string } }[] };
  return {
    status: response.status,
    data: body.data,
    errors: body.errors,
    code: body.errors?.[0]?.extensions.code,
  };
}

async function ok(instance: Instance, query: string, variables: object = {}, credential?: string) {
  const result = await call(instance, query, variables, credential);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

/** Runs `work(i)` for i in 0..count-1, `width` at a time. */
async function inParallel(count: number, width: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

const logLines = (instance: Instance) =>
  instance
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Json);

const metric = async (instance: Instance, name: string) => {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
};

describe.runIf(serverUrl)('two API instances on one PostgreSQL and one Redis', () => {
  const name = `aff_scale_${runId}`;
  const databaseUrl = (() => {
    const url = new URL(serverUrl ?? 'postgresql://unused');
    url.pathname = `/${name}`;
    return url.toString();
  })();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const sql = async <T = Json>(text: string, values: unknown[] = []) =>
    (await db.query(text, values)).rows as T[];

  const received: { id: string; type: string; verified: boolean }[] = [];
  let secret = '';
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({
        id: String(req.headers['webhook-id']),
        type: JSON.parse(body).type,
        verified: verifySignature(secret, String(req.headers['webhook-signature']), body),
      });
      res.end();
    });
  });

  let a: Instance;
  let b: Instance;
  const both = () => [a, b] as const;
  // The merchant, its program and its affiliates, made through the two instances in turn.
  const net = {
    token: '',
    secretKey: '',
    orgId: '',
    programId: '',
    linkCode: '',
    linkId: '',
    affiliateToken: '',
    enrollments: [] as { id: string; affiliateId: string; coupon: string }[],
  };

  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(text);
    await client.end();
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${name}"`);
    const migrate = run('scripts/migrate.ts', { DATABASE_URL: databaseUrl });
    expect(await migrate.exited, migrate.output()).toBe(0);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      JWT_SECRET: `scale-out-${runId}-`.padEnd(40, 'x'),
      TRUST_PROXY: 'true',
      COMMISSION_JOBS_INTERVAL_MS: '100',
      WEBHOOK_WORKER_INTERVAL_MS: '100',
      CLICK_FLUSH_INTERVAL_MS: '50',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: String(LOGINS_PER_ACCOUNT),
      RATE_LIMIT_CLICKS_PER_IP: String(CLICKS_PER_IP),
    };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    await buildNetwork();
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    receiver.close();
    await db.end();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  async function buildNetwork() {
    const signUp = async (instance: Instance, who: string) => {
      const email = `${who}.${runId}@example.com`;
      const data = await ok(
        instance,
        'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }',
        { input: { email, password: 'a long enough password', name: who } },
      );
      return data.signUp.accessToken as string;
    };
    const organization = async (instance: Instance, token: string, input: object) =>
      (
        await ok(
          instance,
          'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }',
          { input },
          token,
        )
      ).createOrganization.id as string;

    net.token = await signUp(a, 'merchant');
    net.orgId = await organization(b, net.token, { name: `Scale ${runId}`, isMerchant: true });
    net.secretKey = (
      await ok(
        a,
        'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
        { input: { organizationId: net.orgId, kind: 'SECRET', name: 'backend' } },
        net.token,
      )
    ).createApiKey.key;
    const program = await ok(
      b,
      'mutation($input: CreateProgramInput!) { createProgram(input: $input) { id } }',
      {
        input: {
          organizationId: net.orgId,
          name: 'Scale Gear',
          slug: `scale-${runId}`,
          websiteUrl: 'https://scale.example',
          currency: 'USD',
          terms: { sale: { type: 'PERCENTAGE', rateBps: 1000 }, holdingDays: 30, minPayoutAmount: 0 },
        },
      },
      net.token,
    );
    net.programId = program.createProgram.id;
    await ok(
      a,
      'mutation($id: ID!) { setProgramStatus(programId: $id, status: ACTIVE) { status } }',
      { id: net.programId },
      net.token,
    );
    // Before any event: the outbox keeps only events some endpoint wants.
    const endpoint = await ok(
      b,
      'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
      {
        input: {
          organizationId: net.orgId,
          url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
          events: ['CONVERSION_CREATED', 'COMMISSION_APPROVED', 'PAYOUT_CREATED', 'PAYOUT_PAID'],
        },
      },
      net.token,
    );
    secret = endpoint.createWebhookEndpoint.secret;

    for (let i = 0; i < AFFILIATES; i++) {
      const [mine, theirs] = i % 2 ? [a, b] : [b, a];
      const token = await signUp(mine, `affiliate${i}`);
      const orgId = await organization(theirs, token, { name: `Partner ${i} ${runId}`, isAffiliate: true });
      const profile = await ok(
        mine,
        'mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) { id } }',
        {
          input: {
            organizationId: orgId,
            displayName: `Partner ${i}`,
            contactEmail: `partner${i}.${runId}@example.com`,
            payoutMethod: 'PAYPAL',
            payoutAccount: `partner${i}.${runId}@pay.example`,
          },
        },
        token,
      );
      const applied = await ok(
        theirs,
        'mutation($input: ApplyToProgramInput!) { applyToProgram(input: $input) { id } }',
        { input: { programId: net.programId, affiliateOrganizationId: orgId, message: 'Reviews' } },
        token,
      );
      const enrollmentId = applied.applyToProgram.id as string;
      await ok(
        mine,
        'mutation($input: EnrollmentDecisionInput!) { approveEnrollment(input: $input) { status } }',
        { input: { enrollmentId } },
        net.token,
      );
      const coupon = `SCALE${i}${runId}`.toUpperCase();
      await ok(
        theirs,
        'mutation($input: CreateCouponCodeInput!) { createCouponCode(input: $input) { id } }',
        { input: { enrollmentId, code: coupon } },
        net.token,
      );
      net.enrollments.push({ id: enrollmentId, affiliateId: profile.upsertAffiliateProfile.id, coupon });
      if (i === 0) {
        net.affiliateToken = token;
        const link = await ok(
          mine,
          'mutation($input: CreateLinkInput!) { createLink(input: $input) { id code } }',
          { input: { enrollmentId } },
          token,
        );
        net.linkId = link.createLink.id;
        net.linkCode = link.createLink.code;
      }
    }
  }

  test('log-in attempts for one account are refused at the same total on either instance', async () => {
    const email = `target.${runId}@example.com`;
    await ok(a, 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', {
      input: { email, password: 'the right password', name: 'Target' },
    });
    const logIn = (instance: Instance, password: string) =>
      call(instance, 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }', {
        input: { email, password },
      });
    // One instance answers the first RATE_LIMIT_LOGIN_PER_ACCOUNT wrong guesses and refuses the
    // rest; alternating between two must not double that.
    const answers: string[] = [];
    for (let i = 0; i < 2 * LOGINS_PER_ACCOUNT; i++) {
      const result = await logIn(both()[i % 2]!, `wrong guess ${i}`);
      answers.push(`${result.status} ${result.code}`);
    }
    expect(answers).toEqual([
      ...Array(LOGINS_PER_ACCOUNT).fill('200 UNAUTHENTICATED'),
      ...Array(LOGINS_PER_ACCOUNT).fill('429 RATE_LIMITED'),
    ]);
    // The right password is refused too, on both, until the window ends.
    for (const instance of both())
      expect((await logIn(instance, 'the right password')).code).toBe('RATE_LIMITED');
  });

  test("one visitor's clicks count against one allowance across both instances", async () => {
    // The allowance is per minute aligned to the clock: start early enough in a minute that
    // every click is counted in the same one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await sleep(60_000 - intoMinute + 200);
    const overBefore = (
      await Promise.all(both().map((i) => metric(i, 'clicks_over_allowance_total')))
    ).reduce((x, y) => x + y);
    const visitor = randomIp();
    const other = randomIp();
    const redirect = (instance: Instance, ip: string) =>
      fetch(`${instance.url}/r/${net.linkCode}`, {
        redirect: 'manual',
        headers: { 'user-agent': UA, 'x-forwarded-for': ip },
      }).then((response) => response.status);
    // Three allowances' worth from one visitor, half through each instance, and a few from another.
    const statuses = await Promise.all([
      ...Array.from({ length: 3 * CLICKS_PER_IP }, (_, i) => redirect(both()[i % 2]!, visitor)),
      ...Array.from({ length: 4 }, (_, i) => redirect(both()[i % 2]!, other)),
    ]);
    expect(statuses.every((status) => status === 302)).toBe(true); // the visitor always gets through
    const stored = async () =>
      Number((await sql('SELECT count(*) FROM "Click" WHERE "linkId" = $1', [net.linkId]))[0].count);
    await expect.poll(stored, { timeout: 10_000 }).toBe(CLICKS_PER_IP + 4);
    const over = async () =>
      (await Promise.all(both().map((i) => metric(i, 'clicks_over_allowance_total')))).reduce(
        (x, y) => x + y,
      ) - overBefore;
    await expect.poll(over, { timeout: 10_000 }).toBe(2 * CLICKS_PER_IP);
    await sleep(300); // a late flush would show here
    expect(await stored()).toBe(CLICKS_PER_IP + 4);
    const LINK = 'query($id: ID!) { link(id: $id) { clickCounts { total unique } } }';
    const link = await ok(a, LINK, { id: net.linkId }, net.affiliateToken);
    // One unique visitor each, too: the unique-click window is shared as well.
    expect(link.link.clickCounts).toEqual({ total: CLICKS_PER_IP + 4, unique: 2 });
  });

  test('due commissions are approved once each while both instances approve', async () => {
    const amounts: number[] = [];
    await inParallel(SALES, 8, async (i) => {
      const amount = 10_000 + 10 * i; // 10% of it is exact
      amounts[i] = amount;
      await ok(
        both()[i % 2]!,
        'mutation($input: TrackSaleInput!) { trackSale(input: $input) { conversionId } }',
        {
          input: {
            programId: net.programId,
            orderId: `order-${i}`,
            amount,
            currency: 'USD',
            couponCode: net.enrollments[i % AFFILIATES]!.coupon,
          },
        },
        net.secretKey,
      );
    });
    const statuses = () =>
      sql<{ status: string; n: number; total: number }>(
        'SELECT status::text, count(*)::int AS n, sum(amount)::int AS total FROM "Commission" WHERE "programId" = $1 GROUP BY 1',
        [net.programId],
      );
    const expectedTotal = amounts.reduce((sum, amount) => sum + amount / 10, 0);
    expect(await statuses()).toEqual([{ status: 'PENDING', n: SALES, total: expectedTotal }]);

    // The holding period (whole days) ends for all of them at once, and both instances' jobs,
    // every 100 ms, race for them.
    await sql(`UPDATE "Commission" SET "holdUntil" = now() - interval '1 second' WHERE "programId" = $1`, [
      net.programId,
    ]);
    await expect
      .poll(statuses, { timeout: 30_000 })
      .toEqual([{ status: 'APPROVED', n: SALES, total: expectedTotal }]);

    // Each approved once: one APPROVED movement per commission, its whole amount out of PENDING and
    // into APPROVED, and one commission.approved event in the outbox.
    const approvals = await sql(
      `WITH events AS (
         SELECT payload->'data'->>'commissionId' AS id, count(*)::int AS n FROM "WebhookEvent"
         WHERE type = 'COMMISSION_APPROVED' GROUP BY 1)
       SELECT c.id, count(DISTINCT l."groupId")::int AS movements, count(l.id)::int AS entries,
         coalesce(sum(l.amount) FILTER (WHERE l.account = 'PENDING'), 0)::int + c.amount AS "pendingLeft",
         coalesce(sum(l.amount) FILTER (WHERE l.account = 'APPROVED'), 0)::int - c.amount AS "approvedOff",
         coalesce(max(events.n), 0) AS events
       FROM "Commission" c
       LEFT JOIN "LedgerEntry" l ON l."commissionId" = c.id AND l.type = 'APPROVED'
       LEFT JOIN events ON events.id = c.id::text
       WHERE c."programId" = $1 GROUP BY c.id`,
      [net.programId],
    );
    expect(approvals).toHaveLength(SALES);
    expect(
      approvals.filter(
        (c) =>
          c.movements !== 1 ||
          c.entries !== 2 ||
          c.pendingLeft !== 0 ||
          c.approvedOff !== 0 ||
          c.events !== 1,
      ),
    ).toEqual([]);

    const balances = await ok(
      b,
      'query($id: ID!) { program(id: $id) { balances { affiliateId pending approved paid } } }',
      { id: net.programId },
      net.token,
    );
    const perAffiliate = net.enrollments.map((e, k) => ({
      affiliateId: e.affiliateId,
      pending: 0,
      approved: amounts.filter((_, i) => i % AFFILIATES === k).reduce((sum, x) => sum + x / 10, 0),
      paid: 0,
    }));
    expect(balances.program.balances).toEqual(expect.arrayContaining(perAffiliate));
    expect(balances.program.balances).toHaveLength(AFFILIATES);
  });

  test('payout runs started together through both instances pay each commission once', async () => {
    const approved = await sql<{ affiliateId: string; total: number; n: number }>(
      `SELECT e."affiliateId", sum(c.amount)::int AS total, count(*)::int AS n
       FROM "Commission" c JOIN "Enrollment" e ON e.id = c."enrollmentId"
       WHERE c."programId" = $1 AND c.status = 'APPROVED' GROUP BY 1`,
      [net.programId],
    );
    expect(approved.reduce((n, row) => n + row.n, 0)).toBe(SALES);

    const RUN = `mutation($input: RunPayoutInput!) { runPayout(input: $input) {
      items payout { id items { id amount affiliate { id } } } } }`;
    const runs = await Promise.all(
      [a, b, a, b, a, b].map((instance) =>
        ok(instance, RUN, { input: { organizationId: net.orgId, programId: net.programId } }, net.secretKey),
      ),
    );
    // One instance alone: the first run makes the batch, the others find nothing left to pay.
    const made = runs.map((r) => r.runPayout).filter((r) => r.payout);
    expect(made).toHaveLength(1);
    expect(runs.map((r) => r.runPayout.items).sort()).toEqual([0, 0, 0, 0, 0, AFFILIATES]);
    const payout = made[0]!.payout;
    expect(
      payout.items.map((item: Json) => ({ affiliateId: item.affiliate.id, total: item.amount })),
    ).toEqual(expect.arrayContaining(approved.map(({ affiliateId, total }) => ({ affiliateId, total }))));
    const claimed = await sql(
      `SELECT count(DISTINCT c."payoutItemId")::int AS items, count(*) FILTER (WHERE c."payoutItemId" IS NULL)::int AS unclaimed,
         (SELECT count(*)::int FROM "Payout" WHERE "programId" = $1) AS payouts
       FROM "Commission" c WHERE c."programId" = $1`,
      [net.programId],
    );
    expect(claimed).toEqual([{ items: AFFILIATES, unclaimed: 0, payouts: 1 }]);

    await ok(
      a,
      'mutation($id: ID!) { approvePayout(payoutId: $id) { status } }',
      { id: payout.id },
      net.secretKey,
    );
    await ok(
      b,
      'mutation($id: ID!) { startPayoutProcessing(payoutId: $id) { status } }',
      { id: payout.id },
      net.secretKey,
    );
    // Each item marked paid through both instances at once: one succeeds, the other is told it is paid.
    const PAID = `mutation($input: MarkPayoutItemPaidInput!) { markPayoutItemPaid(input: $input) { status } }`;
    const marks = await Promise.all(
      payout.items.flatMap((item: Json) =>
        both().map((instance, k) =>
          call(
            instance,
            PAID,
            { input: { itemId: item.id, externalReference: `PP-${k}-${item.id}` } },
            net.secretKey,
          ),
        ),
      ),
    );
    expect(marks.map((m) => m.data?.markPayoutItemPaid?.status ?? m.code).sort()).toEqual([
      ...Array(AFFILIATES).fill('CONFLICT'),
      ...Array(AFFILIATES).fill('PAID'),
    ]);

    const paid = await sql(
      `SELECT c.status::text, count(*)::int AS n,
         (SELECT count(*)::int FROM "LedgerEntry" l WHERE l."programId" = $1 AND l.type = 'PAYOUT') AS entries,
         (SELECT count(DISTINCT l."commissionId")::int FROM "LedgerEntry" l WHERE l."programId" = $1 AND l.type = 'PAYOUT') AS commissions
       FROM "Commission" c WHERE c."programId" = $1 GROUP BY 1`,
      [net.programId],
    );
    expect(paid).toEqual([{ status: 'PAID', n: SALES, entries: 2 * SALES, commissions: SALES }]);
    const check = run('scripts/ledger-check.ts', { DATABASE_URL: databaseUrl });
    expect(await check.exited, check.output()).toBe(0);
    expect(check.output()).toMatch(/✓ \d+ ledger entries: commissions, payouts and balances agree/);
  });

  test('each webhook event is delivered once while both workers run', async () => {
    // What one instance would send: a conversion.created and a commission.approved per sale, the
    // batch's payout.created, and a payout.paid per item.
    const expected = {
      'conversion.created': SALES,
      'commission.approved': SALES,
      'payout.created': 1,
      'payout.paid': AFFILIATES,
    };
    const total = Object.values(expected).reduce((x, y) => x + y);
    const delivered = async () =>
      (
        await sql(
          `SELECT count(*)::int AS n FROM "WebhookDelivery" d JOIN "WebhookEvent" e ON e.id = d."eventId"
           WHERE e."organizationId" = $1 AND d.status = 'DELIVERED'`,
          [net.orgId],
        )
      )[0].n;
    await expect.poll(delivered, { timeout: 30_000 }).toBeGreaterThanOrEqual(total);
    await sleep(1_000); // ten more worker rounds each: a second delivery would arrive by now
    const events = await sql<{ id: string; type: string }>(
      `SELECT id, payload->>'type' AS type FROM "WebhookEvent" WHERE "organizationId" = $1`,
      [net.orgId],
    );
    const byType = (list: { type: string }[]) =>
      Object.fromEntries(
        Object.keys(expected).map((type) => [type, list.filter((e) => e.type === type).length]),
      );
    expect(byType(events)).toEqual(expected);
    expect(byType(received)).toEqual(expected);
    expect(received).toHaveLength(total);
    expect(new Set(received.map((r) => r.id)).size).toBe(total);
    expect(new Set(received.map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));
    expect(received.every((r) => r.verified)).toBe(true);
    const deliveries = await sql(
      `SELECT d.status::text, d."attemptCount", count(w.id)::int AS attempts
       FROM "WebhookDelivery" d JOIN "WebhookEvent" e ON e.id = d."eventId"
       LEFT JOIN "WebhookAttempt" w ON w."deliveryId" = d.id
       WHERE e."organizationId" = $1 GROUP BY d.id`,
      [net.orgId],
    );
    expect(deliveries).toHaveLength(total);
    expect(
      deliveries.filter((d) => d.status !== 'DELIVERED' || d.attemptCount !== 1 || d.attempts !== 1),
    ).toEqual([]);
  });

  test('neither instance ran into the other', () => {
    // A collision would show as an error: a unique key refusing a second approval, booking,
    // payout claim or delivery, or a deadlock. On a busy machine (2 cores here) a job's
    // transaction can outrun Prisma's time limits, waiting for a pooled connection (2 s) or
    // running (5 s); it is rolled back and tried again on the next round, which the exact counts
    // above had to survive.
    const timedOut = /Unable to start a transaction in the given time|expired transaction/;
    const errors = both()
      .flatMap(logLines)
      .filter((line) => line.level >= 50)
      .map((line) => `${line.msg}: ${line.err?.message ?? ''}`)
      .filter((error) => !timedOut.test(error));
    expect(errors).toEqual([]);
  });
});
