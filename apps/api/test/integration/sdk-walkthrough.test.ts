// A merchant and an affiliate run a whole program through the built SDK alone, against a live API,
// and every root operation of the schema is reachable through an SDK method.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Client,
  createClient,
  type EnrollmentStatus,
  readWebhook,
  verifyWebhook,
  type WebhookEvent,
  WebhookSignatureError,
} from '@affiliate/sdk';
import { buildSchema, Kind, parse } from 'graphql';
import { afterAll, beforeAll, expect, expectTypeOf, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { deliverDue, fanOut } from '../../src/webhooks/worker.ts';
import { startHttp } from '../tracking.ts';

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp();
});
afterAll(() => http.close());

const all = async <T>(items: AsyncIterable<T>) => {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
};

async function account(name: string) {
  const url = `${http.url}/graphql`;
  const email = `${name.toLowerCase()}-${randomUUID()}@sdk.example`;
  const signed = (await createClient({ url }).SignUp({ input: { email, name, password: 'correct horse 1' } }))
    .signUp;
  const logged = (await createClient({ url }).LogIn({ input: { email, password: 'correct horse 1' } })).logIn;
  expect(logged.user.id).toBe(signed.user.id);
  return { url, email, user: signed.user, client: createClient({ url, token: logged.accessToken }), logged };
}

test('a merchant and an affiliate run a program with the SDK alone', async () => {
  const boss = await account('Merchant');
  const m = boss.client;
  const org = (
    await m.CreateOrganization({ input: { name: `Gear ${randomUUID().slice(0, 6)}`, isMerchant: true } })
  ).createOrganization;
  expect(org).toMatchObject({ isMerchant: true, isAffiliate: false });
  const renamed = await m.UpdateOrganization({ input: { organizationId: org.id, name: `${org.name} Ltd` } });
  expect(renamed.updateOrganization.name).toBe(`${org.name} Ltd`);
  const memberships = await all(m.memberships());
  expect(memberships.map((x) => [x.organization.id, x.role])).toEqual([[org.id, 'OWNER']]);

  const colleague = await account('Colleague');
  await m.AddMember({ input: { organizationId: org.id, email: colleague.email, role: 'ADMIN' } });
  expect((await all(m.members({ organizationId: org.id }))).map((x) => x.role).sort()).toEqual([
    'ADMIN',
    'OWNER',
  ]);
  expect(await m.RemoveMember({ input: { organizationId: org.id, userId: colleague.user.id } })).toEqual({
    removeMember: true,
  });

  const program = (
    await m.CreateProgram({
      input: {
        organizationId: org.id,
        name: 'Tents',
        description: 'Tents and packs',
        category: 'Outdoor & Sports',
        websiteUrl: 'https://tents.example',
        currency: 'USD',
        terms: { sale: { type: 'PERCENTAGE', rateBps: 1000 }, holdingDays: 0, minPayoutAmount: 100 },
      },
    })
  ).createProgram;
  expect(program).toMatchObject({ status: 'DRAFT', currentTerms: { version: 1, sale: { rateBps: 1000 } } });
  await m.UpdateProgram({ input: { programId: program.id, autoApprove: false, visibility: 'PUBLIC' } });
  expect(
    (await m.SetProgramStatus({ programId: program.id, status: 'ACTIVE' })).setProgramStatus.status,
  ).toBe('ACTIVE');
  expect((await all(m.programs({ organizationId: org.id }))).map((p) => p.id)).toEqual([program.id]);
  const creative = (
    await m.CreateCreative({
      input: { programId: program.id, kind: 'COPY', name: 'Spring', body: 'Tents for spring: {{link}}' },
    })
  ).createCreative;
  const key = (await m.CreateApiKey({ input: { organizationId: org.id, kind: 'SECRET', name: 'shop' } }))
    .createApiKey;
  expect(key.key).toMatch(/^sk_/);
  expect((await all(m.apiKeys({ organizationId: org.id }))).map((k) => k.id)).toEqual([key.apiKey.id]);
  const backend = createClient({ url: boss.url, apiKey: key.key });

  // The affiliate finds the program in the marketplace and applies.
  const partner = await account('Partner');
  const a = partner.client;
  const affOrg = (
    await a.CreateOrganization({ input: { name: `Reviews ${randomUUID().slice(0, 6)}`, isAffiliate: true } })
  ).createOrganization;
  await a.UpsertAffiliateProfile({
    input: {
      organizationId: affOrg.id,
      displayName: 'Tent Reviews',
      contactEmail: 'hi@reviews.example',
      payoutMethod: 'PAYPAL',
      payoutAccount: 'pay@reviews.example',
    },
  });
  const listed = await all(a.marketplace({ filter: { search: 'Tents' } }, 10));
  expect(listed.map((p) => p.id)).toContain(program.id);
  const applied = (
    await a.ApplyToProgram({ input: { programId: program.id, affiliateOrganizationId: affOrg.id } })
  ).applyToProgram;
  const pending = await all(m.enrollments({ programId: program.id, status: 'PENDING' }));
  expect(pending.map((e) => [e.id, e.affiliate.displayName])).toEqual([[applied.id, 'Tent Reviews']]);
  await m.ApproveEnrollment({ input: { enrollmentId: applied.id } });
  expect((await all(a.affiliateEnrollments({ organizationId: affOrg.id }))).map((e) => e.status)).toEqual([
    'APPROVED',
  ]);
  const enrollment = (await a.Enrollment({ enrollmentId: applied.id })).enrollment;
  expect(enrollment.creatives.map((c) => c.id)).toEqual([creative.id]);
  expect(enrollment.history.map((h) => h.toStatus)).toEqual(['PENDING', 'APPROVED']);

  // The affiliate negotiates 12%; the merchant counters with 11%, which the affiliate accepts.
  const asked = (
    await a.ProposeTerms({
      input: { enrollmentId: applied.id, changes: { sale: { type: 'PERCENTAGE', rateBps: 1200 } } },
    })
  ).proposeTerms;
  const countered = (
    await m.CounterProposal({
      input: { proposalId: asked.id, changes: { sale: { type: 'PERCENTAGE', rateBps: 1100 } } },
    })
  ).counterProposal;
  expect(countered.counterOf).toEqual({ id: asked.id, status: 'COUNTERED' });
  const accepted = (await a.AcceptProposal({ input: { proposalId: countered.id } })).acceptProposal;
  expect(accepted.status).toBe('ACCEPTED');
  expect((await all(a.proposals({ enrollmentId: applied.id }))).map((p) => p.status).sort()).toEqual([
    'ACCEPTED',
    'COUNTERED',
  ]);

  const link = (await a.CreateLink({ input: { enrollmentId: applied.id, subIds: ['spring'] } })).createLink;
  const updated = (await a.UpdateLink({ input: { linkId: link.id, utm: { source: 'blog' } } })).updateLink;
  expect(updated.utm.source).toBe('blog');
  expect((await all(a.links({ enrollmentId: applied.id }))).map((l) => l.id)).toEqual([link.id]);
  const clickId = new URL((await http.get(`/r/${link.code}`)).location!).searchParams.get('ref_id')!;
  await http.tracking.recorder.flush();
  expect((await all(a.clicks({ id: link.id }))).map((c) => [c.id, c.subIds])).toEqual([
    [clickId, ['spring', null, null, null, null]],
  ]);
  expect((await a.Link({ id: link.id })).link.clickCounts).toEqual({ total: 1, unique: 1 });

  // A webhook receiver on the merchant's side, verified with the SDK's helper.
  const received: { header: string; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ header: String(req.headers['webhook-signature']), body });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = (
    await m.CreateWebhookEndpoint({
      input: {
        organizationId: org.id,
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
        events: ['CONVERSION_CREATED'],
      },
    })
  ).createWebhookEndpoint;

  // The shop's back end records the sale; 11% of 250.00 is 27.50.
  const sale = await backend.trackSale({
    programId: program.id,
    orderId: `order-${clickId}`,
    amount: 25_000,
    currency: 'USD',
    clickId,
  });
  expect(sale).toMatchObject({ attributed: true, replayed: false });
  const [commission] = await all(a.commissions({ enrollmentId: applied.id }));
  expect(commission).toMatchObject({
    kind: 'SALE',
    amount: 2_750,
    status: 'PENDING',
    conversion: { externalId: `order-${clickId}` },
  });
  expect((await all(a.enrollmentConversions({ enrollmentId: applied.id }))).map((c) => c.amount)).toEqual([
    25_000,
  ]);

  while ((await fanOut()) > 0);
  await deliverDue();
  const delivery = received.find((r) => r.body.includes(sale.conversionId))!;
  const event = await readWebhook<{ conversionId: string; amount: number }>(
    hook.secret,
    delivery.header,
    delivery.body,
  );
  expect(event).toMatchObject({
    type: 'conversion.created',
    data: { conversionId: sale.conversionId, amount: 25_000, commissions: [{ amount: 2_750 }] },
  });
  expect(await verifyWebhook(hook.secret, delivery.header, `${delivery.body} `)).toBe(false);
  await expect(readWebhook('whsec_wrong', delivery.header, delivery.body)).rejects.toBeInstanceOf(
    WebhookSignatureError,
  );
  const log = (await m.RecentWebhookDeliveries({ organizationId: org.id })).organization.webhookEndpoints;
  expect(log[0]!.deliveries.edges.map((e) => [e.node.status, e.node.attempts[0]?.statusCode])).toContainEqual(
    ['DELIVERED', 200],
  );
  expect((await m.DeleteWebhookEndpoint({ endpointId: hook.endpoint.id })).deleteWebhookEndpoint).toBe(true);
  receiver.close();

  // Approve, pay, and read the statement.
  await m.ApproveCommission({ input: { commissionId: commission!.id } });
  const run = (await m.RunPayout({ input: { organizationId: org.id, programId: program.id } })).runPayout;
  expect(run.payout?.items.map((i) => [i.amount, i.currency, i.affiliate.displayName])).toEqual([
    [2_750, 'USD', 'Tent Reviews'],
  ]);
  const payoutId = run.payout!.id;
  await m.ApprovePayout({ payoutId });
  await m.StartPayoutProcessing({ payoutId });
  await m.MarkPayoutItemPaid({ input: { itemId: run.payout!.items[0]!.id, externalReference: 'PP-1' } });
  expect((await m.Payout({ payoutId })).payout.status).toBe('PAID');
  expect((await all(m.payouts({ organizationId: org.id }))).map((p) => p.id)).toEqual([payoutId]);
  expect((await m.PayoutExport({ payoutId })).payout.csv).toContain('27.50');
  expect(
    (await all(a.payoutItems({ organizationId: affOrg.id }))).map((i) => [i.amount, i.externalReference]),
  ).toEqual([[2_750, 'PP-1']]);
  const lines = await all(a.statement({ organizationId: affOrg.id }));
  expect(lines.map((l) => [l.type, l.account, l.amount]).reverse()).toEqual([
    ['EARNED', 'PENDING', 2_750],
    ['APPROVED', 'PENDING', -2_750],
    ['APPROVED', 'APPROVED', 2_750],
    ['PAYOUT', 'APPROVED', -2_750],
    ['PAYOUT', 'PAID', 2_750],
  ]);
  expect(
    (await a.AffiliateAccount({ organizationId: affOrg.id })).organization.affiliateProfile?.balances,
  ).toEqual([
    expect.objectContaining({ programId: program.id, pending: 0, approved: 0, paid: 2_750, owed: 0 }),
  ]);

  // Keys are revoked, sessions end.
  expect((await m.RevokeApiKey({ id: key.apiKey.id })).revokeApiKey.revokedAt).not.toBeNull();
  expect(await prisma.apiKey.count({ where: { id: key.apiKey.id, revokedAt: null } })).toBe(0);
  const refreshed = (
    await createClient({ url: boss.url }).RefreshToken({ input: { refreshToken: boss.logged.refreshToken } })
  ).refreshToken;
  expect(refreshed.user.id).toBe(boss.user.id);
  expect(
    await createClient({ url: boss.url }).LogOut({ input: { refreshToken: refreshed.refreshToken } }),
  ).toEqual({
    logOut: true,
  });
});

test('every root query and mutation of the schema has an SDK operation', () => {
  const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
  const folder = new URL('../../../../packages/sdk/operations/', import.meta.url);
  const used = new Set<string>();
  for (const name of readdirSync(folder)) {
    for (const definition of parse(readFileSync(new URL(name, folder), 'utf8')).definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind === Kind.FIELD) used.add(`${definition.operation}.${selection.name.value}`);
      }
    }
  }
  const roots = [
    ...Object.keys(schema.getQueryType()!.getFields()).map((f) => `query.${f}`),
    ...Object.keys(schema.getMutationType()!.getFields()).map((f) => `mutation.${f}`),
  ];
  expect(roots.filter((root) => !used.has(root))).toEqual([]);
});

test('list iterators and webhook events are typed', () => {
  type Next<K extends keyof Client> = ReturnType<Client[K]> extends AsyncGenerator<infer T> ? T : never;
  expectTypeOf<Next<'commissions'>['amount']>().toEqualTypeOf<number>();
  expectTypeOf<Next<'conversions'>['kind']>().toEqualTypeOf<'LEAD' | 'SALE'>();
  expectTypeOf<Parameters<Client['enrollments']>[0]>().toEqualTypeOf<{
    programId: string;
    status?: EnrollmentStatus | null;
  }>();
  // Its variables are all optional, so it needs no argument.
  expectTypeOf<[]>().toMatchTypeOf<Parameters<Client['marketplace']>>();
  expectTypeOf<WebhookEvent['type']>().toEqualTypeOf<
    | 'commission.approved'
    | 'commission.reversed'
    | 'conversion.created'
    | 'conversion.reviewed'
    | 'enrollment.approved'
    | 'payout.created'
    | 'payout.paid'
    | 'terms.accepted'
    | 'terms.proposed'
  >();
});
