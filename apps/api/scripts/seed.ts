// pnpm db:seed — loads a realistic demo network into DATABASE_URL or the embedded database:
// a merchant with two programs, affiliates (one of them also a merchant), enrollments, links,
// a month of clicks and the conversions and commissions they led to. Deterministic; run once.
import { createHash, randomUUID } from 'node:crypto';
import { generateApiKey } from '../src/auth/api-keys.ts';
import { hashPassword } from '../src/auth/password.ts';
import { loadConfig } from '../src/config.ts';
import { startEmbedded } from '../src/database/embedded.ts';
import { migrate } from '../src/database/migrations.ts';
import { checkDatabase } from '../src/database/open.ts';
import { connectDb, disconnectDb, prisma } from '../src/db.ts';
import type { Prisma } from '../src/generated/prisma/client.ts';
import { type DemoProgram, demo } from './seed-data.ts';

const config = loadConfig();
const embedded = config.DATABASE_URL ? undefined : await startEmbedded({ dataDir: config.DATA_DIR });
const url = config.DATABASE_URL ?? embedded!.url;
if (embedded) await migrate(url);
else await checkDatabase(url);
connectDb(url, 2, { embedded: embedded !== undefined });

// A small deterministic generator, so every seeded database holds the same demo.
let state = 20261120;
const random = () => {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state / 2 ** 31;
};
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
const day = 86_400_000;
const now = Date.now();

type Tx = Parameters<Parameters<typeof prisma.$transaction>[0]>[0];
// Everything is written in one transaction: a failed seed leaves nothing half-loaded.
let db: Tx;

async function seed() {
  if (await db.user.findUnique({ where: { email: demo.admin.email } })) {
    console.log('The demo data is already loaded.');
    return;
  }
  const passwordHash = await hashPassword(demo.password);
  await db.user.create({ data: { ...demo.admin, passwordHash, isNetworkAdmin: true } });

  const orgIds = new Map<string, string>();
  const affiliateIds = new Map<string, string>();
  for (const org of demo.organizations) {
    const owner = await db.user.create({ data: { ...org.owner, passwordHash } });
    const created = await db.organization.create({
      data: {
        name: org.name,
        slug: org.slug,
        isMerchant: org.isMerchant,
        isAffiliate: Boolean(org.affiliate),
        memberships: { create: { userId: owner.id, role: 'OWNER' } },
        affiliateProfile: org.affiliate ? { create: org.affiliate } : undefined,
      },
      include: { affiliateProfile: true },
    });
    orgIds.set(org.slug, created.id);
    if (created.affiliateProfile) affiliateIds.set(org.slug, created.affiliateProfile.id);
  }

  const keys: string[] = [];
  for (const kind of ['PUBLISHABLE', 'SECRET'] as const) {
    const { key, keyHash, prefix } = generateApiKey(kind);
    await db.apiKey.create({
      data: {
        organizationId: orgIds.get('trailhead-outfitters')!,
        kind,
        name: `demo ${kind.toLowerCase()} key`,
        keyHash,
        prefix,
      },
    });
    keys.push(key);
  }

  let clicks = 0;
  let conversions = 0;
  for (const program of demo.programs) {
    const created = await createProgram(program, orgIds.get(program.merchant)!);
    for (const enrollment of program.enrollments) {
      const result = await enroll(
        created,
        program,
        enrollment.affiliate,
        affiliateIds.get(enrollment.affiliate)!,
        enrollment.status,
      );
      clicks += result.clicks;
      conversions += result.conversions;
    }
  }
  console.log(
    `Loaded the demo network: ${demo.organizations.length} organizations, ${demo.programs.length} programs, ${clicks} clicks, ${conversions} conversions.`,
  );
  console.log(
    `Log in as any demo user with the password "${demo.password}", e.g. ${demo.organizations[0]!.owner.email}.`,
  );
  console.log(`Trailhead Outfitters' keys (shown once): publishable ${keys[0]}  secret ${keys[1]}`);
}

async function createProgram(program: DemoProgram, organizationId: string) {
  const { terms, tiers, enrollments: _, merchant: __, orderAmounts: ___, coupon: ____, ...fields } = program;
  return db.program.create({
    data: {
      ...fields,
      organizationId,
      terms: {
        create: {
          ...terms,
          version: 1,
          effectiveAt: new Date(now - 120 * day),
          tiers: tiers ? { create: tiers } : undefined,
        },
      },
    },
    include: { terms: true },
  });
}

async function enroll(
  program: Awaited<ReturnType<typeof createProgram>>,
  demoProgram: DemoProgram,
  affiliateSlug: string,
  affiliateId: string,
  status: 'APPROVED' | 'PENDING',
) {
  const enrollment = await db.enrollment.create({
    data: {
      programId: program.id,
      affiliateId,
      status,
      referralCode: affiliateSlug.split('-')[0]!,
      applicationMessage: 'We review outdoor gear for 40k monthly readers.',
      events: { create: [{ toStatus: 'PENDING', createdAt: new Date(now - 100 * day) }] },
    },
  });
  if (status !== 'APPROVED') return { clicks: 0, conversions: 0 };
  await db.enrollmentEvent.create({
    data: {
      enrollmentId: enrollment.id,
      fromStatus: 'PENDING',
      toStatus: 'APPROVED',
      createdAt: new Date(now - 99 * day),
    },
  });
  const links = await Promise.all(
    ['home', 'deals'].map((suffix, index) =>
      db.link.create({
        data: {
          programId: program.id,
          enrollmentId: enrollment.id,
          code: `${affiliateSlug.split('-')[0]}-${program.slug}-${suffix}`,
          destinationUrl: index === 0 ? null : `${program.websiteUrl}/deals`,
          sub1: index === 0 ? 'sidebar' : 'newsletter',
          utmSource: affiliateSlug,
          utmMedium: 'affiliate',
        },
      }),
    ),
  );
  const terms = program.terms[0]!;
  const clickRows: Prisma.ClickCreateManyInput[] = [];
  const conversionRows: Prisma.ConversionCreateManyInput[] = [];
  const commissionRows: Prisma.CommissionCreateManyInput[] = [];
  const ledgerRows: Prisma.LedgerEntryCreateManyInput[] = [];
  const clickCount = 120 + Math.floor(random() * 180);
  for (let i = 0; i < clickCount; i++) {
    const link = pick(links);
    const createdAt = new Date(now - Math.floor(random() * 30 * day));
    const visitor = Math.floor(random() * clickCount * 0.8);
    const click = {
      id: randomUUID(),
      programId: program.id,
      enrollmentId: enrollment.id,
      linkId: link.id,
      createdAt,
      isUnique: true,
      ipHash: createHash('sha256').update(`demo-visitor-${visitor}`).digest('base64url'),
      userAgent: pick(demo.userAgents),
      referrer: pick(demo.referrers),
      country: pick(['US', 'US', 'CA', 'GB', 'DE', 'AU']),
      sub1: link.sub1,
    };
    clickRows.push(click);
    if (random() > 0.05) continue;
    const amount = demoProgram.orderAmounts[Math.floor(random() * demoProgram.orderAmounts.length)]!;
    const occurredAt = new Date(createdAt.getTime() + Math.floor(random() * 2 * day));
    if (occurredAt.getTime() > now) continue;
    const conversion = {
      id: randomUUID(),
      programId: program.id,
      kind: 'SALE' as const,
      externalId: `ORD-${10_000 + conversionRows.length}-${affiliateSlug.slice(0, 3)}`,
      source: 'API' as const,
      occurredAt,
      enrollmentId: enrollment.id,
      clickId: click.id,
      attribution: 'CLICK' as const,
      amount,
      currency: program.currency,
      programAmount: amount,
    };
    conversionRows.push(conversion);
    // Seed commissions use the base rate; the commission engine applies tiers and bonuses.
    const commission =
      terms.saleType === 'PERCENTAGE'
        ? Math.round((amount * (terms.saleRateBps ?? 0)) / 10_000)
        : (terms.saleFlatAmount ?? 0);
    const commissionId = randomUUID();
    commissionRows.push({
      id: commissionId,
      programId: program.id,
      enrollmentId: enrollment.id,
      conversionId: conversion.id,
      termsId: terms.id,
      kind: 'SALE' as const,
      amount: commission,
      currency: program.currency,
      holdUntil: new Date(occurredAt.getTime() + terms.holdingDays * day),
      createdAt: occurredAt,
    });
    ledgerRows.push({
      groupId: randomUUID(),
      type: 'EARNED' as const,
      account: 'PENDING' as const,
      amount: commission,
      currency: program.currency,
      programId: program.id,
      enrollmentId: enrollment.id,
      affiliateId,
      commissionId,
      createdAt: occurredAt,
    });
  }
  await db.click.createMany({ data: clickRows });
  await db.conversion.createMany({ data: conversionRows });
  await db.commission.createMany({ data: commissionRows });
  await db.ledgerEntry.createMany({ data: ledgerRows });
  if (demoProgram.coupon) {
    await db.couponCode.create({
      data: {
        programId: program.id,
        enrollmentId: enrollment.id,
        code: `${affiliateSlug.split('-')[0]!.toUpperCase()}10`,
        description: '10% off',
      },
    });
  }
  return { clicks: clickRows.length, conversions: conversionRows.length };
}

try {
  await prisma.$transaction(
    async (tx) => {
      db = tx;
      await seed();
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
} catch (error) {
  console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await disconnectDb();
  await embedded?.stop();
  process.exit();
}
