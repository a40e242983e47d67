import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { emptyBatch } from '../../src/clicks/batch.ts';
import { clickWriter } from '../../src/clicks/writer.ts';
import { prisma } from '../../src/db.ts';
import { uuidv7 } from '../../src/ids.ts';
import { failsWith, gql, ok } from '../helpers.ts';
import { activeProgram, affiliate, apply, approvedEnrollment, decide } from '../programs.ts';
import { browser, startHttp } from '../tracking.ts';

let http: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  http = await startHttp({ TRUST_PROXY: true });
});
afterAll(() => http.close());

const CREATE_LINK = `mutation($input: CreateLinkInput!) { createLink(input: $input) { id code shortUrl target enabled subIds utm { source medium } } }`;
const flush = () => http.tracking.recorder.flush();
async function redirectsTotal(outcome: string) {
  const text = await (await fetch(`${http.url}/metrics`)).text();
  return Number(new RegExp(`^redirects_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
}
const clickId = (location: string | null) => new URL(location!).searchParams.get('ref_id');

async function linkFor(
  enrollment: { aff: { user: { token: string } }; enrollmentId: string },
  input: Record<string, unknown> = {},
) {
  const data = await ok(
    CREATE_LINK,
    { input: { enrollmentId: enrollment.enrollmentId, ...input } },
    enrollment.aff.user.token,
  );
  return data.createLink as { id: string; code: string; shortUrl: string; target: string };
}

describe('the redirect', () => {
  test('302 to the target with a new click id; the click is recorded with its details and a hashed IP', async () => {
    const setup = await approvedEnrollment();
    const link = await linkFor(setup, {
      destinationUrl: 'https://tiered.example/tents?color=red#top',
      subIds: ['sidebar', null, 'spring'],
      utm: { source: 'sam', medium: 'affiliate' },
    });
    expect(link.code).toMatch(/^[0-9A-Za-z]{10}$/);
    expect(link.shortUrl).toBe(`http://localhost:4000/r/${link.code}`);
    expect(link.target).toBe(
      'https://tiered.example/tents?color=red&utm_source=sam&utm_medium=affiliate#top',
    );

    const response = await http.get(`/r/${link.code}`, {
      'user-agent': browser,
      referer: 'https://blog.example/best-tents',
      'x-forwarded-for': '203.0.113.7, 10.0.0.1',
      'cf-ipcountry': 'DE',
    });
    expect(response.status).toBe(302);
    const id = clickId(response.location);
    expect(response.location).toBe(
      `https://tiered.example/tents?color=red&utm_source=sam&utm_medium=affiliate&ref_id=${id}#top`,
    );

    await flush();
    const row = await prisma.click.findUniqueOrThrow({ where: { id: id! } });
    const { salt } = await prisma.hashSalt.findUniqueOrThrow({
      where: { period: row.createdAt.toISOString().slice(0, 10) },
    });
    expect(row).toMatchObject({
      linkId: link.id,
      enrollmentId: setup.enrollmentId,
      programId: setup.program.id,
      source: 'REDIRECT',
      isUnique: true,
      country: 'DE',
      referrer: 'https://blog.example/best-tents',
      userAgent: browser,
      sub1: 'sidebar',
      sub2: null,
      sub3: 'spring',
      ipHash: createHmac('sha256', salt).update('203.0.113.7').digest('base64url'),
    });
    expect(JSON.stringify(await prisma.click.findMany())).not.toContain('203.0.113.7');
  });

  test('the same visitor within an hour is one unique click; total and unique are both kept', async () => {
    const setup = await approvedEnrollment();
    const link = await linkFor(setup);
    for (const ip of ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']) {
      expect(
        (await http.get(`/r/${link.code}`, { 'user-agent': browser, 'x-forwarded-for': ip })).status,
      ).toBe(302);
    }
    await flush();
    const counts = await ok(
      `query($id: ID!) { link(id: $id) { clickCounts { total unique } clicks { edges { node { isUnique } } } } }`,
      { id: link.id },
      setup.aff.user.token,
    );
    expect(counts.link.clickCounts).toEqual({ total: 4, unique: 2 });
    expect(counts.link.clicks.edges).toHaveLength(4);
  });

  test('bots, link previews and HEAD requests are redirected without a click id and not counted', async () => {
    const setup = await approvedEnrollment();
    const link = await linkFor(setup);
    const before = await prisma.click.count({ where: { linkId: link.id } });
    const uncountedBefore = await redirectsTotal('not_counted');
    for (const headers of [
      { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' },
      { 'user-agent': 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' },
      { 'user-agent': 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' },
      { 'user-agent': 'WhatsApp/2.23.20.0' },
      {},
    ] as Record<string, string>[]) {
      const response = await http.get(`/r/${link.code}`, headers);
      expect(response).toEqual({ status: 302, location: 'https://tiered.example/' });
    }
    expect((await http.get(`/r/${link.code}`, { 'user-agent': browser }, 'HEAD')).location).toBe(
      'https://tiered.example/',
    );
    await flush();
    expect(await prisma.click.count({ where: { linkId: link.id } })).toBe(before);
    expect(await redirectsTotal('not_counted')).toBe(uncountedBefore + 6);
  });

  test('unknown codes are 404; a disabled link goes to the fallback page, uncounted, until enabled again', async () => {
    const setup = await approvedEnrollment({ fallbackUrl: 'https://tiered.example/partners' });
    const link = await linkFor(setup, { alias: `spring-${Math.random().toString(36).slice(2, 8)}` });
    expect((await http.get('/r/doesNotExist1')).status).toBe(404);
    expect((await http.get('/r/bad%20code')).status).toBe(404);
    expect((await http.get(`/r/${link.code}`)).status).toBe(302); // cached now

    await ok(
      `mutation($id: ID!) { disableLink(id: $id) { enabled } }`,
      { id: link.id },
      setup.aff.user.token,
    );
    expect(await http.get(`/r/${link.code}`)).toEqual({
      status: 302,
      location: 'https://tiered.example/partners',
    });
    await ok(`mutation($id: ID!) { enableLink(id: $id) { enabled } }`, { id: link.id }, setup.aff.user.token);
    expect(clickId((await http.get(`/r/${link.code}`)).location)).toBeTruthy();
    await flush();
    expect(await prisma.click.count({ where: { linkId: link.id } })).toBe(2);
  });

  test('a paused program or a suspended affiliate stops counting at once (404 without a fallback page)', async () => {
    const setup = await approvedEnrollment();
    const link = await linkFor(setup);
    expect((await http.get(`/r/${link.code}`)).status).toBe(302);
    await ok(
      decide('suspendEnrollment'),
      { input: { enrollmentId: setup.enrollmentId, reason: 'Cookie stuffing' } },
      setup.merchant.token,
    );
    expect((await http.get(`/r/${link.code}`)).status).toBe(404);
    await ok(
      decide('reinstateEnrollment'),
      { input: { enrollmentId: setup.enrollmentId } },
      setup.merchant.token,
    );
    expect((await http.get(`/r/${link.code}`)).status).toBe(302);
    await ok(
      `mutation($id: ID!) { setProgramStatus(programId: $id, status: PAUSED) { status } }`,
      { id: setup.program.id },
      setup.merchant.token,
    );
    expect((await http.get(`/r/${link.code}`)).status).toBe(404);
  });

  test('never an open redirect: destinations outside the domains are refused, and narrowing the domains stops old links', async () => {
    const setup = await approvedEnrollment();
    for (const destinationUrl of [
      'https://evil.example/',
      'https://tiered.example.evil.com/',
      'javascript:alert(1)',
      '//evil.example',
    ]) {
      expect(
        await failsWith(
          CREATE_LINK,
          { input: { enrollmentId: setup.enrollmentId, destinationUrl } },
          setup.aff.user.token,
        ),
      ).toBe('INVALID_INPUT');
    }
    await ok(
      `mutation($input: UpdateProgramInput!) { updateProgram(input: $input) { id } }`,
      { input: { programId: setup.program.id, allowedDomains: ['tiered.example', 'deals.example'] } },
      setup.merchant.token,
    );
    const deal = await linkFor(setup, { destinationUrl: 'https://deals.example/spring' });
    expect((await http.get(`/r/${deal.code}`)).location).toMatch(
      /^https:\/\/deals\.example\/spring\?ref_id=/,
    );
    await ok(
      `mutation($input: UpdateProgramInput!) { updateProgram(input: $input) { id } }`,
      { input: { programId: setup.program.id, allowedDomains: ['tiered.example'] } },
      setup.merchant.token,
    );
    expect((await http.get(`/r/${deal.code}`)).status).toBe(404);
  });
});

describe('links and their clicks in GraphQL', () => {
  test('aliases are unique; only an approved enrollment gets links; the merchant can make them too', async () => {
    const setup = await approvedEnrollment();
    const alias = `promo-${Math.random().toString(36).slice(2, 8)}`;
    await linkFor(setup, { alias });
    const again = await gql(
      CREATE_LINK,
      { input: { enrollmentId: setup.enrollmentId, alias } },
      setup.merchant.token,
    );
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'alias' });
    expect(
      await failsWith(
        CREATE_LINK,
        { input: { enrollmentId: setup.enrollmentId, alias: 'a b' } },
        setup.merchant.token,
      ),
    ).toBe('INVALID_INPUT');
    const byMerchant = await ok(
      CREATE_LINK,
      { input: { enrollmentId: setup.enrollmentId } },
      setup.merchant.token,
    );
    expect(byMerchant.createLink.enabled).toBe(true);

    const { program } = await activeProgram();
    const pending = await affiliate('Waiting');
    const applied = await apply(pending.user.token, program.id, pending.org.id);
    expect(await failsWith(CREATE_LINK, { input: { enrollmentId: applied.id } }, pending.user.token)).toBe(
      'CONFLICT',
    );
  });

  test('each side reads only its own links and clicks', async () => {
    const setup = await approvedEnrollment();
    const link = await linkFor(setup);
    await http.get(`/r/${link.code}`);
    await flush();
    const rival = await approvedEnrollment();
    for (const token of [rival.merchant.token, rival.aff.user.token]) {
      expect(await failsWith(`query($id: ID!) { link(id: $id) { code } }`, { id: link.id }, token)).toBe(
        'NOT_FOUND',
      );
      expect(
        await failsWith(`mutation($id: ID!) { disableLink(id: $id) { enabled } }`, { id: link.id }, token),
      ).toBe('NOT_FOUND');
    }
    const merchantView = await ok(
      `query($id: ID!) { enrollment(id: $id) { clickCounts { total unique } links { edges { node { code clickCounts { total } } } } } }`,
      { id: setup.enrollmentId },
      setup.merchant.token,
    );
    expect(merchantView.enrollment.clickCounts).toEqual({ total: 1, unique: 1 });
    expect(merchantView.enrollment.links.edges).toEqual([
      { node: { code: link.code, clickCounts: { total: 1 } } },
    ]);
  });
});

describe('landing-page clicks (?via=code)', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${http.url}/track/click`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': browser, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('the snippet reports a landing with the publishable key and the referral code', async () => {
    const setup = await approvedEnrollment();
    const key = await ok(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`,
      { input: { organizationId: setup.merchantOrg.id, kind: 'PUBLISHABLE', name: 'site' } },
      setup.merchant.token,
    );
    const pk = key.createApiKey.key as string;
    const { referralCode } = await prisma.enrollment.findUniqueOrThrow({ where: { id: setup.enrollmentId } });
    const url = `https://tiered.example/tents?via=${referralCode}`;

    const response = await post(
      { key: pk, via: referralCode, url, referrer: 'https://blog.example/' },
      { origin: 'https://tiered.example' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://tiered.example');
    const { clickId: id } = await response.json();
    await flush();
    expect(await prisma.click.findUniqueOrThrow({ where: { id } })).toMatchObject({
      source: 'LANDING',
      linkId: null,
      enrollmentId: setup.enrollmentId,
      landingUrl: url,
      referrer: 'https://blog.example/',
    });

    const before = await prisma.click.count();
    expect((await post({ key: pk, via: referralCode, url }, { origin: 'https://evil.example' })).status).toBe(
      404,
    );
    expect((await post({ key: pk, via: referralCode, url: 'https://evil.example/?via=x' })).status).toBe(404);
    expect((await post({ key: pk, via: 'nobody', url })).status).toBe(404);
    expect((await post({ key: `pk_${'x'.repeat(32)}`, via: referralCode, url })).status).toBe(401);
    expect((await post({ key: pk, via: referralCode })).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await post('x'.repeat(20_000))).status).toBe(413);
    expect((await post({ key: pk, via: referralCode, url }, { 'user-agent': 'Googlebot/2.1' })).status).toBe(
      200,
    );
    await flush();
    expect(await prisma.click.count()).toBe(before);
  });
});

describe('the click writer', () => {
  test('a batch written again after it committed (its answer lost) counts as written; a clash with other clicks does not', async () => {
    const setup = await approvedEnrollment();
    const batch = emptyBatch(3);
    for (let i = 0; i < 3; i++) {
      batch.id.push(uuidv7());
      batch.programId.push(setup.program.id);
      batch.enrollmentId.push(setup.enrollmentId);
      batch.linkId.push(null);
      batch.source.push('REDIRECT');
      batch.createdAt.push(Date.now());
      batch.isUnique.push(true);
      for (const column of ['ipHash', 'userAgent', 'referrer', 'country', 'landingUrl'] as const)
        batch[column].push(null);
      for (const column of ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const) batch[column].push(null);
    }
    const writer = clickWriter(process.env.TEST_DB_URL!, process.env.TEST_DATABASE_URL ? 'copy' : 'insert');
    try {
      await writer.write(batch);
      await writer.write(batch);
      expect(await prisma.click.count({ where: { id: { in: batch.id } } })).toBe(3);
      // A batch only partly stored is not the same batch: that stays an error.
      const mixed = { ...batch, id: [batch.id[0]!, uuidv7(), uuidv7()] };
      await expect(writer.write(mixed)).rejects.toThrow(/duplicate key/);
      expect(await prisma.click.count({ where: { id: { in: mixed.id } } })).toBe(1);
    } finally {
      await writer.close();
    }
  });
});
