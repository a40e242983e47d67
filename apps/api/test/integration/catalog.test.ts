// Creatives and the marketplace.
import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { failsWith, gql, ok } from '../helpers.ts';
import { activeProgram, affiliate, apply, approvedEnrollment, tieredTerms } from '../programs.ts';

const CREATE_CREATIVE = `mutation($input: CreateCreativeInput!) { createCreative(input: $input) { id kind name } }`;
const CREATIVES = `query($id: ID!) { enrollment(id: $id) { creatives { name kind trackingUrl body html } } }`;

describe('creatives', () => {
  test('an approved affiliate gets them with its own tracking link filled in', async () => {
    const { merchant, program, aff, enrollmentId } = await approvedEnrollment();
    await ok(
      CREATE_CREATIVE,
      {
        input: {
          programId: program.id,
          kind: 'BANNER',
          name: 'Summer sale',
          imageUrl: 'https://cdn.example/banner.png',
          width: 728,
          height: 90,
        },
      },
      merchant.token,
    );
    await ok(
      CREATE_CREATIVE,
      {
        input: {
          programId: program.id,
          kind: 'COPY',
          name: 'Newsletter blurb',
          body: 'Our favourite tents are 20% off: {{link}}',
          destinationUrl: 'https://tiered.example/tents',
        },
      },
      merchant.token,
    );
    const data = await ok(CREATIVES, { id: enrollmentId }, aff.user.token);
    const code = (await prisma.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).referralCode;
    expect(data.enrollment.creatives).toEqual([
      {
        name: 'Summer sale',
        kind: 'BANNER',
        trackingUrl: `https://tiered.example/?via=${code}`,
        body: null,
        html: `<a href="https://tiered.example/?via=${code}" rel="sponsored"><img src="https://cdn.example/banner.png" alt="Summer sale" width="728" height="90"></a>`,
      },
      {
        name: 'Newsletter blurb',
        kind: 'COPY',
        trackingUrl: `https://tiered.example/tents?via=${code}`,
        body: `Our favourite tents are 20% off: https://tiered.example/tents?via=${code}`,
        html: `Our favourite tents are 20% off: https://tiered.example/tents?via=${code}`,
      },
    ]);
  });

  test('a pending affiliate sees none; deep links stay inside the domains; required fields per kind', async () => {
    const { merchant, program } = await activeProgram();
    await ok(
      CREATE_CREATIVE,
      { input: { programId: program.id, kind: 'TEXT_LINK', name: 'Shop tents', body: 'Shop tents' } },
      merchant.token,
    );
    const aff = await affiliate();
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    expect((await ok(CREATIVES, { id: applied.id }, aff.user.token)).enrollment.creatives).toEqual([]);

    const outside = await gql(
      CREATE_CREATIVE,
      {
        input: {
          programId: program.id,
          kind: 'TEXT_LINK',
          name: 'Bad',
          body: 'x',
          destinationUrl: 'https://evil.example/',
        },
      },
      merchant.token,
    );
    expect(outside.errors?.[0]?.extensions.issues).toEqual([
      { path: 'input.destinationUrl', message: 'must be inside the allowed domains (tiered.example)' },
    ]);
    expect(
      await failsWith(
        CREATE_CREATIVE,
        { input: { programId: program.id, kind: 'BANNER', name: 'No image' } },
        merchant.token,
      ),
    ).toBe('INVALID_INPUT');
    expect(
      await failsWith(
        CREATE_CREATIVE,
        { input: { programId: program.id, kind: 'COPY', name: 'x', body: 'x' } },
        aff.user.token,
      ),
    ).toBe('NOT_FOUND');
    expect(await prisma.creative.count({ where: { programId: program.id } })).toBe(1);
  });
});

const MARKETPLACE = `query($filter: MarketplaceFilter, $sort: MarketplaceSort, $first: Int, $after: String) {
  marketplace(filter: $filter, sort: $sort, first: $first, after: $after) {
    edges { cursor node { slug currentTerms { sale { type rateBps flatAmount } cookieWindowDays } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('the marketplace', () => {
  test('lists public active programs; filters and sorts by the terms in force; pages with stable cursors', async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    const make = (slug: string, sale: object, extra: Record<string, unknown> = {}) =>
      activeProgram({
        slug: `${slug}-${tag}`,
        name: `Market ${slug} ${tag}`,
        terms: { ...tieredTerms, tiers: null, sale },
        ...extra,
      });
    const low = await make('low', { type: 'PERCENTAGE', rateBps: 500 }, { category: 'Travel' });
    await make('high', { type: 'PERCENTAGE', rateBps: 2500 }, { category: 'Travel' });
    await make('flat', { type: 'FLAT', flatAmount: 4000 }, { category: 'Travel', currency: 'EUR' });
    await make(
      'long',
      { type: 'PERCENTAGE', rateBps: 1000 },
      {
        category: 'Travel',
        terms: {
          ...tieredTerms,
          tiers: null,
          sale: { type: 'PERCENTAGE', rateBps: 1000 },
          cookieWindowDays: 120,
        },
      },
    );
    const hidden = await make(
      'private',
      { type: 'PERCENTAGE', rateBps: 9000 },
      { category: 'Travel', visibility: 'INVITE_ONLY' },
    );
    void hidden;
    const paused = await make('paused', { type: 'PERCENTAGE', rateBps: 9500 }, { category: 'Travel' });
    await ok(
      `mutation($id: ID!) { setProgramStatus(programId: $id, status: PAUSED) { status } }`,
      { id: paused.program.id },
      paused.merchant.token,
    );
    const viewer = await affiliate('Shopper');
    const slugs = (data: { marketplace: { edges: { node: { slug: string } }[] } }) =>
      data.marketplace.edges.map((e) => e.node.slug.replace(`-${tag}`, ''));
    const search = { search: tag };

    const byRate = await ok(MARKETPLACE, { filter: search, sort: 'HIGHEST_RATE' }, viewer.user.token);
    expect(slugs(byRate)).toEqual(['high', 'long', 'low', 'flat']);
    expect(
      slugs(await ok(MARKETPLACE, { filter: search, sort: 'HIGHEST_FLAT_AMOUNT' }, viewer.user.token))[0],
    ).toBe('flat');
    expect(
      slugs(await ok(MARKETPLACE, { filter: search, sort: 'LONGEST_COOKIE_WINDOW' }, viewer.user.token))[0],
    ).toBe('long');
    expect(
      slugs(
        await ok(
          MARKETPLACE,
          { filter: { ...search, minRateBps: 1000 }, sort: 'HIGHEST_RATE' },
          viewer.user.token,
        ),
      ),
    ).toEqual(['high', 'long']);
    expect(
      slugs(await ok(MARKETPLACE, { filter: { ...search, currency: 'eur' } }, viewer.user.token)),
    ).toEqual(['flat']);
    expect(
      slugs(await ok(MARKETPLACE, { filter: { ...search, saleType: 'FLAT' } }, viewer.user.token)),
    ).toEqual(['flat']);
    expect(
      slugs(await ok(MARKETPLACE, { filter: { ...search, minCookieWindowDays: 100 } }, viewer.user.token)),
    ).toEqual(['long']);

    // pages of two, following the cursor; a program created meanwhile does not shift the pages
    const page1 = await ok(
      MARKETPLACE,
      { filter: search, sort: 'HIGHEST_RATE', first: 2 },
      viewer.user.token,
    );
    expect(slugs(page1)).toEqual(['high', 'long']);
    expect(page1.marketplace.pageInfo.hasNextPage).toBe(true);
    await make('newcomer', { type: 'PERCENTAGE', rateBps: 3000 }, { category: 'Travel' });
    const page2 = await ok(
      MARKETPLACE,
      { filter: search, sort: 'HIGHEST_RATE', first: 2, after: page1.marketplace.pageInfo.endCursor },
      viewer.user.token,
    );
    expect(slugs(page2)).toEqual(['low', 'flat']);
    expect(page2.marketplace.pageInfo.hasNextPage).toBe(false);

    // the terms in force count: a rate cut takes the program down the list
    await ok(
      `mutation($input: UpdateProgramTermsInput!) { updateProgramTerms(input: $input) { version } }`,
      { input: { programId: low.program.id, terms: { sale: { type: 'PERCENTAGE', rateBps: 100 } } } },
      low.merchant.token,
    );
    expect(slugs(await ok(MARKETPLACE, { filter: search, sort: 'HIGHEST_RATE' }, viewer.user.token))).toEqual(
      ['newcomer', 'high', 'long', 'low', 'flat'],
    );
  });

  test('bad filters and cursors are invalid input; anonymous callers are refused', async () => {
    const viewer = await affiliate('Filter');
    expect(await failsWith(MARKETPLACE, { filter: { category: 'Nope' } }, viewer.user.token)).toBe(
      'INVALID_INPUT',
    );
    expect(await failsWith(MARKETPLACE, { filter: { minRateBps: 20_000 } }, viewer.user.token)).toBe(
      'INVALID_INPUT',
    );
    expect(await failsWith(MARKETPLACE, { after: 'garbage' }, viewer.user.token)).toBe('INVALID_INPUT');
    expect(await failsWith(MARKETPLACE, { first: 500 }, viewer.user.token)).toBe('INVALID_INPUT');
    expect(await failsWith(MARKETPLACE, {})).toBe('UNAUTHENTICATED');
  });
});
