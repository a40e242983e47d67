import { generateApiKey } from '../../src/auth/api-keys.ts';
import { benchAffiliatesSql, sql } from '../common.ts';

export type Seeded = Awaited<ReturnType<typeof seed>>;

/** A merchant, a program paying 10%, an approved affiliate, a link and a secret key. */
export async function seed(url: string) {
  const [merchant] = await sql<{ id: string }>(
    url,
    `INSERT INTO "Organization" (id, name, slug, "isMerchant", "isAffiliate", "updatedAt")
     VALUES (gen_random_uuid(), 'Faults Merchant', 'faults-merchant', true, false, now()) RETURNING id`,
  );
  const [program] = await sql<{ id: string }>(
    url,
    `INSERT INTO "Program" (id, "organizationId", name, slug, "websiteUrl", "allowedDomains", currency, status, "updatedAt")
     VALUES (gen_random_uuid(), $1, 'Faults', 'faults', 'https://shop.example', ARRAY['shop.example'], 'USD', 'ACTIVE', now()) RETURNING id`,
    [merchant!.id],
  );
  const programId = program!.id;
  await sql(
    url,
    `INSERT INTO "CommissionTerms" (id, "programId", version, "effectiveAt", "saleType", "saleRateBps", "cookieWindowDays", "holdingDays")
     VALUES (gen_random_uuid(), $1, 1, now() - interval '1 day', 'PERCENTAGE', 1000, 30, 30)`,
    [programId],
  );
  const [enrollment] = await sql<{ id: string }>(
    url,
    `WITH ${benchAffiliatesSql} SELECT id FROM enrollments`,
    [programId, 1],
  );
  await sql(
    url,
    `INSERT INTO "Link" (id, "programId", "enrollmentId", code, "updatedAt") VALUES (gen_random_uuid(), $1, $2, 'faults', now())`,
    [programId, enrollment!.id],
  );
  // Stored as createApiKey stores it: the hash, never the key.
  const { key, keyHash, prefix } = generateApiKey('SECRET');
  await sql(
    url,
    `INSERT INTO "ApiKey" (id, "organizationId", kind, name, prefix, "keyHash") VALUES (gen_random_uuid(), $1, 'SECRET', 'faults', $2, $3)`,
    [merchant!.id, prefix, keyHash],
  );
  return { programId, secret: key };
}
